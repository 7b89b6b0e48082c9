//! The Admin area's server functions: account admins only, per account, secrets never shown.

use crate::helpers::*;
use axum::http::StatusCode;

#[tokio::test]
async fn non_admins_are_refused_by_every_admin_function() {
    let (app, seed) = TestApp::new().await;
    let olu = app.login("olu@example.com", PASSWORD).await; // member of Globex only
    let dana = app.login("dana@example.com", PASSWORD).await; // admin of Acme, member of Globex
    let (status, _) = status_and_body(&app, call_fn("admin/overview", &[], Some(&olu))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (cookie, account) in [(&olu, seed.globex), (&olu, seed.acme), (&dana, seed.globex)] {
        let acc = account.to_string();
        let calls = account_admin_calls(&acc);
        for (name, form) in calls {
            let (status, body) =
                status_and_body(&app, call_fn(name, &pairs(&form), Some(cookie))).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{name} on account {account}: {body}"
            );
        }
    }
    let counts: (i64, i64, i64) = app::on_db!(&app.state.pool, |e| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM oauth_apps), (SELECT COUNT(*) FROM runtimes), (SELECT COUNT(*) FROM memberships WHERE role = 'admin')",
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(counts, (0, 2, 1), "nothing changed");
}

#[tokio::test]
async fn an_admin_manages_oauth_apps_runtimes_and_members() {
    let (app, seed) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let acme = seed.acme.to_string();
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "admin/save_oauth_app",
            &pairs(&oauth_app_form(&acme)),
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, overview) =
        status_and_body(&app, call_fn("admin/overview", &[], Some(&dana))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        overview.contains("Iv1.client") && overview.contains("repo read:org"),
        "{overview}"
    );
    assert!(
        !overview.contains("very-secret-client-secret"),
        "the secret is never shown again"
    );
    assert!(
        !overview.contains("Globex"),
        "only accounts dana administers"
    );
    let blob: Vec<u8> = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT secret_ciphertext FROM oauth_apps"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert!(!blob.windows(10).any(|w| w == b"very-secre"));

    // The runtime's drawer now offers OAuth.
    let page = body_text(
        app.send(get(
            &format!("/git-personal-access-tokens/{}/add", seed.acme_rt),
            Some(&dana),
        ))
        .await,
    )
    .await;
    assert!(
        page.contains("Authorize Access to GitHub"),
        "the OAuth button"
    );

    let form = [
        ("account_id", acme.as_str()),
        ("name", "acme-new"),
        ("provider", "gitlab_self_managed"),
        ("api_url", ""),
    ];
    let (status, body) =
        status_and_body(&app, call_fn("admin/add_runtime", &form, Some(&dana))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("give its API URL"), "{body}");
    let form = [
        ("account_id", acme.as_str()),
        ("name", "acme-new"),
        ("provider", "gitlab_self_managed"),
        ("api_url", "https://git.acme.io/api/v4"),
    ];
    assert_eq!(
        status_and_body(&app, call_fn("admin/add_runtime", &form, Some(&dana)))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        status_and_body(&app, call_fn("admin/add_runtime", &form, Some(&dana)))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate"
    );

    let form = [
        ("account_id", acme.as_str()),
        ("email", "nobody@example.com"),
        ("role", "member"),
    ];
    // An unknown email gets the answer a registered one gets, and nothing happens.
    let members = || async {
        app::on_db!(&app.state.pool, |e| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM memberships"
        )
        .fetch_one(e)
        .await)
        .unwrap()
    };
    let before = members().await;
    let (status, body) =
        status_and_body(&app, call_fn("admin/add_member", &form, Some(&dana))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(members().await, before);
    let form = [
        ("account_id", acme.as_str()),
        ("email", "olu@example.com"),
        ("role", "member"),
    ];
    assert_eq!(
        status_and_body(&app, call_fn("admin/add_member", &form, Some(&dana)))
            .await
            .0,
        StatusCode::OK
    );
    let olu = app.login("olu@example.com", PASSWORD).await;
    let (_, list) = status_and_body(&app, call_fn("tokens", &[], Some(&olu))).await;
    assert!(
        list.contains("acme-prod") && list.contains("acme-new"),
        "olu now reaches Acme's runtimes"
    );

    let form = [("account_id", acme.as_str()), ("provider", "github")];
    assert_eq!(
        status_and_body(&app, call_fn("admin/remove_oauth_app", &form, Some(&dana)))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        status_and_body(&app, call_fn("admin/remove_oauth_app", &form, Some(&dana)))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let actions: Vec<String> = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'admin.%' ORDER BY id",
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(
        actions,
        [
            "admin.oauth_app.set",
            "admin.runtime.add",
            "admin.member.set",
            "admin.oauth_app.remove"
        ]
    );
}

#[tokio::test]
async fn bad_oauth_app_input_is_refused_with_the_field_named() {
    let (app, seed) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let acme = seed.acme.to_string();
    for (field, value, want) in [
        ("client_id", "", "client ID"),
        ("client_secret", "", "client secret"),
        ("authorize_url", "javascript:alert(1)", "authorize URL"),
        ("token_url", "not a url", "token URL"),
        ("scopes", "  ", "scope"),
        ("expiry_days", "soon", "number of days"),
        ("provider", "bitbucket_server", "not available"),
        ("provider", "gitea", "unknown provider"),
    ] {
        let mut form = oauth_app_form(&acme);
        form.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value.to_string();
        let (status, body) = status_and_body(
            &app,
            call_fn("admin/save_oauth_app", &pairs(&form), Some(&dana)),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}: {body}"
        );
        assert!(body.contains(want), "{field}={value}: {body}");
    }
    let n: i64 = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM oauth_apps"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn runtime_api_keys_are_shown_once_listed_by_prefix_and_revocable() {
    let (app, seed) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let olu = app.login("olu@example.com", PASSWORD).await;
    // Only admins of the runtime's account: olu is a member of Globex, dana only a member there.
    for (cookie, rt) in [
        (&olu, seed.globex_rt),
        (&olu, seed.acme_rt),
        (&dana, seed.globex_rt),
    ] {
        let (status, _) = status_and_body(
            &app,
            call_fn(
                "admin/create_runtime_key",
                &[("runtime_id", &rt.to_string())],
                Some(cookie),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "admin/create_runtime_key",
            &[("runtime_id", &seed.acme_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let key: String = serde_json::from_str(&body).unwrap();
    assert!(key.starts_with("gpk_"), "{key}");
    let (_, overview) = status_and_body(&app, call_fn("admin/overview", &[], Some(&dana))).await;
    let prefix = key.split('_').nth(1).unwrap();
    assert!(
        overview.contains(prefix) && !overview.contains(&key),
        "listed by prefix, never shown again"
    );
    let (stored_prefix, stored_hash): (String, String) =
        app::on_db!(&app.state.pool, |e| sqlx::query_as(
            "SELECT prefix, key_hash FROM runtime_keys"
        )
        .fetch_one(e)
        .await)
        .unwrap();
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored_hash, want, "only the key's hash is stored");
    assert_eq!(stored_prefix, prefix);

    let form = [
        ("runtime_id", seed.acme_rt.to_string()),
        ("prefix", prefix.to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) =
        status_and_body(&app, call_fn("admin/revoke_runtime_key", &form, Some(&olu))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = status_and_body(
        &app,
        call_fn("admin/revoke_runtime_key", &form, Some(&dana)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(app::ssr::credentials::runtime_of_key(&app.state.pool, &key)
        .await
        .unwrap()
        .is_none());
}
