//! Cross-site and transport rules through the real router: the same-origin check follows
//! `GITPAT_PUBLIC_URL`, not the request's `Host` (DNS rebinding); under https the session cookie
//! is `__Host-` prefixed and every answer carries `Strict-Transport-Security`.

use crate::helpers::*;
use axum::http::{header, StatusCode};
use tower::ServiceExt;

#[tokio::test]
async fn a_site_naming_itself_in_host_and_origin_is_still_cross_site() {
    let (app, _) = TestApp::new().await;
    // A page of evil.example whose name was pointed at this server: Host and Origin agree.
    let mut req = login_request("dana@example.com", PASSWORD, "", None);
    let h = req.headers_mut();
    h.insert(header::HOST, "evil.example:3000".parse().unwrap());
    h.insert(header::ORIGIN, "http://evil.example:3000".parse().unwrap());
    let res = app.send(req).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&res).is_none());
    // The same sign-in from the public URL's own origin works.
    let res = app
        .send(login_request("dana@example.com", PASSWORD, "", None))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn under_https_the_cookie_is_host_prefixed_and_hsts_is_sent() {
    let (app, _) = TestApp::new().await;
    let mut state = app.another_node().await;
    state.public_url = url::Url::parse("https://gitpat.example.com/").unwrap();
    let store = server::router::session_store(&state).await.unwrap();
    let router = server::router::app(state, store, true, LOGIN_PER_MINUTE);
    let mut req = login_request("dana@example.com", PASSWORD, "", None);
    let h = req.headers_mut();
    h.insert(header::HOST, "gitpat.example.com".parse().unwrap());
    h.insert(
        header::ORIGIN,
        "https://gitpat.example.com".parse().unwrap(),
    );
    let res = router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie_header(&res);
    assert!(cookie.starts_with("__Host-gitpat_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert_eq!(
        res.headers()[header::STRICT_TRANSPORT_SECURITY],
        server::router::HSTS
    );
    // Over plain http (development) neither.
    let res = app.send(get("/healthz", None)).await;
    assert!(!res
        .headers()
        .contains_key(header::STRICT_TRANSPORT_SECURITY));
}
