//! The operator's commands of the built binary, where they share a rule with the web.

use crate::process::*;

#[tokio::test]
async fn operators_choose_passwords_by_the_same_rule_as_users() {
    let h = Harness::new().await;
    let add = ["user", "add", "--email", "ops@corp.example"];
    let err = h.admin_refused(&add, "short\n");
    assert!(err.contains("at least 10 characters"), "{err}");
    let err = h.admin_refused(&add, "ten chars \u{7}bell\n");
    assert!(err.contains("control characters"), "{err}");
    let out = h.admin(&add, "a-long-enough-password\n");
    assert!(out.contains("user ops@corp.example added"), "{out}");
    let set = ["user", "password", "--email", "ops@corp.example"];
    let err = h.admin_refused(&set, "short\n");
    assert!(err.contains("at least 10 characters"), "{err}");
    h.admin(&set, "another-long-password\n");
}

#[tokio::test]
async fn the_demo_will_not_seed_beside_real_users() {
    let h = Harness::new().await;
    h.admin(
        &["user", "add", "--email", "real@corp.example"],
        "a-real-password-1\n",
    );
    let (ok, _, err) = h.run(&["demo"], "");
    assert!(!ok, "the demo started over a real user");
    assert!(
        err.contains("besides the demo's") && err.contains("--force"),
        "{err}"
    );
    let users: Vec<String> = {
        let pool = h.read_only().await;
        let users = app::on_db!(&pool, |e| sqlx::query_scalar("SELECT email FROM users")
            .fetch_all(e)
            .await)
        .unwrap();
        pool.close().await;
        users
    };
    assert_eq!(users, ["real@corp.example"], "no demo user was added");
}

#[tokio::test]
async fn runtimes_name_their_repository_by_the_admin_area_s_rule() {
    let h = Harness::new().await;
    h.admin(&["account", "add", "Acme"], "");
    let add = |repo: &'static str| {
        [
            "runtime",
            "add",
            "--account",
            "Acme",
            "--name",
            "prod",
            "--provider",
            "github",
            "--repo",
            repo,
        ]
    };
    let err = h.admin_refused(&add("acme"), "");
    assert!(err.contains("OWNER/NAME"), "{err}");
    let out = h.admin(&add("acme/gitops-runtime"), "");
    assert!(out.contains("repository acme/gitops-runtime"), "{out}");
    let pool = h.read_only().await;
    let repo: Option<String> = app::on_db!(&pool, |e| sqlx::query_scalar(
        "SELECT repo FROM runtimes WHERE name = 'prod'"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    pool.close().await;
    assert_eq!(repo.as_deref(), Some("acme/gitops-runtime"));

    let set = |repo: &'static str| {
        [
            "runtime",
            "repo",
            "--account",
            "Acme",
            "--name",
            "prod",
            "--repo",
            repo,
        ]
    };
    let err = h.admin_refused(&set("a/b/c"), "");
    assert!(err.contains("OWNER/NAME"), "{err}");
    let out = h.admin(&set("acme/platform-config"), "");
    assert!(out.contains("works on acme/platform-config"), "{out}");
    let out = h.admin(
        &["runtime", "repo", "--account", "Acme", "--name", "prod"],
        "",
    );
    assert!(out.contains("names no repository"), "{out}");
    let pool = h.read_only().await;
    let (repo, audit): (Option<String>, i64) = app::on_db!(&pool, |e| sqlx::query_as(
        "SELECT (SELECT repo FROM runtimes WHERE name = 'prod'),
                (SELECT COUNT(*) FROM audit_events WHERE action = 'admin.runtime.repo')"
    )
    .fetch_one(e)
    .await)
    .unwrap();
    pool.close().await;
    assert_eq!((repo, audit), (None, 2));
}

#[tokio::test]
async fn operators_set_the_token_policy_by_the_admin_area_s_rule() {
    let h = Harness::new().await;
    h.admin(&["account", "add", "Acme"], "");
    let set = ["policy", "set", "--account", "Acme"];
    let err = h.admin_refused(&[&set[..], &["--max-token-days", "0"]].concat(), "");
    assert!(err.contains("from 1 to"), "{err}");
    let out = h.admin(
        &[&set[..], &["--max-token-days", "30", "--oauth-only"]].concat(),
        "",
    );
    assert!(
        out.contains("within 30 days") && out.contains("OAuth only"),
        "{out}"
    );
    let read = || async {
        let pool = h.read_only().await;
        let row: (Option<i64>, bool, i64) = app::on_db!(&pool, |e| sqlx::query_as(
            "SELECT max_token_days, oauth_only,
                    (SELECT COUNT(*) FROM audit_events WHERE action = 'admin.policy.set')
             FROM accounts WHERE name = 'Acme'"
        )
        .fetch_one(e)
        .await)
        .unwrap();
        pool.close().await;
        row
    };
    assert_eq!(read().await, (Some(30), true, 1));
    let out = h.admin(&set, "");
    assert!(out.contains("no limit"), "{out}");
    assert_eq!(read().await, (None, false, 2));
}

/// Moving up: `admin copy` from a SQLite file into a new database (PostgreSQL when the suite
/// runs on it), ids kept so every token still decrypts there; a second copy is refused.
/// Two worker threads: the commands are waited for in a blocking call, and seeding tokens asks
/// the in-process emulator, which must answer meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_copy_moves_every_row_and_the_tokens_still_decrypt() {
    let h = Harness::new().await;
    let source = format!(
        "sqlite://{}?mode=rwc",
        h.dir.path().join("source.db").display()
    );
    let target = crate::helpers::database_url(h.dir.path(), "target.db");
    let on_source = [("GITPAT_DATABASE_URL", source.as_str())];
    let (ok, _, err) = h.run_with(
        &on_source,
        &[
            "admin",
            "seed",
            "--users",
            "2",
            "--accounts",
            "1",
            "--runtimes",
            "3",
            "--tokens",
            "2",
            "--emulator",
            &h.emulator_url,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok, "{err}");
    let (ok, before, err) = h.run_with(&on_source, &["admin", "verify"], "");
    assert!(ok, "{err}");
    let copy = ["admin", "copy", "--from", &source, "--to", &target];
    let (ok, out, err) = h.run_with(&on_source, &copy, "");
    assert!(ok, "{err}");
    assert!(out.contains("4 tokens decrypt"), "{out}");
    // The same token hashes, row for row: what was sealed under the source's ids opens on the target.
    let hashes = |text: &str| {
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| l.contains('\t'))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    assert_eq!(hashes(&out), hashes(&before));
    let (ok, _, err) = h.run_with(&on_source, &copy, "");
    assert!(!ok, "a second copy into the same target went through");
    assert!(err.contains("not empty"), "{err}");
}
