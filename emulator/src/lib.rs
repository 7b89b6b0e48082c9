//! The provider emulator: a local stand-in for GitHub, GitHub Enterprise, GitLab, Bitbucket Cloud
//! and Bitbucket Server, for tests, `gitpat demo` and the benchmark (no machine here reaches the
//! real ones). Which provider documentation each endpoint follows is in this crate's README.
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
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

mod demo;
mod oauth;
mod providers;
mod repos;

pub use demo::{demo_clients, demo_repos, demo_tokens, DemoClient};
use oauth::*;
use providers::*;
use repos::*;

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
    /// GitHub: answer 403 with this message (as for a token an organisation's policy refuses).
    pub refusal: Option<String>,
    /// GitHub: a `bio` this long in the user object, for answers of any size.
    pub bio_bytes: usize,
    /// GitHub: the token was authorized for the SAML single sign-on of the organisations that
    /// enforce it (see [`FakeRepo::saml_sso`]).
    pub sso_authorized: bool,
}

/// A repository at the emulated provider, and who may do what there.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeRepo {
    /// As a runtime names it: OWNER/NAME, GROUP/PROJECT, WORKSPACE/SLUG or PROJECT/SLUG.
    pub path: String,
    /// Provider login -> `read`, `write` or `admin`; anyone else cannot see it.
    pub access: HashMap<String, String>,
    /// GitHub: its organisation enforces SAML single sign-on, so a token must be authorized
    /// for it before it is let in.
    pub saml_sso: bool,
    /// Answer questions about it with this status instead (e.g. 502).
    pub fail_status: Option<u16>,
}

/// An OAuth app registered at the emulated provider.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    /// The provider login of whoever authorizes (the emulator has one user per app).
    pub login: String,
    /// Lifetime of issued access tokens; `None`: they do not expire (GitHub OAuth apps).
    pub token_lifetime_secs: Option<i64>,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    challenge: Option<String>,
}

#[derive(Default)]
struct OAuthState {
    clients: HashMap<String, OAuthClient>,
    codes: HashMap<String, Grant>,
    /// refresh token -> (client id, scopes)
    refresh: HashMap<String, (String, Vec<String>)>,
    /// access token -> the client id it was issued to
    issued: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct Emulator {
    tokens: Arc<Mutex<HashMap<String, FakeToken>>>,
    oauth: Arc<Mutex<OAuthState>>,
    /// Calls per token and presentations per refresh token, for tests to count.
    counts: Arc<Mutex<Counts>>,
    /// Repositories by lower-case path.
    repos: Arc<Mutex<HashMap<String, FakeRepo>>>,
    /// GitHub SSO authorization requests: request id -> the token it authorizes.
    sso_requests: Arc<Mutex<HashMap<String, String>>>,
}

#[derive(Default)]
struct Counts {
    checks: HashMap<String, usize>,
    refresh_uses: HashMap<String, usize>,
    /// GitLab rotations: old token -> the token it was rotated into.
    rotations: HashMap<String, String>,
}

impl Emulator {
    pub fn register(&self, t: FakeToken) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(t.token.clone(), t);
    }

    pub fn register_repo(&self, r: FakeRepo) {
        self.repos
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(r.path.to_ascii_lowercase(), r);
    }

    fn repo(&self, path: &str) -> Option<FakeRepo> {
        self.repos
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&path.to_ascii_lowercase())
            .cloned()
    }

    /// A token as it stands, without counting a check (repository endpoints are not identity
    /// checks).
    fn peek(&self, token: &str) -> Option<FakeToken> {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    /// Whether `token` was authorized for single sign-on.
    pub fn sso_authorized(&self, token: &str) -> bool {
        self.peek(token).is_some_and(|t| t.sso_authorized)
    }

    pub fn register_client(&self, c: OAuthClient) {
        self.oauth
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clients
            .insert(c.client_id.clone(), c);
    }

    /// Whether `token` has been revoked (at the provider's API or through the control endpoint).
    pub fn is_revoked(&self, token: &str) -> bool {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .is_some_and(|t| t.revoked)
    }

    /// The token `old` was rotated into, if it was.
    pub fn rotated_into(&self, old: &str) -> Option<String> {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.rotations.get(old).cloned()
    }

    fn record_rotation(&self, old: &str, new: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.rotations.insert(old.to_string(), new.to_string());
    }

    /// Marks a token revoked; false if the emulator never knew it.
    fn revoke(&self, token: &str) -> bool {
        match self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(token)
        {
            Some(t) => {
                t.revoked = true;
                true
            }
            None => false,
        }
    }

    /// How many times an identity endpoint was asked about `token`.
    pub fn checks_of(&self, token: &str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.checks.get(token).copied().unwrap_or(0)
    }

    /// How many times each refresh token was presented at a token endpoint (each is good once).
    pub fn refresh_uses(&self) -> HashMap<String, usize> {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.refresh_uses.clone()
    }

    fn count_refresh(&self, refresh_token: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts
            .refresh_uses
            .entry(refresh_token.to_string())
            .or_default() += 1;
    }

    fn find(&self, token: &str) -> Option<FakeToken> {
        *self
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .checks
            .entry(token.to_string())
            .or_default() += 1;
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/github/user", get(github_user))
            .route(
                "/github/applications/{client_id}/token",
                axum::routing::delete(github_revoke),
            )
            .route(
                "/ghe/api/v3/applications/{client_id}/token",
                axum::routing::delete(github_revoke),
            )
            .route("/ghe/api/v3/user", get(github_user))
            .route(
                "/gitlab/api/v4/personal_access_tokens/self",
                get(gitlab_token_self),
            )
            .route(
                "/gitlab-sm/api/v4/personal_access_tokens/self",
                get(gitlab_token_self),
            )
            .route(
                "/gitlab/api/v4/personal_access_tokens/self/rotate",
                post(gitlab_rotate),
            )
            .route(
                "/gitlab-sm/api/v4/personal_access_tokens/self/rotate",
                post(gitlab_rotate),
            )
            .route("/gitlab/api/v4/user", get(gitlab_user))
            .route("/gitlab-sm/api/v4/user", get(gitlab_user))
            .route("/bitbucket/2.0/user", get(bitbucket_user))
            .route(
                "/bitbucket-server/rest/api/1.0/application-properties",
                get(bitbucket_server_properties),
            )
            .route(
                "/github-web/login/oauth/authorize",
                get(consent_page).post(consent_decision),
            )
            .route("/github-web/login/oauth/access_token", post(token_endpoint))
            .route(
                "/gitlab/oauth/authorize",
                get(consent_page).post(consent_decision),
            )
            .route("/gitlab/oauth/token", post(token_endpoint))
            .route("/gitlab/oauth/revoke", post(gitlab_revoke))
            .route(
                "/bitbucket-web/site/oauth2/authorize",
                get(consent_page).post(consent_decision),
            )
            .route(
                "/bitbucket-web/site/oauth2/access_token",
                post(token_endpoint),
            )
            .route("/github/repos/{owner}/{repo}", get(github_repo))
            .route("/ghe/api/v3/repos/{owner}/{repo}", get(github_repo))
            .route(
                "/github-web/orgs/{org}/sso",
                get(sso_page).post(sso_decision),
            )
            .route("/gitlab/api/v4/projects/{id}", get(gitlab_project))
            .route("/gitlab-sm/api/v4/projects/{id}", get(gitlab_project))
            .route(
                "/bitbucket/2.0/user/permissions/repositories",
                get(bitbucket_permissions),
            )
            .route(
                "/bitbucket-server/rest/api/1.0/projects/{key}/repos/{slug}",
                get(bitbucket_server_repo),
            )
            .route(
                "/bitbucket-server/rest/api/1.0/repos",
                get(bitbucket_server_repos),
            )
            .route("/_emulator/repos", post(register_repo))
            .route("/_emulator/oauth-clients", post(register_client))
            .route("/_emulator/tokens", post(register_token))
            .route("/_emulator/tokens/{token}/revoke", post(revoke_token))
            .with_state(self.clone())
    }

    /// Serves on `addr` in the background; returns the bound address.
    pub async fn spawn(&self, addr: &str) -> anyhow::Result<std::net::SocketAddr> {
        use axum::serve::ListenerExt;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("provider emulator cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr()?;
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
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

async fn register_repo(State(emu): State<Emulator>, Json(r): Json<FakeRepo>) -> StatusCode {
    if r.path.is_empty() {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    emu.register_repo(r);
    StatusCode::CREATED
}

async fn revoke_token(State(emu): State<Emulator>, Path(token): Path<String>) -> StatusCode {
    if emu.revoke(&token) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
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

/// A header value from text the emulator was given; bytes a header cannot carry are dropped.
fn header_value(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap_or_else(|_| {
        let kept: String = v
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .collect();
        HeaderValue::from_str(&kept).unwrap_or(HeaderValue::from_static(""))
    })
}
