//! The provider emulator: a local stand-in for GitHub, GitHub Enterprise, GitLab, Bitbucket Cloud
//! and Bitbucket Server, for tests and `gitpat demo` (no machine here reaches the real ones).
//! It answers the endpoints gitpat calls with the paths, headers, status codes and bodies the
//! providers document. Tokens are registered through `POST /_emulator/tokens`.
//!
//! Mount points (each runtime's `api_url`): `/github`, `/ghe/api/v3`, `/gitlab/api/v4`,
//! `/gitlab-sm/api/v4`, `/bitbucket/2.0`, `/bitbucket-server/rest/api/1.0`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a registered token behaves.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeToken {
    pub token: String,
    /// The provider login the token belongs to.
    pub login: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    /// Bitbucket: the username (or Atlassian email) that goes with the token.
    pub username: Option<String>,
    /// Answer after this many milliseconds (to exercise client timeouts).
    pub delay_ms: u64,
    /// Answer with this status instead (e.g. 500, 503).
    pub fail_status: Option<u16>,
    /// Answer 200 with a body that is not the documented JSON.
    pub garbage: bool,
}

#[derive(Clone, Default)]
pub struct Emulator {
    tokens: Arc<Mutex<HashMap<String, FakeToken>>>,
}

impl Emulator {
    pub fn register(&self, t: FakeToken) {
        self.tokens.lock().unwrap().insert(t.token.clone(), t);
    }

    fn find(&self, token: &str) -> Option<FakeToken> {
        self.tokens.lock().unwrap().get(token).cloned()
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/github/user", get(github_user))
            .route("/ghe/api/v3/user", get(github_user))
            .route(
                "/gitlab/api/v4/personal_access_tokens/self",
                get(gitlab_token_self),
            )
            .route(
                "/gitlab-sm/api/v4/personal_access_tokens/self",
                get(gitlab_token_self),
            )
            .route("/gitlab/api/v4/user", get(gitlab_user))
            .route("/gitlab-sm/api/v4/user", get(gitlab_user))
            .route("/bitbucket/2.0/user", get(bitbucket_user))
            .route(
                "/bitbucket-server/rest/api/1.0/application-properties",
                get(bitbucket_server_properties),
            )
            .route("/_emulator/tokens", post(register_token))
            .route("/_emulator/tokens/{token}/revoke", post(revoke_token))
            .with_state(self.clone())
    }

    /// Serves on `addr` in the background; returns the bound address.
    pub async fn spawn(&self, addr: &str) -> anyhow::Result<std::net::SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("provider emulator cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(local)
    }
}

async fn register_token(State(emu): State<Emulator>, Json(t): Json<FakeToken>) -> StatusCode {
    if t.token.is_empty() {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    emu.register(t);
    StatusCode::CREATED
}

async fn revoke_token(State(emu): State<Emulator>, Path(token): Path<String>) -> StatusCode {
    match emu.tokens.lock().unwrap().get_mut(&token) {
        Some(t) => {
            t.revoked = true;
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("token "))
        .map(str::to_string)
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = String::from_utf8(B64.decode(v).ok()?).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Applies the token's configured misbehaviour; `None` means answer normally.
async fn misbehave(t: &FakeToken) -> Option<Response> {
    if t.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(t.delay_ms)).await;
    }
    if let Some(code) = t.fail_status {
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Some((status, "upstream failure").into_response());
    }
    if t.garbage {
        return Some(
            (
                [(header::CONTENT_TYPE, "application/json")],
                "<html>not json",
            )
                .into_response(),
        );
    }
    None
}

fn expired(t: &FakeToken) -> bool {
    t.expires_at.is_some_and(|e| e <= Utc::now())
}

// GitHub: `GET /user`; scopes in `X-OAuth-Scopes` (classic and OAuth tokens only), expiry in
// `GitHub-Authentication-Token-Expiration`; 401 `Bad credentials` for unknown, revoked or expired.
async fn github_user(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
                "status": "401"
            })),
        )
            .into_response()
    };
    let Some(t) = bearer(&headers).and_then(|tok| emu.find(&tok)) else {
        return unauthorized();
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    if t.revoked || expired(&t) {
        return unauthorized();
    }
    let mut res = Json(json!({
        "login": t.login,
        "id": 1000 + t.login.len(),
        "type": "User",
        "name": t.login,
    }))
    .into_response();
    let h = res.headers_mut();
    if !t.token.starts_with("github_pat_") {
        h.insert(
            "x-oauth-scopes",
            HeaderValue::from_str(&t.scopes.join(", ")).unwrap(),
        );
        h.insert("x-accepted-oauth-scopes", HeaderValue::from_static(""));
    }
    if let Some(e) = t.expires_at {
        let v = e.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        h.insert(
            "github-authentication-token-expiration",
            HeaderValue::from_str(&v).unwrap(),
        );
    }
    h.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    res
}

fn gitlab_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| bearer(headers))
}

/// GitLab answers 401 with `invalid_token` for revoked and expired tokens, and a bare message otherwise.
fn gitlab_check(emu: &Emulator, headers: &HeaderMap) -> Result<FakeToken, Box<Response>> {
    let Some(t) = gitlab_token(headers).and_then(|tok| emu.find(&tok)) else {
        return Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": "401 Unauthorized" })),
            )
                .into_response(),
        ));
    };
    if t.revoked {
        return Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user." })),
            )
                .into_response(),
        ));
    }
    if expired(&t) {
        return Err(Box::new(
            (
                StatusCode::UNAUTHORIZED,
                Json(
                    json!({ "error": "invalid_token", "error_description": "Token has expired." }),
                ),
            )
                .into_response(),
        ));
    }
    Ok(t)
}

async fn gitlab_token_self(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    let t = match gitlab_check(&emu, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    Json(json!({
        "id": 42,
        "name": "gitpat",
        "revoked": false,
        "created_at": "2026-01-01T00:00:00.000Z",
        "description": "",
        "scopes": t.scopes,
        "user_id": 7,
        "last_used_at": null,
        "active": true,
        "expires_at": t.expires_at.map(|e| e.format("%Y-%m-%d").to_string()),
    }))
    .into_response()
}

async fn gitlab_user(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    let t = match gitlab_check(&emu, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    Json(json!({ "id": 7, "username": t.login, "name": t.login, "state": "active" }))
        .into_response()
}

// Bitbucket Cloud: `GET /2.0/user` with Basic auth (username or Atlassian email + token); the
// granted scopes come back in `x-oauth-scopes`.
async fn bitbucket_user(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    let unauthorized = || {
        let mut r = (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "type": "error", "error": { "message": "Unauthorized" } })),
        )
            .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Bitbucket.org HTTP\""),
        );
        r
    };
    let Some((user, tok)) = basic(&headers) else {
        return unauthorized();
    };
    let Some(t) = emu.find(&tok) else {
        return unauthorized();
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    let user_ok = t
        .username
        .as_deref()
        .is_some_and(|u| u.eq_ignore_ascii_case(&user));
    if t.revoked || expired(&t) || !user_ok {
        return unauthorized();
    }
    let mut res = Json(json!({
        "type": "user",
        "username": t.login,
        "display_name": t.login,
        "account_id": "557058:0000",
        "uuid": "{00000000-0000-0000-0000-000000000000}",
    }))
    .into_response();
    res.headers_mut().insert(
        "x-oauth-scopes",
        HeaderValue::from_str(&t.scopes.join(", ")).unwrap(),
    );
    res
}

// Bitbucket Server / Data Center: any authenticated call answers with `X-AUSERNAME`.
async fn bitbucket_server_properties(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
    let unauthorized = || {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "errors": [{ "context": null, "message": "Authentication failed. Please check your credentials and try again.", "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException" }] })),
        )
            .into_response()
    };
    let Some(t) = bearer(&headers).and_then(|tok| emu.find(&tok)) else {
        return unauthorized();
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    if t.revoked || expired(&t) {
        return unauthorized();
    }
    let mut res = Json(json!({
        "version": "8.19.1",
        "buildNumber": "8019001",
        "buildDate": "1700000000000",
        "displayName": "Bitbucket"
    }))
    .into_response();
    res.headers_mut()
        .insert("x-ausername", HeaderValue::from_str(&t.login).unwrap());
    res
}

/// Sample tokens `gitpat demo` registers and prints.
pub fn demo_tokens() -> Vec<(&'static str, FakeToken)> {
    let days = |d: i64| Some(Utc::now() + chrono::Duration::days(d));
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        (
            "GitHub / GitHub Enterprise, valid (repo)",
            FakeToken {
                token: "ghp_demoValidToken0000000000000000000001".into(),
                login: "dana-demo".into(),
                scopes: s(&["repo", "read:org"]),
                expires_at: days(90),
                ..Default::default()
            },
        ),
        (
            "GitHub, missing the repo scope",
            FakeToken {
                token: "ghp_demoNoRepoScope000000000000000000002".into(),
                login: "dana-demo".into(),
                scopes: s(&["read:user"]),
                expires_at: days(90),
                ..Default::default()
            },
        ),
        (
            "GitHub, expiring in 3 days",
            FakeToken {
                token: "ghp_demoExpiringSoon00000000000000000003".into(),
                login: "dana-demo".into(),
                scopes: s(&["repo"]),
                expires_at: days(3),
                ..Default::default()
            },
        ),
        (
            "GitLab / GitLab Self-Managed, valid",
            FakeToken {
                token: "glpat-demoValidToken00000004".into(),
                login: "dana.demo".into(),
                scopes: s(&["write_repository", "read_repository", "read_api"]),
                expires_at: days(60),
                ..Default::default()
            },
        ),
        (
            "GitLab, missing read_api",
            FakeToken {
                token: "glpat-demoMissingReadApi0005".into(),
                login: "dana.demo".into(),
                scopes: s(&["write_repository"]),
                expires_at: days(60),
                ..Default::default()
            },
        ),
        (
            "Bitbucket Cloud API token (username: dana@gitpat.dev)",
            FakeToken {
                token: "ATATTdemoBitbucketToken0006".into(),
                login: "dana-demo".into(),
                username: Some("dana@gitpat.dev".into()),
                scopes: s(&[
                    "read:user:bitbucket",
                    "read:workspace:bitbucket",
                    "write:repository:bitbucket",
                ]),
                expires_at: days(365),
                ..Default::default()
            },
        ),
        (
            "Bitbucket Server HTTP access token (username: dana)",
            FakeToken {
                token: "BBDC-demoServerToken0007".into(),
                login: "dana".into(),
                username: Some("dana".into()),
                ..Default::default()
            },
        ),
    ]
}
