//! A flow is pinned to its OAuth app, and a provider's words are shown clean.

use super::*;

/// Sets Acme's GitHub app again, as an admin editing it would (its version changes).
async fn change_github_app(env: &Env, client_id: &str) {
    let settings = OAuthAppInput {
        provider: ProviderKind::Github,
        client_id: client_id.into(),
        client_secret: Secret::new(format!("{client_id}-secret")),
        authorize_url: format!("{}/github-web/login/oauth/authorize", env.emu_url),
        token_url: format!("{}/github-web/login/oauth/access_token", env.emu_url),
        scopes: "repo".into(),
        expiry_days: None,
    }
    .parse()
    .unwrap();
    oauth::set_app(&env.app.state, env.seed.acme, &settings, Actor::OPERATOR)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_flow_ends_when_its_oauth_app_changes_or_is_replaced_meanwhile() {
    let env = setup("repo", None).await;
    let tokens_stored = || async {
        app::on_db!(&env.app.state.pool, |e| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM git_tokens"
        )
        .fetch_one(e)
        .await)
        .unwrap()
    };
    // Changed (even to the same client) between the start and the callback.
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    change_github_app(&env, "gh-app").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("was changed while you were authorizing"),
        "{page}"
    );
    assert_eq!(tokens_stored().await, 0);
    // Removed and set up again: another app, though its settings look alike.
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    oauth::remove_app(
        &env.app.state.pool,
        env.seed.acme,
        ProviderKind::Github,
        Actor::OPERATOR,
    )
    .await
    .unwrap();
    change_github_app(&env, "gh-app").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("was changed while you were authorizing"),
        "{page}"
    );
    assert_eq!(tokens_stored().await, 0);
    // Left alone, the flow finishes.
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("authorized with GitHub"), "{page}");
    assert_eq!(tokens_stored().await, 1);
}

#[tokio::test]
async fn a_providers_error_text_is_shown_clean_and_short() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // Whatever comes back in `error` is the provider's (or whoever crafted the link's) text.
    let error = format!("bad%0D%0ALocation:%20x{}", "y".repeat(500));
    let page = callback(
        &env,
        &env.dana,
        &format!("/oauth/callback?state={state}&error={error}"),
    )
    .await;
    let notice = page
        .split("did not authorize access (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        !notice.contains('\r') && !notice.contains('\n'),
        "{notice:?}"
    );
    assert!(notice.starts_with("badLocation: x"), "{notice:?}");
    assert!(notice.chars().count() <= 201, "{}", notice.len());
    assert!(stored(&env).await.is_empty());
}
