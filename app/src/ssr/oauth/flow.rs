//! The authorization-code flow: start (PKCE, state kept in the session) and callback.

use super::{app_for, client, redirect_uri, store_refresh, Issued, FLOW_KEY, FLOW_TTL_SECS};
use crate::error::AppError;
use crate::model::AuditAction;
use crate::model::RuntimeRow;
use crate::ssr::{providers, store, tokens, AppState};
use chrono::{DateTime, Utc};
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, Scope};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

/// A flow under way, kept in the (server-side) session.
#[derive(Serialize, Deserialize)]
struct Flow {
    state: String,
    verifier: String,
    user_id: i64,
    runtime_id: i64,
    started_at: i64,
    /// The OAuth app it started with (flows kept from before this was recorded match none).
    #[serde(default)]
    app_id: i64,
    #[serde(default)]
    app_version: i64,
}

/// Starts authorizing a runtime: returns the provider's authorize URL to send the user to.
pub async fn start(
    st: &AppState,
    session: &Session,
    user_id: i64,
    runtime_id: i64,
) -> Result<String, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                "No such GitOps Runtime, or you are not a member of its account.".into(),
            )
        })?;
    // Each start sends the user to a provider, and its callback asks that provider twice.
    store::rate_limits::per_user(&st.pool, "oauth-start", user_id, st.user_provider_calls).await?;
    let app = app_for(st, runtime.account_id, runtime.provider)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "OAuth2 is not set up for {} in this account.",
                runtime.provider.family()
            ))
        })?;
    let client = client(&app, &redirect_uri(&st.public_url))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(app.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    let flow = Flow {
        state: csrf.secret().clone(),
        verifier: verifier.secret().clone(),
        user_id,
        runtime_id,
        started_at: Utc::now().timestamp(),
        app_id: app.id,
        app_version: app.version,
    };
    session
        .insert(FLOW_KEY, flow)
        .await
        .map_err(|e| AppError::internal("could not keep the OAuth flow", e))?;
    Ok(url.to_string())
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn flow_failed() -> AppError {
    AppError::Invalid(
        "The authorization could not be completed: it was not started here, was already used, or took too long. No token was stored; try again.".into(),
    )
}

/// Finishes a flow: checks the state (single use, this session and user, not expired),
/// exchanges the code, validates the token like a pasted one, and stores it.
pub async fn callback(
    st: &AppState,
    session: &Session,
    user_id: i64,
    q: CallbackQuery,
    client_addr: Option<String>,
    now: DateTime<Utc>,
) -> Result<RuntimeRow, AppError> {
    // Taken out first, so a state is usable once whatever happens next.
    let flow: Option<Flow> = session
        .remove(FLOW_KEY)
        .await
        .map_err(|e| AppError::internal("could not read the OAuth flow", e))?;
    let Some(flow) = flow else {
        return Err(flow_failed());
    };
    let state_ok = q
        .state
        .as_deref()
        .is_some_and(|s| constant_time_eq(s.as_bytes(), flow.state.as_bytes()));
    let fresh = now.timestamp() - flow.started_at <= FLOW_TTL_SECS;
    if !state_ok || !fresh || flow.user_id != user_id {
        tracing::warn!(user_id, state_ok, fresh, "OAuth callback refused");
        return Err(flow_failed());
    }
    let runtime = store::runtime_for_user(&st.pool, user_id, flow.runtime_id)
        .await?
        .ok_or_else(flow_failed)?;
    let family = runtime.provider.family();
    if let Some(err) = q.error {
        return Err(AppError::Invalid(if err == "access_denied" {
            format!("Authorization was cancelled at {family}. No token was stored.")
        } else {
            // The provider's words came through the URL: shown clean and short.
            let err = crate::ssr::providers::shown(&err);
            format!("{family} did not authorize access ({err}). No token was stored.")
        }));
    }
    let code = q
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(flow_failed)?;
    let app = app_for(st, runtime.account_id, runtime.provider)
        .await?
        .ok_or_else(|| {
            AppError::Invalid("The OAuth app was removed meanwhile. No token was stored.".into())
        })?;
    // The code is exchanged only with the app it was issued for, as it was then.
    if (app.id, app.version) != (flow.app_id, flow.app_version) {
        return Err(AppError::Invalid(
            "The OAuth app was changed while you were authorizing. No token was stored; start again."
                .into(),
        ));
    }
    let client = client(&app, &redirect_uri(&st.public_url))?;
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier))
        .request_async(&|req| super::endpoint_call(st.http.clone(), req))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, runtime_id = runtime.id, "OAuth code exchange failed");
            AppError::Invalid(format!(
                "{family} did not issue a token. No token was stored; try again."
            ))
        })?;
    let issued = Issued::from_response(&token, &app);
    let checked = providers::validate_for_runtime(
        &st.http,
        runtime.provider,
        &runtime.api_url,
        runtime.repo.as_deref(),
        providers::Presented::Oauth {
            token: &issued.access,
            granted: &issued.scopes,
        },
    )
    .await
    .map_err(|e| AppError::Invalid(format!("{e} No token was stored.")))?;
    let identity = providers::Identity {
        expires_at: issued.expires_at.or(checked.identity.expires_at),
        ..checked.identity
    };
    // The token, its refresh token and the audit event commit together.
    let mut tx = st.pool.begin().await?;
    tokens::save(
        &mut tx,
        &st.keys,
        &tokens::Validated {
            user_id,
            runtime_id: runtime.id,
            method: crate::model::TokenMethod::Oauth,
            token: &issued.access,
            username: None,
            identity: &identity,
            sso_url: checked.sso_url.as_deref(),
        },
    )
    .await?;
    if let Some(refresh) = &issued.refresh {
        store_refresh(&mut tx, &st.keys, user_id, runtime.id, refresh).await?;
    }
    store::audit(
        &mut tx,
        Some(user_id),
        Some(runtime.id),
        AuditAction::TokenOauth,
        "",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(runtime)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
