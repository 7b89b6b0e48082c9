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
