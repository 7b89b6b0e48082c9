//! OAuth2 authorization of a runtime: the OAuth apps account admins configure (client secret
//! encrypted like tokens), the authorization-code flow with PKCE (S256) and a `state` bound to
//! the session, user and runtime (server-side, single use, short-lived), and token refresh.

use super::crypto::{Keyring, Sealed, Secret};
use super::providers::{self, ProviderError};
use super::{store, tokens, AppState};
use crate::error::AppError;
use crate::model::{OAuthAppView, ProviderKind, RuntimeRow, TokenStatus};
use chrono::{DateTime, Utc};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use sqlx::{FromRow, SqlitePool};
use tower_sessions::Session;

/// Session key of the flow under way (one at a time per session).
pub const FLOW_KEY: &str = "oauth_flow";
/// How long a user has to finish at the provider.
pub const FLOW_TTL_SECS: i64 = 600;
/// Where providers send the user back, under `GITPAT_PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "oauth/callback";

/// OAuth works for these kinds (Bitbucket Server has no OAuth for Git user tokens here).
pub fn supports(kind: ProviderKind) -> bool {
    kind != ProviderKind::BitbucketServer
}

/// An OAuth app with its decrypted secret: server-only, never serialized.
pub struct OAuthApp {
    pub account_id: i64,
    pub provider: ProviderKind,
    pub client_id: String,
    pub secret: Secret,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
    pub expiry_days: Option<i64>,
}

fn secret_aad(account_id: i64, provider: ProviderKind) -> String {
    format!("gitpat/oauth-app/account={account_id}/provider={provider}")
}

fn check_url(what: &str, u: &str) -> Result<String, String> {
    let url = url::Url::parse(u.trim()).map_err(|_| format!("The {what} is not a URL."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("The {what} must be an http(s) URL."));
    }
    Ok(url.to_string())
}

/// Checks an admin's input; the message names the field.
#[allow(clippy::too_many_arguments)]
pub fn check_app_input(
    provider: ProviderKind,
    client_id: &str,
    secret: &str,
    authorize_url: &str,
    token_url: &str,
    scopes: &str,
    expiry_days: Option<i64>,
) -> Result<(String, String, String, Vec<String>), String> {
    if !supports(provider) {
        return Err(format!("OAuth2 is not available for {}.", provider.label()));
    }
    let client_id = client_id.trim();
    if client_id.is_empty()
        || client_id.len() > 200
        || client_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("The client ID must be 1–200 characters without spaces.".into());
    }
    if secret.is_empty() || secret.len() > 1024 || secret.chars().any(char::is_control) {
        return Err("The client secret must be 1–1024 characters.".into());
    }
    let scopes: Vec<String> = scopes.split_whitespace().map(str::to_string).collect();
    if scopes.is_empty()
        || scopes
            .iter()
            .any(|s| s.len() > 100 || s.chars().any(char::is_control))
    {
        return Err("Give at least one scope (the permissions), separated by spaces.".into());
    }
    if expiry_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err("The token expiry must be between 1 and 3650 days.".into());
    }
    Ok((
        client_id.to_string(),
        check_url("authorize URL", authorize_url)?,
        check_url("token URL", token_url)?,
        scopes,
    ))
}

/// Creates or replaces the account's OAuth app for a provider.
#[allow(clippy::too_many_arguments)]
pub async fn set_app(
    pool: &SqlitePool,
    keys: &Keyring,
    account_id: i64,
    provider: ProviderKind,
    client_id: &str,
    secret: &Secret,
    authorize_url: &str,
    token_url: &str,
    scopes: &str,
    expiry_days: Option<i64>,
) -> Result<(), String> {
    let (client_id, authorize_url, token_url, scopes) = check_app_input(
        provider,
        client_id,
        secret.expose(),
        authorize_url,
        token_url,
        scopes,
        expiry_days,
    )?;
    let sealed = keys.seal(secret, &secret_aad(account_id, provider));
    sqlx::query(
        "INSERT INTO oauth_apps (account_id, provider, client_id, secret_key_id, secret_ciphertext,
             authorize_url, token_url, scopes, expiry_days, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, provider) DO UPDATE SET client_id = excluded.client_id,
             secret_key_id = excluded.secret_key_id, secret_ciphertext = excluded.secret_ciphertext,
             authorize_url = excluded.authorize_url, token_url = excluded.token_url,
             scopes = excluded.scopes, expiry_days = excluded.expiry_days, updated_at = excluded.updated_at",
    )
    .bind(account_id)
    .bind(provider.as_str())
    .bind(client_id)
    .bind(&sealed.key_id)
    .bind(&sealed.blob)
    .bind(authorize_url)
    .bind(token_url)
    .bind(scopes.join(" "))
    .bind(expiry_days)
    .bind(Utc::now())
    .execute(pool)
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "saving an OAuth app failed");
        "The OAuth app could not be saved.".to_string()
    })?;
    Ok(())
}

pub async fn remove_app(
    pool: &SqlitePool,
    account_id: i64,
    provider: ProviderKind,
) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM oauth_apps WHERE account_id = ? AND provider = ?")
        .bind(account_id)
        .bind(provider.as_str())
        .execute(pool)
        .await?;
    Ok(r.rows_affected() > 0)
}

#[derive(FromRow)]
struct AppRecord {
    account_id: i64,
    account_name: String,
    provider: String,
    client_id: String,
    secret_key_id: String,
    secret_ciphertext: Vec<u8>,
    authorize_url: String,
    token_url: String,
    scopes: String,
    expiry_days: Option<i64>,
}

const APP_SELECT: &str =
    "SELECT o.account_id, a.name AS account_name, o.provider, o.client_id, o.secret_key_id,
        o.secret_ciphertext, o.authorize_url, o.token_url, o.scopes, o.expiry_days
     FROM oauth_apps o JOIN accounts a ON a.id = o.account_id";

/// The OAuth apps of the given accounts, as admins may see them (never the secret).
pub async fn list_apps(pool: &SqlitePool, account_ids: &[i64]) -> sqlx::Result<Vec<OAuthAppView>> {
    let all: Vec<AppRecord> = sqlx::query_as(&format!("{APP_SELECT} ORDER BY a.name, o.provider"))
        .fetch_all(pool)
        .await?;
    Ok(all
        .into_iter()
        .filter(|r| account_ids.contains(&r.account_id))
        .filter_map(|r| {
            Some(OAuthAppView {
                account_id: r.account_id,
                account_name: r.account_name,
                provider: r.provider.parse().ok()?,
                client_id: r.client_id,
                authorize_url: r.authorize_url,
                token_url: r.token_url,
                scopes: r.scopes,
                expiry_days: r.expiry_days,
            })
        })
        .collect())
}

/// The account's OAuth app for a provider, with its secret decrypted.
pub async fn app_for(
    pool: &SqlitePool,
    keys: &Keyring,
    account_id: i64,
    provider: ProviderKind,
) -> anyhow::Result<Option<OAuthApp>> {
    let rec: Option<AppRecord> = sqlx::query_as(&format!(
        "{APP_SELECT} WHERE o.account_id = ? AND o.provider = ?"
    ))
    .bind(account_id)
    .bind(provider.as_str())
    .fetch_optional(pool)
    .await?;
    let Some(r) = rec else { return Ok(None) };
    let secret = keys.open(
        &Sealed {
            key_id: r.secret_key_id,
            blob: r.secret_ciphertext,
        },
        &secret_aad(account_id, provider),
    )?;
    Ok(Some(OAuthApp {
        account_id: r.account_id,
        provider,
        client_id: r.client_id,
        secret,
        authorize_url: r.authorize_url,
        token_url: r.token_url,
        scopes: r.scopes.split_whitespace().map(str::to_string).collect(),
        expiry_days: r.expiry_days,
    }))
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

/// A flow under way, kept in the (server-side) session.
#[derive(Serialize, Deserialize)]
struct Flow {
    state: String,
    verifier: String,
    user_id: i64,
    runtime_id: i64,
    started_at: i64,
}

/// Starts authorizing a runtime: returns the provider's authorize URL to send the user to.
pub async fn start(
    st: &AppState,
    session: &Session,
    user_id: i64,
    runtime_id: i64,
) -> Result<String, AppError> {
    let runtime = store::runtime_for_user(&st.pool, user_id, runtime_id)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(
                "No such GitOps Runtime, or you are not a member of its account.".into(),
            )
        })?;
    let app = app_for(&st.pool, &st.keys, runtime.account_id, runtime.provider)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "OAuth2 is not set up for {} in this account.",
                runtime.provider.family()
            ))
        })?;
    let client = client(&app, &redirect_uri(&st.public_url))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(app.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    let flow = Flow {
        state: csrf.secret().clone(),
        verifier: verifier.secret().clone(),
        user_id,
        runtime_id,
        started_at: Utc::now().timestamp(),
    };
    session
        .insert(FLOW_KEY, flow)
        .await
        .map_err(|e| AppError::internal("could not keep the OAuth flow", e))?;
    Ok(url.to_string())
}

/// What the provider sent back to the callback.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn flow_failed() -> AppError {
    AppError::Invalid(
        "The authorization could not be completed: it was not started here, was already used, or took too long. No token was stored; try again.".into(),
    )
}

/// Finishes a flow: checks the state (single use, this session and user, not expired),
/// exchanges the code, validates the token like a pasted one, and stores it.
pub async fn callback(
    st: &AppState,
    session: &Session,
    user_id: i64,
    q: CallbackQuery,
    client_addr: Option<String>,
    now: DateTime<Utc>,
) -> Result<RuntimeRow, AppError> {
    // Taken out first, so a state is usable once whatever happens next.
    let flow: Option<Flow> = session
        .remove(FLOW_KEY)
        .await
        .map_err(|e| AppError::internal("could not read the OAuth flow", e))?;
    let Some(flow) = flow else {
        return Err(flow_failed());
    };
    let state_ok = q
        .state
        .as_deref()
        .is_some_and(|s| constant_time_eq(s.as_bytes(), flow.state.as_bytes()));
    let fresh = now.timestamp() - flow.started_at <= FLOW_TTL_SECS;
    if !state_ok || !fresh || flow.user_id != user_id {
        tracing::warn!(user_id, state_ok, fresh, "OAuth callback refused");
        return Err(flow_failed());
    }
    let runtime = store::runtime_for_user(&st.pool, user_id, flow.runtime_id)
        .await?
        .ok_or_else(flow_failed)?;
    let family = runtime.provider.family();
    if let Some(err) = q.error {
        return Err(AppError::Invalid(if err == "access_denied" {
            format!("Authorization was cancelled at {family}. No token was stored.")
        } else {
            format!("{family} did not authorize access ({err}). No token was stored.")
        }));
    }
    let code = q
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(flow_failed)?;
    let app = app_for(&st.pool, &st.keys, runtime.account_id, runtime.provider)
        .await?
        .ok_or_else(|| {
            AppError::Invalid("The OAuth app was removed meanwhile. No token was stored.".into())
        })?;
    let client = client(&app, &redirect_uri(&st.public_url))?;
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier))
        .request_async(&st.http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, runtime_id = runtime.id, "OAuth code exchange failed");
            AppError::Invalid(format!(
                "{family} did not issue a token. No token was stored; try again."
            ))
        })?;
    let issued = Issued::from_response(&token, &app);
    let identity = providers::validate_oauth(
        &st.http,
        runtime.provider,
        &runtime.api_url,
        &issued.access,
        &issued.scopes,
    )
    .await
    .map_err(|e| AppError::Invalid(format!("{e} No token was stored.")))?;
    let identity = providers::Identity {
        expires_at: issued.expires_at.or(identity.expires_at),
        ..identity
    };
    tokens::save(
        &st.pool,
        &st.keys,
        user_id,
        runtime.id,
        "oauth",
        &issued.access,
        None,
        &identity,
    )
    .await?;
    if let Some(refresh) = &issued.refresh {
        store_refresh(&st.pool, &st.keys, user_id, runtime.id, refresh).await?;
    }
    store::audit(
        &st.pool,
        Some(user_id),
        Some(runtime.id),
        "token.oauth",
        "",
        client_addr.as_deref(),
    )
    .await?;
    Ok(runtime)
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

fn refresh_aad(user_id: i64, runtime_id: i64) -> String {
    format!("gitpat/refresh/user={user_id}/runtime={runtime_id}")
}

async fn store_refresh(
    pool: &SqlitePool,
    keys: &Keyring,
    user_id: i64,
    runtime_id: i64,
    refresh: &Secret,
) -> sqlx::Result<()> {
    let sealed = keys.seal(refresh, &refresh_aad(user_id, runtime_id));
    sqlx::query("UPDATE git_tokens SET refresh_key_id = ?, refresh_ciphertext = ? WHERE user_id = ? AND runtime_id = ?")
        .bind(&sealed.key_id)
        .bind(&sealed.blob)
        .bind(user_id)
        .bind(runtime_id)
        .execute(pool)
        .await?;
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(FromRow)]
struct Refreshable {
    user_id: i64,
    runtime_id: i64,
    account_id: i64,
    provider: String,
    api_url: String,
    ciphertext: Vec<u8>,
    refresh_key_id: String,
    refresh_ciphertext: Vec<u8>,
}

/// What one refresh pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RefreshReport {
    pub refreshed: usize,
    pub failed: usize,
}

/// Refreshes OAuth tokens that expire before `horizon` (or have expired). The new access and
/// refresh tokens replace the old ones in one statement, and only if nothing replaced the token
/// meanwhile; a refused refresh turns the token `invalid` with its reason.
pub async fn refresh_due(
    pool: &SqlitePool,
    keys: &Keyring,
    http: &reqwest::Client,
    horizon: DateTime<Utc>,
) -> anyhow::Result<RefreshReport> {
    let due: Vec<Refreshable> = sqlx::query_as(
        "SELECT t.user_id, t.runtime_id, r.account_id, r.provider, r.api_url, t.ciphertext,
                t.refresh_key_id, t.refresh_ciphertext
         FROM git_tokens t JOIN runtimes r ON r.id = t.runtime_id
         WHERE t.method = 'oauth' AND t.refresh_ciphertext IS NOT NULL
           AND t.expires_at IS NOT NULL AND t.expires_at < ? AND t.status != 'invalid'",
    )
    .bind(horizon)
    .fetch_all(pool)
    .await?;
    let mut report = RefreshReport::default();
    for t in due {
        match refresh_one(pool, keys, http, &t).await {
            Ok(()) => report.refreshed += 1,
            Err(reason) => {
                report.failed += 1;
                tracing::warn!(user_id = t.user_id, runtime_id = t.runtime_id, %reason, "token refresh failed");
                sqlx::query(
                    "UPDATE git_tokens SET status = ?, last_error = ?, last_validated_at = ?
                     WHERE user_id = ? AND runtime_id = ? AND ciphertext = ?",
                )
                .bind(TokenStatus::Invalid.as_str())
                .bind(format!("The token could not be refreshed: {reason}"))
                .bind(Utc::now())
                .bind(t.user_id)
                .bind(t.runtime_id)
                .bind(&t.ciphertext)
                .execute(pool)
                .await?;
            }
        }
    }
    Ok(report)
}

async fn refresh_one(
    pool: &SqlitePool,
    keys: &Keyring,
    http: &reqwest::Client,
    t: &Refreshable,
) -> Result<(), String> {
    let provider: ProviderKind = t.provider.parse()?;
    let app = app_for(pool, keys, t.account_id, provider)
        .await
        .map_err(|_| "the OAuth app could not be read".to_string())?
        .ok_or("the account's OAuth app was removed")?;
    let refresh = keys
        .open(
            &Sealed {
                key_id: t.refresh_key_id.clone(),
                blob: t.refresh_ciphertext.clone(),
            },
            &refresh_aad(t.user_id, t.runtime_id),
        )
        .map_err(|e| e.to_string())?;
    // The redirect URI plays no part in a refresh; any valid URL satisfies the builder.
    let placeholder = url::Url::parse("http://localhost/").expect("static URL");
    let client = client(&app, &placeholder).map_err(|e| e.to_string())?;
    let response = client
        .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_string()))
        .request_async(http)
        .await
        .map_err(|_| format!("{} refused the refresh token", provider.family()))?;
    let issued = Issued::from_response(&response, &app);
    let identity =
        match providers::validate_oauth(http, provider, &t.api_url, &issued.access, &issued.scopes)
            .await
        {
            Ok(id) => id,
            Err(ProviderError::Unreachable { .. }) => {
                return Err("the provider could not be reached".into())
            }
            Err(e) => return Err(e.to_string()),
        };
    let now = Utc::now();
    let expires_at = issued.expires_at.or(identity.expires_at);
    let access = keys.seal(
        &issued.access,
        &super::crypto::token_aad(t.user_id, t.runtime_id),
    );
    // Providers may rotate the refresh token; keep the old one only if none came back.
    let refresh_sealed = issued
        .refresh
        .as_ref()
        .map(|r| keys.seal(r, &refresh_aad(t.user_id, t.runtime_id)));
    let done = sqlx::query(
        "UPDATE git_tokens SET key_id = ?, ciphertext = ?, last4 = ?, fingerprint = ?,
             refresh_key_id = COALESCE(?, refresh_key_id), refresh_ciphertext = COALESCE(?, refresh_ciphertext),
             expires_at = ?, status = ?, last_validated_at = ?, last_error = NULL, provider_login = ?, updated_at = ?
         WHERE user_id = ? AND runtime_id = ? AND ciphertext = ?",
    )
    .bind(&access.key_id)
    .bind(&access.blob)
    .bind(tokens::last4(issued.access.expose()))
    .bind(keys.fingerprint(&issued.access))
    .bind(refresh_sealed.as_ref().map(|s| s.key_id.clone()))
    .bind(refresh_sealed.as_ref().map(|s| s.blob.clone()))
    .bind(expires_at)
    .bind(TokenStatus::from_expiry(expires_at, now).as_str())
    .bind(now)
    .bind(&identity.login)
    .bind(now)
    .bind(t.user_id)
    .bind(t.runtime_id)
    .bind(&t.ciphertext)
    .execute(pool)
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "storing a refreshed token failed");
        "the refreshed token could not be stored".to_string()
    })?;
    if done.rows_affected() == 0 {
        tracing::info!(
            user_id = t.user_id,
            runtime_id = t.runtime_id,
            "token replaced during refresh; kept the new one"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn app_input_is_checked_field_by_field() {
        let ok = check_app_input(
            ProviderKind::Github,
            "Iv1.abc",
            "s3cret",
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            "repo",
            Some(30),
        );
        assert!(ok.is_ok());
        let err = |r: Result<_, String>| r.unwrap_err();
        assert!(err(check_app_input(
            ProviderKind::Github,
            "",
            "s",
            "https://a/x",
            "https://a/y",
            "repo",
            None
        ))
        .contains("client ID"));
        assert!(err(check_app_input(
            ProviderKind::Github,
            "id",
            "",
            "https://a/x",
            "https://a/y",
            "repo",
            None
        ))
        .contains("client secret"));
        assert!(err(check_app_input(
            ProviderKind::Github,
            "id",
            "s",
            "javascript:alert(1)",
            "https://a/y",
            "repo",
            None
        ))
        .contains("authorize URL"));
        assert!(err(check_app_input(
            ProviderKind::Github,
            "id",
            "s",
            "https://a/x",
            "nope",
            "repo",
            None
        ))
        .contains("token URL"));
        assert!(err(check_app_input(
            ProviderKind::Github,
            "id",
            "s",
            "https://a/x",
            "https://a/y",
            " ",
            None
        ))
        .contains("scope"));
        assert!(err(check_app_input(
            ProviderKind::Github,
            "id",
            "s",
            "https://a/x",
            "https://a/y",
            "repo",
            Some(0)
        ))
        .contains("expiry"));
        assert!(err(check_app_input(
            ProviderKind::BitbucketServer,
            "id",
            "s",
            "https://a/x",
            "https://a/y",
            "repo",
            None
        ))
        .contains("not available"));
    }

    #[test]
    fn the_redirect_uri_comes_from_the_public_url() {
        let u = url::Url::parse("https://gitpat.example.com/").unwrap();
        assert_eq!(
            redirect_uri(&u).as_str(),
            "https://gitpat.example.com/oauth/callback"
        );
    }
}
