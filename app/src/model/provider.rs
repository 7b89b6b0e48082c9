//! The Git providers and what the pages say about them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The Git providers a GitOps Runtime can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum ProviderKind {
    Github,
    GithubEnterprise,
    Gitlab,
    GitlabSelfManaged,
    Bitbucket,
    BitbucketServer,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 6] = [
        ProviderKind::Github,
        ProviderKind::GithubEnterprise,
        ProviderKind::Gitlab,
        ProviderKind::GitlabSelfManaged,
        ProviderKind::Bitbucket,
        ProviderKind::BitbucketServer,
    ];

    /// The stable identifier used in the database, the CLI and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Github => "github",
            ProviderKind::GithubEnterprise => "github_enterprise",
            ProviderKind::Gitlab => "gitlab",
            ProviderKind::GitlabSelfManaged => "gitlab_self_managed",
            ProviderKind::Bitbucket => "bitbucket",
            ProviderKind::BitbucketServer => "bitbucket_server",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Github => "GitHub",
            ProviderKind::GithubEnterprise => "GitHub Enterprise",
            ProviderKind::Gitlab => "GitLab",
            ProviderKind::GitlabSelfManaged => "GitLab Self-Managed",
            ProviderKind::Bitbucket => "Bitbucket Cloud",
            ProviderKind::BitbucketServer => "Bitbucket Server",
        }
    }

    /// The provider family, which names the logo and the OAuth button ("Authorize Access to GitHub").
    pub fn family(self) -> &'static str {
        match self {
            ProviderKind::Github | ProviderKind::GithubEnterprise => "GitHub",
            ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => "GitLab",
            ProviderKind::Bitbucket | ProviderKind::BitbucketServer => "Bitbucket",
        }
    }

    pub fn logo(self) -> &'static str {
        match self {
            ProviderKind::Github | ProviderKind::GithubEnterprise => "/logos/github.svg",
            ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => "/logos/gitlab.svg",
            ProviderKind::Bitbucket | ProviderKind::BitbucketServer => "/logos/bitbucket.svg",
        }
    }

    /// Bitbucket authenticates Git over HTTPS with a username (or Atlassian email) beside the token.
    pub fn needs_username(self) -> bool {
        matches!(
            self,
            ProviderKind::Bitbucket | ProviderKind::BitbucketServer
        )
    }

    /// Whether a Git user token can be issued by OAuth2 (Bitbucket Server has no OAuth for Git
    /// user tokens here).
    pub fn supports_oauth(self) -> bool {
        self != ProviderKind::BitbucketServer
    }

    /// Whether the provider documents an API that revokes a token its OAuth app issued (GitHub:
    /// "Delete an app token"; GitLab: RFC 7009 `/oauth/revoke`). Bitbucket documents none.
    pub fn revokes_oauth_tokens(self) -> bool {
        !self.needs_username()
    }

    /// The Git host (with its port, if not the default) that serves repositories, derived from
    /// the runtime's API URL: `api.github.com` serves `github.com`, `api.bitbucket.org` serves
    /// `bitbucket.org`, a self-hosted server its own host. `None` for anything but an http(s) URL.
    pub fn git_host(self, api_url: &str) -> Option<String> {
        let (scheme, rest) = api_url.split_once("://")?;
        let default_port = match scheme.to_ascii_lowercase().as_str() {
            "https" => "443",
            "http" => "80",
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority.as_str(), None),
            Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            _ => (authority.as_str(), None),
        };
        let host = match (self, host) {
            (ProviderKind::Github, "api.github.com") => "github.com",
            (ProviderKind::Bitbucket, "api.bitbucket.org") => "bitbucket.org",
            (_, h) => h,
        };
        Some(match port.filter(|p| *p != default_port && !p.is_empty()) {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        })
    }

    /// The REST base a runtime uses when the admin gives none. Self-hosted kinds have no default.
    pub fn default_api_url(self) -> Option<&'static str> {
        match self {
            ProviderKind::Github => Some("https://api.github.com"),
            ProviderKind::Gitlab => Some("https://gitlab.com/api/v4"),
            ProviderKind::Bitbucket => Some("https://api.bitbucket.org/2.0"),
            _ => None,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown provider kind '{s}' (expected one of: {})",
                    ProviderKind::ALL.map(|k| k.as_str()).join(", ")
                )
            })
    }
}

/// The provider page where a user creates a token, with the required scopes pre-selected where
/// the provider allows it. Self-hosted hosts are derived from the runtime's API URL.
pub fn token_page_url(kind: ProviderKind, api_url: &str) -> String {
    let base = |suffix: &str| {
        let api = api_url.trim_end_matches('/');
        api.strip_suffix(suffix).unwrap_or(api).to_string()
    };
    match kind {
        ProviderKind::Github => "https://github.com/settings/tokens/new?scopes=repo&description=gitpat".into(),
        ProviderKind::GithubEnterprise => format!("{}/settings/tokens/new?scopes=repo&description=gitpat", base("/api/v3")),
        ProviderKind::Gitlab => {
            "https://gitlab.com/-/user_settings/personal_access_tokens?name=gitpat&scopes=write_repository,read_api".into()
        }
        ProviderKind::GitlabSelfManaged => format!(
            "{}/-/user_settings/personal_access_tokens?name=gitpat&scopes=write_repository,read_api",
            base("/api/v4")
        ),
        ProviderKind::Bitbucket => "https://id.atlassian.com/manage-profile/security/api-tokens".into(),
        ProviderKind::BitbucketServer => format!("{}/plugins/servlet/access-tokens/manage", base("/rest/api/1.0")),
    }
}

/// The provider page where a user revokes a token by hand: the personal access token list, or,
/// for an OAuth token, the applications the user has authorized.
pub fn revoke_page_url(kind: ProviderKind, api_url: &str, oauth: bool) -> String {
    let base = |suffix: &str| {
        let api = api_url.trim_end_matches('/');
        api.strip_suffix(suffix).unwrap_or(api).to_string()
    };
    let github = |web: String| {
        format!(
            "{web}/settings/{}",
            if oauth { "applications" } else { "tokens" }
        )
    };
    let gitlab = |web: String| {
        format!(
            "{web}/-/user_settings/{}",
            if oauth {
                "applications"
            } else {
                "personal_access_tokens"
            }
        )
    };
    match kind {
        ProviderKind::Github => github("https://github.com".into()),
        ProviderKind::GithubEnterprise => github(base("/api/v3")),
        ProviderKind::Gitlab => gitlab("https://gitlab.com".into()),
        ProviderKind::GitlabSelfManaged => gitlab(base("/api/v4")),
        ProviderKind::Bitbucket if oauth => {
            "https://bitbucket.org/account/settings/app-authorizations/".into()
        }
        ProviderKind::Bitbucket => {
            "https://id.atlassian.com/manage-profile/security/api-tokens".into()
        }
        ProviderKind::BitbucketServer => format!(
            "{}/plugins/servlet/access-tokens/manage",
            base("/rest/api/1.0")
        ),
    }
}

/// The seed's steps for generating a token, corrected where the providers changed since.
pub fn token_steps(kind: ProviderKind) -> &'static [&'static str] {
    match kind {
        ProviderKind::Github | ProviderKind::GithubEnterprise => &[
            "Log in to your GitHub or GitHub Enterprise account.",
            "Select Settings > Developer Settings > Personal Access Tokens > Tokens (classic).",
            "Define the Token name and Expiration date, and select the scope: repo.",
            "Copy the token, and paste it below. (Fine-grained tokens work too; their scopes cannot be checked.)",
        ],
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => &[
            "Log in to your GitLab Cloud or Server account.",
            "Select User settings > Access tokens.",
            "Define the Token name and Expiration date, and select the scopes: write_repository (includes read_repository) and read_api.",
            "Copy the token, and paste it below.",
        ],
        ProviderKind::Bitbucket => &[
            "Log in to your Atlassian account and open Security > API tokens (Bitbucket app passwords were withdrawn).",
            "Create an API token with scopes for Bitbucket: Repositories: Write, Account: Read, Workspace membership: Read.",
            "Copy the token, and paste it below. As the Bitbucket username, enter your Atlassian account email.",
        ],
        ProviderKind::BitbucketServer => &[
            "Log in to your Bitbucket Server or Data Center account.",
            "Select Manage account > HTTP access tokens, and create a token with Repository write permission.",
            "Copy the token, and paste it below, with your Bitbucket username.",
        ],
    }
}
/// How a runtime's repository is written for the provider, for forms and errors.
pub fn repo_form(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Github | ProviderKind::GithubEnterprise => "OWNER/NAME",
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => {
            "GROUP/PROJECT (with any subgroups)"
        }
        ProviderKind::Bitbucket => "WORKSPACE/SLUG",
        ProviderKind::BitbucketServer => "PROJECT/SLUG",
    }
}

/// Checks the repository a runtime names (trimmed): path segments of letters, digits, `.`, `_`
/// and `-`; two of them (GitLab: two or more, for subgroups); Bitbucket Server's personal
/// projects start with `~`.
pub fn check_repo_input(kind: ProviderKind, raw: &str) -> Result<String, String> {
    let repo = raw.trim().trim_matches('/');
    let parts: Vec<&str> = repo.split('/').collect();
    let gitlab = matches!(kind, ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged);
    let count_ok = if gitlab {
        (2..=20).contains(&parts.len())
    } else {
        parts.len() == 2
    };
    let segment_ok = |i: usize, p: &str| {
        let p = match p.strip_prefix('~') {
            Some(rest) if i == 0 && kind == ProviderKind::BitbucketServer => rest,
            _ => p,
        };
        !p.is_empty()
            && p != "."
            && p != ".."
            && !p.starts_with('-')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if repo.len() > 255 || !count_ok || !parts.iter().enumerate().all(|(i, p)| segment_ok(i, p)) {
        return Err(format!(
            "Give the repository as {} (letters, digits, '.', '_' and '-').",
            repo_form(kind)
        ));
    }
    Ok(repo.to_string())
}

/// A single sign-on link a provider sent, if it is safe to show: http(s) on the provider's own
/// Git host (GitHub's SSO pages are on the web host, not the API's).
pub fn check_sso_url(kind: ProviderKind, api_url: &str, link: &str) -> Option<String> {
    let link = link.trim();
    let (scheme, _) = link.split_once("://")?;
    let ok_scheme = scheme.eq_ignore_ascii_case("https")
        || (scheme.eq_ignore_ascii_case("http") && api_url.starts_with("http://"));
    (ok_scheme
        && link.len() <= 2048
        && !link
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
        && kind.git_host(link).is_some()
        && kind.git_host(link) == kind.git_host(api_url))
    .then(|| link.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_kinds_round_trip_and_reject_unknown() {
        for k in ProviderKind::ALL {
            assert_eq!(k.as_str().parse::<ProviderKind>().unwrap(), k);
        }
        let err = "gitea".parse::<ProviderKind>().unwrap_err();
        assert!(err.contains("unknown provider kind 'gitea'"), "{err}");
        assert!(err.contains("bitbucket_server"));
    }

    #[test]
    fn only_bitbucket_needs_a_username() {
        let with: Vec<_> = ProviderKind::ALL
            .into_iter()
            .filter(|k| k.needs_username())
            .collect();
        assert_eq!(
            with,
            [ProviderKind::Bitbucket, ProviderKind::BitbucketServer]
        );
    }

    #[test]
    fn token_pages_follow_the_runtime_host() {
        assert!(
            token_page_url(ProviderKind::Github, "https://api.github.com").contains("scopes=repo")
        );
        assert_eq!(
            token_page_url(
                ProviderKind::GithubEnterprise,
                "https://ghe.acme.io/api/v3/"
            ),
            "https://ghe.acme.io/settings/tokens/new?scopes=repo&description=gitpat"
        );
        assert!(token_page_url(
            ProviderKind::GitlabSelfManaged,
            "https://git.acme.io/api/v4"
        )
        .starts_with("https://git.acme.io/-/user_settings/personal_access_tokens"));
        assert_eq!(
            token_page_url(
                ProviderKind::BitbucketServer,
                "https://bb.acme.io/rest/api/1.0"
            ),
            "https://bb.acme.io/plugins/servlet/access-tokens/manage"
        );
    }

    #[test]
    fn git_hosts_follow_the_api_url() {
        use ProviderKind::*;
        let host = |k: ProviderKind, u: &str| k.git_host(u);
        assert_eq!(
            host(Github, "https://api.github.com").unwrap(),
            "github.com"
        );
        assert_eq!(
            host(GithubEnterprise, "https://GHE.acme.io/api/v3").unwrap(),
            "ghe.acme.io"
        );
        assert_eq!(
            host(Bitbucket, "https://api.bitbucket.org/2.0").unwrap(),
            "bitbucket.org"
        );
        assert_eq!(
            host(Gitlab, "http://127.0.0.1:3999/gitlab/api/v4").unwrap(),
            "127.0.0.1:3999"
        );
        assert_eq!(
            host(GitlabSelfManaged, "https://git.acme.io:443/api/v4").unwrap(),
            "git.acme.io"
        );
        assert_eq!(
            host(BitbucketServer, "https://bb.acme.io:8443/rest/api/1.0").unwrap(),
            "bb.acme.io:8443"
        );
        for bad in ["ftp://x", "x", "https://", "https://u:p@evil/"] {
            assert_eq!(host(Github, bad), None, "{bad}");
        }
    }

    #[test]
    fn only_bitbucket_server_lacks_oauth() {
        let without: Vec<_> = ProviderKind::ALL
            .into_iter()
            .filter(|k| !k.supports_oauth())
            .collect();
        assert_eq!(without, [ProviderKind::BitbucketServer]);
    }

    #[test]
    fn repository_names() {
        use ProviderKind::*;
        assert_eq!(
            check_repo_input(Github, " acme/config ").unwrap(),
            "acme/config"
        );
        assert_eq!(
            check_repo_input(Gitlab, "acme/platform/config").unwrap(),
            "acme/platform/config"
        );
        assert_eq!(
            check_repo_input(BitbucketServer, "~dana/config").unwrap(),
            "~dana/config"
        );
        for (kind, bad) in [
            (Github, "acme"),
            (Github, "acme/platform/config"),
            (Github, "acme/../x"),
            (Github, "acme/co nfig"),
            (Bitbucket, "~ws/config"),
            (Gitlab, "acme/"),
            (Gitlab, "-x/y"),
        ] {
            let e = check_repo_input(kind, bad).unwrap_err();
            assert!(e.contains(repo_form(kind)), "{bad}: {e}");
        }
    }

    #[test]
    fn sso_links_stay_on_the_provider() {
        use ProviderKind::*;
        let api = "https://api.github.com";
        let link = "https://github.com/orgs/acme/sso?authorization_request=AB12";
        assert_eq!(check_sso_url(Github, api, link).as_deref(), Some(link));
        assert_eq!(
            check_sso_url(Github, api, "https://evil.example/orgs/acme/sso"),
            None
        );
        assert_eq!(
            check_sso_url(Github, api, "http://github.com/orgs/acme/sso"),
            None
        );
        assert_eq!(check_sso_url(Github, api, "javascript:alert(1)"), None);
        let local = "http://127.0.0.1:3201/github";
        assert!(check_sso_url(
            Github,
            local,
            "http://127.0.0.1:3201/github-web/orgs/acme/sso?x=1"
        )
        .is_some());
        assert_eq!(check_sso_url(Github, local, "http://127.0.0.1:9/x"), None);
    }
}
