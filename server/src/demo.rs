//! `gitpat demo`: idempotent demo data — two accounts, a demo user in both, one more user in
//! one, and a runtime per provider kind pointed at the bundled provider emulator.

use crate::config::Config;
use crate::router;
use app::model::{ProviderKind, Role};
use app::ssr::crypto::Secret;
use app::ssr::db::{on_db, Db};
use app::ssr::oauth::{self, OAuthAppInput};
use app::ssr::store::{self, Actor};
use app::ssr::{auth, AppState};
use provider_emulator::Emulator;

pub const DEMO_PASSWORD: &str = "gitpat-demo";
pub const DEMO_USERS: [(&str, &str); 2] = [
    ("demo@gitpat.dev", "Dana Demo"),
    ("ops@gitpat.dev", "Olu Ops"),
];
pub const ACCOUNTS: [&str; 2] = ["Acme Platform", "Globex Labs"];

/// The demo runtimes: (account index, name, kind, path of its API under the emulator).
pub const RUNTIMES: [(usize, &str, ProviderKind, &str); 6] = [
    (0, "acme-prod", ProviderKind::Github, "/github"),
    (0, "acme-staging", ProviderKind::Gitlab, "/gitlab/api/v4"),
    (0, "acme-edge", ProviderKind::Bitbucket, "/bitbucket/2.0"),
    (
        1,
        "globex-enterprise",
        ProviderKind::GithubEnterprise,
        "/ghe/api/v3",
    ),
    (
        1,
        "globex-onprem",
        ProviderKind::GitlabSelfManaged,
        "/gitlab-sm/api/v4",
    ),
    (
        1,
        "globex-dc",
        ProviderKind::BitbucketServer,
        "/bitbucket-server/rest/api/1.0",
    ),
];

/// Seeds the demo data, leaving whatever exists alone. `emulator` is the emulator's base URL.
pub async fn seed(pool: &Db, emulator: &str) -> anyhow::Result<()> {
    let mut accounts = Vec::new();
    for name in ACCOUNTS {
        let id = match store::create_account(pool, name).await {
            Ok(id) => id,
            Err(store::StoreError::Conflict(_)) => store::account_id_by_name(pool, name).await?,
            Err(e) => return Err(e.into()),
        };
        accounts.push(id);
    }
    let mut users = Vec::new();
    for (email, name) in DEMO_USERS {
        let id = match store::user_by_email(pool, email).await? {
            Some(u) => u.id,
            None => {
                let hash = auth::hash_password(DEMO_PASSWORD.into()).await?;
                store::create_user(pool, email, name, &hash, false).await?
            }
        };
        users.push(id);
    }
    store::set_membership(pool, users[0], accounts[0], Role::Admin).await?;
    store::set_membership(pool, users[0], accounts[1], Role::Member).await?;
    store::set_membership(pool, users[1], accounts[1], Role::Admin).await?;
    for (account, name, kind, path) in RUNTIMES {
        let url = format!("{}{path}", emulator.trim_end_matches('/'));
        match store::create_runtime(pool, accounts[account], name, kind, &url, None).await {
            Ok(_) | Err(store::StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Registers the demo OAuth apps at the emulator and configures them for the first account,
/// so its GitHub and GitLab runtimes offer "Authorize Access to …".
pub async fn seed_oauth(st: &AppState, emu: &Emulator, emulator: &str) -> anyhow::Result<()> {
    let account = store::account_id_by_name(&st.pool, ACCOUNTS[0]).await?;
    for c in provider_emulator::demo_clients() {
        emu.register_client(c.client.clone());
        let settings = OAuthAppInput {
            provider: c.provider.parse().map_err(anyhow::Error::msg)?,
            client_id: c.client.client_id.clone(),
            client_secret: Secret::new(c.client.client_secret.clone()),
            authorize_url: format!("{emulator}{}", c.authorize_path),
            token_url: format!("{emulator}{}", c.token_path),
            scopes: c.scopes.into(),
            expiry_days: None,
        }
        .parse()
        .map_err(anyhow::Error::msg)?;
        oauth::set_app(st, account, &settings, Actor::OPERATOR)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// Runs the provider emulator alone (with the demo tokens) until shut down.
pub async fn run_emulator(config: &Config) -> anyhow::Result<()> {
    let emu = Emulator::default();
    for (_, t) in provider_emulator::demo_tokens() {
        emu.register(t);
    }
    for (_, r) in provider_emulator::demo_repos() {
        emu.register_repo(r);
    }
    let addr = emu.spawn(&config.emulator_addr).await?;
    println!("provider emulator at http://{addr}");
    router::shutdown_signal().await;
    Ok(())
}

/// Refuses a database that holds users other than the demo's, unless forced: the demo adds
/// users whose password it prints, which must never happen beside real ones.
pub async fn check_only_demo_users(pool: &Db, force: bool) -> anyhow::Result<()> {
    let others: i64 = on_db!(pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE email NOT IN ($1, $2)"
    )
    .bind(DEMO_USERS[0].0)
    .bind(DEMO_USERS[1].0)
    .fetch_one(e)
    .await)?;
    if others > 0 && !force {
        anyhow::bail!(
            "this database holds {others} user(s) besides the demo's; `gitpat demo` would add \
             demo users with a known password beside them. Point GITPAT_DATABASE_URL at a new \
             database, or pass --force"
        );
    }
    Ok(())
}

/// Seeds the demo data and serves it.
pub async fn run(config: &Config, force: bool) -> anyhow::Result<()> {
    // Before anything starts: a database with real users is left alone.
    let pool = app::ssr::db::open(&config.database_url, 1).await?;
    check_only_demo_users(&pool, force).await?;
    pool.close().await;
    let emu = Emulator::default();
    let samples = provider_emulator::demo_tokens();
    for (_, t) in &samples {
        emu.register(t.clone());
    }
    let repos = provider_emulator::demo_repos();
    for (_, r) in &repos {
        emu.register_repo(r.clone());
    }
    let emu_addr = emu.spawn(&config.emulator_addr).await?;
    // The demo's runtimes live at its own emulator, on loopback.
    let mut config = config.clone();
    config.outbound = config.outbound.also(emu_addr.ip());
    let config = &config;
    let emulator = format!("http://{emu_addr}");
    let state = crate::build_state(config).await?;
    seed(&state.pool, &emulator).await?;
    seed_oauth(&state, &emu, &emulator).await?;
    state.pool.close().await;
    state.reads.close().await;
    let url = config.public_url.as_str().trim_end_matches('/');
    let users = DEMO_USERS
        .iter()
        .map(|(email, _)| format!("  {email} / {DEMO_PASSWORD}"))
        .collect::<Vec<_>>()
        .join("\n");
    let tokens = samples
        .iter()
        .map(|(what, t)| format!("  {what}:\n      {}", t.token))
        .collect::<Vec<_>>()
        .join("\n");
    let repos = repos
        .iter()
        .map(|(what, r)| format!("  {what}: {}", r.path))
        .collect::<Vec<_>>()
        .join("\n");
    let banner = format!(
        "\ngitpat demo is running at {url}\nSign in with:\n{users}\n\nProvider emulator at {emulator}; sample tokens to paste:\n{tokens}\n\nRepositories for a runtime added with one (Admin area > Add a GitOps Runtime > Repository):\n{repos}\n"
    );
    crate::run_server(config, Some(banner)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seeding_twice_changes_nothing() {
        let pool = app::ssr::db::test_db().await.unwrap();
        seed(&pool, "http://127.0.0.1:1").await.unwrap();
        seed(&pool, "http://127.0.0.1:1").await.unwrap();
        let demo = store::user_by_email(&pool, "demo@gitpat.dev")
            .await
            .unwrap()
            .unwrap();
        let ops = store::user_by_email(&pool, "ops@gitpat.dev")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store::runtimes_for_user(&pool, demo.id)
                .await
                .unwrap()
                .len(),
            6
        );
        let ops_rts = store::runtimes_for_user(&pool, ops.id).await.unwrap();
        assert_eq!(ops_rts.len(), 3);
        assert!(ops_rts.iter().all(|r| r.account_name == "Globex Labs"));
    }

    #[tokio::test]
    async fn the_demo_refuses_a_database_with_other_users_unless_forced() {
        let pool = app::ssr::db::test_db().await.unwrap();
        seed(&pool, "http://127.0.0.1:1").await.unwrap();
        check_only_demo_users(&pool, false).await.unwrap();
        let hash = auth::hash_password("a-real-password".into()).await.unwrap();
        store::create_user(&pool, "real@corp.example", "Real", &hash, false)
            .await
            .unwrap();
        let err = check_only_demo_users(&pool, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1 user(s) besides the demo's") && err.contains("--force"),
            "{err}"
        );
        check_only_demo_users(&pool, true).await.unwrap();
    }
}
