//! Rotating a token without downtime: GitLab issues a new personal access token for the old one
//! and revokes the old one (`POST /personal_access_tokens/self/rotate`); for the other providers
//! the user makes a new token and pastes it once. Either way every runtime of the user that held
//! the old token (the same fingerprint) gets the new one, in one transaction.

use super::{check_pat_allowed, no_runtime, save, Validated};
use crate::error::AppError;
use crate::model::{check_token_input, AuditAction, ProviderKind, Rotated, TokenMethod};
use crate::ssr::crypto::Secret;
use crate::ssr::db::on_db;
use crate::ssr::providers::{self, gitlab, Identity, Presented, ProviderError};
use crate::ssr::{store, AppState};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::FromRow;

/// How long a rotation holds its token: GitLab answers within the HTTP client's timeout.
const CLAIM: Duration = Duration::minutes(2);

#[derive(FromRow)]
struct Stored {
    method: TokenMethod,
    fingerprint: String,
    provider_login: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    token_since: Option<DateTime<Utc>>,
}

/// GitLab allows a personal access token a year at most.
const GITLAB_MAX_DAYS: i64 = 365;

/// The new token lives as long as the old one did (from when it was stored here to its expiry),
/// at least a week, at most a year or what the account's policy allows; a token that never
/// expired gets the longest allowed.
pub fn new_expiry(
    expires_at: Option<DateTime<Utc>>,
    since: Option<DateTime<Utc>>,
    policy_days: Option<i64>,
    now: DateTime<Utc>,
) -> NaiveDate {
    let most = policy_days.unwrap_or(GITLAB_MAX_DAYS).min(GITLAB_MAX_DAYS);
    let days = match (expires_at, since) {
        (Some(e), Some(s)) if e > s => (e - s).num_days(),
        _ => most,
    };
    (now + Duration::days(days.clamp(7.min(most), most))).date_naive()
}

/// A runtime of the user that holds the token being rotated.
#[derive(FromRow)]
struct Holder {
    runtime_id: i64,
    name: String,
    account_id: i64,
    provider: ProviderKind,
    api_url: String,
    repo: Option<String>,
    username: Option<String>,
}

/// Rotates the user's token for `runtime_id`: at GitLab when `new` is `None`, else by putting the
/// pasted `new` token (validated at every provider the holders use) in place of the old one.
pub async fn rotate(
    st: &AppState,
    user_id: i64,
    runtime_id: i64,
    new: Option<Secret>,
    client_addr: Option<String>,
) -> Result<Rotated, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(no_runtime)?;
    let stored: Option<Stored> = on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT method, fingerprint, provider_login, expires_at, token_since FROM git_tokens
         WHERE user_id = $1 AND runtime_id = $2",
    )
    .bind(user_id)
    .bind(runtime_id)
    .fetch_optional(e)
    .await)?;
    let Some(Stored {
        method,
        fingerprint,
        provider_login: login,
        expires_at,
        token_since,
    }) = stored
    else {
        return Err(AppError::NotFound(format!(
            "There is no token for {} to rotate.",
            runtime.name
        )));
    };
    if method != TokenMethod::Pat {
        return Err(AppError::Invalid(
            "OAuth tokens are renewed by their provider: there is nothing to rotate.".into(),
        ));
    }
    let holders: Vec<Holder> = on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT t.runtime_id, r.name, r.account_id, r.provider, r.api_url, r.repo, t.username
         FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.user_id = $1 AND t.fingerprint = $2 ORDER BY r.name",
    )
    .bind(user_id)
    .bind(&fingerprint)
    .fetch_all(e)
    .await)?;
    // Each attempt asks a provider, as adding a token does.
    store::rate_limits::per_user(&st.pool, "add-token", user_id, st.user_provider_calls).await?;
    let (token, identity, sso, by) = match new {
        Some(pasted) => {
            let token = Secret::new(check_token_input(pasted.expose()).map_err(AppError::Invalid)?);
            let (identity, sso) = checked_everywhere(st, &holders, &token).await?;
            (token, identity, sso, None)
        }
        None => {
            let kind = runtime.provider;
            if !matches!(kind, ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged) {
                return Err(AppError::Invalid(format!(
                    "{} cannot rotate a token for you: create a new token and paste it here.",
                    kind.label()
                )));
            }
            let policy = store::policy(&st.pool, runtime.account_id).await?;
            let expires_on = new_expiry(expires_at, token_since, policy.max_token_days, Utc::now());
            let rotated = rotate_at_gitlab(st, user_id, &runtime, &fingerprint, expires_on).await?;
            let identity = Identity {
                login: login.unwrap_or_default(),
                scopes: Some(rotated.scopes),
                expires_at: rotated.expires_at,
            };
            // The same account's token: its access to the repositories is unchanged, and
            // GitLab has no single sign-on state.
            let sso = vec![None; holders.len()];
            (rotated.token, identity, sso, Some(kind))
        }
    };
    // Every holder takes the new token, or none does.
    let mut tx = st.pool.begin().await?;
    for (h, sso_url) in holders.iter().zip(&sso) {
        save(
            &mut tx,
            &st.keys,
            &Validated {
                user_id,
                runtime_id: h.runtime_id,
                method: TokenMethod::Pat,
                token: &token,
                username: h.username.as_deref(),
                identity: &identity,
                sso_url: sso_url.as_deref(),
            },
        )
        .await?;
        let detail = match by {
            Some(p) => format!("rotated at {}", p.label()),
            None => "replaced by a new token (rotation)".to_string(),
        };
        store::audit(
            &mut tx,
            Some(user_id),
            Some(h.runtime_id),
            AuditAction::TokenReplace,
            &detail,
            client_addr.as_deref(),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        user_id,
        runtime_id,
        holders = holders.len(),
        "token rotated"
    );
    Ok(Rotated {
        runtimes: holders.into_iter().map(|h| h.name).collect(),
        by,
    })
}

/// Validates a pasted token once per provider the holders use, against each holder's account
/// policy and for each holder's repository; the first refusal names its runtime. Returns the
/// identity and, per holder, GitHub's SSO link where it waits for one.
async fn checked_everywhere(
    st: &AppState,
    holders: &[Holder],
    token: &Secret,
) -> Result<(Identity, Vec<Option<String>>), AppError> {
    let mut asked: Vec<(ProviderKind, String, Identity)> = Vec::new();
    let mut sso = Vec::with_capacity(holders.len());
    for h in holders {
        let refused = |e: ProviderError| AppError::Invalid(format!("{}: {e}", h.name));
        let presented = Presented::Pat {
            token,
            username: h.username.as_deref(),
        };
        let known = asked
            .iter()
            .find(|(k, url, _)| *k == h.provider && *url == h.api_url)
            .map(|(_, _, i)| i.clone());
        let identity = match known {
            Some(i) => i,
            None => {
                let i = providers::validate(
                    &st.http,
                    h.provider,
                    &h.api_url,
                    h.username.as_deref(),
                    token,
                )
                .await
                .map_err(refused)?;
                asked.push((h.provider, h.api_url.clone(), i.clone()));
                i
            }
        };
        check_pat_allowed(st, h.account_id, h.provider, &h.name)
            .await?
            .check_expiry(identity.expires_at, Utc::now())
            .map_err(|e| AppError::Invalid(format!("{}: {e}", h.name)))?;
        sso.push(match &h.repo {
            Some(repo) => providers::check_repo(&st.http, h.provider, &h.api_url, repo, presented)
                .await
                .map_err(refused)?,
            None => None,
        });
    }
    let identity = asked
        .into_iter()
        .next()
        .map(|(_, _, i)| i)
        .ok_or_else(no_runtime)?;
    Ok((identity, sso))
}

/// Claims the token's row, then asks GitLab for the new token. A rotation already under way is
/// refused: GitLab would take the old token, presented twice, as leaked and revoke both.
async fn rotate_at_gitlab(
    st: &AppState,
    user_id: i64,
    runtime: &crate::model::RuntimeRow,
    fingerprint: &str,
    expires_on: NaiveDate,
) -> Result<gitlab::Rotated, AppError> {
    let now = Utc::now();
    let claimed = on_db!(&st.pool, |e| sqlx::query(
        "UPDATE git_tokens SET rotating_until = $1
         WHERE user_id = $2 AND runtime_id = $3 AND fingerprint = $4
           AND (rotating_until IS NULL OR rotating_until < $5)",
    )
    .bind(now + CLAIM)
    .bind(user_id)
    .bind(runtime.id)
    .bind(fingerprint)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    if claimed == 0 {
        return Err(AppError::Conflict(format!(
            "A rotation of the token for {} is already under way; reload the page in a moment.",
            runtime.name
        )));
    }
    let old = super::reveal(st, user_id, runtime.id)
        .await?
        .ok_or_else(no_runtime)?;
    match gitlab::rotate(
        &st.http,
        runtime.provider,
        &runtime.api_url,
        &old,
        expires_on,
    )
    .await
    {
        Ok(rotated) => Ok(rotated),
        // No answer: GitLab may have rotated it; the claim stays until it lapses, so that the
        // old token is not presented again at once.
        Err(e) if e.is_unreachable() => Err(AppError::Invalid(format!(
            "{e}. The token may have been rotated: if {} stops working, add a new token.",
            runtime.name
        ))),
        Err(e) => {
            // GitLab refused: nothing changed there, and the token may be rotated again.
            on_db!(&st.pool, |x| {
                sqlx::query(
                "UPDATE git_tokens SET rotating_until = NULL WHERE user_id = $1 AND runtime_id = $2"
            )
            .bind(user_id)
            .bind(runtime.id)
            .execute(x)
            .await
            .map(|r| r.rows_affected())
            })?;
            Err(AppError::Invalid(format!("The token was not rotated: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_token_lives_as_long_as_the_old_one_within_the_limits() {
        let now = Utc::now();
        let day = |d: i64| (now + Duration::days(d)).date_naive();
        let since = Some(now - Duration::days(10));
        assert_eq!(
            new_expiry(Some(now + Duration::days(20)), since, None, now),
            day(30)
        );
        assert_eq!(new_expiry(None, since, None, now), day(365));
        assert_eq!(new_expiry(None, since, Some(60), now), day(60));
        assert_eq!(
            new_expiry(Some(now + Duration::days(500)), since, None, now),
            day(365)
        );
        assert_eq!(
            new_expiry(Some(now - Duration::days(9)), since, None, now),
            day(7)
        );
        assert_eq!(new_expiry(None, None, Some(3), now), day(3));
    }
}
