//! The token server functions through the real router, a real SQLite file and the emulator:
//! what they do, what they refuse, and that the token never leaks.

use crate::helpers::*;
use app::ssr::{crypto, tokens};
use axum::http::StatusCode;
use chrono::{Duration, Utc};

const GOOD: &str = "ghp_goodToken1111111111111111111111111111";
const GOOD2: &str = "ghp_otherToken222222222222222222222222222";
const NOSCOPE: &str = "ghp_noScope3333333333333333333333333333333";
const GL: &str = "glpat-goodToken44444444";

async fn setup() -> Fixture {
    Fixture::with_tokens(vec![
        fake(GOOD, &["repo"]),
        fake(GOOD2, &["repo", "workflow"]),
        fake(NOSCOPE, &["read:user"]),
        fake(GL, &["write_repository", "read_api"]),
    ])
    .await
}

async fn token_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM git_tokens")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

async fn last4_of(app: &TestApp, user: i64, rt: i64) -> Option<String> {
    sqlx::query_scalar("SELECT last4 FROM git_tokens WHERE user_id = ? AND runtime_id = ?")
        .bind(user)
        .bind(rt)
        .fetch_optional(&app.state.pool)
        .await
        .unwrap()
}

async fn add(app: &TestApp, cookie: &str, rt: i64, token: &str) -> (StatusCode, String) {
    status_and_body(
        app,
        call_fn(
            "add_token",
            &[("runtime_id", &rt.to_string()), ("token", token)],
            Some(cookie),
        ),
    )
    .await
}

#[tokio::test]
async fn adding_a_valid_token_stores_it_encrypted_and_shows_it_masked() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.contains(GOOD));

    let (_, list) = status_and_body(&app, call_fn("tokens", &[], Some(&dana))).await;
    assert!(list.contains(r#""status":"valid""#), "{list}");
    assert!(list.contains(r#""last4":"1111""#) && list.contains(r#""provider_login":"octo""#));
    assert!(!list.contains(GOOD), "the token never reaches the browser");
    let page = token_page(&app, &dana).await;
    assert!(page.contains("••••1111") && !page.contains(GOOD));

    // The stored bytes: ciphertext only, under the current key, bound to its row.
    let (key_id, blob): (String, Vec<u8>) =
        sqlx::query_as("SELECT key_id, ciphertext FROM git_tokens")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(key_id, app.state.keys.current_id());
    assert!(!blob.windows(GOOD.len()).any(|w| w == GOOD.as_bytes()));
    let revealed = tokens::reveal(&app.state, seed.dana, seed.acme_rt)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revealed.expose(), GOOD);

    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT action, detail FROM audit_events WHERE action LIKE 'token.%'")
            .fetch_all(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(audit, [("token.add".to_string(), "method=pat".to_string())]);
}

#[tokio::test]
async fn the_database_files_hold_no_token_bytes() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.globex_rt, GL).await;
    sqlx::query("PRAGMA wal_checkpoint(FULL)")
        .execute(&app.state.pool)
        .await
        .unwrap();
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for secret in [GOOD, GL] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds a token",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_row_does_not_decrypt() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.globex_rt, GL).await;
    add(&app, &olu, seed.globex_rt, GL).await;
    sqlx::query(
        "UPDATE git_tokens SET ciphertext = (SELECT ciphertext FROM git_tokens WHERE user_id = ?) WHERE user_id = ?",
    )
    .bind(seed.dana)
    .bind(seed.olu)
    .execute(&app.state.pool)
    .await
    .unwrap();
    let err = tokens::reveal(&app.state, seed.olu, seed.globex_rt)
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<crypto::CryptoError>().is_some(), "{err}");
}

#[tokio::test]
async fn refusals_name_the_reason_and_store_nothing() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let rt = seed.acme_rt;
    let cases: Vec<(String, &str)> = vec![
        (NOSCOPE.into(), "missing required scopes: repo"),
        ("ghp_unknownToken".into(), "rejected the token"),
        ("".into(), "Paste your personal access token"),
        ("   ".into(), "Paste your personal access token"),
        ("a".repeat(1025), "longer than 1024 bytes"),
        ("ghp_with space".into(), "spaces or control characters"),
        ("ghp_nul\u{0}byte".into(), "spaces or control characters"),
        (
            "ghp_\u{202e}rtl".into(),
            "characters that no Git provider uses",
        ),
        (
            "ghp_'; DROP TABLE git_tokens; --".into(),
            "spaces or control characters",
        ),
    ];
    for (token, want) in cases {
        let (status, body) = add(&app, &dana, rt, &token).await;
        assert_ne!(status, StatusCode::OK, "{token:?} was accepted");
        assert!(body.contains(want), "{token:?}: {body}");
        if token.len() > 4 {
            assert!(!body.contains(&token), "the error echoes the token");
        }
    }
    assert_eq!(token_count(&app).await, 0);
}

#[tokio::test]
async fn an_unreachable_provider_stores_nothing() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    sqlx::query("UPDATE runtimes SET api_url = 'http://127.0.0.1:9/github' WHERE id = ?")
        .bind(seed.acme_rt)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.contains("could not be reached"), "{body}");
    assert_eq!(token_count(&app).await, 0);
}

#[tokio::test]
async fn replacing_keeps_the_old_token_until_the_new_one_passes() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    let (status, _) = add(&app, &dana, seed.acme_rt, NOSCOPE).await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(
        last4_of(&app, seed.dana, seed.acme_rt).await.as_deref(),
        Some("1111"),
        "old token kept"
    );
    let (status, _) = add(&app, &dana, seed.acme_rt, GOOD2).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        last4_of(&app, seed.dana, seed.acme_rt).await.as_deref(),
        Some("2222"),
        "replaced"
    );
    assert_eq!(token_count(&app).await, 1);
}

#[tokio::test]
async fn delete_removes_only_the_callers_token() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.globex_rt, GL).await;
    add(&app, &olu, seed.globex_rt, GL).await;
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "delete_token",
            &[("runtime_id", &seed.globex_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(last4_of(&app, seed.dana, seed.globex_rt).await, None);
    assert!(
        last4_of(&app, seed.olu, seed.globex_rt).await.is_some(),
        "olu's token untouched"
    );
    let runtimes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runtimes")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(runtimes, 2, "the runtime itself is not affected");
    let (status, body) = status_and_body(
        &app,
        call_fn(
            "delete_token",
            &[("runtime_id", &seed.globex_rt.to_string())],
            Some(&dana),
        ),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.contains("no token"), "{body}");
}

#[tokio::test]
async fn nobody_touches_runtimes_outside_their_accounts_or_others_tokens() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    let acme = seed.acme_rt.to_string();
    // olu is not in Acme: add, delete and hide are all refused, and dana's token stays.
    for (name, pairs) in [
        (
            "add_token",
            vec![("runtime_id", acme.as_str()), ("token", GOOD2)],
        ),
        ("delete_token", vec![("runtime_id", acme.as_str())]),
        (
            "set_notifications_hidden",
            vec![("runtime_id", acme.as_str()), ("hidden", "true")],
        ),
    ] {
        let (status, body) = status_and_body(&app, call_fn(name, &pairs, Some(&olu))).await;
        assert_ne!(status, StatusCode::OK, "{name}");
        assert!(body.contains("not a member"), "{name}: {body}");
        let (status, _) = status_and_body(&app, call_fn(name, &pairs, None)).await;
        assert_ne!(status, StatusCode::OK, "{name} without a session");
    }
    assert_eq!(
        last4_of(&app, seed.dana, seed.acme_rt).await.as_deref(),
        Some("1111")
    );
    let prefs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notification_prefs")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(prefs, 0);
    let (_, list) = status_and_body(&app, call_fn("tokens", &[], Some(&olu))).await;
    assert!(!list.contains("acme-prod"), "{list}");
    let (status, _) = status_and_body(&app, call_fn("tokens", &[], None)).await;
    assert_ne!(status, StatusCode::OK);
    // Unknown runtime ids and garbage ids are refused too.
    let (status, _) = status_and_body(
        &app,
        call_fn("delete_token", &[("runtime_id", "999")], Some(&dana)),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    let (status, _) = status_and_body(
        &app,
        call_fn("delete_token", &[("runtime_id", "1 OR 1=1")], Some(&dana)),
    )
    .await;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(token_count(&app).await, 1);
}

#[tokio::test]
async fn bitbucket_needs_a_username() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    sqlx::query("UPDATE runtimes SET provider = 'bitbucket' WHERE id = ?")
        .bind(seed.acme_rt)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (status, body) = add(&app, &dana, seed.acme_rt, "ATATT-whatever").await;
    assert_ne!(status, StatusCode::OK);
    assert!(body.contains("Bitbucket username"), "{body}");
    assert_eq!(token_count(&app).await, 0);
}

#[tokio::test]
async fn hide_notifications_is_per_user_and_runtime() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    emu.register(provider_emulator::FakeToken {
        revoked: true,
        ..fake(GOOD, &["repo"])
    });
    let due = Utc::now() + Duration::seconds(1);
    let report = tokens::revalidate_due(&app.state, due, 4).await.unwrap();
    assert_eq!(report.invalid, 1);
    let rows = tokens::rows_for_user(&app.state.pool, seed.dana)
        .await
        .unwrap();
    assert_eq!(rows.iter().filter(|r| r.notifies()).count(), 1);

    let pairs = [
        ("runtime_id", seed.acme_rt.to_string()),
        ("hidden", "true".to_string()),
    ];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = status_and_body(
        &app,
        call_fn("set_notifications_hidden", &pairs, Some(&dana)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = tokens::rows_for_user(&app.state.pool, seed.dana)
        .await
        .unwrap();
    assert_eq!(rows.iter().filter(|r| r.notifies()).count(), 0);
    assert!(
        rows.iter()
            .find(|r| r.runtime.id == seed.acme_rt)
            .unwrap()
            .notifications_hidden
    );
    let olu_rows = tokens::rows_for_user(&app.state.pool, seed.olu)
        .await
        .unwrap();
    assert!(olu_rows.iter().all(|r| !r.notifications_hidden));
}

#[tokio::test]
async fn revalidation_keeps_statuses_true() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.globex_rt, GL).await;
    let pool = &app.state.pool;
    let status_of = |rt: i64| async move {
        tokens::rows_for_user(pool, seed.dana)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.runtime.id == rt)
            .unwrap()
            .status
    };
    let due = || Utc::now() + Duration::seconds(1);
    use app::model::TokenStatus;

    // The provider fails: unreachable, with the previous verdict named, never invalid.
    emu.register(provider_emulator::FakeToken {
        fail_status: Some(503),
        ..fake(GOOD, &["repo"])
    });
    tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    assert_eq!(status_of(seed.acme_rt).await, TokenStatus::Unreachable);
    let rows = tokens::rows_for_user(pool, seed.dana).await.unwrap();
    let err = rows
        .iter()
        .find(|r| r.runtime.id == seed.acme_rt)
        .unwrap()
        .token
        .as_ref()
        .unwrap()
        .last_error
        .clone()
        .unwrap();
    assert!(err.contains("Last known status: Valid"), "{err}");

    // Revoked at the provider: invalid.
    emu.register(provider_emulator::FakeToken {
        revoked: true,
        ..fake(GOOD, &["repo"])
    });
    tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    assert_eq!(status_of(seed.acme_rt).await, TokenStatus::Invalid);

    // An expiry date that passed: expired, without asking the provider (it would say valid).
    sqlx::query("UPDATE git_tokens SET expires_at = ? WHERE runtime_id = ?")
        .bind(Utc::now() - Duration::minutes(1))
        .bind(seed.globex_rt)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        status_of(seed.globex_rt).await,
        TokenStatus::Expired,
        "shown expired at once"
    );
    tokens::revalidate_due(&app.state, due(), 4).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT status FROM git_tokens WHERE runtime_id = ?")
        .bind(seed.globex_rt)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(stored, "expired");

    // Expiring within 7 days.
    emu.register(provider_emulator::FakeToken {
        expires_at: Some(Utc::now() + Duration::days(3)),
        ..fake(GOOD2, &["repo"])
    });
    add(&app, &dana, seed.acme_rt, GOOD2).await;
    assert_eq!(status_of(seed.acme_rt).await, TokenStatus::Expiring);
}

#[tokio::test]
async fn the_same_token_on_two_runtimes_is_pointed_out() {
    let Fixture {
        app,
        seed,
        emu,
        dana,
        ..
    } = setup().await;
    sqlx::query("UPDATE runtimes SET provider = 'github', api_url = (SELECT api_url FROM runtimes WHERE id = ?) WHERE id = ?")
        .bind(seed.acme_rt)
        .bind(seed.globex_rt)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let _ = &emu;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.globex_rt, GOOD).await;
    let rows = tokens::rows_for_user(&app.state.pool, seed.dana)
        .await
        .unwrap();
    let acme = rows.iter().find(|r| r.runtime.id == seed.acme_rt).unwrap();
    assert_eq!(acme.token.as_ref().unwrap().shared_with, ["globex-edge"]);
}

async fn token_page(app: &TestApp, cookie: &str) -> String {
    body_text(
        app.send(get("/git-personal-access-tokens", Some(cookie)))
            .await,
    )
    .await
}

#[tokio::test]
async fn without_javascript_forms_redirect_and_leave_a_notice() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    let rt = seed.acme_rt.to_string();
    let drawer = format!("/git-personal-access-tokens/{rt}/add");
    let res = app
        .send(post_plain_form(
            "add_token",
            &[("runtime_id", &rt), ("token", NOSCOPE)],
            &dana,
            &drawer,
        ))
        .await;
    assert!(res.status().is_redirection());
    // Back to the form, the error kept in the session: not in the URL, where a crafted link
    // could put any words in the form.
    assert_eq!(location(&res), drawer, "back to the form");
    let page = body_text(app.send(get(&drawer, Some(&dana))).await).await;
    assert!(
        page.contains("missing required scopes: repo") && page.contains(r#"role="alert""#),
        "the error is shown on the form"
    );
    let page = body_text(app.send(get(&drawer, Some(&dana))).await).await;
    assert!(!page.contains("missing required scopes"), "shown once");

    let res = app
        .send(post_plain_form(
            "add_token",
            &[("runtime_id", &rt), ("token", GOOD)],
            &dana,
            &drawer,
        ))
        .await;
    assert_eq!(location(&res), "/git-personal-access-tokens");
    let page = token_page(&app, &dana).await;
    assert!(page.contains("Token added to acme-prod."));
    let page = token_page(&app, &dana).await;
    assert!(
        !page.contains("Token added to acme-prod."),
        "a notice shows once"
    );

    // A scripted call has its answer; it leaves no notice to pop up on a later page.
    let (status, body) = add(&app, &dana, seed.acme_rt, GOOD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("acme-prod"), "{body}");
    let page = token_page(&app, &dana).await;
    assert!(
        !page.contains("Token added to acme-prod."),
        "no notice after a scripted call"
    );
}

#[tokio::test]
async fn a_crafted_link_cannot_put_an_error_in_a_form() {
    use base64::Engine;
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        ..
    } = setup().await;
    // What server_fn would put in the Referer after a refused plain post.
    let err = base64::engine::general_purpose::URL_SAFE
        .encode(r#"{"Invalid":"Your token leaked: call +1 555 0100 now"}"#);
    let link = format!(
        "/git-personal-access-tokens/{}/add?__path=/api/add_token&__err={err}",
        seed.acme_rt
    );
    let page = body_text(app.send(get(&link, Some(&dana))).await).await;
    assert!(page.contains("Advanced authorization options"), "the form");
    assert!(!page.contains("555 0100"), "the crafted text is not shown");
    assert!(!page.contains(r#"role="alert""#));
}

#[tokio::test]
async fn recent_activity_shows_the_users_own_events_only() {
    let Fixture {
        app,
        seed,
        emu: _emu,
        dana,
        olu,
        ..
    } = setup().await;
    add(&app, &dana, seed.acme_rt, GOOD).await;
    add(&app, &dana, seed.acme_rt, NOSCOPE).await;
    let (status, body) = status_and_body(&app, call_fn("activity", &[], Some(&dana))).await;
    assert_eq!(status, StatusCode::OK);
    let items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["token.add", "login.success"],
        "newest first; a refused token changes nothing"
    );
    assert_eq!(items[0]["runtime"], "acme-prod");
    assert!(!body.contains(GOOD));
    let (_, theirs) = status_and_body(&app, call_fn("activity", &[], Some(&olu))).await;
    assert!(!theirs.contains("token.add"), "{theirs}");
}
