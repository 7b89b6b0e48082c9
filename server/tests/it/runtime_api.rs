//! The runtime credential API through the real router, and the `gitpat credential` helper run by
//! git itself against a real server.

use crate::helpers::*;
use app::ssr::store::Actor;
use app::ssr::{credentials, tokens};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

const TOKEN: &str = "ghp_runtimeApiToken000000000000000000001";

fn read(key: &str, user: &str) -> Request<Body> {
    Request::get(format!(
        "/runtime-api/v1/credential?user={}",
        url::form_urlencoded::byte_serialize(user.as_bytes()).collect::<String>()
    ))
    .header(header::HOST, HOST)
    .header(header::AUTHORIZATION, format!("Bearer {key}"))
    .body(Body::empty())
    .unwrap()
}

/// The app with dana's token on acme-prod, and an API key for each seeded runtime.
struct Keyed {
    app: TestApp,
    seed: Seed,
    /// acme-prod's key.
    key: String,
    globex_key: String,
}

async fn setup() -> Keyed {
    let (app, seed) = TestApp::new().await;
    with_emulator(&app, &seed, vec![fake(TOKEN, &["repo"])]).await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let res = app
        .send(call_fn(
            "add_token",
            &[("runtime_id", &seed.acme_rt.to_string()), ("token", TOKEN)],
            Some(&dana),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let acme_key = credentials::create_key(&app.state.pool, seed.acme_rt, Actor::OPERATOR)
        .await
        .unwrap()
        .expose()
        .to_string();
    let globex_key = credentials::create_key(&app.state.pool, seed.globex_rt, Actor::OPERATOR)
        .await
        .unwrap()
        .expose()
        .to_string();
    Keyed {
        app,
        seed,
        key: acme_key,
        globex_key,
    }
}

#[tokio::test]
async fn the_right_key_reads_the_users_credential_uncached_and_audited() {
    let Keyed { app, seed, key, .. } = setup().await;
    let res = app.send(read(&key, "dana@example.com")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let json: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
    assert_eq!(json["password"], TOKEN);
    assert_eq!(json["username"], "octo");
    assert_eq!(json["provider"], "github");
    assert!(json["expires_at"].is_string());
    let audit: Vec<(Option<i64>, Option<i64>, String)> = sqlx::query_as(
        "SELECT user_id, runtime_id, detail FROM audit_events WHERE action = 'credential.read'",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].0, audit[0].1),
        (Some(seed.dana), Some(seed.acme_rt))
    );
    assert!(!audit[0].2.contains(TOKEN) && !audit[0].2.contains(&key));
}

#[tokio::test]
async fn refusals() {
    let Keyed {
        app,
        seed,
        key,
        globex_key,
        ..
    } = setup().await;
    let status = |req| async { app.send(req).await.status() };
    assert_eq!(
        status(read("gpk_nope_nope", "dana@example.com")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(read("", "dana@example.com")).await,
        StatusCode::UNAUTHORIZED
    );
    // Another runtime's key never reads this runtime's token.
    assert_eq!(
        status(read(&globex_key, "dana@example.com")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(read(&key, "nobody@example.com")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(read(&key, "olu@example.com")).await,
        StatusCode::FORBIDDEN,
        "olu is not in Acme"
    );
    assert_eq!(status(read(&key, "")).await, StatusCode::BAD_REQUEST);

    sqlx::query("UPDATE git_tokens SET status = 'invalid'")
        .execute(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(
        status(read(&key, "dana@example.com")).await,
        StatusCode::CONFLICT
    );
    tokens::delete(&app.state, seed.dana, seed.acme_rt, None)
        .await
        .unwrap();
    assert_eq!(
        status(read(&key, "dana@example.com")).await,
        StatusCode::NOT_FOUND,
        "deleting denies at once"
    );

    let prefix = credentials::list_keys(&app.state.pool, seed.acme_rt)
        .await
        .unwrap()[0]
        .prefix
        .clone();
    assert!(
        credentials::revoke_key(&app.state.pool, seed.acme_rt, &prefix, Actor::OPERATOR)
            .await
            .unwrap()
    );
    assert_eq!(
        status(read(&key, "dana@example.com")).await,
        StatusCode::UNAUTHORIZED,
        "revoked"
    );
}

#[tokio::test]
async fn reads_are_rate_limited_per_key() {
    let Keyed {
        app,
        key,
        globex_key,
        ..
    } = setup().await;
    let mut limited = None;
    for i in 0..server::credential_api::READS_PER_MINUTE + 5 {
        let res = app.send(read(&key, "dana@example.com")).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().contains_key(header::RETRY_AFTER));
            limited = Some(i);
            break;
        }
    }
    assert!(limited.is_some(), "no 429 after the quota");
    assert_ne!(
        app.send(read(&globex_key, "dana@example.com"))
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS,
        "other keys unaffected"
    );
}

#[tokio::test]
async fn git_uses_the_credential_helper() {
    let Keyed {
        app,
        seed,
        key,
        globex_key,
        ..
    } = setup().await;
    sqlx::query("UPDATE runtimes SET api_url = 'https://api.github.com' WHERE id = $1")
        .bind(seed.acme_rt)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let bin = env!("CARGO_BIN_EXE_gitpat");
    let fill = |key: String, host: &'static str| {
        let home = app.dir.path().to_path_buf();
        async move {
            tokio::process::Command::new("git")
                .args([
                    "-c",
                    &format!("credential.helper=!{bin} credential"),
                    "credential",
                    "fill",
                ])
                .env("GITPAT_URL", format!("http://{addr}"))
                .env("GITPAT_RUNTIME_KEY", key)
                .env("GITPAT_USER", "dana@example.com")
                .env("GIT_TERMINAL_PROMPT", "0")
                .env("HOME", home)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map(|mut child| {
                    use tokio::io::AsyncWriteExt;
                    let mut stdin = child.stdin.take().unwrap();
                    tokio::spawn(async move {
                        stdin
                            .write_all(format!("protocol=https\nhost={host}\n\n").as_bytes())
                            .await
                            .unwrap();
                    });
                    child
                })
                .unwrap()
                .wait_with_output()
                .await
                .unwrap()
        }
    };
    let out = fill(key.clone(), "github.com").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("username=octo\n"), "{stdout}");
    assert!(stdout.contains(&format!("password={TOKEN}\n")), "{stdout}");

    let out = fill(key.clone(), "gitlab.com").await;
    assert!(!out.status.success(), "another host gets nothing");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not gitlab.com"));

    let out = fill(globex_key, "github.com").await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no credential for dana@example.com"));

    tokens::delete(&app.state, seed.dana, seed.acme_rt, None)
        .await
        .unwrap();
    let out = fill(key, "github.com").await;
    assert!(
        !out.status.success(),
        "a deleted token denies access at once"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("password="));
}
