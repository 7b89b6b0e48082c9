//! GitHub and GitHub Enterprise: `GET {api}/user`. Classic and OAuth tokens list their scopes in
//! `X-OAuth-Scopes`; fine-grained tokens (`github_pat_…`) have no scope header. Expiry comes in
//! `GitHub-Authentication-Token-Expiration`.

use super::{parse_scope_header, status_error, transport, Identity, ProviderError};
use crate::model::ProviderKind;
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

pub async fn validate(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    let name = kind.label();
    let res = http
        .get(format!("{api}/user"))
        .bearer_auth(token.expose())
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await
        .map_err(|e| transport(name, e))?;
    let status = res.status();
    if !status.is_success() {
        // A 403 with no requests left is GitHub's rate limit, not a verdict on the token.
        if status.as_u16() == 403
            && res
                .headers()
                .get("x-ratelimit-remaining")
                .and_then(|v| v.to_str().ok())
                == Some("0")
        {
            return Err(ProviderError::RateLimited { provider: name });
        }
        let reason = super::json::<ErrorBody>(name, res)
            .await
            .ok()
            .and_then(|b| b.message)
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        return Err(status_error(name, status, reason));
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
}
