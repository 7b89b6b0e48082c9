//! Opening the database: one pool, migrations embedded in the binary and run at start.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What every connection of ours shares: the parsed URL, foreign keys, and a busy timeout, so a
/// connection that finds the database locked (another process, a checkpoint) waits, not fails.
fn options(database_url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(database_url)
        .map_err(|e| anyhow::anyhow!("GITPAT_DATABASE_URL is not a SQLite URL: {e}"))?
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5)))
}

/// Connects with WAL, foreign keys and a busy timeout, creating the file's folder if needed,
/// then brings the schema up to date.
pub async fn connect(database_url: &str) -> anyhow::Result<SqlitePool> {
    let options = options(database_url)?;
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
    }
    let options = options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
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
        // A local file, not a socket: a ping before each use finds nothing and costs a round
        // trip to the connection's thread.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {database_url}: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    Ok(pool)
}

/// Read-only connections for what a page view reads (user, rows, activity). In WAL mode readers
/// never wait for the writer, nor it for them, so page views run side by side on every core
/// instead of queueing behind the single writing connection; a read started after a commit
/// sees it. Call after [`connect`], which creates the file and its schema. An in-memory
/// database lives in its one connection, so there the writer's pool serves the reads too.
pub async fn connect_readers(
    database_url: &str,
    writer: &SqlitePool,
    connections: u32,
) -> anyhow::Result<SqlitePool> {
    if database_url.contains(":memory:") || database_url.contains("mode=memory") {
        return Ok(writer.clone());
    }
    let options = options(database_url)?
        .create_if_missing(false)
        .read_only(true);
    SqlitePoolOptions::new()
        .max_connections(connections)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {database_url} for reading: {e}"))
}

/// Checkpoints the WAL into the database file every second from a connection of its own.
/// PASSIVE never waits for, nor blocks, the pool's readers and writer, so the file sync that a
/// commit would otherwise pay now and then (`wal_autocheckpoint`) stays off the request path.
pub async fn checkpoint_forever(database_url: &str) -> anyhow::Result<()> {
    use sqlx::ConnectOptions;
    let mut conn = options(database_url)?.connect().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_see_every_commit_and_cannot_write() {
        let dir = std::env::temp_dir().join(format!("gitpat-db-test-{}", std::process::id()));
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.display());
        let writer = connect(&url).await.unwrap();
        let readers = connect_readers(&url, &writer, 2).await.unwrap();
        // A reader opened before the commit still sees it once it starts a new read.
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&readers)
            .await
            .unwrap();
        sqlx::query("INSERT INTO accounts (name) VALUES ('acme')")
            .execute(&writer)
            .await
            .unwrap();
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&readers)
            .await
            .unwrap();
        assert_eq!(after, before + 1);
        let err = sqlx::query("INSERT INTO accounts (name) VALUES ('other')")
            .execute(&readers)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        drop((writer, readers));
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn an_in_memory_database_reads_through_its_writer() {
        let writer = connect("sqlite::memory:").await.unwrap();
        let readers = connect_readers("sqlite::memory:", &writer, 2)
            .await
            .unwrap();
        let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&readers)
            .await
            .expect("the schema is visible to the readers");
        assert_eq!(accounts, 0);
    }
}
