//! Background work on two nodes sharing one database: each pass runs on one node only (a lease
//! picks it), a lease whose holder died lapses and another node takes over, and the emulator,
//! counting its calls per token, sees each token checked once per pass.

use crate::helpers::*;
use app::ssr::store::leases;
use chrono::Duration;
use server::jobs;

const GOOD: &str = "ghp_jobsToken1111111111111111111111111111";
const GL: &str = "glpat-jobsToken22222222";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_runs_on_one_node_and_checks_each_token_once() {
    let f = Fixture::with_tokens(vec![
        fake(GOOD, &["repo"]),
        fake(GL, &["write_repository", "read_api"]),
    ])
    .await;
    for (rt, token) in [(f.seed.acme_rt, GOOD), (f.seed.globex_rt, GL)] {
        let (status, body) = status_and_body(
            &f.app,
            call_fn(
                "add_token",
                &[("runtime_id", &rt.to_string()), ("token", token)],
                Some(&f.dana),
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let before = [f.emu.checks_of(GOOD), f.emu.checks_of(GL)];
    let node_a = f.app.state.clone();
    let node_b = f.app.another_node().await;
    // "Validated more than 0 s ago": every token is due.
    let every = std::time::Duration::ZERO;
    let (a, b) = tokio::join!(
        jobs::pass(&node_a, every, Duration::minutes(2)),
        jobs::pass(&node_b, every, Duration::minutes(2)),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.is_some() != b.is_some(),
        "exactly one node runs the pass: {a:?} {b:?}"
    );
    let (holder, other) = if a.is_some() {
        (&node_a, &node_b)
    } else {
        (&node_b, &node_a)
    };
    let report = a.or(b).unwrap();
    assert_eq!(report.revalidate.checked, 2);
    // Adding each token validated it once (GitLab answers on two endpoints); the pass did
    // the same once more, not twice.
    assert_eq!(
        [f.emu.checks_of(GOOD), f.emu.checks_of(GL)],
        [before[0] * 2, before[1] * 2],
        "each token was checked once in the pass"
    );
    // The holder keeps its lease for the next pass; the other node still stands aside.
    let later = jobs::pass(other, every, Duration::minutes(2))
        .await
        .unwrap();
    assert!(later.is_none());
    let later = jobs::pass(holder, every, Duration::minutes(2))
        .await
        .unwrap();
    assert!(later.is_some());
}

#[tokio::test]
async fn a_lease_whose_holder_died_lapses_and_another_node_takes_over() {
    let (app, _) = TestApp::new().await;
    let pool = &app.state.pool;
    let ttl = Duration::milliseconds(800);
    assert!(leases::try_acquire(pool, "pass", "node-a", ttl)
        .await
        .unwrap());
    assert!(!leases::try_acquire(pool, "pass", "node-b", ttl)
        .await
        .unwrap());
    assert!(
        leases::try_acquire(pool, "pass", "node-a", ttl)
            .await
            .unwrap(),
        "its holder renews it"
    );
    // node-a stops renewing (it died): after the lease's time, node-b gets it.
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    assert!(leases::try_acquire(pool, "pass", "node-b", ttl)
        .await
        .unwrap());
    assert!(!leases::try_acquire(pool, "pass", "node-a", ttl)
        .await
        .unwrap());
    // A holder that gives it up lets the next one in at once.
    leases::release(pool, "pass", "node-b").await.unwrap();
    assert!(leases::try_acquire(pool, "pass", "node-a", ttl)
        .await
        .unwrap());
}
