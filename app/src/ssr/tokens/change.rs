//! Adding, replacing and deleting a user's token for a runtime, and hiding its notifications.
//! Each change commits with its audit event.

use super::{last4, no_runtime, NewToken};
use crate::error::AppError;
use crate::model::AuditAction;
use crate::model::{
    check_token_input, check_username_input, revoke_page_url, AtProvider, Deleted, ProviderKind,
    RuntimeRow, TokenMethod, TokenPolicy, TokenStatus,
};
use crate::ssr::crypto::{token_aad, Keyring, Secret};
use crate::ssr::db::{on_db, Exec};
use crate::ssr::providers::{self, Identity, Presented};
use crate::ssr::{oauth, store, AppState};
use chrono::Utc;

/// Validates the token at the runtime's provider and, only if it passes, stores it (replacing
/// any previous one in a single statement). Returns the runtime it was stored for and the status
/// its row shows now.
pub async fn add_pat(
    st: &AppState,
    user_id: i64,
    req: NewToken,
    client_addr: Option<String>,
) -> Result<(RuntimeRow, TokenStatus), AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, req.runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let policy = check_pat_allowed(st, runtime.account_id, runtime.provider, &runtime.name).await?;
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
    let checked = providers::validate_for_runtime(
        &st.http,
        runtime.provider,
        &runtime.api_url,
        runtime.repo.as_deref(),
        Presented::Pat {
            token: &token,
            username: username.as_deref(),
        },
    )
    .await
    .map_err(|e| {
        tracing::info!(runtime_id = runtime.id, verdict = %e, "token refused");
        AppError::Invalid(e.to_string())
    })?;
    let identity = checked.identity;
    policy
        .check_expiry(identity.expires_at, Utc::now())
        .map_err(AppError::Invalid)?;
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
            sso_url: checked.sso_url.as_deref(),
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
    let status = match checked.sso_url {
        Some(_) => TokenStatus::NeedsSso,
        None => TokenStatus::from_expiry(identity.expires_at, Utc::now()),
    };
    Ok((runtime, status))
}

/// The account's token policy, for a pasted token on a runtime of that account and provider;
/// refused where the policy keeps pasted tokens out (OAuth only, and an OAuth app is set up).
pub(super) async fn check_pat_allowed(
    st: &AppState,
    account_id: i64,
    provider: ProviderKind,
    runtime_name: &str,
) -> Result<TokenPolicy, AppError> {
    let policy = store::policy(&st.pool, account_id).await?;
    if policy.pat_closed(oauth::app_exists(&st.pool, account_id, provider).await?) {
        return Err(AppError::Invalid(format!(
            "Your account admin allows OAuth2 only for {runtime_name}: use Authorize Access to {}.",
            provider.family()
        )));
    }
    Ok(policy)
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
    /// GitHub's single sign-on link, while it refuses the token for the runtime's repository.
    pub sso_url: Option<&'a str>,
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
        sso_url,
    } = *v;
    let sealed = keys.seal(token, &token_aad(user_id, runtime_id));
    let now = Utc::now();
    let status = TokenStatus::from_expiry(identity.expires_at, now);
    // `created_at < updated_at` only when an existing row was updated: a replacement.
    let replaced: bool = on_db!(db, |e| {
        sqlx::query_scalar(
        "INSERT INTO git_tokens (user_id, runtime_id, method, key_id, ciphertext, last4, fingerprint,
             username, scopes, provider_login, expires_at, status, last_validated_at, last_error,
             created_at, updated_at, token_since, sso_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, $14, $15, $15, $16)
         ON CONFLICT (user_id, runtime_id) DO UPDATE SET
             method = excluded.method, key_id = excluded.key_id, ciphertext = excluded.ciphertext,
             last4 = excluded.last4, fingerprint = excluded.fingerprint, username = excluded.username,
             scopes = excluded.scopes, provider_login = excluded.provider_login,
             expires_at = excluded.expires_at, refresh_key_id = NULL, refresh_ciphertext = NULL,
             status = excluded.status, last_validated_at = excluded.last_validated_at,
             last_error = NULL, updated_at = excluded.updated_at,
             -- Another token starts unused; the same one pasted again keeps its history.
             last_used_at = CASE WHEN git_tokens.fingerprint = excluded.fingerprint
                                 THEN git_tokens.last_used_at END,
             token_since = CASE WHEN git_tokens.fingerprint = excluded.fingerprint
                                THEN git_tokens.token_since ELSE excluded.token_since END,
             rotating_until = NULL, sso_url = excluded.sso_url
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
    .bind(sso_url)
    .fetch_one(e)
    .await
    })?;
    Ok(replaced)
}

/// Deletes this user's token for this runtime (nobody else's, and not the runtime), and revokes
/// it at the provider where the provider documents how (OAuth tokens on GitHub and GitLab) and no
/// other runtime of the user holds the same token. The provider is asked first, so the audit
/// event says what became of the token there.
pub async fn delete(
    st: &AppState,
    user_id: i64,
    runtime_id: i64,
    client_addr: Option<String>,
) -> Result<Deleted, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let nothing =
        || AppError::NotFound(format!("There is no token for {} to delete.", runtime.name));
    let stored: Option<(TokenMethod, String)> = on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT method, fingerprint FROM git_tokens WHERE user_id = $1 AND runtime_id = $2"
    )
    .bind(user_id)
    .bind(runtime_id)
    .fetch_optional(e)
    .await)?;
    let (method, fingerprint) = stored.ok_or_else(nothing)?;
    let others: Vec<String> = on_db!(&st.pool, |e| sqlx::query_scalar(
        "SELECT r.name FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.user_id = $1 AND t.fingerprint = $2 AND t.runtime_id <> $3 ORDER BY r.name",
    )
    .bind(user_id)
    .bind(&fingerprint)
    .bind(runtime_id)
    .fetch_all(e)
    .await)?;
    let oauth = method == TokenMethod::Oauth;
    let at_provider = if !others.is_empty() {
        AtProvider::StillUsed(others)
    } else if oauth && runtime.provider.revokes_oauth_tokens() {
        revoke_oauth(st, user_id, &runtime).await
    } else {
        AtProvider::ByHand
    };
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
        return Err(nothing());
    }
    let detail = match &at_provider {
        AtProvider::Revoked => "revoked at the provider".to_string(),
        AtProvider::StillUsed(o) => {
            format!("kept at the provider: {} other runtime(s) use it", o.len())
        }
        AtProvider::NotRevoked(why) => format!("not revoked at the provider: {why}"),
        AtProvider::ByHand => "removed here only: no API revokes it".to_string(),
    };
    store::audit(
        &mut tx,
        Some(user_id),
        Some(runtime_id),
        AuditAction::TokenDelete,
        &detail,
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(Deleted {
        revoke_page: revoke_page_url(runtime.provider, &runtime.api_url, oauth),
        runtime: runtime.name,
        provider: runtime.provider,
        at_provider,
    })
}

/// Revokes the user's OAuth token for the runtime with the account's OAuth app. Nothing here
/// stops the deletion itself: what could not be done is said, not raised.
async fn revoke_oauth(st: &AppState, user_id: i64, runtime: &RuntimeRow) -> AtProvider {
    let not_revoked = |why: &str| AtProvider::NotRevoked(why.into());
    let app = match oauth::app_for(st, runtime.account_id, runtime.provider).await {
        Ok(Some(app)) => app,
        Ok(None) => return not_revoked("the account's OAuth app was removed"),
        Err(e) => {
            tracing::error!(error = %e, runtime_id = runtime.id, "OAuth app unreadable for a revocation");
            return not_revoked("the account's OAuth app could not be read");
        }
    };
    match super::reveal(st, user_id, runtime.id).await {
        Ok(Some(token)) => oauth::revoke(st, &app, &runtime.api_url, &token).await,
        Ok(None) => not_revoked("it was deleted meanwhile"),
        Err(e) => {
            tracing::error!(error = %e, runtime_id = runtime.id, "token unreadable for a revocation");
            not_revoked("gitpat could not read it")
        }
    }
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
