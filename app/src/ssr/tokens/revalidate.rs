//! Re-validation: every stored token is asked about again at its provider, and the verdict
//! (valid, expiring, expired, invalid, unreachable) stored with its reason.

use crate::model::{ProviderKind, TokenMethod, TokenStatus};
use crate::ssr::crypto::{token_aad, Sealed};
use crate::ssr::db::{on_db, Tx};
use crate::ssr::providers::{self, Checked, Identity, Presented, ProviderError};
use crate::ssr::AppState;
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(FromRow)]
struct StoredToken {
    user_id: i64,
    runtime_id: i64,
    provider: ProviderKind,
    api_url: String,
    repo: Option<String>,
    key_id: String,
    ciphertext: Vec<u8>,
    username: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    status: TokenStatus,
    method: TokenMethod,
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
    st: &AppState,
    due: DateTime<Utc>,
    concurrency: usize,
) -> anyhow::Result<RevalidateReport> {
    use futures::StreamExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use tokio::sync::Semaphore;

    let started = std::time::Instant::now();
    let tokens: Vec<StoredToken> = on_db!(&st.pool, |e| {
        sqlx::query_as(
        "SELECT t.user_id, t.runtime_id, r.provider, r.api_url, r.repo, t.key_id, t.ciphertext, t.username,
                t.expires_at, t.status, t.method, t.scopes
         FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.last_validated_at < $1",
    )
    .bind(due)
    .fetch_all(e)
    .await
    })?;
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
            let verdict = check_stored(st, &t).await;
            if matches!(
                verdict,
                Err(Failure::Provider(ProviderError::RateLimited { .. }))
            ) {
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
            let mut tx = st.pool.begin().await?;
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
    let report = report?;
    metrics::histogram!("gitpat_revalidation_pass_seconds").record(started.elapsed().as_secs_f64());
    for (result, n) in [
        ("valid", report.valid),
        ("invalid", report.invalid),
        ("expired", report.expired),
        ("unreachable", report.unreachable),
        ("deferred", report.deferred),
    ] {
        metrics::counter!("gitpat_revalidation_tokens_total", "result" => result)
            .increment(n as u64);
    }
    Ok(report)
}

/// Checks the user's token for one runtime at its provider now, as a pass would (after they
/// authorized it for single sign-on, say), and stores the verdict. Returns the runtime's name
/// and the status the row shows now.
pub async fn check_now(
    st: &AppState,
    user_id: i64,
    runtime_id: i64,
) -> Result<(String, TokenStatus), crate::error::AppError> {
    let runtime = crate::ssr::store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(super::no_runtime)?;
    let stored: Option<StoredToken> = on_db!(&st.pool, |e| {
        sqlx::query_as(
            "SELECT t.user_id, t.runtime_id, r.provider, r.api_url, r.repo, t.key_id, t.ciphertext,
                t.username, t.expires_at, t.status, t.method, t.scopes
         FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.user_id = $1 AND t.runtime_id = $2",
        )
        .bind(user_id)
        .bind(runtime_id)
        .fetch_optional(e)
        .await
    })?;
    let t = stored.ok_or_else(|| {
        crate::error::AppError::NotFound(format!(
            "There is no token for {} to check.",
            runtime.name
        ))
    })?;
    // Each check asks a provider, as adding a token does.
    crate::ssr::store::rate_limits::per_user(
        &st.pool,
        "add-token",
        user_id,
        st.user_provider_calls,
    )
    .await?;
    let verdict = check_stored(st, &t).await;
    let mut tx = st.pool.begin().await?;
    record_verdict(
        &mut tx,
        &mut RevalidateReport::default(),
        t,
        verdict,
        Utc::now(),
    )
    .await?;
    tx.commit().await?;
    let status = super::rows_for_user(&st.pool, user_id)
        .await?
        .into_iter()
        .find(|r| r.runtime.id == runtime_id)
        .map_or(TokenStatus::None, |r| r.status);
    Ok((runtime.name, status))
}

/// Stores one re-validation verdict (unless the token was replaced since it was read).
async fn record_verdict(
    conn: &mut Tx,
    report: &mut RevalidateReport,
    t: StoredToken,
    verdict: Result<Checked, Failure>,
    due: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    report.checked += 1;
    let now = Utc::now();
    let (status, error, checked) = match verdict {
        Ok(c) => (
            TokenStatus::from_expiry(c.identity.expires_at, now),
            None,
            Some(c),
        ),
        Err(Failure::Provider(ProviderError::Expired(_))) => (
            TokenStatus::Expired,
            Some("The token has expired.".to_string()),
            None,
        ),
        Err(Failure::Provider(e)) if e.is_unreachable() => {
            let previous = t.status;
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
    let identity = checked.as_ref().map(|c| &c.identity);
    // A verdict clears or sets the SSO link; an unreachable provider leaves it as it was.
    let verdict_given = status != TokenStatus::Unreachable;
    on_db!(conn, |e| sqlx::query(
        "UPDATE git_tokens SET status = $1, last_error = $2, last_validated_at = $3,
             provider_login = COALESCE($4, provider_login), expires_at = COALESCE($5, expires_at),
             scopes = CASE WHEN $6 THEN $7 ELSE scopes END,
             sso_url = CASE WHEN $8 THEN $9 ELSE sso_url END
         WHERE user_id = $10 AND runtime_id = $11 AND ciphertext = $12",
    )
    .bind(status)
    .bind(error)
    .bind(validated_at)
    .bind(identity.map(|i| i.login.clone()))
    .bind(identity.and_then(|i| i.expires_at))
    .bind(identity.is_some())
    .bind(identity.and_then(|i| i.scopes.as_ref().map(|s| s.join(" "))))
    .bind(verdict_given)
    .bind(checked.as_ref().and_then(|c| c.sso_url.clone()))
    .bind(t.user_id)
    .bind(t.runtime_id)
    .bind(&t.ciphertext)
    .execute(e)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Why a stored token failed its check.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// Not the provider's verdict: the master key that sealed it is not the one configured.
    #[error("The stored token could not be decrypted with the configured master key. Add the token again.")]
    Undecryptable,
}

async fn check_stored(st: &AppState, t: &StoredToken) -> Result<Checked, Failure> {
    // A passed expiry date needs no provider call.
    if let Some(e) = t.expires_at.filter(|e| *e <= Utc::now()) {
        return Err(ProviderError::Expired(Some(e)).into());
    }
    let sealed = Sealed {
        key_id: t.key_id.clone(),
        blob: t.ciphertext.clone(),
    };
    let token = st
        .keys
        .open(&sealed, &token_aad(t.user_id, t.runtime_id))
        .map_err(|e| {
            tracing::error!(user_id = t.user_id, runtime_id = t.runtime_id, error = %e, "stored token does not decrypt");
            Failure::Undecryptable
        })?;
    let granted: Vec<String>;
    let presented = if t.method == TokenMethod::Oauth {
        granted = t
            .scopes
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        Presented::Oauth {
            token: &token,
            granted: &granted,
        }
    } else {
        Presented::Pat {
            token: &token,
            username: t.username.as_deref(),
        }
    };
    let checked = providers::validate_for_runtime(
        &st.http,
        t.provider,
        &t.api_url,
        t.repo.as_deref(),
        presented,
    )
    .await?;
    // OAuth expiry comes from the token response, which the provider does not repeat.
    let expires_at = match t.method {
        TokenMethod::Oauth => checked.identity.expires_at.or(t.expires_at),
        TokenMethod::Pat => checked.identity.expires_at,
    };
    Ok(Checked {
        identity: Identity {
            expires_at,
            ..checked.identity
        },
        ..checked
    })
}
