//! The attack suite (OWASP ASVS V2–V5, V7): every case goes through the real router over a real
//! SQLite file, asserts the refusal, and — for writes — that no stored row changed.

use crate::helpers::*;
use axum::http::{header, StatusCode};

const GOOD: &str = "ghp_plantedToken9999999999999999999999999";
const OTHER: &str = "ghp_secondToken88888888888888888888888888";

/// Every row of every table a request could change (not the audit trail, which records refusals).
async fn snapshot(app: &TestApp) -> Vec<String> {
    let pool = &app.state.pool;
    let mut out = Vec::new();
    for table in [
        "users",
        "accounts",
        "memberships",
        "runtimes",
        "git_tokens",
        "notification_prefs",
        "oauth_apps",
        "runtime_keys",
    ] {
        let cols: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(table)
            .fetch_all(pool)
            .await
            .unwrap();
        let expr = cols
            .iter()
            .map(|c| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT {expr} FROM {table} ORDER BY rowid"))
                .fetch_all(pool)
                .await
                .unwrap();
        out.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    out
}

struct World {
    app: TestApp,
    seed: Seed,
    _emu: provider_emulator::Emulator,
    dana: String,
    olu: String,
}

/// Dana (admin of Acme, member of Globex) holds a token on Acme's runtime; Olu is only in Globex.
async fn world() -> World {
    let (app, seed) = TestApp::new().await;
    let emu = with_emulator(
        &app,
        &seed,
        vec![fake(GOOD, &["repo"]), fake(OTHER, &["repo"])],
    )
    .await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let olu = app.login("olu@example.com", PASSWORD).await;
    let (status, _) = status_and_body(
        &app,
        call_fn(
            "add_token",
            &[("runtime_id", &seed.acme_rt.to_string()), ("token", GOOD)],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = status_and_body(
        &app,
        call_fn(
            "admin/create_runtime_key",
            &[("runtime_id", &seed.acme_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    World {
        app,
        seed,
        _emu: emu,
        dana,
        olu,
    }
}

/// Sends `req`, expects `want` (a status class check when `want` is a 4xx), and that nothing
/// stored changed. Returns the body.
async fn refused(w: &World, label: &str, req: axum::http::Request<axum::body::Body>) -> String {
    let before = snapshot(&w.app).await;
    let (status, body) = status_and_body(&w.app, req).await;
    assert!(
        status.is_client_error() || status.is_redirection(),
        "{label}: expected a refusal, got {status}: {body}"
    );
    assert_eq!(snapshot(&w.app).await, before, "{label}: something changed");
    body
}

/// (endpoint, fields) of every mutating server function, aimed at Acme and its runtime.
fn writes_on_acme(seed: &Seed) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let rt = seed.acme_rt.to_string();
    let mut calls = vec![
        (
            "add_token",
            vec![("runtime_id", rt.clone()), ("token", OTHER.into())],
        ),
        ("delete_token", vec![("runtime_id", rt.clone())]),
        (
            "set_notifications_hidden",
            vec![("runtime_id", rt.clone()), ("hidden", "true".into())],
        ),
        ("admin/create_runtime_key", vec![("runtime_id", rt.clone())]),
        (
            "admin/revoke_runtime_key",
            vec![("runtime_id", rt), ("prefix", "anything".into())],
        ),
    ];
    calls.extend(account_admin_calls(&seed.acme.to_string()));
    calls
}

// ---- V4 access control: IDOR --------------------------------------------------------------

#[tokio::test]
async fn a_non_member_can_change_nothing_of_another_account() {
    let w = world().await;
    // 9 cases: every mutating server function, by Olu, on Acme (which Olu is not in).
    for (endpoint, fields) in writes_on_acme(&w.seed) {
        refused(
            &w,
            &format!("olu → {endpoint}"),
            call_fn(endpoint, &pairs(&fields), Some(&w.olu)),
        )
        .await;
    }
    // OAuth start for a runtime outside Olu's accounts.
    let mut req = post_form(
        "/oauth/start",
        &[("runtime_id", &w.seed.acme_rt.to_string())],
        Some(&w.olu),
    );
    req.headers_mut()
        .insert(header::ACCEPT, "text/html".parse().unwrap());
    refused(&w, "olu → /oauth/start", req).await;
}

#[tokio::test]
async fn a_stranger_is_refused_by_every_server_function_and_page() {
    let w = world().await;
    let mut all = writes_on_acme(&w.seed);
    all.extend([
        ("tokens", vec![]),
        ("activity", vec![]),
        ("me", vec![]),
        ("admin/overview", vec![]),
        (
            "change_password",
            vec![
                ("current_password", PASSWORD.to_string()),
                ("new_password", "a-new-password-1".into()),
                ("confirm_password", "a-new-password-1".into()),
            ],
        ),
    ]);
    // 14 cases: no session cookie at all.
    for (endpoint, fields) in &all {
        let (status, _) = status_and_body(&w.app, call_fn(endpoint, &pairs(fields), None)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous → {endpoint}");
    }
    // A forged cookie is no better than none.
    let forged = "gitpat_session=Zm9yZ2VkLXNlc3Npb24taWQ";
    refused(
        &w,
        "forged cookie → add_token",
        call_fn("add_token", &pairs(&all[0].1), Some(forged)),
    )
    .await;
    for path in ["/git-personal-access-tokens", "/admin", "/account/password"] {
        let res = w.app.send(get(path, None)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "anonymous → {path}");
        assert!(location(&res).starts_with("/login"), "{path}");
    }
}

#[tokio::test]
async fn a_member_is_not_an_admin_and_an_admin_only_of_their_account() {
    let w = world().await;
    // Dana is a plain member of Globex: no admin function there.
    let globex = w.seed.globex.to_string();
    let globex_rt = w.seed.globex_rt.to_string();
    let mut cases = account_admin_calls(&globex);
    cases.push(("admin/create_runtime_key", vec![("runtime_id", globex_rt)]));
    for (endpoint, fields) in cases {
        let body = refused(
            &w,
            &format!("dana (member) → {endpoint}"),
            call_fn(endpoint, &pairs(&fields), Some(&w.dana)),
        )
        .await;
        assert!(!body.contains("very-secret"), "{endpoint}");
    }
    // A runtime id that does not exist is refused the same way as one of another account.
    refused(
        &w,
        "unknown runtime",
        call_fn(
            "add_token",
            &[("runtime_id", "999999"), ("token", OTHER)],
            Some(&w.dana),
        ),
    )
    .await;
}

#[tokio::test]
async fn reads_show_only_the_callers_own_data() {
    let w = world().await;
    let (_, tokens) = status_and_body(&w.app, call_fn("tokens", &[], Some(&w.olu))).await;
    assert!(!tokens.contains("acme-prod"), "Olu lists no Acme runtime");
    let (_, activity) = status_and_body(&w.app, call_fn("activity", &[], Some(&w.olu))).await;
    assert!(
        !activity.contains("token.add"),
        "Olu sees none of Dana's events: {activity}"
    );
    let (status, _) = status_and_body(&w.app, call_fn("admin/overview", &[], Some(&w.olu))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Olu administers nothing");
    let (_, overview) =
        status_and_body(&w.app, call_fn("admin/overview", &[], Some(&w.dana))).await;
    assert!(overview.contains("Acme") && !overview.contains("Globex"));
    assert!(
        overview.contains("token.add"),
        "Acme's audit trail is there"
    );
    let page = body_text(w.app.send(get("/admin", Some(&w.dana))).await).await;
    assert!(page.contains("Audit trail") && page.contains("Token added"));
}

// ---- V4 cross-site requests ----------------------------------------------------------------

#[tokio::test]
async fn cross_site_and_origin_less_posts_are_refused() {
    let w = world().await;
    let rt = w.seed.acme_rt.to_string();
    let variants: [(&str, Option<&str>, Option<&str>); 5] = [
        ("foreign Origin", Some("https://evil.example"), None),
        ("Origin null", Some("null"), None),
        (
            "look-alike Origin",
            Some("http://127.0.0.1:3000.evil.example"),
            None,
        ),
        ("foreign Referer only", None, Some("https://evil.example/x")),
        ("neither Origin nor Referer", None, None),
    ];
    for (label, origin, referer) in variants {
        for (endpoint, fields) in [
            (
                "add_token",
                vec![("runtime_id", rt.as_str()), ("token", OTHER)],
            ),
            ("delete_token", vec![("runtime_id", rt.as_str())]),
        ] {
            let mut req = call_fn(endpoint, &fields, Some(&w.dana));
            let h = req.headers_mut();
            h.remove(header::ORIGIN);
            if let Some(o) = origin {
                h.insert(header::ORIGIN, o.parse().unwrap());
            }
            if let Some(r) = referer {
                h.insert(header::REFERER, r.parse().unwrap());
            }
            let before = snapshot(&w.app).await;
            let res = w.app.send(req).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{label} → {endpoint}");
            assert_eq!(snapshot(&w.app).await, before, "{label} → {endpoint}");
        }
    }
    // Cross-site logout does not end the session.
    let mut req = post_form("/logout", &[], Some(&w.dana));
    req.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(w.app.send(req).await.status(), StatusCode::FORBIDDEN);
    let res = w
        .app
        .send(get("/git-personal-access-tokens", Some(&w.dana)))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "still signed in");
}

// ---- V5 input: markup, sizes, characters, SQL ----------------------------------------------

#[tokio::test]
async fn names_holding_markup_are_rendered_inert() {
    let (app, seed) = TestApp::new().await;
    let pool = &app.state.pool;
    let evil_runtime = "<script>alert('rt')</script>";
    let evil_account = "\"><img src=x onerror=alert('acct')>";
    let evil_user = "<svg onload=alert('user')>";
    sqlx::query("UPDATE runtimes SET name = ? WHERE id = ?")
        .bind(evil_runtime)
        .bind(seed.acme_rt)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE accounts SET name = ? WHERE id = ?")
        .bind(evil_account)
        .bind(seed.acme)
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET display_name = ? WHERE id = ?")
        .bind(evil_user)
        .bind(seed.dana)
        .execute(pool)
        .await
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
    // As a member's email: no such user.
    refused(
        &w,
        "member email with SQL",
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
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runtimes WHERE name = ?")
        .bind(name)
        .fetch_one(&w.app.state.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "the name is data");
}

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
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action = 'password.change'")
            .fetch_all(&app.state.pool)
            .await
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

// ---- V14 headers ----------------------------------------------------------------------------

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pages_a_nonce_csp() {
    let w = world().await;
    let paths = [
        ("/login", None),
        ("/git-personal-access-tokens", Some(&w.dana)),
        ("/admin", Some(&w.dana)),
        ("/account/password", Some(&w.dana)),
        ("/no-such-page", Some(&w.dana)),
        ("/healthz", None),
    ];
    for (path, cookie) in paths {
        let res = w.app.send(get(path, cookie.map(|c| c.as_str()))).await;
        let h = res.headers().clone();
        let csp = h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "same-origin", "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        let html = body_text(res).await;
        // Every inline script of a page carries the nonce its CSP names.
        let scripts = html.matches("<script").count();
        if scripts > 0 {
            let nonce = script_src
                .split_whitespace()
                .find_map(|t| t.strip_prefix("'nonce-")?.strip_suffix('\''))
                .unwrap_or_else(|| panic!("{path}: scripts but no nonce in {csp}"));
            assert_eq!(
                html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                    + html
                        .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                        .count(),
                scripts,
                "{path}: a script without the nonce"
            );
        }
    }
    // Two pages, two nonces.
    let a = w.app.send(get("/login", None)).await;
    let b = w.app.send(get("/login", None)).await;
    assert_ne!(
        a.headers()[header::CONTENT_SECURITY_POLICY],
        b.headers()[header::CONTENT_SECURITY_POLICY]
    );
}

// ---- V7/V8: the planted token never comes back ----------------------------------------------

#[tokio::test]
async fn a_planted_token_appears_in_no_response() {
    let w = world().await;
    let rt = w.seed.acme_rt;
    let mut bodies = Vec::new();
    for (endpoint, fields) in [
        ("tokens", vec![]),
        ("activity", vec![]),
        ("me", vec![]),
        ("admin/overview", vec![]),
        ("flash", vec![]),
    ] {
        bodies.push(
            status_and_body(&w.app, call_fn(endpoint, &fields, Some(&w.dana)))
                .await
                .1,
        );
    }
    for path in [
        "/git-personal-access-tokens".to_string(),
        format!("/git-personal-access-tokens/{rt}/add"),
        format!("/git-personal-access-tokens/{rt}/delete"),
        "/admin".to_string(),
    ] {
        bodies.push(body_text(w.app.send(get(&path, Some(&w.dana))).await).await);
    }
    // Replacing answers with the runtime's name, not the token.
    bodies.push(
        status_and_body(
            &w.app,
            call_fn(
                "add_token",
                &[("runtime_id", &rt.to_string()), ("token", GOOD)],
                Some(&w.dana),
            ),
        )
        .await
        .1,
    );
    for b in &bodies {
        assert!(!b.contains(GOOD), "the token leaked: {b:.200}");
        assert!(!b.contains(&GOOD[4..20]), "part of the token leaked");
    }
    assert!(
        bodies[0].contains(&GOOD[GOOD.len() - 4..]),
        "only its last 4 are shown"
    );
}
