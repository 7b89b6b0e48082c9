//! The OAuth apps and sample tokens `gitpat demo` registers.

use super::*;

/// An OAuth app the demo registers: which provider (gitpat's identifier for its kind), the
/// client, the paths of its authorize and token endpoints here, and the scopes to ask for.
pub struct DemoClient {
    pub provider: &'static str,
    pub client: OAuthClient,
    pub authorize_path: &'static str,
    pub token_path: &'static str,
    pub scopes: &'static str,
}

/// OAuth apps `gitpat demo` registers in its emulator and configures for the Acme account.
pub fn demo_clients() -> Vec<DemoClient> {
    vec![
        DemoClient {
            provider: "github",
            client: OAuthClient {
                client_id: "demo-github-app".into(),
                client_secret: "demo-github-secret".into(),
                login: "dana-demo".into(),
                token_lifetime_secs: None,
            },
            authorize_path: "/github-web/login/oauth/authorize",
            token_path: "/github-web/login/oauth/access_token",
            scopes: "repo read:org",
        },
        DemoClient {
            provider: "gitlab",
            client: OAuthClient {
                client_id: "demo-gitlab-app".into(),
                client_secret: "demo-gitlab-secret".into(),
                login: "dana.demo".into(),
                token_lifetime_secs: Some(7200),
            },
            authorize_path: "/gitlab/oauth/authorize",
            token_path: "/gitlab/oauth/token",
            scopes: "write_repository read_api",
        },
    ]
}

/// Sample tokens `gitpat demo` registers and prints.
pub fn demo_tokens() -> Vec<(&'static str, FakeToken)> {
    let days = |d: i64| Some(Utc::now() + chrono::Duration::days(d));
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        (
            "GitHub / GitHub Enterprise, valid (repo)",
            FakeToken {
                token: "ghp_demoValidToken0000000000000000000001".into(),
                login: "dana-demo".into(),
                scopes: s(&["repo", "read:org"]),
                expires_at: days(90),
                ..Default::default()
            },
        ),
        (
            "GitHub, missing the repo scope",
            FakeToken {
                token: "ghp_demoNoRepoScope000000000000000000002".into(),
                login: "dana-demo".into(),
                scopes: s(&["read:user"]),
                expires_at: days(90),
                ..Default::default()
            },
        ),
        (
            "GitHub, expiring in 3 days",
            FakeToken {
                token: "ghp_demoExpiringSoon00000000000000000003".into(),
                login: "dana-demo".into(),
                scopes: s(&["repo"]),
                expires_at: days(3),
                ..Default::default()
            },
        ),
        (
            "GitLab / GitLab Self-Managed, valid",
            FakeToken {
                token: "glpat-demoValidToken00000004".into(),
                login: "dana.demo".into(),
                scopes: s(&["write_repository", "read_repository", "read_api"]),
                expires_at: days(60),
                ..Default::default()
            },
        ),
        (
            "GitLab, missing read_api",
            FakeToken {
                token: "glpat-demoMissingReadApi0005".into(),
                login: "dana.demo".into(),
                scopes: s(&["write_repository"]),
                expires_at: days(60),
                ..Default::default()
            },
        ),
        (
            "Bitbucket Cloud API token (username: dana@gitpat.dev)",
            FakeToken {
                token: "ATATTdemoBitbucketToken0006".into(),
                login: "dana-demo".into(),
                username: Some("dana@gitpat.dev".into()),
                scopes: s(&[
                    "read:user:bitbucket",
                    "read:workspace:bitbucket",
                    "write:repository:bitbucket",
                ]),
                expires_at: days(365),
                ..Default::default()
            },
        ),
        (
            "Bitbucket Server HTTP access token (username: dana)",
            FakeToken {
                token: "BBDC-demoServerToken0007".into(),
                login: "dana".into(),
                username: Some("dana".into()),
                ..Default::default()
            },
        ),
    ]
}

/// Repositories `gitpat demo` registers, for runtimes an admin adds with a repository (the Admin
/// area's Repository field, `--repo`): the demo logins may write to all but the read-only one,
/// and the GitHub organisation `acme` enforces SAML single sign-on.
pub fn demo_repos() -> Vec<(&'static str, FakeRepo)> {
    let repo = |path: &str, login: &str, level: &str, saml_sso: bool| FakeRepo {
        path: path.into(),
        access: HashMap::from([(login.to_string(), level.to_string())]),
        saml_sso,
        fail_status: None,
    };
    vec![
        (
            "GitHub, writable, behind SAML single sign-on",
            repo("acme/gitops-runtime", "dana-demo", "write", true),
        ),
        (
            "GitHub, read-only",
            repo("acme-oss/read-only-config", "dana-demo", "read", false),
        ),
        (
            "GitLab, writable",
            repo("acme/platform/gitops-runtime", "dana.demo", "write", false),
        ),
        (
            "Bitbucket Cloud, writable",
            repo("acme-ws/gitops-runtime", "dana-demo", "write", false),
        ),
        (
            "Bitbucket Server, writable",
            repo("GLOBEX/gitops-runtime", "dana", "write", false),
        ),
    ]
}
