//! Key rotation that finishes: every token, refresh token and OAuth client secret sealed under an
//! earlier key is sealed again under the current one (and each token's fingerprint recomputed,
//! as it is keyed by the master key), after which the earlier key can be dropped from
//! `GITPAT_PREVIOUS_KEYS`. Batches of rows, each one transaction; run it again after a stop and
//! it goes on where it was (what is under the current key already is left alone).

use super::crypto::{token_aad, Sealed};
use super::oauth::{refresh_aad, secret_aad};
use super::AppState;
use crate::model::ProviderKind;
use crate::ssr::db::on_db;

/// Rows re-sealed per transaction.
pub const BATCH: i64 = 200;

/// What a run re-sealed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RekeyReport {
    pub tokens: usize,
    pub refresh_tokens: usize,
    pub client_secrets: usize,
}

/// Re-seals everything under the current key; `progress` hears of each batch.
pub async fn rekey(st: &AppState, mut progress: impl FnMut(&str)) -> anyhow::Result<RekeyReport> {
    let current = st.keys.current_id().to_string();
    let mut report = RekeyReport::default();
    loop {
        let rows: Vec<(i64, i64, String, Vec<u8>)> = on_db!(&st.pool, |e| sqlx::query_as(
            "SELECT user_id, runtime_id, key_id, ciphertext FROM git_tokens
             WHERE key_id != $1 ORDER BY user_id, runtime_id LIMIT $2",
        )
        .bind(&current)
        .bind(BATCH)
        .fetch_all(e)
        .await)?;
        if rows.is_empty() {
            break;
        }
        let mut tx = st.pool.begin().await?;
        for (user_id, runtime_id, key_id, blob) in rows {
            let aad = token_aad(user_id, runtime_id);
            let old = Sealed { key_id, blob };
            let token = st.keys.open(&old, &aad).map_err(|e| {
                anyhow::anyhow!("the token of user {user_id} on runtime {runtime_id}: {e}")
            })?;
            let new = st.keys.seal(&token, &aad);
            // Only if nobody replaced it meanwhile; a replacement is under the current key.
            on_db!(&mut tx, |e| sqlx::query(
                "UPDATE git_tokens SET key_id = $1, ciphertext = $2, fingerprint = $3
                 WHERE user_id = $4 AND runtime_id = $5 AND ciphertext = $6",
            )
            .bind(&new.key_id)
            .bind(&new.blob)
            .bind(st.keys.fingerprint(&token))
            .bind(user_id)
            .bind(runtime_id)
            .bind(&old.blob)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
            report.tokens += 1;
        }
        tx.commit().await?;
        progress(&format!("tokens re-sealed: {}", report.tokens));
    }
    loop {
        let rows: Vec<(i64, i64, String, Vec<u8>)> = on_db!(&st.pool, |e| sqlx::query_as(
            "SELECT user_id, runtime_id, refresh_key_id, refresh_ciphertext FROM git_tokens
             WHERE refresh_key_id IS NOT NULL AND refresh_key_id != $1
             ORDER BY user_id, runtime_id LIMIT $2",
        )
        .bind(&current)
        .bind(BATCH)
        .fetch_all(e)
        .await)?;
        if rows.is_empty() {
            break;
        }
        let mut tx = st.pool.begin().await?;
        for (user_id, runtime_id, key_id, blob) in rows {
            let aad = refresh_aad(user_id, runtime_id);
            let old = Sealed { key_id, blob };
            let refresh = st.keys.open(&old, &aad).map_err(|e| {
                anyhow::anyhow!("the refresh token of user {user_id} on runtime {runtime_id}: {e}")
            })?;
            let new = st.keys.seal(&refresh, &aad);
            on_db!(&mut tx, |e| sqlx::query(
                "UPDATE git_tokens SET refresh_key_id = $1, refresh_ciphertext = $2
                 WHERE user_id = $3 AND runtime_id = $4 AND refresh_ciphertext = $5",
            )
            .bind(&new.key_id)
            .bind(&new.blob)
            .bind(user_id)
            .bind(runtime_id)
            .bind(&old.blob)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
            report.refresh_tokens += 1;
        }
        tx.commit().await?;
        progress(&format!(
            "refresh tokens re-sealed: {}",
            report.refresh_tokens
        ));
    }
    loop {
        let rows: Vec<(i64, i64, ProviderKind, String, Vec<u8>)> =
            on_db!(&st.pool, |e| sqlx::query_as(
                "SELECT id, account_id, provider, secret_key_id, secret_ciphertext FROM oauth_apps
             WHERE secret_key_id != $1 ORDER BY id LIMIT $2",
            )
            .bind(&current)
            .bind(BATCH)
            .fetch_all(e)
            .await)?;
        if rows.is_empty() {
            break;
        }
        let mut tx = st.pool.begin().await?;
        for (id, account_id, provider, key_id, blob) in rows {
            let aad = secret_aad(account_id, provider);
            let old = Sealed { key_id, blob };
            let secret = st
                .keys
                .open(&old, &aad)
                .map_err(|e| anyhow::anyhow!("the client secret of OAuth app {id}: {e}"))?;
            let new = st.keys.seal(&secret, &aad);
            on_db!(&mut tx, |e| sqlx::query(
                "UPDATE oauth_apps SET secret_key_id = $1, secret_ciphertext = $2
                 WHERE id = $3 AND secret_ciphertext = $4",
            )
            .bind(&new.key_id)
            .bind(&new.blob)
            .bind(id)
            .bind(&old.blob)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
            report.client_secrets += 1;
        }
        tx.commit().await?;
        progress(&format!(
            "client secrets re-sealed: {}",
            report.client_secrets
        ));
    }
    Ok(report)
}
