//! The attack suite (OWASP ASVS V2–V5, V7): every case goes through the real router over a real
//! database, asserts the refusal, and — for writes — that no stored row changed.

mod access;
mod input;
mod output;
mod sessions;

use crate::helpers::*;
use axum::http::{header, StatusCode};

const GOOD: &str = "ghp_plantedToken9999999999999999999999999";
const OTHER: &str = "ghp_secondToken88888888888888888888888888";

/// Every row of every table a request could change (not the audit trail, which records refusals).
async fn snapshot(app: &TestApp) -> Vec<String> {
    let pool = &app.state.pool;
    let mut out = Vec::new();
    for table in [
        "users",
        "accounts",
        "memberships",
        "runtimes",
        "git_tokens",
        "notification_prefs",
        "oauth_apps",
        "runtime_keys",
    ] {
        let rows: Vec<String> = match pool {
            app::ssr::db::Db::Sqlite(p) => {
                let cols: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                        .bind(table)
                        .fetch_all(p)
                        .await
                        .unwrap();
                let expr = cols
                    .iter()
                    .map(|c| format!("quote({c})"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                sqlx::query_scalar(&format!("SELECT {expr} FROM {table} ORDER BY rowid"))
                    .fetch_all(p)
                    .await
            }
            // A row cast to text is every column, quoted where needed.
            app::ssr::db::Db::Postgres(p) => {
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {table} t ORDER BY 1"))
                    .fetch_all(p)
                    .await
            }
        }
        .unwrap();
        out.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    out
}

struct World {
    app: TestApp,
    seed: Seed,
    _emu: provider_emulator::Emulator,
    dana: String,
    olu: String,
}

/// Dana (admin of Acme, member of Globex) holds a token on Acme's runtime; Olu is only in Globex.
async fn world() -> World {
    let (app, seed) = TestApp::new().await;
    let emu = with_emulator(
        &app,
        &seed,
        vec![fake(GOOD, &["repo"]), fake(OTHER, &["repo"])],
    )
    .await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let olu = app.login("olu@example.com", PASSWORD).await;
    let (status, _) = status_and_body(
        &app,
        call_fn(
            "add_token",
            &[("runtime_id", &seed.acme_rt.to_string()), ("token", GOOD)],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = status_and_body(
        &app,
        call_fn(
            "admin/create_runtime_key",
            &[("runtime_id", &seed.acme_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    World {
        app,
        seed,
        _emu: emu,
        dana,
        olu,
    }
}

/// Sends `req`, expects `want` (a status class check when `want` is a 4xx), and that nothing
/// stored changed. Returns the body.
async fn refused(w: &World, label: &str, req: axum::http::Request<axum::body::Body>) -> String {
    let before = snapshot(&w.app).await;
    let (status, body) = status_and_body(&w.app, req).await;
    assert!(
        status.is_client_error() || status.is_redirection(),
        "{label}: expected a refusal, got {status}: {body}"
    );
    assert_eq!(snapshot(&w.app).await, before, "{label}: something changed");
    body
}

/// (endpoint, fields) of every mutating server function, aimed at Acme and its runtime.
fn writes_on_acme(seed: &Seed) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let rt = seed.acme_rt.to_string();
    let mut calls = vec![
        (
            "add_token",
            vec![("runtime_id", rt.clone()), ("token", OTHER.into())],
        ),
        ("delete_token", vec![("runtime_id", rt.clone())]),
        (
            "set_notifications_hidden",
            vec![("runtime_id", rt.clone()), ("hidden", "true".into())],
        ),
        ("admin/create_runtime_key", vec![("runtime_id", rt.clone())]),
        (
            "admin/revoke_runtime_key",
            vec![("runtime_id", rt.clone()), ("prefix", "anything".into())],
        ),
        ("admin/remove_runtime", vec![("runtime_id", rt)]),
    ];
    calls.extend(account_admin_calls(&seed.acme.to_string()));
    calls
}
