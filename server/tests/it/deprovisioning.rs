//! Deprovisioning through the real router: an admin removes a member (their tokens for the
//! account's runtimes go, the runtime API refuses them at once, their sessions lose the
//! account) or a runtime; an operator disables a user (sessions end, sign-in and credentials are
//! refused) and enables them again. Add member answers alike whether an email is registered.

use crate::helpers::*;
use app::ssr::account_admin;
use app::ssr::credentials::{self, Refusal};
use app::ssr::store::{self, Actor};
use axum::http::StatusCode;

const GOOD: &str = "ghp_deproToken1111111111111111111111111111";
const GL: &str = "glpat-deproToken22222222";

async fn count(app: &TestApp, sql: &str) -> i64 {
    app::on_db!(&app.state.pool, |e| sqlx::query_scalar(sql)
        .fetch_one(e)
        .await)
    .unwrap()
}

#[tokio::test]
async fn a_removed_member_loses_the_account_its_tokens_and_credentials_at_once() {
    let f = Fixture::with_tokens(vec![
        fake(GOOD, &["repo"]),
        fake(GL, &["write_repository", "read_api"]),
    ])
    .await;
    let globex = f.seed.globex.to_string();
    // Dana administers Globex here; olu, a member, holds a token on its runtime.
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE memberships SET role = 'admin' WHERE user_id = $1 AND account_id = $2"
    )
    .bind(f.seed.dana)
    .bind(f.seed.globex)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "add_token",
            &[("runtime_id", &f.seed.globex_rt.to_string()), ("token", GL)],
            Some(&f.olu),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        credentials::credential_for(&f.app.state, f.seed.globex_rt, "olu@example.com")
            .await
            .unwrap()
            .is_ok()
    );

    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "admin/remove_member",
            &[("account_id", &globex), ("email", "olu@example.com")],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        count(&f.app, "SELECT COUNT(*) FROM git_tokens").await,
        0,
        "olu's token went"
    );
    assert!(matches!(
        credentials::credential_for(&f.app.state, f.seed.globex_rt, "olu@example.com")
            .await
            .unwrap(),
        Err(Refusal::NotMember)
    ));
    // Olu's open session no longer shows the account, nor its runtime.
    let accounts = store::accounts_of_user(&f.app.state.reads, f.seed.olu)
        .await
        .unwrap();
    assert!(accounts.is_empty(), "{accounts:?}");
    let (_, rows) = status_and_body(&f.app, call_fn("tokens", &[], Some(&f.olu))).await;
    assert_eq!(rows, "[]", "no runtime left to olu");
    assert_eq!(
        count(
            &f.app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'admin.member.remove'"
        )
        .await,
        1
    );
    // The last admin stays.
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "admin/remove_member",
            &[
                ("account_id", &f.seed.acme.to_string()),
                ("email", "dana@example.com"),
            ],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn add_member_answers_alike_for_registered_and_unknown_emails() {
    let (app, seed) = TestApp::new().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let acme = seed.acme.to_string();
    let mut answers = Vec::new();
    for email in ["olu@example.com", "nobody@example.com"] {
        let (status, body) = status_and_body(
            &app,
            call_fn(
                "admin/add_member",
                &[("account_id", &acme), ("email", email), ("role", "member")],
                Some(&dana),
            ),
        )
        .await;
        answers.push((status, body.replace(email, "EMAIL")));
    }
    assert_eq!(answers[0], answers[1], "the answer tells nothing");
    assert_eq!(answers[0].0, StatusCode::OK);
    let members = count(
        &app,
        "SELECT COUNT(*) FROM memberships WHERE account_id = 1",
    )
    .await;
    assert_eq!(members, 2, "olu was added; nobody is no one");
}

#[tokio::test]
async fn a_removed_runtime_takes_its_tokens_and_keys_and_keeps_its_history() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "add_token",
            &[("runtime_id", &f.seed.acme_rt.to_string()), ("token", GOOD)],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let key = credentials::create_key(&f.app.state.pool, f.seed.acme_rt, Actor::OPERATOR)
        .await
        .unwrap();
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "admin/remove_runtime",
            &[("runtime_id", &f.seed.acme_rt.to_string())],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(count(&f.app, "SELECT COUNT(*) FROM git_tokens").await, 0);
    assert_eq!(count(&f.app, "SELECT COUNT(*) FROM runtime_keys").await, 0);
    assert!(credentials::runtime_of_key(&f.app.state.pool, key.expose())
        .await
        .unwrap()
        .is_none());
    let history = count(
        &f.app,
        "SELECT COUNT(*) FROM audit_events WHERE detail LIKE '%acme-prod%'",
    )
    .await;
    assert!(
        history >= 2,
        "the token's events and the removal name it: {history}"
    );
    // A member who is not an admin cannot.
    let (status, _) = status_and_body(
        &f.app,
        call_fn(
            "admin/remove_runtime",
            &[("runtime_id", &f.seed.globex_rt.to_string())],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_refused_and_gets_no_credential_until_enabled() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    let (status, _) = status_and_body(
        &f.app,
        call_fn(
            "add_token",
            &[("runtime_id", &f.seed.acme_rt.to_string()), ("token", GOOD)],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    account_admin::set_user_disabled(&f.app.state.pool, f.seed.dana, true, Actor::OPERATOR)
        .await
        .unwrap();
    // The open session is over.
    let res = f
        .app
        .send(get("/git-personal-access-tokens", Some(&f.dana)))
        .await;
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    // Sign-in answers as for a wrong password.
    let res = f
        .app
        .send(login_request("dana@example.com", PASSWORD, "", None))
        .await;
    assert!(session_cookie(&res).is_none());
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    assert!(matches!(
        credentials::credential_for(&f.app.state, f.seed.acme_rt, "dana@example.com")
            .await
            .unwrap(),
        Err(Refusal::NotMember)
    ));
    account_admin::set_user_disabled(&f.app.state.pool, f.seed.dana, false, Actor::OPERATOR)
        .await
        .unwrap();
    let res = f
        .app
        .send(login_request("dana@example.com", PASSWORD, "", None))
        .await;
    assert!(session_cookie(&res).is_some(), "enabled again");
    assert!(
        credentials::credential_for(&f.app.state, f.seed.acme_rt, "dana@example.com")
            .await
            .unwrap()
            .is_ok()
    );
    let events = count(
        &f.app,
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('user.disable', 'user.enable')",
    )
    .await;
    assert_eq!(events, 2);
    let _ = store::user_by_id(&f.app.state.pool, f.seed.dana)
        .await
        .unwrap()
        .unwrap();
}
