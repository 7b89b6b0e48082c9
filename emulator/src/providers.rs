//! The identity endpoints gitpat validates tokens with, one per provider family.

use super::*;

// GitHub: `GET /user`; scopes in `X-OAuth-Scopes` (classic and OAuth tokens only), expiry in
// `GitHub-Authentication-Token-Expiration`; 401 `Bad credentials` for unknown, revoked or expired.
pub(crate) async fn github_user(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
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
    if let Some(message) = &t.refusal {
        let body =
            json!({ "message": message, "documentation_url": "https://docs.github.com/rest" });
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    let mut res = Json(json!({
        "login": t.login,
        "id": 1000 + t.login.len(),
        "type": "User",
        "name": t.login,
        "bio": "b".repeat(t.bio_bytes),
    }))
    .into_response();
    let h = res.headers_mut();
    if !t.token.starts_with("github_pat_") {
        h.insert("x-oauth-scopes", header_value(&t.scopes.join(", ")));
        h.insert("x-accepted-oauth-scopes", HeaderValue::from_static(""));
    }
    if let Some(e) = t.expires_at {
        let v = e.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        h.insert("github-authentication-token-expiration", header_value(&v));
    }
    h.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    res
}

pub(crate) fn gitlab_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| bearer(headers))
}

/// GitLab answers 401 with `invalid_token` for revoked and expired tokens, and a bare message otherwise.
pub(crate) fn gitlab_check(
    emu: &Emulator,
    headers: &HeaderMap,
) -> Result<FakeToken, Box<Response>> {
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

pub(crate) async fn gitlab_token_self(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
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

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RotateBody {
    expires_at: Option<String>,
}

/// GitLab REST "Rotate a personal access token" (`POST /personal_access_tokens/self/rotate`):
/// a new token with the same scopes (expiring in a week unless `expires_at` says otherwise); the
/// old one is revoked. Presenting a token that was already rotated is taken as a leak: GitLab
/// then revokes the token it was rotated into too (and answers 401).
pub(crate) async fn gitlab_rotate(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    body: Option<Json<RotateBody>>,
) -> Response {
    let presented = gitlab_token(&headers).unwrap_or_default();
    let t = match gitlab_check(&emu, &headers) {
        Ok(t) => t,
        Err(r) => {
            if let Some(newer) = emu.rotated_into(&presented) {
                emu.revoke(&newer);
            }
            return *r;
        }
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    let expires_at = body
        .and_then(|Json(b)| b.expires_at)
        .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(7));
    let new = super::oauth::random_token("glpat-");
    emu.revoke(&t.token);
    emu.register(FakeToken {
        token: new.clone(),
        expires_at: Some(expires_at),
        revoked: false,
        ..t.clone()
    });
    emu.record_rotation(&t.token, &new);
    Json(json!({
        "id": 43,
        "name": "gitpat",
        "revoked": false,
        "created_at": Utc::now().to_rfc3339(),
        "scopes": t.scopes,
        "user_id": 7,
        "last_used_at": null,
        "active": true,
        "expires_at": expires_at.format("%Y-%m-%d").to_string(),
        "token": new,
    }))
    .into_response()
}

pub(crate) async fn gitlab_user(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
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
pub(crate) async fn bitbucket_user(State(emu): State<Emulator>, headers: HeaderMap) -> Response {
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
    res.headers_mut()
        .insert("x-oauth-scopes", header_value(&t.scopes.join(", ")));
    res
}

// Bitbucket Server / Data Center: any authenticated call answers with `X-AUSERNAME`.
pub(crate) async fn bitbucket_server_properties(
    State(emu): State<Emulator>,
    headers: HeaderMap,
) -> Response {
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
        .insert("x-ausername", header_value(&t.login));
    res
}
