//! Server functions of the Admin area. Each one checks that the caller administers the account.
// A form's fields are a server function's arguments; the OAuth app form has eight.
#![allow(clippy::too_many_arguments)]

use crate::error::AppError;
use crate::model::AdminAccount;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const ADMIN: &str = "/admin";

/// The accounts the caller administers, with their runtimes, members and OAuth apps.
#[server(endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<Vec<AdminAccount>, AppError> {
    use crate::ssr::{admin, auth, state};
    let user = auth::require_user().await?;
    let result = admin::overview(&state().reads, user.id).await;
    if let Err(e) = &result {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(e.status());
        }
    }
    result
}

#[cfg(feature = "ssr")]
fn parse_provider(p: &str) -> Result<crate::model::ProviderKind, AppError> {
    p.parse().map_err(AppError::Invalid)
}

/// Creates or replaces an account's OAuth app for a provider.
#[server(endpoint = "admin/save_oauth_app")]
pub async fn save_oauth_app(
    account_id: i64,
    provider: String,
    client_id: String,
    client_secret: String,
    authorize_url: String,
    token_url: String,
    scopes: String,
    expiry_days: Option<String>,
) -> Result<String, AppError> {
    use crate::ssr::crypto::Secret;
    use crate::ssr::{admin, auth, flash, oauth, state, store};
    let secret = Secret::new(client_secret);
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        admin::require_account_admin(&st.pool, user.id, account_id).await?;
        let kind = parse_provider(&provider)?;
        let expiry = match expiry_days
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(d) => Some(d.parse::<i64>().map_err(|_| {
                AppError::Invalid("The token expiry must be a number of days.".into())
            })?),
        };
        oauth::set_app(
            &st.pool,
            &st.keys,
            account_id,
            kind,
            &client_id,
            &secret,
            &authorize_url,
            &token_url,
            &scopes,
            expiry,
        )
        .await
        .map_err(AppError::Invalid)?;
        let detail = format!("provider={kind}");
        store::audit_in(
            &st.pool,
            Some(user.id),
            Some(account_id),
            None,
            "admin.oauth_app.set",
            &detail,
            flash::client_addr().await.as_deref(),
        )
        .await?;
        Ok(kind.family().to_string())
    }
    .await;
    flash::finish(result, |f| crate::model::notice::oauth_app_saved(f), ADMIN).await
}

/// Removes an account's OAuth app; tokens already issued stay until they expire or are deleted.
#[server(endpoint = "admin/remove_oauth_app")]
pub async fn remove_oauth_app(account_id: i64, provider: String) -> Result<String, AppError> {
    use crate::ssr::{admin, auth, flash, oauth, state, store};
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        admin::require_account_admin(&st.pool, user.id, account_id).await?;
        let kind = parse_provider(&provider)?;
        if !oauth::remove_app(&st.pool, account_id, kind).await? {
            return Err(AppError::NotFound("There is no such OAuth app.".into()));
        }
        let detail = format!("provider={kind}");
        store::audit_in(
            &st.pool,
            Some(user.id),
            Some(account_id),
            None,
            "admin.oauth_app.remove",
            &detail,
            flash::client_addr().await.as_deref(),
        )
        .await?;
        Ok(kind.label().to_string())
    }
    .await;
    flash::finish(
        result,
        |l| crate::model::notice::oauth_app_removed(l),
        ADMIN,
    )
    .await
}

/// Provisions a runtime in an account.
#[server(endpoint = "admin/add_runtime")]
pub async fn add_runtime(
    account_id: i64,
    name: String,
    provider: String,
    api_url: String,
) -> Result<String, AppError> {
    use crate::ssr::{admin, auth, flash, state, store};
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        admin::require_account_admin(&st.pool, user.id, account_id).await?;
        let kind = parse_provider(&provider)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::Invalid(
                "The runtime name must be 1–100 printable characters.".into(),
            ));
        }
        let api_url = match api_url.trim() {
            "" => kind
                .default_api_url()
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "{} is self-hosted: give its API URL.",
                        kind.label()
                    ))
                })?
                .to_string(),
            u => {
                let parsed = url::Url::parse(u)
                    .map_err(|_| AppError::Invalid("The API URL is not a URL.".into()))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(AppError::Invalid(
                        "The API URL must be an http(s) URL.".into(),
                    ));
                }
                u.trim_end_matches('/').to_string()
            }
        };
        let id = store::create_runtime(&st.pool, account_id, name, kind, &api_url)
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(m) => AppError::Invalid(m),
                other => AppError::internal("adding a runtime failed", other),
            })?;
        store::audit(
            &st.pool,
            Some(user.id),
            Some(id),
            "admin.runtime.add",
            "",
            flash::client_addr().await.as_deref(),
        )
        .await?;
        Ok(name.to_string())
    }
    .await;
    flash::finish(result, |n| crate::model::notice::runtime_added(n), ADMIN).await
}

/// Adds an existing user to an account (or changes their role).
#[server(endpoint = "admin/add_member")]
pub async fn add_member(account_id: i64, email: String, role: String) -> Result<String, AppError> {
    use crate::ssr::{admin, auth, flash, state, store};
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        admin::require_account_admin(&st.pool, user.id, account_id).await?;
        let role: crate::model::Role = role.parse().map_err(AppError::Invalid)?;
        let member = store::user_by_email(&st.pool, email.trim())
            .await?
            .ok_or_else(|| {
                AppError::Invalid(format!("There is no user with the email {}.", email.trim()))
            })?;
        store::set_membership(&st.pool, member.id, account_id, role).await?;
        let detail = format!("member={} role={}", member.id, role.as_str());
        store::audit_in(
            &st.pool,
            Some(user.id),
            Some(account_id),
            None,
            "admin.member.set",
            &detail,
            flash::client_addr().await.as_deref(),
        )
        .await?;
        Ok(member.email)
    }
    .await;
    flash::finish(result, |e| crate::model::notice::member_added(e), ADMIN).await
}

/// Creates an API key for a runtime and returns it: the only time it is shown.
#[server(endpoint = "admin/create_runtime_key")]
pub async fn create_runtime_key(runtime_id: i64) -> Result<String, AppError> {
    use crate::ssr::{admin, auth, flash, runtime_api, state, store};
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        let rt = admin::admin_runtime(&st.pool, user.id, runtime_id).await?;
        let key = runtime_api::create_key(&st.pool, rt.id).await?;
        store::audit(
            &st.pool,
            Some(user.id),
            Some(rt.id),
            "admin.runtime_key.create",
            "",
            flash::client_addr().await.as_deref(),
        )
        .await?;
        Ok(key.expose().to_string())
    }
    .await;
    // The key goes back in this answer only, never into a notice kept in the session.
    flash::finish(result, |_| crate::model::notice::KEY_CREATED.into(), ADMIN).await
}

/// Revokes a runtime's API key.
#[server(endpoint = "admin/revoke_runtime_key")]
pub async fn revoke_runtime_key(runtime_id: i64, prefix: String) -> Result<String, AppError> {
    use crate::ssr::{admin, auth, flash, runtime_api, state, store};
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        let rt = admin::admin_runtime(&st.pool, user.id, runtime_id).await?;
        if !runtime_api::revoke_key(&st.pool, rt.id, &prefix).await? {
            return Err(AppError::NotFound("There is no such active key.".into()));
        }
        let detail = format!("key={prefix}");
        store::audit(
            &st.pool,
            Some(user.id),
            Some(rt.id),
            "admin.runtime_key.revoke",
            &detail,
            flash::client_addr().await.as_deref(),
        )
        .await?;
        Ok(prefix)
    }
    .await;
    flash::finish(result, |p| crate::model::notice::key_revoked(p), ADMIN).await
}
