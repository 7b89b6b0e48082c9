//! Configuration from the environment (and `.env`), with the documented defaults.

use app::ssr::crypto::{self, Keyring};
use app::ssr::outbound::Outbound;
use app::ssr::request::TrustedProxies;
use leptos::config::LeptosOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/gitpat.db?mode=rwc";
pub const DEFAULT_KEY_FILE: &str = "data/master.key";

/// Where the master key comes from.
#[derive(Clone, PartialEq)]
pub enum KeySource {
    File(PathBuf),
    /// Base64 from `GITPAT_MASTER_KEY`; kept out of Debug output.
    Inline(String),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File(p) => write!(f, "File({})", p.display()),
            KeySource::Inline(_) => f.write_str("Inline(***SECRET***)"),
        }
    }
}

/// Reminder mail: where it goes out (`GITPAT_SMTP_URL`, lettre's URL form, which may hold a
/// password), the password from a file instead (`GITPAT_SMTP_PASSWORD_FILE`) and the sender.
#[derive(Clone, PartialEq)]
pub struct MailSettings {
    pub smtp_url: String,
    pub password_file: Option<PathBuf>,
    pub from: String,
}

impl MailSettings {
    /// The transport, reading the password file if there is one.
    pub fn mailer(&self) -> anyhow::Result<app::ssr::mail::Mailer> {
        let password = match &self.password_file {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                anyhow::anyhow!(
                    "GITPAT_SMTP_PASSWORD_FILE {} cannot be read: {e}",
                    p.display()
                )
            })?),
            None => None,
        };
        app::ssr::mail::Mailer::new(&self.smtp_url, password, &self.from)
            .map_err(anyhow::Error::msg)
    }
}

#[derive(Clone)]
pub struct Config {
    /// May hold a password (`postgres://user:password@…`): never printed whole.
    pub database_url: String,
    /// `GITPAT_DB_MAX_CONNECTIONS`: the PostgreSQL pool's size (SQLite keeps its one writer).
    pub db_max_connections: u32,
    pub key: KeySource,
    /// Earlier master keys (base64, comma-separated in `GITPAT_PREVIOUS_KEYS`), to read old ciphertexts.
    pub previous_keys: Vec<String>,
    pub public_url: Url,
    pub revalidate_every: Duration,
    /// Where `gitpat demo` starts the provider emulator.
    pub emulator_addr: String,
    /// Sign-in attempts allowed per minute and email (six times as many per client address).
    pub login_attempts_per_minute: u32,
    /// Token additions (and, apart, OAuth starts) a user may make per minute.
    pub user_provider_calls_per_minute: u32,
    /// `GITPAT_ALLOW_PRIVATE_NETWORKS`: private networks provider calls may go to after all.
    pub outbound: Outbound,
    /// `GITPAT_TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// `None` when `GITPAT_SMTP_URL` is unset: no reminder mail.
    pub mail: Option<MailSettings>,
    /// `GITPAT_REMINDER_EVERY`: how often the reminder pass looks for tokens to remind about.
    pub reminder_every: Duration,
    pub leptos_options: LeptosOptions,
}

/// Without secrets: the database URL's password, the keys and the earlier keys are left out.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &app::ssr::db::shown_url(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .field("key", &self.key)
            .field("previous_keys", &self.previous_keys.len())
            .field("public_url", &self.public_url.as_str())
            .field("revalidate_every", &self.revalidate_every)
            .field("emulator_addr", &self.emulator_addr)
            .field("login_attempts_per_minute", &self.login_attempts_per_minute)
            .field(
                "user_provider_calls_per_minute",
                &self.user_provider_calls_per_minute,
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .field("mail_from", &self.mail.as_ref().map(|m| m.from.as_str()))
            .field("reminder_every", &self.reminder_every)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads every setting through `get`, so tests can supply their own environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let site_addr: SocketAddr = get("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| {
                anyhow::anyhow!("LEPTOS_SITE_ADDR must be an address like 127.0.0.1:3000")
            })?;
        let site_root = get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into());
        let leptos_options = LeptosOptions::builder()
            .output_name(get("LEPTOS_OUTPUT_NAME").unwrap_or_else(|| "gitpat".into()))
            .site_root(site_root)
            .site_pkg_dir(get("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|| "pkg".into()))
            .site_addr(site_addr)
            .hash_files(match get("LEPTOS_HASH_FILES") {
                Some(v) => v == "true",
                // cargo-leptos writes hash.txt beside the binary when it hashes the assets.
                None => std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(|d| d.join("hash.txt").exists()))
                    .unwrap_or(false),
            })
            .reload_port(
                get("LEPTOS_RELOAD_PORT")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(3001),
            )
            .build();

        let public_url = match get("GITPAT_PUBLIC_URL") {
            Some(u) => parse_public_url(&u)?,
            None => Url::parse(&format!("http://{site_addr}/")).expect("an address makes a URL"),
        };
        let key = match (get("GITPAT_MASTER_KEY"), get("GITPAT_KEY_FILE")) {
            (Some(k), _) => KeySource::Inline(k),
            (None, file) => KeySource::File(file.unwrap_or_else(|| DEFAULT_KEY_FILE.into()).into()),
        };
        let database_url =
            get("GITPAT_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        // Replicas on other machines share no key file: on PostgreSQL each node gets the key
        // from its environment, and the database records which key that is.
        if app::ssr::db::is_postgres_url(&database_url) && matches!(key, KeySource::File(_)) {
            anyhow::bail!(
                "GITPAT_DATABASE_URL names PostgreSQL: set GITPAT_MASTER_KEY (the same on every \
                 node: 32 random bytes in base64, e.g. `openssl rand -base64 32`), not a key file"
            );
        }
        let revalidate_every = match get("GITPAT_REVALIDATE_EVERY") {
            Some(v) => parse_interval("GITPAT_REVALIDATE_EVERY", &v)?,
            None => Duration::from_secs(3600),
        };
        let reminder_every = match get("GITPAT_REMINDER_EVERY") {
            Some(v) => parse_interval("GITPAT_REMINDER_EVERY", &v)?,
            None => Duration::from_secs(3600),
        };
        let mail = match (get("GITPAT_SMTP_URL"), get("GITPAT_MAIL_FROM")) {
            (Some(smtp_url), Some(from)) => Some(MailSettings {
                smtp_url,
                password_file: get("GITPAT_SMTP_PASSWORD_FILE").map(PathBuf::from),
                from,
            }),
            (Some(_), None) => anyhow::bail!(
                "GITPAT_SMTP_URL is set: set GITPAT_MAIL_FROM too (the sender, e.g. gitpat@example.com)"
            ),
            (None, _) => None,
        };
        Ok(Config {
            database_url,
            db_max_connections: match get("GITPAT_DB_MAX_CONNECTIONS") {
                Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    anyhow::anyhow!("GITPAT_DB_MAX_CONNECTIONS must be a positive number")
                })?,
                None => 10,
            },
            key,
            previous_keys: get("GITPAT_PREVIOUS_KEYS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            public_url,
            revalidate_every,
            emulator_addr: get("GITPAT_EMULATOR_ADDR").unwrap_or_else(|| "127.0.0.1:3999".into()),
            login_attempts_per_minute: match get("GITPAT_LOGIN_ATTEMPTS_PER_MINUTE") {
                Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    anyhow::anyhow!("GITPAT_LOGIN_ATTEMPTS_PER_MINUTE must be a positive number")
                })?,
                None => 10,
            },
            user_provider_calls_per_minute: match get("GITPAT_USER_PROVIDER_CALLS_PER_MINUTE") {
                Some(v) => v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    anyhow::anyhow!(
                        "GITPAT_USER_PROVIDER_CALLS_PER_MINUTE must be a positive number"
                    )
                })?,
                None => 30,
            },
            outbound: Outbound::parse(&get("GITPAT_ALLOW_PRIVATE_NETWORKS").unwrap_or_default())
                .map_err(|e| anyhow::anyhow!("GITPAT_ALLOW_PRIVATE_NETWORKS: {e}"))?,
            trusted_proxies: TrustedProxies::parse(
                &get("GITPAT_TRUSTED_PROXIES").unwrap_or_default(),
            )
            .map_err(|e| anyhow::anyhow!("GITPAT_TRUSTED_PROXIES: {e}"))?,
            mail,
            reminder_every,
            leptos_options,
        })
    }

    /// Loads the master key (creating the default key file if absent) and any previous keys.
    pub fn keyring(&self) -> anyhow::Result<Keyring> {
        let current = match &self.key {
            KeySource::Inline(b64) => {
                crypto::parse_key(b64).map_err(|e| anyhow::anyhow!("GITPAT_MASTER_KEY: {e}"))?
            }
            KeySource::File(path) => crypto::load_or_create_key_file(path)?,
        };
        let previous = self
            .previous_keys
            .iter()
            .map(|k| crypto::parse_key(k).map_err(|e| anyhow::anyhow!("GITPAT_PREVIOUS_KEYS: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Keyring::new(&current, &previous))
    }

    /// Cookies get the Secure flag when the app is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

fn parse_public_url(u: &str) -> anyhow::Result<Url> {
    let url = Url::parse(u).map_err(|e| anyhow::anyhow!("GITPAT_PUBLIC_URL is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        anyhow::bail!(
            "GITPAT_PUBLIC_URL must be an http(s) URL with a host, like https://gitpat.example.com"
        );
    }
    Ok(url)
}

/// Parses the interval setting `name`, like `1h`, `30s`, `15m`.
pub fn parse_interval(name: &str, v: &str) -> anyhow::Result<Duration> {
    let d = humantime::parse_duration(v.trim()).map_err(|_| {
        anyhow::anyhow!("{name} must be a duration like 1h, 15m or 30s (got '{v}')")
    })?;
    if d < Duration::from_secs(1) {
        anyhow::bail!("{name} must be at least 1s");
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://data/gitpat.db?mode=rwc");
        assert_eq!(c.key, KeySource::File("data/master.key".into()));
        assert_eq!(c.revalidate_every, Duration::from_secs(3600));
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:3000/");
        assert!(!c.secure_cookies());
    }

    #[test]
    fn environment_overrides() {
        let c = cfg(&[
            ("GITPAT_DATABASE_URL", "sqlite::memory:"),
            ("GITPAT_MASTER_KEY", "AAAA"),
            ("GITPAT_PUBLIC_URL", "https://gitpat.example.com"),
            ("GITPAT_REVALIDATE_EVERY", "30s"),
            ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
        ])
        .unwrap();
        assert_eq!(c.database_url, "sqlite::memory:");
        assert_eq!(c.revalidate_every, Duration::from_secs(30));
        assert!(c.secure_cookies());
        assert_eq!(c.leptos_options.site_addr.port(), 8080);
        assert!(
            !format!("{c:?}").contains("AAAA"),
            "the inline key never prints"
        );
        let err = c.keyring().unwrap_err().to_string();
        assert!(err.contains("GITPAT_MASTER_KEY"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = cfg(&[("GITPAT_REVALIDATE_EVERY", "often")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GITPAT_REVALIDATE_EVERY"), "{err}");
        let err = cfg(&[("GITPAT_PUBLIC_URL", "ftp://x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GITPAT_PUBLIC_URL"), "{err}");
        let err = cfg(&[("LEPTOS_SITE_ADDR", "nowhere")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("LEPTOS_SITE_ADDR"), "{err}");
        let err = cfg(&[("GITPAT_DB_MAX_CONNECTIONS", "0")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GITPAT_DB_MAX_CONNECTIONS"), "{err}");
    }

    #[test]
    fn postgres_takes_the_key_from_the_environment_and_never_prints_its_password() {
        let url = "postgres://gitpat:hunter2-db@db.internal/gitpat";
        let err = cfg(&[("GITPAT_DATABASE_URL", url)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("set GITPAT_MASTER_KEY"), "{err}");
        assert!(!err.contains("hunter2-db"), "{err}");
        let c = cfg(&[
            ("GITPAT_DATABASE_URL", url),
            ("GITPAT_MASTER_KEY", "AAAA"),
            ("GITPAT_PREVIOUS_KEYS", "BBBB-old-key"),
            ("GITPAT_DB_MAX_CONNECTIONS", "25"),
        ])
        .unwrap();
        assert_eq!(c.db_max_connections, 25);
        let shown = format!("{c:?}");
        for secret in ["hunter2-db", "AAAA", "BBBB-old-key"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("db.internal"), "{shown}");
    }

    #[test]
    fn reminder_mail_needs_a_sender_and_never_prints_the_relay_password() {
        let url = "smtps://gitpat:hunter2-smtp@mail.example.com:465";
        let err = cfg(&[("GITPAT_SMTP_URL", url)]).unwrap_err().to_string();
        assert!(err.contains("GITPAT_MAIL_FROM"), "{err}");
        assert!(!err.contains("hunter2-smtp"), "{err}");
        let c = cfg(&[
            ("GITPAT_SMTP_URL", url),
            ("GITPAT_MAIL_FROM", "gitpat@example.com"),
            ("GITPAT_REMINDER_EVERY", "15m"),
        ])
        .unwrap();
        assert_eq!(c.reminder_every, Duration::from_secs(900));
        assert!(c.mail.as_ref().unwrap().mailer().is_ok());
        let shown = format!("{c:?} {:?}", c.mail.as_ref().unwrap().mailer().unwrap());
        assert!(!shown.contains("hunter2-smtp"), "{shown}");
        assert!(shown.contains("gitpat@example.com"), "{shown}");
        assert!(cfg(&[]).unwrap().mail.is_none(), "off when unset");
        let err = cfg(&[("GITPAT_REMINDER_EVERY", "soon")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("GITPAT_REMINDER_EVERY"), "{err}");
        // A password file needs the user in the URL; bad addresses name their setting.
        let bad = |pairs: &[(&str, &str)]| {
            cfg(pairs)
                .unwrap()
                .mail
                .unwrap()
                .mailer()
                .unwrap_err()
                .to_string()
        };
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("smtp-password");
        std::fs::write(&file, "from-a-file\n").unwrap();
        let file = file.display().to_string();
        assert!(bad(&[
            (
                "GITPAT_SMTP_URL",
                "smtp://mail.example.com:587?tls=required"
            ),
            ("GITPAT_SMTP_PASSWORD_FILE", &file),
            ("GITPAT_MAIL_FROM", "gitpat@example.com"),
        ])
        .contains("user name"));
        assert!(bad(&[
            ("GITPAT_SMTP_URL", "smtp://mail.example.com"),
            ("GITPAT_MAIL_FROM", "not an address"),
        ])
        .contains("GITPAT_MAIL_FROM"));
        assert!(bad(&[
            ("GITPAT_SMTP_URL", "http://mail.example.com"),
            ("GITPAT_MAIL_FROM", "gitpat@example.com"),
        ])
        .contains("GITPAT_SMTP_URL"));
        let c = cfg(&[
            (
                "GITPAT_SMTP_URL",
                "smtp://gitpat@mail.example.com:587?tls=required",
            ),
            ("GITPAT_SMTP_PASSWORD_FILE", &file),
            ("GITPAT_MAIL_FROM", "gitpat@example.com"),
        ])
        .unwrap();
        assert!(c.mail.unwrap().mailer().is_ok());
    }
}
