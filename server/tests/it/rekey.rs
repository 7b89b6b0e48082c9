//! Key rotation that finishes: secrets sealed under K1, the server moved to K2 (K1 kept as a
//! previous key), `rekey`, and then K2 alone opens every secret and the "same token as …" hint
//! still holds.

use crate::helpers::*;
use app::ssr::crypto::Secret;
use app::ssr::oauth::{self, OAuthAppInput};
use app::ssr::store::Actor;
use app::ssr::{rekey, tokens};
use base64::Engine;

const GOOD: &str = "ghp_rekeyToken1111111111111111111111111111";

#[tokio::test]
async fn after_a_rekey_the_new_key_alone_opens_every_secret() {
    let f = Fixture::with_tokens(vec![fake(GOOD, &["repo"])]).await;
    let dir = f.app.dir.path();
    // Under K1 (the key file): one token on two runtimes, and an OAuth app's client secret.
    let second_rt = app::ssr::store::create_runtime(
        &f.app.state.pool,
        f.seed.acme,
        "acme-two",
        app::model::ProviderKind::Github,
        &app::on_db!(&f.app.state.pool, |e| sqlx::query_scalar::<_, String>(
            "SELECT api_url FROM runtimes WHERE id = $1"
        )
        .bind(f.seed.acme_rt)
        .fetch_one(e)
        .await)
        .unwrap(),
        None,
    )
    .await
    .unwrap();
    for rt in [f.seed.acme_rt, second_rt] {
        let (status, body) = status_and_body(
            &f.app,
            call_fn(
                "add_token",
                &[("runtime_id", &rt.to_string()), ("token", GOOD)],
                Some(&f.dana),
            ),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let settings = OAuthAppInput {
        provider: app::model::ProviderKind::Gitlab,
        client_id: "gl-app".into(),
        client_secret: Secret::new("gl-secret"),
        authorize_url: "http://127.0.0.1:9/gitlab/oauth/authorize".into(),
        token_url: "http://127.0.0.1:9/gitlab/oauth/token".into(),
        scopes: "api".into(),
        expiry_days: None,
    }
    .parse()
    .unwrap();
    oauth::set_app(&f.app.state, f.seed.globex, &settings, Actor::OPERATOR)
        .await
        .unwrap();

    let k1 = current_key(dir);
    let k2 = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    // K2 current, K1 previous: everything still opens; rekey moves it all to K2.
    let both = server::build_state(&config_with(
        dir,
        &[
            ("GITPAT_MASTER_KEY", &k2),
            ("GITPAT_PREVIOUS_KEYS", k1.trim()),
        ],
    ))
    .await
    .unwrap();
    let mut lines = Vec::new();
    let report = rekey::rekey(&both, |l| lines.push(l.to_string()))
        .await
        .unwrap();
    assert_eq!((report.tokens, report.client_secrets), (2, 1), "{lines:?}");
    assert!(!lines.is_empty(), "progress is reported");
    // Resumable: a second run has nothing left to do.
    let again = rekey::rekey(&both, |_| {}).await.unwrap();
    assert_eq!(again, rekey::RekeyReport::default());

    // K2 alone: the server starts (no secret under an unknown key) and opens everything.
    let alone = server::build_state(&config_with(dir, &[("GITPAT_MASTER_KEY", &k2)]))
        .await
        .expect("K1 is no longer needed");
    for rt in [f.seed.acme_rt, second_rt] {
        let token = tokens::reveal(&alone, f.seed.dana, rt)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token.expose(), GOOD);
    }
    let app = oauth::app_for(&alone, f.seed.globex, app::model::ProviderKind::Gitlab)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.secret.expose(), "gl-secret");
    // The fingerprints were recomputed under K2: the hint still pairs the two runtimes.
    let rows = tokens::rows_for_user(&alone.pool, f.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == f.seed.acme_rt)
        .unwrap();
    assert_eq!(row.token.as_ref().unwrap().shared_with, ["acme-two"]);
    let fresh = alone.keys.fingerprint(&Secret::new(GOOD));
    let stored: Vec<String> = app::on_db!(&alone.pool, |e| sqlx::query_scalar(
        "SELECT fingerprint FROM git_tokens"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert!(
        stored.iter().all(|s| *s == fresh),
        "a token added under K2 would match"
    );
}
