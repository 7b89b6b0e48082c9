//! Opening the database: one pool, migrations embedded in the binary and run at start.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects with WAL, foreign keys and a busy timeout, creating the file's folder if needed,
/// then brings the schema up to date.
pub async fn connect(database_url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| anyhow::anyhow!("GITPAT_DATABASE_URL is not a SQLite URL: {e}"))?;
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let options = options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Checkpoints (the WAL copied back and the file synced) run in `checkpoint_forever`,
        // off the request path; SQLite still checkpoints when the last connection closes.
        .pragma("wal_autocheckpoint", "0");
    // One connection: SQLite has a single writer, and several connections contending for it
    // wait in its busy handler, which sleeps (1, 2, 5 … 100 ms) between retries — that was most
    // of a server function's latency under load. One connection queues requests fairly in the
    // pool instead; every statement here takes microseconds, and no transaction waits on the
    // network. Other processes (`gitpat admin`) still get the busy timeout.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {database_url}: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    Ok(pool)
}

/// Checkpoints the WAL into the database file every second from a connection of its own.
/// PASSIVE never waits for, nor blocks, the pool's readers and writer, so the file sync that a
/// commit would otherwise pay now and then (`wal_autocheckpoint`) stays off the request path.
pub async fn checkpoint_forever(database_url: &str) -> anyhow::Result<()> {
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::from_str(database_url)?
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut conn)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint failed");
        }
    }
}
