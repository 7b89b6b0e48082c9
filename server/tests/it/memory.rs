//! No memory exhaustion before sign-in: a flood of sign-ins with made-up, near-maximal emails
//! from one address must not grow the server (nothing is kept per email in memory, and an
//! address over its limit is refused before anything else), and the server stays healthy.

use crate::process::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_thousand_sign_ins_with_60_kb_emails_do_not_grow_the_server() {
    let mut h = Harness::new().await;
    h.seed(1, 1).await;
    // The shipped limit, not the load tests' generous one.
    let mut server = h
        .start_server_with(&[("GITPAT_LOGIN_ATTEMPTS_PER_MINUTE", "10")])
        .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let login = format!("{}/login", server.base);
    let attempt = |i: usize| {
        let (http, login, base) = (http.clone(), login.clone(), server.base.clone());
        async move {
            let email = format!("{}{i}@example.com", "x".repeat(60 * 1024 - 20));
            http.post(&login)
                .header("Origin", base)
                .form(&[("email", email.as_str()), ("password", "not-the-password")])
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    };
    // Warm up (allocator pools, connections), then measure.
    for i in 0..50 {
        attempt(i).await.unwrap();
    }
    let before = server.rss_kib().unwrap();
    let mut refused = 0;
    for round in 0..300 {
        let batch: Vec<_> = (0..10).map(|j| attempt(1000 + round * 10 + j)).collect();
        for status in futures::future::join_all(batch).await {
            refused += usize::from(status.unwrap() == 429);
        }
    }
    let after = server.rss_kib().unwrap();
    println!("RSS {before} KiB before, {after} KiB after 3,000 sign-ins; {refused} refused");
    assert!(refused > 2_500, "the address limit applies: {refused}");
    assert!(
        after.saturating_sub(before) < 32 * 1024,
        "RSS grew from {before} to {after} KiB"
    );
    let health = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(server.stop("TERM"), Some(0), "{}", server.log_tail());
}
