//! Server functions: each checks the caller, calls the domain and maps errors. Thin on purpose.

use crate::error::AppError;
use crate::model::UserView;
use leptos::prelude::*;

pub mod account;
pub mod admin;
pub mod tokens;
pub use account::*;
pub use admin::*;
pub use tokens::*;

/// The signed-in user and their accounts, for the toolbar.
#[server(endpoint = "me")]
pub async fn get_me() -> Result<UserView, AppError> {
    use crate::ssr::{auth, state, store};
    let user = auth::require_user().await?;
    let accounts = store::accounts_of_user(&state().reads, user.id).await?;
    Ok(UserView {
        id: user.id,
        initials: crate::model::initials(&user.display_name),
        email: user.email,
        display_name: user.display_name,
        accounts,
    })
}
