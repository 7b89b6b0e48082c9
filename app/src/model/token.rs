//! A runtime's Git user token as the table shows it, and the checks on what a user pastes.

use super::RuntimeRow;
use serde::{Deserialize, Serialize};

/// Where a runtime's Git user token stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum TokenStatus {
    Valid,
    /// Valid, but expires within [`EXPIRING_WITHIN_DAYS`].
    Expiring,
    Expired,
    /// The provider rejects it, or required scopes are missing.
    Invalid,
    /// The provider could not be asked; the previous verdict is kept in `last_error`'s sense.
    Unreachable,
    /// Valid, but GitHub refuses it for the runtime's repository until the user authorizes it
    /// for the organisation's SAML single sign-on. Never stored: shown while the token has an
    /// SSO link.
    NeedsSso,
    /// No token yet.
    None,
}

pub const EXPIRING_WITHIN_DAYS: i64 = 7;

/// A token no runtime has read for this many days (counted from when it was stored, if never)
/// is flagged on its row: it may be one nobody needs any more.
pub const UNUSED_FLAG_DAYS: i64 = 90;

/// Whether a token last read at `last_used_at` (`None`: never), held since `since`, counts as
/// unused at `now`.
pub fn unused_long(
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    since: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - last_used_at.unwrap_or(since) >= chrono::Duration::days(UNUSED_FLAG_DAYS)
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Valid => "valid",
            TokenStatus::Expiring => "expiring",
            TokenStatus::Expired => "expired",
            TokenStatus::Invalid => "invalid",
            TokenStatus::Unreachable => "unreachable",
            TokenStatus::NeedsSso => "needs_sso",
            TokenStatus::None => "none",
        }
    }

    pub fn parse(s: &str) -> TokenStatus {
        match s {
            "valid" => TokenStatus::Valid,
            "expiring" => TokenStatus::Expiring,
            "expired" => TokenStatus::Expired,
            "invalid" => TokenStatus::Invalid,
            "unreachable" => TokenStatus::Unreachable,
            "needs_sso" => TokenStatus::NeedsSso,
            _ => TokenStatus::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenStatus::Valid => "Valid",
            TokenStatus::Expiring => "Expiring soon",
            TokenStatus::Expired => "Expired",
            TokenStatus::Invalid => "Invalid",
            TokenStatus::Unreachable => "Provider unreachable",
            TokenStatus::NeedsSso => "Needs SSO authorization",
            TokenStatus::None => "No token",
        }
    }

    /// Statuses that raise a notification (unless hidden for the runtime).
    pub fn alerts(self) -> bool {
        matches!(
            self,
            TokenStatus::Invalid | TokenStatus::Expired | TokenStatus::NeedsSso
        )
    }

    /// The status a working token has, given its expiry and the time now.
    pub fn from_expiry(
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> TokenStatus {
        match expires_at {
            Some(e) if e <= now => TokenStatus::Expired,
            Some(e) if e - now <= chrono::Duration::days(EXPIRING_WITHIN_DAYS) => {
                TokenStatus::Expiring
            }
            _ => TokenStatus::Valid,
        }
    }
}

/// How a token was given: pasted (a personal access token) or issued by OAuth2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum TokenMethod {
    Pat,
    Oauth,
}

/// The token side of a table row: what may be shown of a stored token. Never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub method: TokenMethod,
    pub last4: String,
    pub provider_login: Option<String>,
    pub username: Option<String>,
    /// `None` where the provider cannot tell the scopes.
    pub scopes: Option<Vec<String>>,
    #[serde(with = "chrono::serde::ts_seconds_option")]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(with = "chrono::serde::ts_seconds")]
    pub last_validated_at: chrono::DateTime<chrono::Utc>,
    pub last_error: Option<String>,
    /// When the runtime last read it through the credential API (`None`: not yet).
    #[serde(with = "chrono::serde::ts_seconds_option")]
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// No runtime has read it for [`UNUSED_FLAG_DAYS`].
    pub unused: bool,
    /// Other runtimes of this user that hold the same token (names).
    pub shared_with: Vec<String>,
    /// Where GitHub lets the user authorize the token for the organisation's single sign-on,
    /// while it refuses the token for the runtime's repository.
    pub sso_url: Option<String>,
}

/// What became of a deleted token at its provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AtProvider {
    /// Revoked there too.
    Revoked,
    /// Left valid there on purpose: these other runtimes of the user hold the same token.
    StillUsed(Vec<String>),
    /// The provider was asked and did not revoke it (why, in a few words).
    NotRevoked(String),
    /// No API revokes it (personal access tokens; OAuth tokens on Bitbucket): the user does it.
    ByHand,
}

/// A token deleted here, and what became of it at the provider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub runtime: String,
    pub provider: super::ProviderKind,
    pub at_provider: AtProvider,
    /// Where the user revokes it by hand.
    pub revoke_page: String,
}

/// A token rotated (or replaced by a new one) in every runtime of the user that held it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rotated {
    /// The runtimes that hold the new token now.
    pub runtimes: Vec<String>,
    /// The provider that issued the new token and revoked the old one (GitLab); `None` when the
    /// user made the new token.
    pub by: Option<super::ProviderKind>,
}

/// A row of the Git Personal Access Tokens table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub runtime: RuntimeRow,
    pub status: TokenStatus,
    pub token: Option<TokenInfo>,
    pub notifications_hidden: bool,
    /// The account admin set up OAuth2 for this runtime's provider.
    pub oauth_available: bool,
    /// The runtime's account's token policy.
    pub policy: super::TokenPolicy,
}

impl TokenRow {
    /// Whether this row counts towards the bell.
    pub fn notifies(&self) -> bool {
        self.status.alerts() && !self.notifications_hidden
    }
}

/// Largest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 1024;

/// Checks a pasted token before any provider is asked. Surrounding whitespace (from copying) is
/// trimmed; anything else odd is refused with a message that never repeats the token.
pub fn check_token_input(raw: &str) -> Result<&str, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(
            "Paste your personal access token into the Personal Access Token field.".into(),
        );
    }
    if t.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "The token is longer than {MAX_TOKEN_LEN} bytes; paste only the token."
        ));
    }
    if t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "The token contains spaces or control characters; paste only the token.".into(),
        );
    }
    if !t.is_ascii() {
        return Err("The token contains characters that no Git provider uses in tokens.".into());
    }
    Ok(t)
}

/// Checks the Bitbucket username (or Atlassian account email).
pub fn check_username_input(raw: &str) -> Result<&str, String> {
    let u = raw.trim();
    if u.is_empty() {
        return Err("Enter your Bitbucket username (for Bitbucket Cloud API tokens, your Atlassian account email).".into());
    }
    if u.len() > 254
        || u.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ':')
    {
        return Err("The Bitbucket username is not valid.".into());
    }
    Ok(u)
}
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn status_from_expiry() {
        let now = Utc::now();
        assert_eq!(TokenStatus::from_expiry(None, now), TokenStatus::Valid);
        assert_eq!(
            TokenStatus::from_expiry(Some(now + Duration::days(30)), now),
            TokenStatus::Valid
        );
        assert_eq!(
            TokenStatus::from_expiry(Some(now + Duration::days(3)), now),
            TokenStatus::Expiring
        );
        assert_eq!(
            TokenStatus::from_expiry(Some(now - Duration::seconds(1)), now),
            TokenStatus::Expired
        );
    }

    #[test]
    fn token_input_rules() {
        assert_eq!(check_token_input("  ghp_abc\n").unwrap(), "ghp_abc");
        assert!(check_token_input("").unwrap_err().contains("Paste"));
        assert!(check_token_input("   ").is_err());
        assert!(check_token_input(&"a".repeat(MAX_TOKEN_LEN + 1))
            .unwrap_err()
            .contains("longer"));
        assert!(check_token_input("ghp_a b").unwrap_err().contains("spaces"));
        assert!(check_token_input("ghp_a\u{0}b").is_err());
        assert!(
            check_token_input("ghp_a\u{200b}b").is_err(),
            "zero-width space"
        );
        assert!(check_token_input("ghp_аbc").is_err(), "Cyrillic a");
        let err = check_token_input("secret value").unwrap_err();
        assert!(!err.contains("secret"), "errors never echo the token");
    }

    #[test]
    fn username_rules() {
        assert_eq!(
            check_username_input(" dana@gitpat.dev ").unwrap(),
            "dana@gitpat.dev"
        );
        assert!(check_username_input("").is_err());
        assert!(check_username_input("a:b").is_err());
    }
}
