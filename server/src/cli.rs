//! The `gitpat` command line (clap). Argument errors exit with code 2, as clap does.

use app::model::{ProviderKind, Role};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gitpat",
    version,
    about = "Git user tokens for GitOps Runtimes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (the default).
    Serve,
    /// Seed demo users, accounts and runtimes, start the provider emulator, and serve.
    #[cfg(feature = "demo")]
    Demo {
        /// Seed even over a database that holds other users than the demo's (it would add
        /// the demo users, whose password is printed, beside them).
        #[arg(long)]
        force: bool,
    },
    /// Manage users, accounts, memberships and runtimes.
    #[command(subcommand)]
    Admin(Box<AdminCommand>),
    /// Run only the provider emulator (at GITPAT_EMULATOR_ADDR), for the benchmark.
    #[cfg(feature = "demo")]
    Emulator,
    /// Git credential helper: `git -c credential.helper='!gitpat credential' …`.
    Credential {
        /// The operation git asks for: get, store or erase.
        operation: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    #[command(subcommand)]
    User(UserCommand),
    #[command(subcommand)]
    Account(AccountCommand),
    #[command(subcommand)]
    Member(MemberCommand),
    #[command(subcommand)]
    Runtime(RuntimeCommand),
    #[command(subcommand, name = "oauth-app")]
    OauthApp(OauthAppCommand),
    /// An account's token policy, as in the Admin area.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Bulk users, runtimes and tokens for load tests and benchmarks; the users' password is
    /// read from standard input.
    Seed {
        #[arg(long, default_value_t = 1)]
        users: usize,
        #[arg(long, default_value_t = 3)]
        accounts: usize,
        #[arg(long, default_value_t = 50)]
        runtimes: usize,
        /// Tokens per user: each user has one on the first this many runtimes.
        #[arg(long, default_value_t = 25)]
        tokens: usize,
        /// The provider emulator's base URL, e.g. http://127.0.0.1:3999.
        #[arg(long, value_parser = parse_api_url)]
        emulator: url::Url,
        /// Latency the emulator adds to every check of a seeded token.
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
    },
    /// Check the database's integrity and that every stored token decrypts; prints a SHA-256
    /// per token, never the token.
    Verify,
    /// Seal every token, refresh token and OAuth client secret under the current master key
    /// again, in batches (run it again to resume); then GITPAT_PREVIOUS_KEYS can go.
    Rekey,
    /// Copy every row from one database into a new, empty one (e.g. SQLite to PostgreSQL), ids
    /// kept, then verify the target with the configured master key. Stop the servers first.
    Copy {
        /// The database to copy from, e.g. sqlite://data/gitpat.db
        #[arg(long)]
        from: String,
        /// The new database, e.g. postgres://gitpat@db.internal/gitpat
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Set the policy (what is not given is off): pasted tokens must expire within
    /// --max-token-days; --oauth-only refuses them where the account has an OAuth app.
    Set {
        #[arg(long)]
        account: String,
        #[arg(long)]
        max_token_days: Option<String>,
        #[arg(long)]
        oauth_only: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OauthAppCommand {
    /// Create or replace an account's OAuth app for a provider; the client secret is read from
    /// standard input.
    Set {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = parse_provider)]
        provider: ProviderKind,
        #[arg(long)]
        client_id: String,
        #[arg(long, value_parser = parse_api_url)]
        authorize_url: url::Url,
        #[arg(long, value_parser = parse_api_url)]
        token_url: url::Url,
        /// The permissions, separated by spaces, e.g. "repo read:org".
        #[arg(long)]
        scopes: String,
        /// Token expiry when the provider gives none.
        #[arg(long, value_parser = clap::value_parser!(i64).range(1..=3650))]
        expiry_days: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Set a user's password (read from standard input) and end all their sessions.
    Password {
        #[arg(long, value_parser = parse_email)]
        email: String,
    },
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long, value_parser = parse_email)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        admin: bool,
    },
    /// Disable a user: every session ends, sign-in is refused, runtimes get no credential.
    Disable {
        #[arg(long, value_parser = parse_email)]
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long, value_parser = parse_email)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Add an account.
    Add {
        #[arg(value_parser = parse_name)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a user to an account (or change their role).
    Add {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = parse_email)]
        email: String,
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: Role,
    },
    /// Remove a user from an account, with their tokens for its runtimes.
    Remove {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = parse_email)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RuntimeCommand {
    /// API keys with which a runtime reads its users' Git credentials.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Add a GitOps Runtime to an account.
    Add {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = parse_name)]
        name: String,
        #[arg(long, value_parser = parse_provider)]
        provider: ProviderKind,
        /// The provider's REST base, e.g. https://github.example.com/api/v3 (required for self-hosted kinds).
        #[arg(long, value_parser = parse_api_url)]
        api_url: Option<url::Url>,
        /// The repository the runtime works on, which users' tokens must be able to write to:
        /// OWNER/NAME (GitHub), GROUP/PROJECT with any subgroups (GitLab), WORKSPACE/SLUG
        /// (Bitbucket Cloud) or PROJECT/SLUG (Bitbucket Server).
        #[arg(long)]
        repo: Option<String>,
    },
    /// Name the repository a runtime works on (without --repo: name none); its users' tokens
    /// are checked against it in the next re-validation.
    Repo {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = parse_name)]
        name: String,
        #[arg(long)]
        repo: Option<String>,
    },
    /// Remove a runtime, with its tokens, API keys and notification settings.
    Remove {
        #[arg(long)]
        account: String,
        #[arg(long, value_parser = parse_name)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        runtime: String,
    },
    /// List a runtime's keys by prefix and creation time.
    List {
        #[arg(long)]
        account: String,
        #[arg(long)]
        runtime: String,
    },
    /// Revoke a key by its prefix.
    Revoke {
        #[arg(long)]
        account: String,
        #[arg(long)]
        runtime: String,
        #[arg(long)]
        prefix: String,
    },
}

fn parse_provider(s: &str) -> Result<ProviderKind, String> {
    s.parse()
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn parse_email(s: &str) -> Result<String, String> {
    let s = s.trim();
    let ok = s.len() <= 254
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not an email address"))
    }
}

/// Names of accounts and runtimes: 1–100 printable characters.
pub fn parse_name(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("a name cannot be empty".into());
    }
    if s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err("a name must be at most 100 printable characters".into());
    }
    Ok(s.to_string())
}

/// The Admin area's rule for API URLs (`account_admin::check_api_url`), for the CLI's URLs.
pub fn parse_api_url(s: &str) -> Result<url::Url, String> {
    let checked = app::ssr::account_admin::check_api_url(s)?;
    url::Url::parse(&checked).map_err(|e| format!("'{s}' is not a URL ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("gitpat").chain(args.iter().copied()))
    }

    #[test]
    fn no_subcommand_means_serve() {
        assert!(parse(&[]).unwrap().command.is_none());
        assert!(matches!(
            parse(&["demo"]).unwrap().command,
            Some(Command::Demo { force: false })
        ));
    }

    #[test]
    fn runtime_add_parses_and_checks_its_arguments() {
        let cli = parse(&[
            "admin",
            "runtime",
            "add",
            "--account",
            "Acme",
            "--name",
            "prod",
            "--provider",
            "gitlab_self_managed",
            "--api-url",
            "https://git.acme.io/api/v4",
            "--repo",
            "platform/gitops/runtime",
        ])
        .unwrap();
        let Some(Command::Admin(admin)) = cli.command else {
            panic!("wrong command")
        };
        let AdminCommand::Runtime(RuntimeCommand::Add {
            provider,
            api_url,
            repo,
            ..
        }) = *admin
        else {
            panic!("wrong command")
        };
        assert_eq!(provider, ProviderKind::GitlabSelfManaged);
        assert_eq!(api_url.unwrap().as_str(), "https://git.acme.io/api/v4");
        assert_eq!(repo.as_deref(), Some("platform/gitops/runtime"));

        let err = parse(&[
            "admin",
            "runtime",
            "add",
            "--account",
            "A",
            "--name",
            "n",
            "--provider",
            "gitea",
        ])
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ValueValidation);
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("unknown provider kind 'gitea'"));

        let err = parse(&[
            "admin",
            "runtime",
            "add",
            "--account",
            "A",
            "--name",
            "n",
            "--provider",
            "github",
            "--api-url",
            "not a url",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("is not a URL"));
    }

    #[test]
    fn bad_emails_roles_and_names_are_refused() {
        assert_eq!(
            parse(&["admin", "user", "add", "--email", "nope"])
                .unwrap_err()
                .exit_code(),
            2
        );
        assert!(parse(&[
            "admin",
            "member",
            "add",
            "--account",
            "A",
            "--email",
            "a@b.co",
            "--role",
            "owner"
        ])
        .is_err());
        assert!(parse(&["admin", "account", "add", " "]).is_err());
        assert!(
            parse(&["admin", "user", "add"]).is_err(),
            "--email is required"
        );
        assert!(parse_email("dana@example.com").is_ok());
    }
}
