//! Server functions of the Admin area. Each one checks that the caller administers the account.

use crate::error::AppError;
use crate::model::AdminAccount;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
const ADMIN: &str = "/admin";

/// The accounts the caller administers, with their runtimes, members and OAuth apps.
#[server(endpoint = "admin/overview")]
pub async fn admin_overview() -> Result<Vec<AdminAccount>, AppError> {
    use crate::ssr::{account_admin, auth, state};
    let user = auth::require_user().await?;
    account_admin::overview(&state().reads, user.id).await
}

#[cfg(feature = "ssr")]
fn parse_provider(p: &str) -> Result<crate::model::ProviderKind, AppError> {
    p.parse().map_err(AppError::Invalid)
}

/// The OAuth app form's fields as posted (flattened into the call, so the form's field names
/// are these). All text: a flattened field is read as a string, and the server parses it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthAppFields {
    pub provider: String,
    pub client_id: String,
    pub client_secret: String,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: String,
    #[serde(default)]
    pub expiry_days: Option<String>,
}

/// Creates or replaces an account's OAuth app for a provider.
#[server(endpoint = "admin/save_oauth_app")]
pub async fn save_oauth_app(
    account_id: i64,
    #[server(flatten)] app: OAuthAppFields,
) -> Result<String, AppError> {
    use crate::ssr::crypto::Secret;
    use crate::ssr::oauth::{self, OAuthAppInput};
    use crate::ssr::{account_admin, request, store::Actor};
    let OAuthAppFields {
        provider,
        client_id,
        client_secret,
        authorize_url,
        token_url,
        scopes,
        expiry_days,
    } = app;
    let client_secret = Secret::new(client_secret);
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let expiry_days = match expiry_days
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(d) => Some(d.parse::<i64>().map_err(|_| {
                AppError::Invalid("The token expiry must be a number of days.".into())
            })?),
        };
        let settings = OAuthAppInput {
            provider: parse_provider(&provider)?,
            client_id,
            client_secret,
            authorize_url,
            token_url,
            scopes,
            expiry_days,
        }
        .parse()
        .map_err(AppError::Invalid)?;
        let kind = settings.provider();
        let addr = request::client_addr().await;
        oauth::set_app(
            &st,
            account_id,
            &settings,
            Actor::user(user.id, addr.as_deref()),
        )
        .await
        .map_err(AppError::Invalid)?;
        Ok(kind.family().to_string())
    }
    .await;
    request::finish(result, |f| crate::model::notice::oauth_app_saved(f), ADMIN).await
}

/// Removes an account's OAuth app; tokens already issued stay until they expire or are deleted.
#[server(endpoint = "admin/remove_oauth_app")]
pub async fn remove_oauth_app(account_id: i64, provider: String) -> Result<String, AppError> {
    use crate::ssr::{account_admin, oauth, request, store::Actor};
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let kind = parse_provider(&provider)?;
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        if !oauth::remove_app(&st.pool, account_id, kind, by).await? {
            return Err(AppError::NotFound("There is no such OAuth app.".into()));
        }
        Ok(kind.label().to_string())
    }
    .await;
    request::finish(
        result,
        |l| crate::model::notice::oauth_app_removed(l),
        ADMIN,
    )
    .await
}

/// Sets an account's token policy: the longest lifetime of a pasted token (empty: no limit) and
/// OAuth only (the checkbox, present when ticked).
#[server(endpoint = "admin/set_policy")]
pub async fn set_policy(
    account_id: i64,
    max_token_days: String,
    oauth_only: Option<String>,
) -> Result<String, AppError> {
    use crate::ssr::{account_admin, request, store::Actor};
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let policy = crate::model::TokenPolicy::parse(&max_token_days, oauth_only.is_some())
            .map_err(AppError::Invalid)?;
        let addr = request::client_addr().await;
        account_admin::set_policy(
            &st.pool,
            account_id,
            policy,
            Actor::user(user.id, addr.as_deref()),
        )
        .await?;
        Ok(String::new())
    }
    .await;
    request::finish(
        result,
        |_| crate::model::notice::POLICY_SAVED.to_string(),
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
    repo: Option<String>,
) -> Result<String, AppError> {
    use crate::ssr::account_admin::{self, RuntimeInput};
    use crate::ssr::{request, store::Actor};
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let input = RuntimeInput {
            name: &name,
            provider: parse_provider(&provider)?,
            api_url: Some(&api_url),
            repo: repo.as_deref(),
        };
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        let added = account_admin::add_runtime(&st, account_id, input, by).await?;
        Ok(added.name)
    }
    .await;
    request::finish(result, |n| crate::model::notice::runtime_added(n), ADMIN).await
}

/// Names (or clears) the repository a runtime works on.
#[server(endpoint = "admin/set_runtime_repo")]
pub async fn set_runtime_repo(
    account_id: i64,
    runtime_id: i64,
    repo: Option<String>,
) -> Result<String, AppError> {
    use crate::ssr::{account_admin, request, store::Actor};
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        account_admin::set_runtime_repo(&st, account_id, runtime_id, repo.as_deref(), by).await
    }
    .await;
    request::finish(result, |n| crate::model::notice::runtime_repo_set(n), ADMIN).await
}

/// Adds a user to an account (or changes their role). The answer is the same whether or not
/// the email has a gitpat account, so the form tells no one who is registered: a user who
/// exists is added, and nothing happens for one who does not.
#[server(endpoint = "admin/add_member")]
pub async fn add_member(account_id: i64, email: String, role: String) -> Result<String, AppError> {
    use crate::ssr::store::{self, Actor};
    use crate::ssr::{account_admin, request};
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let role: crate::model::Role = role.parse().map_err(AppError::Invalid)?;
        let email = email.trim().to_string();
        if email.is_empty() || email.len() > 254 {
            return Err(AppError::Invalid("Give the member's email.".into()));
        }
        if let Some(member) = store::user_by_email(&st.pool, &email).await? {
            let addr = request::client_addr().await;
            let by = Actor::user(user.id, addr.as_deref());
            account_admin::set_member(&st.pool, account_id, member.id, role, by).await?;
        }
        Ok(email)
    }
    .await;
    request::finish(result, |e| crate::model::notice::member_added(e), ADMIN).await
}

/// Removes a member from an account, with their tokens for its runtimes.
#[server(endpoint = "admin/remove_member")]
pub async fn remove_member(account_id: i64, email: String) -> Result<String, AppError> {
    use crate::ssr::store::{self, Actor};
    use crate::ssr::{account_admin, request};
    let result = async {
        let (user, st) = account_admin::require_admin(account_id).await?;
        let not_member = || AppError::NotFound("There is no such member.".into());
        let member = store::user_by_email(&st.pool, email.trim())
            .await?
            .ok_or_else(not_member)?;
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        if !account_admin::remove_member(&st.pool, account_id, member.id, by).await? {
            return Err(not_member());
        }
        Ok(member.email)
    }
    .await;
    request::finish(result, |e| crate::model::notice::member_removed(e), ADMIN).await
}

/// Removes a runtime, with its tokens, API keys and notification settings.
#[server(endpoint = "admin/remove_runtime")]
pub async fn remove_runtime(runtime_id: i64) -> Result<String, AppError> {
    use crate::ssr::store::Actor;
    use crate::ssr::{account_admin, request};
    let result = async {
        let (user, rt, st) = account_admin::require_runtime_admin(runtime_id).await?;
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        account_admin::remove_runtime(&st.pool, rt.id, by).await
    }
    .await;
    request::finish(result, |n| crate::model::notice::runtime_removed(n), ADMIN).await
}

/// Creates an API key for a runtime and returns it: the only time it is shown.
#[server(endpoint = "admin/create_runtime_key")]
pub async fn create_runtime_key(runtime_id: i64) -> Result<String, AppError> {
    use crate::ssr::{account_admin, credentials, request, store::Actor};
    let result = async {
        let (user, rt, st) = account_admin::require_runtime_admin(runtime_id).await?;
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        let key = credentials::create_key(&st.pool, rt.id, by).await?;
        Ok(key.expose().to_string())
    }
    .await;
    // The key goes back in this answer only, never into a notice kept in the session.
    request::finish(result, |_| crate::model::notice::KEY_CREATED.into(), ADMIN).await
}

/// Revokes a runtime's API key.
#[server(endpoint = "admin/revoke_runtime_key")]
pub async fn revoke_runtime_key(runtime_id: i64, prefix: String) -> Result<String, AppError> {
    use crate::ssr::{account_admin, credentials, request, store::Actor};
    let result = async {
        let (user, rt, st) = account_admin::require_runtime_admin(runtime_id).await?;
        let addr = request::client_addr().await;
        let by = Actor::user(user.id, addr.as_deref());
        if !credentials::revoke_key(&st.pool, rt.id, &prefix, by).await? {
            return Err(AppError::NotFound("There is no such active key.".into()));
        }
        Ok(prefix)
    }
    .await;
    request::finish(result, |p| crate::model::notice::key_revoked(p), ADMIN).await
}
