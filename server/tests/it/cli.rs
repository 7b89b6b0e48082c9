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
