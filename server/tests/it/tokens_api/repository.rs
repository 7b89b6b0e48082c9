//! A runtime that names its repository takes only tokens that can write to it, at every
//! provider, on add and in re-validation; GitHub's SAML single sign-on gate keeps a token with
//! its link ("Needs SSO authorization") instead of marking it invalid, until the user has
//! authorized it and checks again.

use super::*;
use app::model::{ProviderKind, TokenRow, TokenStatus};
use app::ssr::store;
use provider_emulator::{FakeRepo, FakeToken};
use std::collections::HashMap;

const READER: &str = "ghp_readerToken5555555555555555555555555";
const STRANGER: &str = "ghp_strangerToken666666666666666666666666";

fn repo(path: &str, access: &[(&str, &str)], saml_sso: bool) -> FakeRepo {
    FakeRepo {
        path: path.into(),
        access: access
            .iter()
            .map(|(l, a)| (l.to_string(), a.to_string()))
            .collect::<HashMap<_, _>>(),
        saml_sso,
        fail_status: None,
    }
}

fn as_login(token: &str, login: &str, scopes: &[&str]) -> FakeToken {
    FakeToken {
        login: login.into(),
        ..fake(token, scopes)
    }
}

async fn set_repo(app: &TestApp, rt: i64, repo: &str) {
    app::on_db!(&app.state.pool, |e| sqlx::query(
        "UPDATE runtimes SET repo = $1 WHERE id = $2"
    )
    .bind(repo)
    .bind(rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

/// The emulator's base URL, from the runtime the fixture pointed at it.
async fn emulator_base(f: &Fixture) -> String {
    let url: String = app::on_db!(&f.app.state.pool, |e| sqlx::query_scalar(
        "SELECT api_url FROM runtimes WHERE id = $1"
    )
    .bind(f.seed.acme_rt)
    .fetch_one(e)
    .await)
    .unwrap();
    url.trim_end_matches("/github").to_string()
}

async fn row(f: &Fixture, rt: i64) -> TokenRow {
    tokens::rows_for_user(&f.app.state.pool, f.seed.dana)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.runtime.id == rt)
        .unwrap()
}

async fn github_fixture(saml_sso: bool) -> Fixture {
    let f = Fixture::with_tokens(vec![
        fake(GOOD, &["repo"]),
        as_login(READER, "reader", &["repo"]),
        as_login(STRANGER, "stranger", &["repo"]),
    ])
    .await;
    f.emu.register_repo(repo(
        "acme/config",
        &[("octo", "write"), ("reader", "read")],
        saml_sso,
    ));
    set_repo(&f.app, f.seed.acme_rt, "acme/config").await;
    f
}

#[tokio::test]
async fn a_runtime_with_a_repository_takes_only_tokens_that_can_write_to_it() {
    let f = github_fixture(false).await;
    let rt = f.seed.acme_rt;
    let (status, body) = add(&f.app, &f.dana, rt, READER).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("cannot write to the runtime's repository acme/config")
            && body.contains("may only read it"),
        "{body}"
    );
    let (status, body) = add(&f.app, &f.dana, rt, STRANGER).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("acme/config") && body.contains("does not exist, or the token cannot see it"),
        "{body}"
    );
    assert!(!body.contains(STRANGER), "errors never carry the token");
    assert_eq!(token_count(&f.app).await, 0, "refusals store nothing");

    let (status, body) = add(&f.app, &f.dana, rt, GOOD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = row(&f, rt).await;
    assert_eq!(r.status, TokenStatus::Valid);
    assert_eq!(r.runtime.repo.as_deref(), Some("acme/config"));
    // The page names the repository beside the runtime.
    let page = token_page(&f.app, &f.dana).await;
    assert!(page.contains("acme/config"), "the row shows the repository");

    // Write access taken away: the next re-validation says so, naming the repository.
    f.emu
        .register_repo(repo("acme/config", &[("octo", "read")], false));
    let report = tokens::revalidate_due(&f.app.state, Utc::now() + Duration::seconds(1), 4)
        .await
        .unwrap();
    assert_eq!(report.invalid, 1, "{report:?}");
    let r = row(&f, rt).await;
    assert_eq!(r.status, TokenStatus::Invalid);
    let error = r.token.unwrap().last_error.unwrap();
    assert!(error.contains("acme/config"), "{error}");
}

#[tokio::test]
async fn github_sso_keeps_the_token_with_its_link_until_it_is_authorized() {
    let f = github_fixture(true).await;
    let rt = f.seed.acme_rt;
    let (status, body) = add(&f.app, &f.dana, rt, GOOD).await;
    assert_eq!(status, StatusCode::OK, "kept, not refused: {body}");
    let (name, shown): (String, TokenStatus) = serde_json::from_str(&body).unwrap();
    assert_eq!((name.as_str(), shown), ("acme-prod", TokenStatus::NeedsSso));
    assert_eq!(
        app::model::notice::token_added(&(name, shown)),
        "Token added to acme-prod. GitHub asks you to authorize it for single sign-on: Authorize for SSO on its row."
    );
    let r = row(&f, rt).await;
    assert_eq!(r.status, TokenStatus::NeedsSso);
    assert!(r.notifies(), "the bell counts it");
    let link = r.token.unwrap().sso_url.expect("the row has GitHub's link");
    let base = emulator_base(&f).await;
    assert!(
        link.starts_with(&format!(
            "{base}/github-web/orgs/acme/sso?authorization_request="
        )),
        "{link}"
    );
    let page = token_page(&f.app, &f.dana).await;
    assert!(
        page.contains("Needs SSO authorization") && page.contains(&format!("href=\"{link}\"")),
        "the row links to GitHub's page"
    );
    // Its drawer (its own URL: it works without JavaScript) holds GitHub's link and Check again.
    let drawer = body_text(
        f.app
            .send(get(
                &format!("/git-personal-access-tokens/{rt}/sso"),
                Some(&f.dana),
            ))
            .await,
    )
    .await;
    assert!(
        drawer.contains(&format!("href=\"{link}\"")) && drawer.contains("Check again"),
        "{drawer}"
    );

    // Re-validation keeps it waiting: not invalid, the link still there.
    let report = tokens::revalidate_due(&f.app.state, Utc::now() + Duration::seconds(1), 4)
        .await
        .unwrap();
    assert_eq!((report.valid, report.invalid), (1, 0), "{report:?}");
    let r = row(&f, rt).await;
    assert_eq!(r.status, TokenStatus::NeedsSso);
    let link = r.token.unwrap().sso_url.unwrap();
    // The runtime still gets it: it works wherever SSO is not enforced, and at once when it is
    // authorized.
    let credential = app::ssr::credentials::credential_for(&f.app.state, rt, "dana@example.com")
        .await
        .unwrap()
        .expect("handed out");
    assert_eq!(credential.password, GOOD);
    assert!(!f.emu.sso_authorized(GOOD));

    // The user follows the link and authorizes the token at GitHub (real HTTP).
    let http = reqwest::Client::new();
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let request = link.split("authorization_request=").nth(1).unwrap();
    let done = http
        .post(link.split('?').next().unwrap())
        .form(&[("authorization_request", request)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(f.emu.sso_authorized(GOOD));

    // Check again: valid, the link gone.
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "check_token",
            &[("runtime_id", &rt.to_string())],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (name, shown): (String, TokenStatus) = serde_json::from_str(&body).unwrap();
    assert_eq!((name.as_str(), shown), ("acme-prod", TokenStatus::Valid));
    let r = row(&f, rt).await;
    assert_eq!(r.status, TokenStatus::Valid);
    assert!(!r.notifies());
    assert_eq!(r.token.unwrap().sso_url, None);
}

#[tokio::test]
async fn check_again_is_for_the_callers_own_token_only() {
    let f = github_fixture(true).await;
    let rt = f.seed.acme_rt;
    let (status, _) = add(&f.app, &f.dana, rt, GOOD).await;
    assert_eq!(status, StatusCode::OK);
    // Olu is no member of Acme: the runtime does not exist for him.
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "check_token",
            &[("runtime_id", &rt.to_string())],
            Some(&f.olu),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Nothing to check where there is no token.
    let (status, body) = status_and_body(
        &f.app,
        call_fn(
            "check_token",
            &[("runtime_id", &f.seed.globex_rt.to_string())],
            Some(&f.dana),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body.contains("no token for globex-edge"), "{body}");
    assert_eq!(row(&f, rt).await.status, TokenStatus::NeedsSso);
}

/// Adds a runtime of `kind` to Acme at the emulator, naming `repo`.
async fn runtime_at(f: &Fixture, name: &str, kind: ProviderKind, path: &str, repo: &str) -> i64 {
    let base = emulator_base(f).await;
    store::create_runtime(
        &f.app.state.pool,
        f.seed.acme,
        name,
        kind,
        &format!("{base}{path}"),
        Some(repo),
    )
    .await
    .unwrap()
}

async fn add_with_username(
    f: &Fixture,
    rt: i64,
    token: &str,
    username: &str,
) -> (StatusCode, String) {
    status_and_body(
        &f.app,
        call_fn(
            "add_token",
            &[
                ("runtime_id", &rt.to_string()),
                ("token", token),
                ("username", username),
            ],
            Some(&f.dana),
        ),
    )
    .await
}

#[tokio::test]
async fn gitlab_and_bitbucket_report_write_access_their_own_way() {
    let bb_scopes = [
        "write:repository:bitbucket",
        "read:user:bitbucket",
        "read:workspace:bitbucket",
    ];
    let bitbucket = |token: &str, login: &str| FakeToken {
        username: Some(format!("{login}@example.com")),
        ..as_login(token, login, &bb_scopes)
    };
    let server = |token: &str, login: &str| FakeToken {
        username: Some(login.into()),
        scopes: vec![],
        ..as_login(token, login, &[])
    };
    let gl = ["write_repository", "read_api"];
    let f = Fixture::with_tokens(vec![
        as_login("glpat-writer000000000001", "gl-writer", &gl),
        as_login("glpat-reporter0000000002", "gl-reporter", &gl),
        bitbucket("ATATTwriter0000003", "bb-writer"),
        bitbucket("ATATTreader0000004", "bb-reader"),
        server("BBDC-writer0000005", "srv-writer"),
        server("BBDC-reader0000006", "srv-reader"),
    ])
    .await;
    let access = [("gl-writer", "write"), ("gl-reporter", "read")];
    f.emu
        .register_repo(repo("acme/platform/config", &access, false));
    let access = [("bb-writer", "admin"), ("bb-reader", "read")];
    f.emu.register_repo(repo("acme-ws/config", &access, false));
    let access = [("srv-writer", "write"), ("srv-reader", "read")];
    f.emu.register_repo(repo("OPS/config", &access, false));

    let gitlab = runtime_at(
        &f,
        "acme-gitlab",
        ProviderKind::Gitlab,
        "/gitlab/api/v4",
        "acme/platform/config",
    )
    .await;
    let (status, body) = add(&f.app, &f.dana, gitlab, "glpat-reporter0000000002").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("acme/platform/config") && body.contains("Developer role"),
        "{body}"
    );
    let (status, body) = add(&f.app, &f.dana, gitlab, "glpat-writer000000000001").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let cloud = runtime_at(
        &f,
        "acme-bitbucket",
        ProviderKind::Bitbucket,
        "/bitbucket/2.0",
        "acme-ws/config",
    )
    .await;
    let (status, body) =
        add_with_username(&f, cloud, "ATATTreader0000004", "bb-reader@example.com").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("acme-ws/config"), "{body}");
    let (status, body) =
        add_with_username(&f, cloud, "ATATTwriter0000003", "bb-writer@example.com").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let dc = runtime_at(
        &f,
        "acme-dc",
        ProviderKind::BitbucketServer,
        "/bitbucket-server/rest/api/1.0",
        "OPS/config",
    )
    .await;
    let (status, body) = add_with_username(&f, dc, "BBDC-reader0000006", "srv-reader").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("OPS/config") && body.contains("may only read it"),
        "{body}"
    );
    let (status, body) = add_with_username(&f, dc, "BBDC-writer0000005", "srv-writer").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let rows = tokens::rows_for_user(&f.app.state.pool, f.seed.dana)
        .await
        .unwrap();
    for rt in [gitlab, cloud, dc] {
        let r = rows.iter().find(|r| r.runtime.id == rt).unwrap();
        assert_eq!(r.status, TokenStatus::Valid, "{}", r.runtime.name);
    }
    // Each re-validation asks again, and they all still pass.
    let report = tokens::revalidate_due(&f.app.state, Utc::now() + Duration::seconds(1), 4)
        .await
        .unwrap();
    assert_eq!((report.valid, report.invalid), (3, 0), "{report:?}");
}

#[tokio::test]
async fn a_provider_failing_on_the_repository_check_changes_nothing() {
    let f = github_fixture(false).await;
    let rt = f.seed.acme_rt;
    let (status, _) = add(&f.app, &f.dana, rt, GOOD).await;
    assert_eq!(status, StatusCode::OK);
    f.emu.register(fake(GOOD2, &["repo"]));
    f.emu.register_repo(FakeRepo {
        fail_status: Some(502),
        ..repo("acme/config", &[("octo", "write")], false)
    });
    // The token itself checks out; the repository question gets no answer: nothing changes.
    let (status, body) = add(&f.app, &f.dana, rt, GOOD2).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("could not be reached"), "{body}");
    assert_eq!(
        last4_of(&f.app, f.seed.dana, rt).await.as_deref(),
        Some("1111")
    );
    // Re-validation: unreachable, not invalid, and the verdict before it is kept in the words.
    let report = tokens::revalidate_due(&f.app.state, Utc::now() + Duration::seconds(1), 4)
        .await
        .unwrap();
    assert_eq!((report.unreachable, report.invalid), (1, 0), "{report:?}");
    let error = row(&f, rt).await.token.unwrap().last_error.unwrap();
    assert!(error.contains("Last known status: Valid"), "{error}");
}

#[tokio::test]
async fn admins_name_the_repository_in_the_provider_s_form() {
    let f = Fixture::with_tokens(vec![]).await;
    let base = emulator_base(&f).await;
    let f = &f;
    let base = &base;
    let add_runtime = |name: &'static str, provider: &'static str, path: &str, repo: &str| {
        let pairs = [
            ("account_id", f.seed.acme.to_string()),
            ("name", name.to_string()),
            ("provider", provider.to_string()),
            ("api_url", format!("{base}{path}")),
            ("repo", repo.to_string()),
        ];
        async move {
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            status_and_body(&f.app, call_fn("admin/add_runtime", &refs, Some(&f.dana))).await
        }
    };
    let (status, body) = add_runtime("bad", "github", "/github", "acme/platform/config").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("OWNER/NAME"), "{body}");
    let (status, body) =
        add_runtime("sub", "gitlab", "/gitlab/api/v4", " acme/platform/config ").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = add_runtime("none", "github", "/github", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let repos: Vec<(String, Option<String>)> = app::on_db!(&f.app.state.pool, |e| {
        sqlx::query_as(
            "SELECT name, repo FROM runtimes WHERE name IN ('bad', 'sub', 'none') ORDER BY name",
        )
        .fetch_all(e)
        .await
    })
    .unwrap();
    assert_eq!(
        repos,
        [
            ("none".to_string(), None),
            ("sub".to_string(), Some("acme/platform/config".to_string()))
        ]
    );
}

#[tokio::test]
async fn a_repository_named_later_is_checked_in_the_next_pass() {
    let f = Fixture::with_tokens(vec![as_login(READER, "reader", &["repo"])]).await;
    f.emu
        .register_repo(repo("acme/config", &[("reader", "read")], false));
    let rt = f.seed.acme_rt;
    // No repository yet: any working token goes in.
    let (status, body) = add(&f.app, &f.dana, rt, READER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let f = &f;
    let set = |who: &str, repo: &str| {
        let pairs = [
            ("account_id", f.seed.acme.to_string()),
            ("runtime_id", rt.to_string()),
            ("repo", repo.to_string()),
        ];
        let who = who.to_string();
        async move {
            let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            status_and_body(&f.app, call_fn("admin/set_runtime_repo", &refs, Some(&who))).await
        }
    };
    let (status, body) = set(&f.olu, "acme/config").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only Acme's admins: {body}");
    let (status, body) = set(&f.dana, "acme").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("OWNER/NAME"), "{body}");
    assert_eq!(
        row(f, rt).await.runtime.repo,
        None,
        "a refusal changes nothing"
    );

    let (status, body) = set(&f.dana, "acme/config").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        row(f, rt).await.runtime.repo.as_deref(),
        Some("acme/config")
    );
    // Due at once, even for a pass that only takes tokens checked over an hour ago.
    let report = tokens::revalidate_due(&f.app.state, Utc::now() - Duration::hours(1), 4)
        .await
        .unwrap();
    assert_eq!(report.invalid, 1, "{report:?}");
    let r = row(f, rt).await;
    assert_eq!(r.status, TokenStatus::Invalid);
    assert!(r.token.unwrap().last_error.unwrap().contains("acme/config"));
}
