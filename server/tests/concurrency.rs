//! Many page renders at once on one multi-threaded runtime, as in the server: every one must
//! finish. (Leptos SSR responses have been seen to hang when several test runtimes render in
//! parallel in one process (why: docs/spa.md), so this binary holds this one test only.)

// Not every helper is used by this one test.
#[allow(dead_code)]
#[path = "it/helpers.rs"]
mod helpers;

use axum::http::StatusCode;
use futures::future::join_all;
use helpers::*;

const ROUNDS: usize = 15;
const AT_ONCE: usize = 48;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_page_renders_all_finish() {
    let (app, seed) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let olu = app.login("olu@example.com", PASSWORD).await;
    let pages = [
        (
            dana.as_str(),
            "/git-personal-access-tokens".to_string(),
            "acme-prod",
        ),
        (
            olu.as_str(),
            "/git-personal-access-tokens".to_string(),
            "globex-edge",
        ),
        (dana.as_str(), "/admin".to_string(), "Audit trail"),
        (
            dana.as_str(),
            format!("/git-personal-access-tokens/{}/add", seed.acme_rt),
            "Advanced authorization options",
        ),
        (
            olu.as_str(),
            format!("/git-personal-access-tokens/{}/delete", seed.globex_rt),
            "Delete your Git user token",
        ),
        (
            dana.as_str(),
            "/account/password".to_string(),
            "Change password",
        ),
    ];
    for round in 0..ROUNDS {
        let requests = (0..AT_ONCE).map(|i| {
            let (cookie, path, expect) = &pages[i % pages.len()];
            let app = &app;
            async move {
                let res = app.send(get(path, Some(cookie))).await;
                assert_eq!(res.status(), StatusCode::OK, "round {round}: GET {path}");
                let body = body_text(res).await;
                assert!(
                    body.contains(expect),
                    "round {round}: GET {path} lacks {expect:?}"
                );
            }
        });
        join_all(requests).await;
    }
}
