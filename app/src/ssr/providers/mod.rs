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
            ProviderError::Unreachable { .. } => "unreachable",
            ProviderError::RateLimited { .. } => "rate_limited",
        }
    }
}

/// Counts one check at a provider host by its result (`gitpat_provider_checks_total`): the
/// host of the runtime's API URL, never the token or who it belongs to.
fn counted(
    api_url: &str,
    result: Result<Identity, ProviderError>,
) -> Result<Identity, ProviderError> {
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
