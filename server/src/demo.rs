//! `gitpat demo`: idempotent demo data — two accounts, a demo user in both, one more user in
//! one, and a runtime per provider kind pointed at the bundled provider emulator.

use app::model::{ProviderKind, Role};
use app::ssr::{auth, store};
use sqlx::SqlitePool;

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
pub async fn seed(pool: &SqlitePool, emulator: &str) -> anyhow::Result<()> {
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
        match store::create_runtime(pool, accounts[account], name, kind, &url).await {
            Ok(_) | Err(store::StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Registers the demo OAuth apps at the emulator and configures them for the first account,
/// so its GitHub and GitLab runtimes offer "Authorize Access to …".
pub async fn seed_oauth(
    pool: &SqlitePool,
    keys: &app::ssr::crypto::Keyring,
    emu: &crate::emulator::Emulator,
    emulator: &str,
) -> anyhow::Result<()> {
    let account = store::account_id_by_name(pool, ACCOUNTS[0]).await?;
    for (kind, client, authorize, token, scopes) in crate::emulator::demo_clients() {
        emu.register_client(client.clone());
        app::ssr::oauth::set_app(
            pool,
            keys,
            account,
            kind,
            &client.client_id,
            &app::ssr::crypto::Secret::new(client.client_secret.clone()),
            &format!("{emulator}{authorize}"),
            &format!("{emulator}{token}"),
            scopes,
            None,
        )
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
    async fn seeding_twice_changes_nothing(pool: SqlitePool) {
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
}
