//! The Admin area's domain: what an account admin may see and change in their accounts.

use super::store::{self, Actor, StoreError, UserRecord};
use super::{auth, outbound, AppState};
use crate::error::AppError;
use crate::model::AuditAction;
use crate::model::{
    check_repo_input, AdminAccount, MemberView, ProviderKind, Role, RuntimeKeyView, TokenPolicy,
    TokenUseView, RECENT_USE_DAYS,
};
use crate::ssr::db::{on_db, Db};

/// For a server function of the Admin area: the signed-in user, if they administer the account,
/// and the state to act with.
pub async fn require_admin(account_id: i64) -> Result<(UserRecord, AppState), AppError> {
    let user = auth::require_user().await?;
    let st = super::state();
    require_account_admin(&st.pool, user.id, account_id).await?;
    Ok((user, st))
}

/// For a server function about one runtime: the signed-in user, if they administer the
/// runtime's account, the runtime, and the state to act with.
pub async fn require_runtime_admin(
    runtime_id: i64,
) -> Result<(UserRecord, crate::model::RuntimeRow, AppState), AppError> {
    let user = auth::require_user().await?;
    let st = super::state();
    let rt = admin_runtime(&st.pool, user.id, runtime_id).await?;
    Ok((user, rt, st))
}

/// A runtime's API URL as an admin gives it (Admin area and CLI), by the one rule for URLs
/// gitpat calls ([`outbound::check_url`]); returned without a trailing slash.
pub fn check_api_url(raw: &str) -> Result<String, String> {
    outbound::check_url("API URL", raw)?;
    Ok(raw.trim().trim_end_matches('/').to_string())
}

/// Adds a user to an account or changes their role there, with its audit event.
pub async fn set_member(
    pool: &Db,
    account_id: i64,
    member_id: i64,
    role: Role,
    by: Actor<'_>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    store::set_membership(&mut tx, member_id, account_id, role).await?;
    let detail = format!("member={member_id} role={}", role.as_str());
    store::audit_in(
        &mut tx,
        by.user_id,
        Some(account_id),
        None,
        AuditAction::MemberSet,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await
}

/// Sets an account's token policy, with its audit event.
pub async fn set_policy(
    pool: &Db,
    account_id: i64,
    policy: TokenPolicy,
    by: Actor<'_>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    on_db!(&mut tx, |e| sqlx::query(
        "UPDATE accounts SET max_token_days = $1, oauth_only = $2 WHERE id = $3"
    )
    .bind(policy.max_token_days)
    .bind(policy.oauth_only)
    .bind(account_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let days = policy
        .max_token_days
        .map_or("none".to_string(), |d| d.to_string());
    let detail = format!("max_token_days={days} oauth_only={}", policy.oauth_only);
    store::audit_in(
        &mut tx,
        by.user_id,
        Some(account_id),
        None,
        AuditAction::PolicySet,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await
}

/// Removes a member from an account: their tokens for its runtimes and their notification
/// settings there go too, so no runtime of the account gets a credential of theirs again. An
/// account keeps at least one admin. Returns whether they were a member.
pub async fn remove_member(
    pool: &Db,
    account_id: i64,
    member_id: i64,
    by: Actor<'_>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let role: Option<Role> = on_db!(&mut tx, |e| sqlx::query_scalar(
        "SELECT role FROM memberships WHERE user_id = $1 AND account_id = $2"
    )
    .bind(member_id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?;
    let Some(role) = role else {
        return Ok(false);
    };
    if role == Role::Admin {
        let admins: i64 = on_db!(&mut tx, |e| sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE account_id = $1 AND role = 'admin'",
        )
        .bind(account_id)
        .fetch_one(e)
        .await)?;
        if admins == 1 {
            return Err(AppError::Invalid(
                "An account keeps at least one admin: make someone else admin first.".into(),
            ));
        }
    }
    for table in ["git_tokens", "notification_prefs"] {
        on_db!(&mut tx, |e| sqlx::query(&format!(
            "DELETE FROM {table} WHERE user_id = $1
             AND runtime_id IN (SELECT id FROM runtimes WHERE account_id = $2)"
        ))
        .bind(member_id)
        .bind(account_id)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
    }
    on_db!(&mut tx, |e| sqlx::query(
        "DELETE FROM memberships WHERE user_id = $1 AND account_id = $2"
    )
    .bind(member_id)
    .bind(account_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let detail = format!("member={member_id}");
    store::audit_in(
        &mut tx,
        by.user_id,
        Some(account_id),
        None,
        AuditAction::MemberRemove,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Removes a runtime; its tokens, API keys and notification settings go with it. Its audit
/// events stay (they name it in their detail from now on). Returns its name.
pub async fn remove_runtime(pool: &Db, runtime_id: i64, by: Actor<'_>) -> Result<String, AppError> {
    let mut tx = pool.begin().await?;
    let found: Option<(String, i64)> = on_db!(&mut tx, |e| sqlx::query_as(
        "SELECT name, account_id FROM runtimes WHERE id = $1"
    )
    .bind(runtime_id)
    .fetch_optional(e)
    .await)?;
    let Some((name, account_id)) = found else {
        return Err(AppError::NotFound("There is no such runtime.".into()));
    };
    on_db!(&mut tx, |e| sqlx::query(
        "UPDATE audit_events SET detail = detail || $1 WHERE runtime_id = $2"
    )
    .bind(format!(" (runtime {name})"))
    .bind(runtime_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    on_db!(&mut tx, |e| sqlx::query(
        "DELETE FROM runtimes WHERE id = $1"
    )
    .bind(runtime_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let detail = format!("runtime={name}");
    store::audit_in(
        &mut tx,
        by.user_id,
        Some(account_id),
        None,
        AuditAction::RuntimeRemove,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

/// Disables a user (every session ends, sign-in is refused as for a wrong password, runtimes get
/// no credential of theirs) or enables them again. Operators only (the CLI).
pub async fn set_user_disabled(
    pool: &Db,
    user_id: i64,
    disabled: bool,
    by: Actor<'_>,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if !store::set_disabled(&mut tx, user_id, disabled).await? {
        return Err(AppError::NotFound("There is no such user.".into()));
    }
    let action = if disabled {
        AuditAction::UserDisable
    } else {
        AuditAction::UserEnable
    };
    let detail = if by.user_id.is_none() {
        "by an operator"
    } else {
        ""
    };
    store::audit(&mut tx, Some(user_id), None, action, detail, by.client_addr).await?;
    tx.commit().await?;
    Ok(())
}

/// A runtime as an admin describes it, from the Admin area or the CLI.
pub struct RuntimeInput<'a> {
    pub name: &'a str,
    pub provider: ProviderKind,
    /// `None` (or blank): the provider's public API, which self-hosted kinds do not have.
    pub api_url: Option<&'a str>,
    /// The repository the runtime works on (`None` or blank: none named), which its tokens must
    /// be able to write to.
    pub repo: Option<&'a str>,
}

/// A runtime just added.
pub struct AddedRuntime {
    pub id: i64,
    pub name: String,
    pub api_url: String,
    pub repo: Option<String>,
}

/// Checks and adds a runtime to an account; it commits with its audit event.
pub async fn add_runtime(
    st: &AppState,
    account_id: i64,
    input: RuntimeInput<'_>,
    by: Actor<'_>,
) -> Result<AddedRuntime, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid(
            "The runtime name must be 1–100 printable characters.".into(),
        ));
    }
    let kind = input.provider;
    let api_url = match input.api_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => check_api_url(u).map_err(AppError::Invalid)?,
        None => kind
            .default_api_url()
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "{} is self-hosted: give its API URL.",
                    kind.label()
                ))
            })?
            .to_string(),
    };
    let repo = match input.repo.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(check_repo_input(kind, r).map_err(AppError::Invalid)?),
        None => None,
    };
    st.outbound
        .check_url("API URL", &api_url)
        .await
        .map_err(AppError::Invalid)?;
    let mut tx = st.pool.begin().await?;
    let id = store::create_runtime(&mut tx, account_id, name, kind, &api_url, repo.as_deref())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) | StoreError::NotFound(m) => AppError::Invalid(m),
            StoreError::Db(e) => AppError::internal("adding a runtime failed", e),
        })?;
    store::audit(
        &mut tx,
        by.user_id,
        Some(id),
        AuditAction::RuntimeAdd,
        &repo
            .as_ref()
            .map(|r| format!("repo={r}"))
            .unwrap_or_default(),
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(AddedRuntime {
        id,
        name: name.to_string(),
        api_url,
        repo,
    })
}

/// Names (or, with `None` or blank, stops naming) the repository a runtime of the account works
/// on. Its users' tokens are due for re-validation at once, so the next pass checks them
/// against the new repository. Commits with its audit event; returns the runtime's name.
pub async fn set_runtime_repo(
    st: &AppState,
    account_id: i64,
    runtime_id: i64,
    repo: Option<&str>,
    by: Actor<'_>,
) -> Result<String, AppError> {
    let found: Option<(String, ProviderKind)> = on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT name, provider FROM runtimes WHERE id = $1 AND account_id = $2"
    )
    .bind(runtime_id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?;
    let (name, kind) =
        found.ok_or_else(|| AppError::NotFound("No such runtime in this account.".into()))?;
    let repo = match repo.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(check_repo_input(kind, r).map_err(AppError::Invalid)?),
        None => None,
    };
    let mut tx = st.pool.begin().await?;
    on_db!(&mut tx, |e| sqlx::query(
        "UPDATE runtimes SET repo = $1 WHERE id = $2"
    )
    .bind(&repo)
    .bind(runtime_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    // Checked against the old repository (or none): due now.
    on_db!(&mut tx, |e| sqlx::query(
        "UPDATE git_tokens SET last_validated_at = $1 WHERE runtime_id = $2"
    )
    .bind(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH)
    .bind(runtime_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    store::audit(
        &mut tx,
        by.user_id,
        Some(runtime_id),
        AuditAction::RuntimeRepoSet,
        &format!("repo={}", repo.as_deref().unwrap_or("none")),
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

/// Refuses unless the user is an admin of the account.
pub async fn require_account_admin(
    pool: &Db,
    user_id: i64,
    account_id: i64,
) -> Result<(), AppError> {
    let role: Option<Role> = on_db!(pool, |e| sqlx::query_scalar(
        "SELECT role FROM memberships WHERE user_id = $1 AND account_id = $2"
    )
    .bind(user_id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?;
    match role {
        Some(Role::Admin) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn members(pool: &Db, account_id: i64) -> sqlx::Result<Vec<MemberView>> {
    let rows: Vec<(String, String, Role)> = on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT u.email, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.account_id = $1 ORDER BY u.email",
    )
    .bind(account_id)
    .fetch_all(e)
    .await
    })?;
    Ok(rows
        .into_iter()
        .map(|(email, display_name, role)| MemberView {
            email,
            display_name,
            role,
        })
        .collect())
}

/// Members' tokens the account's runtimes read within [`RECENT_USE_DAYS`], latest first.
pub async fn recent_use(pool: &Db, account_id: i64) -> sqlx::Result<Vec<TokenUseView>> {
    let since = chrono::Utc::now() - chrono::Duration::days(RECENT_USE_DAYS);
    on_db!(pool, |e| sqlx::query_as(
        "SELECT t.runtime_id, u.email, t.last_used_at
         FROM git_tokens t
         JOIN runtimes r ON r.id = t.runtime_id
         JOIN users u ON u.id = t.user_id
         WHERE r.account_id = $1 AND t.last_used_at > $2
         ORDER BY t.last_used_at DESC",
    )
    .bind(account_id)
    .bind(since)
    .fetch_all(e)
    .await)
}

/// The runtime, if it belongs to an account the user administers.
pub async fn admin_runtime(
    pool: &Db,
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
pub async fn overview(pool: &Db, user_id: i64) -> Result<Vec<AdminAccount>, AppError> {
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
            let listed = super::credentials::list_keys(pool, r.id).await?;
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
            recent_use: recent_use(pool, a.id).await?,
            policy: store::policy(pool, a.id).await?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_api_urls() {
        assert_eq!(
            check_api_url(" https://ghe.acme.io/api/v3/ ").unwrap(),
            "https://ghe.acme.io/api/v3"
        );
        assert_eq!(
            check_api_url("http://127.0.0.1:3201/gitlab/api/v4").unwrap(),
            "http://127.0.0.1:3201/gitlab/api/v4"
        );
        for (bad, why) in [
            ("ftp://x/api", "http(s)"),
            ("nope", "not a URL"),
            ("https://evil.example/api?x=/", "query"),
            ("https://evil.example/api#x", "query or fragment"),
        ] {
            let e = check_api_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
