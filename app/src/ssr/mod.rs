//! Server-only code: the domain and its storage. Compiled only with the `ssr` feature.

pub mod admin;
pub mod auth;
pub mod crypto;
pub mod db;
pub mod flash;
pub mod oauth;
pub mod providers;
pub mod runtime_api;
pub mod store;
pub mod tokens;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;

/// What every request handler and server function can reach. Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    /// External base URL; decides Secure cookies and OAuth redirect URIs.
    pub public_url: url::Url,
    pub keys: std::sync::Arc<crypto::Keyring>,
    /// The client for provider calls, with its timeouts.
    pub http: reqwest::Client,
}

/// The state inside a server function; panics only if the router was built without it.
pub fn state() -> AppState {
    leptos::prelude::expect_context::<AppState>()
}
