//! Git user tokens: add (validate at the provider, then store encrypted), replace, delete and
//! hide notifications (`change`), rotate in every runtime that holds one (`rotate`), list what
//! the page shows (`rows`), and re-validate stored tokens (`revalidate`).

mod change;
mod revalidate;
mod rotate;
mod rows;

pub use change::*;
pub use revalidate::*;
pub use rotate::*;
pub use rows::*;

use super::crypto::{token_aad, Sealed, Secret};
use super::AppState;
use crate::error::AppError;
use crate::ssr::db::on_db;

/// What a caller asks to store.
pub struct NewToken {
    pub runtime_id: i64,
    pub token: Secret,
    pub username: Option<String>,
}

fn no_runtime() -> AppError {
    AppError::NotFound("No such GitOps Runtime, or you are not a member of its account.".into())
}

pub fn last4(token: &str) -> String {
    let n = token.chars().count();
    token.chars().skip(n.saturating_sub(4)).collect()
}

/// The decrypted token of a user for a runtime (for the runtime credential API).
pub async fn reveal(
    st: &AppState,
    user_id: i64,
    runtime_id: i64,
) -> anyhow::Result<Option<Secret>> {
    let row: Option<(String, Vec<u8>)> = on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT key_id, ciphertext FROM git_tokens WHERE user_id = $1 AND runtime_id = $2",
    )
    .bind(user_id)
    .bind(runtime_id)
    .fetch_optional(e)
    .await)?;
    match row {
        None => Ok(None),
        Some((key_id, blob)) => Ok(Some(
            st.keys
                .open(&Sealed { key_id, blob }, &token_aad(user_id, runtime_id))?,
        )),
    }
}

/// Stamps the token as read by its runtime now. At most one write a minute per token: a runtime
/// may read its credential on every git command, and the page shows the day.
pub async fn mark_used(st: &AppState, user_id: i64, runtime_id: i64) -> sqlx::Result<()> {
    let now = chrono::Utc::now();
    on_db!(&st.pool, |e| sqlx::query(
        "UPDATE git_tokens SET last_used_at = $1
         WHERE user_id = $2 AND runtime_id = $3 AND (last_used_at IS NULL OR last_used_at < $4)",
    )
    .bind(now)
    .bind(user_id)
    .bind(runtime_id)
    .bind(now - chrono::Duration::minutes(1))
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last4_of_short_and_long_tokens() {
        assert_eq!(last4("ghp_abcdef1234"), "1234");
        assert_eq!(last4("ab"), "ab");
    }
}
