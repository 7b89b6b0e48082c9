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
