//! Provider adapters against the emulator over real HTTP: every provider kind, and each way a
//! token can fail (rejected, missing scopes, expired, fine-grained, timeout, 5xx, garbage).

use app::model::ProviderKind;
use app::ssr::crypto::Secret;
use app::ssr::providers::{self, ProviderError};
use chrono::{Duration, Utc};
use provider_emulator::{Emulator, FakeToken};

async fn emulator() -> String {
    let emu = Emulator::default();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    for t in [
        FakeToken {
            token: "ghp_good".into(),
            login: "octo".into(),
            scopes: s(&["repo", "read:org"]),
            expires_at: Some(Utc::now() + Duration::days(30)),
            ..Default::default()
        },
        FakeToken {
            token: "ghp_noscope".into(),
            login: "octo".into(),
            scopes: s(&["read:user"]),
            ..Default::default()
        },
        FakeToken {
            token: "ghp_expired".into(),
            login: "octo".into(),
            scopes: s(&["repo"]),
            expires_at: Some(Utc::now() - Duration::days(1)),
            ..Default::default()
        },
        FakeToken {
            token: "github_pat_fine".into(),
            login: "octo".into(),
            expires_at: Some(Utc::now() + Duration::days(3)),
            ..Default::default()
        },
        FakeToken {
            token: "ghp_slow".into(),
            login: "octo".into(),
            scopes: s(&["repo"]),
            delay_ms: 7_000,
            ..Default::default()
        },
        FakeToken {
            token: "ghp_500".into(),
            login: "octo".into(),
            fail_status: Some(500),
            ..Default::default()
        },
        FakeToken {
            token: "ghp_garbage".into(),
            login: "octo".into(),
            scopes: s(&["repo"]),
            garbage: true,
            ..Default::default()
        },
        FakeToken {
            token: "glpat-good".into(),
            login: "tanuki".into(),
            scopes: s(&["write_repository", "read_api"]),
            expires_at: Some(Utc::now() + Duration::days(60)),
            ..Default::default()
        },
        FakeToken {
            token: "glpat-readonly".into(),
            login: "tanuki".into(),
            scopes: s(&["read_repository"]),
            ..Default::default()
        },
        FakeToken {
            token: "glpat-expired".into(),
            login: "tanuki".into(),
            scopes: s(&["write_repository", "read_api"]),
            expires_at: Some(Utc::now() - Duration::days(2)),
            ..Default::default()
        },
        FakeToken {
            token: "glpat-revoked".into(),
            login: "tanuki".into(),
            scopes: s(&["write_repository", "read_api"]),
            revoked: true,
            ..Default::default()
        },
        FakeToken {
            token: "ATAT-new".into(),
            login: "bb".into(),
            username: Some("bb@example.com".into()),
            scopes: s(&[
                "write:repository:bitbucket",
                "read:user:bitbucket",
                "read:workspace:bitbucket",
            ]),
            ..Default::default()
        },
        FakeToken {
            token: "ATAT-classic".into(),
            login: "bb".into(),
            username: Some("bb".into()),
            scopes: s(&["repository:write", "account", "team"]),
            ..Default::default()
        },
        FakeToken {
            token: "ATAT-readonly".into(),
            login: "bb".into(),
            username: Some("bb".into()),
            scopes: s(&["repository", "account"]),
            ..Default::default()
        },
        FakeToken {
            token: "BBDC-good".into(),
            login: "dana".into(),
            username: Some("dana".into()),
            ..Default::default()
        },
    ] {
        emu.register(t);
    }
    format!("http://{}", emu.spawn("127.0.0.1:0").await.unwrap())
}

async fn check(
    base: &str,
    kind: ProviderKind,
    path: &str,
    user: Option<&str>,
    token: &str,
) -> Result<providers::Identity, ProviderError> {
    let http = providers::http_client(&app::ssr::outbound::Outbound::parse("127.0.0.0/8").unwrap());
    providers::validate(
        &http,
        kind,
        &format!("{base}{path}"),
        user,
        &Secret::new(token),
    )
    .await
}

#[tokio::test]
async fn github_and_enterprise() {
    let base = emulator().await;
    for (kind, path) in [
        (ProviderKind::Github, "/github"),
        (ProviderKind::GithubEnterprise, "/ghe/api/v3"),
    ] {
        let id = check(&base, kind, path, None, "ghp_good").await.unwrap();
        assert_eq!(id.login, "octo");
        assert_eq!(id.scopes.unwrap(), ["repo", "read:org"]);
        assert!(id.expires_at.unwrap() > Utc::now() + Duration::days(29));

        let err = check(&base, kind, path, None, "ghp_unknown")
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
        assert!(err.to_string().contains("Bad credentials"));

        let err = check(&base, kind, path, None, "ghp_noscope")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProviderError::MissingScopes { missing, .. } if missing == &["repo"]),
            "{err:?}"
        );

        // GitHub answers 401 for an expired token: rejected, never "unreachable".
        let err = check(&base, kind, path, None, "ghp_expired")
            .await
            .unwrap_err();
        assert!(!err.is_unreachable(), "{err:?}");
    }
}

#[tokio::test]
async fn github_fine_grained_tokens_have_no_scopes_but_an_expiry() {
    let base = emulator().await;
    let id = check(
        &base,
        ProviderKind::Github,
        "/github",
        None,
        "github_pat_fine",
    )
    .await
    .unwrap();
    assert_eq!(id.scopes, None);
    assert!(id.expires_at.is_some());
}

#[tokio::test]
async fn timeouts_5xx_and_garbage_are_unreachable_not_invalid() {
    let base = emulator().await;
    for tok in ["ghp_slow", "ghp_500", "ghp_garbage"] {
        let err = check(&base, ProviderKind::Github, "/github", None, tok)
            .await
            .unwrap_err();
        assert!(err.is_unreachable(), "{tok}: {err:?}");
    }
    let err = check(
        "http://127.0.0.1:9",
        ProviderKind::Github,
        "",
        None,
        "ghp_good",
    )
    .await
    .unwrap_err();
    assert!(err.is_unreachable(), "connection refused: {err:?}");
}

#[tokio::test]
async fn gitlab_cloud_and_self_managed() {
    let base = emulator().await;
    for (kind, path) in [
        (ProviderKind::Gitlab, "/gitlab/api/v4"),
        (ProviderKind::GitlabSelfManaged, "/gitlab-sm/api/v4"),
    ] {
        let id = check(&base, kind, path, None, "glpat-good").await.unwrap();
        assert_eq!(id.login, "tanuki");
        assert!(id.expires_at.is_some());
        let err = check(&base, kind, path, None, "glpat-readonly")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProviderError::MissingScopes { missing, .. } if missing == &["write_repository", "read_api"]),
            "{err:?}"
        );
        let err = check(&base, kind, path, None, "glpat-expired")
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Expired(_)), "{err:?}");
        let err = check(&base, kind, path, None, "glpat-revoked")
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
        let err = check(&base, kind, path, None, "glpat-nope")
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn bitbucket_cloud_in_both_scope_vocabularies() {
    let base = emulator().await;
    let k = ProviderKind::Bitbucket;
    assert_eq!(
        check(
            &base,
            k,
            "/bitbucket/2.0",
            Some("bb@example.com"),
            "ATAT-new"
        )
        .await
        .unwrap()
        .login,
        "bb"
    );
    assert!(
        check(&base, k, "/bitbucket/2.0", Some("bb"), "ATAT-classic")
            .await
            .is_ok()
    );
    let err = check(
        &base,
        k,
        "/bitbucket/2.0",
        Some("someone-else"),
        "ATAT-classic",
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { .. }),
        "wrong username: {err:?}"
    );
    let err = check(&base, k, "/bitbucket/2.0", Some("bb"), "ATAT-readonly")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::MissingScopes { missing, .. } if missing.len() == 2),
        "{err:?}"
    );
}

#[tokio::test]
async fn bitbucket_server_checks_the_username() {
    let base = emulator().await;
    let k = ProviderKind::BitbucketServer;
    let path = "/bitbucket-server/rest/api/1.0";
    let id = check(&base, k, path, Some("dana"), "BBDC-good")
        .await
        .unwrap();
    assert_eq!((id.login.as_str(), id.scopes), ("dana", None));
    let err = check(&base, k, path, Some("olu"), "BBDC-good")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("belongs to dana"), "{err}");
    assert!(matches!(
        check(&base, k, path, Some("dana"), "BBDC-bad")
            .await
            .unwrap_err(),
        ProviderError::Rejected { .. }
    ));
}

#[tokio::test]
async fn provider_answers_are_read_up_to_a_cap_and_their_words_shown_clean_and_short() {
    let emu = Emulator::default();
    let repo = vec!["repo".to_string()];
    for (token, bio_bytes, refusal) in [
        ("ghp_large", 10_000, None),
        ("ghp_huge", 70_000, None),
        (
            "ghp_wordy",
            0,
            Some(format!(
                "Denied\u{1b}[31m by\r\npolicy {}",
                "x".repeat(1000)
            )),
        ),
    ] {
        emu.register(FakeToken {
            token: token.into(),
            login: "octo".into(),
            scopes: repo.clone(),
            bio_bytes,
            refusal,
            ..Default::default()
        });
    }
    let addr = emu.spawn("127.0.0.1:0").await.unwrap();
    let api = format!("http://{addr}/github");
    let http = providers::http_client(&app::ssr::outbound::Outbound::parse("127.0.0.0/8").unwrap());
    let check = |token: &'static str| {
        let (http, api) = (http.clone(), api.clone());
        async move {
            providers::validate(&http, ProviderKind::Github, &api, None, &Secret::new(token)).await
        }
    };
    assert!(check("ghp_large").await.is_ok(), "10 KB is an answer");
    let err = check("ghp_huge").await.unwrap_err();
    assert!(
        err.is_unreachable() && err.to_string().contains("answer too long"),
        "{err}"
    );
    match check("ghp_wordy").await.unwrap_err() {
        ProviderError::Rejected { reason, .. } => {
            assert!(!reason.chars().any(char::is_control), "{reason:?}");
            assert!(reason.starts_with("Denied[31m by"), "{reason:?}");
            assert!(reason.chars().count() <= 201, "{}", reason.len());
        }
        other => panic!("{other:?}"),
    }
}
