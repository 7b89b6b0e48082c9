//! V3 sessions and V2 authentication: session ids, logout, password changes, throttling, timing.

use super::*;

// ---- V3 sessions --------------------------------------------------------------------------

#[tokio::test]
async fn a_planted_session_id_is_worthless_after_sign_in() {
    let (app, _) = TestApp::new().await;
    let planted = "gitpat_session=cGxhbnRlZC1ieS1hbi1hdHRhY2tlcg";
    let res = app
        .send(login_request(
            "dana@example.com",
            PASSWORD,
            "",
            Some(planted),
        ))
        .await;
    let fresh = session_cookie(&res).unwrap();
    assert_ne!(fresh, planted);
    let (status, _) = status_and_body(&app, call_fn("tokens", &[], Some(planted))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = app
        .send(get("/git-personal-access-tokens", Some(planted)))
        .await;
    assert!(
        location(&res).starts_with("/login"),
        "the planted id is not signed in"
    );
    let (status, _) = status_and_body(&app, call_fn("tokens", &[], Some(&fresh))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session_for_every_kind_of_request() {
    let w = world().await;
    let res = w.app.send(post_form("/logout", &[], Some(&w.dana))).await;
    assert_eq!(location(&res), "/login");
    let (status, _) = status_and_body(&w.app, call_fn("tokens", &[], Some(&w.dana))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    refused(
        &w,
        "delete after logout",
        call_fn(
            "delete_token",
            &[("runtime_id", &w.seed.acme_rt.to_string())],
            Some(&w.dana),
        ),
    )
    .await;
}

#[tokio::test]
async fn a_changed_password_ends_the_other_sessions() {
    let (app, _) = TestApp::new().await;
    let here = app.login("dana@example.com", PASSWORD).await;
    let elsewhere = app.login("dana@example.com", PASSWORD).await;
    let new = "a-brand-new-password";
    let res = app
        .send(call_fn(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
            Some(&here),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // This session goes on, under a fresh id.
    let here = session_cookie(&res).unwrap_or(here);
    let (status, _) = status_and_body(&app, call_fn("tokens", &[], Some(&here))).await;
    assert_eq!(status, StatusCode::OK, "the changing session continues");
    let (status, _) = status_and_body(&app, call_fn("tokens", &[], Some(&elsewhere))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the other session ended");
    let res = app
        .send(get("/git-personal-access-tokens", Some(&elsewhere)))
        .await;
    assert!(location(&res).starts_with("/login"));
    // The old password is gone, the new one works.
    let res = app
        .send(login_request("dana@example.com", PASSWORD, "", None))
        .await;
    assert!(location(&res).contains("error"));
    app.login("dana@example.com", new).await;
    let actions: Vec<String> = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action = 'password.change'"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(actions.len(), 1);
}

#[tokio::test]
async fn a_password_change_needs_the_current_password_and_a_good_new_one() {
    let w = world().await;
    let cases = [
        (
            "wrong current password",
            "not-the-password",
            "new-password-123",
            "new-password-123",
            "current password",
        ),
        (
            "confirmation differs",
            PASSWORD,
            "new-password-123",
            "new-password-124",
            "differ",
        ),
        ("too short", PASSWORD, "short", "short", "at least"),
        (
            "same as before",
            PASSWORD,
            PASSWORD,
            PASSWORD,
            "differ from the current",
        ),
    ];
    for (label, current, new, confirm, reason) in cases {
        let body = refused(
            &w,
            label,
            call_fn(
                "change_password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", confirm),
                ],
                Some(&w.dana),
            ),
        )
        .await;
        assert!(body.contains(reason), "{label}: {body}");
        assert!(!body.contains(new) || new == PASSWORD, "{label}: echoed");
    }
    // Cross-site: refused before it is read.
    let mut req = call_fn(
        "change_password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "new-password-123"),
            ("confirm_password", "new-password-123"),
        ],
        Some(&w.dana),
    );
    req.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    let before = snapshot(&w.app).await;
    assert_eq!(w.app.send(req).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&w.app).await, before);
}

// ---- V2 authentication: throttling and timing -----------------------------------------------

#[tokio::test]
async fn sign_in_is_throttled_per_client_address_across_emails() {
    const LIMIT: u32 = 2;
    let (app, _) = TestApp::with_login_limit(LIMIT).await;
    // Per address: six times the per-email limit, spread over fresh emails.
    for i in 0..LIMIT * 6 {
        let res = app
            .send(login_request(
                &format!("nobody{i}@example.com"),
                "x",
                "",
                None,
            ))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "attempt {i}");
    }
    let res = app
        .send(login_request("dana@example.com", PASSWORD, "", None))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    assert!(session_cookie(&res).is_none());
}

#[tokio::test]
async fn an_unknown_email_costs_the_same_time_as_a_wrong_password() {
    let (app, _) = TestApp::with_login_limit(1000).await;
    async fn median(app: &TestApp, email: &str) -> std::time::Duration {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = std::time::Instant::now();
            let res = app
                .send(login_request(email, "wrong-password", "", None))
                .await;
            times.push(t.elapsed());
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
        }
        times.sort();
        times[3]
    }
    median(&app, "warm-up@example.com").await;
    let known = median(&app, "dana@example.com").await;
    let unknown = median(&app, "nobody@example.com").await;
    // Both verify an argon2id hash; skipping it for unknown emails would be ~100× faster.
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}"
    );
}
