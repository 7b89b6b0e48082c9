//! Rate limits counted in the database, so they hold across every node that shares it: the
//! generic cell rate algorithm (the same as an in-memory limiter would run it), one row per key.
//! `n` per minute allows a burst of `n`, then one every `60/n` seconds.

use crate::ssr::db::{on_db, Db};
use chrono::Utc;

const MINUTE_MS: i64 = 60_000;

/// Counts one event under `key`; `Ok(Err(seconds))` when over `per_minute`, with the wait.
/// One statement, so two nodes counting at once cannot both take the last cell.
pub async fn hit(pool: &Db, key: &str, per_minute: u32) -> sqlx::Result<Result<(), u64>> {
    let now = Utc::now().timestamp_millis();
    let interval = MINUTE_MS / i64::from(per_minute.max(1));
    let taken: Option<i64> = on_db!(pool, |e| sqlx::query_scalar(
        "INSERT INTO rate_limits (key, tat) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE
             SET tat = (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4
             WHERE (CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat ELSE $3 END) + $4 - $3 <= $5
         RETURNING tat",
    )
    .bind(key)
    .bind(now + interval)
    .bind(now)
    .bind(interval)
    .bind(MINUTE_MS)
    .fetch_optional(e)
    .await)?;
    if taken.is_some() {
        return Ok(Ok(()));
    }
    let tat: i64 = on_db!(pool, |e| sqlx::query_scalar(
        "SELECT tat FROM rate_limits WHERE key = $1"
    )
    .bind(key)
    .fetch_one(e)
    .await)?;
    let wait_ms = tat + interval - MINUTE_MS - now;
    Ok(Err(((wait_ms + 999) / 1000).max(1) as u64))
}

/// Counts one request of a user's that makes a provider call (`what`: adding a token, starting an
/// OAuth flow), so that no one account can make gitpat hammer a provider.
pub async fn per_user(
    pool: &Db,
    what: &str,
    user_id: i64,
    per_minute: u32,
) -> Result<(), crate::error::AppError> {
    match hit(pool, &format!("{what}/user/{user_id}"), per_minute).await? {
        Ok(()) => Ok(()),
        Err(wait) => Err(crate::error::AppError::RateLimited(wait)),
    }
}

/// Forgets keys that are fully replenished; returns how many.
pub async fn prune(pool: &Db) -> sqlx::Result<u64> {
    let r = on_db!(pool, |e| sqlx::query(
        "DELETE FROM rate_limits WHERE tat < $1"
    )
    .bind(Utc::now().timestamp_millis())
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_then_refusals_with_the_wait() {
        let pool = crate::ssr::db::test_db().await.unwrap();
        for _ in 0..3 {
            assert_eq!(hit(&pool, "k", 3).await.unwrap(), Ok(()));
        }
        let wait = hit(&pool, "k", 3).await.unwrap().unwrap_err();
        assert!(
            (1..=20).contains(&wait),
            "one cell comes back every 20 s: {wait}"
        );
        // Another key is counted on its own.
        assert_eq!(hit(&pool, "other", 3).await.unwrap(), Ok(()));
        // Nothing is replenished yet, so nothing is pruned.
        assert_eq!(prune(&pool).await.unwrap(), 0);
    }
}
