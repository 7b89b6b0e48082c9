//! Server functions of the signed-in user's own account.

use crate::error::AppError;
use leptos::prelude::*;

/// Changes the caller's password (the current one is required); ends their other sessions.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::ssr::{auth, request, state};
    let result = async {
        let user = auth::require_user().await?;
        let session: tower_sessions::Session = leptos_axum::extract()
            .await
            .map_err(|e| AppError::internal("session extraction failed", e))?;
        auth::change_password(
            &session,
            &state().pool,
            &user,
            current_password,
            new_password,
            confirm_password,
            request::client_addr().await.as_deref(),
        )
        .await
    }
    .await;
    request::finish(
        result,
        |_| crate::model::notice::PASSWORD_CHANGED.into(),
        "/git-personal-access-tokens",
    )
    .await
}

pub use crate::model::notice::PASSWORD_CHANGED;
