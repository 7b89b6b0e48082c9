//! Refreshing OAuth tokens, on one node and on two at once.

use super::*;

#[tokio::test]
async fn gitlab_tokens_are_refreshed_and_a_refused_refresh_turns_invalid() {
    let env = setup("repo", Some(3600)).await;
    let url = start(&env, &env.dana, env.seed.globex_rt).await;
    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("authorized with GitLab"), "{page}");
    let before: (Vec<u8>, Vec<u8>) = app::on_db!(&env.app.state.pool, |e| sqlx::query_as(
        "SELECT ciphertext, refresh_ciphertext FROM git_tokens"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    let st = &env.app.state;
    // Not due yet.
    let r = oauth::refresh_due(st, Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(r.refreshed, 0);
    // Due: refreshed, both tokens rotated, still valid.
    let r = oauth::refresh_due(st, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!((r.refreshed, r.failed), (1, 0));
    let after: (Vec<u8>, Vec<u8>) = app::on_db!(&st.pool, |e| sqlx::query_as(
        "SELECT ciphertext, refresh_ciphertext FROM git_tokens"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_ne!(after.0, before.0);
    assert_ne!(after.1, before.1);
    let rows = tokens::rows_for_user(&st.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(
        row.status,
        app::model::TokenStatus::Valid,
        "renewed automatically, so not 'expiring'"
    );
    let revealed = tokens::reveal(st, env.seed.dana, env.seed.globex_rt)
        .await
        .unwrap()
        .unwrap();
    assert!(revealed.expose().starts_with("glo-"));

    // The provider refuses (the app's secret was rotated there): invalid, with the reason.
    env.emu.register_client(OAuthClient {
        client_id: "gl-app".into(),
        client_secret: "rotated".into(),
        login: "octo".into(),
        token_lifetime_secs: Some(3600),
    });
    let r = oauth::refresh_due(st, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(r.failed, 1);
    let rows = tokens::rows_for_user(&st.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::Invalid);
    assert!(row
        .token
        .as_ref()
        .unwrap()
        .last_error
        .as_deref()
        .unwrap()
        .contains("could not be refreshed"));
    assert!(row.notifies());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_refreshing_at_once_spend_the_refresh_token_once() {
    let env = setup("repo", Some(3600)).await;
    let url = start(&env, &env.dana, env.seed.globex_rt).await;
    let back = decide(&url, "authorize").await;
    callback(&env, &env.dana, &back).await;
    let node_a = env.app.state.clone();
    let node_b = env.app.another_node().await;
    // Due (it expires in 10 minutes, before the horizon), while a token refreshed now (an hour
    // to live) is not: however the two nodes interleave, one refresh is right.
    app::on_db!(&node_a.pool, |e| sqlx::query(
        "UPDATE git_tokens SET expires_at = $1"
    )
    .bind(Utc::now() + Duration::minutes(10))
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let horizon = Utc::now() + Duration::minutes(30);
    let (a, b) = tokio::join!(
        oauth::refresh_due(&node_a, horizon),
        oauth::refresh_due(&node_b, horizon)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.refreshed + b.refreshed, 1, "{a:?} {b:?}");
    assert_eq!(
        a.failed + b.failed,
        0,
        "a second use would have been refused: {a:?} {b:?}"
    );
    let uses = env.emu.refresh_uses();
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert!(
        uses.values().all(|&n| n == 1),
        "a refresh token was presented twice: {uses:?}"
    );
    let rows = tokens::rows_for_user(&node_b.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::Valid);
}

#[tokio::test]
async fn a_refresh_the_provider_cannot_answer_leaves_the_token_as_it_was() {
    let env = setup("repo", Some(3600)).await;
    let url = start(&env, &env.dana, env.seed.globex_rt).await;
    let back = decide(&url, "authorize").await;
    callback(&env, &env.dana, &back).await;
    let st = &env.app.state;
    // The token endpoint is down (nothing listens there).
    app::on_db!(&st.pool, |e| sqlx::query(
        "UPDATE oauth_apps SET token_url = 'http://127.0.0.1:9/gitlab/oauth/token'"
    )
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let r = oauth::refresh_due(st, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!((r.refreshed, r.failed, r.unreachable), (0, 0, 1), "{r:?}");
    let rows = tokens::rows_for_user(&st.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(
        row.status,
        app::model::TokenStatus::Valid,
        "an unreachable provider never makes a token invalid"
    );
    // The claim was given back: the next pass tries again.
    let claimed: Option<String> = app::on_db!(&st.pool, |e| sqlx::query_scalar(
        "SELECT refresh_claimed_until FROM git_tokens"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(claimed, None);
}
