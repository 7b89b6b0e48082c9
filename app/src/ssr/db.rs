//! Opening the database and running statements on it. One binary, two engines chosen by the
//! URL: SQLite (the embedded default: one writer, read-only readers, a checkpointer) and
//! PostgreSQL (one pool, for several replicas). Not `sqlx::Any`, which has no chrono and no
//! PostgreSQL types: [`Db`] holds a typed pool per engine, and [`on_db!`] compiles one statement
//! for each, so the SQL is written once where the dialects agree (`$N`, `RETURNING`).

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
pub static PG_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A database of either engine. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction of either engine; dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Where one statement runs: a pool or a connection (a transaction's) of either engine.
/// Store functions take `impl Into<Exec<'_>>`, so callers pass `&Db` or `&mut Tx`.
pub enum Exec<'a> {
    Sqlite(&'a SqlitePool),
    SqliteConn(&'a mut SqliteConnection),
    Postgres(&'a PgPool),
    PostgresConn(&'a mut PgConnection),
}

/// Runs `$body` with `$e` bound to the engine's executor; the body is compiled once per engine.
/// The second form gives each engine its own statement where the dialects differ.
#[macro_export]
macro_rules! on_db {
    ($exec:expr, |$e:ident| $body:expr) => {
        match Into::<$crate::ssr::db::Exec<'_>>::into($exec) {
            $crate::ssr::db::Exec::Sqlite($e) => $body,
            $crate::ssr::db::Exec::SqliteConn($e) => $body,
            $crate::ssr::db::Exec::Postgres($e) => $body,
            $crate::ssr::db::Exec::PostgresConn($e) => $body,
        }
    };
    ($exec:expr, sqlite |$s:ident| $sbody:expr, postgres |$p:ident| $pbody:expr) => {
        match Into::<$crate::ssr::db::Exec<'_>>::into($exec) {
            $crate::ssr::db::Exec::Sqlite($s) => $sbody,
            $crate::ssr::db::Exec::SqliteConn($s) => $sbody,
            $crate::ssr::db::Exec::Postgres($p) => $pbody,
            $crate::ssr::db::Exec::PostgresConn($p) => $pbody,
        }
    };
}
pub use on_db;

impl<'a> From<&'a Db> for Exec<'a> {
    fn from(db: &'a Db) -> Self {
        match db {
            Db::Sqlite(p) => Exec::Sqlite(p),
            Db::Postgres(p) => Exec::Postgres(p),
        }
    }
}

impl<'a> From<&'a mut Tx> for Exec<'a> {
    fn from(tx: &'a mut Tx) -> Self {
        match tx {
            Tx::Sqlite(t) => Exec::SqliteConn(t),
            Tx::Postgres(t) => Exec::PostgresConn(t),
        }
    }
}

impl<'a> From<&'a SqlitePool> for Exec<'a> {
    fn from(p: &'a SqlitePool) -> Self {
        Exec::Sqlite(p)
    }
}

impl Db {
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Db::Postgres(_))
    }

    /// Connections in use and idle, for the metrics.
    pub fn pool_use(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

impl From<SqlitePool> for Db {
    fn from(p: SqlitePool) -> Self {
        Db::Sqlite(p)
    }
}

impl From<PgPool> for Db {
    fn from(p: PgPool) -> Self {
        Db::Postgres(p)
    }
}

/// Whether a database URL names PostgreSQL (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Opens the database the URL names and brings its schema up to date. On PostgreSQL, one pool
/// of `max_connections` serves writes and reads alike.
pub async fn open(database_url: &str, max_connections: u32) -> anyhow::Result<Db> {
    if !is_postgres_url(database_url) {
        return Ok(Db::Sqlite(connect(database_url).await?));
    }
    let options = PgConnectOptions::from_str(database_url)
        .map_err(|e| anyhow::anyhow!("GITPAT_DATABASE_URL is not a PostgreSQL URL: {e}"))?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot open the database {}: {e}", shown_url(database_url))
        })?;
    PG_MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    Ok(Db::Postgres(pool))
}

/// The read pool beside [`open`]'s: SQLite's read-only readers, or the same PostgreSQL pool.
pub async fn open_readers(database_url: &str, writer: &Db, connections: u32) -> anyhow::Result<Db> {
    match writer {
        Db::Sqlite(w) => Ok(Db::Sqlite(
            connect_readers(database_url, w, connections).await?,
        )),
        Db::Postgres(_) => Ok(writer.clone()),
    }
}

/// A database URL fit for a message or a log line: its password replaced.
pub fn shown_url(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => database_url.to_string(),
    }
}

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

/// The variable naming the PostgreSQL server the tests run on (its maintenance database, e.g.
/// `postgres://gitpat@127.0.0.1:55432/postgres`); unset, they run on SQLite.
pub const TEST_DATABASE_URL: &str = "GITPAT_TEST_DATABASE_URL";

/// A new, empty database for one test on the PostgreSQL server `base` names; its URL is
/// returned. Made by `CREATE DATABASE` (a file copy of the template: milliseconds), never
/// dropped: the test command's cluster is thrown away whole.
pub async fn fresh_postgres(base: &str) -> anyhow::Result<String> {
    use rand::Rng;
    use sqlx::Connection;
    static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "t{}_{}_{:06x}",
        std::process::id(),
        SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        rand::thread_rng().gen::<u32>() & 0xff_ffff
    );
    let mut conn = PgConnection::connect(base)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {}: {e}", shown_url(base)))?;
    sqlx::query(&format!("CREATE DATABASE {name} STRATEGY = FILE_COPY"))
        .execute(&mut conn)
        .await?;
    let mut url = url::Url::parse(base)?;
    url.set_path(&name);
    Ok(url.to_string())
}

/// The database a unit test of the store runs on: a fresh PostgreSQL database when
/// [`TEST_DATABASE_URL`] is set, else an in-memory SQLite one; migrated either way.
pub async fn test_db() -> anyhow::Result<Db> {
    match std::env::var(TEST_DATABASE_URL) {
        Ok(base) if !base.is_empty() => open(&fresh_postgres(&base).await?, 2).await,
        _ => open("sqlite::memory:", 1).await,
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
