//! `GET /metrics` and the request id: what an operator runs gitpat by. The recorder is one per
//! process and tests run side by side, so these look for series, not exact counts.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

const GOOD: &str = "ghp_metricsToken777777777777777777777777";

/// The sample line of `name` whose labels include every one of `labels`, if any.
fn series<'a>(text: &'a str, name: &str, labels: &[&str]) -> Option<&'a str> {
    text.lines()
        .find(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|want| l.contains(want)))
}

async fn metrics_text(app: &TestApp) -> String {
    let res = app.send(get("/metrics", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    body_text(res).await
}

#[tokio::test]
async fn metrics_count_requests_server_functions_and_provider_checks_without_naming_anyone() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    let rt = f.seed.acme_rt.to_string();
    for token in ["ghp_unknownMetricsToken0000000000000000000", GOOD] {
        f.app
            .send(call_fn(
                "add_token",
                &[("runtime_id", &rt), ("token", token)],
                Some(&f.dana),
            ))
            .await;
    }
    f.app
        .send(call_fn("no_such_function", &[], Some(&f.dana)))
        .await;
    f.app
        .send(get("/git-personal-access-tokens", Some(&f.dana)))
        .await;

    let text = metrics_text(&f.app).await;
    // SQLite has a writer and read-only readers; PostgreSQL one pool for both.
    let (writer, readers) = if on_postgres() {
        (r#"pool="postgres""#, r#"pool="postgres""#)
    } else {
        (r#"pool="writer""#, r#"pool="readers""#)
    };
    for (name, labels) in [
        (
            "gitpat_http_requests_total",
            &[r#"route="/login""#, r#"method="POST""#, r#"status="303""#][..],
        ),
        (
            "gitpat_http_requests_total",
            &[r#"route="/git-personal-access-tokens""#, r#"status="200""#],
        ),
        (
            "gitpat_http_request_duration_seconds_bucket",
            &[r#"route="/login""#],
        ),
        (
            "gitpat_server_fn_calls_total",
            &[r#"fn="add_token""#, r#"status="200""#],
        ),
        (
            "gitpat_server_fn_calls_total",
            &[r#"fn="add_token""#, r#"status="422""#],
        ),
        ("gitpat_server_fn_calls_total", &[r#"fn="unknown""#]),
        (
            "gitpat_provider_checks_total",
            &[r#"host="127.0.0.1""#, r#"result="valid""#],
        ),
        ("gitpat_provider_checks_total", &[r#"result="rejected""#]),
        ("gitpat_db_connections", &[writer, r#"state="idle""#]),
        ("gitpat_db_connections", &[readers, r#"state="in_use""#]),
    ] {
        assert!(
            series(&text, name, labels).is_some(),
            "no {name} with {labels:?} in:\n{text}"
        );
    }
    assert!(
        !text.contains("no_such_function"),
        "a made-up name became a series"
    );
    for secret in [GOOD, "@example.com", "Dana", PASSWORD] {
        assert!(!text.contains(secret), "/metrics shows {secret}");
    }
}

#[tokio::test]
async fn re_validation_passes_are_timed_and_counted() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    let rt = f.seed.acme_rt.to_string();
    f.app
        .send(call_fn(
            "add_token",
            &[("runtime_id", &rt), ("token", GOOD)],
            Some(&f.dana),
        ))
        .await;
    let due = chrono::Utc::now() + chrono::Duration::seconds(1);
    let report = app::ssr::tokens::revalidate_due(&f.app.state, due, 2)
        .await
        .unwrap();
    assert_eq!(report.valid, 1);
    let text = metrics_text(&f.app).await;
    assert!(series(
        &text,
        "gitpat_revalidation_tokens_total",
        &[r#"result="valid""#]
    )
    .is_some());
    assert!(
        text.contains("gitpat_revalidation_pass_seconds_count"),
        "{text}"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_a_proxys() {
    let (app, _) = TestApp::new().await;
    let res = app.send(get("/healthz", None)).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = app.send(get("/healthz", None)).await;
    assert_ne!(
        again.headers()["x-request-id"],
        id.as_str(),
        "one id per request"
    );
    let req = Request::get("/healthz")
        .header(header::HOST, HOST)
        .header("x-request-id", "proxy-42")
        .body(Body::empty())
        .unwrap();
    let res = app.send(req).await;
    assert_eq!(res.headers()["x-request-id"], "proxy-42");
}
