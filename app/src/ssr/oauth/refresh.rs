//! The refresh job: OAuth tokens about to expire are renewed with their refresh token.

use super::{app_for, client, Issued};
use crate::model::{ProviderKind, TokenStatus};
use crate::ssr::crypto::{Keyring, Sealed, Secret};
use crate::ssr::db::{on_db, Exec};
use crate::ssr::providers;
use crate::ssr::tokens;
use crate::ssr::AppState;
use chrono::{DateTime, Utc};
use oauth2::RefreshToken;
use sqlx::FromRow;

pub(crate) fn refresh_aad(user_id: i64, runtime_id: i64) -> String {
    format!("gitpat/refresh/user={user_id}/runtime={runtime_id}")
}

/// Keeps a refresh token (sealed) beside the access token it renews.
pub(super) async fn store_refresh(
    db: impl Into<Exec<'_>>,
    keys: &Keyring,
    user_id: i64,
    runtime_id: i64,
    refresh: &Secret,
) -> sqlx::Result<()> {
    let sealed = keys.seal(refresh, &refresh_aad(user_id, runtime_id));
    on_db!(db, |e| {
        sqlx::query("UPDATE git_tokens SET refresh_key_id = $1, refresh_ciphertext = $2 WHERE user_id = $3 AND runtime_id = $4")
        .bind(&sealed.key_id)
        .bind(&sealed.blob)
        .bind(user_id)
        .bind(runtime_id)
        .execute(e)
        .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(FromRow)]
struct Refreshable {
    user_id: i64,
    runtime_id: i64,
    account_id: i64,
    provider: ProviderKind,
    api_url: String,
    ciphertext: Vec<u8>,
    refresh_key_id: String,
    refresh_ciphertext: Vec<u8>,
}

/// What one refresh pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RefreshReport {
    pub refreshed: usize,
    pub failed: usize,
    /// Due, but another node had claimed them (or refreshed them meanwhile).
    pub claimed_elsewhere: usize,
    /// Left as they were (to be tried on the next pass): the provider could not be reached.
    pub unreachable: usize,
}

/// Why a refresh did not happen.
enum Failure {
    /// The provider (or gitpat's own records) said no: the token is invalid now.
    Refused(String),
    /// No verdict: the provider could not be reached. The token stays as it was.
    Unreachable(String),
}

/// How long a claim on a refresh keeps other nodes off it: longer than a refresh takes (two
/// provider calls of at most 5 s each); a node that dies mid-refresh frees it after this.
const CLAIM_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// Refreshes OAuth tokens that expire before `horizon` (or have expired). The new access and
/// refresh tokens replace the old ones in one statement, and only if nothing replaced the token
/// meanwhile; a refused refresh turns the token `invalid` with its reason.
pub async fn refresh_due(st: &AppState, horizon: DateTime<Utc>) -> anyhow::Result<RefreshReport> {
    let due: Vec<Refreshable> = on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT t.user_id, t.runtime_id, r.account_id, r.provider, r.api_url, t.ciphertext,
                t.refresh_key_id, t.refresh_ciphertext
         FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.method = 'oauth' AND t.refresh_ciphertext IS NOT NULL
           AND t.expires_at IS NOT NULL AND t.expires_at < $1 AND t.status != 'invalid'",
    )
    .bind(horizon)
    .fetch_all(e)
    .await)?;
    let mut report = RefreshReport::default();
    for t in due {
        // Claimed before the provider is asked: a refresh token is spent once across nodes.
        let now = Utc::now();
        let claimed = on_db!(&st.pool, |e| sqlx::query(
            "UPDATE git_tokens SET refresh_claimed_until = $1
             WHERE user_id = $2 AND runtime_id = $3 AND ciphertext = $4
               AND (refresh_claimed_until IS NULL OR refresh_claimed_until < $5)",
        )
        .bind(now + CLAIM_TTL)
        .bind(t.user_id)
        .bind(t.runtime_id)
        .bind(&t.ciphertext)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?
            == 1;
        if !claimed {
            report.claimed_elsewhere += 1;
            continue;
        }
        match refresh_one(st, &t).await {
            Ok(()) => report.refreshed += 1,
            Err(Failure::Unreachable(reason)) => {
                report.unreachable += 1;
                tracing::warn!(user_id = t.user_id, runtime_id = t.runtime_id, %reason, "token refresh postponed");
                on_db!(&st.pool, |e| sqlx::query(
                    "UPDATE git_tokens SET refresh_claimed_until = NULL
                     WHERE user_id = $1 AND runtime_id = $2 AND ciphertext = $3",
                )
                .bind(t.user_id)
                .bind(t.runtime_id)
                .bind(&t.ciphertext)
                .execute(e)
                .await
                .map(|r| r.rows_affected()))?;
            }
            Err(Failure::Refused(reason)) => {
                report.failed += 1;
                tracing::warn!(user_id = t.user_id, runtime_id = t.runtime_id, %reason, "token refresh failed");
                on_db!(&st.pool, |e| sqlx::query(
                    "UPDATE git_tokens SET status = $1, last_error = $2, last_validated_at = $3,
                         refresh_claimed_until = NULL
                     WHERE user_id = $4 AND runtime_id = $5 AND ciphertext = $6",
                )
                .bind(TokenStatus::Invalid)
                .bind(format!("The token could not be refreshed: {reason}"))
                .bind(Utc::now())
                .bind(t.user_id)
                .bind(t.runtime_id)
                .bind(&t.ciphertext)
                .execute(e)
                .await
                .map(|r| r.rows_affected()))?;
            }
        }
    }
    metrics::counter!("gitpat_oauth_refreshes_total", "result" => "refreshed")
        .increment(report.refreshed as u64);
    metrics::counter!("gitpat_oauth_refreshes_total", "result" => "failed")
        .increment(report.failed as u64);
    metrics::counter!("gitpat_oauth_refreshes_total", "result" => "unreachable")
        .increment(report.unreachable as u64);
    Ok(report)
}

async fn refresh_one(st: &AppState, t: &Refreshable) -> Result<(), Failure> {
    let provider = t.provider;
    let refused = |why: String| Failure::Refused(why);
    let app = app_for(st, t.account_id, provider)
        .await
        .map_err(|_| refused("the OAuth app could not be read".into()))?
        .ok_or_else(|| refused("the account's OAuth app was removed".into()))?;
    let refresh = st
        .keys
        .open(
            &Sealed {
                key_id: t.refresh_key_id.clone(),
                blob: t.refresh_ciphertext.clone(),
            },
            &refresh_aad(t.user_id, t.runtime_id),
        )
        .map_err(|e| refused(e.to_string()))?;
    // The redirect URI plays no part in a refresh; any valid URL satisfies the builder.
    let placeholder = url::Url::parse("http://localhost/").expect("static URL");
    let client = client(&app, &placeholder).map_err(|e| refused(e.to_string()))?;
    let response = client
        .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_string()))
        .request_async(&|req| super::endpoint_call(st.http.clone(), req))
        .await
        .map_err(|e| match e {
            oauth2::RequestTokenError::ServerResponse(_) => {
                refused(format!("{} refused the refresh token", provider.family()))
            }
            _ => Failure::Unreachable(format!("{} could not be reached", provider.family())),
        })?;
    let issued = Issued::from_response(&response, &app);
    let identity = match providers::validate_oauth(
        &st.http,
        provider,
        &t.api_url,
        &issued.access,
        &issued.scopes,
    )
    .await
    {
        Ok(id) => Ok(id),
        // The refresh token is spent: keep what was issued, marked unreachable until checked.
        Err(e) if e.is_unreachable() => Err(e.to_string()),
        Err(e) => return Err(refused(e.to_string())),
    };
    let now = Utc::now();
    let (login, expires_at, status, error) = match identity {
        Ok(id) => {
            let expires_at = issued.expires_at.or(id.expires_at);
            (
                Some(id.login),
                expires_at,
                TokenStatus::from_expiry(expires_at, now),
                None,
            )
        }
        Err(why) => (None, issued.expires_at, TokenStatus::Unreachable, Some(why)),
    };
    let access = st.keys.seal(
        &issued.access,
        &crate::ssr::crypto::token_aad(t.user_id, t.runtime_id),
    );
    // Providers may rotate the refresh token; keep the old one only if none came back.
    let refresh_sealed = issued
        .refresh
        .as_ref()
        .map(|r| st.keys.seal(r, &refresh_aad(t.user_id, t.runtime_id)));
    let done = on_db!(&st.pool, |e| sqlx::query(
        "UPDATE git_tokens SET key_id = $1, ciphertext = $2, last4 = $3, fingerprint = $4,
             refresh_key_id = COALESCE($5, refresh_key_id), refresh_ciphertext = COALESCE($6, refresh_ciphertext),
             expires_at = $7, status = $8, last_validated_at = $9, last_error = $10,
             provider_login = COALESCE($11, provider_login), updated_at = $12, refresh_claimed_until = NULL
         WHERE user_id = $13 AND runtime_id = $14 AND ciphertext = $15",
    )
    .bind(&access.key_id)
    .bind(&access.blob)
    .bind(tokens::last4(issued.access.expose()))
    .bind(st.keys.fingerprint(&issued.access))
    .bind(refresh_sealed.as_ref().map(|s| s.key_id.clone()))
    .bind(refresh_sealed.as_ref().map(|s| s.blob.clone()))
    .bind(expires_at)
    .bind(status)
    .bind(now)
    .bind(error)
    .bind(login)
    .bind(now)
    .bind(t.user_id)
    .bind(t.runtime_id)
    .bind(&t.ciphertext)
    .execute(e)
    .await.map(|r| r.rows_affected()))
    .map_err(|e| {
        tracing::error!(error = %e, "storing a refreshed token failed");
        refused("the refreshed token could not be stored".into())
    })?;
    if done == 0 {
        tracing::info!(
            user_id = t.user_id,
            runtime_id = t.runtime_id,
            "token replaced during refresh; kept the new one"
        );
    }
    Ok(())
}
