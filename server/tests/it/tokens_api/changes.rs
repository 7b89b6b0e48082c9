//! Add, replace, delete and hide notifications: what each does and refuses.

use super::*;

#[tokio::test]
async fn refusals_name_the_reason_and_store_nothing() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let rt = seed.acme_rt;
    let cases: Vec<(String, &str)> = vec![
        (NOSCOPE.into(), "missing required scopes: repo"),
        ("ghp_unknownToken".into(), "rejected the token"),
        ("".into(), "Paste your personal access token"),
        ("   ".into(), "Paste your personal access token"),
        ("a".repeat(1025), "longer than 1024 bytes"),
        ("ghp_with space".into(), "spaces or control characters"),
        ("ghp_nul\u{0}byte".into(), "spaces or control characters"),
        (
            "ghp_\u{202e}rtl".into(),
            "characters that no Git provider uses",
        ),
        (
            "ghp_'; DROP TABLE git_tokens; --".into(),
            "spaces or control characters",
        ),
    ];
    for (token, want) in cases {
        let (status, body) = add(&app, &dana, rt, &token).await;
        assert_ne!(status, StatusCode::OK, "{token:?} was accepted");
        assert!(body.contains(want), "{token:?}: {body}");
        if token.len() > 4 {
            assert!(!body.contains(&token), "the error echoes the token");
        }
    }
    assert_eq!(token_count(&app).await, 0);
}

#[tokio::test]
async fn an_unreachable_provider_stores_nothing() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = 'http://127.0.0.1:9/github' WHERE id = $1"
    )
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.contains("could not be reached"), "{body}");
    assert_eq!(token_count(&app).await, 0);
}

#[tokio::test]
async fn replacing_keeps_the_old_token_until_the_new_one_passes() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    let (status, _) = add(&app, &dana, seed.acme_rt, NOSCOPE).await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(
        last4_of(&app, seed.dana, seed.acme_rt).await.as_deref(),
        Some("1111"),
        "old token kept"
    );
    let (status, _) = add(&app, &dana, seed.acme_rt, GOOD2).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        last4_of(&app, seed.dana, seed.acme_rt).await.as_deref(),
        Some("2222"),
        "replaced"
    );
    assert_eq!(token_count(&app).await, 1);
}

#[tokio::test]
async fn delete_removes_only_the_callers_token() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.globex_rt, GL).await;
    add(&app, &olu, seed.globex_rt, GL).await;
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "delete_token",
            &[("runtime_id", &seed.globex_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(last4_of(&app, seed.dana, seed.globex_rt).await, None);
    assert!(
        last4_of(&app, seed.olu, seed.globex_rt).await.is_some(),
        "olu's token untouched"
    );
    let runtimes: i64 = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM runtimes"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(runtimes, 2, "the runtime itself is not affected");
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "delete_token",
            &[("runtime_id", &seed.globex_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.contains("no token"), "{body}");
}

#[tokio::test]
async fn nobody_touches_runtimes_outside_their_accounts_or_others_tokens() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    let acme = seed.acme_rt.to_string();
    // olu is not in Acme: add, delete and hide are all refused, and dana's token stays.
    for (name, pairs) in [
        (
            "add_token",
            vec![("runtime_id", acme.as_str()), ("token", GOOD2)],
        ),
        ("delete_token", vec![("runtime_id", acme.as_str())]),
        (
            "set_notifications_hidden",
            vec![("runtime_id", acme.as_str()), ("hidden", "true")],
        ),
    ] {
        let (status, body) = status_and_body(&app, call_fn(name, &pairs, Some(&olu))).await;
        assert_ne!(status, StatusCode::OK, "{name}");
        assert!(body.contains("not a member"), "{name}: {body}");
        let (status, _) = status_and_body(&app, call_fn(name, &pairs, None)).await;
        assert_ne!(status, StatusCode::OK, "{name} without a session");
    }
    assert_eq!(
        last4_of(&app, seed.dana, seed.acme_rt).await.as_deref(),
        Some("1111")
    );
    let prefs: i64 = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notification_prefs"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(prefs, 0);
    let (_, list) = status_and_body(&app, call_fn("tokens", &[], Some(&olu))).await;
    assert!(!list.contains("acme-prod"), "{list}");
    let (status, _) = status_and_body(&app, call_fn("tokens", &[], None)).await;
    assert_ne!(status, StatusCode::OK);
    // Unknown runtime ids and garbage ids are refused too.
    let (status, _) = status_and_body(
        &app,
        call_fn("delete_token", &[("runtime_id", "999")], Some(&dana)),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    let (status, _) = status_and_body(
        &app,
        call_fn("delete_token", &[("runtime_id", "1 OR 1=1")], Some(&dana)),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(token_count(&app).await, 1);
}

#[tokio::test]
async fn bitbucket_needs_a_username() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET provider = 'bitbucket' WHERE id = $1"
    )
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let (status, body) = add(&app, &dana, seed.acme_rt, "ATATT-whatever").await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.contains("Bitbucket username"), "{body}");
    assert_eq!(token_count(&app).await, 0);
}

#[tokio::test]
async fn hide_notifications_is_per_user_and_runtime() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    emu.register(provider_emulator::FakeToken {
        revoked: true,
        ..fake(GOOD, &["repo"])
    });
    let due = Utc::now() + Duration::seconds(1);
    let report = tokens::revalidate_due(&app.state, due, 4).await.unwrap();
    assert_eq!(report.invalid, 1);
    let rows = tokens::rows_for_user(&app.state.pool, seed.dana)
        .await
        .unwrap();
    assert_eq!(rows.iter().filter(|r| r.notifies()).count(), 1);

    let pairs = [
        ("runtime_id", seed.acme_rt.to_string()),
        ("hidden", "true".to_string()),
    ];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = status_and_body(
        &app,
        call_fn("set_notifications_hidden", &pairs, Some(&dana)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = tokens::rows_for_user(&app.state.pool, seed.dana)
        .await
        .unwrap();
    assert_eq!(rows.iter().filter(|r| r.notifies()).count(), 0);
    assert!(
        rows.iter()
            .find(|r| r.runtime.id == seed.acme_rt)
            .unwrap()
            .notifications_hidden
    );
    let olu_rows = tokens::rows_for_user(&app.state.pool, seed.olu)
        .await
        .unwrap();
    assert!(olu_rows.iter().all(|r| !r.notifications_hidden));
}

#[tokio::test]
async fn adding_tokens_is_rate_limited_per_user_as_each_try_asks_a_provider() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    let limit = app.state.user_provider_calls as usize;
    for i in 0..limit {
        let (status, body) = add(&app, &dana, seed.acme_rt, NOSCOPE).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "try {i}: {body}");
    }
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("RateLimited"), "{body}");
    assert_eq!(
        token_count(&app).await,
        0,
        "nothing was stored, no provider asked"
    );
    // Someone else is not held up.
    let (status, body) = add(&app, &olu, seed.globex_rt, GL).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
