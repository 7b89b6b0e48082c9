//! Accounts, memberships and runtimes: who can reach which runtime.

use super::{is_unique_violation, StoreError};
use crate::model::{AccountView, ProviderKind, Role, RuntimeRow, TokenPolicy};
use crate::ssr::db::{on_db, Db, Exec};
use sqlx::FromRow;

pub async fn create_account(pool: &Db, name: &str) -> Result<i64, StoreError> {
    match on_db!(pool, |e| sqlx::query_scalar(
        "INSERT INTO accounts (name) VALUES ($1) RETURNING id"
    )
    .bind(name)
    .fetch_one(e)
    .await)
    {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "an account named {name} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn account_id_by_name(pool: &Db, name: &str) -> Result<i64, StoreError> {
    on_db!(pool, |e| sqlx::query_scalar(
        "SELECT id FROM accounts WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(e)
    .await)?
    .ok_or_else(|| StoreError::NotFound(format!("no account named {name}")))
}

/// Adds the user to the account, or changes their role if they are in it already.
pub async fn set_membership(
    db: impl Into<Exec<'_>>,
    user_id: i64,
    account_id: i64,
    role: Role,
) -> sqlx::Result<()> {
    on_db!(db, |e| sqlx::query(
        "INSERT INTO memberships (user_id, account_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, account_id) DO UPDATE SET role = excluded.role",
    )
    .bind(user_id)
    .bind(account_id)
    .bind(role)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn create_runtime(
    db: impl Into<Exec<'_>>,
    account_id: i64,
    name: &str,
    provider: ProviderKind,
    api_url: &str,
    repo: Option<&str>,
) -> Result<i64, StoreError> {
    match on_db!(db, |e| {
        sqlx::query_scalar(
        "INSERT INTO runtimes (account_id, name, provider, api_url, repo) VALUES ($1, $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(account_id)
    .bind(name)
    .bind(provider)
    .bind(api_url)
    .bind(repo)
    .fetch_one(e)
    .await
    }) {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "the account already has a runtime named {name}"
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn runtime_id_by_name(pool: &Db, account_id: i64, name: &str) -> Result<i64, StoreError> {
    on_db!(pool, |e| sqlx::query_scalar(
        "SELECT id FROM runtimes WHERE account_id = $1 AND name = $2"
    )
    .bind(account_id)
    .bind(name)
    .fetch_optional(e)
    .await)?
    .ok_or_else(|| StoreError::NotFound(format!("no runtime named {name} in that account")))
}

pub async fn accounts_of_user(pool: &Db, user_id: i64) -> sqlx::Result<Vec<AccountView>> {
    let rows: Vec<(i64, String, Role)> = on_db!(pool, |e| sqlx::query_as(
        "SELECT a.id, a.name, m.role FROM accounts a
         JOIN memberships m ON m.account_id = a.id
         WHERE m.user_id = $1 ORDER BY a.name",
    )
    .bind(user_id)
    .fetch_all(e)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, role)| AccountView { id, name, role })
        .collect())
}

#[derive(FromRow)]
struct RuntimeRecord {
    id: i64,
    name: String,
    account_id: i64,
    account_name: String,
    provider: ProviderKind,
    api_url: String,
    repo: Option<String>,
}

impl RuntimeRecord {
    fn into_row(self) -> RuntimeRow {
        RuntimeRow {
            id: self.id,
            name: self.name,
            account_id: self.account_id,
            account_name: self.account_name,
            provider: self.provider,
            api_url: self.api_url,
            repo: self.repo,
        }
    }
}

/// Every runtime of every account the user is a member of, and nothing else.
pub async fn runtimes_for_user(pool: &Db, user_id: i64) -> sqlx::Result<Vec<RuntimeRow>> {
    let rows: Vec<RuntimeRecord> = on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT r.id, r.name, r.account_id, a.name AS account_name, r.provider, r.api_url, r.repo
         FROM runtimes r
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.account_id = r.account_id AND m.user_id = $1
         ORDER BY a.name, r.name",
    )
    .bind(user_id)
    .fetch_all(e)
    .await
    })?;
    Ok(rows.into_iter().map(RuntimeRecord::into_row).collect())
}

/// One runtime, only if the user is a member of its account.
pub async fn runtime_for_user(
    pool: &Db,
    user_id: i64,
    runtime_id: i64,
) -> sqlx::Result<Option<RuntimeRow>> {
    let row: Option<RuntimeRecord> = on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT r.id, r.name, r.account_id, a.name AS account_name, r.provider, r.api_url, r.repo
         FROM runtimes r
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.account_id = r.account_id AND m.user_id = $1
         WHERE r.id = $2",
    )
    .bind(user_id)
    .bind(runtime_id)
    .fetch_optional(e)
    .await
    })?;
    Ok(row.map(RuntimeRecord::into_row))
}

/// An account's token policy.
pub async fn policy(pool: &Db, account_id: i64) -> sqlx::Result<TokenPolicy> {
    let (max_token_days, oauth_only): (Option<i64>, bool) = on_db!(pool, |e| sqlx::query_as(
        "SELECT max_token_days, oauth_only FROM accounts WHERE id = $1"
    )
    .bind(account_id)
    .fetch_one(e)
    .await)?;
    Ok(TokenPolicy {
        max_token_days,
        oauth_only,
    })
}
