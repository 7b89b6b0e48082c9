//! `gitpat admin copy`: every row of one database into another, either engine to either (SQLite
//! to PostgreSQL when an organisation moves up). Ids are kept, as sealed secrets are bound to
//! them (the AAD names the row), so every token still decrypts on the target.
//! Not copied: sessions (users sign in again), rate-limit counters and leases (they are
//! momentary), the migrations' own bookkeeping.

use crate::ssr::db::{on_db, Db};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A column's type at the boundary; every column may be NULL.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    Bool,
    Time,
    Bytes,
}

use Kind::*;

/// The tables in an order that satisfies their foreign keys, and the columns of each.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "users",
        &[
            ("id", Int),
            ("email", Text),
            ("display_name", Text),
            ("password_hash", Text),
            ("is_admin", Bool),
            ("created_at", Time),
            ("session_epoch", Int),
            ("disabled", Bool),
            ("reminder_mail", Bool),
        ],
    ),
    (
        "accounts",
        &[
            ("id", Int),
            ("name", Text),
            ("created_at", Time),
            ("max_token_days", Int),
            ("oauth_only", Bool),
        ],
    ),
    (
        "memberships",
        &[("user_id", Int), ("account_id", Int), ("role", Text)],
    ),
    (
        "runtimes",
        &[
            ("id", Int),
            ("account_id", Int),
            ("name", Text),
            ("provider", Text),
            ("api_url", Text),
            ("created_at", Time),
            ("repo", Text),
        ],
    ),
    (
        "git_tokens",
        &[
            ("user_id", Int),
            ("runtime_id", Int),
            ("method", Text),
            ("key_id", Text),
            ("ciphertext", Bytes),
            ("last4", Text),
            ("fingerprint", Text),
            ("username", Text),
            ("scopes", Text),
            ("provider_login", Text),
            ("expires_at", Time),
            ("refresh_key_id", Text),
            ("refresh_ciphertext", Bytes),
            ("status", Text),
            ("last_validated_at", Time),
            ("last_error", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("refresh_claimed_until", Time),
            ("last_used_at", Time),
            ("token_since", Time),
            ("rotating_until", Time),
            ("sso_url", Text),
        ],
    ),
    (
        "notification_prefs",
        &[("user_id", Int), ("runtime_id", Int), ("hidden", Bool)],
    ),
    (
        "oauth_apps",
        &[
            ("id", Int),
            ("account_id", Int),
            ("provider", Text),
            ("client_id", Text),
            ("secret_key_id", Text),
            ("secret_ciphertext", Bytes),
            ("authorize_url", Text),
            ("token_url", Text),
            ("scopes", Text),
            ("expiry_days", Int),
            ("updated_at", Time),
            ("version", Int),
        ],
    ),
    (
        "runtime_keys",
        &[
            ("id", Int),
            ("runtime_id", Int),
            ("prefix", Text),
            ("key_hash", Text),
            ("created_at", Time),
            ("revoked_at", Time),
        ],
    ),
    (
        "audit_events",
        &[
            ("id", Int),
            ("at", Time),
            ("user_id", Int),
            ("runtime_id", Int),
            ("action", Text),
            ("detail", Text),
            ("client_addr", Text),
            ("account_id", Int),
        ],
    ),
    (
        "reminders_sent",
        &[
            ("user_id", Int),
            ("runtime_id", Int),
            ("token_since", Time),
            ("reason", Text),
            ("sent_at", Time),
        ],
    ),
    (
        "mail_outbox",
        &[
            ("id", Int),
            ("user_id", Int),
            ("recipient", Text),
            ("subject", Text),
            ("body", Text),
            ("created_at", Time),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("sent_at", Time),
            ("failed_at", Time),
            ("last_error", Text),
        ],
    ),
];

/// Rows read and written per statement batch, so a long audit trail is not held in memory whole.
const BATCH: i64 = 500;

enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Bytes(Option<Vec<u8>>),
}

fn read<R: Row>(row: &R, columns: &[(&str, Kind)]) -> sqlx::Result<Vec<Value>>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Int => Value::Int(row.try_get(i)?),
                Text => Value::Text(row.try_get(i)?),
                Bool => Value::Bool(row.try_get(i)?),
                Time => Value::Time(row.try_get(i)?),
                Bytes => Value::Bytes(row.try_get(i)?),
            })
        })
        .collect()
}

/// Whether the database holds any row a copy would write.
pub async fn is_empty(db: &Db) -> sqlx::Result<bool> {
    for (table, _) in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let n: i64 = on_db!(db, |e| sqlx::query_scalar(&sql).fetch_one(e).await)?;
        if n > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Copies every table of `from` into the empty `to` in one transaction (all or nothing), calling
/// `progress` per table; returns (table, rows) in copy order.
pub async fn copy_all(
    from: &Db,
    to: &Db,
    mut progress: impl FnMut(&str, u64),
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    if !is_empty(to).await? {
        anyhow::bail!(
            "the target database is not empty; copy only into a new database (nothing was written)"
        );
    }
    let mut tx = to.begin().await?;
    let mut counts = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let select = format!(
            "SELECT {} FROM {table} ORDER BY {} LIMIT $1 OFFSET $2",
            names.join(", "),
            // Every table's first column(s) make its key; ordering by all is stable either way.
            names.join(", ")
        );
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            (1..=names.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut copied = 0u64;
        loop {
            let rows: Vec<Vec<Value>> = on_db!(from, |e| {
                let rows = sqlx::query(&select)
                    .bind(BATCH)
                    .bind(copied as i64)
                    .fetch_all(e)
                    .await?;
                rows.iter()
                    .map(|r| read(r, columns))
                    .collect::<sqlx::Result<Vec<_>>>()
            })?;
            let n = rows.len();
            for row in rows {
                on_db!(&mut tx, |e| {
                    let mut q = sqlx::query(&insert);
                    for v in row {
                        q = match v {
                            Value::Int(x) => q.bind(x),
                            Value::Text(x) => q.bind(x),
                            Value::Bool(x) => q.bind(x),
                            Value::Time(x) => q.bind(x),
                            Value::Bytes(x) => q.bind(x),
                        };
                    }
                    q.execute(e).await.map(|_| ())
                })?;
            }
            copied += n as u64;
            if (n as i64) < BATCH {
                break;
            }
        }
        progress(table, copied);
        counts.push((*table, copied));
    }
    // PostgreSQL's identity columns do not see ids written explicitly: move each past its max.
    if to.is_postgres() {
        for (table, columns) in TABLES {
            if columns[0].0 != "id" {
                continue;
            }
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            on_db!(&mut tx, |e| sqlx::query(&sql).execute(e).await.map(|_| ()))?;
        }
    }
    tx.commit().await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditAction, ProviderKind, Role};
    use crate::ssr::store;

    #[tokio::test]
    async fn every_row_arrives_with_its_id_and_new_ids_follow_on() {
        let from = crate::ssr::db::open("sqlite::memory:", 1).await.unwrap();
        let dana = store::create_user(&from, "Dana@example.com", "Dana", "h", true)
            .await
            .unwrap();
        // A gap in the ids, as deletions leave.
        let acme = store::create_account(&from, "Acme").await.unwrap();
        let gone = store::create_account(&from, "Gone").await.unwrap();
        let globex = store::create_account(&from, "Globex").await.unwrap();
        on_db!(&from, |e| sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(gone)
            .execute(e)
            .await
            .map(|_| ()))
        .unwrap();
        store::set_membership(&from, dana, globex, Role::Admin)
            .await
            .unwrap();
        store::create_runtime(
            &from,
            globex,
            "edge",
            ProviderKind::Gitlab,
            "https://x/api/v4",
            None,
        )
        .await
        .unwrap();
        store::audit(&from, Some(dana), None, AuditAction::TokenAdd, "", None)
            .await
            .unwrap();

        let to = crate::ssr::db::test_db().await.unwrap();
        let counts = copy_all(&from, &to, |_, _| {}).await.unwrap();
        let n = |t: &str| counts.iter().find(|(name, _)| *name == t).unwrap().1;
        assert_eq!((n("users"), n("accounts"), n("runtimes")), (1, 2, 1));
        assert_eq!(n("audit_events"), 1);
        let user = store::user_by_email(&to, "dana@EXAMPLE.com")
            .await
            .unwrap()
            .expect("copied, and still found regardless of case");
        assert_eq!((user.id, user.is_admin), (dana, true));
        assert_eq!(
            store::account_id_by_name(&to, "Globex").await.unwrap(),
            globex
        );
        // New rows get new ids past the copied ones.
        let next = store::create_account(&to, "Initech").await.unwrap();
        assert!(next > globex && next != acme, "{next}");
        // A second copy is refused and changes nothing.
        let err = copy_all(&from, &to, |_, _| {}).await.unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
    }
}
