//! What account admins see in the Admin area, and the audit trail.

use super::{ProviderKind, Role, RuntimeRow};
use serde::{Deserialize, Serialize};

/// An account's OAuth app as its admins see it: never the client secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthAppView {
    pub account_id: i64,
    pub account_name: String,
    pub provider: ProviderKind,
    pub client_id: String,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: String,
    pub expiry_days: Option<i64>,
}

/// A member of an account, as its admins see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// A runtime API key as listed: its prefix and dates, never the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuntimeKeyView {
    pub runtime_id: i64,
    pub prefix: String,
    #[serde(with = "chrono::serde::ts_seconds")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked: bool,
}

/// One account in the Admin area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminAccount {
    pub id: i64,
    pub name: String,
    pub runtimes: Vec<RuntimeRow>,
    pub keys: Vec<RuntimeKeyView>,
    pub members: Vec<MemberView>,
    pub oauth_apps: Vec<OAuthAppView>,
    /// The account's latest audit events.
    pub audit: Vec<AuditEntry>,
}

/// One event of an account's audit trail, for its admins: who did what, to which runtime, from
/// where. Never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    #[serde(with = "chrono::serde::ts_seconds")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub who: Option<String>,
    pub action: String,
    pub runtime: Option<String>,
    pub detail: String,
    pub client_addr: Option<String>,
}

/// Words for an audit action, as the pages show it.
pub fn action_label(action: &str) -> &str {
    match action {
        "token.add" => "Token added",
        "token.replace" => "Token replaced",
        "token.delete" => "Token deleted",
        "token.oauth" => "Authorized with OAuth",
        "notifications.hide" => "Notifications hidden",
        "notifications.show" => "Notifications shown",
        "login.success" => "Signed in",
        "login.failure" => "Sign-in failed",
        "password.change" => "Password changed",
        "credential.read" => "Credential read by the runtime",
        "admin.oauth_app.set" => "OAuth app saved",
        "admin.oauth_app.remove" => "OAuth app removed",
        "admin.member.set" => "Member added or role changed",
        "admin.runtime.add" => "Runtime added",
        "admin.runtime_key.create" => "Runtime API key created",
        "admin.runtime_key.revoke" => "Runtime API key revoked",
        other => other,
    }
}

/// One line of the user's "Recent activity": what happened, to which runtime, when. Never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ActivityItem {
    #[serde(with = "chrono::serde::ts_seconds")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub action: String,
    pub runtime: Option<String>,
    pub client_addr: Option<String>,
}
