//! One module per page.

pub mod account;
pub mod admin;
pub mod drawers;
pub mod login;
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found"/>
        <main class="page narrow">
            <h1>"Page not found"</h1>
            <p><a href="/git-personal-access-tokens">"Back to Git Personal Access Tokens"</a></p>
        </main>
    }
}
