//! Accounts, memberships and runtimes: who can reach which runtime.

use super::{is_unique_violation, StoreError};
use crate::model::{AccountView, ProviderKind, Role, RuntimeRow};
use sqlx::{FromRow, SqlitePool};

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
