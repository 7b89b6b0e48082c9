//! The Admin area's domain: what an account admin may see and change in their accounts.

use super::store;
use crate::error::AppError;
use crate::model::{AdminAccount, MemberView, Role, RuntimeKeyView};
use sqlx::SqlitePool;

/// Refuses unless the user is an admin of the account.
pub async fn require_account_admin(
    pool: &SqlitePool,
    user_id: i64,
    account_id: i64,
) -> Result<(), AppError> {
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM memberships WHERE user_id = ? AND account_id = ?")
            .bind(user_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await?;
    match role.as_deref() {
        Some("admin") => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn members(pool: &SqlitePool, account_id: i64) -> sqlx::Result<Vec<MemberView>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT u.email, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.account_id = ? ORDER BY u.email",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(email, display_name, role)| MemberView {
            email,
            display_name,
            role: role.parse().unwrap_or(Role::Member),
        })
        .collect())
}

/// The runtime, if it belongs to an account the user administers.
pub async fn admin_runtime(
    pool: &SqlitePool,
    user_id: i64,
    runtime_id: i64,
) -> Result<crate::model::RuntimeRow, AppError> {
    let rt = store::runtime_for_user(pool, user_id, runtime_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    require_account_admin(pool, user_id, rt.account_id).await?;
    Ok(rt)
}

/// Audit events the Admin area shows per account.
pub const AUDIT_SHOWN: i64 = 30;

/// Everything the Admin area shows: the accounts the user administers. Forbidden for others.
pub async fn overview(pool: &SqlitePool, user_id: i64) -> Result<Vec<AdminAccount>, AppError> {
    let accounts: Vec<_> = store::accounts_of_user(pool, user_id)
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Admin)
        .collect();
    if accounts.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    let apps = super::oauth::list_apps(pool, &ids).await?;
    let runtimes = store::runtimes_for_user(pool, user_id).await?;
    let mut out = Vec::new();
    for a in accounts {
        let mine: Vec<_> = runtimes
            .iter()
            .filter(|r| r.account_id == a.id)
            .cloned()
            .collect();
        let mut keys = Vec::new();
        for r in &mine {
            let listed = super::runtime_api::list_keys(pool, r.id).await?;
            keys.extend(listed.into_iter().map(|k| RuntimeKeyView {
                runtime_id: r.id,
                prefix: k.prefix,
                created_at: k.created_at,
                revoked: k.revoked_at.is_some(),
            }));
        }
        out.push(AdminAccount {
            id: a.id,
            runtimes: mine,
            keys,
            members: members(pool, a.id).await?,
            audit: store::account_audit(pool, a.id, AUDIT_SHOWN).await?,
            oauth_apps: apps
                .iter()
                .filter(|o| o.account_id == a.id)
                .cloned()
                .collect(),
            name: a.name,
        });
    }
    Ok(out)
}
