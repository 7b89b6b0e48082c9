//! Sign-in, sign-out, the page guard and the cross-site check, through the real router.

use crate::helpers::*;
use axum::http::{header, StatusCode};

#[tokio::test]
async fn healthz_answers_json_once_the_database_is_up() {
    let (app, _) = TestApp::new().await;
    let res = app.send(get("/healthz", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_text(res).await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
}

#[tokio::test]
async fn login_sets_an_httponly_lax_cookie_and_lands_on_the_token_page() {
    let (app, _) = TestApp::new().await;
    let res = app
        .send(login_request("dana@example.com", PASSWORD, "", None))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/git-personal-access-tokens");
    let cookie = set_cookie_header(&res);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let (app, _) = TestApp::new().await;
    let wrong = app
        .send(login_request("dana@example.com", "nope", "", None))
        .await;
    let unknown = app
        .send(login_request("nobody@example.com", "nope", "", None))
        .await;
    assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&wrong), location(&unknown));
    assert!(
        session_cookie(&wrong).is_none(),
        "no session for a failed login"
    );
    let page = body_text(app.send(get(&location(&wrong), None)).await).await;
    assert!(page.contains("Incorrect email or password."));
}

#[tokio::test]
async fn a_stranger_is_sent_to_login_and_back_after_it() {
    let (app, _) = TestApp::new().await;
    let res = app
        .send(get("/git-personal-access-tokens?account=2", None))
        .await;
    assert!(res.status().is_redirection());
    assert_eq!(
        location(&res),
        "/login?next=%2Fgit-personal-access-tokens%3Faccount%3D2"
    );
    let res = app
        .send(login_request(
            "dana@example.com",
            PASSWORD,
            "/git-personal-access-tokens?account=2",
            None,
        ))
        .await;
    assert_eq!(location(&res), "/git-personal-access-tokens?account=2");
}

#[tokio::test]
async fn open_redirects_are_refused() {
    let (app, _) = TestApp::new().await;
    for next in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let res = app
            .send(login_request("dana@example.com", PASSWORD, next, None))
            .await;
        assert_eq!(location(&res), "/git-personal-access-tokens", "next={next}");
        let res = app
            .send(login_request("dana@example.com", "wrong", next, None))
            .await;
        assert!(
            !location(&res).contains("evil"),
            "next={next} echoed on failure"
        );
    }
}

#[tokio::test]
async fn logout_destroys_the_session() {
    let (app, _) = TestApp::new().await;
    let cookie = app.login("dana@example.com", PASSWORD).await;
    let res = app
        .send(get("/git-personal-access-tokens", Some(&cookie)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.send(post_form("/logout", &[], Some(&cookie))).await;
    assert_eq!(location(&res), "/login");
    let res = app
        .send(get("/git-personal-access-tokens", Some(&cookie)))
        .await;
    assert!(
        res.status().is_redirection(),
        "the old cookie no longer works"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let (app, _) = TestApp::new().await;
    let mut req = login_request("dana@example.com", PASSWORD, "", None);
    req.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    assert_eq!(app.send(req).await.status(), StatusCode::FORBIDDEN);
    let mut req = login_request("dana@example.com", PASSWORD, "", None);
    req.headers_mut().remove(header::ORIGIN);
    assert_eq!(app.send(req).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_page_lists_only_runtimes_of_the_users_accounts() {
    let (app, _) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let page = body_text(
        app.send(get("/git-personal-access-tokens", Some(&dana)))
            .await,
    )
    .await;
    assert!(page.contains("acme-prod") && page.contains("globex-edge"));
    assert!(page.contains("Add Token"));
    // The accessible name starts with the visible initials.
    assert!(page.contains(r#" Account menu""#));
    assert!(page.contains("Git Personal Access Token"));

    let olu = app.login("olu@example.com", PASSWORD).await;
    let page = body_text(
        app.send(get("/git-personal-access-tokens", Some(&olu)))
            .await,
    )
    .await;
    assert!(page.contains("globex-edge"));
    assert!(!page.contains("acme-prod"), "olu is not in Acme");
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let (app, _) = TestApp::new().await;
    for path in ["/login", "/healthz", "/no-such-page"] {
        let res = app.send(get(path, None)).await;
        let h = res.headers();
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(h.contains_key(header::REFERRER_POLICY), "{path}");
    }
}

#[tokio::test]
async fn sign_in_is_throttled_per_email_the_same_for_unknown_emails() {
    const LIMIT: u32 = 3;
    let (app, _) = TestApp::with_login_limit(LIMIT).await;
    for email in ["dana@example.com", "nobody@example.com"] {
        for _ in 0..LIMIT {
            let res = app.send(login_request(email, "wrong", "", None)).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
        let res = app.send(login_request(email, "wrong", "", None)).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(
            res.headers()[header::RETRY_AFTER]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                >= 1
        );
        assert!(body_text(res).await.contains("Too many sign-in attempts"));
        // Even the right password waits now.
        let res = app.send(login_request(email, PASSWORD, "", None)).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    // Another email from the same address is still let in.
    let res = app
        .send(login_request("olu@example.com", PASSWORD, "", None))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let failures: i64 = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'login.failure'"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(
        failures,
        2 * LIMIT as i64,
        "every refused sign-in is audited"
    );
}
