//! Starting and finishing a flow: success, and each way it must fail without storing anything.

use super::*;

#[tokio::test]
async fn authorize_stores_a_validated_oauth_token() {
    let env = setup("repo read:org", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    assert!(url
        .as_str()
        .starts_with(&format!("{}/github-web/login/oauth/authorize", env.emu_url)));
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "gh-app");
    assert_eq!(
        q["redirect_uri"], "http://127.0.0.1:3000/oauth/callback",
        "from GITPAT_PUBLIC_URL, not the request"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["state"].len() >= 16);
    assert_eq!(q["scope"], "repo read:org");

    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("Access to acme-prod authorized with GitHub."),
        "{page}"
    );
    assert_eq!(
        stored(&env).await,
        [(env.seed.acme_rt, "oauth".to_string())]
    );
    let rows = tokens::rows_for_user(&env.app.state.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.acme_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::Valid);
    assert_eq!(
        row.token.as_ref().unwrap().provider_login.as_deref(),
        Some("octo")
    );
    let audit: Vec<String> = app::on_db!(&env.app.state.pool, |e| sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'token.%'"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(audit, ["token.oauth"]);

    // The same callback again: single use.
    app::on_db!(&env.app.state.pool, |e| sqlx::query(
        "DELETE FROM git_tokens"
    )
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("could not be completed"), "{page}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn cancel_at_the_provider_stores_nothing() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "cancel").await;
    assert!(back.contains("error=access_denied"));
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("Authorization was cancelled at GitHub. No token was stored."),
        "{page}"
    );
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_ends_the_flow() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let forged = back.replace("state=", "state=x");
    let page = callback(&env, &env.dana, &forged).await;
    assert!(page.contains("could not be completed"), "{page}");
    // The genuine state no longer works either: the flow was used up.
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("could not be completed"));
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn a_flow_of_another_session_is_refused() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let other = env.app.login("dana@example.com", PASSWORD).await;
    let page = callback(&env, &other, &back).await;
    assert!(page.contains("could not be completed"), "{page}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn an_expired_flow_is_refused() {
    use std::sync::Arc;
    let env = setup("repo", None).await;
    let session =
        tower_sessions::Session::new(None, Arc::new(tower_sessions::MemoryStore::default()), None);
    let url = oauth::start(&env.app.state, &session, env.seed.dana, env.seed.acme_rt)
        .await
        .unwrap();
    let back = decide(&reqwest::Url::parse(&url).unwrap(), "authorize").await;
    let query: oauth::CallbackQuery =
        serde_urlencoded::from_str(back.split_once('?').unwrap().1).unwrap();
    let later = Utc::now() + Duration::seconds(oauth::FLOW_TTL_SECS + 5);
    let err = oauth::callback(&env.app.state, &session, env.seed.dana, query, None, later)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("took too long"), "{err}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn a_token_lacking_scopes_is_not_stored() {
    let env = setup("read:user", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("missing required scopes: repo"), "{page}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn starting_is_refused_for_runtimes_outside_the_users_accounts_or_without_an_app() {
    let env = setup("repo", None).await;
    let olu = env.app.login("olu@example.com", PASSWORD).await;
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &env.seed.acme_rt.to_string())],
            Some(&olu),
        ))
        .await;
    assert_eq!(
        location(&res),
        "/git-personal-access-tokens",
        "no trip to the provider"
    );
    let page = body_text(
        env.app
            .send(get("/git-personal-access-tokens", Some(&olu)))
            .await,
    )
    .await;
    assert!(page.contains("not a member"), "{page}");
    oauth::remove_app(
        &env.app.state.pool,
        env.seed.acme,
        ProviderKind::Github,
        Actor::OPERATOR,
    )
    .await
    .unwrap();
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &env.seed.acme_rt.to_string())],
            Some(&env.dana),
        ))
        .await;
    assert_eq!(location(&res), "/git-personal-access-tokens");
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &env.seed.acme_rt.to_string())],
            None,
        ))
        .await;
    assert_eq!(location(&res), "/login");
}

#[tokio::test]
async fn the_callback_never_redirects_elsewhere_and_needs_a_session() {
    let env = setup("repo", None).await;
    let page = callback(&env, &env.dana, "/oauth/callback?code=x&state=y&next=https://evil.example/&redirect_uri=https://evil.example/").await;
    assert!(page.contains("could not be completed"));
    let res = env
        .app
        .send(get("/oauth/callback?code=x&state=y", None))
        .await;
    assert!(
        location(&res).starts_with("/login?next="),
        "{}",
        location(&res)
    );
}

#[tokio::test]
async fn a_flow_started_on_one_node_finishes_on_another() {
    let env = setup("repo", None).await;
    let b = env.app.replica().await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    // The provider's redirect reaches the other node: the flow is in the shared session.
    let res = b.send(get(&back, Some(&env.dana))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/git-personal-access-tokens");
    let page = body_text(
        b.send(get("/git-personal-access-tokens", Some(&env.dana)))
            .await,
    )
    .await;
    assert!(
        page.contains("Access to acme-prod authorized with GitHub."),
        "{page}"
    );
    assert_eq!(
        stored(&env).await,
        [(env.seed.acme_rt, "oauth".to_string())]
    );
}

#[tokio::test]
async fn an_oauth_token_is_checked_against_the_runtime_s_repository() {
    let env = setup("repo read:org", None).await;
    let repo = |level: &str, saml_sso: bool| provider_emulator::FakeRepo {
        path: "acme/config".into(),
        access: [("octo".to_string(), level.to_string())].into(),
        saml_sso,
        fail_status: None,
    };
    app::on_db!(&env.app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET repo = 'acme/config' WHERE id = $1"
    )
    .bind(env.seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();

    // Read access only: refused, naming the repository, nothing stored.
    env.emu.register_repo(repo("read", false));
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let page = callback(&env, &env.dana, &decide(&url, "authorize").await).await;
    assert!(
        page.contains("cannot write to the runtime&#x27;s repository acme/config")
            || page.contains("cannot write to the runtime's repository acme/config"),
        "{page}"
    );
    assert!(stored(&env).await.is_empty());

    // Behind SAML single sign-on: kept, waiting for authorization.
    env.emu.register_repo(repo("write", true));
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    callback(&env, &env.dana, &decide(&url, "authorize").await).await;
    let rows = tokens::rows_for_user(&env.app.state.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.acme_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::NeedsSso);
    assert!(row.token.as_ref().unwrap().sso_url.is_some());
}
