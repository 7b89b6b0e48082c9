//! The OAuth apps account admins configure, one per account and provider.

use super::{secret_aad, OAuthApp};
use crate::model::AuditAction;
use crate::model::{OAuthAppView, ProviderKind};
use crate::ssr::crypto::{Sealed, Secret};
use crate::ssr::db::{on_db, Db};
use crate::ssr::store::{self, Actor};
use crate::ssr::AppState;
use chrono::Utc;
use sqlx::FromRow;

fn check_url(what: &str, u: &str) -> Result<String, String> {
    crate::ssr::outbound::check_url(what, u).map(|url| url.to_string())
}

/// An OAuth app as an admin typed it, from the Admin area or the CLI.
pub struct OAuthAppInput {
    pub provider: ProviderKind,
    pub client_id: String,
    pub client_secret: Secret,
    pub authorize_url: String,
    pub token_url: String,
    /// Space-separated.
    pub scopes: String,
    pub expiry_days: Option<i64>,
}

/// An OAuth app's settings once checked; only these can be saved.
pub struct OAuthAppSettings {
    provider: ProviderKind,
    client_id: String,
    client_secret: Secret,
    authorize_url: String,
    token_url: String,
    scopes: Vec<String>,
    expiry_days: Option<i64>,
}

impl OAuthAppInput {
    /// Checks every field; the message names the field at fault.
    pub fn parse(self) -> Result<OAuthAppSettings, String> {
        let provider = self.provider;
        if !provider.supports_oauth() {
            return Err(format!("OAuth2 is not available for {}.", provider.label()));
        }
        let client_id = self.client_id.trim();
        if client_id.is_empty()
            || client_id.len() > 200
            || client_id
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("The client ID must be 1–200 characters without spaces.".into());
        }
        let secret = self.client_secret.expose();
        if secret.is_empty() || secret.len() > 1024 || secret.chars().any(char::is_control) {
            return Err("The client secret must be 1–1024 characters.".into());
        }
        let scopes: Vec<String> = self.scopes.split_whitespace().map(str::to_string).collect();
        if scopes.is_empty()
            || scopes
                .iter()
                .any(|s| s.len() > 100 || s.chars().any(char::is_control))
        {
            return Err("Give at least one scope (the permissions), separated by spaces.".into());
        }
        if self.expiry_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err("The token expiry must be between 1 and 3650 days.".into());
        }
        Ok(OAuthAppSettings {
            provider,
            client_id: client_id.to_string(),
            authorize_url: check_url("authorize URL", &self.authorize_url)?,
            token_url: check_url("token URL", &self.token_url)?,
            client_secret: self.client_secret,
            scopes,
            expiry_days: self.expiry_days,
        })
    }
}

impl OAuthAppSettings {
    pub fn provider(&self) -> ProviderKind {
        self.provider
    }
}

/// Creates or replaces the account's OAuth app for a provider; it commits with its audit event.
pub async fn set_app(
    st: &AppState,
    account_id: i64,
    app: &OAuthAppSettings,
    by: Actor<'_>,
) -> Result<(), String> {
    let failed = |e: sqlx::Error| {
        tracing::error!(error = %e, "saving an OAuth app failed");
        "The OAuth app could not be saved.".to_string()
    };
    for (what, url) in [
        ("authorize URL", &app.authorize_url),
        ("token URL", &app.token_url),
    ] {
        st.outbound.check_url(what, url).await?;
    }
    let mut tx = st.pool.begin().await.map_err(failed)?;
    let provider = app.provider;
    let sealed = st
        .keys
        .seal(&app.client_secret, &secret_aad(account_id, provider));
    on_db!(&mut tx, |e| sqlx::query(
        "INSERT INTO oauth_apps (account_id, provider, client_id, secret_key_id, secret_ciphertext,
             authorize_url, token_url, scopes, expiry_days, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (account_id, provider) DO UPDATE SET client_id = excluded.client_id,
             secret_key_id = excluded.secret_key_id, secret_ciphertext = excluded.secret_ciphertext,
             authorize_url = excluded.authorize_url, token_url = excluded.token_url,
             scopes = excluded.scopes, expiry_days = excluded.expiry_days, updated_at = excluded.updated_at,
             version = oauth_apps.version + 1",
    )
    .bind(account_id)
    .bind(provider)
    .bind(&app.client_id)
    .bind(&sealed.key_id)
    .bind(&sealed.blob)
    .bind(&app.authorize_url)
    .bind(&app.token_url)
    .bind(app.scopes.join(" "))
    .bind(app.expiry_days)
    .bind(Utc::now())
    .execute(e)
    .await.map(|r| r.rows_affected()))
    .map_err(failed)?;
    let detail = format!("provider={provider}");
    store::audit_in(
        &mut tx,
        by.user_id,
        Some(account_id),
        None,
        AuditAction::OauthAppSet,
        &detail,
        by.client_addr,
    )
    .await
    .map_err(failed)?;
    tx.commit().await.map_err(failed)
}

/// Removes the account's OAuth app for a provider, with its audit event; false if there was none.
pub async fn remove_app(
    pool: &Db,
    account_id: i64,
    provider: ProviderKind,
    by: Actor<'_>,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let r = on_db!(&mut tx, |e| sqlx::query(
        "DELETE FROM oauth_apps WHERE account_id = $1 AND provider = $2"
    )
    .bind(account_id)
    .bind(provider)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    if r == 0 {
        return Ok(false);
    }
    let detail = format!("provider={provider}");
    store::audit_in(
        &mut tx,
        by.user_id,
        Some(account_id),
        None,
        AuditAction::OauthAppRemove,
        &detail,
        by.client_addr,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(FromRow)]
struct AppRecord {
    id: i64,
    version: i64,
    account_id: i64,
    account_name: String,
    provider: ProviderKind,
    client_id: String,
    secret_key_id: String,
    secret_ciphertext: Vec<u8>,
    authorize_url: String,
    token_url: String,
    scopes: String,
    expiry_days: Option<i64>,
}

const APP_SELECT: &str =
    "SELECT o.id, o.version, o.account_id, a.name AS account_name, o.provider, o.client_id, o.secret_key_id,
        o.secret_ciphertext, o.authorize_url, o.token_url, o.scopes, o.expiry_days
     FROM oauth_apps o JOIN accounts a ON a.id = o.account_id";

/// The OAuth apps of the given accounts, as admins may see them (never the secret).
pub async fn list_apps(pool: &Db, account_ids: &[i64]) -> sqlx::Result<Vec<OAuthAppView>> {
    let all: Vec<AppRecord> = on_db!(pool, |e| sqlx::query_as(&format!(
        "{APP_SELECT} ORDER BY a.name, o.provider"
    ))
    .fetch_all(e)
    .await)?;
    Ok(all
        .into_iter()
        .filter(|r| account_ids.contains(&r.account_id))
        .map(|r| OAuthAppView {
            account_id: r.account_id,
            account_name: r.account_name,
            provider: r.provider,
            client_id: r.client_id,
            authorize_url: r.authorize_url,
            token_url: r.token_url,
            scopes: r.scopes,
            expiry_days: r.expiry_days,
        })
        .collect())
}

/// Whether the account has an OAuth app for the provider.
pub async fn app_exists(pool: &Db, account_id: i64, provider: ProviderKind) -> sqlx::Result<bool> {
    on_db!(pool, |e| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM oauth_apps WHERE account_id = $1 AND provider = $2)"
    )
    .bind(account_id)
    .bind(provider)
    .fetch_one(e)
    .await)
}

/// The account's OAuth app for a provider, with its secret decrypted.
pub async fn app_for(
    st: &AppState,
    account_id: i64,
    provider: ProviderKind,
) -> anyhow::Result<Option<OAuthApp>> {
    let rec: Option<AppRecord> = on_db!(&st.pool, |e| sqlx::query_as(&format!(
        "{APP_SELECT} WHERE o.account_id = $1 AND o.provider = $2"
    ))
    .bind(account_id)
    .bind(provider)
    .fetch_optional(e)
    .await)?;
    let Some(r) = rec else { return Ok(None) };
    let secret = st.keys.open(
        &Sealed {
            key_id: r.secret_key_id,
            blob: r.secret_ciphertext,
        },
        &secret_aad(account_id, provider),
    )?;
    Ok(Some(OAuthApp {
        id: r.id,
        version: r.version,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input(
        provider: ProviderKind,
        client_id: &str,
        secret: &str,
        authorize: &str,
        token: &str,
        scopes: &str,
        expiry_days: Option<i64>,
    ) -> OAuthAppInput {
        OAuthAppInput {
            provider,
            client_id: client_id.into(),
            client_secret: Secret::new(secret),
            authorize_url: authorize.into(),
            token_url: token.into(),
            scopes: scopes.into(),
            expiry_days,
        }
    }

    fn refused(i: OAuthAppInput) -> String {
        match i.parse() {
            Ok(_) => panic!("accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn app_input_is_checked_field_by_field() {
        use ProviderKind::{BitbucketServer, Github};
        let ok = input(
            Github,
            " Iv1.abc ",
            "s3cret",
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            "repo  read:user",
            Some(30),
        )
        .parse();
        let ok = ok.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.client_id, "Iv1.abc");
        assert_eq!(ok.scopes, ["repo", "read:user"]);
        let (a, t) = ("https://a/x", "https://a/y");
        assert!(refused(input(Github, "", "s", a, t, "repo", None)).contains("client ID"));
        assert!(refused(input(Github, "id", "", a, t, "repo", None)).contains("client secret"));
        assert!(refused(input(
            Github,
            "id",
            "s",
            "javascript:alert(1)",
            t,
            "repo",
            None
        ))
        .contains("authorize URL"));
        assert!(refused(input(Github, "id", "s", a, "nope", "repo", None)).contains("token URL"));
        assert!(
            refused(input(
                Github,
                "id",
                "s",
                "https://a/x?client_id=evil",
                t,
                "repo",
                None
            ))
            .contains("query or fragment"),
            "one URL rule for the web and the CLI"
        );
        assert!(refused(input(Github, "id", "s", a, t, " ", None)).contains("scope"));
        assert!(refused(input(Github, "id", "s", a, t, "repo", Some(0))).contains("expiry"));
        assert!(
            refused(input(BitbucketServer, "id", "s", a, t, "repo", None))
                .contains("not available")
        );
    }
}
