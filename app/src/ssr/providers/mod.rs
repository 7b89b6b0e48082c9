//! Asking a Git provider who a token belongs to, which scopes it grants and when it expires.
//! One file per provider family; all share this verdict type and these rules: a 401 means the
//! token is rejected, a timeout, connection error, 5xx or an unreadable answer means the
//! provider is unreachable — never that the token is invalid.

pub mod bitbucket;
pub mod github;
pub mod gitlab;

use super::crypto::Secret;
use crate::model::ProviderKind;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long one provider call may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What the provider confirmed about a token.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// The provider account the token belongs to.
    pub login: String,
    /// Granted scopes; `None` where the provider offers no way to read them.
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProviderError {
    #[error("{provider} rejected the token: {reason}")]
    Rejected {
        provider: &'static str,
        reason: String,
    },
    #[error("The token is missing required scopes: {}. Create a token with {}.", missing.join(", "), required)]
    MissingScopes {
        missing: Vec<String>,
        required: String,
    },
    #[error("The token has expired{}.", .0.map(|d| d.format(" (on %Y-%m-%d)").to_string()).unwrap_or_default())]
    Expired(Option<DateTime<Utc>>),
    #[error("{provider} could not be reached ({reason}). Nothing was changed; try again later.")]
    Unreachable {
        provider: &'static str,
        reason: String,
    },
    /// The token works, but not for writing to the runtime's repository.
    #[error("The token cannot write to the runtime's repository {repo}: {reason}.")]
    NoWriteAccess { repo: String, reason: String },
    /// 429, or GitHub's 403 with no requests left: the provider said nothing about the token.
    #[error(
        "{provider} could not be reached (rate limited). Nothing was changed; try again later."
    )]
    RateLimited { provider: &'static str },
}

impl ProviderError {
    /// No verdict on the token: the provider was down, failing or rate limiting.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            ProviderError::Unreachable { .. } | ProviderError::RateLimited { .. }
        )
    }
}

/// A client with the timeouts every provider call uses, resolving names only to addresses
/// `outbound` permits.
pub fn http_client(outbound: &super::outbound::Outbound) -> reqwest::Client {
    let resolver = super::outbound::GuardedResolver(outbound.clone());
    reqwest::Client::builder()
        .dns_resolver(std::sync::Arc::new(resolver))
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(3))
        .user_agent(concat!("gitpat/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client configuration is static")
}

impl ProviderError {
    /// A short, fixed name for the metrics.
    fn kind(&self) -> &'static str {
        match self {
            ProviderError::Rejected { .. } => "rejected",
            ProviderError::MissingScopes { .. } => "missing_scopes",
            ProviderError::Expired(_) => "expired",
            ProviderError::NoWriteAccess { .. } => "no_write_access",
            ProviderError::Unreachable { .. } => "unreachable",
            ProviderError::RateLimited { .. } => "rate_limited",
        }
    }
}

/// Counts one check at a provider host by its result (`gitpat_provider_checks_total`): the
/// host of the runtime's API URL, never the token or who it belongs to.
fn counted<T>(api_url: &str, result: Result<T, ProviderError>) -> Result<T, ProviderError> {
    let host = url::Url::parse(api_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let outcome = match &result {
        Ok(_) => "valid",
        Err(e) => e.kind(),
    };
    metrics::counter!("gitpat_provider_checks_total", "host" => host, "result" => outcome)
        .increment(1);
    result
}

/// Validates `token` (with `username` for Bitbucket) at the runtime's provider.
pub async fn validate(
    http: &reqwest::Client,
    kind: ProviderKind,
    api_url: &str,
    username: Option<&str>,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    counted(
        api_url,
        validate_uncounted(http, kind, api_url, username, token).await,
    )
}

async fn validate_uncounted(
    http: &reqwest::Client,
    kind: ProviderKind,
    api_url: &str,
    username: Option<&str>,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    let api = api_url.trim_end_matches('/');
    let identity = match kind {
        ProviderKind::Github | ProviderKind::GithubEnterprise => {
            github::validate(http, kind, api, token).await?
        }
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => {
            gitlab::validate(http, kind, api, token).await?
        }
        ProviderKind::Bitbucket => {
            bitbucket::validate_cloud(http, api, username.unwrap_or_default(), token).await?
        }
        ProviderKind::BitbucketServer => {
            bitbucket::validate_server(http, api, username.unwrap_or_default(), token).await?
        }
    };
    if let Some(e) = identity.expires_at.filter(|e| *e <= Utc::now()) {
        return Err(ProviderError::Expired(Some(e)));
    }
    Ok(identity)
}

/// Validates a token issued by OAuth. GitHub reports scopes as for any token; GitLab and
/// Bitbucket OAuth tokens are checked with `GET /user` and the scopes the token response granted.
pub async fn validate_oauth(
    http: &reqwest::Client,
    kind: ProviderKind,
    api_url: &str,
    token: &Secret,
    granted: &[String],
) -> Result<Identity, ProviderError> {
    counted(
        api_url,
        validate_oauth_uncounted(http, kind, api_url, token, granted).await,
    )
}

async fn validate_oauth_uncounted(
    http: &reqwest::Client,
    kind: ProviderKind,
    api_url: &str,
    token: &Secret,
    granted: &[String],
) -> Result<Identity, ProviderError> {
    let api = api_url.trim_end_matches('/');
    match kind {
        ProviderKind::Github | ProviderKind::GithubEnterprise => {
            github::validate(http, kind, api, token).await
        }
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => {
            gitlab::validate_oauth(http, kind, api, token, granted).await
        }
        ProviderKind::Bitbucket => bitbucket::validate_cloud_oauth(http, api, token).await,
        ProviderKind::BitbucketServer => Err(ProviderError::Rejected {
            provider: "Bitbucket Server",
            reason: "OAuth2 is not available for Bitbucket Server".into(),
        }),
    }
}

/// A token as it is presented to the provider for a runtime.
#[derive(Clone, Copy)]
pub enum Presented<'a> {
    /// Pasted, with Bitbucket's username beside it.
    Pat {
        token: &'a Secret,
        username: Option<&'a str>,
    },
    /// Issued by OAuth, with the scopes the token response granted.
    Oauth {
        token: &'a Secret,
        granted: &'a [String],
    },
}

/// How a token authenticates a repository check: Bitbucket Cloud's pasted tokens go with the
/// username (Basic), everything else as a Bearer token.
#[derive(Clone, Copy)]
pub struct Auth<'a> {
    pub token: &'a Secret,
    pub basic_user: Option<&'a str>,
}

impl Auth<'_> {
    fn apply(self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.basic_user {
            Some(user) => req.basic_auth(user, Some(self.token.expose())),
            None => req.bearer_auth(self.token.expose()),
        }
    }
}

/// What the provider says of the token and the runtime's repository.
#[derive(Clone, Debug, PartialEq)]
pub enum RepoAccess {
    Write,
    /// GitHub refuses the token there until the user authorizes it for the organisation's SAML
    /// single sign-on, at this link.
    NeedsSso(String),
}

/// A token checked for a runtime: whose it is, and whether it waits for SSO authorization.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub identity: Identity,
    pub sso_url: Option<String>,
}

/// Everything a runtime asks of a token: the identity check (scopes, expiry) and, when the
/// runtime names a repository, write access to it. Adding, rotating, OAuth and re-validation
/// all check through here.
pub async fn validate_for_runtime(
    http: &reqwest::Client,
    kind: ProviderKind,
    api_url: &str,
    repo: Option<&str>,
    presented: Presented<'_>,
) -> Result<Checked, ProviderError> {
    let identity = match presented {
        Presented::Pat { token, username } => {
            validate(http, kind, api_url, username, token).await?
        }
        Presented::Oauth { token, granted } => {
            validate_oauth(http, kind, api_url, token, granted).await?
        }
    };
    let sso_url = match repo {
        Some(repo) => check_repo(http, kind, api_url, repo, presented).await?,
        None => None,
    };
    Ok(Checked { identity, sso_url })
}

/// The repository half of [`validate_for_runtime`], for a token whose identity is known:
/// refused without write access; `Some(link)` while GitHub waits for SSO authorization.
pub async fn check_repo(
    http: &reqwest::Client,
    kind: ProviderKind,
    api_url: &str,
    repo: &str,
    presented: Presented<'_>,
) -> Result<Option<String>, ProviderError> {
    let auth = match presented {
        Presented::Pat { token, username } => Auth {
            token,
            basic_user: username.filter(|_| kind == ProviderKind::Bitbucket),
        },
        Presented::Oauth { token, .. } => Auth {
            token,
            basic_user: None,
        },
    };
    let api = api_url.trim_end_matches('/');
    match counted(api_url, repository(http, kind, api, auth, repo).await)? {
        RepoAccess::Write => Ok(None),
        RepoAccess::NeedsSso(link) => Ok(Some(link)),
    }
}

/// Asks the provider whether the token may write to `repo`.
pub async fn repository(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    auth: Auth<'_>,
    repo: &str,
) -> Result<RepoAccess, ProviderError> {
    match kind {
        ProviderKind::Github | ProviderKind::GithubEnterprise => {
            github::repository(http, kind, api, auth, repo).await
        }
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => {
            gitlab::repository(http, kind, api, auth, repo).await
        }
        ProviderKind::Bitbucket => bitbucket::repository_cloud(http, api, auth, repo).await,
        ProviderKind::BitbucketServer => bitbucket::repository_server(http, api, auth, repo).await,
    }
}

/// The refusal for a repository the token cannot write to.
pub(crate) fn no_write(repo: &str, reason: impl Into<String>) -> ProviderError {
    ProviderError::NoWriteAccess {
        repo: repo.to_string(),
        reason: reason.into(),
    }
}

/// Turns a transport failure into `Unreachable`, naming only its kind (never the URL's secrets).
pub(crate) fn transport(provider: &'static str, e: reqwest::Error) -> ProviderError {
    let reason = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else if e.is_decode() {
        "unexpected answer".to_string()
    } else {
        "request failed".to_string()
    };
    ProviderError::Unreachable { provider, reason }
}

/// Sends a provider call; a transport failure is "unreachable".
pub(crate) async fn send(
    provider: &'static str,
    req: reqwest::RequestBuilder,
) -> Result<reqwest::Response, ProviderError> {
    req.send().await.map_err(|e| transport(provider, e))
}

/// A successful answer's JSON, or the verdict of its status (with no words of the provider's).
pub(crate) async fn success_json<T: serde::de::DeserializeOwned>(
    provider: &'static str,
    res: reqwest::Response,
) -> Result<T, ProviderError> {
    let status = res.status();
    if !status.is_success() {
        return Err(status_error(
            provider,
            status,
            format!("HTTP {}", status.as_u16()),
        ));
    }
    json(provider, res).await
}

/// The longest provider answer read: nothing gitpat asks for comes near it.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Reads a provider's JSON answer, at most [`MAX_ANSWER_BYTES`] of it: a longer or unreadable
/// answer says nothing about the token (unreachable).
pub(crate) async fn json<T: serde::de::DeserializeOwned>(
    provider: &'static str,
    mut res: reqwest::Response,
) -> Result<T, ProviderError> {
    let unexpected = |reason: &str| ProviderError::Unreachable {
        provider,
        reason: reason.into(),
    };
    if res
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(unexpected("answer too long"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| transport(provider, e))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(unexpected("answer too long"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|_| unexpected("unexpected answer"))
}

/// The most of a provider's own words shown to a user.
const SHOWN_CHARS: usize = 200;

/// A provider's text as a user may see it: control characters dropped, cut at
/// [`SHOWN_CHARS`] characters.
pub(crate) fn shown(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    match clean.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}

/// Maps a non-success status: 401/403 reject, 5xx/429 and anything else unexpected is unreachable.
pub(crate) fn status_error(
    provider: &'static str,
    status: reqwest::StatusCode,
    reason: String,
) -> ProviderError {
    let reason = shown(&reason);
    match status.as_u16() {
        401 | 403 => ProviderError::Rejected { provider, reason },
        429 => ProviderError::RateLimited { provider },
        s => ProviderError::Unreachable {
            provider,
            reason: format!("HTTP {s}"),
        },
    }
}

/// Scopes from a comma-separated header such as `X-OAuth-Scopes: repo, read:org`.
pub(crate) fn parse_scope_header(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_headers_split_on_commas() {
        assert_eq!(parse_scope_header("repo, read:org ,"), ["repo", "read:org"]);
        assert!(parse_scope_header("").is_empty());
    }

    #[test]
    fn messages_name_the_reason() {
        let e = ProviderError::MissingScopes {
            missing: vec!["repo".into()],
            required: "the repo scope".into(),
        };
        assert_eq!(
            e.to_string(),
            "The token is missing required scopes: repo. Create a token with the repo scope."
        );
        assert!(!ProviderError::Rejected {
            provider: "GitHub",
            reason: "Bad credentials".into()
        }
        .is_unreachable());
        assert!(ProviderError::Unreachable {
            provider: "GitHub",
            reason: "timed out".into()
        }
        .is_unreachable());
        let limited = ProviderError::RateLimited { provider: "GitHub" };
        assert!(limited.is_unreachable());
        assert_eq!(
            limited.to_string(),
            "GitHub could not be reached (rate limited). Nothing was changed; try again later."
        );
    }
}
