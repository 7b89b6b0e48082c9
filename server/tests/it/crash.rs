//! Crashes of the built binary: a concurrent write load (add, replace, delete token; one task per
//! user), then SIGKILL after a random, bounded delay. A write answered 2xx must survive; a write
//! in flight at the kill may go either way. The server is restarted on the same database and key
//! (healthy, and the old session cookies still work), stopped with SIGTERM, and
//! `gitpat admin verify` must find an intact database in which every (user, runtime) holds the
//! last acknowledged token (or the in-flight write's) and every token decrypts. Short by default;
//! `GITPAT_LONG_TESTS=1` for more cycles, users and runtimes.

use crate::process::*;
use crate::session::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One user's writes in one cycle.
struct Writes {
    email: String,
    /// runtime -> last acknowledged token.
    state: HashMap<i64, Option<String>>,
    acknowledged: usize,
    /// The write in flight when the connection died: (runtime, token or None for a delete).
    uncertain: Option<(i64, Option<String>)>,
    errors: Vec<String>,
}

async fn write_until_killed(
    session: Session,
    mut w: Writes,
    pool: Vec<String>,
    killed: Arc<AtomicBool>,
    seed: u64,
) -> Writes {
    let mut rng = StdRng::seed_from_u64(seed);
    let runtimes: Vec<i64> = w.state.keys().copied().collect();
    while !killed.load(Ordering::SeqCst) {
        let rt = runtimes[rng.gen_range(0..runtimes.len())];
        let current = w.state[&rt].clone();
        let (new, endpoint, fields) = random_write(&mut rng, rt, &current, &pool);
        match session.call(endpoint, &fields).await {
            Ok(a) if a.status.is_success() => {
                w.state.insert(rt, new);
                w.acknowledged += 1;
            }
            Ok(a) => {
                // The user's state is known exactly, so no write should be refused.
                w.errors
                    .push(format!("{endpoint} on rt {rt}: {} {}", a.status, a.body));
                if a.status.is_server_error() {
                    w.uncertain = Some((rt, new));
                    return w;
                }
            }
            Err(e) => {
                if !killed.load(Ordering::SeqCst) {
                    w.errors
                        .push(format!("transport error before the kill: {e}"));
                }
                w.uncertain = Some((rt, new));
                return w;
            }
        }
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let long = long();
    let (cycles, users, runtimes) = if long { (3, 8, 5) } else { (1, 4, 3) };
    let (min_ms, max_ms) = if long { (1000, 3000) } else { (500, 1500) };
    let seed = seed("crash");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut h = Harness::new().await;
    let (emails, rt_ids) = h.seed(users, runtimes).await;
    let pools: HashMap<String, Vec<String>> = emails
        .iter()
        .map(|e| (e.clone(), token_pool(&mut rng, 24)))
        .collect();
    h.register_tokens(pools.values().flatten());
    let by_sha: HashMap<String, String> = pools
        .values()
        .flatten()
        .map(|t| (sha256_hex(t), t.clone()))
        .collect();
    // The verified durable state; each cycle's writers start from it.
    let mut known: HashMap<String, HashMap<i64, Option<String>>> = emails
        .iter()
        .map(|e| (e.clone(), rt_ids.iter().map(|&rt| (rt, None)).collect()))
        .collect();
    let mut sessions: HashMap<String, Session> = HashMap::new();

    for cycle in 1..=cycles {
        let mut server = h.start_server().await;
        // Sessions live in the database: after the first cycle the old cookies must still work.
        for s in sessions.values_mut() {
            s.retarget(&server.base);
        }
        for e in &emails {
            if !sessions.contains_key(e) {
                sessions.insert(e.clone(), Session::sign_in(&server.base, e).await);
            }
        }
        let killed = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = emails
            .iter()
            .map(|e| {
                let w = Writes {
                    email: e.clone(),
                    state: known[e].clone(),
                    acknowledged: 0,
                    uncertain: None,
                    errors: Vec::new(),
                };
                let s = sessions[e].clone();
                tokio::spawn(write_until_killed(
                    s,
                    w,
                    pools[e].clone(),
                    killed.clone(),
                    rng.gen(),
                ))
            })
            .collect();
        let delay = rng.gen_range(min_ms..max_ms);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        // Set first: any transport error seen from now on may be the kill's.
        killed.store(true, Ordering::SeqCst);
        server.stop("KILL");
        let mut writes = Vec::new();
        for t in tasks {
            writes.push(t.await.unwrap());
        }
        for w in &writes {
            assert!(
                w.errors.is_empty(),
                "cycle {cycle} {}: {:?}",
                w.email,
                w.errors
            );
        }

        // What each (user, runtime) may hold: the last acknowledged token, or the in-flight one.
        let mut allowed: HashMap<(String, i64), HashSet<Option<String>>> = HashMap::new();
        for w in &writes {
            for (&rt, t) in &w.state {
                allowed.insert((w.email.clone(), rt), HashSet::from([t.clone()]));
            }
            if let Some((rt, new)) = &w.uncertain {
                allowed
                    .get_mut(&(w.email.clone(), *rt))
                    .unwrap()
                    .insert(new.clone());
            }
        }

        // Restarted on the same database and key: healthy, pages served to the old sessions, and
        // the token list agrees with what may be stored.
        let mut server = h.start_server().await;
        for (email, s) in sessions.iter_mut() {
            s.retarget(&server.base);
            let page = s.token_page().await.unwrap();
            assert!(
                page.status == 200 && page.body.contains(PAGE_MARK),
                "cycle {cycle} {email}: after the restart the token page answered {} (session lost?)",
                page.status
            );
            let listed = s.listed().await.unwrap();
            for &rt in &rt_ids {
                let ok: HashSet<_> = allowed[&(email.clone(), rt)].iter().map(last4).collect();
                assert!(
                    ok.contains(&listed[&rt]),
                    "cycle {cycle} {email} rt {rt}: the list disagrees with the acknowledged state"
                );
            }
        }
        assert_eq!(server.stop("TERM"), Some(0), "{}", server.log_tail());

        let v = h.verify().await;
        assert!(v.ok, "cycle {cycle}: verify failed: {:?}", v.other);
        for (key, ok) in &allowed {
            let ok: HashSet<_> = ok.iter().map(|t| t.as_deref().map(sha256_hex)).collect();
            let got = v.rows.get(key).cloned();
            assert!(
                ok.contains(&got),
                "cycle {cycle} {key:?}: stored {got:?}, expected one of {ok:?}"
            );
            let token = got.and_then(|sha| by_sha.get(&sha).cloned());
            known.get_mut(&key.0).unwrap().insert(key.1, token);
        }
        assert!(
            v.rows.keys().all(|k| allowed.contains_key(k)),
            "cycle {cycle}: rows nobody wrote"
        );
        let acknowledged: usize = writes.iter().map(|w| w.acknowledged).sum();
        let uncertain = writes.iter().filter(|w| w.uncertain.is_some()).count();
        println!(
            "crash cycle {cycle}: killed after {delay} ms; {acknowledged} writes acknowledged, \
             {uncertain} in flight; {} tokens stored, {} pairs verified",
            v.rows.len(),
            allowed.len()
        );
    }
}
