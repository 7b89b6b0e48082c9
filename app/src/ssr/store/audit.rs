//! The audit trail: who did what to which runtime or account, from where. Never a secret.

use crate::model::{ActivityItem, AuditEntry};
use sqlx::SqlitePool;

/// Records who did what to which runtime's token, from where. Never a secret.
/// Records an audit event; its account is the runtime's. Never pass a secret in `detail`.
pub async fn audit(
    db: impl sqlx::SqliteExecutor<'_>,
    user_id: Option<i64>,
    runtime_id: Option<i64>,
    action: &str,
    detail: &str,
    client_addr: Option<&str>,
) -> sqlx::Result<()> {
    audit_in(db, user_id, None, runtime_id, action, detail, client_addr).await
}

/// Records an audit event about an account (an admin change), with or without a runtime.
pub async fn audit_in(
    db: impl sqlx::SqliteExecutor<'_>,
    user_id: Option<i64>,
    account_id: Option<i64>,
    runtime_id: Option<i64>,
    action: &str,
    detail: &str,
    client_addr: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, user_id, account_id, runtime_id, action, detail, client_addr)
         VALUES (?, ?, COALESCE(?, (SELECT account_id FROM runtimes WHERE id = ?)), ?, ?, ?, ?)",
    )
    .bind(chrono::Utc::now())
    .bind(user_id)
    .bind(account_id)
    .bind(runtime_id)
    .bind(runtime_id)
    .bind(action)
    .bind(detail)
    .bind(client_addr)
    .execute(db)
    .await?;
    Ok(())
}

/// An account's latest audit events (its runtimes' token events and its admin changes), newest
/// first, with who did each.
pub async fn account_audit(
    pool: &SqlitePool,
    account_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<AuditEntry>> {
    sqlx::query_as(
        "SELECT e.at, u.email AS who, e.action, r.name AS runtime, e.detail, e.client_addr
         FROM audit_events e
         LEFT JOIN users u ON u.id = e.user_id
         LEFT JOIN runtimes r ON r.id = e.runtime_id
         WHERE e.account_id = ? ORDER BY e.id DESC LIMIT ?",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub(super) const RECENT_ACTIVITY: &str = "SELECT e.at, e.action, r.name AS runtime, e.client_addr
     FROM audit_events e LEFT JOIN runtimes r ON r.id = e.runtime_id
     WHERE e.user_id = ? ORDER BY e.id DESC LIMIT ?";

/// The user's own latest audit events, newest first.
pub async fn recent_activity(
    pool: &SqlitePool,
    user_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ActivityItem>> {
    sqlx::query_as(RECENT_ACTIVITY)
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await
}
