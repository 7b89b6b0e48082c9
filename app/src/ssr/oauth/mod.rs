//! OAuth2 authorization of a runtime: the OAuth apps account admins configure (`apps`, client
//! secret encrypted like tokens), the authorization-code flow with PKCE (S256) and a `state` bound
//! to the session, user and runtime (`flow`: server-side, single use, short-lived), and the
//! refresh job (`refresh`); revoking an issued token when its user deletes it (`revoke`).

mod apps;
mod flow;
mod refresh;
mod revoke;

pub use apps::*;
pub use flow::*;
pub use refresh::*;
pub use revoke::*;

use super::crypto::Secret;
use crate::model::ProviderKind;
use chrono::{DateTime, Utc};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RedirectUrl, TokenResponse,
    TokenUrl,
};

/// Session key of the flow under way (one at a time per session).
pub const FLOW_KEY: &str = "oauth_flow";
/// How long a user has to finish at the provider.
pub const FLOW_TTL_SECS: i64 = 600;
/// Where providers send the user back, under `GITPAT_PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "oauth/callback";

/// An OAuth app with its decrypted secret: server-only, never serialized.
pub struct OAuthApp {
    /// Its row and that row's version: a flow keeps both, and finishes only with the same.
    pub id: i64,
    pub version: i64,
    pub account_id: i64,
    pub provider: ProviderKind,
    pub client_id: String,
    pub secret: Secret,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
    pub expiry_days: Option<i64>,
}

pub(crate) fn secret_aad(account_id: i64, provider: ProviderKind) -> String {
    format!("gitpat/oauth-app/account={account_id}/provider={provider}")
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn client(app: &OAuthApp, redirect: &url::Url) -> anyhow::Result<Client> {
    Ok(BasicClient::new(ClientId::new(app.client_id.clone()))
        .set_client_secret(ClientSecret::new(app.secret.expose().to_string()))
        .set_auth_uri(AuthUrl::new(app.authorize_url.clone())?)
        .set_token_uri(TokenUrl::new(app.token_url.clone())?)
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone())))
}

pub fn redirect_uri(public_url: &url::Url) -> url::Url {
    public_url
        .join(CALLBACK_PATH)
        .expect("a relative path joins any base URL")
}

/// The parts of a token response we keep.
struct Issued {
    access: Secret,
    refresh: Option<Secret>,
    expires_at: Option<DateTime<Utc>>,
    scopes: Vec<String>,
}

impl Issued {
    fn from_response(t: &oauth2::basic::BasicTokenResponse, app: &OAuthApp) -> Self {
        let expires_at = t
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d)
            .or_else(|| {
                app.expiry_days
                    .map(|d| Utc::now() + chrono::Duration::days(d))
            });
        // Scopes as granted; GitHub separates them with commas, the others with spaces.
        let scopes = match t.scopes() {
            Some(s) => s
                .iter()
                .flat_map(|x| x.split(','))
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
            None => app.scopes.clone(),
        };
        Issued {
            access: Secret::new(t.access_token().secret().clone()),
            refresh: t.refresh_token().map(|r| Secret::new(r.secret().clone())),
            expires_at,
            scopes,
        }
    }
}

/// Why a call to an OAuth endpoint failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EndpointError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error(transparent)]
    Answer(#[from] http::Error),
    #[error("the answer is longer than gitpat reads")]
    TooLong,
}

/// The HTTP client of the OAuth exchanges: the providers' client (its timeouts, its resolver),
/// reading an answer up to the cap the providers' answers have.
pub(crate) async fn endpoint_call(
    http: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, EndpointError> {
    let mut res = http.execute(request.try_into()?).await?;
    let mut answer = http::Response::builder().status(res.status());
    for (name, value) in res.headers() {
        answer = answer.header(name, value);
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if body.len() + chunk.len() > super::providers::MAX_ANSWER_BYTES {
            return Err(EndpointError::TooLong);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(answer.body(body)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_uri_comes_from_the_public_url() {
        let u = url::Url::parse("https://gitpat.example.com/").unwrap();
        assert_eq!(
            redirect_uri(&u).as_str(),
            "https://gitpat.example.com/oauth/callback"
        );
    }
}
