//! The token server functions through the real router, a real SQLite file and the emulator:
//! what they do, what they refuse, and that the token never leaks.

mod changes;
mod listing;
mod policy;
mod repository;
mod rotate;
mod storage;

use crate::helpers::*;
use app::ssr::{crypto, tokens};
use axum::http::StatusCode;
use chrono::{Duration, Utc};

const GOOD: &str = "ghp_goodToken1111111111111111111111111111";
const GOOD2: &str = "ghp_otherToken222222222222222222222222222";
const NOSCOPE: &str = "ghp_noScope3333333333333333333333333333333";
const GL: &str = "glpat-goodToken44444444";

async fn setup() -> Fixture {
    Fixture::with_tokens(vec![
        fake(GOOD, &["repo"]),
        fake(GOOD2, &["repo", "workflow"]),
        fake(NOSCOPE, &["read:user"]),
        fake(GL, &["write_repository", "read_api"]),
    ])
    .await
}

async fn token_count(app: &TestApp) -> i64 {
    app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM git_tokens"
    )
    .fetch_one(e)
    .await)
    .unwrap()
}

async fn last4_of(app: &TestApp, user: i64, rt: i64) -> Option<String> {
    app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT last4 FROM git_tokens WHERE user_id = $1 AND runtime_id = $2"
    )
    .bind(user)
    .bind(rt)
    .fetch_optional(e)
    .await)
    .unwrap()
}

async fn add(app: &TestApp, cookie: &str, rt: i64, token: &str) -> (StatusCode, String) {
    status_and_body(
        app,
        call_fn(
            "add_token",
            &[("runtime_id", &rt.to_string()), ("token", token)],
            Some(cookie),
        ),
    )
    .await
}

async fn token_page(app: &TestApp, cookie: &str) -> String {
    body_text(
        app.send(get("/git-personal-access-tokens", Some(cookie)))
            .await,
    )
    .await
}
