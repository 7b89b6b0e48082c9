//! Revoking an OAuth-issued token at its provider when its user deletes it, where the provider
//! documents how: GitHub and GitHub Enterprise ("Delete an app token":
//! `DELETE {api}/applications/{client_id}/token` with the app's credentials) and GitLab (RFC 7009:
//! `POST /oauth/revoke` beside its token endpoint). Bitbucket documents no such call.

use super::OAuthApp;
use crate::model::{AtProvider, ProviderKind};
use crate::ssr::crypto::Secret;
use crate::ssr::AppState;

/// Asks the provider of `app` to revoke `token`; `api_url` is the runtime's REST base.
pub async fn revoke(st: &AppState, app: &OAuthApp, api_url: &str, token: &Secret) -> AtProvider {
    let family = app.provider.family();
    let request = match app.provider {
        ProviderKind::Github | ProviderKind::GithubEnterprise => st
            .http
            .delete(format!(
                "{}/applications/{}/token",
                api_url.trim_end_matches('/'),
                app.client_id
            ))
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .json(&serde_json::json!({ "access_token": token.expose() })),
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => {
            // Beside the token endpoint the admin configured (`…/oauth/token` → `…/oauth/revoke`).
            // By hand rather than with oauth2's revocation, which refuses endpoints not on https.
            let Some(base) = app.token_url.strip_suffix("/token") else {
                return AtProvider::NotRevoked("its revocation endpoint is unknown".into());
            };
            st.http.post(format!("{base}/revoke")).form(&[
                ("token", token.expose()),
                ("token_type_hint", "access_token"),
            ])
        }
        ProviderKind::Bitbucket | ProviderKind::BitbucketServer => return AtProvider::ByHand,
    };
    let outcome = match request
        .basic_auth(&app.client_id, Some(app.secret.expose()))
        .send()
        .await
    {
        // GitHub answers 404 for a token the app no longer has: revoked or expired already.
        Ok(res) if res.status().is_success() || res.status() == 404 => AtProvider::Revoked,
        Ok(res) if matches!(res.status().as_u16(), 401 | 403) => {
            AtProvider::NotRevoked(format!("{family} refused the OAuth app's credentials"))
        }
        Ok(res) => {
            AtProvider::NotRevoked(format!("{family} answered HTTP {}", res.status().as_u16()))
        }
        Err(e) if e.is_timeout() => {
            AtProvider::NotRevoked(format!("{family} did not answer in time"))
        }
        Err(_) => AtProvider::NotRevoked(format!("{family} could not be reached")),
    };
    let host = url::Url::parse(api_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let result = match outcome {
        AtProvider::Revoked => "revoked",
        _ => "not_revoked",
    };
    metrics::counter!("gitpat_provider_revocations_total", "host" => host, "result" => result)
        .increment(1);
    outcome
}
