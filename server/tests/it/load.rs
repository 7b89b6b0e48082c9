//! Bounded load on the built binary over loopback: one task per user doing a random mix of add,
//! replace and delete token, token page and token list, then a graceful stop, after which
//! `gitpat admin verify` must show exactly the last acknowledged token of every (user, runtime):
//! nothing lost, nothing extra. Short by default; `GITPAT_LONG_TESTS=1` for the long run.

use crate::process::*;
use crate::session::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

/// What one user's task saw.
#[derive(Default)]
struct Outcome {
    email: String,
    /// runtime -> last acknowledged token (None: no token).
    state: HashMap<i64, Option<String>>,
    /// Set only after a write whose outcome cannot be known (5xx or transport error).
    maybe: HashMap<i64, HashSet<Option<String>>>,
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    server_errors: Vec<String>,
    transport_errors: Vec<String>,
    refusals: usize,
    mismatches: Vec<String>,
}

impl Outcome {
    fn allowed(&self, rt: i64) -> HashSet<Option<String>> {
        self.maybe
            .get(&rt)
            .cloned()
            .unwrap_or_else(|| HashSet::from([self.state[&rt].clone()]))
    }
}

async fn drive(
    session: Session,
    email: String,
    runtimes: Vec<i64>,
    pool: Vec<String>,
    deadline: Instant,
    seed: u64,
) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut o = Outcome {
        state: runtimes.iter().map(|&rt| (rt, None)).collect(),
        email,
        ..Default::default()
    };
    while Instant::now() < deadline {
        let r: f64 = rng.gen();
        if r < 0.15 {
            match session.token_page().await {
                Ok(a) => {
                    o.latencies.entry("page").or_default().push(a.took);
                    if a.status != 200 || !a.body.contains(PAGE_MARK) {
                        o.mismatches
                            .push(format!("token page: {} without the rows", a.status));
                    }
                }
                Err(e) => o.transport_errors.push(format!("page: {e}")),
            }
            continue;
        }
        if r < 0.35 {
            let started = Instant::now();
            match session.listed().await {
                Ok(rows) => {
                    o.latencies
                        .entry("list")
                        .or_default()
                        .push(started.elapsed());
                    // Read-your-writes: only this task changes this user's tokens.
                    for &rt in &runtimes {
                        let ok: HashSet<_> = o.allowed(rt).iter().map(last4).collect();
                        match rows.get(&rt) {
                            Some(shown) if ok.contains(shown) => {}
                            Some(_) => o.mismatches.push(format!(
                                "{} rt {rt}: the list differs from the acknowledged state",
                                o.email
                            )),
                            None => o.mismatches.push(format!("rt {rt} missing from the list")),
                        }
                    }
                }
                Err(e) => o.transport_errors.push(format!("list: {e}")),
            }
            continue;
        }
        let rt = runtimes[rng.gen_range(0..runtimes.len())];
        let current = o.state[&rt].clone();
        let (new, endpoint, fields) = random_write(&mut rng, rt, &current, &pool);
        let kind = match (&current, &new) {
            (_, None) => "delete",
            (None, Some(_)) => "add",
            (Some(_), Some(_)) => "replace",
        };
        match session.call(endpoint, &fields).await {
            Ok(a) if a.status.is_success() => {
                o.latencies.entry(kind).or_default().push(a.took);
                o.state.insert(rt, new);
                o.maybe.remove(&rt);
            }
            Ok(a) if a.status.is_server_error() => {
                o.server_errors
                    .push(format!("{kind}: {} {}", a.status, a.body));
                o.maybe
                    .entry(rt)
                    .or_insert_with(|| HashSet::from([current]))
                    .insert(new);
            }
            // A refusal (4xx) changes nothing.
            Ok(_) => o.refusals += 1,
            Err(e) => {
                o.transport_errors.push(format!("{kind}: {e}"));
                o.maybe
                    .entry(rt)
                    .or_insert_with(|| HashSet::from([current]))
                    .insert(new);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_every_acknowledged_write_is_what_is_stored() {
    let (users, runtimes, seconds) = if long() { (20, 10, 20) } else { (8, 5, 4) };
    let seed = seed("load");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut h = Harness::new().await;
    let (emails, rt_ids) = h.seed(users, runtimes).await;
    let pools: Vec<Vec<String>> = emails.iter().map(|_| token_pool(&mut rng, 24)).collect();
    h.register_tokens(pools.iter().flatten());
    let mut server = h.start_server().await;
    let mut sessions = Vec::new();
    for e in &emails {
        sessions.push(Session::sign_in(&server.base, e).await);
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = sessions
        .into_iter()
        .zip(emails.iter().cloned())
        .zip(pools)
        .map(|((s, e), pool)| tokio::spawn(drive(s, e, rt_ids.clone(), pool, deadline, rng.gen())))
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();

    let mut latencies: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for o in &outcomes {
        for (k, v) in &o.latencies {
            latencies.entry(k).or_default().extend(v);
        }
    }
    let total: usize = latencies.values().map(Vec::len).sum();
    println!(
        "load: {users} users x {runtimes} runtimes: {total} answered requests in {elapsed:.1} s"
    );
    println!("{:8} {:>6} {:>8} {:>8}", "kind", "ops", "p50 ms", "p99 ms");
    for (k, v) in &mut latencies {
        let (p50, p99) = (percentile_ms(v, 50.0), percentile_ms(v, 99.0));
        println!("{k:8} {:>6} {p50:>8.1} {p99:>8.1}", v.len());
    }

    // A graceful stop finishes in-flight work and exits 0.
    assert_eq!(server.stop("TERM"), Some(0), "{}", server.log_tail());

    let v = h.verify().await;
    let mut failures: Vec<String> = Vec::new();
    if !v.ok {
        failures.push(format!("verify failed: {:?}", v.other));
    }
    for o in &outcomes {
        failures.extend(o.server_errors.iter().take(5).cloned());
        failures.extend(o.transport_errors.iter().take(5).cloned());
        failures.extend(o.mismatches.iter().take(5).cloned());
        for &rt in &rt_ids {
            let ok: HashSet<Option<String>> = o
                .allowed(rt)
                .iter()
                .map(|t| t.as_deref().map(sha256_hex))
                .collect();
            let got = v.rows.get(&(o.email.clone(), rt)).cloned();
            if !ok.contains(&got) {
                failures.push(format!(
                    "{} rt {rt}: stored {} unlike the last acknowledged write",
                    o.email,
                    if got.is_some() { "a token" } else { "nothing" }
                ));
            }
        }
    }
    let pairs: HashSet<(String, i64)> = outcomes
        .iter()
        .flat_map(|o| rt_ids.iter().map(move |&rt| (o.email.clone(), rt)))
        .collect();
    for k in v.rows.keys().filter(|k| !pairs.contains(*k)) {
        failures.push(format!("a row nobody wrote: {k:?}"));
    }
    let writes: usize = ["add", "replace", "delete"]
        .iter()
        .map(|k| latencies.get(k).map_or(0, Vec::len))
        .sum();
    assert!(writes > 0, "no write was acknowledged");
    assert!(
        failures.is_empty(),
        "{} failures, first ones:\n{}\n(server log)\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n"),
        server.log_tail()
    );
}
