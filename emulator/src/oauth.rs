//! The OAuth2 authorization-code flow with PKCE, as GitHub, GitLab and Bitbucket run it.

use super::*;

pub(crate) async fn register_client(
    State(emu): State<Emulator>,
    Json(c): Json<OAuthClient>,
) -> StatusCode {
    if c.client_id.is_empty() || c.client_secret.is_empty() {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    emu.register_client(c);
    StatusCode::CREATED
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    response_type: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    decision: Option<String>,
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn flavor(path: &str) -> &'static str {
    if path.starts_with("/github") {
        "GitHub"
    } else if path.starts_with("/gitlab") {
        "GitLab"
    } else {
        "Bitbucket"
    }
}

/// The provider's consent page: who asks for what, with **Authorize** and **Cancel**.
pub(crate) async fn consent_page(
    State(emu): State<Emulator>,
    uri: axum::http::Uri,
    axum::extract::Query(q): axum::extract::Query<AuthorizeQuery>,
) -> Response {
    let provider = flavor(uri.path());
    let known = emu
        .oauth
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clients
        .contains_key(&q.client_id);
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
pub(crate) fn random_token(prefix: &str) -> String {
    use rand::Rng;
    let s: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    format!("{prefix}{s}")
}

pub(crate) async fn consent_decision(
    State(emu): State<Emulator>,
    axum::Form(q): axum::Form<AuthorizeQuery>,
) -> Response {
    let Ok(mut back) = url::Url::parse(&q.redirect_uri) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if !emu
        .oauth
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clients
        .contains_key(&q.client_id)
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    if q.decision.as_deref() == Some("authorize") {
        let code = random_token("");
        emu.oauth
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .codes
            .insert(
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
pub(crate) struct TokenForm {
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
pub(crate) async fn token_endpoint(
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
    let mut st = emu.oauth.lock().unwrap_or_else(PoisonError::into_inner);
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
    if f.grant_type == "refresh_token" {
        emu.count_refresh(&f.refresh_token);
    }
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
    st.issued.insert(access.clone(), client_id.clone());
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

/// Whether `client_id`'s app issued the access token `token`.
fn issued_by(emu: &Emulator, token: &str, client_id: &str) -> bool {
    emu.oauth
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .issued
        .get(token)
        .is_some_and(|c| c == client_id)
}

/// The client the request authenticates as (Basic auth, else form fields), if its secret is right.
fn authenticated_client(
    emu: &Emulator,
    headers: &HeaderMap,
    form: Option<(&str, &str)>,
) -> Option<String> {
    let (id, secret) =
        basic(headers).or_else(|| form.map(|(i, s)| (i.to_string(), s.to_string())))?;
    let st = emu.oauth.lock().unwrap_or_else(PoisonError::into_inner);
    st.clients
        .get(&id)
        .filter(|c| c.client_secret == secret)
        .map(|_| id)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct GithubRevokeBody {
    access_token: String,
}

/// GitHub REST "Delete an app token": `DELETE /applications/{client_id}/token`, Basic auth with
/// the app's client id and secret, `{"access_token": …}`; `204` when revoked, `404` for a token
/// the app did not issue (or no longer has), `401` for wrong client credentials.
pub(crate) async fn github_revoke(
    State(emu): State<Emulator>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Option<Json<GithubRevokeBody>>,
) -> Response {
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            Json(json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token" })),
        )
            .into_response()
    };
    match authenticated_client(&emu, &headers, None) {
        Some(id) if id == client_id => {}
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "message": "Bad credentials" })),
            )
                .into_response()
        }
    }
    let Some(Json(body)) = body else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "message": "Validation Failed" })),
        )
            .into_response();
    };
    let issued_here = issued_by(&emu, &body.access_token, &client_id);
    if !issued_here || emu.is_revoked(&body.access_token) || !emu.revoke(&body.access_token) {
        return not_found();
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RevokeForm {
    token: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// GitLab "OAuth 2.0 identity provider API", revoke a token (RFC 7009): `POST /oauth/revoke` with
/// `token` and the client's credentials; `200 {}` whether or not the token was known, `401` for
/// wrong client credentials. A token of another client is left alone.
pub(crate) async fn gitlab_revoke(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<RevokeForm>,
) -> Response {
    let form = f.client_id.as_deref().zip(f.client_secret.as_deref());
    let Some(client_id) = authenticated_client(&emu, &headers, form) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client", "error_description": "Client authentication failed." })),
        )
            .into_response();
    };
    let issued_here = issued_by(&emu, &f.token, &client_id);
    if issued_here {
        emu.revoke(&f.token);
    }
    Json(json!({})).into_response()
}
