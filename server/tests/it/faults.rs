//! Faults: slow, down, failing and rate-limiting providers; a busy database; missing or wrong
//! keys at start-up. Nothing is marked invalid for a provider's trouble and nothing is lost.

use crate::helpers::*;
use app::model::TokenStatus;
use app::ssr::tokens;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use provider_emulator::FakeToken;

const GOOD: &str = "ghp_faultToken11111111111111111111111111";
const GL: &str = "glpat-faultToken2222222";

/// Both seeded runtimes with a valid token of dana's.
async fn setup() -> Fixture {
    let f = Fixture::with_tokens(vec![
        fake(GOOD, &["repo"]),
        fake(GL, &["write_repository", "read_api"]),
    ])
    .await;
    let (app, seed, dana) = (&f.app, &f.seed, &f.dana);
    for (rt, token) in [(seed.acme_rt, GOOD), (seed.globex_rt, GL)] {
        let (status, body) = status_and_body(
            app,
            call_fn(
                "add_token",
                &[("runtime_id", &rt.to_string()), ("token", token)],
                Some(dana),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    f
}

async fn status_of(app: &TestApp, rt: i64) -> (String, String) {
    app::on_db!(&app.state.pool, |e| sqlx::query_as(
        "SELECT status, COALESCE(last_error, '') FROM git_tokens WHERE runtime_id = $1"
    )
    .bind(rt)
    .fetch_one(e)
    .await)
    .unwrap()
}

fn due() -> chrono::DateTime<Utc> {
    Utc::now() + Duration::seconds(1)
}

#[tokio::test]
async fn the_page_answers_while_a_provider_hangs_past_the_timeout() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    emu.register(FakeToken {
        delay_ms: app::ssr::providers::TIMEOUT.as_millis() as u64 + 2000,
        ..fake(GOOD, &["repo"])
    });
    let state = app.state.clone();
    let pass = tokio::spawn(async move { tokens::revalidate_due(&state, due(), 4).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let res = app
        .send(get("/git-personal-access-tokens", Some(&dana)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !pass.is_finished(),
        "the page was served while the provider call was still hanging"
    );
    let report = pass.await.unwrap().unwrap();
    assert_eq!(report.unreachable, 1);
    assert_eq!(report.invalid, 0);
    let (status, error) = status_of(&app, seed.acme_rt).await;
    assert_eq!(status, "unreachable");
    assert!(
        error.contains("timed out") && error.contains("Last known status: Valid"),
        "{error}"
    );
}

#[tokio::test]
async fn a_provider_down_failing_or_talking_nonsense_is_unreachable_never_invalid() {
    let Fixture { app, seed, emu, .. } = setup().await;
    let pool = &app.state.pool;
    let cases: [(&str, FakeToken); 3] = [
        (
            "HTTP 500",
            FakeToken {
                fail_status: Some(500),
                ..fake(GOOD, &["repo"])
            },
        ),
        (
            "garbage JSON",
            FakeToken {
                garbage: true,
                ..fake(GOOD, &["repo"])
            },
        ),
        ("healthy again", fake(GOOD, &["repo"])),
    ];
    for (label, behaviour) in cases {
        emu.register(behaviour);
        tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
        let (status, _) = status_of(&app, seed.acme_rt).await;
        let want = if label == "healthy again" {
            "valid"
        } else {
            "unreachable"
        };
        assert_eq!(status, want, "{label}");
    }
    // Down: nothing listens on the runtime's API address.
    app::on_db!(pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = 'http://127.0.0.1:9/github' WHERE id = $1"
    )
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let report = tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    assert_eq!(report.invalid, 0);
    let (status, error) = status_of(&app, seed.acme_rt).await;
    assert_eq!(status, "unreachable");
    assert!(error.contains("connection failed"), "{error}");
    let rows = tokens::rows_for_user(pool, seed.dana).await.unwrap();
    let shown = rows.iter().find(|r| r.runtime.id == seed.acme_rt).unwrap();
    assert_eq!(shown.status, TokenStatus::Unreachable);
}

#[tokio::test]
async fn a_rate_limited_host_is_left_alone_until_the_next_pass() {
    let Fixture { app, seed, emu, .. } = setup().await;
    let pool = &app.state.pool;
    let before: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        app::on_db!(pool, |e| sqlx::query_as(
            "SELECT status, last_validated_at FROM git_tokens ORDER BY runtime_id"
        )
        .fetch_all(e)
        .await)
        .unwrap();
    emu.register(FakeToken {
        fail_status: Some(429),
        ..fake(GOOD, &["repo"])
    });
    // One call at a time: the 429 comes first, and the other token (same host) is not asked.
    let report = tokens::revalidate_due(&app.state, due(), 1).await.unwrap();
    assert_eq!(report.deferred, 2, "{report:?}");
    assert_eq!(report.checked, 0);
    let after: Vec<(String, chrono::DateTime<chrono::Utc>)> =
        app::on_db!(pool, |e| sqlx::query_as(
            "SELECT status, last_validated_at FROM git_tokens ORDER BY runtime_id"
        )
        .fetch_all(e)
        .await)
        .unwrap();
    assert_eq!(
        before, after,
        "statuses and check times untouched: still due"
    );
    // Once the provider answers again, both are checked.
    emu.register(fake(GOOD, &["repo"]));
    let report = tokens::revalidate_due(&app.state, due(), 1).await.unwrap();
    assert_eq!((report.checked, report.valid), (2, 2));
    let _ = seed;
}

#[tokio::test]
async fn a_busy_database_is_waited_for_not_answered_with_an_error() {
    use sqlx::Connection;
    if sqlite_only("another process holding SQLite's one write lock") {
        return;
    }
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let db = app.dir.path().join("test.db");
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    // Another process holds the write lock for a while.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let release = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        sqlx::query("COMMIT").execute(&mut other).await.unwrap();
        other
    });
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "delete_token",
            &[("runtime_id", &seed.acme_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(release.is_finished(), "the write waited for the lock");
    release.await.unwrap();
    let left: i64 = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM git_tokens WHERE runtime_id = $1"
    )
    .bind(seed.acme_rt)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn startup_refuses_a_missing_or_wrong_key_and_touches_nothing() {
    use server::config::Config;
    if sqlite_only("the key file beside a SQLite database (PostgreSQL: the next test)") {
        return;
    }
    let Fixture {
        app,
        seed: _seed,
        emu: _emu,
        ..
    } = setup().await;
    let dir = app.dir.path().to_path_buf();
    let db_url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
    let key_file = dir.join("master.key");
    let config = |pairs: Vec<(&'static str, String)>| {
        let mut env = vec![("GITPAT_DATABASE_URL", db_url.clone())];
        env.extend(pairs);
        Config::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap()
    };
    let count = || async {
        app::on_db!(&app.state.pool, |e| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM git_tokens"
        )
        .fetch_one(e)
        .await)
        .unwrap()
    };
    assert_eq!(count().await, 2);

    // The key file is gone: a clear error, and no new key file is made.
    let moved = dir.join("master.key.away");
    std::fs::rename(&key_file, &moved).unwrap();
    let err = server::build_state(&config(vec![(
        "GITPAT_KEY_FILE",
        key_file.display().to_string(),
    )]))
    .await
    .err()
    .expect("refused")
    .to_string();
    assert!(
        err.contains("is missing") && err.contains("master.key"),
        "{err}"
    );
    assert!(!key_file.exists(), "no new key was created");

    // Another key: refused, naming the key the data needs.
    let wrong = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    let err = server::build_state(&config(vec![("GITPAT_MASTER_KEY", wrong.into())]))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("neither the configured master key"), "{err}");
    assert!(!err.contains(wrong), "the key itself is never printed");
    assert_eq!(count().await, 2, "nothing was destroyed");

    // The right key back in place: starts.
    std::fs::rename(&moved, &key_file).unwrap();
    server::build_state(&config(vec![(
        "GITPAT_KEY_FILE",
        key_file.display().to_string(),
    )]))
    .await
    .expect("starts with its key");
}

#[tokio::test]
async fn on_postgres_a_node_with_another_master_key_refuses_to_start() {
    if !on_postgres() {
        println!("PostgreSQL only (the key is recorded there), skipped on SQLite");
        return;
    }
    // No secret is stored yet, so only the recorded key id can tell the keys apart.
    let (app, _) = TestApp::new().await;
    let dir = app.dir.path();
    let count = || async {
        app::on_db!(&app.state.pool, |e| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(e)
        .await)
        .unwrap()
    };
    assert_eq!(count().await, 2);
    // Another key: refused, naming neither key's bytes.
    let wrong = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
    let err = server::build_state(&config_with(dir, &[("GITPAT_MASTER_KEY", wrong)]))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("this database's nodes use master key") && err.contains("GITPAT_MASTER_KEY"),
        "{err}"
    );
    assert!(!err.contains(wrong) && !err.contains(PG_TEST_KEY), "{err}");
    assert_eq!(count().await, 2, "nothing was changed");
    // A key file is refused outright on PostgreSQL: replicas share no file.
    let err = server::config::Config::from_lookup(|k| match k {
        "GITPAT_DATABASE_URL" => Some(database_url(dir, "test.db")),
        _ => None,
    })
    .expect_err("refused")
    .to_string();
    assert!(err.contains("set GITPAT_MASTER_KEY"), "{err}");
    // The recorded key: a second node starts.
    server::build_state(&config_with(dir, &[]))
        .await
        .expect("the same key starts");
}

/// Bytes in the database's write-ahead log after `rows` more 4 KiB rows in one transaction.
async fn wal_after_writing(pool: &sqlx::SqlitePool, wal: &std::path::Path, rows: usize) -> u64 {
    let mut tx = pool.begin().await.unwrap();
    for _ in 0..rows {
        sqlx::query("INSERT INTO filler (b) VALUES (randomblob(4096))")
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    std::fs::metadata(wal).unwrap().len()
}

#[tokio::test]
async fn the_checkpoint_task_keeps_the_write_ahead_log_from_growing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wal.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let wal = dir.path().join("wal.db-wal");
    let pool = app::ssr::db::connect(&url).await.unwrap();
    app::on_db!(&pool, |e| sqlx::query("CREATE TABLE filler (b BLOB)")
        .execute(e)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();

    // Commits no longer checkpoint (SQLite's default would, every 1,000 pages = 4 MiB): the log grows.
    let first = wal_after_writing(&pool, &wal, 1500).await;
    let second = wal_after_writing(&pool, &wal, 1500).await;
    assert!(
        second > first + 5_000_000,
        "the log was checkpointed by a commit: {first} then {second} bytes"
    );

    // The task checkpoints it; the next transaction then starts the log again from its beginning.
    let task = tokio::spawn(async move { app::ssr::db::checkpoint_forever(&url).await });
    // Its first pass starts at once; the rest is room for a slow disk's sync.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let third = wal_after_writing(&pool, &wal, 1500).await;
    task.abort();
    assert_eq!(third, second, "the log grew after the checkpoint task ran");
    let rows: i64 = app::on_db!(&pool, |e| sqlx::query_scalar("SELECT COUNT(*) FROM filler")
        .fetch_one(e)
        .await)
    .unwrap();
    assert_eq!(rows, 4500);
}
