//! The OAuth2 flow through the real router and the emulator's authorize and token endpoints:
//! success, and each way it must fail without storing anything.

use crate::helpers::*;
use app::model::ProviderKind;
use app::ssr::crypto::Secret;
use app::ssr::oauth::{self, OAuthAppInput};
use app::ssr::store::Actor;
use app::ssr::tokens;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use provider_emulator::{Emulator, OAuthClient};

struct Env {
    app: TestApp,
    seed: Seed,
    emu: Emulator,
    emu_url: String,
    dana: String,
}

async fn setup(scopes: &str, lifetime: Option<i64>) -> Env {
    let (app, seed) = TestApp::new().await;
    let emu = with_emulator(&app, &seed, vec![]).await;
    let emu_url = sqlx::query_scalar::<_, String>("SELECT api_url FROM runtimes WHERE id = $1")
        .bind(seed.acme_rt)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
        .trim_end_matches("/github")
        .to_string();
    for (kind, id, authorize, token) in [
        (
            ProviderKind::Github,
            "gh-app",
            "/github-web/login/oauth/authorize",
            "/github-web/login/oauth/access_token",
        ),
        (
            ProviderKind::Gitlab,
            "gl-app",
            "/gitlab/oauth/authorize",
            "/gitlab/oauth/token",
        ),
    ] {
        emu.register_client(OAuthClient {
            client_id: id.into(),
            client_secret: format!("{id}-secret"),
            login: "octo".into(),
            token_lifetime_secs: if kind == ProviderKind::Gitlab {
                lifetime
            } else {
                None
            },
        });
        let account = if kind == ProviderKind::Github {
            seed.acme
        } else {
            seed.globex
        };
        let scopes = if kind == ProviderKind::Github {
            scopes
        } else {
            "write_repository read_api"
        };
        let settings = OAuthAppInput {
            provider: kind,
            client_id: id.into(),
            client_secret: Secret::new(format!("{id}-secret")),
            authorize_url: format!("{emu_url}{authorize}"),
            token_url: format!("{emu_url}{token}"),
            scopes: scopes.into(),
            expiry_days: None,
        }
        .parse()
        .unwrap();
        oauth::set_app(&app.state, account, &settings, Actor::OPERATOR)
            .await
            .unwrap();
    }
    let dana = app.login("dana@example.com", PASSWORD).await;
    Env {
        app,
        seed,
        emu,
        emu_url,
        dana,
    }
}

/// Starts a flow and returns the provider URL the user is sent to.
async fn start(env: &Env, cookie: &str, runtime: i64) -> reqwest::Url {
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &runtime.to_string())],
            Some(cookie),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    reqwest::Url::parse(&location(&res)).unwrap()
}

/// The user's choice on the emulator's consent page; returns our callback URL (path + query).
async fn decide(authorize: &reqwest::Url, decision: &str) -> String {
    let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    form.push(("decision".into(), decision.into()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut target = authorize.clone();
    target.set_query(None);
    let res = http.post(target).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let back = reqwest::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(back.path(), "/oauth/callback");
    format!("{}?{}", back.path(), back.query().unwrap())
}

async fn callback(env: &Env, cookie: &str, path: &str) -> String {
    let res = env.app.send(get(path, Some(cookie))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        "/git-personal-access-tokens",
        "always back to the page, never elsewhere"
    );
    body_text(
        env.app
            .send(get("/git-personal-access-tokens", Some(cookie)))
            .await,
    )
    .await
}

async fn stored(env: &Env) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT runtime_id, method FROM git_tokens")
        .fetch_all(&env.app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn authorize_stores_a_validated_oauth_token() {
    let env = setup("repo read:org", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    assert!(url
        .as_str()
        .starts_with(&format!("{}/github-web/login/oauth/authorize", env.emu_url)));
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "gh-app");
    assert_eq!(
        q["redirect_uri"], "http://127.0.0.1:3000/oauth/callback",
        "from GITPAT_PUBLIC_URL, not the request"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["state"].len() >= 16);
    assert_eq!(q["scope"], "repo read:org");

    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("Access to acme-prod authorized with GitHub."),
        "{page}"
    );
    assert_eq!(
        stored(&env).await,
        [(env.seed.acme_rt, "oauth".to_string())]
    );
    let rows = tokens::rows_for_user(&env.app.state.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.acme_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::Valid);
    assert_eq!(
        row.token.as_ref().unwrap().provider_login.as_deref(),
        Some("octo")
    );
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE action LIKE 'token.%'")
            .fetch_all(&env.app.state.pool)
            .await
            .unwrap();
    assert_eq!(audit, ["token.oauth"]);

    // The same callback again: single use.
    sqlx::query("DELETE FROM git_tokens")
        .execute(&env.app.state.pool)
        .await
        .unwrap();
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("could not be completed"), "{page}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn cancel_at_the_provider_stores_nothing() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "cancel").await;
    assert!(back.contains("error=access_denied"));
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("Authorization was cancelled at GitHub. No token was stored."),
        "{page}"
    );
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_ends_the_flow() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let forged = back.replace("state=", "state=x");
    let page = callback(&env, &env.dana, &forged).await;
    assert!(page.contains("could not be completed"), "{page}");
    // The genuine state no longer works either: the flow was used up.
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("could not be completed"));
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn a_flow_of_another_session_is_refused() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let other = env.app.login("dana@example.com", PASSWORD).await;
    let page = callback(&env, &other, &back).await;
    assert!(page.contains("could not be completed"), "{page}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn an_expired_flow_is_refused() {
    use std::sync::Arc;
    let env = setup("repo", None).await;
    let session =
        tower_sessions::Session::new(None, Arc::new(tower_sessions::MemoryStore::default()), None);
    let url = oauth::start(&env.app.state, &session, env.seed.dana, env.seed.acme_rt)
        .await
        .unwrap();
    let back = decide(&reqwest::Url::parse(&url).unwrap(), "authorize").await;
    let query: oauth::CallbackQuery =
        serde_urlencoded::from_str(back.split_once('?').unwrap().1).unwrap();
    let later = Utc::now() + Duration::seconds(oauth::FLOW_TTL_SECS + 5);
    let err = oauth::callback(&env.app.state, &session, env.seed.dana, query, None, later)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("took too long"), "{err}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn a_token_lacking_scopes_is_not_stored() {
    let env = setup("read:user", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("missing required scopes: repo"), "{page}");
    assert!(stored(&env).await.is_empty());
}

#[tokio::test]
async fn starting_is_refused_for_runtimes_outside_the_users_accounts_or_without_an_app() {
    let env = setup("repo", None).await;
    let olu = env.app.login("olu@example.com", PASSWORD).await;
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &env.seed.acme_rt.to_string())],
            Some(&olu),
        ))
        .await;
    assert_eq!(
        location(&res),
        "/git-personal-access-tokens",
        "no trip to the provider"
    );
    let page = body_text(
        env.app
            .send(get("/git-personal-access-tokens", Some(&olu)))
            .await,
    )
    .await;
    assert!(page.contains("not a member"), "{page}");
    oauth::remove_app(
        &env.app.state.pool,
        env.seed.acme,
        ProviderKind::Github,
        Actor::OPERATOR,
    )
    .await
    .unwrap();
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &env.seed.acme_rt.to_string())],
            Some(&env.dana),
        ))
        .await;
    assert_eq!(location(&res), "/git-personal-access-tokens");
    let res = env
        .app
        .send(post_form(
            "/oauth/start",
            &[("runtime_id", &env.seed.acme_rt.to_string())],
            None,
        ))
        .await;
    assert_eq!(location(&res), "/login");
}

#[tokio::test]
async fn the_callback_never_redirects_elsewhere_and_needs_a_session() {
    let env = setup("repo", None).await;
    let page = callback(&env, &env.dana, "/oauth/callback?code=x&state=y&next=https://evil.example/&redirect_uri=https://evil.example/").await;
    assert!(page.contains("could not be completed"));
    let res = env
        .app
        .send(get("/oauth/callback?code=x&state=y", None))
        .await;
    assert!(
        location(&res).starts_with("/login?next="),
        "{}",
        location(&res)
    );
}

#[tokio::test]
async fn gitlab_tokens_are_refreshed_and_a_refused_refresh_turns_invalid() {
    let env = setup("repo", Some(3600)).await;
    let url = start(&env, &env.dana, env.seed.globex_rt).await;
    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("authorized with GitLab"), "{page}");
    let before: (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT ciphertext, refresh_ciphertext FROM git_tokens")
            .fetch_one(&env.app.state.pool)
            .await
            .unwrap();
    let st = &env.app.state;
    // Not due yet.
    let r = oauth::refresh_due(st, Utc::now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(r.refreshed, 0);
    // Due: refreshed, both tokens rotated, still valid.
    let r = oauth::refresh_due(st, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!((r.refreshed, r.failed), (1, 0));
    let after: (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT ciphertext, refresh_ciphertext FROM git_tokens")
            .fetch_one(&st.pool)
            .await
            .unwrap();
    assert_ne!(after.0, before.0);
    assert_ne!(after.1, before.1);
    let rows = tokens::rows_for_user(&st.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(
        row.status,
        app::model::TokenStatus::Valid,
        "renewed automatically, so not 'expiring'"
    );
    let revealed = tokens::reveal(st, env.seed.dana, env.seed.globex_rt)
        .await
        .unwrap()
        .unwrap();
    assert!(revealed.expose().starts_with("glo-"));

    // The provider refuses (the app's secret was rotated there): invalid, with the reason.
    env.emu.register_client(OAuthClient {
        client_id: "gl-app".into(),
        client_secret: "rotated".into(),
        login: "octo".into(),
        token_lifetime_secs: Some(3600),
    });
    let r = oauth::refresh_due(st, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(r.failed, 1);
    let rows = tokens::rows_for_user(&st.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::Invalid);
    assert!(row
        .token
        .as_ref()
        .unwrap()
        .last_error
        .as_deref()
        .unwrap()
        .contains("could not be refreshed"));
    assert!(row.notifies());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_refreshing_at_once_spend_the_refresh_token_once() {
    let env = setup("repo", Some(3600)).await;
    let url = start(&env, &env.dana, env.seed.globex_rt).await;
    let back = decide(&url, "authorize").await;
    callback(&env, &env.dana, &back).await;
    let node_a = env.app.state.clone();
    let node_b = env.app.another_node().await;
    let horizon = Utc::now() + Duration::hours(2);
    let (a, b) = tokio::join!(
        oauth::refresh_due(&node_a, horizon),
        oauth::refresh_due(&node_b, horizon)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.refreshed + b.refreshed, 1, "{a:?} {b:?}");
    assert_eq!(
        a.failed + b.failed,
        0,
        "a second use would have been refused: {a:?} {b:?}"
    );
    let uses = env.emu.refresh_uses();
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert!(
        uses.values().all(|&n| n == 1),
        "a refresh token was presented twice: {uses:?}"
    );
    let rows = tokens::rows_for_user(&node_b.pool, env.seed.dana)
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|r| r.runtime.id == env.seed.globex_rt)
        .unwrap();
    assert_eq!(row.status, app::model::TokenStatus::Valid);
}

/// Sets Acme's GitHub app again, as an admin editing it would (its version changes).
async fn change_github_app(env: &Env, client_id: &str) {
    let settings = OAuthAppInput {
        provider: ProviderKind::Github,
        client_id: client_id.into(),
        client_secret: Secret::new(format!("{client_id}-secret")),
        authorize_url: format!("{}/github-web/login/oauth/authorize", env.emu_url),
        token_url: format!("{}/github-web/login/oauth/access_token", env.emu_url),
        scopes: "repo".into(),
        expiry_days: None,
    }
    .parse()
    .unwrap();
    oauth::set_app(&env.app.state, env.seed.acme, &settings, Actor::OPERATOR)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_flow_ends_when_its_oauth_app_changes_or_is_replaced_meanwhile() {
    let env = setup("repo", None).await;
    let tokens_stored = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM git_tokens")
            .fetch_one(&env.app.state.pool)
            .await
            .unwrap()
    };
    // Changed (even to the same client) between the start and the callback.
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    change_github_app(&env, "gh-app").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("was changed while you were authorizing"),
        "{page}"
    );
    assert_eq!(tokens_stored().await, 0);
    // Removed and set up again: another app, though its settings look alike.
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    oauth::remove_app(
        &env.app.state.pool,
        env.seed.acme,
        ProviderKind::Github,
        Actor::OPERATOR,
    )
    .await
    .unwrap();
    change_github_app(&env, "gh-app").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(
        page.contains("was changed while you were authorizing"),
        "{page}"
    );
    assert_eq!(tokens_stored().await, 0);
    // Left alone, the flow finishes.
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let back = decide(&url, "authorize").await;
    let page = callback(&env, &env.dana, &back).await;
    assert!(page.contains("authorized with GitHub"), "{page}");
    assert_eq!(tokens_stored().await, 1);
}

#[tokio::test]
async fn a_providers_error_text_is_shown_clean_and_short() {
    let env = setup("repo", None).await;
    let url = start(&env, &env.dana, env.seed.acme_rt).await;
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // Whatever comes back in `error` is the provider's (or whoever crafted the link's) text.
    let error = format!("bad%0D%0ALocation:%20x{}", "y".repeat(500));
    let page = callback(
        &env,
        &env.dana,
        &format!("/oauth/callback?state={state}&error={error}"),
    )
    .await;
    let notice = page
        .split("did not authorize access (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("{page}"));
    assert!(
        !notice.contains('\r') && !notice.contains('\n'),
        "{notice:?}"
    );
    assert!(notice.starts_with("badLocation: x"), "{notice:?}");
    assert!(notice.chars().count() <= 201, "{}", notice.len());
    assert!(stored(&env).await.is_empty());
}
