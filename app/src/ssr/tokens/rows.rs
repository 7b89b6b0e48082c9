//! What the token page lists: every runtime the user can reach, with what may be shown of their
//! token for it.

use crate::error::AppError;
use crate::model::{
    unused_long, ProviderKind, RuntimeRow, TokenInfo, TokenMethod, TokenPolicy, TokenRow,
    TokenStatus,
};
use crate::ssr::db::{on_db, Db};
use chrono::{DateTime, Utc};
use sqlx::FromRow;
use std::collections::HashMap;

#[derive(FromRow)]
struct RowRecord {
    id: i64,
    name: String,
    account_id: i64,
    account_name: String,
    provider: ProviderKind,
    api_url: String,
    repo: Option<String>,
    method: Option<TokenMethod>,
    last4: Option<String>,
    fingerprint: Option<String>,
    username: Option<String>,
    scopes: Option<String>,
    provider_login: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    status: Option<TokenStatus>,
    last_validated_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_used_at: Option<DateTime<Utc>>,
    token_since: Option<DateTime<Utc>>,
    sso_url: Option<String>,
    refreshable: bool,
    hidden: bool,
    oauth_available: bool,
    max_token_days: Option<i64>,
    oauth_only: bool,
}

/// The status to show now: a stored verdict ages (a valid token passes its expiry date). A
/// token that is refreshed automatically is not "expiring": it is renewed before it expires. A
/// working token that GitHub refuses for the runtime's repository until it is authorized for
/// single sign-on (`needs_sso`) needs that before anything else.
pub fn effective_status(
    stored: TokenStatus,
    expires_at: Option<DateTime<Utc>>,
    refreshable: bool,
    needs_sso: bool,
    now: DateTime<Utc>,
) -> TokenStatus {
    match stored {
        TokenStatus::Valid | TokenStatus::Expiring => {
            match TokenStatus::from_expiry(expires_at, now) {
                TokenStatus::Expired => TokenStatus::Expired,
                _ if needs_sso => TokenStatus::NeedsSso,
                TokenStatus::Expiring if refreshable => TokenStatus::Valid,
                s => s,
            }
        }
        TokenStatus::Unreachable if expires_at.is_some_and(|e| e <= now) => TokenStatus::Expired,
        s => s,
    }
}

/// Every runtime the user can reach, with what may be shown of their token for it.
pub async fn rows_for_user(pool: &Db, user_id: i64) -> Result<Vec<TokenRow>, AppError> {
    let recs: Vec<RowRecord> = on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT r.id, r.name, r.account_id, a.name AS account_name, r.provider, r.api_url, r.repo,
                t.method, t.last4, t.fingerprint, t.username, t.scopes, t.provider_login,
                t.expires_at, t.status, t.last_validated_at, t.last_error, t.last_used_at, t.token_since,
                t.sso_url, (t.refresh_ciphertext IS NOT NULL) AS refreshable,
                COALESCE(n.hidden, FALSE) AS hidden, (o.id IS NOT NULL) AS oauth_available,
                a.max_token_days, a.oauth_only
         FROM runtimes r
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.account_id = r.account_id AND m.user_id = $1
         LEFT JOIN git_tokens t ON t.runtime_id = r.id AND t.user_id = $2
         LEFT JOIN notification_prefs n ON n.runtime_id = r.id AND n.user_id = $3
         LEFT JOIN oauth_apps o ON o.account_id = r.account_id AND o.provider = r.provider
         ORDER BY a.name, r.name",
    )
    .bind(user_id)
    .bind(user_id)
    .bind(user_id)
    .fetch_all(e)
    .await
    })?;
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
        .map(|r| {
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
                    unused: unused_long(r.last_used_at, r.token_since.unwrap_or(validated), now),
                    last_used_at: r.last_used_at,
                    shared_with: r
                        .fingerprint
                        .and_then(|fp| by_fingerprint.get(&fp))
                        .map(|names| names.iter().filter(|n| **n != r.name).cloned().collect())
                        .unwrap_or_default(),
                    sso_url: r.sso_url,
                }),
                _ => None,
            };
            let status = match (&token, r.status) {
                (Some(t), Some(s)) => {
                    effective_status(s, t.expires_at, r.refreshable, t.sso_url.is_some(), now)
                }
                _ => TokenStatus::None,
            };
            TokenRow {
                runtime: RuntimeRow {
                    id: r.id,
                    name: r.name,
                    account_id: r.account_id,
                    account_name: r.account_name,
                    provider: r.provider,
                    api_url: r.api_url,
                    repo: r.repo,
                },
                status,
                token,
                notifications_hidden: r.hidden,
                oauth_available: r.oauth_available,
                policy: TokenPolicy {
                    max_token_days: r.max_token_days,
                    oauth_only: r.oauth_only,
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn stored_verdicts_age() {
        let now = Utc::now();
        let past = Some(now - Duration::hours(1));
        let soon = Some(now + Duration::days(2));
        assert_eq!(
            effective_status(TokenStatus::Valid, past, false, false, now),
            TokenStatus::Expired
        );
        assert_eq!(
            effective_status(TokenStatus::Valid, soon, false, false, now),
            TokenStatus::Expiring
        );
        assert_eq!(
            effective_status(TokenStatus::Valid, soon, true, false, now),
            TokenStatus::Valid,
            "refreshed automatically"
        );
        assert_eq!(
            effective_status(TokenStatus::Invalid, soon, false, false, now),
            TokenStatus::Invalid
        );
        assert_eq!(
            effective_status(TokenStatus::Unreachable, None, false, false, now),
            TokenStatus::Unreachable
        );
        assert_eq!(
            effective_status(TokenStatus::Valid, soon, true, true, now),
            TokenStatus::NeedsSso
        );
        assert_eq!(
            effective_status(TokenStatus::Valid, past, false, true, now),
            TokenStatus::Expired,
            "an expired token needs a new one, not SSO"
        );
        assert_eq!(
            effective_status(TokenStatus::Invalid, None, false, true, now),
            TokenStatus::Invalid
        );
    }
}
