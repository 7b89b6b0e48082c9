//! The runtime credential API through the real router, and the `gitpat credential` helper run by
//! git itself against a real server.

use crate::helpers::*;
use app::ssr::store::Actor;
use app::ssr::{credentials, tokens};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

const TOKEN: &str = "ghp_runtimeApiToken000000000000000000001";
const OTHER_TOKEN: &str = "ghp_runtimeApiToken000000000000000000002";

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
    with_emulator(
        &app,
        &seed,
        vec![fake(TOKEN, &["repo"]), fake(OTHER_TOKEN, &["repo"])],
    )
    .await;
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
    let audit: Vec<(Option<i64>, Option<i64>, String)> =
        app::on_db!(&app.state.pool, |e| sqlx::query_as(
            "SELECT user_id, runtime_id, detail FROM audit_events WHERE action = 'credential.read'",
        )
        .fetch_all(e)
        .await)
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].0, audit[0].1),
        (Some(seed.dana), Some(seed.acme_rt))
    );
    assert!(!audit[0].2.contains(TOKEN) && !audit[0].2.contains(&key));
}

#[tokio::test]
async fn a_read_stamps_the_token_and_the_page_and_admin_area_say_when() {
    let Keyed { app, seed, key, .. } = setup().await;
    let dana = app.login("dana@example.com", PASSWORD).await;
    let row = |app: &TestApp| {
        let pool = app.state.pool.clone();
        async move {
            tokens::rows_for_user(&pool, seed.dana)
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.runtime.id == seed.acme_rt)
                .and_then(|r| r.token)
                .unwrap()
        }
    };
    // The row's "Used …" line, as the page renders it.
    let page = || async {
        let html = body_text(
            app.send(get("/git-personal-access-tokens", Some(&dana)))
                .await,
        )
        .await;
        let cell = html.find("last-used\"").expect("a Used line");
        let end = html[cell..].find("</td>").unwrap();
        html[cell..cell + end].to_string()
    };
    let admin = || async { body_text(app.send(get("/admin", Some(&dana))).await).await };

    let fresh = row(&app).await;
    assert_eq!((fresh.last_used_at, fresh.unused), (None, false));
    assert!(page().await.contains("Not used yet"));
    assert!(admin().await.contains("token in the last 30 days."));

    assert_eq!(
        app.send(read(&key, "dana@example.com")).await.status(),
        StatusCode::OK
    );
    let used = row(&app).await.last_used_at.expect("the read is stamped");
    assert!((chrono::Utc::now() - used).num_seconds() < 60);
    let today = app::model::when::date(used);
    let cell = page().await;
    assert!(cell.contains(&format!(">{today}<")), "{cell}");
    assert!(admin().await.contains(&format!(
        "tokens read in the last 30 days: dana@example.com ({today})"
    )));

    // Ninety days without a read: flagged on the row; the next read clears the flag.
    let long_ago = chrono::Utc::now() - chrono::Duration::days(91);
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET last_used_at = $1, token_since = $1"
    )
    .bind(long_ago)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    assert!(row(&app).await.unused);
    assert!(page().await.contains("Unused for 90 days"));
    assert!(admin().await.contains("token in the last 30 days."));
    assert_eq!(
        app.send(read(&key, "dana@example.com")).await.status(),
        StatusCode::OK
    );
    assert!(!row(&app).await.unused);

    // The same token pasted again keeps its history; another token starts unused.
    let add = |token: &'static str| {
        call_fn(
            "add_token",
            &[("runtime_id", &seed.acme_rt.to_string()), ("token", token)],
            Some(&dana),
        )
    };
    assert_eq!(app.send(add(TOKEN)).await.status(), StatusCode::OK);
    assert!(row(&app).await.last_used_at.is_some());
    assert_eq!(app.send(add(OTHER_TOKEN)).await.status(), StatusCode::OK);
    let replaced = row(&app).await;
    assert_eq!((replaced.last_used_at, replaced.unused), (None, false));
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

    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET status = 'invalid'"
    )
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
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
    // Twice the quota: a cell comes back every 500 ms, so a slow run still meets the limit.
    for i in 0..2 * server::credential_api::READS_PER_MINUTE {
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
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = 'https://api.github.com' WHERE id = $1"
    )
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
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

/// Runs `gitpat credential get` in `dir` with git's request on stdin; only the given settings
/// in the environment, and a home of `dir`'s with no git config of the user's.
fn helper(dir: &std::path::Path, env: &[(&str, &str)], request: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gitpat"))
        .args(["credential", "get"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn the_helper_answers_https_only_and_never_reads_a_repositorys_config() {
    let Keyed { app, seed, key, .. } = setup().await;
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = 'https://api.github.com' WHERE id = $1"
    )
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        let with_peer = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, with_peer).await.unwrap()
    });
    let url = format!("http://{addr}");
    let dir = tempfile::tempdir().unwrap();
    let settings = [
        ("GITPAT_URL", url.as_str()),
        ("GITPAT_RUNTIME_KEY", key.as_str()),
        ("GITPAT_USER", "dana@example.com"),
    ];
    let stderr = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let ok = tokio::task::spawn_blocking({
        let (dir, settings) = (
            dir.path().to_path_buf(),
            settings.map(|(k, v)| (k, v.to_string())),
        );
        move || {
            let env: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let https = helper(&dir, &env, "protocol=https\nhost=github.com\n\n");
            let http = helper(&dir, &env, "protocol=http\nhost=github.com\n\n");
            let ssh = helper(&dir, &env, "protocol=ssh\nhost=github.com\n\n");
            let mut crlf = env.clone();
            crlf[2] = ("GITPAT_USER", "dana@example.com\rolu@example.com");
            let injected = helper(&dir, &crlf, "protocol=https\nhost=github.com\n\n");
            (https, http, ssh, injected)
        }
    })
    .await
    .unwrap();
    let (https, http, ssh, injected) = ok;
    assert!(https.status.success(), "{}", stderr(&https));
    assert!(String::from_utf8_lossy(&https.stdout).contains(&format!("password={TOKEN}")));
    assert!(
        !http.status.success() && stderr(&http).contains("not http"),
        "{}",
        stderr(&http)
    );
    assert!(
        !ssh.status.success() && stderr(&ssh).contains("https"),
        "{}",
        stderr(&ssh)
    );
    assert!(!injected.status.success() && stderr(&injected).contains("line break"));
    for o in [&http, &ssh, &injected] {
        assert!(!String::from_utf8_lossy(&o.stdout).contains("password="));
    }

    // A cloned repository's own config naming another server (and a key) is ignored.
    let repo = dir.path().join("cloned");
    std::fs::create_dir(&repo).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("HOME", dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "gitpat.url", "http://evil.invalid"]);
    git(&["config", "gitpat.runtimeKey", key.as_str()]);
    git(&["config", "gitpat.user", "dana@example.com"]);
    let out = tokio::task::spawn_blocking(move || {
        helper(&repo, &[], "protocol=https\nhost=github.com\n\n")
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("set GITPAT_URL"), "{}", stderr(&out));
    // The reads that reached gitpat (https, and http, whose answer the helper then refused to
    // pass on) were audited with the caller's address.
    let addrs: Vec<Option<String>> = app::on_db!(&app.state.pool, |e| sqlx::query_scalar(
        "SELECT client_addr FROM audit_events WHERE action = 'credential.read' AND detail LIKE '%outcome=ok%'",
    )
    .fetch_all(e)
    .await)
    .unwrap();
    assert_eq!(
        addrs,
        [Some("127.0.0.1".to_string()), Some("127.0.0.1".to_string())]
    );
}
