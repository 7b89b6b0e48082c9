//! Bitbucket Cloud: `GET {api}/user` with Basic auth (Atlassian email or username + API token or
//! app password); granted scopes in `x-oauth-scopes`, in the classic or the new vocabulary.
//! Bitbucket Server / Data Center: `GET {api}/application-properties` with a Bearer HTTP access
//! token answers with `X-AUSERNAME`. Write access to a runtime's repository: Cloud's
//! `GET /user/permissions/repositories`, Server's repository search filtered by `REPO_WRITE`.

use super::{
    no_write, parse_scope_header, send, status_error, success_json, transport, Auth, Identity,
    ProviderError, RepoAccess,
};
use crate::ssr::crypto::Secret;
use serde::Deserialize;

/// Each need and the scopes that satisfy it: the classic names (and the ones implying them),
/// then the new granular names.
const NEEDS: [(&str, &[&str]); 3] = [
    (
        "repository write",
        &[
            "repository:write",
            "repository:admin",
            "write:repository:bitbucket",
        ],
    ),
    (
        "account read",
        &["account", "account:write", "read:user:bitbucket"],
    ),
    (
        "workspace membership read",
        &["team", "team:write", "read:workspace:bitbucket"],
    ),
];

pub fn missing_scopes(granted: &[String]) -> Vec<String> {
    NEEDS
        .iter()
        .filter(|(_, any)| !granted.iter().any(|g| any.contains(&g.as_str())))
        .map(|(need, _)| need.to_string())
        .collect()
}

#[derive(Deserialize)]
struct User {
    username: Option<String>,
    nickname: Option<String>,
    account_id: Option<String>,
}

pub async fn validate_cloud(
    http: &reqwest::Client,
    api: &str,
    username: &str,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    let req = http
        .get(format!("{api}/user"))
        .basic_auth(username, Some(token.expose()));
    check_cloud_user(req, username).await
}

/// An OAuth access token is sent as a Bearer token; the checks are the same.
pub async fn validate_cloud_oauth(
    http: &reqwest::Client,
    api: &str,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    check_cloud_user(
        http.get(format!("{api}/user")).bearer_auth(token.expose()),
        "",
    )
    .await
}

async fn check_cloud_user(
    req: reqwest::RequestBuilder,
    username: &str,
) -> Result<Identity, ProviderError> {
    let name = "Bitbucket Cloud";
    let res = req.send().await.map_err(|e| transport(name, e))?;
    let status = res.status();
    if !status.is_success() {
        return Err(status_error(
            name,
            status,
            "the username (or Atlassian account email) and token do not match".into(),
        ));
    }
    let scopes = res
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(parse_scope_header)
        .unwrap_or_default();
    let user: User = super::json(name, res).await?;
    let missing = missing_scopes(&scopes);
    if !missing.is_empty() {
        return Err(ProviderError::MissingScopes {
            missing,
            required: "Repositories: Write, Account: Read and Workspace membership: Read".into(),
        });
    }
    let login = user
        .username
        .or(user.nickname)
        .or(user.account_id)
        .unwrap_or_else(|| username.to_string());
    Ok(Identity {
        login,
        scopes: Some(scopes),
        expires_at: None,
    })
}

pub async fn validate_server(
    http: &reqwest::Client,
    api: &str,
    username: &str,
    token: &Secret,
) -> Result<Identity, ProviderError> {
    let name = "Bitbucket Server";
    let res = http
        .get(format!("{api}/application-properties"))
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|e| transport(name, e))?;
    let status = res.status();
    if !status.is_success() {
        return Err(status_error(name, status, "authentication failed".into()));
    }
    let Some(login) = res
        .headers()
        .get("x-ausername")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return Err(ProviderError::Rejected {
            provider: name,
            reason: "the token did not authenticate a user".into(),
        });
    };
    if !login.eq_ignore_ascii_case(username) {
        return Err(ProviderError::Rejected {
            provider: name,
            reason: format!("the token belongs to {login}, not to {username}"),
        });
    }
    Ok(Identity {
        login,
        scopes: None,
        expires_at: None,
    })
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
}

#[derive(Deserialize)]
struct CloudPermission {
    permission: String,
    repository: CloudRepo,
}

#[derive(Deserialize)]
struct CloudRepo {
    full_name: String,
}

/// Bitbucket Cloud: `GET {api}/user/permissions/repositories?q=repository.full_name="WS/SLUG"`
/// lists the token's account's permission there (`read`, `write` or `admin`); nothing listed
/// means no access.
pub async fn repository_cloud(
    http: &reqwest::Client,
    api: &str,
    auth: Auth<'_>,
    repo: &str,
) -> Result<RepoAccess, ProviderError> {
    let name = "Bitbucket Cloud";
    let req = auth
        .apply(http.get(format!("{api}/user/permissions/repositories")))
        .query(&[("q", format!("repository.full_name=\"{repo}\""))]);
    let page: Page<CloudPermission> = success_json(name, send(name, req).await?).await?;
    let permission = page
        .values
        .into_iter()
        .find(|p| p.repository.full_name.eq_ignore_ascii_case(repo))
        .map(|p| p.permission);
    match permission.as_deref() {
        Some("write" | "admin") => Ok(RepoAccess::Write),
        Some(_) => Err(no_write(repo, "the token's account may only read it")),
        None => Err(no_write(
            repo,
            "Bitbucket Cloud lists no permission of the token's account there",
        )),
    }
}

#[derive(Deserialize)]
struct ServerRepo {
    slug: String,
    name: String,
    project: ServerProject,
}

#[derive(Deserialize)]
struct ServerProject {
    key: String,
}

/// Bitbucket Server / Data Center: `GET {api}/projects/{KEY}/repos/{slug}` finds the repository
/// (404: missing or hidden from the token); `GET {api}/repos?projectkey&name&permission=REPO_WRITE`
/// then lists it only if the token may write to it.
pub async fn repository_server(
    http: &reqwest::Client,
    api: &str,
    auth: Auth<'_>,
    repo: &str,
) -> Result<RepoAccess, ProviderError> {
    let name = "Bitbucket Server";
    let Some((key, slug)) = repo.split_once('/') else {
        return Err(no_write(repo, "it is not written as PROJECT/SLUG"));
    };
    let req = auth.apply(http.get(format!("{api}/projects/{key}/repos/{slug}")));
    let res = send(name, req).await?;
    if res.status().as_u16() == 404 {
        return Err(no_write(
            repo,
            "Bitbucket Server says it does not exist, or the token cannot see it",
        ));
    }
    let found: ServerRepo = success_json(name, res).await?;
    let req = auth.apply(http.get(format!("{api}/repos"))).query(&[
        ("projectkey", found.project.key.as_str()),
        ("name", found.name.as_str()),
        ("permission", "REPO_WRITE"),
        ("limit", "100"),
    ]);
    let page: Page<ServerRepo> = success_json(name, send(name, req).await?).await?;
    let writable = page.values.iter().any(|r| {
        r.slug.eq_ignore_ascii_case(&found.slug)
            && r.project.key.eq_ignore_ascii_case(&found.project.key)
    });
    if writable {
        Ok(RepoAccess::Write)
    } else {
        Err(no_write(repo, "the token's account may only read it"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn both_scope_vocabularies_are_understood() {
        assert!(missing_scopes(&s(&["repository:write", "account", "team"])).is_empty());
        assert!(missing_scopes(&s(&[
            "write:repository:bitbucket",
            "read:user:bitbucket",
            "read:workspace:bitbucket"
        ]))
        .is_empty());
        assert_eq!(
            missing_scopes(&s(&["repository", "account", "team"])),
            ["repository write"]
        );
        assert_eq!(missing_scopes(&s(&[])).len(), 3);
    }
}
