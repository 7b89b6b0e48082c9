//! Leases: a named piece of background work that one node holds at a time. A holder renews
//! its lease while it works; one that dies stops renewing, and the lease lapses at its expiry.

use crate::ssr::db::{on_db, Db};
use chrono::{Duration, Utc};

/// Takes the lease `name` for `holder` until `ttl` from now, or renews it if `holder` has it.
/// False while another holder's lease runs.
pub async fn try_acquire(pool: &Db, name: &str, holder: &str, ttl: Duration) -> sqlx::Result<bool> {
    let now = Utc::now();
    // One statement: two nodes asking at once cannot both get it.
    let got: Option<String> = on_db!(pool, |e| sqlx::query_scalar(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < $4
         RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(now + ttl)
    .bind(now)
    .fetch_optional(e)
    .await)?;
    Ok(got.is_some())
}

/// Gives the lease up, if `holder` has it.
pub async fn release(pool: &Db, name: &str, holder: &str) -> sqlx::Result<()> {
    on_db!(pool, |e| sqlx::query(
        "DELETE FROM leases WHERE name = $1 AND holder = $2"
    )
    .bind(name)
    .bind(holder)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
