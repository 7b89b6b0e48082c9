//! The two engines' schemas are twins. Every migration is written once per folder
//! (`app/migrations/sqlite`, `app/migrations/postgres`); a table or column added to one and not
//! the other would otherwise show only when a deployment moves up to PostgreSQL.

use crate::helpers::*;
use std::collections::BTreeSet;

type Columns = BTreeSet<(String, String)>;

/// Tables one engine has on purpose: `settings` records the master key's id for the nodes that
/// share a PostgreSQL database (a SQLite deployment is one node with its key file). The sessions
/// store lives in PostgreSQL's `tower_sessions` schema, outside what is compared.
const POSTGRES_ONLY: &[&str] = &["settings"];

#[tokio::test]
async fn sqlite_and_postgresql_migrations_make_the_same_tables_and_columns() {
    let Some(server) = postgres_server() else {
        println!("needs PostgreSQL beside SQLite: runs in the suite's PostgreSQL half");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twin.db");
    let sqlite = app::ssr::db::open(&format!("sqlite://{}?mode=rwc", file.display()), 1)
        .await
        .unwrap();
    let postgres = app::ssr::db::open(&app::ssr::db::fresh_postgres(&server).await.unwrap(), 1)
        .await
        .unwrap();
    let lite: Columns = app::on_db!(&sqlite, |e| sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '%sqlx%'"
    )
    .fetch_all(e)
    .await)
    .unwrap()
    .into_iter()
    .collect();
    let pg: Columns = app::on_db!(&postgres, |e| sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name NOT LIKE '%sqlx%'"
    )
    .fetch_all(e)
    .await)
    .unwrap()
    .into_iter()
    .filter(|(table, _): &(String, String)| !POSTGRES_ONLY.contains(&table.as_str()))
    .collect();
    assert!(
        lite.iter()
            .any(|(t, c)| t == "git_tokens" && c == "sso_url"),
        "the query reads SQLite's schema: {lite:?}"
    );
    let only_lite: Vec<_> = lite.difference(&pg).collect();
    let only_pg: Vec<_> = pg.difference(&lite).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_lite:?}; only in PostgreSQL: {only_pg:?}"
    );
}
