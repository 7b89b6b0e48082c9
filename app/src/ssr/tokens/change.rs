//! Adding, replacing and deleting a user's token for a runtime, and hiding its notifications.
//! Each change commits with its audit event.

use super::{last4, no_runtime, NewToken};
use crate::error::AppError;
use crate::model::AuditAction;
use crate::model::{check_token_input, check_username_input, RuntimeRow, TokenMethod, TokenStatus};
use crate::ssr::crypto::{token_aad, Keyring, Secret};
use crate::ssr::db::{on_db, Exec};
use crate::ssr::providers::{self, Identity};
use crate::ssr::{store, AppState};
use chrono::Utc;

/// Validates the token at the runtime's provider and, only if it passes, stores it (replacing
/// any previous one in a single statement). Returns the runtime it was stored for.
pub async fn add_pat(
    st: &AppState,
    user_id: i64,
    req: NewToken,
    client_addr: Option<String>,
) -> Result<RuntimeRow, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, req.runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    // Each attempt asks a provider.
    store::rate_limits::per_user(&st.pool, "add-token", user_id, st.user_provider_calls).await?;
    let token = check_token_input(req.token.expose()).map_err(AppError::Invalid)?;
    let token = Secret::new(token);
    let username = if runtime.provider.needs_username() {
        Some(
            check_username_input(req.username.as_deref().unwrap_or_default())
                .map_err(AppError::Invalid)?
                .to_string(),
        )
    } else {
        None
    };
    let identity = providers::validate(
        &st.http,
        runtime.provider,
        &runtime.api_url,
        username.as_deref(),
        &token,
    )
    .await
    .map_err(|e| {
        tracing::info!(runtime_id = runtime.id, verdict = %e, "token refused");
        AppError::Invalid(e.to_string())
    })?;
    // The token and its audit event commit together.
    let mut tx = st.pool.begin().await?;
    let replaced = save(
        &mut tx,
        &st.keys,
        &Validated {
            user_id,
            runtime_id: runtime.id,
            method: TokenMethod::Pat,
            token: &token,
            username: username.as_deref(),
            identity: &identity,
        },
    )
    .await?;
    store::audit(
        &mut tx,
        Some(user_id),
        Some(runtime.id),
        if replaced {
            AuditAction::TokenReplace
        } else {
            AuditAction::TokenAdd
        },
        "method=pat",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id, runtime_id = runtime.id, "token stored");
    Ok(runtime)
}

/// A token its provider has just confirmed, ready to be stored for a user and runtime.
pub struct Validated<'a> {
    pub user_id: i64,
    pub runtime_id: i64,
    /// `pat` or `oauth`.
    pub method: TokenMethod,
    pub token: &'a Secret,
    /// Bitbucket's username (or Atlassian account email) beside the token.
    pub username: Option<&'a str>,
    pub identity: &'a Identity,
}

/// Stores a validated token (encrypted) for a user and runtime, replacing any earlier one;
/// returns whether one was replaced.
pub async fn save(
    db: impl Into<Exec<'_>>,
    keys: &Keyring,
    v: &Validated<'_>,
) -> Result<bool, AppError> {
    let Validated {
        user_id,
        runtime_id,
        method,
        token,
        username,
        identity,
    } = *v;
    let sealed = keys.seal(token, &token_aad(user_id, runtime_id));
    let now = Utc::now();
    let status = TokenStatus::from_expiry(identity.expires_at, now);
    // `created_at < updated_at` only when an existing row was updated: a replacement.
    let replaced: bool = on_db!(db, |e| {
        sqlx::query_scalar(
        "INSERT INTO git_tokens (user_id, runtime_id, method, key_id, ciphertext, last4, fingerprint,
             username, scopes, provider_login, expires_at, status, last_validated_at, last_error,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15)
         ON CONFLICT (user_id, runtime_id) DO UPDATE SET
             method = excluded.method, key_id = excluded.key_id, ciphertext = excluded.ciphertext,
             last4 = excluded.last4, fingerprint = excluded.fingerprint, username = excluded.username,
             scopes = excluded.scopes, provider_login = excluded.provider_login,
             expires_at = excluded.expires_at, refresh_key_id = NULL, refresh_ciphertext = NULL,
             status = excluded.status, last_validated_at = excluded.last_validated_at,
             last_error = NULL, updated_at = excluded.updated_at
         RETURNING created_at < updated_at",
    )
    .bind(user_id)
    .bind(runtime_id)
    .bind(method)
    .bind(&sealed.key_id)
    .bind(&sealed.blob)
    .bind(last4(token.expose()))
    .bind(keys.fingerprint(token))
    .bind(username)
    .bind(identity.scopes.as_ref().map(|s| s.join(" ")))
    .bind(&identity.login)
    .bind(identity.expires_at)
    .bind(status)
    .bind(now)
    .bind(now)
    .bind(now)
    .fetch_one(e)
    .await
    })?;
    Ok(replaced)
}

/// Deletes this user's token for this runtime; nobody else's, and not the runtime.
pub async fn delete(
    st: &AppState,
    user_id: i64,
    runtime_id: i64,
    client_addr: Option<String>,
) -> Result<RuntimeRow, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let mut tx = st.pool.begin().await?;
    let done = on_db!(&mut tx, |e| sqlx::query(
        "DELETE FROM git_tokens WHERE user_id = $1 AND runtime_id = $2"
    )
    .bind(user_id)
    .bind(runtime_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(AppError::NotFound(format!(
            "There is no token for {} to delete.",
            runtime.name
        )));
    }
    store::audit(
        &mut tx,
        Some(user_id),
        Some(runtime_id),
        AuditAction::TokenDelete,
        "",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(runtime)
}

/// Hides (or shows again) the notifications of one runtime for this user.
pub async fn set_hidden(
    st: &AppState,
    user_id: i64,
    runtime_id: i64,
    hidden: bool,
    client_addr: Option<String>,
) -> Result<RuntimeRow, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let mut tx = st.pool.begin().await?;
    on_db!(&mut tx, |e| sqlx::query(
        "INSERT INTO notification_prefs (user_id, runtime_id, hidden) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, runtime_id) DO UPDATE SET hidden = excluded.hidden",
    )
    .bind(user_id)
    .bind(runtime_id)
    .bind(hidden)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let action = if hidden {
        AuditAction::NotificationsHide
    } else {
        AuditAction::NotificationsShow
    };
    store::audit(
        &mut tx,
        Some(user_id),
        Some(runtime_id),
        action,
        "",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(runtime)
}
