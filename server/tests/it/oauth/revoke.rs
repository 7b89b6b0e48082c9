//! Deleting a token revokes it at the provider where the provider documents how (OAuth tokens on
//! GitHub and GitLab), and says so; personal access tokens and tokens still used elsewhere stay
//! valid there, and the answer says that instead.

use super::*;
use app::model::{AtProvider, Deleted};

/// Authorizes `runtime` for dana through the whole flow; returns the access token issued.
async fn authorized(env: &Env, runtime: i64) -> String {
    let url = start(env, &env.dana, runtime).await;
    let back = decide(&url, "authorize").await;
    callback(env, &env.dana, &back).await;
    tokens::reveal(&env.app.state, env.seed.dana, runtime)
        .await
        .unwrap()
        .unwrap()
        .expose()
        .to_string()
}

async fn delete(env: &Env, runtime: i64) -> Deleted {
    let res = env
        .app
        .send(call_fn(
            "delete_token",
            &[("runtime_id", &runtime.to_string())],
            Some(&env.dana),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_str(&body_text(res).await).unwrap()
}

async fn audit_detail(env: &Env) -> String {
    app::on_db!(&env.app.state.pool, |e| sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'token.delete' ORDER BY id DESC LIMIT 1"
    )
    .fetch_one(e)
    .await)
    .unwrap()
}

#[tokio::test]
async fn deleting_an_oauth_token_revokes_it_at_github_and_gitlab() {
    let env = setup("repo", None).await;
    for runtime in [env.seed.acme_rt, env.seed.globex_rt] {
        let token = authorized(&env, runtime).await;
        assert!(!env.emu.is_revoked(&token));
        let deleted = delete(&env, runtime).await;
        assert_eq!(deleted.at_provider, AtProvider::Revoked, "{deleted:?}");
        assert!(
            env.emu.is_revoked(&token),
            "the provider no longer accepts it"
        );
        assert_eq!(audit_detail(&env).await, "revoked at the provider");
        assert!(stored(&env).await.is_empty());
        let notice = app::model::notice::token_deleted(&deleted);
        assert!(notice.contains("and revoked at"), "{notice}");
        assert!(!notice.contains(&token) && !audit_detail(&env).await.contains(&token));
    }
}

#[tokio::test]
async fn a_refusing_provider_still_lets_the_token_go_and_says_where_to_revoke_it() {
    let env = setup("repo", None).await;
    let token = authorized(&env, env.seed.acme_rt).await;
    // The app's secret was rotated at GitHub, but not here: GitHub refuses the revocation.
    env.emu.register_client(OAuthClient {
        client_id: "gh-app".into(),
        client_secret: "rotated".into(),
        login: "octo".into(),
        token_lifetime_secs: None,
    });
    let deleted = delete(&env, env.seed.acme_rt).await;
    assert_eq!(
        deleted.at_provider,
        AtProvider::NotRevoked("GitHub refused the OAuth app's credentials".into())
    );
    assert_eq!(
        deleted.revoke_page,
        "https://github.com/settings/applications"
    );
    assert!(stored(&env).await.is_empty(), "deleted here all the same");
    assert!(!env.emu.is_revoked(&token));
    let notice = app::model::notice::token_deleted(&deleted);
    assert!(
        notice.contains("only") && notice.contains("https://github.com/settings/applications"),
        "{notice}"
    );
    assert!(audit_detail(&env)
        .await
        .starts_with("not revoked at the provider"));
}

#[tokio::test]
async fn a_pat_is_removed_here_only_and_a_shared_token_stays_valid() {
    const PAT: &str = "ghp_revokeTest00000000000000000000000001";
    let env = setup("repo", None).await;
    env.emu.register(fake(PAT, &["repo"]));
    let add = call_fn(
        "add_token",
        &[
            ("runtime_id", &env.seed.acme_rt.to_string()),
            ("token", PAT),
        ],
        Some(&env.dana),
    );
    assert_eq!(env.app.send(add).await.status(), StatusCode::OK);
    let deleted = delete(&env, env.seed.acme_rt).await;
    assert_eq!(deleted.at_provider, AtProvider::ByHand);
    assert_eq!(deleted.revoke_page, "https://github.com/settings/tokens");
    assert!(!env.emu.is_revoked(PAT));

    // An OAuth token that another runtime of dana's holds too (same fingerprint) is not revoked.
    let token = authorized(&env, env.seed.acme_rt).await;
    let sealed: (String, Vec<u8>, String) = app::on_db!(&env.app.state.pool, |e| sqlx::query_as(
        "SELECT key_id, ciphertext, fingerprint FROM git_tokens WHERE runtime_id = $1"
    )
    .bind(env.seed.acme_rt)
    .fetch_one(e)
    .await)
    .unwrap();
    let resealed = env.app.state.keys.seal(
        &Secret::new(token.clone()),
        &app::ssr::crypto::token_aad(env.seed.dana, env.seed.globex_rt),
    );
    app::on_db!(&env.app.state.pool, |e| sqlx::query(
        "INSERT INTO git_tokens (user_id, runtime_id, method, key_id, ciphertext, last4, fingerprint,
             status, last_validated_at, created_at, updated_at, token_since)
         VALUES ($1, $2, 'oauth', $3, $4, 'abcd', $5, 'valid', $6, $6, $6, $6)",
    )
    .bind(env.seed.dana)
    .bind(env.seed.globex_rt)
    .bind(&resealed.key_id)
    .bind(&resealed.blob)
    .bind(&sealed.2)
    .bind(Utc::now())
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let deleted = delete(&env, env.seed.acme_rt).await;
    assert_eq!(
        deleted.at_provider,
        AtProvider::StillUsed(vec!["globex-edge".into()])
    );
    assert!(!env.emu.is_revoked(&token), "globex-edge still uses it");
    assert!(app::model::notice::token_deleted(&deleted).contains("globex-edge still uses it"));
}
