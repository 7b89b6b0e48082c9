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
}

#[derive(Clone, Default)]
pub struct Emulator {
    tokens: Arc<Mutex<HashMap<String, FakeToken>>>,
    oauth: Arc<Mutex<OAuthState>>,
}

impl Emulator {
    pub fn register(&self, t: FakeToken) {
        self.tokens.lock().unwrap().insert(t.token.clone(), t);
    }

    pub fn register_client(&self, c: OAuthClient) {
        self.oauth
            .lock()
            .unwrap()
            .clients
            .insert(c.client_id.clone(), c);
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
            .route(
                "/bitbucket-web/site/oauth2/authorize",
                get(consent_page).post(consent_decision),
            )
            .route(
                "/bitbucket-web/site/oauth2/access_token",
                post(token_endpoint),
            )
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

async fn register_client(State(emu): State<Emulator>, Json(c): Json<OAuthClient>) -> StatusCode {
    if c.client_id.is_empty() || c.client_secret.is_empty() {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    emu.register_client(c);
    StatusCode::CREATED
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    response_type: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    decision: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn flavor(path: &str) -> &'static str {
    if path.starts_with("/github") {
        "GitHub"
    } else if path.starts_with("/gitlab") {
        "GitLab"
    } else {
        "Bitbucket"
    }
}

/// The provider's consent page: who asks for what, with **Authorize** and **Cancel**.
async fn consent_page(
    State(emu): State<Emulator>,
    uri: axum::http::Uri,
    axum::extract::Query(q): axum::extract::Query<AuthorizeQuery>,
) -> Response {
    let provider = flavor(uri.path());
    let known = emu.oauth.lock().unwrap().clients.contains_key(&q.client_id);
    if !known || q.response_type != "code" || url::Url::parse(&q.redirect_uri).is_err() {
        return (StatusCode::BAD_REQUEST, axum::response::Html(format!(
            "<!doctype html><title>{provider}</title><h1>The application could not be authorized</h1><p>Unknown client, or a malformed request.</p>"
        )))
        .into_response();
    }
    let hidden = |name: &str, value: &str| {
        format!(
            r#"<input type="hidden" name="{name}" value="{}">"#,
            escape(value)
        )
    };
    let fields = [
        hidden("client_id", &q.client_id),
        hidden("redirect_uri", &q.redirect_uri),
        hidden("scope", &q.scope),
        hidden("state", &q.state),
        hidden("response_type", &q.response_type),
        hidden(
            "code_challenge",
            q.code_challenge.as_deref().unwrap_or_default(),
        ),
        hidden(
            "code_challenge_method",
            q.code_challenge_method.as_deref().unwrap_or_default(),
        ),
    ]
    .concat();
    axum::response::Html(format!(
        r#"<!doctype html><html lang="en"><head><title>Authorize application · {provider}</title></head>
<body style="font-family:system-ui;max-width:32rem;margin:4rem auto">
<h1>Authorize {client}</h1>
<p>{client} wants to access your {provider} account with these permissions: <strong>{scopes}</strong>.</p>
<form method="post">{fields}
<button type="submit" name="decision" value="cancel">Cancel</button>
<button type="submit" name="decision" value="authorize">Authorize</button>
</form></body></html>"#,
        client = escape(&q.client_id),
        scopes = escape(&q.scope),
    ))
    .into_response()
}

/// A random token: `prefix` and 36 alphanumerics.
pub fn random_token(prefix: &str) -> String {
    use rand::Rng;
    let s: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    format!("{prefix}{s}")
}

async fn consent_decision(
    State(emu): State<Emulator>,
    axum::Form(q): axum::Form<AuthorizeQuery>,
) -> Response {
    let Ok(mut back) = url::Url::parse(&q.redirect_uri) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if !emu.oauth.lock().unwrap().clients.contains_key(&q.client_id) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    if q.decision.as_deref() == Some("authorize") {
        let code = random_token("");
        emu.oauth.lock().unwrap().codes.insert(
            code.clone(),
            Grant {
                client_id: q.client_id.clone(),
                redirect_uri: q.redirect_uri.clone(),
                scopes: q
                    .scope
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                challenge: q.code_challenge.clone().filter(|c| !c.is_empty()),
            },
        );
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &q.state);
    } else {
        back.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The user has denied your application access.",
            )
            .append_pair("state", &q.state);
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: String,
    refresh_token: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The token endpoint: authorization code (with PKCE) and refresh token grants. GitHub answers
/// errors with 200 and an `error` field; GitLab and Bitbucket with 400/401.
async fn token_endpoint(
    State(emu): State<Emulator>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TokenForm>,
) -> Response {
    let provider = flavor(uri.path());
    let fail = |status: StatusCode, error: &str, description: &str| {
        let status = if provider == "GitHub" {
            StatusCode::OK
        } else {
            status
        };
        (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response()
    };
    let (client_id, secret) = match basic(&headers) {
        Some((u, p)) => (u, p),
        None => (
            f.client_id.clone().unwrap_or_default(),
            f.client_secret.clone().unwrap_or_default(),
        ),
    };
    let mut st = emu.oauth.lock().unwrap();
    let Some(client) = st
        .clients
        .get(&client_id)
        .cloned()
        .filter(|c| c.client_secret == secret)
    else {
        return fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    };
    let scopes = match f.grant_type.as_str() {
        "authorization_code" => {
            let Some(grant) = st.codes.remove(&f.code) else {
                return fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The code is invalid, expired or already used.",
                );
            };
            if grant.client_id != client_id || grant.redirect_uri != f.redirect_uri {
                return fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The redirect_uri does not match.",
                );
            }
            if let Some(challenge) = &grant.challenge {
                use sha2::{Digest, Sha256};
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(Sha256::digest(f.code_verifier.as_bytes()));
                if &computed != challenge {
                    return fail(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "The code_verifier does not match the code_challenge.",
                    );
                }
            }
            grant.scopes
        }
        "refresh_token" => match st.refresh.remove(&f.refresh_token) {
            Some((cid, scopes)) if cid == client_id => scopes,
            _ => {
                return fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token is invalid.",
                )
            }
        },
        _ => {
            return fail(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Unsupported grant type.",
            )
        }
    };
    let prefix = match provider {
        "GitHub" if client.token_lifetime_secs.is_some() => "ghu_",
        "GitHub" => "gho_",
        "GitLab" => "glo-",
        _ => "bbo-",
    };
    let access = random_token(prefix);
    let expires_at = client
        .token_lifetime_secs
        .map(|s| Utc::now() + chrono::Duration::seconds(s));
    let mut body = json!({
        "access_token": access,
        "token_type": "bearer",
        "scope": if provider == "GitHub" { scopes.join(",") } else { scopes.join(" ") },
    });
    if let Some(secs) = client.token_lifetime_secs {
        let refresh = random_token(if provider == "GitHub" { "ghr_" } else { "" });
        st.refresh
            .insert(refresh.clone(), (client_id.clone(), scopes.clone()));
        body["expires_in"] = json!(secs);
        body["refresh_token"] = json!(refresh);
    }
    drop(st);
    emu.register(FakeToken {
        token: access,
        login: client.login.clone(),
        scopes,
        expires_at,
        ..Default::default()
    });
    Json(body).into_response()
}

/// OAuth apps `gitpat demo` registers in its emulator and configures for the Acme account.
pub fn demo_clients() -> Vec<(
    app::model::ProviderKind,
    OAuthClient,
    &'static str,
    &'static str,
    &'static str,
)> {
    use app::model::ProviderKind;
    vec![
        (
            ProviderKind::Github,
            OAuthClient {
                client_id: "demo-github-app".into(),
                client_secret: "demo-github-secret".into(),
                login: "dana-demo".into(),
                token_lifetime_secs: None,
            },
            "/github-web/login/oauth/authorize",
            "/github-web/login/oauth/access_token",
            "repo read:org",
        ),
        (
            ProviderKind::Gitlab,
            OAuthClient {
                client_id: "demo-gitlab-app".into(),
                client_secret: "demo-gitlab-secret".into(),
                login: "dana.demo".into(),
                token_lifetime_secs: Some(7200),
            },
            "/gitlab/oauth/authorize",
            "/gitlab/oauth/token",
            "write_repository read_api",
        ),
    ]
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
