//! The gitpat server: configuration, the HTTP router and its layers, background jobs, the admin
//! CLI and the git credential helper. Domain logic lives in the `app` crate; the provider
//! emulator in its own crate, linked only for `gitpat demo` (feature `demo`).

pub mod admin_commands;
pub mod cli;
pub mod config;
pub mod credential_api;
#[cfg(feature = "demo")]
pub mod demo;
pub mod git_helper;
pub mod guards;
pub mod jobs;
pub mod router;
pub mod seed;
pub mod telemetry;
pub mod web;

use app::ssr::AppState;
use std::sync::Arc;

/// Page views read side by side on this many connections; a few per core is plenty, as each
/// statement takes microseconds.
const READ_CONNECTIONS: u32 = 4;

/// Opens the database and builds the shared state from a configuration.
pub async fn build_state(config: &config::Config) -> anyhow::Result<AppState> {
    let pool = app::ssr::db::connect(&config.database_url).await?;
    let keys = open_keyring(config, &pool).await?;
    let reads =
        app::ssr::db::connect_readers(&config.database_url, &pool, READ_CONNECTIONS).await?;
    Ok(AppState {
        leptos_options: config.leptos_options.clone(),
        pool,
        reads,
        public_url: config.public_url.clone(),
        keys: Arc::new(keys),
        http: app::ssr::providers::http_client(&config.outbound),
        node: node_name().into(),
        trusted_proxies: config.trusted_proxies.clone(),
        user_provider_calls: config.user_provider_calls_per_minute,
        outbound: config.outbound.clone(),
    })
}

/// This process' name among the nodes sharing a database: its host, process id and a random
/// part (two nodes in one process, as in the tests, differ too).
fn node_name() -> String {
    use rand::Rng;
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    let tag: u32 = rand::thread_rng().gen();
    format!("{host}-{}-{tag:08x}", std::process::id())
}

/// Loads the master key(s), refusing to start with keys that cannot read the database's
/// secrets: a missing key file is created only for a database that holds none, and every key id
/// found in the database must be the current key or one of GITPAT_PREVIOUS_KEYS.
pub async fn open_keyring(
    config: &config::Config,
    pool: &sqlx::SqlitePool,
) -> anyhow::Result<app::ssr::crypto::Keyring> {
    let used: Vec<String> = sqlx::query_scalar(
        "SELECT key_id FROM git_tokens
         UNION SELECT refresh_key_id FROM git_tokens WHERE refresh_key_id IS NOT NULL
         UNION SELECT secret_key_id FROM oauth_apps",
    )
    .fetch_all(pool)
    .await?;
    if let config::KeySource::File(path) = &config.key {
        if !used.is_empty() && !path.exists() {
            anyhow::bail!(
                "the key file {} is missing, but the database holds secrets sealed with it. \
                 Restore the key file (or set GITPAT_MASTER_KEY); a new key could not read them, \
                 so none is created",
                path.display()
            );
        }
    }
    let keys = config.keyring()?;
    if let Some(unknown) = used.iter().find(|id| !keys.knows(id)) {
        anyhow::bail!(
            "the database holds secrets sealed with key {unknown}, which is neither the configured \
             master key ({}) nor one of GITPAT_PREVIOUS_KEYS. Check GITPAT_KEY_FILE / \
             GITPAT_MASTER_KEY; nothing was changed",
            keys.current_id()
        );
    }
    Ok(keys)
}

/// Serves the app until shut down; the expired-session sweeper, WAL checkpoints and token
/// re-validation run beside it and stop with it.
pub async fn run_server(config: &config::Config, banner: Option<String>) -> anyhow::Result<()> {
    let state = build_state(config).await?;
    let store = router::session_store(&state).await?;
    use tower_sessions::ExpiredDeletion;
    let sweeper = tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(60)),
    );
    let checkpointer = tokio::spawn({
        let url = config.database_url.clone();
        async move {
            if let Err(e) = app::ssr::db::checkpoint_forever(&url).await {
                tracing::error!(error = %e, "WAL checkpoints stopped");
            }
        }
    });
    let revalidator = tokio::spawn(jobs::revalidate_forever(
        state.clone(),
        config.revalidate_every,
    ));
    let addr = state.leptos_options.site_addr;
    let app = router::app(
        state,
        store,
        config.secure_cookies(),
        config.login_attempts_per_minute,
    );
    tracing::info!("gitpat listening on http://{addr}");
    if let Some(b) = banner {
        println!("{b}");
    }
    let result = router::serve(app, addr).await;
    sweeper.abort();
    checkpointer.abort();
    revalidator.abort();
    result
}
