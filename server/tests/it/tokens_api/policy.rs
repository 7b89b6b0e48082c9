//! An account's token policy: set by its admins only, stated in the Add Token drawer before
//! anything is pasted, and enforced when a token is added (a lifetime limit refuses tokens
//! without an expiry or expiring later; OAuth only refuses pasted tokens where an OAuth app is
//! set up). A refusal stores nothing.

use super::*;
use app::ssr::oauth::{self, OAuthAppInput};
use app::ssr::store::Actor;

const NEVER: &str = "ghp_policyNeverExpires000000000000000001";
const LATE: &str = "ghp_policyExpiresLate0000000000000000002";
const SOON: &str = "ghp_policyExpiresSoon0000000000000000003";

fn expiring(token: &str, days: i64) -> provider_emulator::FakeToken {
    provider_emulator::FakeToken {
        expires_at: Some(Utc::now() + Duration::days(days)),
        ..fake(token, &["repo"])
    }
}

async fn set_policy(
    f: &Fixture,
    who: &str,
    account: i64,
    days: &str,
    oauth_only: bool,
) -> (StatusCode, String) {
    let account = account.to_string();
    let mut pairs = vec![("account_id", account.as_str()), ("max_token_days", days)];
    if oauth_only {
        pairs.push(("oauth_only", "on"));
    }
    status_and_body(&f.app, call_fn("admin/set_policy", &pairs, Some(who))).await
}

async fn add(f: &Fixture, token: &str) -> (StatusCode, String) {
    status_and_body(
        &f.app,
        call_fn(
            "add_token",
            &[
                ("runtime_id", &f.seed.acme_rt.to_string()),
                ("token", token),
            ],
            Some(&f.dana),
        ),
    )
    .await
}

#[tokio::test]
async fn a_lifetime_limit_refuses_tokens_without_expiry_or_expiring_later() {
    let never = provider_emulator::FakeToken {
        expires_at: None,
        ..fake(NEVER, &["repo"])
    };
    let f = Fixture::with_tokens(vec![never, expiring(LATE, 40), expiring(SOON, 20)]).await;
    let (status, body) = set_policy(&f, &f.dana, f.seed.acme, "30", false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = app::ssr::store::policy(&f.app.state.pool, f.seed.acme)
        .await
        .unwrap();
    assert_eq!(p.max_token_days, Some(30), "{body}");

    let (status, body) = add(&f, NEVER).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("never expires") && body.contains("within 30 days"),
        "{body}"
    );
    let (status, body) = add(&f, LATE).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("later than the 30 days"), "{body}");
    assert_eq!(token_count(&f.app).await, 0, "refusals store nothing");
    assert!(!body.contains(LATE));
    let (status, body) = add(&f, SOON).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The drawer says so before anything is pasted.
    let drawer = body_text(
        f.app
            .send(get(
                &format!("/git-personal-access-tokens/{}/add", f.seed.acme_rt),
                Some(&f.dana),
            ))
            .await,
    )
    .await;
    assert!(
        drawer.contains("allows tokens that expire within 30 days"),
        "{drawer}"
    );

    // Without a limit, a token that never expires is fine again.
    assert_eq!(
        set_policy(&f, &f.dana, f.seed.acme, "", false).await.0,
        StatusCode::OK
    );
    assert_eq!(add(&f, NEVER).await.0, StatusCode::OK);
    let audit: Vec<String> = app::on_db!(&f.app.state.pool, |e| sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'admin.policy.set' ORDER BY id"
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(
        audit,
        [
            "max_token_days=30 oauth_only=false",
            "max_token_days=none oauth_only=false"
        ]
    );
}

#[tokio::test]
async fn only_admins_set_a_policy_and_bad_values_change_nothing() {
    let f = setup().await;
    // olu is a member of Globex, not an admin; dana is a member there too.
    for who in [&f.olu, &f.dana] {
        let (status, _) = set_policy(&f, who, f.seed.globex, "30", true).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    for bad in ["0", "abc", "-3", "100000"] {
        let (status, body) = set_policy(&f, &f.dana, f.seed.acme, bad, true).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(body.contains("Maximum token lifetime"), "{body}");
    }
    for account in [f.seed.acme, f.seed.globex] {
        let p = app::ssr::store::policy(&f.app.state.pool, account)
            .await
            .unwrap();
        assert_eq!(p, app::model::TokenPolicy::default());
    }
}

#[tokio::test]
async fn oauth_only_closes_the_pat_path_where_an_oauth_app_exists() {
    let f = setup().await;
    assert_eq!(
        set_policy(&f, &f.dana, f.seed.acme, "", true).await.0,
        StatusCode::OK
    );
    // No OAuth app for GitHub in Acme yet: pasting is the only way, so it stays open.
    assert_eq!(add(&f, GOOD).await.0, StatusCode::OK);

    let settings = OAuthAppInput {
        provider: app::model::ProviderKind::Github,
        client_id: "gh-app".into(),
        client_secret: crypto::Secret::new("gh-secret".to_string()),
        authorize_url: "https://github.com/login/oauth/authorize".into(),
        token_url: "https://github.com/login/oauth/access_token".into(),
        scopes: "repo".into(),
        expiry_days: None,
    }
    .parse()
    .unwrap();
    oauth::set_app(&f.app.state, f.seed.acme, &settings, Actor::OPERATOR)
        .await
        .unwrap();
    let (status, body) = add(&f, GOOD2).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("allows OAuth2 only for acme-prod"), "{body}");
    assert_eq!(
        last4_of(&f.app, f.seed.dana, f.seed.acme_rt)
            .await
            .as_deref(),
        Some("1111")
    );
    let drawer = body_text(
        f.app
            .send(get(
                &format!("/git-personal-access-tokens/{}/add", f.seed.acme_rt),
                Some(&f.dana),
            ))
            .await,
    )
    .await;
    assert!(
        drawer.contains("allows OAuth2 only for this runtime"),
        "{drawer}"
    );
    assert!(drawer.contains("Authorize Access to GitHub"));
    assert!(
        !drawer.contains("name=\"token\""),
        "the PAT field is not offered"
    );
    // Globex has no such rule.
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
}
