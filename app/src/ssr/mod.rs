//! Server-only code: the domain and its storage. Compiled only with the `ssr` feature.

pub mod account_admin;
pub mod auth;
pub mod credentials;
pub mod crypto;
pub mod db;
pub mod flash;
pub mod mail;
pub mod oauth;
pub mod outbound;
pub mod providers;
pub mod rekey;
pub mod reminders;
pub mod request;
pub mod store;
pub mod tokens;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

/// What every request handler and server function can reach. Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// The one writing connection (see `db::connect`); also for reads inside a change.
    pub pool: db::Db,
    /// Read-only connections for page views (see `db::connect_readers`).
    #[from_ref(skip)]
    pub reads: db::Db,
    /// External base URL; decides Secure cookies and OAuth redirect URIs.
    pub public_url: url::Url,
    pub keys: std::sync::Arc<crypto::Keyring>,
    /// The client for provider calls, with its timeouts.
    pub http: reqwest::Client,
    /// This node's name among the nodes sharing the database: holder of leases and claims.
    #[from_ref(skip)]
    pub node: std::sync::Arc<str>,
    /// Whose `X-Forwarded-For` gives the client's address.
    #[from_ref(skip)]
    pub trusted_proxies: request::TrustedProxies,
    /// Token additions (and, apart, OAuth starts) a user may make per minute: each asks a
    /// provider (`GITPAT_USER_PROVIDER_CALLS_PER_MINUTE`).
    #[from_ref(skip)]
    pub user_provider_calls: u32,
    /// Where provider calls may go (`GITPAT_ALLOW_PRIVATE_NETWORKS`).
    #[from_ref(skip)]
    pub outbound: outbound::Outbound,
    /// The SMTP relay for reminder mail (`GITPAT_SMTP_URL`); `None`: no mail is sent.
    #[from_ref(skip)]
    pub mailer: Option<mail::Mailer>,
}

/// The state inside a server function; panics only if the router was built without it.
pub fn state() -> AppState {
    leptos::prelude::expect_context::<AppState>()
}

/// The Content-Security-Policy. Pages pass the nonce Leptos puts on its own inline scripts (the
/// hydration bootstrap and streamed resources); every other response passes `None` and may run
/// no inline script at all.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    // cargo-leptos sets LEPTOS_WATCH for `cargo leptos watch`, whose live reload is a websocket.
    static WATCHED: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var_os("LEPTOS_WATCH").is_some());
    policy(nonce, *WATCHED)
}

fn policy(nonce: Option<&str>, live_reload: bool) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    let reload = if live_reload {
        " ws://127.0.0.1:3001 ws://localhost:3001"
    } else {
        ""
    };
    // No `form-action`: Chromium applies it to the redirect after a form post, and "Authorize
    // Access" posts to us and is redirected on to the provider.
    format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'{reload}; frame-ancestors 'none'; base-uri 'none'; \
         object-src 'none'"
    )
}

/// Sends the page's CSP with this response's nonce (called while rendering the shell).
pub fn set_page_csp() {
    use leptos::prelude::use_context;
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce();
    if let Ok(v) = http::HeaderValue::from_str(&content_security_policy(nonce.as_deref())) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    use super::policy;

    #[test]
    fn the_live_reload_websocket_is_allowed_only_under_watch() {
        assert!(!policy(None, false).contains("ws:"));
        assert!(policy(None, true).contains("connect-src 'self' ws://127.0.0.1:3001"));
        assert!(policy(Some("abc"), false).contains("script-src 'self' 'nonce-abc'"));
    }
}
