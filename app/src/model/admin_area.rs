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

/// How recently a runtime read a member's token, for the Admin area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TokenUseView {
    pub runtime_id: i64,
    pub email: String,
    #[serde(with = "chrono::serde::ts_seconds")]
    pub last_used_at: chrono::DateTime<chrono::Utc>,
}

/// The Admin area lists, per runtime, whose tokens it read within this many days.
pub const RECENT_USE_DAYS: i64 = 30;

/// One account in the Admin area.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminAccount {
    pub id: i64,
    pub name: String,
    pub runtimes: Vec<RuntimeRow>,
    pub keys: Vec<RuntimeKeyView>,
    pub members: Vec<MemberView>,
    /// Members' tokens the account's runtimes read within [`RECENT_USE_DAYS`], latest first.
    pub recent_use: Vec<TokenUseView>,
    pub policy: super::TokenPolicy,
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
    pub action: AuditAction,
    pub runtime: Option<String>,
    pub detail: String,
    pub client_addr: Option<String>,
}

/// What an audit event records. Stored by its dotted name (`token.add`, `admin.runtime.add`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text"))]
pub enum AuditAction {
    #[serde(rename = "token.add")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "token.add"))]
    TokenAdd,
    #[serde(rename = "token.replace")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "token.replace"))]
    TokenReplace,
    #[serde(rename = "token.delete")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "token.delete"))]
    TokenDelete,
    #[serde(rename = "token.oauth")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "token.oauth"))]
    TokenOauth,
    #[serde(rename = "notifications.hide")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "notifications.hide"))]
    NotificationsHide,
    #[serde(rename = "notifications.show")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "notifications.show"))]
    NotificationsShow,
    #[serde(rename = "reminders.on")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "reminders.on"))]
    RemindersOn,
    #[serde(rename = "reminders.off")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "reminders.off"))]
    RemindersOff,
    #[serde(rename = "login.success")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "login.success"))]
    LoginSuccess,
    #[serde(rename = "login.failure")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "login.failure"))]
    LoginFailure,
    #[serde(rename = "password.change")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "password.change"))]
    PasswordChange,
    #[serde(rename = "credential.read")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "credential.read"))]
    CredentialRead,
    #[serde(rename = "admin.oauth_app.set")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.oauth_app.set"))]
    OauthAppSet,
    #[serde(rename = "admin.oauth_app.remove")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.oauth_app.remove"))]
    OauthAppRemove,
    #[serde(rename = "admin.member.set")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.member.set"))]
    MemberSet,
    #[serde(rename = "admin.runtime.add")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.runtime.add"))]
    RuntimeAdd,
    #[serde(rename = "admin.runtime_key.create")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.runtime_key.create"))]
    RuntimeKeyCreate,
    #[serde(rename = "admin.runtime_key.revoke")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.runtime_key.revoke"))]
    RuntimeKeyRevoke,
    #[serde(rename = "admin.member.remove")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.member.remove"))]
    MemberRemove,
    #[serde(rename = "admin.runtime.remove")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.runtime.remove"))]
    RuntimeRemove,
    #[serde(rename = "admin.policy.set")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.policy.set"))]
    PolicySet,
    #[serde(rename = "admin.runtime.repo")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "admin.runtime.repo"))]
    RuntimeRepoSet,
    #[serde(rename = "user.disable")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "user.disable"))]
    UserDisable,
    #[serde(rename = "user.enable")]
    #[cfg_attr(feature = "ssr", sqlx(rename = "user.enable"))]
    UserEnable,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TokenAdd => "token.add",
            AuditAction::TokenReplace => "token.replace",
            AuditAction::TokenDelete => "token.delete",
            AuditAction::TokenOauth => "token.oauth",
            AuditAction::NotificationsHide => "notifications.hide",
            AuditAction::NotificationsShow => "notifications.show",
            AuditAction::RemindersOn => "reminders.on",
            AuditAction::RemindersOff => "reminders.off",
            AuditAction::LoginSuccess => "login.success",
            AuditAction::LoginFailure => "login.failure",
            AuditAction::PasswordChange => "password.change",
            AuditAction::CredentialRead => "credential.read",
            AuditAction::OauthAppSet => "admin.oauth_app.set",
            AuditAction::OauthAppRemove => "admin.oauth_app.remove",
            AuditAction::MemberSet => "admin.member.set",
            AuditAction::RuntimeAdd => "admin.runtime.add",
            AuditAction::RuntimeKeyCreate => "admin.runtime_key.create",
            AuditAction::RuntimeKeyRevoke => "admin.runtime_key.revoke",
            AuditAction::MemberRemove => "admin.member.remove",
            AuditAction::RuntimeRemove => "admin.runtime.remove",
            AuditAction::PolicySet => "admin.policy.set",
            AuditAction::RuntimeRepoSet => "admin.runtime.repo",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
        }
    }

    /// Words for the action, as the pages show it.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::TokenAdd => "Token added",
            AuditAction::TokenReplace => "Token replaced",
            AuditAction::TokenDelete => "Token deleted",
            AuditAction::TokenOauth => "Authorized with OAuth",
            AuditAction::NotificationsHide => "Notifications hidden",
            AuditAction::NotificationsShow => "Notifications shown",
            AuditAction::RemindersOn => "Reminder mail turned on",
            AuditAction::RemindersOff => "Reminder mail turned off",
            AuditAction::LoginSuccess => "Signed in",
            AuditAction::LoginFailure => "Sign-in failed",
            AuditAction::PasswordChange => "Password changed",
            AuditAction::CredentialRead => "Credential read by the runtime",
            AuditAction::OauthAppSet => "OAuth app saved",
            AuditAction::OauthAppRemove => "OAuth app removed",
            AuditAction::MemberSet => "Member added or role changed",
            AuditAction::RuntimeAdd => "Runtime added",
            AuditAction::PolicySet => "Token policy set",
            AuditAction::RuntimeRepoSet => "Runtime repository changed",
            AuditAction::RuntimeKeyCreate => "Runtime API key created",
            AuditAction::RuntimeKeyRevoke => "Runtime API key revoked",
            AuditAction::MemberRemove => "Member removed",
            AuditAction::RuntimeRemove => "Runtime removed",
            AuditAction::UserDisable => "User disabled",
            AuditAction::UserEnable => "User enabled",
        }
    }
}

/// One line of the user's "Recent activity": what happened, to which runtime, when. Never a secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ActivityItem {
    #[serde(with = "chrono::serde::ts_seconds")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub action: AuditAction,
    pub runtime: Option<String>,
    pub client_addr: Option<String>,
}
