//! V4 access control: another account's data, roles, and cross-site requests.

use super::*;

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
    cases.push((
        "admin/create_runtime_key",
        vec![("runtime_id", globex_rt.clone())],
    ));
    cases.push(("admin/remove_runtime", vec![("runtime_id", globex_rt)]));
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
