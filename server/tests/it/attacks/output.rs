//! V14 headers, and V7/V8: the planted token never comes back.

use super::*;

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
