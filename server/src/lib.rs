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
pub mod sessions;
pub mod telemetry;
pub mod web;

use app::ssr::db::{on_db, Db};
use app::ssr::AppState;
use std::sync::Arc;

/// Page views read side by side on this many connections; a few per core is plenty, as each
/// statement takes microseconds.
const READ_CONNECTIONS: u32 = 4;

/// Opens the database and builds the shared state from a configuration.
pub async fn build_state(config: &config::Config) -> anyhow::Result<AppState> {
    let pool = app::ssr::db::open(&config.database_url, config.db_max_connections).await?;
    let keys = open_keyring(config, &pool).await?;
    let reads = app::ssr::db::open_readers(&config.database_url, &pool, READ_CONNECTIONS).await?;
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
        mailer: config.mail.as_ref().map(|m| m.mailer()).transpose()?,
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
    pool: &Db,
) -> anyhow::Result<app::ssr::crypto::Keyring> {
    let used: Vec<String> = on_db!(pool, |e| sqlx::query_scalar(
        "SELECT key_id FROM git_tokens
         UNION SELECT refresh_key_id FROM git_tokens WHERE refresh_key_id IS NOT NULL
         UNION SELECT secret_key_id FROM oauth_apps",
    )
    .fetch_all(e)
    .await)?;
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
    if pool.is_postgres() {
        record_key_id(pool, &keys).await?;
    }
    Ok(keys)
}

/// On PostgreSQL, the first node records its master key's id; a node with another key refuses
/// to start, before it seals a secret the others cannot open. A node whose previous keys include
/// the recorded one is a rotation (`gitpat admin rekey` follows) and records its new key.
async fn record_key_id(
    pool: &app::ssr::db::Db,
    keys: &app::ssr::crypto::Keyring,
) -> anyhow::Result<()> {
    let current = keys.current_id();
    let mut tx = pool.begin().await?;
    // Inserts the first node's key id, or leaves the recorded one; either way answers it.
    let recorded: String = on_db!(&mut tx, |e| sqlx::query_scalar(
        "INSERT INTO settings (name, value) VALUES ('master_key_id', $1)
         ON CONFLICT (name) DO UPDATE SET value = settings.value
         RETURNING value",
    )
    .bind(current)
    .fetch_one(e)
    .await)?;
    match recorded {
        id if id == current => {}
        id if keys.knows(&id) => {
            on_db!(&mut tx, |e| sqlx::query(
                "UPDATE settings SET value = $1 WHERE name = 'master_key_id'"
            )
            .bind(current)
            .execute(e)
            .await
            .map(|_| ()))?;
            tracing::info!(from = %id, to = %current, "master key rotated");
        }
        id => anyhow::bail!(
            "this database's nodes use master key {id}, but GITPAT_MASTER_KEY is key {current}. \
             Give every node the same GITPAT_MASTER_KEY (to rotate: the new key, with the old one \
             in GITPAT_PREVIOUS_KEYS); nothing was changed"
        ),
    }
    tx.commit().await?;
    Ok(())
}

/// Serves the app until shut down; the expired-session sweeper, WAL checkpoints, token
/// re-validation and reminder mail run beside it and stop with it.
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
        let sqlite = !state.pool.is_postgres();
        async move {
            if sqlite {
                if let Err(e) = app::ssr::db::checkpoint_forever(&url).await {
                    tracing::error!(error = %e, "WAL checkpoints stopped");
                }
            }
        }
    });
    let revalidator = tokio::spawn(jobs::revalidate_forever(
        state.clone(),
        config.revalidate_every,
    ));
    let mailer = tokio::spawn(jobs::mail_forever(state.clone(), config.reminder_every));
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
    mailer.abort();
    result
}
