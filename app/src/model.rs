//! Types shared by the server and the browser. No I/O here, and nothing secret: every type in
//! this module may be serialized to the browser.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The Git providers a GitOps Runtime can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Github,
    GithubEnterprise,
    Gitlab,
    GitlabSelfManaged,
    Bitbucket,
    BitbucketServer,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 6] = [
        ProviderKind::Github,
        ProviderKind::GithubEnterprise,
        ProviderKind::Gitlab,
        ProviderKind::GitlabSelfManaged,
        ProviderKind::Bitbucket,
        ProviderKind::BitbucketServer,
    ];

    /// The stable identifier used in the database, the CLI and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Github => "github",
            ProviderKind::GithubEnterprise => "github_enterprise",
            ProviderKind::Gitlab => "gitlab",
            ProviderKind::GitlabSelfManaged => "gitlab_self_managed",
            ProviderKind::Bitbucket => "bitbucket",
            ProviderKind::BitbucketServer => "bitbucket_server",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Github => "GitHub",
            ProviderKind::GithubEnterprise => "GitHub Enterprise",
            ProviderKind::Gitlab => "GitLab",
            ProviderKind::GitlabSelfManaged => "GitLab Self-Managed",
            ProviderKind::Bitbucket => "Bitbucket Cloud",
            ProviderKind::BitbucketServer => "Bitbucket Server",
        }
    }

    /// The provider family, which names the logo and the OAuth button ("Authorize Access to GitHub").
    pub fn family(self) -> &'static str {
        match self {
            ProviderKind::Github | ProviderKind::GithubEnterprise => "GitHub",
            ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => "GitLab",
            ProviderKind::Bitbucket | ProviderKind::BitbucketServer => "Bitbucket",
        }
    }

    pub fn logo(self) -> &'static str {
        match self {
            ProviderKind::Github | ProviderKind::GithubEnterprise => "/logos/github.svg",
            ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => "/logos/gitlab.svg",
            ProviderKind::Bitbucket | ProviderKind::BitbucketServer => "/logos/bitbucket.svg",
        }
    }

    /// Bitbucket authenticates Git over HTTPS with a username (or Atlassian email) beside the token.
    pub fn needs_username(self) -> bool {
        matches!(
            self,
            ProviderKind::Bitbucket | ProviderKind::BitbucketServer
        )
    }

    /// The REST base a runtime uses when the admin gives none. Self-hosted kinds have no default.
    pub fn default_api_url(self) -> Option<&'static str> {
        match self {
            ProviderKind::Github => Some("https://api.github.com"),
            ProviderKind::Gitlab => Some("https://gitlab.com/api/v4"),
            ProviderKind::Bitbucket => Some("https://api.bitbucket.org/2.0"),
            _ => None,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown provider kind '{s}' (expected one of: {})",
                    ProviderKind::ALL.map(|k| k.as_str()).join(", ")
                )
            })
    }
}

/// Membership role of a user in an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_kinds_round_trip_and_reject_unknown() {
        for k in ProviderKind::ALL {
            assert_eq!(k.as_str().parse::<ProviderKind>().unwrap(), k);
        }
        let err = "gitea".parse::<ProviderKind>().unwrap_err();
        assert!(err.contains("unknown provider kind 'gitea'"), "{err}");
        assert!(err.contains("bitbucket_server"));
    }

    #[test]
    fn only_bitbucket_needs_a_username() {
        let with: Vec<_> = ProviderKind::ALL
            .into_iter()
            .filter(|k| k.needs_username())
            .collect();
        assert_eq!(
            with,
            [ProviderKind::Bitbucket, ProviderKind::BitbucketServer]
        );
    }

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

/// Where a runtime's Git user token stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Valid,
    /// Valid, but expires within [`EXPIRING_WITHIN_DAYS`].
    Expiring,
    Expired,
    /// The provider rejects it, or required scopes are missing.
    Invalid,
    /// The provider could not be asked; the previous verdict is kept in `last_error`'s sense.
    Unreachable,
    /// No token yet.
    None,
}

pub const EXPIRING_WITHIN_DAYS: i64 = 7;

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Valid => "valid",
            TokenStatus::Expiring => "expiring",
            TokenStatus::Expired => "expired",
            TokenStatus::Invalid => "invalid",
            TokenStatus::Unreachable => "unreachable",
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
            TokenStatus::None => "No token",
        }
    }

    /// Statuses that raise a notification (unless hidden for the runtime).
    pub fn alerts(self) -> bool {
        matches!(self, TokenStatus::Invalid | TokenStatus::Expired)
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

/// The token side of a table row: what may be shown of a stored token. Never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub method: String,
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
    /// Other runtimes of this user that hold the same token (names).
    pub shared_with: Vec<String>,
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
}

impl TokenRow {
    /// Whether this row counts towards the bell.
    pub fn notifies(&self) -> bool {
        self.status.alerts() && !self.notifications_hidden
    }
}

/// A one-time message shown after a form post (the no-JavaScript path and redirects).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flash {
    pub error: bool,
    pub text: String,
    /// A refused form's error: the form it came back to shows it in place, not the page head.
    #[serde(default)]
    pub in_form: bool,
}

/// The notices a successful change leaves, written once for both paths: the server keeps them
/// for the next page of a plain form post, the browser shows them after a scripted call.
pub mod notice {
    pub fn token_added(runtime: &str) -> String {
        format!("Token added to {runtime}.")
    }
    pub fn token_deleted(runtime: &str) -> String {
        format!("Token deleted from {runtime}.")
    }
    pub fn notifications(hidden: bool) -> String {
        if hidden {
            "Notifications hidden.".into()
        } else {
            "Notifications shown.".into()
        }
    }
    pub const PASSWORD_CHANGED: &str = "Password changed. Your other sessions were signed out.";
    pub fn oauth_app_saved(family: &str) -> String {
        format!("OAuth app for {family} saved.")
    }
    pub fn oauth_app_removed(label: &str) -> String {
        format!("OAuth app for {label} removed.")
    }
    pub fn runtime_added(name: &str) -> String {
        format!("Runtime {name} added.")
    }
    pub fn member_added(email: &str) -> String {
        format!("{email} added.")
    }
    pub const KEY_CREATED: &str = "API key created. Copy it now: it is shown only once.";
    pub fn key_revoked(prefix: &str) -> String {
        format!("API key {prefix} revoked.")
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
mod token_tests {
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

/// The provider page where a user creates a token, with the required scopes pre-selected where
/// the provider allows it. Self-hosted hosts are derived from the runtime's API URL.
pub fn token_page_url(kind: ProviderKind, api_url: &str) -> String {
    let base = |suffix: &str| {
        let api = api_url.trim_end_matches('/');
        api.strip_suffix(suffix).unwrap_or(api).to_string()
    };
    match kind {
        ProviderKind::Github => "https://github.com/settings/tokens/new?scopes=repo&description=gitpat".into(),
        ProviderKind::GithubEnterprise => format!("{}/settings/tokens/new?scopes=repo&description=gitpat", base("/api/v3")),
        ProviderKind::Gitlab => {
            "https://gitlab.com/-/user_settings/personal_access_tokens?name=gitpat&scopes=write_repository,read_api".into()
        }
        ProviderKind::GitlabSelfManaged => format!(
            "{}/-/user_settings/personal_access_tokens?name=gitpat&scopes=write_repository,read_api",
            base("/api/v4")
        ),
        ProviderKind::Bitbucket => "https://id.atlassian.com/manage-profile/security/api-tokens".into(),
        ProviderKind::BitbucketServer => format!("{}/plugins/servlet/access-tokens/manage", base("/rest/api/1.0")),
    }
}

/// The seed's steps for generating a token, corrected where the providers changed since.
pub fn token_steps(kind: ProviderKind) -> &'static [&'static str] {
    match kind {
        ProviderKind::Github | ProviderKind::GithubEnterprise => &[
            "Log in to your GitHub or GitHub Enterprise account.",
            "Select Settings > Developer Settings > Personal Access Tokens > Tokens (classic).",
            "Define the Token name and Expiration date, and select the scope: repo.",
            "Copy the token, and paste it below. (Fine-grained tokens work too; their scopes cannot be checked.)",
        ],
        ProviderKind::Gitlab | ProviderKind::GitlabSelfManaged => &[
            "Log in to your GitLab Cloud or Server account.",
            "Select User settings > Access tokens.",
            "Define the Token name and Expiration date, and select the scopes: write_repository (includes read_repository) and read_api.",
            "Copy the token, and paste it below.",
        ],
        ProviderKind::Bitbucket => &[
            "Log in to your Atlassian account and open Security > API tokens (Bitbucket app passwords were withdrawn).",
            "Create an API token with scopes for Bitbucket: Repositories: Write, Account: Read, Workspace membership: Read.",
            "Copy the token, and paste it below. As the Bitbucket username, enter your Atlassian account email.",
        ],
        ProviderKind::BitbucketServer => &[
            "Log in to your Bitbucket Server or Data Center account.",
            "Select Manage account > HTTP access tokens, and create a token with Repository write permission.",
            "Copy the token, and paste it below, with your Bitbucket username.",
        ],
    }
}

#[cfg(test)]
mod link_tests {
    use super::*;

    #[test]
    fn token_pages_follow_the_runtime_host() {
        assert!(
            token_page_url(ProviderKind::Github, "https://api.github.com").contains("scopes=repo")
        );
        assert_eq!(
            token_page_url(
                ProviderKind::GithubEnterprise,
                "https://ghe.acme.io/api/v3/"
            ),
            "https://ghe.acme.io/settings/tokens/new?scopes=repo&description=gitpat"
        );
        assert!(token_page_url(
            ProviderKind::GitlabSelfManaged,
            "https://git.acme.io/api/v4"
        )
        .starts_with("https://git.acme.io/-/user_settings/personal_access_tokens"));
        assert_eq!(
            token_page_url(
                ProviderKind::BitbucketServer,
                "https://bb.acme.io/rest/api/1.0"
            ),
            "https://bb.acme.io/plugins/servlet/access-tokens/manage"
        );
    }
}

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

/// How the pages write a moment, the same on the server and in the browser. The shared types
/// carry moments as whole seconds since the epoch and these avoid chrono's format strings: the
/// browser then needs neither chrono's parser nor its strftime engine (docs/performance.md).
pub mod when {
    use chrono::{DateTime, SecondsFormat, Timelike, Utc};

    /// `2026-12-01`
    pub fn date(d: DateTime<Utc>) -> String {
        d.date_naive().to_string()
    }

    /// `2026-12-01 14:05 UTC`
    pub fn minute(d: DateTime<Utc>) -> String {
        format!("{} {:02}:{:02} UTC", d.date_naive(), d.hour(), d.minute())
    }

    /// `2026-12-01 14:05:09 UTC`
    pub fn second(d: DateTime<Utc>) -> String {
        format!(
            "{} {:02}:{:02}:{:02} UTC",
            d.date_naive(),
            d.hour(),
            d.minute(),
            d.second()
        )
    }

    /// For a `<time datetime>` attribute: `2026-12-01T14:05:09Z`.
    pub fn machine(d: DateTime<Utc>) -> String {
        d.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// The shortest password a user may choose.
pub const MIN_PASSWORD_LEN: usize = 10;

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
