//! Bulk data for load tests and benchmarks (`gitpat admin seed`), and the integrity check that
//! the crash and load scripts run afterwards (`gitpat admin verify`).

use anyhow::bail;
use app::model::{ProviderKind, Role};
use app::ssr::crypto::{sha256_hex, token_aad, Sealed, Secret};
use app::ssr::db::on_db;
use app::ssr::providers::Identity;
use app::ssr::{auth, store, tokens, AppState};
use futures::StreamExt;
use rand::Rng;

/// What `gitpat admin seed` creates.
#[derive(Clone, Debug)]
pub struct Plan {
    pub users: usize,
    pub accounts: usize,
    pub runtimes: usize,
    /// Stored tokens per user: each user has a token on the first this many runtimes.
    pub tokens: usize,
    /// The provider emulator's base URL; every runtime is a GitHub runtime there.
    pub emulator: String,
    /// Latency the emulator adds when it is asked about a seeded token.
    pub delay_ms: u64,
    pub password: String,
}

/// Seeds `seed-N@gitpat.test` users (members of every account), runtimes spread over the
/// accounts, and valid tokens registered at the emulator — stored as last checked two days ago,
/// so the next re-validation pass picks them all up.
pub async fn seed(st: &AppState, plan: &Plan) -> anyhow::Result<String> {
    let pool = &st.pool;
    let hash = auth::hash_password(plan.password.clone()).await?;
    let mut accounts = Vec::new();
    for a in 1..=plan.accounts.max(1) {
        accounts.push(store::create_account(pool, &format!("Seed account {a}")).await?);
    }
    let mut users = Vec::new();
    for u in 1..=plan.users {
        let email = format!("seed-{u}@gitpat.test");
        let id = store::create_user(pool, &email, &format!("Seed user {u}"), &hash, false).await?;
        for &account in &accounts {
            store::set_membership(pool, id, account, Role::Member).await?;
        }
        users.push(id);
    }
    let api = format!("{}/github", plan.emulator.trim_end_matches('/'));
    let mut runtimes = Vec::new();
    for r in 0..plan.runtimes {
        let account = accounts[r % accounts.len()];
        let name = format!("runtime-{:03}", r + 1);
        runtimes.push(
            store::create_runtime(pool, account, &name, ProviderKind::Github, &api, None).await?,
        );
    }
    let pairs: Vec<(i64, i64)> = users
        .iter()
        .flat_map(|&u| runtimes.iter().take(plan.tokens).map(move |&r| (u, r)))
        .collect();
    let http = reqwest::Client::new();
    let control = format!("{}/_emulator/tokens", plan.emulator.trim_end_matches('/'));
    let registered = futures::stream::iter(pairs.iter().copied())
        .map(|(u, r)| {
            let (http, control) = (&http, &control);
            async move {
                let token = random_token(&format!("ghp_seed{u}x{r}x"));
                let fake = serde_json::json!({
                    "token": token, "login": format!("seed-{u}"), "scopes": ["repo"],
                    "delay_ms": plan.delay_ms,
                });
                let res = http.post(control).json(&fake).send().await?;
                anyhow::ensure!(res.status().is_success(), "the emulator refused a token");
                Ok::<_, anyhow::Error>((u, r, Secret::new(token)))
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(2);
    for item in registered {
        let (u, r, token) = item?;
        let identity = Identity {
            login: format!("seed-{u}"),
            scopes: Some(vec!["repo".into()]),
            expires_at: None,
        };
        let stored = tokens::Validated {
            user_id: u,
            runtime_id: r,
            method: app::model::TokenMethod::Pat,
            token: &token,
            username: None,
            identity: &identity,
            sso_url: None,
        };
        tokens::save(pool, &st.keys, &stored).await?;
    }
    on_db!(pool, |e| sqlx::query(
        "UPDATE git_tokens SET last_validated_at = $1"
    )
    .bind(long_ago)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(format!(
        "seeded {} users, {} accounts, {} runtimes, {} tokens (password from standard input)",
        users.len(),
        accounts.len(),
        runtimes.len(),
        pairs.len()
    ))
}

/// SQLite's `PRAGMA integrity_check` (PostgreSQL checks its own pages as it reads them), then
/// every stored token decrypted: one line per token
/// (`email<TAB>runtime id<TAB>SHA-256 of the token`, never the token) and a summary.
/// `Err` when the database is damaged or any token does not decrypt.
pub async fn verify(st: &AppState) -> anyhow::Result<String> {
    let pool = &st.pool;
    let integrity: String = on_db!(
        pool,
        sqlite
            | e
            | sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(e)
                .await,
        postgres | _e | Ok::<_, sqlx::Error>("ok".to_string())
    )?;
    if integrity != "ok" {
        bail!("PRAGMA integrity_check failed: {integrity}");
    }
    let rows: Vec<(String, i64, i64, String, Vec<u8>)> = on_db!(pool, |e| sqlx::query_as(
        "SELECT u.email, t.user_id, t.runtime_id, t.key_id, t.ciphertext
         FROM git_tokens t JOIN users u ON u.id = t.user_id ORDER BY u.email, t.runtime_id",
    )
    .fetch_all(e)
    .await)?;
    let mut lines = Vec::with_capacity(rows.len() + 1);
    let mut broken = 0;
    for (email, user_id, runtime_id, key_id, blob) in rows {
        let sealed = Sealed { key_id, blob };
        match st.keys.open(&sealed, &token_aad(user_id, runtime_id)) {
            Ok(token) => lines.push(format!(
                "{email}\t{runtime_id}\t{}",
                sha256_hex(token.expose())
            )),
            Err(e) => {
                broken += 1;
                lines.push(format!("{email}\t{runtime_id}\tUNREADABLE ({e})"));
            }
        }
    }
    let total = lines.len();
    if broken > 0 {
        bail!(
            "{}\n{broken} of {total} tokens do not decrypt",
            lines.join("\n")
        );
    }
    lines.push(format!(
        "ok: integrity_check passed; {total} tokens decrypt"
    ));
    Ok(lines.join("\n"))
}

/// A token for the emulator: `prefix` and 36 random letters and digits.
fn random_token(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}
