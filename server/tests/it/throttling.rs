//! Sign-in throttling as it is counted (in the database: across nodes; per email and address,
//! so that someone else's failures do not lock a user out) and the client address it is counted
//! under behind a reverse proxy (`GITPAT_TRUSTED_PROXIES`).

use crate::helpers::*;
use app::ssr::request::TrustedProxies;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use tower::ServiceExt;

/// A sign-in attempt arriving from `peer` with an `X-Forwarded-For`.
fn attempt(peer: &str, forwarded: &str, email: &str) -> axum::http::Request<axum::body::Body> {
    signing_in(peer, forwarded, email, "wrong-password")
}

fn signing_in(
    peer: &str,
    forwarded: &str,
    email: &str,
    password: &str,
) -> axum::http::Request<axum::body::Body> {
    let mut req = login_request(email, password, "", None);
    req.headers_mut()
        .insert("x-forwarded-for", forwarded.parse().unwrap());
    let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

#[tokio::test]
async fn the_client_address_comes_from_trusted_proxies_only() {
    let (app, _) = TestApp::with_login_limit(2).await;
    let mut state = app.another_node().await;
    state.trusted_proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
    let store = server::router::session_store(&state).await.unwrap();
    let router = server::router::app(state.clone(), store, false, 2);
    let send = |req| router.clone().oneshot(req);

    // Through the proxy: the address it saw is recorded, not the proxy's nor the client's claim.
    let res = send(attempt(
        "10.0.0.5",
        "6.6.6.6, 203.0.113.7",
        "dana@example.com",
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Straight from a client claiming to be someone else: its own address.
    send(attempt("198.51.100.2", "203.0.113.99", "olu@example.com"))
        .await
        .unwrap();
    let addrs: Vec<String> = app::on_db!(&state.pool, |e| sqlx::query_scalar(
        "SELECT client_addr FROM audit_events WHERE action = 'login.failure' ORDER BY id",
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(addrs, ["203.0.113.7", "198.51.100.2"]);

    // Per-address throttling counts each client behind the proxy on its own: 12 attempts
    // (six times the per-email limit of 2) from one client, over fresh emails...
    for i in 0..12 {
        let res = send(attempt(
            "10.0.0.5",
            "203.0.113.50",
            &format!("n{i}@example.com"),
        ))
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "attempt {i}");
    }
    let res = send(attempt("10.0.0.5", "203.0.113.50", "x@example.com"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and another client behind the same proxy is not held up by them.
    let res = send(attempt("10.0.0.5", "203.0.113.51", "y@example.com"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn someone_elses_failures_do_not_lock_a_user_out_of_their_own_address() {
    let (app, _) = TestApp::with_login_limit(3).await;
    let mut state = app.another_node().await;
    state.trusted_proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
    let store = server::router::session_store(&state).await.unwrap();
    let router = server::router::app(state, store, false, 3);
    let send = |req| router.clone().oneshot(req);
    // An attacker guessing dana's password from one address is stopped there...
    for _ in 0..3 {
        let res = send(attempt("10.0.0.5", "198.51.100.66", "dana@example.com"))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let res = send(attempt("10.0.0.5", "198.51.100.66", "dana@example.com"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...while dana, from her own address, signs in.
    let res = send(signing_in(
        "10.0.0.5",
        "203.0.113.10",
        "dana@example.com",
        PASSWORD,
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(&res).is_some(), "dana was let in");
}

#[tokio::test]
async fn throttling_holds_across_nodes_sharing_the_database() {
    let (app, _) = TestApp::with_login_limit(2).await;
    let other = app.another_node().await;
    let store = server::router::session_store(&other).await.unwrap();
    let node_b = server::router::app(other, store, false, 2);
    // Two failures on the first node, the third attempt on the second: refused there.
    for _ in 0..2 {
        let res = app
            .send(login_request("olu@example.com", "wrong", "", None))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let res = node_b
        .oneshot(login_request("olu@example.com", PASSWORD, "", None))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}
