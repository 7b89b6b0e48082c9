//! GitLab (cloud and self-managed): `GET {api}/personal_access_tokens/self` gives scopes, expiry
//! and whether the token is active; `GET {api}/user` gives the username.

use super::{no_write, status_error, transport, Auth, Identity, ProviderError, RepoAccess};
use crate::model::ProviderKind;
use crate::ssr::crypto::Secret;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

/// `write_repository` covers read_repository; `read_api` is satisfied by `api` too.
pub const REQUIRED: [(&str, &[&str]); 2] = [("write_repository", &[]), ("read_api", &["api"])];

#[derive(Deserialize)]
struct TokenSelf {
    scopes: Vec<String>,
    expires_at: Option<String>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    revoked: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct User {
    username: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_description: Option<String>,
    message: Option<String>,
}

pub fn missing_scopes(granted: &[String]) -> Vec<String> {
    REQUIRED
        .iter()
        .filter(|(need, also)| {
            !granted
                .iter()
                .any(|g| g == need || also.contains(&g.as_str()))
        })
        .map(|(need, _)| need.to_string())
        .collect()
}

async fn get<T: for<'de> Deserialize<'de>>(
    http: &reqwest::Client,
    name: &'static str,
    url: String,
    token: &Secret,
) -> Result<T, ProviderError> {
    let res = http
        .get(url)
        .header("PRIVATE-TOKEN", token.expose())
        .send()
        .await
        .map_err(|e| transport(name, e))?;
    answer(name, res).await
}

/// A GitLab answer: its JSON, or the verdict its status and error body give.
async fn answer<T: for<'de> Deserialize<'de>>(
    name: &'static str,
    res: reqwest::Response,
) -> Result<T, ProviderError> {
    let status = res.status();
    if !status.is_success() {
        let body = super::json::<ErrorBody>(name, res).await.ok();
        let reason = body
            .and_then(|b| b.error_description.or(b.message))
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        // GitLab says an expired token is expired, in a 401; keep that verdict apart from "rejected".
        if status.as_u16() == 401 && reason.to_ascii_lowercase().contains("expired") {
            return Err(ProviderError::Expired(None));
        }
        return Err(status_error(name, status, reason));
    }
    super::json(name, res).await
}

#[derive(Deserialize)]
struct Project {
    permissions: Option<ProjectPermissions>,
}

#[derive(Deserialize)]
struct ProjectPermissions {
    project_access: Option<Access>,
    group_access: Option<Access>,
}

#[derive(Deserialize)]
struct Access {
    access_level: u32,
}

/// GitLab's Developer role, the first that may push.
const DEVELOPER: u32 = 30;

/// `GET {api}/projects/:id` (the URL-encoded path): the higher of the project's and the group's
/// access level in `permissions` must be Developer (30) or more. A project the token cannot see
/// is a 404.
pub async fn repository(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    auth: Auth<'_>,
    repo: &str,
) -> Result<RepoAccess, ProviderError> {
    let name = kind.label();
    let req = auth.apply(http.get(format!("{api}/projects/{}", repo.replace('/', "%2F"))));
    let res = super::send(name, req).await?;
    if res.status().as_u16() == 404 {
        return Err(no_write(
            repo,
            format!("{name} says it does not exist, or the token cannot see it"),
        ));
    }
    let project: Project = answer(name, res).await?;
    let level = project
        .permissions
        .map(|p| {
            [p.project_access, p.group_access]
                .into_iter()
                .flatten()
                .map(|a| a.access_level)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    if level >= DEVELOPER {
        Ok(RepoAccess::Write)
    } else {
        Err(no_write(
            repo,
            "the token's account has less than the Developer role there",
        ))
    }
}

#[derive(Deserialize)]
struct RotatedBody {
    token: String,
    scopes: Vec<String>,
    expires_at: Option<String>,
}

/// A token GitLab issued in place of another: the token, its scopes and expiry.
pub struct Rotated {
    pub token: Secret,
    pub scopes: Vec<String>,
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

/// GitLab's `expires_at` is a date: the token stops working as that day begins (UTC).
fn expiry_date(d: &str) -> Option<chrono::DateTime<Utc>> {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

/// Rotates a personal access token at GitLab (`POST {api}/personal_access_tokens/self/rotate`):
/// GitLab answers with a new token, expiring on `expires_on` (GitLab's default is a week), and
/// revokes the presented one. Presenting it again later revokes the new one too, which is why
/// callers make sure a rotation runs once.
pub async fn rotate(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    token: &Secret,
    expires_on: NaiveDate,
) -> Result<Rotated, ProviderError> {
    let name = kind.label();
    let res = http
        .post(format!(
            "{}/personal_access_tokens/self/rotate",
            api.trim_end_matches('/')
        ))
        .header("PRIVATE-TOKEN", token.expose())
        .json(&serde_json::json!({ "expires_at": expires_on.format("%Y-%m-%d").to_string() }))
        .send()
        .await
        .map_err(|e| transport(name, e))?;
    let body: RotatedBody = answer(name, res).await?;
    Ok(Rotated {
        token: Secret::new(body.token),
        scopes: body.scopes,
        expires_at: body.expires_at.as_deref().and_then(expiry_date),
    })
}

pub async fn validate(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    let name = kind.label();
    let info: TokenSelf = get(
        http,
        name,
        format!("{api}/personal_access_tokens/self"),
        token,
    )
    .await?;
    if info.revoked || !info.active {
        return Err(ProviderError::Rejected {
            provider: name,
            reason: "the token is not active".into(),
        });
    }
    // GitLab tokens expire at the start of their expiry date (UTC).
    let expires_at = info.expires_at.as_deref().and_then(expiry_date);
    if let Some(e) = expires_at.filter(|e| *e <= Utc::now()) {
        return Err(ProviderError::Expired(Some(e)));
    }
    let missing = missing_scopes(&info.scopes);
    if !missing.is_empty() {
        return Err(ProviderError::MissingScopes {
            missing,
            required: "the write_repository and read_api scopes (User settings > Access tokens)"
                .into(),
        });
    }
    let user: User = get(http, name, format!("{api}/user"), token).await?;
    Ok(Identity {
        login: user.username,
        scopes: Some(info.scopes),
        expires_at,
    })
}

/// An OAuth token: `/personal_access_tokens/self` answers only for personal tokens, so the
/// identity comes from `GET /user` (Bearer) and the scopes from the token response.
pub async fn validate_oauth(
    http: &reqwest::Client,
    kind: ProviderKind,
    api: &str,
    token: &Secret,
    granted: &[String],
) -> Result<Identity, ProviderError> {
    let name = kind.label();
    let missing = missing_scopes(granted);
    if !missing.is_empty() {
        return Err(ProviderError::MissingScopes {
            missing,
            required: "the write_repository and read_api scopes in the OAuth app".into(),
        });
    }
    let req = http.get(format!("{api}/user")).bearer_auth(token.expose());
    let user: User = super::success_json(name, super::send(name, req).await?).await?;
    Ok(Identity {
        login: user.username,
        scopes: Some(granted.to_vec()),
        expires_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn required_scopes() {
        assert!(missing_scopes(&s(&["write_repository", "read_api"])).is_empty());
        assert!(missing_scopes(&s(&["write_repository", "api"])).is_empty());
        assert_eq!(
            missing_scopes(&s(&["read_repository", "read_api"])),
            ["write_repository"]
        );
        assert_eq!(missing_scopes(&s(&[])), ["write_repository", "read_api"]);
    }
}
