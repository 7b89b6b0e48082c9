//! Users, accounts and roles as the browser sees them.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

use super::ProviderKind;

/// Membership role of a user in an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(format!("unknown role '{s}' (expected admin or member)")),
        }
    }
}

/// An account the signed-in user belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// An account's token policy, set by its admins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPolicy {
    /// The longest lifetime a pasted token may have, in days; a token without an expiry is then
    /// refused too. `None`: no limit.
    pub max_token_days: Option<i64>,
    /// No pasted tokens where the account has an OAuth app for the runtime's provider.
    pub oauth_only: bool,
}

/// The most a policy can ask for: about ten years.
pub const MAX_POLICY_DAYS: i64 = 3650;

impl TokenPolicy {
    /// Whether the PAT path is closed for a runtime (`oauth_available`: the account has an OAuth
    /// app for its provider).
    pub fn pat_closed(self, oauth_available: bool) -> bool {
        self.oauth_only && oauth_available
    }

    /// What the Add Token form says before anything is pasted; `None` when there is no rule.
    pub fn statement(self, oauth_available: bool) -> Option<String> {
        if self.pat_closed(oauth_available) {
            return Some(
                "Your account admin allows OAuth2 only for this runtime: authorize with the button above.".into(),
            );
        }
        self.max_token_days.map(|d| {
            format!(
                "Your account admin allows tokens that expire within {d} day{}: set an expiration date when you create the token.",
                if d == 1 { "" } else { "s" }
            )
        })
    }

    /// Checks a pasted token's expiry against the policy at `now`; the error says why, in the
    /// form's words.
    pub fn check_expiry(
        self,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let Some(days) = self.max_token_days else {
            return Ok(());
        };
        match expires_at {
            None => Err(format!(
                "This token never expires, and your account admin allows tokens that expire within {days} days. Create one with an expiration date."
            )),
            Some(at) if at > now + chrono::Duration::days(days) => Err(format!(
                "This token expires on {}, later than the {days} days your account admin allows. Create one that expires sooner.",
                super::when::date(at)
            )),
            Some(_) => Ok(()),
        }
    }

    /// Parses the Admin area's form: days empty (no limit) or 1..=[`MAX_POLICY_DAYS`].
    pub fn parse(max_token_days: &str, oauth_only: bool) -> Result<TokenPolicy, String> {
        let days = max_token_days.trim();
        let max_token_days = if days.is_empty() {
            None
        } else {
            match days.parse::<i64>() {
                Ok(d) if (1..=MAX_POLICY_DAYS).contains(&d) => Some(d),
                _ => {
                    return Err(format!(
                        "Maximum token lifetime must be a number of days from 1 to {MAX_POLICY_DAYS}, or empty for no limit."
                    ))
                }
            }
        };
        Ok(TokenPolicy {
            max_token_days,
            oauth_only,
        })
    }
}

/// What the browser knows of the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub initials: String,
    pub accounts: Vec<AccountView>,
}

/// Expiry reminders by e-mail: whether this server sends any, and whether the user wants them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderMail {
    pub available: bool,
    pub on: bool,
}

/// One row of the Git Personal Access Tokens table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuntimeRow {
    pub id: i64,
    pub name: String,
    pub account_id: i64,
    pub account_name: String,
    pub provider: ProviderKind,
    pub api_url: String,
    /// The repository the runtime works on, which its tokens must be able to write to.
    pub repo: Option<String>,
}

/// Up to two initials from a display name, for the avatar.
pub fn initials(display_name: &str) -> String {
    let letters: String = display_name
        .split(|c: char| c.is_whitespace() || c == '.' || c == '-' || c == '_' || c == '@')
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_string()
    } else {
        letters
    }
}

/// Whether `next` is a safe place to send the user after login: a local absolute path only,
/// so a crafted link cannot bounce them to another site.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 2048
}

/// The shortest password a user may choose.
pub const MIN_PASSWORD_LEN: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn initials_from_names() {
        assert_eq!(initials("Dana Demo"), "DD");
        assert_eq!(initials("ops"), "O");
        assert_eq!(initials("mary-jane watson"), "MJ");
        assert_eq!(initials(""), "?");
    }

    #[test]
    fn local_paths_only() {
        assert!(is_local_path("/git-personal-access-tokens"));
        assert!(is_local_path("/a?b=c"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
            "",
        ] {
            assert!(!is_local_path(bad), "{bad:?} must be refused");
        }
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;
    use chrono::{Duration, Utc};

    #[test]
    fn a_policy_refuses_tokens_without_expiry_or_expiring_too_late() {
        let now = Utc::now();
        let p = TokenPolicy {
            max_token_days: Some(30),
            oauth_only: false,
        };
        assert!(p.check_expiry(Some(now + Duration::days(29)), now).is_ok());
        assert!(p
            .check_expiry(None, now)
            .unwrap_err()
            .contains("never expires"));
        assert!(p
            .check_expiry(Some(now + Duration::days(31)), now)
            .unwrap_err()
            .contains("later than the 30 days"));
        assert!(TokenPolicy::default().check_expiry(None, now).is_ok());
        assert_eq!(
            TokenPolicy::parse(" ", true).unwrap(),
            TokenPolicy {
                max_token_days: None,
                oauth_only: true
            }
        );
        assert_eq!(
            TokenPolicy::parse("90", false).unwrap().max_token_days,
            Some(90)
        );
        for bad in ["0", "-1", "ninety", "3651"] {
            assert!(TokenPolicy::parse(bad, false).is_err(), "{bad}");
        }
        let closed = TokenPolicy {
            max_token_days: None,
            oauth_only: true,
        };
        assert!(closed.pat_closed(true) && !closed.pat_closed(false));
        assert!(closed.statement(false).is_none());
        assert!(p.statement(true).unwrap().contains("within 30 days"));
    }
}
