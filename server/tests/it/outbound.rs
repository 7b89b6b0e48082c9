//! No SSRF through runtimes or OAuth apps: an admin cannot point gitpat at loopback, private,
//! link-local (cloud metadata) or unique-local addresses, neither when saving a URL nor through
//! a name that resolves there later (DNS rebinding); `GITPAT_ALLOW_PRIVATE_NETWORKS` allows some.

use crate::helpers::*;
use app::ssr::outbound::Outbound;
use app::ssr::providers;
use axum::http::StatusCode;
use tower::ServiceExt;

const GOOD: &str = "ghp_ssrfToken11111111111111111111111111111";

#[tokio::test]
async fn admins_cannot_save_urls_that_lead_inside() {
    let (app, seed) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let acme = seed.acme.to_string();
    for url in [
        "http://169.254.169.254/latest",
        "http://10.0.0.1/api/v3",
        "http://[fd00::1]/api/v4",
    ] {
        let (status, body) = status_and_body(
            &app,
            call_fn(
                "admin/add_runtime",
                &[
                    ("account_id", &acme),
                    ("name", "inside"),
                    ("provider", "github_enterprise"),
                    ("api_url", url),
                ],
                Some(&dana),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert!(body.contains("private or local address"), "{body}");
    }
    let mut form = oauth_app_form(&acme);
    for field in form.iter_mut().filter(|(k, _)| *k == "token_url") {
        field.1 = "http://192.168.1.1/token".into();
    }
    let (status, body) = status_and_body(
        &app,
        call_fn("admin/save_oauth_app", &pairs(&form), Some(&dana)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("token URL leads to 192.168.1.1"), "{body}");
    let stored: i64 = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM runtimes WHERE name = 'inside') + (SELECT COUNT(*) FROM oauth_apps)",
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_name_that_resolves_inside_at_call_time_is_not_called() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    // A node that allows no private network, and a runtime whose API name (once public, say)
    // now resolves to loopback.
    let mut state = f.app.another_node().await;
    state.outbound = Outbound::default();
    state.http = providers::http_client(&state.outbound);
    let api: String = app::on_db!(&state.pool, |e| sqlx::query_scalar(
        "SELECT api_url FROM runtimes WHERE id = $1"
    )
    .bind(f.seed.acme_rt)
    .fetch_one(e)
    .await)
    .unwrap();
    app::on_db!(&state.pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = $1 WHERE id = $2"
    )
    .bind(api.replace("127.0.0.1", "localhost"))
    .bind(f.seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let store = server::router::session_store(&state).await.unwrap();
    let router = server::router::app(state.clone(), store, false, LOGIN_PER_MINUTE);
    let req = call_fn(
        "add_token",
        &[("runtime_id", &f.seed.acme_rt.to_string()), ("token", GOOD)],
        Some(&f.dana),
    );
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let body = body_text(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("could not be reached"), "{body}");
    assert_eq!(f.emu.checks_of(GOOD), 0, "the emulator was never asked");
}
