//! What to run gitpat by: `GET /metrics` in Prometheus' text format, and the request span (with
//! its request id) that every log line of a request carries. Labels are routes, methods,
//! statuses, server-function names, provider hosts and outcomes: never a user, an email or a
//! secret.

use app::ssr::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets of every `_seconds` histogram: from a cached page to a slow provider.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process' recorder, installed on first use (a process has one; tests build many routers).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        handle
    })
}

/// `GET /metrics`: the counters and histograms, plus the database pools' use right now.
pub async fn render(State(state): State<AppState>) -> Response {
    let pools = if state.pool.is_postgres() {
        vec![("postgres", &state.pool)]
    } else {
        vec![("writer", &state.pool), ("readers", &state.reads)]
    };
    for (pool, p) in pools {
        let (size, idle) = p.pool_use();
        let (size, idle) = (f64::from(size), idle as f64);
        metrics::gauge!("gitpat_db_connections", "pool" => pool, "state" => "idle").set(idle);
        metrics::gauge!("gitpat_db_connections", "pool" => pool, "state" => "in_use")
            .set(size - idle);
    }
    let handle = handle();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// Counts each request by its route (the matched template, so ids do not multiply the series),
/// method and status, and times it.
pub async fn track(route: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let route = route.map_or_else(|| "unmatched".to_string(), |r| r.as_str().to_string());
    let method = req.method().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!(
        "gitpat_http_request_duration_seconds",
        "route" => route.clone(),
        "method" => method.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "gitpat_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    res
}

/// Counts a server-function call by its name and HTTP status. A name that is no server
/// function counts as `unknown`, so a caller cannot make up series.
pub fn server_fn_call(path: &str, status: u16) {
    static KNOWN: OnceLock<Vec<&'static str>> = OnceLock::new();
    let known = KNOWN.get_or_init(|| {
        leptos::server_fn::axum::server_fn_paths()
            .map(|(p, _)| p)
            .collect()
    });
    let name = known
        .iter()
        .find(|p| **p == path)
        .and_then(|p| p.strip_prefix("/api/"))
        .unwrap_or("unknown");
    metrics::counter!(
        "gitpat_server_fn_calls_total",
        "fn" => name,
        "status" => status.to_string()
    )
    .increment(1);
}

/// The span around a request: its id (from `x-request-id`, which `SetRequestIdLayer` sets when
/// the client or proxy did not), method and path (never the query, which may carry an OAuth
/// code). Every log line of the request carries it.
pub fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path()
    )
}
