//! The built `gitpat` binary as a separate process, for the load and crash tests: a temporary
//! folder with the database, key file and logs; `gitpat serve` on a free loopback port (killed on
//! drop); and the admin commands. Sessions over HTTP are in `session`.

use crate::session::client;
use provider_emulator::{Emulator, FakeToken};
use rand::Rng;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "load-test-password-1";
pub const TOKEN_PAGE: &str = "/git-personal-access-tokens";
/// The first seeded runtime's name: the token page lists it.
pub const PAGE_MARK: &str = "runtime-001";

/// Whether the long variants were asked for (`GITPAT_LONG_TESTS=1`).
pub fn long() -> bool {
    std::env::var("GITPAT_LONG_TESTS").is_ok_and(|v| v == "1")
}

/// The run's random seed: `GITPAT_TEST_SEED` to repeat one, printed either way.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("GITPAT_TEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    println!("{test}: seed {seed} (GITPAT_TEST_SEED={seed} repeats it)");
    seed
}

/// `n` distinct GitHub classic PAT shaped tokens.
pub fn token_pool(rng: &mut impl Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let tail: String = (0..36)
                .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
                .collect();
            format!("ghp_{tail}")
        })
        .collect()
}

pub fn sha256_hex(s: &str) -> String {
    app::ssr::crypto::sha256_hex(s)
}

/// The temporary home of one run.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub emulator: Emulator,
    pub emulator_url: String,
    logs: usize,
}

/// A running `gitpat serve`; killed on drop.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub log: PathBuf,
}

/// What `gitpat admin verify` found.
pub struct Verified {
    pub ok: bool,
    /// (email, runtime id) -> SHA-256 of the stored token, or "UNREADABLE".
    pub rows: HashMap<(String, i64), String>,
    pub other: Vec<String>,
}

impl Harness {
    /// A temporary folder and an in-process provider emulator on a free port.
    pub async fn new() -> Harness {
        let emulator = Emulator::default();
        let addr = emulator.spawn("127.0.0.1:0").await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("site")).unwrap();
        Harness {
            dir,
            emulator,
            emulator_url: format!("http://{addr}"),
            logs: 0,
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("gitpat.db")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gitpat"));
        let key = crate::helpers::key_setting(self.dir.path());
        // Only our settings: nothing inherited (a GITPAT_MASTER_KEY, say) applies.
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "GITPAT_DATABASE_URL",
                crate::helpers::database_url(self.dir.path(), "gitpat.db"),
            )
            .env(key.0, key.1)
            .env("LEPTOS_SITE_ROOT", self.dir.path().join("site"))
            // No background re-validation writes during a run.
            .env("GITPAT_REVALIDATE_EVERY", "1h")
            .env("GITPAT_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
            .env("GITPAT_USER_PROVIDER_CALLS_PER_MINUTE", "100000")
            .env("GITPAT_ALLOW_PRIVATE_NETWORKS", "127.0.0.0/8")
            .env("RUST_LOG", "warn")
            .current_dir(self.dir.path())
            .args(args);
        c
    }

    /// `gitpat admin …` with `stdin`; panics with its stderr if it fails.
    pub fn admin(&self, args: &[&str], stdin: &str) -> String {
        let (ok, out, err) = self.admin_status(args, stdin);
        assert!(ok, "gitpat admin {args:?} failed: {err}");
        out
    }

    /// `gitpat admin …` that must fail; returns its stderr.
    pub fn admin_refused(&self, args: &[&str], stdin: &str) -> String {
        let (ok, out, err) = self.admin_status(args, stdin);
        assert!(!ok, "gitpat admin {args:?} succeeded: {out}");
        err
    }

    fn admin_status(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        let mut full = vec!["admin"];
        full.extend_from_slice(args);
        self.run(&full, stdin)
    }

    /// Runs `gitpat …` to its end: whether it succeeded, its stdout and its stderr.
    pub fn run(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        self.run_with(&[], args, stdin)
    }

    /// The same, with some settings of `env` instead of the harness's.
    pub fn run_with(
        &self,
        env: &[(&str, &str)],
        args: &[&str],
        stdin: &str,
    ) -> (bool, String, String) {
        use std::io::Write;
        let mut child = self
            .command(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// `users` members of one account with `runtimes` GitHub runtimes at the emulator and no
    /// tokens; returns their emails and the runtime ids.
    pub async fn seed(&self, users: usize, runtimes: usize) -> (Vec<String>, Vec<i64>) {
        let (u, r) = (users.to_string(), runtimes.to_string());
        self.admin(
            &[
                "seed",
                "--users",
                &u,
                "--accounts",
                "1",
                "--runtimes",
                &r,
                "--tokens",
                "0",
                "--emulator",
                &self.emulator_url,
            ],
            &format!("{PASSWORD}\n"),
        );
        let pool = self.read_only().await;
        let emails: Vec<String> = app::on_db!(&pool, |e| sqlx::query_scalar(
            "SELECT email FROM users ORDER BY id"
        )
        .fetch_all(e)
        .await)
        .unwrap();
        let ids: Vec<i64> = app::on_db!(&pool, |e| sqlx::query_scalar(
            "SELECT id FROM runtimes ORDER BY id"
        )
        .fetch_all(e)
        .await)
        .unwrap();
        pool.close().await;
        assert_eq!((emails.len(), ids.len()), (users, runtimes));
        (emails, ids)
    }

    /// A connection to the database for checks; read-only on SQLite.
    pub async fn read_only(&self) -> app::ssr::db::Db {
        let url = crate::helpers::database_url(self.dir.path(), "gitpat.db");
        if url.starts_with("sqlite:") {
            let url = format!("sqlite://{}?mode=ro", self.db_path().display());
            return sqlx::SqlitePool::connect(&url).await.unwrap().into();
        }
        sqlx::PgPool::connect(&url).await.unwrap().into()
    }

    /// Valid GitHub tokens (scope `repo`) at the emulator.
    pub fn register_tokens<'a>(&self, tokens: impl IntoIterator<Item = &'a String>) {
        for t in tokens {
            self.emulator.register(FakeToken {
                token: t.clone(),
                login: "loadtester".into(),
                scopes: vec!["repo".into()],
                ..Default::default()
            });
        }
    }

    /// Starts `gitpat serve` on a free port and waits until `/healthz` answers.
    pub async fn start_server(&mut self) -> Server {
        self.start_server_with(&[]).await
    }

    /// The same, with some settings of `env` instead of the harness's.
    pub async fn start_server_with(&mut self, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        self.logs += 1;
        let log = self.dir.path().join(format!("{:02}-serve.log", self.logs));
        let out = std::fs::File::create(&log).unwrap();
        let child = self
            .command(&["serve"])
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let mut server = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        let http = client();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("gitpat serve exited with {status}:\n{}", server.log_tail());
            }
            let healthy = http
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK);
            if healthy {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "gitpat serve not healthy after 30 s:\n{}",
                server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `gitpat admin verify` (integrity check, every token decrypted) plus our own
    /// `PRAGMA integrity_check`. Only while no server runs on the database.
    pub async fn verify(&self) -> Verified {
        let (ok, out, err) = self.admin_status(&["verify"], "");
        let mut rows = HashMap::new();
        let mut other: Vec<String> = err.lines().map(str::to_string).collect();
        for line in out.lines().chain(err.lines()) {
            let parts: Vec<&str> = line.split('\t').collect();
            match parts[..] {
                [email, rt, verdict] if rt.parse::<i64>().is_ok() => {
                    let verdict = if verdict.len() == 64 {
                        verdict.to_string()
                    } else {
                        "UNREADABLE".to_string()
                    };
                    let key = (email.to_string(), rt.parse().unwrap());
                    if rows.insert(key.clone(), verdict).is_some() {
                        other.push(format!("duplicate row for {key:?}"));
                    }
                }
                _ => {}
            }
        }
        let pool = self.read_only().await;
        // SQLite's own check of its file; PostgreSQL checks its pages itself.
        let integrity: String = app::on_db!(
            &pool,
            sqlite
                | e
                | sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(e)
                    .await,
            postgres | _e | Ok::<_, sqlx::Error>("ok".to_string())
        )
        .unwrap();
        pool.close().await;
        Verified {
            ok: ok && integrity == "ok",
            rows,
            other,
        }
    }
}

impl Server {
    /// Sends `signal` (`TERM` or `KILL`) and waits; the exit code, `None` if it had to be killed.
    pub fn stop(&mut self, signal: &str) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", child.id())])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's resident memory, in KiB (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
