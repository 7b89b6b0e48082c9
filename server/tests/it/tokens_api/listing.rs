//! What the page lists and says: statuses kept true by re-validation, shared tokens, notices
//! without JavaScript, Recent activity.

use super::*;

#[tokio::test]
async fn revalidation_keeps_statuses_true() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.globex_rt, GL).await;
    let pool = &app.state.pool;
    let status_of = |rt: i64| async move {
        tokens::rows_for_user(pool, seed.dana)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.runtime.id == rt)
            .unwrap()
            .status
    };
    let due = || Utc::now() + Duration::seconds(1);
    use app::model::TokenStatus;

    // The provider fails: unreachable, with the previous verdict named, never invalid.
    emu.register(provider_emulator::FakeToken {
        fail_status: Some(503),
        ..fake(GOOD, &["repo"])
    });
    tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    assert_eq!(status_of(seed.acme_rt).await, TokenStatus::Unreachable);
    let rows = tokens::rows_for_user(pool, seed.dana).await.unwrap();
    let err = rows
        .iter()
        .find(|r| r.runtime.id == seed.acme_rt)
        .unwrap()
        .token
        .as_ref()
        .unwrap()
        .last_error
        .clone()
        .unwrap();
    assert!(err.contains("Last known status: Valid"), "{err}");

    // Revoked at the provider: invalid.
    emu.register(provider_emulator::FakeToken {
        revoked: true,
        ..fake(GOOD, &["repo"])
    });
    tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    assert_eq!(status_of(seed.acme_rt).await, TokenStatus::Invalid);

    // An expiry date that passed: expired, without asking the provider (it would say valid).
    app::on_db!(pool, |e| sqlx::query(
        "UPDATE git_tokens SET expires_at = $1 WHERE runtime_id = $2"
    )
    .bind(Utc::now() - Duration::minutes(1))
    .bind(seed.globex_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(
        status_of(seed.globex_rt).await,
        TokenStatus::Expired,
        "shown expired at once"
    );
    tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    let stored: String = app::on_db!(pool, |e| sqlx::query_scalar(
        "SELECT status FROM git_tokens WHERE runtime_id = $1"
    )
    .bind(seed.globex_rt)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(stored, "expired");

    // Expiring within 7 days.
    emu.register(provider_emulator::FakeToken {
        expires_at: Some(Utc::now() + Duration::days(3)),
        ..fake(GOOD2, &["repo"])
    });
    add(&app, &dana, seed.acme_rt, GOOD2).await;
    assert_eq!(status_of(seed.acme_rt).await, TokenStatus::Expiring);
}

#[tokio::test]
async fn the_same_token_on_two_runtimes_is_pointed_out() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    app::on_db!(&app.state.pool, |e| sqlx::query("UPDATE runtimes SET provider = 'github', api_url = (SELECT api_url FROM runtimes WHERE id = $1) WHERE id = $2")
        .bind(seed.acme_rt)
        .bind(seed.globex_rt)
        .execute(e)
        .await.map(|r| r.rows_affected()))
        .unwrap();
    let _ = &emu;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.globex_rt, GOOD).await;
    let rows = tokens::rows_for_user(&app.state.pool, seed.dana)
        .await
        .unwrap();
    let acme = rows.iter().find(|r| r.runtime.id == seed.acme_rt).unwrap();
    assert_eq!(acme.token.as_ref().unwrap().shared_with, ["globex-edge"]);
}

#[tokio::test]
async fn without_javascript_forms_redirect_and_leave_a_notice() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let rt = seed.acme_rt.to_string();
    let drawer = format!("/git-personal-access-tokens/{rt}/add");
    let res = app
        .send(post_plain_form(
            "add_token",
            &[("runtime_id", &rt), ("token", NOSCOPE)],
            &dana,
            &drawer,
        ))
        .await;
    assert!(res.status().is_redirection());
    // Back to the form, the error kept in the session: not in the URL, where a crafted link
    // could put any words in the form.
    assert_eq!(location(&res), drawer, "back to the form");
    let page = body_text(app.send(get(&drawer, Some(&dana))).await).await;
    assert!(
        page.contains("missing required scopes: repo") && page.contains(r#"role="alert""#),
        "the error is shown on the form"
    );
    let page = body_text(app.send(get(&drawer, Some(&dana))).await).await;
    assert!(!page.contains("missing required scopes"), "shown once");

    let res = app
        .send(post_plain_form(
            "add_token",
            &[("runtime_id", &rt), ("token", GOOD)],
            &dana,
            &drawer,
        ))
        .await;
    assert_eq!(location(&res), "/git-personal-access-tokens");
    let page = token_page(&app, &dana).await;
    assert!(page.contains("Token added to acme-prod."));
    let page = token_page(&app, &dana).await;
    assert!(
        !page.contains("Token added to acme-prod."),
        "a notice shows once"
    );

    // A scripted call has its answer; it leaves no notice to pop up on a later page.
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("acme-prod"), "{body}");
    let page = token_page(&app, &dana).await;
    assert!(
        !page.contains("Token added to acme-prod."),
        "no notice after a scripted call"
    );
}

#[tokio::test]
async fn a_crafted_link_cannot_put_an_error_in_a_form() {
    use base64::Engine;
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    // What server_fn would put in the Referer after a refused plain post.
    let err = base64::engine::general_purpose::URL_SAFE
        .encode(r#"{"Invalid":"Your token leaked: call +1 555 0100 now"}"#);
    let link = format!(
        "/git-personal-access-tokens/{}/add?__path=/api/add_token&__err={err}",
        seed.acme_rt
    );
    let page = body_text(app.send(get(&link, Some(&dana))).await).await;
    assert!(page.contains("Advanced authorization options"), "the form");
    assert!(!page.contains("555 0100"), "the crafted text is not shown");
    assert!(!page.contains(r#"role="alert""#));
}

#[tokio::test]
async fn recent_activity_shows_the_users_own_events_only() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.acme_rt, NOSCOPE).await;
    let (status, body) = status_and_body(&app, call_fn("activity", &[], Some(&dana))).await;
    assert_eq!(status, StatusCode::OK);
    let items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["token.add", "login.success"],
        "newest first; a refused token changes nothing"
    );
    assert_eq!(items[0]["runtime"], "acme-prod");
    assert!(!body.contains(GOOD));
    let (_, theirs) = status_and_body(&app, call_fn("activity", &[], Some(&olu))).await;
    assert!(!theirs.contains("token.add"), "{theirs}");
}
