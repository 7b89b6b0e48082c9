//! Secrets never reach the log. In a test binary of its own: tracing caches per call site
//! whether anyone listens, so a subscriber set for one test must not share a process.

// Not every helper is used by this one test.
#[allow(dead_code)]
#[path = "it/helpers.rs"]
mod helpers;

use app::ssr::tokens;
use chrono::{Duration, Utc};
use helpers::*;

const GOOD: &str = "ghp_goodToken1111111111111111111111111111";
const NOSCOPE: &str = "ghp_noScope3333333333333333333333333333333";

async fn add(app: &TestApp, cookie: &str, rt: i64, token: &str) {
    app.send(call_fn(
        "add_token",
        &[("runtime_id", &rt.to_string()), ("token", token)],
        Some(cookie),
    ))
    .await;
}

#[tokio::test]
async fn tokens_never_reach_the_logs() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (app, seed) = TestApp::new().await;
    let _emu = with_emulator(
        &app,
        &seed,
        vec![fake(GOOD, &["repo"]), fake(NOSCOPE, &["read:user"])],
    )
    .await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.acme_rt, NOSCOPE).await;
    add(&app, &dana, seed.acme_rt, "ghp_unknownSecretValue9").await;
    tokens::revalidate_due(&app.state, Utc::now() + Duration::seconds(1), 2)
        .await
        .unwrap();
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("token stored"),
        "the log was captured: {logs}"
    );
    // Each line logged while answering a request carries that request's span and id.
    let stored = logs.lines().find(|l| l.contains("token stored")).unwrap();
    assert!(
        stored.contains("request{id=") && stored.contains("path=/api/add_token"),
        "no request span on: {stored}"
    );
    for secret in [GOOD, NOSCOPE, "ghp_unknownSecretValue9", PASSWORD] {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
}
