//! What a GitOps Runtime may do with its users' tokens: runtime API keys (shown once, stored as
//! a hash, revocable) and reading a user's Git credential for that one runtime.

use super::crypto::Secret;
use super::store::{self, Actor};
use super::{tokens, AppState};
use crate::model::AuditAction;
use crate::model::{ProviderKind, TokenStatus};
use crate::ssr::db::{on_db, Db};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Serialize;

const KEY_PREFIX: &str = "gpk_";

fn hash(key: &str) -> String {
    super::crypto::sha256_hex(key)
}

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A key as listed: its public prefix and dates, never the key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyInfo {
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Creates a key for a runtime and returns it: the only time it is ever shown. Keys carry
/// 190 random bits, so a fast hash is enough to store them.
pub async fn create_key(pool: &Db, runtime_id: i64, by: Actor<'_>) -> sqlx::Result<Secret> {
    let prefix = random(8);
    let key = format!("{KEY_PREFIX}{prefix}_{}", random(32));
    let mut tx = pool.begin().await?;
    on_db!(&mut tx, |e| {
        sqlx::query(
        "INSERT INTO runtime_keys (runtime_id, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(runtime_id)
    .bind(&prefix)
    .bind(hash(&key))
    .bind(Utc::now())
    .execute(e)
    .await.map(|r| r.rows_affected())
    })?;
    let detail = format!("key={prefix}");
    store::audit(
        &mut tx,
        by.user_id,
        Some(runtime_id),
        AuditAction::RuntimeKeyCreate,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(Secret::new(key))
}

pub async fn list_keys(pool: &Db, runtime_id: i64) -> sqlx::Result<Vec<KeyInfo>> {
    let rows: Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT prefix, created_at, revoked_at FROM runtime_keys WHERE runtime_id = $1 ORDER BY created_at",
    )
    .bind(runtime_id)
    .fetch_all(e)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(prefix, created_at, revoked_at)| KeyInfo {
            prefix,
            created_at,
            revoked_at,
        })
        .collect())
}

/// Revokes a runtime's key by prefix; false when there is no such live key.
/// Revokes a runtime's active key, with its audit event; false if there is no such key.
pub async fn revoke_key(
    pool: &Db,
    runtime_id: i64,
    prefix: &str,
    by: Actor<'_>,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let r = on_db!(&mut tx, |e| {
        sqlx::query("UPDATE runtime_keys SET revoked_at = $1 WHERE runtime_id = $2 AND prefix = $3 AND revoked_at IS NULL")
        .bind(Utc::now())
        .bind(runtime_id)
        .bind(prefix)
        .execute(e)
        .await.map(|r| r.rows_affected())
    })?;
    if r == 0 {
        return Ok(false);
    }
    let detail = format!("key={prefix}");
    store::audit(
        &mut tx,
        by.user_id,
        Some(runtime_id),
        AuditAction::RuntimeKeyRevoke,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The runtime a live key belongs to, with the key's prefix (for rate limiting and logs).
pub async fn runtime_of_key(pool: &Db, key: &str) -> sqlx::Result<Option<(i64, String)>> {
    if !key.starts_with(KEY_PREFIX) || key.len() > 100 {
        return Ok(None);
    }
    on_db!(pool, |e| sqlx::query_as(
        "SELECT runtime_id, prefix FROM runtime_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash(key))
    .fetch_optional(e)
    .await)
}

/// A user's Git credential as the runtime receives it.
#[derive(Serialize)]
pub struct Credential {
    pub provider: ProviderKind,
    /// How Git reaches the host: the scheme of the runtime's API URL (`https`, or `http` for a
    /// local server).
    pub protocol: String,
    pub host: String,
    /// The username Git should send: the Bitbucket username where one is needed, else the login.
    pub username: String,
    pub password: String,
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("host", &self.host)
            .field("password", &"***SECRET***")
            .finish()
    }
}

/// Why no credential was given.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no such user in this runtime's account")]
    NotMember,
    #[error("the user has no Git token for this runtime")]
    NoToken,
    #[error("the user's Git token for this runtime is {0}")]
    Unusable(&'static str),
}

/// Reads `email`'s credential for `runtime_id`, for that runtime only.
pub async fn credential_for(
    st: &AppState,
    runtime_id: i64,
    email: &str,
) -> anyhow::Result<Result<Credential, Refusal>> {
    let pool = &st.pool;
    let Some(user) = store::user_by_email(pool, email)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(Err(Refusal::NotMember));
    };
    let Some(runtime) = store::runtime_for_user(pool, user.id, runtime_id).await? else {
        return Ok(Err(Refusal::NotMember));
    };
    let Some(row) = tokens::rows_for_user(pool, user.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .find(|r| r.runtime.id == runtime_id)
    else {
        return Ok(Err(Refusal::NotMember));
    };
    let Some(info) = row.token else {
        return Ok(Err(Refusal::NoToken));
    };
    match row.status {
        TokenStatus::Invalid => return Ok(Err(Refusal::Unusable("invalid"))),
        TokenStatus::Expired => return Ok(Err(Refusal::Unusable("expired"))),
        _ => {}
    }
    let Some(token) = tokens::reveal(st, user.id, runtime_id).await? else {
        return Ok(Err(Refusal::NoToken));
    };
    // Bookkeeping: a stamp that cannot be written never costs the runtime its credential.
    if let Err(e) = tokens::mark_used(st, user.id, runtime_id).await {
        tracing::warn!(error = %e, runtime_id, "could not stamp the token as used");
    }
    let username = info
        .username
        .clone()
        .or(info.provider_login.clone())
        .unwrap_or_else(|| "git".into());
    let protocol = if runtime.api_url.starts_with("http://") {
        "http"
    } else {
        "https"
    };
    Ok(Ok(Credential {
        provider: runtime.provider,
        protocol: protocol.into(),
        host: runtime
            .provider
            .git_host(&runtime.api_url)
            .unwrap_or_default(),
        username,
        password: token.expose().to_string(),
        expires_at: info.expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hash_stably_and_credentials_do_not_print() {
        assert_eq!(hash("gpk_a"), hash("gpk_a"));
        assert_ne!(hash("gpk_a"), hash("gpk_b"));
        let c = Credential {
            provider: ProviderKind::Github,
            protocol: "https".into(),
            host: "github.com".into(),
            username: "octo".into(),
            password: "ghp_secret".into(),
            expires_at: None,
        };
        assert!(!format!("{c:?}").contains("ghp_secret"));
    }
}
