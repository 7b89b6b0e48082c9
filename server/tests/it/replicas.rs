//! Stateless replicas: two nodes over one database, as behind a load balancer that sends each
//! request wherever it likes. Sessions, tokens and sign-outs are the database's, not a node's.
//! (Throttling across nodes: `throttling.rs`; background passes and OAuth refreshes once across
//! nodes: `jobs.rs`, `oauth/refresh.rs`; an OAuth flow across nodes: `oauth/flow.rs`.) The test
//! command runs these on SQLite and again on PostgreSQL.

use crate::helpers::*;
use crate::process::Harness;
use crate::session::Session;
use axum::http::StatusCode;

const GOOD: &str = "ghp_replicaToken1111111111111111111111111";

#[tokio::test]
async fn signed_in_on_one_node_a_user_acts_on_the_other_and_sees_it_on_both() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    let b = f.app.replica().await;
    // Signed in on A (the fixture's router); the token added through B.
    let (status, body) = {
        let res = b
            .send(call_fn(
                "add_token",
                &[("runtime_id", &f.seed.acme_rt.to_string()), ("token", GOOD)],
                Some(&f.dana),
            ))
            .await;
        (res.status(), body_text(res).await)
    };
    assert_eq!(status, StatusCode::OK, "{body}");
    // Both nodes show it, on the page and through the server function.
    for (node, res) in [
        (
            "A",
            f.app
                .send(get("/git-personal-access-tokens", Some(&f.dana)))
                .await,
        ),
        (
            "B",
            b.send(get("/git-personal-access-tokens", Some(&f.dana)))
                .await,
        ),
    ] {
        assert_eq!(res.status(), StatusCode::OK, "node {node}");
        let page = body_text(res).await;
        assert!(
            page.contains("1111"),
            "node {node} shows the token:\n{page}"
        );
    }
    let (_, listed) = status_and_body(&f.app, call_fn("tokens", &[], Some(&f.dana))).await;
    assert!(listed.contains("1111"), "{listed}");
}

#[tokio::test]
async fn logging_out_on_one_node_ends_the_session_on_both() {
    let (app, _) = TestApp::new().await;
    let b = app.replica().await;
    let cookie = app.login("dana@example.com", PASSWORD).await;
    let (status, _) = {
        let res = b.send(call_fn("tokens", &[], Some(&cookie))).await;
        (res.status(), ())
    };
    assert_eq!(status, StatusCode::OK, "B knows A's session");
    let res = b.send(post_form("/logout", &[], Some(&cookie))).await;
    assert_eq!(location(&res), "/login");
    for (node, res) in [
        ("A", app.send(call_fn("tokens", &[], Some(&cookie))).await),
        ("B", b.send(call_fn("tokens", &[], Some(&cookie))).await),
    ] {
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "node {node}");
    }
}

/// Two `gitpat serve` processes on one database; one is killed (SIGKILL) and the other carries
/// on with the same sessions and data.
#[tokio::test]
async fn a_node_killed_leaves_the_other_serving_the_same_sessions() {
    let mut h = Harness::new().await;
    let (emails, runtimes) = h.seed(1, 1).await;
    h.register_tokens([&GOOD.to_string()]);
    let mut a = h.start_server().await;
    let b = h.start_server().await;
    let mut session = Session::sign_in(&a.base, &emails[0]).await;
    let added = session
        .call(
            "add_token",
            &[
                ("runtime_id", runtimes[0].to_string()),
                ("token", GOOD.to_string()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(a.stop("KILL"), None, "killed, no exit code");
    // The same cookie, now sent to B.
    session.retarget(&b.base);
    let listed = session.listed().await.unwrap();
    assert_eq!(
        listed[&runtimes[0]].as_deref(),
        Some("1111"),
        "B serves A's session and its token"
    );
    let deleted = session
        .call("delete_token", &[("runtime_id", runtimes[0].to_string())])
        .await
        .unwrap();
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    drop(b);
}
