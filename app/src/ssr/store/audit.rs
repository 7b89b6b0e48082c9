//! The audit trail: who did what to which runtime or account, from where. Never a secret.

use crate::model::{ActivityItem, AuditAction, AuditEntry};
use crate::ssr::db::{on_db, Db, Exec};

/// Who makes a change, for its audit event: a signed-in user from their address, or an
/// operator at the command line ([`Actor::OPERATOR`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Actor<'a> {
    pub user_id: Option<i64>,
    pub client_addr: Option<&'a str>,
}

impl Actor<'_> {
    pub const OPERATOR: Actor<'static> = Actor {
        user_id: None,
        client_addr: None,
    };
}

impl<'a> Actor<'a> {
    pub fn user(user_id: i64, client_addr: Option<&'a str>) -> Self {
        Actor {
            user_id: Some(user_id),
            client_addr,
        }
    }
}

/// Records an audit event; its account is the runtime's. Never pass a secret in `detail`.
pub async fn audit(
    db: impl Into<Exec<'_>>,
    user_id: Option<i64>,
    runtime_id: Option<i64>,
    action: AuditAction,
    detail: &str,
    client_addr: Option<&str>,
) -> sqlx::Result<()> {
    audit_in(db, user_id, None, runtime_id, action, detail, client_addr).await
}

/// Records an audit event about an account (an admin change), with or without a runtime.
pub async fn audit_in(
    db: impl Into<Exec<'_>>,
    user_id: Option<i64>,
    account_id: Option<i64>,
    runtime_id: Option<i64>,
    action: AuditAction,
    detail: &str,
    client_addr: Option<&str>,
) -> sqlx::Result<()> {
    on_db!(db, |e| {
        sqlx::query(
        "INSERT INTO audit_events (at, user_id, account_id, runtime_id, action, detail, client_addr)
         VALUES ($1, $2, COALESCE($3, (SELECT account_id FROM runtimes WHERE id = $4)), $5, $6, $7, $8)",
    )
    .bind(chrono::Utc::now())
    .bind(user_id)
    .bind(account_id)
    .bind(runtime_id)
    .bind(runtime_id)
    .bind(action)
    .bind(detail)
    .bind(client_addr)
    .execute(e)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// An account's latest audit events (its runtimes' token events and its admin changes), newest
/// first, with who did each.
pub async fn account_audit(
    pool: &Db,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditEntry>> {
    on_db!(pool, |e| sqlx::query_as(
        "SELECT e.at, u.email AS who, e.action, r.name AS runtime, e.detail, e.client_addr
         FROM audit_events e
         LEFT JOIN users u ON u.id = e.user_id
         LEFT JOIN runtimes r ON r.id = e.runtime_id
         WHERE e.account_id = $1 ORDER BY e.id DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(e)
    .await)
}

pub(super) const RECENT_ACTIVITY: &str = "SELECT e.at, e.action, r.name AS runtime, e.client_addr
     FROM audit_events e LEFT JOIN runtimes r ON r.id = e.runtime_id
     WHERE e.user_id = $1 ORDER BY e.id DESC LIMIT $2";

/// The user's own latest audit events, newest first.
pub async fn recent_activity(
    pool: &Db,
    user_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ActivityItem>> {
    on_db!(pool, |e| sqlx::query_as(RECENT_ACTIVITY)
        .bind(user_id)
        .bind(limit)
        .fetch_all(e)
        .await)
}
