//! Rotate token: at GitLab (which issues the new token and revokes the old one) and, for the
//! other providers, with a new token the user made. Every runtime of the user that held the old
//! token gets the new one, in one step; a rotation already under way is not started twice.

use super::*;
use app::model::{ProviderKind, Rotated};
use app::ssr::store;

/// dana holds GL on globex-edge and on a second GitLab runtime of Globex; returns its id.
async fn shared_gitlab(f: &Fixture) -> i64 {
    let api: String = app::on_db!(&f.app.state.pool, |e| sqlx::query_scalar(
        "SELECT api_url FROM runtimes WHERE id = $1"
    )
    .bind(f.seed.globex_rt)
    .fetch_one(e)
    .await)
    .unwrap();
    let second = store::create_runtime(
        &f.app.state.pool,
        f.seed.globex,
        "globex-second",
        ProviderKind::Gitlab,
        &api,
        None,
    )
    .await
    .unwrap();
    for rt in [f.seed.globex_rt, second] {
        let (status, body) = add_as(f, &f.dana, rt, GL).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    second
}

async fn add_as(f: &Fixture, who: &str, rt: i64, token: &str) -> (StatusCode, String) {
    status_and_body(
        &f.app,
        call_fn(
            "add_token",
            &[("runtime_id", &rt.to_string()), ("token", token)],
            Some(who),
        ),
    )
    .await
}

async fn rotate(f: &Fixture, rt: i64, token: Option<&str>) -> (StatusCode, String) {
    let rt = rt.to_string();
    let mut pairs = vec![("runtime_id", rt.as_str())];
    if let Some(t) = token {
        pairs.push(("token", t));
    }
    status_and_body(&f.app, call_fn("rotate_token", &pairs, Some(&f.dana))).await
}

#[tokio::test]
async fn gitlab_rotates_the_token_in_every_runtime_that_held_it() {
    let f = setup().await;
    let second = shared_gitlab(&f).await;
    let (status, body) = rotate(&f, f.seed.globex_rt, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rotated: Rotated = serde_json::from_str(&body).unwrap();
    assert_eq!(rotated.runtimes, ["globex-edge", "globex-second"]);
    assert_eq!(rotated.by, Some(ProviderKind::Gitlab));
    assert!(f.emu.is_revoked(GL), "GitLab revoked the old token");
    let new = f.emu.rotated_into(GL).expect("rotated at the emulator");
    for rt in [f.seed.globex_rt, second] {
        let revealed = tokens::reveal(&f.app.state, f.seed.dana, rt)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revealed.expose(), new, "runtime {rt} holds the new token");
    }
    assert!(
        !body.contains(&new),
        "the new token never reaches the browser"
    );
    // As long-lived as the old one (30 days), not GitLab's default week.
    let rows = tokens::rows_for_user(&f.app.state.pool, f.seed.dana)
        .await
        .unwrap();
    let row = rows.iter().find(|r| r.runtime.id == second).unwrap();
    let expires = row.token.as_ref().unwrap().expires_at.unwrap();
    let days = (expires - Utc::now()).num_days();
    assert!((28..=30).contains(&days), "{expires}");
    assert_eq!(row.status, app::model::TokenStatus::Valid);
    let details: Vec<String> = app::on_db!(&f.app.state.pool, |e| sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'token.replace' ORDER BY id"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(details, ["rotated at GitLab", "rotated at GitLab"]);

    // Again: the new token is the one presented now, and it works.
    let (status, body) = rotate(&f, second, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(f.emu.is_revoked(&new));
    let newest = f.emu.rotated_into(&new).unwrap();
    assert!(!f.emu.is_revoked(&newest));
}

#[tokio::test]
async fn a_rotation_under_way_is_not_started_twice() {
    let f = setup().await;
    shared_gitlab(&f).await;
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET rotating_until = $1 WHERE runtime_id = $2"
    )
    .bind(Utc::now() + Duration::minutes(1))
    .bind(f.seed.globex_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let (status, body) = rotate(&f, f.seed.globex_rt, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already under way"), "{body}");
    assert!(
        !f.emu.is_revoked(GL) && f.emu.rotated_into(GL).is_none(),
        "GitLab was not asked"
    );
    // Two at once: one rotates, the other is refused; the token is rotated once. GitLab takes
    // half a second to answer, so the second surely comes while the first is under way (answered
    // at once, the first could be done before the second starts, which then rightly rotates the
    // new token).
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET rotating_until = NULL"
    )
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    f.emu.register(provider_emulator::FakeToken {
        delay_ms: 500,
        ..fake(GL, &["write_repository", "read_api"])
    });
    let (a, b) = tokio::join!(
        rotate(&f, f.seed.globex_rt, None),
        rotate(&f, f.seed.globex_rt, None)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let new = f.emu.rotated_into(GL).unwrap();
    assert!(
        !f.emu.is_revoked(&new),
        "the new token was not revoked as leaked"
    );
}

#[tokio::test]
async fn elsewhere_a_new_token_replaces_the_old_one_where_it_was_used() {
    let f = setup().await;
    assert_eq!(
        add_as(&f, &f.dana, f.seed.acme_rt, GOOD).await.0,
        StatusCode::OK
    );
    let (status, body) = rotate(&f, f.seed.acme_rt, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("GitHub cannot rotate a token for you"),
        "{body}"
    );
    // A token the provider refuses changes nothing, and says which runtime refused it.
    let (status, body) = rotate(&f, f.seed.acme_rt, Some(NOSCOPE)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("acme-prod:"), "{body}");
    assert_eq!(
        last4_of(&f.app, f.seed.dana, f.seed.acme_rt)
            .await
            .as_deref(),
        Some("1111")
    );
    let (status, body) = rotate(&f, f.seed.acme_rt, Some(GOOD2)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rotated: Rotated = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (rotated.runtimes.as_slice(), rotated.by),
        (["acme-prod".to_string()].as_slice(), None)
    );
    assert_eq!(
        last4_of(&f.app, f.seed.dana, f.seed.acme_rt)
            .await
            .as_deref(),
        Some("2222")
    );
    // Nothing to rotate where there is no token.
    let (status, _) = rotate(&f, f.seed.globex_rt, Some(GL)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_new_token_must_write_to_the_repository_of_every_runtime_it_goes_to() {
    let f = setup().await;
    // GOOD and GOOD2 belong to octo; a token of another account replaces nothing.
    f.emu.register(provider_emulator::FakeToken {
        login: "mallory".into(),
        ..fake("ghp_otherAccount77777777777777777777777", &["repo"])
    });
    f.emu.register_repo(provider_emulator::FakeRepo {
        path: "acme/config".into(),
        access: [("octo".to_string(), "write".to_string())].into(),
        saml_sso: true,
        fail_status: None,
    });
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET repo = 'acme/config' WHERE id = $1"
    )
    .bind(f.seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    f.emu.register(provider_emulator::FakeToken {
        sso_authorized: true,
        ..fake(GOOD, &["repo"])
    });
    assert_eq!(
        add_as(&f, &f.dana, f.seed.acme_rt, GOOD).await.0,
        StatusCode::OK
    );
    let (status, body) = rotate(
        &f,
        f.seed.acme_rt,
        Some("ghp_otherAccount77777777777777777777777"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("acme-prod:") && body.contains("acme/config"),
        "{body}"
    );
    assert_eq!(
        last4_of(&f.app, f.seed.dana, f.seed.acme_rt)
            .await
            .as_deref(),
        Some("1111")
    );
    // GOOD2 is octo's too, not yet authorized for the organisation's SSO: it goes in, waiting.
    let (status, body) = rotate(&f, f.seed.acme_rt, Some(GOOD2)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = tokens::rows_for_user(&f.app.state.pool, f.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == f.seed.acme_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::NeedsSso);
    assert_eq!(row.token.as_ref().unwrap().last4, "2222");
}
