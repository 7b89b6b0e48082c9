//! Repository access, as each provider reports it for the token's account, and GitHub's SAML
//! single sign-on gate with its authorization page.

use super::*;

/// The token's account's access to a registered repository: `read`, `write`, `admin`, or
/// `None` where it cannot see it (or the repository does not exist).
fn access(emu: &Emulator, t: &FakeToken, path: &str) -> Option<(FakeRepo, String)> {
    let repo = emu.repo(path)?;
    let level = repo.access.get(&t.login)?.clone();
    Some((repo, level))
}

/// The configured failure of a repository's endpoints, if it has one.
fn failing(emu: &Emulator, path: &str) -> Option<Response> {
    let code = emu.repo(path)?.fail_status?;
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some((status, "upstream failure").into_response())
}

fn writes(level: &str) -> bool {
    matches!(level, "write" | "admin")
}

/// The token presented, if it is fit to be used (known, not revoked, not expired) and its
/// configured misbehaviour does not answer instead; else the answer to give.
async fn presented(
    emu: &Emulator,
    token: Option<String>,
    unauthorized: fn() -> Response,
) -> Result<FakeToken, Response> {
    let t = token
        .and_then(|tok| emu.peek(&tok))
        .filter(|t| !t.revoked && !expired(t))
        .ok_or_else(unauthorized)?;
    match misbehave(&t).await {
        Some(r) => Err(r),
        None => Ok(t),
    }
}

// GitHub "Get a repository" (`GET /repos/{owner}/{repo}`): `permissions` for the token's user;
// 404 where the token cannot see it; 403 with `X-GitHub-SSO: required; url=…` while a token is
// not authorized for an organisation that enforces SAML single sign-on.
pub(crate) async fn github_repo(
    State(emu): State<Emulator>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let bad_credentials = || {
        let body = json!({ "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest" });
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    };
    let t = match presented(&emu, bearer(&headers), bad_credentials).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = format!("{owner}/{name}");
    if let Some(r) = failing(&emu, &path) {
        return r;
    }
    let Some((repo, level)) = access(&emu, &t, &path) else {
        let body = json!({ "message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#get-a-repository", "status": "404" });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    if repo.saml_sso && !t.sso_authorized {
        let request = oauth::random_token("");
        emu.sso_requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request.clone(), t.token.clone());
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let link =
            format!("http://{host}/github-web/orgs/{owner}/sso?authorization_request={request}");
        let body = json!({
            "message": "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.",
            "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/",
            "status": "403"
        });
        let mut res = (StatusCode::FORBIDDEN, Json(body)).into_response();
        res.headers_mut().insert(
            "x-github-sso",
            header_value(&format!("required; url={link}")),
        );
        return res;
    }
    let (admin, push) = (level == "admin", writes(&level));
    Json(json!({
        "id": 4242,
        "name": name,
        "full_name": path,
        "private": true,
        "owner": { "login": owner },
        "permissions": { "admin": admin, "maintain": admin, "push": push, "triage": push, "pull": true },
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(crate) struct SsoQuery {
    #[serde(default)]
    authorization_request: String,
}

/// The page GitHub's SSO link leads to: the user authorizes the token for the organisation.
pub(crate) async fn sso_page(
    State(emu): State<Emulator>,
    Path(org): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SsoQuery>,
) -> Response {
    let known = emu
        .sso_requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains_key(&q.authorization_request);
    if !known {
        return (
            StatusCode::NOT_FOUND,
            axum::response::Html(
                "<!doctype html><title>GitHub</title><h1>Unknown authorization request</h1>",
            ),
        )
            .into_response();
    }
    axum::response::Html(format!(
        r#"<!doctype html><html lang="en"><title>Single sign-on to {org}</title>
<h1>Authorize your token for {org}</h1>
<p>The organization {org} requires SAML single sign-on. Authorize this personal access token to access its resources.</p>
<form method="post"><input type="hidden" name="authorization_request" value="{}"><button type="submit">Authorize</button></form></html>"#,
        oauth::escape(&q.authorization_request),
        org = oauth::escape(&org),
    ))
    .into_response()
}

pub(crate) async fn sso_decision(
    State(emu): State<Emulator>,
    axum::extract::Form(q): axum::extract::Form<SsoQuery>,
) -> Response {
    let token = emu
        .sso_requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&q.authorization_request);
    let Some(token) = token else {
        return (StatusCode::NOT_FOUND, "unknown authorization request").into_response();
    };
    if let Some(t) = emu
        .tokens
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_mut(&token)
    {
        t.sso_authorized = true;
    }
    axum::response::Html(
        "<!doctype html><html lang=\"en\"><title>Authorized</title><h1>Token authorized</h1><p>You can close this tab.</p></html>",
    )
    .into_response()
}

// GitLab "Get a single project" (`GET /projects/:id`, the URL-encoded path): `permissions` holds
// the user's access level (Reporter 20, Developer 30, Maintainer 40); 404 where it is hidden.
pub(crate) async fn gitlab_project(
    State(emu): State<Emulator>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let t = match gitlab_check(&emu, &headers) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    if let Some(r) = misbehave(&t).await {
        return r;
    }
    if let Some(r) = failing(&emu, &id) {
        return r;
    }
    let Some((repo, level)) = access(&emu, &t, &id) else {
        let body = json!({ "message": "404 Project Not Found" });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    let access_level = match level.as_str() {
        "admin" => 40,
        "write" => 30,
        _ => 20,
    };
    Json(json!({
        "id": 77,
        "path_with_namespace": repo.path,
        "permissions": {
            "project_access": { "access_level": access_level, "notification_level": 3 },
            "group_access": null
        }
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(crate) struct PermissionQuery {
    #[serde(default)]
    q: String,
}

// Bitbucket Cloud "List repository permissions for a user"
// (`GET /user/permissions/repositories?q=repository.full_name="WS/SLUG"`): the user's permission
// on each matching repository they can see.
pub(crate) async fn bitbucket_permissions(
    State(emu): State<Emulator>,
    axum::extract::Query(q): axum::extract::Query<PermissionQuery>,
    headers: HeaderMap,
) -> Response {
    let token = basic(&headers)
        .filter(|(user, tok)| {
            emu.peek(tok).is_some_and(|t| {
                t.username
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(user))
            })
        })
        .map(|(_, tok)| tok)
        .or_else(|| bearer(&headers));
    let unauthorized = || {
        let body = json!({ "type": "error", "error": { "message": "Unauthorized" } });
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    };
    let t = match presented(&emu, token, unauthorized).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let wanted =
        q.q.strip_prefix("repository.full_name=\"")
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_default();
    if let Some(r) = failing(&emu, wanted) {
        return r;
    }
    let values: Vec<_> = access(&emu, &t, wanted)
        .map(|(repo, level)| {
            json!({
                "type": "repository_permission",
                "permission": level,
                "repository": { "type": "repository", "full_name": repo.path, "name": repo.path.rsplit('/').next() },
                "user": { "type": "user", "nickname": t.login },
            })
        })
        .into_iter()
        .collect();
    Json(json!({ "pagelen": 10, "page": 1, "size": values.len(), "values": values }))
        .into_response()
}

fn server_repo_json(repo: &FakeRepo) -> serde_json::Value {
    let (key, slug) = repo.path.split_once('/').unwrap_or(("", &repo.path));
    json!({ "slug": slug, "name": slug, "project": { "key": key }, "state": "AVAILABLE", "public": false })
}

fn server_unauthorized() -> Response {
    let body = json!({ "errors": [{ "context": null, "message": "Authentication failed. Please check your credentials and try again.", "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException" }] });
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

// Bitbucket Server "Get repository" (`GET /projects/{projectKey}/repos/{repositorySlug}`): 404
// for a repository the user cannot see.
pub(crate) async fn bitbucket_server_repo(
    State(emu): State<Emulator>,
    Path((key, slug)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let t = match presented(&emu, bearer(&headers), server_unauthorized).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let path = format!("{key}/{slug}");
    if let Some(r) = failing(&emu, &path) {
        return r;
    }
    match access(&emu, &t, &path) {
        Some((repo, _)) => Json(server_repo_json(&repo)).into_response(),
        None => {
            let body = json!({ "errors": [{ "context": null, "message": format!("Repository {key}/{slug} does not exist."), "exceptionName": "com.atlassian.bitbucket.repository.NoSuchRepositoryException" }] });
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ServerSearch {
    #[serde(default)]
    projectkey: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    permission: String,
}

// Bitbucket Server "Search for repositories" (`GET /repos?projectkey&name&permission`): those
// the user holds `permission` on (`REPO_READ`, `REPO_WRITE`, `REPO_ADMIN`).
pub(crate) async fn bitbucket_server_repos(
    State(emu): State<Emulator>,
    axum::extract::Query(q): axum::extract::Query<ServerSearch>,
    headers: HeaderMap,
) -> Response {
    let t = match presented(&emu, bearer(&headers), server_unauthorized).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let enough = |level: &str| match q.permission.as_str() {
        "REPO_ADMIN" => level == "admin",
        "REPO_WRITE" => writes(level),
        _ => true,
    };
    let values: Vec<_> = access(&emu, &t, &format!("{}/{}", q.projectkey, q.name))
        .filter(|(_, level)| enough(level))
        .map(|(repo, _)| server_repo_json(&repo))
        .into_iter()
        .collect();
    Json(json!({ "size": values.len(), "limit": 25, "isLastPage": true, "start": 0, "values": values }))
        .into_response()
}
