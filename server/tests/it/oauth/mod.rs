//! The OAuth2 flow through the real router and the emulator's authorize and token endpoints:
//! success, and each way it must fail without storing anything.

mod flow;
mod pinned;
mod refresh;
mod revoke;

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
    let emu_url = app::on_db!(&app.state.pool, |e| sqlx::query_scalar::<_, String>(
        "SELECT api_url FROM runtimes WHERE id = $1"
    )
    .bind(seed.acme_rt)
    .fetch_one(e)
    .await)
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
    let loc = location(&res);
    reqwest::Url::parse(&loc).unwrap_or_else(|e| panic!("{e}: {loc}"))
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
    app::on_db!(&env.app.state.pool, |e| sqlx::query_as(
        "SELECT runtime_id, method FROM git_tokens"
    )
    .fetch_all(e)
    .await)
    .unwrap()
}
