//! SQL for users, accounts, memberships and runtimes. Plain, portable SQL: SQLite today,
//! PostgreSQL later.

use crate::model::{AccountView, ProviderKind, Role, RuntimeRow};
use sqlx::{FromRow, SqlitePool};

/// A user row, password hash included: server-only, never serialized, hash never printed.
#[derive(Clone, FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_admin: bool,
    /// Bumped by a password change; sessions from an older epoch are over.
    pub session_epoch: i64,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"***")
            .finish()
    }
}

/// Why a write was refused, in words fit for an operator or a user.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub async fn create_user(
    pool: &SqlitePool,
    email: &str,
    display_name: &str,
    password_hash: &str,
    is_admin: bool,
) -> Result<i64, StoreError> {
    let res = sqlx::query(
        "INSERT INTO users (email, display_name, password_hash, is_admin) VALUES (?, ?, ?, ?)",
    )
    .bind(email)
    .bind(display_name)
    .bind(password_hash)
    .bind(is_admin)
    .execute(pool)
    .await;
    match res {
        Ok(r) => Ok(r.last_insert_rowid()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "a user with email {email} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn user_by_email(pool: &SqlitePool, email: &str) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as(
        "SELECT id, email, display_name, password_hash, is_admin, session_epoch FROM users WHERE email = ?",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
}

/// Stores a new password hash and ends every session of the user; returns the new epoch.
pub async fn set_password(
    db: impl sqlx::SqliteExecutor<'_>,
    user_id: i64,
    hash: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1 WHERE id = ?
         RETURNING session_epoch",
    )
    .bind(hash)
    .bind(user_id)
    .fetch_one(db)
    .await
}

pub async fn user_by_id(pool: &SqlitePool, id: i64) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as(
        "SELECT id, email, display_name, password_hash, is_admin, session_epoch FROM users WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

pub async fn create_account(pool: &SqlitePool, name: &str) -> Result<i64, StoreError> {
    match sqlx::query("INSERT INTO accounts (name) VALUES (?)")
        .bind(name)
        .execute(pool)
        .await
    {
        Ok(r) => Ok(r.last_insert_rowid()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "an account named {name} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn account_id_by_name(pool: &SqlitePool, name: &str) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT id FROM accounts WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no account named {name}")))
}

/// Adds the user to the account, or changes their role if they are in it already.
pub async fn set_membership(
    pool: &SqlitePool,
    user_id: i64,
    account_id: i64,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO memberships (user_id, account_id, role) VALUES (?, ?, ?)
         ON CONFLICT (user_id, account_id) DO UPDATE SET role = excluded.role",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(role.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn create_runtime(
    db: impl sqlx::SqliteExecutor<'_>,
    account_id: i64,
    name: &str,
    provider: ProviderKind,
    api_url: &str,
) -> Result<i64, StoreError> {
    match sqlx::query(
        "INSERT INTO runtimes (account_id, name, provider, api_url) VALUES (?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(name)
    .bind(provider.as_str())
    .bind(api_url)
    .execute(db)
    .await
    {
        Ok(r) => Ok(r.last_insert_rowid()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "the account already has a runtime named {name}"
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn runtime_id_by_name(
    pool: &SqlitePool,
    account_id: i64,
    name: &str,
) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT id FROM runtimes WHERE account_id = ? AND name = ?")
        .bind(account_id)
        .bind(name)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no runtime named {name} in that account")))
}

pub async fn accounts_of_user(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<AccountView>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT a.id, a.name, m.role FROM accounts a
         JOIN memberships m ON m.account_id = a.id
         WHERE m.user_id = ? ORDER BY a.name",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, role)| AccountView {
            id,
            name,
            role: role.parse().unwrap_or(Role::Member),
        })
        .collect())
}

#[derive(FromRow)]
struct RuntimeRecord {
    id: i64,
    name: String,
    account_id: i64,
    account_name: String,
    provider: String,
    api_url: String,
}

impl RuntimeRecord {
    fn into_row(self) -> Option<RuntimeRow> {
        Some(RuntimeRow {
            id: self.id,
            name: self.name,
            account_id: self.account_id,
            account_name: self.account_name,
            provider: self.provider.parse().ok()?,
            api_url: self.api_url,
        })
    }
}

/// Every runtime of every account the user is a member of, and nothing else.
pub async fn runtimes_for_user(pool: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<RuntimeRow>> {
    let rows: Vec<RuntimeRecord> = sqlx::query_as(
        "SELECT r.id, r.name, r.account_id, a.name AS account_name, r.provider, r.api_url
         FROM runtimes r
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.account_id = r.account_id AND m.user_id = ?
         ORDER BY a.name, r.name",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(RuntimeRecord::into_row)
        .collect())
}

/// One runtime, only if the user is a member of its account.
pub async fn runtime_for_user(
    pool: &SqlitePool,
    user_id: i64,
    runtime_id: i64,
) -> sqlx::Result<Option<RuntimeRow>> {
    let row: Option<RuntimeRecord> = sqlx::query_as(
        "SELECT r.id, r.name, r.account_id, a.name AS account_name, r.provider, r.api_url
         FROM runtimes r
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.account_id = r.account_id AND m.user_id = ?
         WHERE r.id = ?",
    )
    .bind(user_id)
    .bind(runtime_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(RuntimeRecord::into_row))
}

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
) -> sqlx::Result<Vec<crate::model::AuditEntry>> {
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

const RECENT_ACTIVITY: &str = "SELECT e.at, e.action, r.name AS runtime, e.client_addr
     FROM audit_events e LEFT JOIN runtimes r ON r.id = e.runtime_id
     WHERE e.user_id = ? ORDER BY e.id DESC LIMIT ?";

/// The user's own latest audit events, newest first.
pub async fn recent_activity(
    pool: &SqlitePool,
    user_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<crate::model::ActivityItem>> {
    sqlx::query_as(RECENT_ACTIVITY)
        .bind(user_id)
        .bind(limit)
        .fetch_all(pool)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn seed(pool: &SqlitePool) -> (i64, i64, i64, i64) {
        let dana = create_user(pool, "dana@example.com", "Dana", "h", false)
            .await
            .unwrap();
        let olu = create_user(pool, "olu@example.com", "Olu", "h", false)
            .await
            .unwrap();
        let acme = create_account(pool, "Acme").await.unwrap();
        let globex = create_account(pool, "Globex").await.unwrap();
        set_membership(pool, dana, acme, Role::Admin).await.unwrap();
        set_membership(pool, dana, globex, Role::Member)
            .await
            .unwrap();
        set_membership(pool, olu, globex, Role::Member)
            .await
            .unwrap();
        create_runtime(
            pool,
            acme,
            "prod",
            ProviderKind::Github,
            "https://api.github.com",
        )
        .await
        .unwrap();
        create_runtime(
            pool,
            globex,
            "edge",
            ProviderKind::Gitlab,
            "https://gitlab.com/api/v4",
        )
        .await
        .unwrap();
        (dana, olu, acme, globex)
    }

    #[sqlx::test(migrator = "crate::ssr::db::MIGRATOR")]
    async fn users_see_only_runtimes_of_their_accounts(pool: SqlitePool) {
        let (dana, olu, _, _) = seed(&pool).await;
        let names = |rows: Vec<RuntimeRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(runtimes_for_user(&pool, dana).await.unwrap()),
            ["prod", "edge"]
        );
        assert_eq!(
            names(runtimes_for_user(&pool, olu).await.unwrap()),
            ["edge"]
        );
        let prod = runtimes_for_user(&pool, dana).await.unwrap()[0].id;
        assert!(runtime_for_user(&pool, olu, prod).await.unwrap().is_none());
        assert!(runtime_for_user(&pool, dana, prod).await.unwrap().is_some());
    }

    #[sqlx::test(migrator = "crate::ssr::db::MIGRATOR")]
    async fn duplicates_are_refused_with_a_clear_message(pool: SqlitePool) {
        let (_, _, acme, _) = seed(&pool).await;
        let err = create_user(&pool, "DANA@example.com", "Dup", "h", false)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a user with email DANA@example.com already exists"
        );
        let err = create_account(&pool, "Acme").await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
        let err = create_runtime(&pool, acme, "prod", ProviderKind::Gitlab, "https://x")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the account already has a runtime named prod"
        );
        assert!(matches!(
            account_id_by_name(&pool, "Nope").await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[sqlx::test(migrator = "crate::ssr::db::MIGRATOR")]
    async fn membership_role_is_updated_not_duplicated(pool: SqlitePool) {
        let (dana, _, acme, _) = seed(&pool).await;
        set_membership(&pool, dana, acme, Role::Member)
            .await
            .unwrap();
        let accounts = accounts_of_user(&pool, dana).await.unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].role, Role::Member);
    }

    #[sqlx::test(migrator = "crate::ssr::db::MIGRATOR")]
    async fn recent_activity_reads_the_newest_events_without_sorting_the_trail(pool: SqlitePool) {
        let (dana, _, _, _) = seed(&pool).await;
        for action in ["token.add", "token.delete", "token.add"] {
            audit(&pool, Some(dana), None, action, "", None)
                .await
                .unwrap();
        }
        let items = recent_activity(&pool, dana, 2).await.unwrap();
        let actions: Vec<&str> = items.iter().map(|i| i.action.as_str()).collect();
        assert_eq!(actions, ["token.add", "token.delete"], "newest first");
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {RECENT_ACTIVITY}"))
            .bind(dana)
            .bind(10)
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect();
        assert!(
            !plan.iter().any(|p| p.contains("TEMP B-TREE")),
            "a page view must not sort the user's whole trail: {plan:?}"
        );
    }
}
