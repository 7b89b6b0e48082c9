//! Server functions of the Git Personal Access Tokens page.

use crate::error::AppError;
use crate::model::{ActivityItem, Deleted, Flash, ReminderMail, Rotated, TokenRow, TokenStatus};
use leptos::prelude::*;

/// The caller's runtimes with their token state (never the token).
#[server(endpoint = "tokens")]
pub async fn list_tokens() -> Result<Vec<TokenRow>, AppError> {
    use crate::ssr::{auth, state, tokens};
    let user = auth::require_user().await?;
    tokens::rows_for_user(&state().reads, user.id).await
}

/// Validates a personal access token at the runtime's provider and stores it for the caller
/// (replacing the previous one only once the new one has passed): the runtime's name and the
/// status its row shows now.
#[server(endpoint = "add_token")]
pub async fn add_token(
    runtime_id: i64,
    token: String,
    username: Option<String>,
) -> Result<(String, TokenStatus), AppError> {
    use crate::ssr::crypto::Secret;
    use crate::ssr::{auth, request, state, tokens};
    let token = Secret::new(token);
    let result = async {
        let user = auth::require_user().await?;
        let st = state();
        let req = tokens::NewToken {
            runtime_id,
            token,
            username,
        };
        let (rt, status) = tokens::add_pat(&st, user.id, req, request::client_addr().await).await?;
        Ok((rt.name, status))
    }
    .await;
    request::finish(
        result,
        crate::model::notice::token_added,
        "/git-personal-access-tokens",
    )
    .await
}

/// Deletes the caller's token for a runtime, and revokes it at the provider where that is
/// possible and no other runtime of the caller holds the same token.
#[server(endpoint = "delete_token")]
pub async fn delete_token(runtime_id: i64) -> Result<Deleted, AppError> {
    use crate::ssr::{auth, request, state, tokens};
    let result = async {
        let user = auth::require_user().await?;
        tokens::delete(&state(), user.id, runtime_id, request::client_addr().await).await
    }
    .await;
    request::finish(
        result,
        crate::model::notice::token_deleted,
        "/git-personal-access-tokens",
    )
    .await
}

/// Rotates the caller's token for a runtime in every runtime that holds it: at GitLab without a
/// `token`; with one (a new token the caller made), by putting it in place of the old one.
#[server(endpoint = "rotate_token")]
pub async fn rotate_token(runtime_id: i64, token: Option<String>) -> Result<Rotated, AppError> {
    use crate::ssr::crypto::Secret;
    use crate::ssr::{auth, request, state, tokens};
    let token = token.map(Secret::new);
    let result = async {
        let user = auth::require_user().await?;
        tokens::rotate(
            &state(),
            user.id,
            runtime_id,
            token,
            request::client_addr().await,
        )
        .await
    }
    .await;
    request::finish(
        result,
        crate::model::notice::token_rotated,
        "/git-personal-access-tokens",
    )
    .await
}

/// Checks the caller's token for a runtime at its provider now (after authorizing it for
/// single sign-on, say): the runtime's name and the status its row shows now.
#[server(endpoint = "check_token")]
pub async fn check_token(runtime_id: i64) -> Result<(String, TokenStatus), AppError> {
    use crate::ssr::{auth, request, state, tokens};
    let result = async {
        let user = auth::require_user().await?;
        tokens::check_now(&state(), user.id, runtime_id).await
    }
    .await;
    request::finish(
        result,
        crate::model::notice::token_checked,
        "/git-personal-access-tokens",
    )
    .await
}

/// Hides (or shows again) a runtime's notifications for the caller.
#[server(endpoint = "set_notifications_hidden")]
pub async fn set_notifications_hidden(runtime_id: i64, hidden: bool) -> Result<bool, AppError> {
    use crate::ssr::{auth, request, state, tokens};
    let result = async {
        let user = auth::require_user().await?;
        tokens::set_hidden(
            &state(),
            user.id,
            runtime_id,
            hidden,
            request::client_addr().await,
        )
        .await?;
        Ok(hidden)
    }
    .await;
    request::finish(
        result,
        |h| crate::model::notice::notifications(*h),
        "/git-personal-access-tokens",
    )
    .await
}

/// Whether the caller gets expiry reminders by e-mail (and whether this server sends any).
#[server(endpoint = "reminder_mail_setting")]
pub async fn reminder_mail_setting() -> Result<ReminderMail, AppError> {
    use crate::ssr::{auth, state};
    let user = auth::require_user().await?;
    Ok(ReminderMail {
        available: state().mailer.is_some(),
        on: user.reminder_mail,
    })
}

/// Turns expiry reminders by e-mail on or off for the caller.
#[server(endpoint = "set_reminder_mail")]
pub async fn set_reminder_mail(enabled: bool) -> Result<bool, AppError> {
    use crate::ssr::{auth, reminders, request, state};
    let result = async {
        let user = auth::require_user().await?;
        reminders::set_for_user(
            &state().pool,
            user.id,
            enabled,
            request::client_addr().await,
        )
        .await?;
        Ok(enabled)
    }
    .await;
    request::finish(
        result,
        |on| crate::model::notice::reminder_mail(*on),
        "/git-personal-access-tokens",
    )
    .await
}

/// The one-time notice left by the last form post, if any.
#[server(endpoint = "flash")]
pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    Ok(crate::ssr::flash::take().await)
}

/// The caller's latest token and sign-in events.
#[server(endpoint = "activity")]
pub async fn recent_activity() -> Result<Vec<ActivityItem>, AppError> {
    use crate::ssr::{auth, state, store};
    let user = auth::require_user().await?;
    Ok(store::recent_activity(&state().reads, user.id, 10).await?)
}
