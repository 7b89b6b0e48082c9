//! Test harness: the real router over a real database — a SQLite file in a temporary folder, or
//! a fresh PostgreSQL database when `GITPAT_TEST_DATABASE_URL` names a server (the test command
//! runs the suite both ways).

use app::model::{ProviderKind, Role};
use app::ssr::{auth, store, AppState};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use server::config::Config;
use tower::ServiceExt;

pub const HOST: &str = "127.0.0.1:3000";
pub const ORIGIN: &str = "http://127.0.0.1:3000";
pub const PASSWORD: &str = "test-password-1";
/// Sign-in attempts per minute and email in tests (per address: six times as many).
pub const LOGIN_PER_MINUTE: u32 = 30;

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

/// Users and accounts every test starts with: dana in Acme (admin) and Globex, olu in Globex.
pub struct Seed {
    pub dana: i64,
    pub olu: i64,
    pub acme: i64,
    pub globex: i64,
    pub acme_rt: i64,
    pub globex_rt: i64,
}

/// The master key of every PostgreSQL test node (each test has a database of its own); on
/// PostgreSQL the key comes from the environment, not a file.
pub const PG_TEST_KEY: &str = "Z2l0cGF0LXRlc3QtbWFzdGVyLWtleS0zMi1ieXRlcyE=";

/// The PostgreSQL server the suite runs on, if it runs on one.
pub fn postgres_server() -> Option<String> {
    std::env::var(app::ssr::db::TEST_DATABASE_URL)
        .ok()
        .filter(|v| !v.is_empty())
}

/// Whether this run is on PostgreSQL; tests about SQLite itself return early when it is, and say so.
pub fn on_postgres() -> bool {
    postgres_server().is_some()
}

/// For a test about SQLite itself: on PostgreSQL it says so and is skipped (returns true).
pub fn sqlite_only(why: &str) -> bool {
    if on_postgres() {
        println!("SQLite only, skipped on PostgreSQL: {why}");
    }
    on_postgres()
}

/// The master key (base64) a test node in `dir` runs with.
pub fn current_key(dir: &std::path::Path) -> String {
    if on_postgres() {
        PG_TEST_KEY.to_string()
    } else {
        std::fs::read_to_string(dir.join("master.key"))
            .unwrap()
            .trim()
            .to_string()
    }
}

/// The database of the test whose files are in `dir`: the SQLite file `dir/file`, or a
/// PostgreSQL database made for this folder on first use (its URL kept in the folder, so every
/// node of the test shares it).
pub fn database_url(dir: &std::path::Path, file: &str) -> String {
    let Some(server) = postgres_server() else {
        return format!("sqlite://{}?mode=rwc", dir.join(file).display());
    };
    let remembered = dir.join(format!("{file}.postgres-url"));
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return url;
    }
    // Made on a thread of its own: this runs inside the test's runtime, which cannot block.
    let url = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(app::ssr::db::fresh_postgres(&server))
    })
    .join()
    .unwrap()
    .expect("a fresh PostgreSQL database for the test");
    std::fs::write(&remembered, &url).unwrap();
    url
}

/// The key settings of a test node: a key file in `dir` on SQLite, the fixed key on PostgreSQL.
pub fn key_setting(dir: &std::path::Path) -> (&'static str, String) {
    if on_postgres() {
        ("GITPAT_MASTER_KEY", PG_TEST_KEY.to_string())
    } else {
        (
            "GITPAT_KEY_FILE",
            dir.join("master.key").display().to_string(),
        )
    }
}

/// The configuration of a test node whose files are in `dir`.
fn config_in(dir: &std::path::Path) -> Config {
    config_with(dir, &[])
}

/// The same, with `extra` settings on top (the master key, say).
pub fn config_with(dir: &std::path::Path, extra: &[(&str, &str)]) -> Config {
    let mut env = vec![
        ("GITPAT_DATABASE_URL", database_url(dir, "test.db")),
        key_setting(dir),
        ("LEPTOS_SITE_ROOT", dir.join("site").display().to_string()),
        // The emulator listens on loopback.
        (
            "GITPAT_ALLOW_PRIVATE_NETWORKS",
            "127.0.0.0/8, ::1".to_string(),
        ),
    ];
    // First match wins: the extra settings go first.
    let env: Vec<(&str, String)> = extra
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .chain(env.drain(..))
        .collect();
    Config::from_lookup(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap()
}

impl TestApp {
    pub async fn new() -> (TestApp, Seed) {
        Self::with_login_limit(LOGIN_PER_MINUTE).await
    }

    pub async fn with_login_limit(login_per_minute: u32) -> (TestApp, Seed) {
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        let state = server::build_state(&config).await.unwrap();
        let store = server::router::session_store(&state).await.unwrap();
        let router = server::router::app(state.clone(), store, false, login_per_minute);
        let pool = &state.pool;
        let hash = auth::hash_password(PASSWORD.into()).await.unwrap();
        let dana = store::create_user(pool, "dana@example.com", "Dana Demo", &hash, false)
            .await
            .unwrap();
        let olu = store::create_user(pool, "olu@example.com", "Olu Ops", &hash, false)
            .await
            .unwrap();
        let acme = store::create_account(pool, "Acme").await.unwrap();
        let globex = store::create_account(pool, "Globex").await.unwrap();
        store::set_membership(pool, dana, acme, Role::Admin)
            .await
            .unwrap();
        store::set_membership(pool, dana, globex, Role::Member)
            .await
            .unwrap();
        store::set_membership(pool, olu, globex, Role::Member)
            .await
            .unwrap();
        let acme_rt = store::create_runtime(
            pool,
            acme,
            "acme-prod",
            ProviderKind::Github,
            "http://127.0.0.1:9/github",
            None,
        )
        .await
        .unwrap();
        let globex_rt = store::create_runtime(
            pool,
            globex,
            "globex-edge",
            ProviderKind::Gitlab,
            "http://127.0.0.1:9/gitlab/api/v4",
            None,
        )
        .await
        .unwrap();
        (
            TestApp { router, state, dir },
            Seed {
                dana,
                olu,
                acme,
                globex,
                acme_rt,
                globex_rt,
            },
        )
    }

    /// A second node on the same database and key, as another replica would be.
    pub async fn another_node(&self) -> AppState {
        server::build_state(&config_in(self.dir.path()))
            .await
            .unwrap()
    }

    /// A second replica behind the same load balancer: its own pools, node name, session store
    /// and router, over the same database and key.
    pub async fn replica(&self) -> Replica {
        let state = self.another_node().await;
        let store = server::router::session_store(&state).await.unwrap();
        let router = server::router::app(state, store, false, LOGIN_PER_MINUTE);
        Replica { router }
    }

    /// Sends one request through the router; a request that hangs fails the test, named.
    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        send_to(&self.router, req).await
    }

    /// Signs in and returns the session cookie (`name=value`).
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self.send(login_request(email, password, "", None)).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login of {email} failed"
        );
        session_cookie(&res).expect("login sets a session cookie")
    }
}

/// Another node of a [`TestApp`] (see [`TestApp::replica`]).
pub struct Replica {
    pub router: Router,
}

impl Replica {
    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        send_to(&self.router, req).await
    }
}

/// One request through `router`; a request that hangs fails the test, named.
pub async fn send_to(router: &Router, req: Request<Body>) -> Response<Body> {
    let what = format!("{} {}", req.method(), req.uri());
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        router.clone().oneshot(req),
    )
    .await
    .unwrap_or_else(|_| panic!("{what} got no answer in 20 s"))
    .unwrap()
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub fn login_request(
    email: &str,
    password: &str,
    next: &str,
    cookie: Option<&str>,
) -> Request<Body> {
    post_form(
        "/login",
        &[("email", email), ("password", password), ("next", next)],
        cookie,
    )
}

pub fn post_form(path: &str, pairs: &[(&str, &str)], cookie: Option<&str>) -> Request<Body> {
    let body = form_body(pairs);
    // As every HTTP client sends it: the body limit answers 413 on this header alone.
    let mut b = Request::post(path)
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path)
        .header(header::HOST, HOST)
        .header(header::ACCEPT, "text/html");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn session_cookie(res: &Response<Body>) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gitpat_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

pub fn set_cookie_header(res: &Response<Body>) -> String {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gitpat_session=") || v.starts_with("__Host-gitpat_session="))
        .unwrap_or_default()
        .to_string()
}

pub fn location(res: &Response<Body>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub async fn body_text(res: Response<Body>) -> String {
    let body = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        res.into_body().collect(),
    )
    .await
    .expect("the response body did not end in 20 s")
    .unwrap();
    String::from_utf8(body.to_bytes().to_vec()).unwrap()
}

/// Calls a server function as the browser's JavaScript does (form-encoded in, JSON out).
pub fn call_fn(name: &str, pairs: &[(&str, &str)], cookie: Option<&str>) -> Request<Body> {
    let mut req = post_form(&format!("/api/{name}"), pairs, cookie);
    req.headers_mut()
        .insert(header::ACCEPT, "application/json".parse().unwrap());
    req
}

/// Calls a server function as a plain HTML form does (no JavaScript): the answer is a redirect.
pub fn post_plain_form(
    name: &str,
    pairs: &[(&str, &str)],
    cookie: &str,
    referer: &str,
) -> Request<Body> {
    let mut req = post_form(&format!("/api/{name}"), pairs, Some(cookie));
    let h = req.headers_mut();
    h.insert(
        header::ACCEPT,
        "text/html,application/xhtml+xml".parse().unwrap(),
    );
    h.insert(
        header::REFERER,
        format!("{ORIGIN}{referer}").parse().unwrap(),
    );
    req
}

pub async fn status_and_body(app: &TestApp, req: Request<Body>) -> (StatusCode, String) {
    let res = app.send(req).await;
    let status = res.status();
    (status, body_text(res).await)
}

/// A test app whose runtimes point at a provider emulator, with both seeded users signed in.
pub struct Fixture {
    pub app: TestApp,
    pub seed: Seed,
    pub emu: provider_emulator::Emulator,
    /// Session cookies.
    pub dana: String,
    pub olu: String,
}

impl Fixture {
    /// The seeded app, an emulator that knows `tokens`, and dana and olu signed in.
    pub async fn with_tokens(tokens: Vec<provider_emulator::FakeToken>) -> Fixture {
        let (app, seed) = TestApp::new().await;
        let emu = with_emulator(&app, &seed, tokens).await;
        let dana = app.login("dana@example.com", PASSWORD).await;
        let olu = app.login("olu@example.com", PASSWORD).await;
        Fixture {
            app,
            seed,
            emu,
            dana,
            olu,
        }
    }
}

/// Starts an emulator with the given tokens and points the seeded runtimes at it.
pub async fn with_emulator(
    app: &TestApp,
    seed: &Seed,
    tokens: Vec<provider_emulator::FakeToken>,
) -> provider_emulator::Emulator {
    let emu = provider_emulator::Emulator::default();
    for t in tokens {
        emu.register(t);
    }
    let addr = emu.spawn("127.0.0.1:0").await.unwrap();
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = $1 WHERE id = $2"
    )
    .bind(format!("http://{addr}/github"))
    .bind(seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET api_url = $1 WHERE id = $2"
    )
    .bind(format!("http://{addr}/gitlab/api/v4"))
    .bind(seed.globex_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    emu
}

pub fn fake(token: &str, scopes: &[&str]) -> provider_emulator::FakeToken {
    provider_emulator::FakeToken {
        token: token.into(),
        login: "octo".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expires_at: Some(chrono::Utc::now() + chrono::Duration::days(30)),
        ..Default::default()
    }
}

/// The Admin area's OAuth app form for an account.
pub fn oauth_app_form(account: &str) -> Vec<(&'static str, String)> {
    vec![
        ("account_id", account.to_string()),
        ("provider", "github".into()),
        ("client_id", "Iv1.client".into()),
        ("client_secret", "very-secret-client-secret".into()),
        (
            "authorize_url",
            "https://github.com/login/oauth/authorize".into(),
        ),
        (
            "token_url",
            "https://github.com/login/oauth/access_token".into(),
        ),
        ("scopes", "repo read:org".into()),
        ("expiry_days", "30".into()),
    ]
}

/// Borrows owned form fields as `call_fn` takes them.
pub fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The account-level admin functions (endpoint, form) aimed at one account.
pub fn account_admin_calls(account: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("admin/save_oauth_app", oauth_app_form(account)),
        (
            "admin/remove_oauth_app",
            vec![
                ("account_id", account.into()),
                ("provider", "github".into()),
            ],
        ),
        (
            "admin/add_runtime",
            vec![
                ("account_id", account.into()),
                ("name", "x".into()),
                ("provider", "github".into()),
                ("api_url", "".into()),
            ],
        ),
        (
            "admin/add_member",
            vec![
                ("account_id", account.into()),
                ("email", "olu@example.com".into()),
                ("role", "admin".into()),
            ],
        ),
        (
            "admin/remove_member",
            vec![
                ("account_id", account.into()),
                ("email", "dana@example.com".into()),
            ],
        ),
    ]
}
