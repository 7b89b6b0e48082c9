//! V5 input: markup, sizes, characters and SQL in what users send.

use super::*;

// ---- V5 input: markup, sizes, characters, SQL ----------------------------------------------

#[tokio::test]
async fn names_holding_markup_are_rendered_inert() {
    let (app, seed) = TestApp::new().await;
    let pool = &app.state.pool;
    let evil_runtime = "<script>alert('rt')</script>";
    let evil_account = "\"><img src=x onerror=alert('acct')>";
    let evil_user = "<svg onload=alert('user')>";
    app::on_db!(pool, |e| sqlx::query(
        "UPDATE runtimes SET name = $1 WHERE id = $2"
    )
    .bind(evil_runtime)
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    app::on_db!(pool, |e| sqlx::query(
        "UPDATE accounts SET name = $1 WHERE id = $2"
    )
    .bind(evil_account)
    .bind(seed.acme)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    app::on_db!(pool, |e| sqlx::query(
        "UPDATE users SET display_name = $1 WHERE id = $2"
    )
    .bind(evil_user)
    .bind(seed.dana)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let dana = app.login("dana@example.com", PASSWORD).await;
    let pages = [
        "/git-personal-access-tokens".to_string(),
        format!("/git-personal-access-tokens/{}/add", seed.acme_rt),
        format!("/git-personal-access-tokens/{}/delete", seed.acme_rt),
        "/admin".to_string(),
    ];
    for path in &pages {
        let html = body_text(app.send(get(path, Some(&dana))).await).await;
        for raw in [evil_runtime, evil_account, evil_user] {
            assert!(!html.contains(raw), "{path} carries {raw} unescaped");
        }
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("<svg onload"), "{path}");
        assert!(html.contains("&lt;"), "{path} shows the names escaped");
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_they_are_read() {
    let w = world().await;
    let big = "A".repeat(server::router::BODY_LIMIT + 1);
    for (label, req) in [
        (
            "1 MiB token",
            call_fn(
                "add_token",
                &[
                    ("runtime_id", &w.seed.acme_rt.to_string()),
                    ("token", &"t".repeat(1 << 20)),
                ],
                Some(&w.dana),
            ),
        ),
        (
            "oversized sign-in",
            login_request("dana@example.com", &big, "", None),
        ),
        (
            "oversized admin form",
            call_fn(
                "admin/add_runtime",
                &[
                    ("account_id", &w.seed.acme.to_string()),
                    ("name", &big),
                    ("provider", "github"),
                    ("api_url", ""),
                ],
                Some(&w.dana),
            ),
        ),
    ] {
        let before = snapshot(&w.app).await;
        let res = w.app.send(req).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{label}");
        assert_eq!(snapshot(&w.app).await, before, "{label}");
    }
}

#[tokio::test]
async fn malformed_tokens_are_refused_with_a_reason_and_never_sent_anywhere() {
    let w = world().await;
    let rt = w.seed.acme_rt.to_string();
    let cases = [
        ("NUL byte", "ghp_abc\0def"),
        ("CR LF (header injection)", "ghp_abc\r\nX-Evil: 1"),
        ("escape character", "ghp_abc\x1b[31m"),
        ("zero-width space", "ghp_abc\u{200b}def"),
        ("right-to-left override", "ghp_abc\u{202e}fed"),
        ("Cyrillic look-alike", "ghp_аbc"),
        ("inner space", "ghp_abc def"),
        ("60 KiB", &"x".repeat(60 * 1024)),
        ("only blanks", "   \t "),
    ];
    for (label, token) in cases {
        let body = refused(
            &w,
            label,
            call_fn(
                "add_token",
                &[("runtime_id", &rt), ("token", token)],
                Some(&w.dana),
            ),
        )
        .await;
        assert!(
            body.contains("token") || body.contains("Token"),
            "{label}: the reason is named: {body}"
        );
        assert!(
            !body.contains(token.trim()) || token.trim().is_empty(),
            "{label}: echoed"
        );
    }
}

#[tokio::test]
async fn sql_metacharacters_are_data_never_code() {
    let w = world().await;
    let rt = w.seed.acme_rt.to_string();
    // As a token: refused by the provider (or the input check), nothing stored.
    refused(
        &w,
        "token ' OR 1=1 --",
        call_fn(
            "add_token",
            &[("runtime_id", &rt), ("token", "ghp_x'OR'1'='1'--")],
            Some(&w.dana),
        ),
    )
    .await;
    // As a number: not a number.
    refused(
        &w,
        "runtime_id 1 OR 1=1",
        call_fn(
            "delete_token",
            &[("runtime_id", &format!("{rt} OR 1=1"))],
            Some(&w.dana),
        ),
    )
    .await;
    // As an email to sign in with: just a wrong sign-in.
    let res = w
        .app
        .send(login_request("' OR '1'='1' --", "' OR '1'='1", "", None))
        .await;
    assert!(location(&res).contains("error"), "no session for SQL");
    assert!(session_cookie(&res).is_none());
    // As a member's email: no such user, so nothing changes (and the answer is the one a
    // registered email gets: Add member tells no one who is registered).
    let before = snapshot(&w.app).await;
    let (status, body) = status_and_body(
        &w.app,
        call_fn(
            "admin/add_member",
            &[
                ("account_id", &w.seed.acme.to_string()),
                ("email", "x@y.z'; DELETE FROM users; --"),
                ("role", "member"),
            ],
            Some(&w.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        snapshot(&w.app).await,
        before,
        "member email with SQL changed nothing"
    );
    // As a runtime name an admin is allowed to choose: stored verbatim, tables intact.
    let name = "rt'); DROP TABLE runtimes; --";
    let (status, _) = status_and_body(
        &w.app,
        call_fn(
            "admin/add_runtime",
            &[
                ("account_id", &w.seed.acme.to_string()),
                ("name", name),
                ("provider", "github"),
                ("api_url", ""),
            ],
            Some(&w.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let stored: i64 = app::on_db!(&w.app.state.pool, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM runtimes WHERE name = $1"
    )
    .bind(name)
    .fetch_one(e)
    .await)
    .unwrap();
    assert_eq!(stored, 1, "the name is data");
}
