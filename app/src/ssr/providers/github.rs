//! GitHub and GitHub Enterprise: `GET {api}/user`. Classic and OAuth tokens list their scopes in
//! `X-OAuth-Scopes`; fine-grained tokens (`github_pat_…`) have no scope header. Expiry comes in
//! `GitHub-Authentication-Token-Expiration`.

use super::{
    no_write, parse_scope_header, status_error, transport, Auth, Identity, ProviderError,
    RepoAccess,
};
use crate::model::{check_sso_url, ProviderKind};
use crate::ssr::crypto::Secret;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

pub const REQUIRED: &str = "repo";

#[derive(Deserialize)]
struct User {
    login: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
}

/// Parses `2026-05-01 00:00:00 UTC` or `2026-05-01 00:00:00 -0700`.
pub fn parse_expiration(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Some(naive) = v.strip_suffix(" UTC") {
        return NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(|n| n.and_utc());
    }
    DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S %z")
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Whether the answer is GitHub's rate limit (a 403 with no requests left), not a verdict.
fn rate_limited(res: &reqwest::Response) -> bool {
    res.status().as_u16() == 403
        && res
            .headers()
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            == Some("0")
}

/// A GitHub REST call as GitHub asks for it: its JSON media type and API version.
async fn call(
    name: &'static str,
    http: &reqwest::Client,
    url: String,
    auth: Auth<'_>,
) -> Result<reqwest::Response, ProviderError> {
    auth.apply(http.get(url))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await
        .map_err(|e| transport(name, e))
}

/// The verdict of a failed answer: GitHub's rate limit, or its `message`.
async fn failure(name: &'static str, res: reqwest::Response) -> ProviderError {
    if rate_limited(&res) {
        return ProviderError::RateLimited { provider: name };
    }
    let status = res.status();
    let reason = super::json::<ErrorBody>(name, res)
        .await
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    status_error(name, status, reason)
}

/// The link in `X-GitHub-SSO: required; url=<link>`.
pub fn sso_link(header: &str) -> Option<&str> {
    let rest = header.trim().strip_prefix("required")?;
    rest.split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("url="))
        .map(str::trim)
}

#[derive(Deserialize)]
struct Repo {
    permissions: Option<Permissions>,
}

#[derive(Deserialize)]
struct Permissions {
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    maintain: bool,
    #[serde(default)]
    push: bool,
}

/// `GET {api}/repos/{owner}/{repo}`: `permissions.push` (or more) is write access. A token not
/// yet authorized for a SAML organisation gets a 403 with `X-GitHub-SSO`; a repository the token
/// cannot see is a 404.
pub async fn repository(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    auth: Auth<'_>,
    repo: &str,
) -> Result<RepoAccess, ProviderError> {
    let name = kind.label();
    let res = call(name, http, format!("{api}/repos/{repo}"), auth).await?;
    let status = res.status();
    if let Some(sso) = res
        .headers()
        .get("x-github-sso")
        .and_then(|v| v.to_str().ok())
    {
        if status.as_u16() == 403 {
            return match sso_link(sso).and_then(|l| check_sso_url(kind, api, l)) {
                Some(link) => Ok(RepoAccess::NeedsSso(link)),
                None => Err(no_write(
                    repo,
                    "GitHub asks to authorize the token for the organisation's single sign-on (Configure SSO, beside the token in GitHub's settings)",
                )),
            };
        }
    }
    match status.as_u16() {
        200 => {}
        404 => {
            return Err(no_write(
                repo,
                format!("{name} says it does not exist, or the token cannot see it"),
            ))
        }
        _ => return Err(failure(name, res).await),
    }
    let body: Repo = super::json(name, res).await?;
    match body.permissions {
        Some(p) if p.push || p.maintain || p.admin => Ok(RepoAccess::Write),
        _ => Err(no_write(repo, "the token's account may only read it")),
    }
}

pub async fn validate(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    let name = kind.label();
    let auth = Auth {
        token,
        basic_user: None,
    };
    let res = call(name, http, format!("{api}/user"), auth).await?;
    if !res.status().is_success() {
        return Err(failure(name, res).await);
    }
    let scopes = res
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(parse_scope_header);
    let expires_at = res
        .headers()
        .get("github-authentication-token-expiration")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_expiration);
    let user: User = super::json(name, res).await?;
    let fine_grained = token.expose().starts_with("github_pat_");
    match (&scopes, fine_grained) {
        (Some(s), _) if !s.iter().any(|x| x == REQUIRED) => {
            return Err(ProviderError::MissingScopes {
                missing: vec![REQUIRED.into()],
                required: "the repo scope (Settings > Developer settings > Personal access tokens > Tokens (classic))".into(),
            })
        }
        (None, false) => {
            return Err(ProviderError::Unreachable {
                provider: name,
                reason: "the answer had no X-OAuth-Scopes header".into(),
            })
        }
        _ => {}
    }
    Ok(Identity {
        login: user.login,
        scopes: if fine_grained { None } else { scopes },
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiration_header_formats() {
        let want = Utc.with_ymd_and_hms(2026, 5, 1, 7, 0, 0).unwrap();
        assert_eq!(parse_expiration("2026-05-01 07:00:00 UTC"), Some(want));
        assert_eq!(parse_expiration("2026-05-01 00:00:00 -0700"), Some(want));
        assert_eq!(parse_expiration("soon"), None);
    }

    #[test]
    fn sso_header() {
        assert_eq!(
            sso_link("required; url=https://github.com/orgs/acme/sso?authorization_request=A1"),
            Some("https://github.com/orgs/acme/sso?authorization_request=A1")
        );
        assert_eq!(sso_link("partial-results; organizations=21955855"), None);
        assert_eq!(sso_link("required"), None);
    }
}
