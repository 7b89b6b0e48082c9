//! Git user tokens: add (validate at the provider, then store encrypted), replace, delete,
//! hide notifications, list what the page shows, and re-validate stored tokens.

use super::crypto::{token_aad, Keyring, Sealed, Secret};
use super::providers::{self, Identity, ProviderError};
use super::store;
use crate::error::AppError;
use crate::model::{
    check_token_input, check_username_input, RuntimeRow, TokenInfo, TokenRow, TokenStatus,
};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqlitePool};
use std::collections::HashMap;

/// What a caller asks to store.
pub struct NewToken {
    pub runtime_id: i64,
    pub token: Secret,
    pub username: Option<String>,
}

fn no_runtime() -> AppError {
    AppError::NotFound("No such GitOps Runtime, or you are not a member of its account.".into())
}

pub fn last4(token: &str) -> String {
    let n = token.chars().count();
    token.chars().skip(n.saturating_sub(4)).collect()
}

/// Validates the token at the runtime's provider and, only if it passes, stores it (replacing
/// any previous one in a single statement). Returns the runtime it was stored for.
pub async fn add_pat(
    pool: &SqlitePool,
    keys: &Keyring,
    http: &reqwest::Client,
    user_id: i64,
    req: NewToken,
    client_addr: Option<String>,
) -> Result<RuntimeRow, AppError> {
    let runtime = store::runtime_for_user(pool, user_id, req.runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
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
        http,
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
    let mut tx = pool.begin().await?;
    let replaced = save(
        &mut *tx,
        keys,
        user_id,
        runtime.id,
        "pat",
        &token,
        username.as_deref(),
        &identity,
    )
    .await?;
    store::audit(
        &mut *tx,
        Some(user_id),
        Some(runtime.id),
        if replaced {
            "token.replace"
        } else {
            "token.add"
        },
        "method=pat",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id, runtime_id = runtime.id, "token stored");
    Ok(runtime)
}

/// Stores a validated token (encrypted) for a user and runtime, replacing any earlier one;
/// returns whether one was replaced.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: impl sqlx::SqliteExecutor<'_>,
    keys: &Keyring,
    user_id: i64,
    runtime_id: i64,
    method: &str,
    token: &Secret,
    username: Option<&str>,
    identity: &Identity,
) -> Result<bool, AppError> {
    let sealed = keys.seal(token, &token_aad(user_id, runtime_id));
    let now = Utc::now();
    let status = TokenStatus::from_expiry(identity.expires_at, now);
    // `created_at < updated_at` only when an existing row was updated: a replacement.
    let replaced: bool = sqlx::query_scalar(
        "INSERT INTO git_tokens (user_id, runtime_id, method, key_id, ciphertext, last4, fingerprint,
             username, scopes, provider_login, expires_at, status, last_validated_at, last_error,
             created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
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
    .bind(status.as_str())
    .bind(now)
    .bind(now)
    .bind(now)
    .fetch_one(db)
    .await?;
    Ok(replaced)
}

/// Deletes this user's token for this runtime; nobody else's, and not the runtime.
pub async fn delete(
    pool: &SqlitePool,
    user_id: i64,
    runtime_id: i64,
    client_addr: Option<String>,
) -> Result<RuntimeRow, AppError> {
    let runtime = store::runtime_for_user(pool, user_id, runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let mut tx = pool.begin().await?;
    let done = sqlx::query("DELETE FROM git_tokens WHERE user_id = ? AND runtime_id = ?")
        .bind(user_id)
        .bind(runtime_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!(
            "There is no token for {} to delete.",
            runtime.name
        )));
    }
    store::audit(
        &mut *tx,
        Some(user_id),
        Some(runtime_id),
        "token.delete",
        "",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(runtime)
}

/// Hides (or shows again) the notifications of one runtime for this user.
pub async fn set_hidden(
    pool: &SqlitePool,
    user_id: i64,
    runtime_id: i64,
    hidden: bool,
    client_addr: Option<String>,
) -> Result<RuntimeRow, AppError> {
    let runtime = store::runtime_for_user(pool, user_id, runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO notification_prefs (user_id, runtime_id, hidden) VALUES (?, ?, ?)
         ON CONFLICT (user_id, runtime_id) DO UPDATE SET hidden = excluded.hidden",
    )
    .bind(user_id)
    .bind(runtime_id)
    .bind(hidden)
    .execute(&mut *tx)
    .await?;
    let action = if hidden {
        "notifications.hide"
    } else {
        "notifications.show"
    };
    store::audit(
        &mut *tx,
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

#[derive(FromRow)]
struct RowRecord {
    id: i64,
    name: String,
    account_id: i64,
    account_name: String,
    provider: String,
    api_url: String,
    method: Option<String>,
    last4: Option<String>,
    fingerprint: Option<String>,
    username: Option<String>,
    scopes: Option<String>,
    provider_login: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    status: Option<String>,
    last_validated_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    refreshable: bool,
    hidden: bool,
    oauth_available: bool,
}

/// The status to show now: a stored verdict ages (a valid token passes its expiry date). A
/// token that is refreshed automatically is not "expiring": it is renewed before it expires.
pub fn effective_status(
    stored: TokenStatus,
    expires_at: Option<DateTime<Utc>>,
    refreshable: bool,
    now: DateTime<Utc>,
) -> TokenStatus {
    match stored {
        TokenStatus::Valid | TokenStatus::Expiring => {
            match TokenStatus::from_expiry(expires_at, now) {
                TokenStatus::Expiring if refreshable => TokenStatus::Valid,
                s => s,
            }
        }
        TokenStatus::Unreachable if expires_at.is_some_and(|e| e <= now) => TokenStatus::Expired,
        s => s,
    }
}

/// Every runtime the user can reach, with what may be shown of their token for it.
pub async fn rows_for_user(pool: &SqlitePool, user_id: i64) -> Result<Vec<TokenRow>, AppError> {
    let recs: Vec<RowRecord> = sqlx::query_as(
        "SELECT r.id, r.name, r.account_id, a.name AS account_name, r.provider, r.api_url,
                t.method, t.last4, t.fingerprint, t.username, t.scopes, t.provider_login,
                t.expires_at, t.status, t.last_validated_at, t.last_error,
                (t.refresh_ciphertext IS NOT NULL) AS refreshable,
                COALESCE(n.hidden, FALSE) AS hidden, (o.id IS NOT NULL) AS oauth_available
         FROM runtimes r
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.account_id = r.account_id AND m.user_id = ?
         LEFT JOIN git_tokens t ON t.runtime_id = r.id AND t.user_id = ?
         LEFT JOIN notification_prefs n ON n.runtime_id = r.id AND n.user_id = ?
         LEFT JOIN oauth_apps o ON o.account_id = r.account_id AND o.provider = r.provider
         ORDER BY a.name, r.name",
    )
    .bind(user_id)
    .bind(user_id)
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    let now = Utc::now();
    let mut by_fingerprint: HashMap<String, Vec<String>> = HashMap::new();
    for r in &recs {
        if let Some(fp) = &r.fingerprint {
            by_fingerprint
                .entry(fp.clone())
                .or_default()
                .push(r.name.clone());
        }
    }
    Ok(recs
        .into_iter()
        .filter_map(|r| {
            let provider = r.provider.parse().ok()?;
            let token = match (r.method, r.last4, r.last_validated_at) {
                (Some(method), Some(last4), Some(validated)) => Some(TokenInfo {
                    method,
                    last4,
                    provider_login: r.provider_login,
                    username: r.username,
                    scopes: r
                        .scopes
                        .map(|s| s.split_whitespace().map(str::to_string).collect()),
                    expires_at: r.expires_at,
                    last_validated_at: validated,
                    last_error: r.last_error,
                    shared_with: r
                        .fingerprint
                        .and_then(|fp| by_fingerprint.get(&fp))
                        .map(|names| names.iter().filter(|n| **n != r.name).cloned().collect())
                        .unwrap_or_default(),
                }),
                _ => None,
            };
            let status = match (&token, r.status) {
                (Some(t), Some(s)) => {
                    effective_status(TokenStatus::parse(&s), t.expires_at, r.refreshable, now)
                }
                _ => TokenStatus::None,
            };
            Some(TokenRow {
                runtime: RuntimeRow {
                    id: r.id,
                    name: r.name,
                    account_id: r.account_id,
                    account_name: r.account_name,
                    provider,
                    api_url: r.api_url,
                },
                status,
                token,
                notifications_hidden: r.hidden,
                oauth_available: r.oauth_available,
            })
        })
        .collect())
}

#[derive(FromRow)]
struct StoredToken {
    user_id: i64,
    runtime_id: i64,
    provider: String,
    api_url: String,
    key_id: String,
    ciphertext: Vec<u8>,
    username: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    status: String,
    method: String,
    scopes: Option<String>,
}

/// What one pass of re-validation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RevalidateReport {
    pub checked: usize,
    pub valid: usize,
    pub invalid: usize,
    pub expired: usize,
    pub unreachable: usize,
    /// Left for the next pass because their provider host answered "rate limited".
    pub deferred: usize,
}

/// Provider calls one pass makes at once to one host: well inside GitHub's documented limit of
/// 100 concurrent requests, and shared by every token on that host.
pub const PER_HOST_CONCURRENCY: usize = 32;

/// Verdicts written per transaction: one commit per batch instead of per token.
const WRITE_BATCH: usize = 200;

/// Re-checks every stored token last validated before `due`, at most `concurrency` provider
/// calls at once and [`PER_HOST_CONCURRENCY`] per host. Once a host answers "rate limited", its
/// remaining tokens wait for the next pass. Each update applies only if the token was not
/// replaced meanwhile, so several nodes may run this.
pub async fn revalidate_due(
    pool: &SqlitePool,
    keys: &Keyring,
    http: &reqwest::Client,
    due: DateTime<Utc>,
    concurrency: usize,
) -> anyhow::Result<RevalidateReport> {
    use futures::StreamExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::sync::Semaphore;

    let tokens: Vec<StoredToken> = sqlx::query_as(
        "SELECT t.user_id, t.runtime_id, r.provider, r.api_url, t.key_id, t.ciphertext, t.username,
                t.expires_at, t.status, t.method, t.scopes
         FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.last_validated_at < ?",
    )
    .bind(due)
    .fetch_all(pool)
    .await?;
    // One gate and one "rate limited" flag per provider host.
    let mut hosts: HashMap<String, (Arc<Semaphore>, Arc<AtomicBool>)> = HashMap::new();
    let jobs: Vec<_> = tokens
        .into_iter()
        .map(|t| {
            let host = url::Url::parse(&t.api_url)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            let gate = hosts
                .entry(host)
                .or_insert_with(|| {
                    (
                        Arc::new(Semaphore::new(PER_HOST_CONCURRENCY)),
                        Arc::new(AtomicBool::new(false)),
                    )
                })
                .clone();
            (t, gate)
        })
        .collect();

    let (sender, mut receiver) = tokio::sync::mpsc::channel(WRITE_BATCH);
    let checks = futures::stream::iter(jobs)
        .map(|(t, (gate, limited))| async move {
            let _permit = gate.acquire().await.ok()?;
            if limited.load(Ordering::Relaxed) {
                return None;
            }
            let verdict = check_stored(keys, http, &t).await;
            if verdict.as_ref().is_err_and(ProviderError::is_rate_limited) {
                limited.store(true, Ordering::Relaxed);
                return None;
            }
            Some((t, verdict))
        })
        .buffer_unordered(concurrency.max(1))
        .for_each(move |verdict| {
            let sender = sender.clone();
            async move {
                let _ = sender.send(verdict).await;
            }
        });
    let writes = async {
        let mut report = RevalidateReport::default();
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            while batch.len() < WRITE_BATCH {
                match receiver.try_recv() {
                    Ok(v) => batch.push(v),
                    Err(_) => break,
                }
            }
            let mut tx = pool.begin().await?;
            for verdict in batch {
                match verdict {
                    Some((t, v)) => record_verdict(&mut tx, &mut report, t, v, due).await?,
                    None => report.deferred += 1,
                }
            }
            tx.commit().await?;
        }
        Ok::<_, sqlx::Error>(report)
    };
    let ((), report) = tokio::join!(checks, writes);
    Ok(report?)
}

/// Stores one re-validation verdict (unless the token was replaced since it was read).
async fn record_verdict(
    conn: &mut sqlx::SqliteConnection,
    report: &mut RevalidateReport,
    t: StoredToken,
    verdict: Result<Identity, ProviderError>,
    due: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    report.checked += 1;
    let now = Utc::now();
    let (status, error, identity) = match verdict {
        Ok(id) => (TokenStatus::from_expiry(id.expires_at, now), None, Some(id)),
        Err(ProviderError::Expired(_)) => (
            TokenStatus::Expired,
            Some("The token has expired.".to_string()),
            None,
        ),
        Err(e @ ProviderError::Unreachable { .. }) => {
            let previous = TokenStatus::parse(&t.status);
            let kept = if previous == TokenStatus::Unreachable {
                "unknown"
            } else {
                previous.label()
            };
            (
                TokenStatus::Unreachable,
                Some(format!("{e} Last known status: {kept}.")),
                None,
            )
        }
        Err(e) => (TokenStatus::Invalid, Some(e.to_string()), None),
    };
    match status {
        TokenStatus::Valid | TokenStatus::Expiring => report.valid += 1,
        TokenStatus::Expired => report.expired += 1,
        TokenStatus::Unreachable => report.unreachable += 1,
        _ => report.invalid += 1,
    }
    // An unreachable provider keeps the previous verdict's "unreachable since" time: it is
    // re-asked on the next pass, not marked fresh.
    let validated_at = if status == TokenStatus::Unreachable {
        due
    } else {
        now
    };
    sqlx::query(
        "UPDATE git_tokens SET status = ?, last_error = ?, last_validated_at = ?,
             provider_login = COALESCE(?, provider_login), expires_at = COALESCE(?, expires_at),
             scopes = CASE WHEN ? THEN ? ELSE scopes END
         WHERE user_id = ? AND runtime_id = ? AND ciphertext = ?",
    )
    .bind(status.as_str())
    .bind(error)
    .bind(validated_at)
    .bind(identity.as_ref().map(|i| i.login.clone()))
    .bind(identity.as_ref().and_then(|i| i.expires_at))
    .bind(identity.is_some())
    .bind(
        identity
            .as_ref()
            .and_then(|i| i.scopes.as_ref().map(|s| s.join(" "))),
    )
    .bind(t.user_id)
    .bind(t.runtime_id)
    .bind(&t.ciphertext)
    .execute(conn)
    .await?;
    Ok(())
}

async fn check_stored(
    keys: &Keyring,
    http: &reqwest::Client,
    t: &StoredToken,
) -> Result<Identity, ProviderError> {
    // A passed expiry date needs no provider call.
    if let Some(e) = t.expires_at.filter(|e| *e <= Utc::now()) {
        return Err(ProviderError::Expired(Some(e)));
    }
    let sealed = Sealed {
        key_id: t.key_id.clone(),
        blob: t.ciphertext.clone(),
    };
    let token = keys.open(&sealed, &token_aad(t.user_id, t.runtime_id)).map_err(|e| {
        tracing::error!(user_id = t.user_id, runtime_id = t.runtime_id, error = %e, "stored token does not decrypt");
        ProviderError::Rejected { provider: "gitpat", reason: "the stored token could not be decrypted".into() }
    })?;
    let kind = t.provider.parse().map_err(|_| ProviderError::Rejected {
        provider: "gitpat",
        reason: "unknown provider".into(),
    })?;
    if t.method == "oauth" {
        let granted: Vec<String> = t
            .scopes
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let id = providers::validate_oauth(http, kind, &t.api_url, &token, &granted).await?;
        // OAuth expiry comes from the token response, which the provider does not repeat.
        return Ok(Identity {
            expires_at: id.expires_at.or(t.expires_at),
            ..id
        });
    }
    providers::validate(http, kind, &t.api_url, t.username.as_deref(), &token).await
}

/// The decrypted token of a user for a runtime (for the runtime credential API).
pub async fn reveal(
    pool: &SqlitePool,
    keys: &Keyring,
    user_id: i64,
    runtime_id: i64,
) -> anyhow::Result<Option<Secret>> {
    let row: Option<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT key_id, ciphertext FROM git_tokens WHERE user_id = ? AND runtime_id = ?",
    )
    .bind(user_id)
    .bind(runtime_id)
    .fetch_optional(pool)
    .await?;
    match row {
        None => Ok(None),
        Some((key_id, blob)) => Ok(Some(
            keys.open(&Sealed { key_id, blob }, &token_aad(user_id, runtime_id))?,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn last4_of_short_and_long_tokens() {
        assert_eq!(last4("ghp_abcdef1234"), "1234");
        assert_eq!(last4("ab"), "ab");
    }

    #[test]
    fn stored_verdicts_age() {
        let now = Utc::now();
        let past = Some(now - Duration::hours(1));
        let soon = Some(now + Duration::days(2));
        assert_eq!(
            effective_status(TokenStatus::Valid, past, false, now),
            TokenStatus::Expired
        );
        assert_eq!(
            effective_status(TokenStatus::Valid, soon, false, now),
            TokenStatus::Expiring
        );
        assert_eq!(
            effective_status(TokenStatus::Valid, soon, true, now),
            TokenStatus::Valid,
            "refreshed automatically"
        );
        assert_eq!(
            effective_status(TokenStatus::Invalid, soon, false, now),
            TokenStatus::Invalid
        );
        assert_eq!(
            effective_status(TokenStatus::Unreachable, None, false, now),
            TokenStatus::Unreachable
        );
    }
}
