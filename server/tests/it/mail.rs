//! Expiry reminders by e-mail, delivered to a real SMTP server: Python's aiosmtpd, started by each
//! test on loopback, storing what it receives in a Maildir that the test reads back. Who hears
//! about which token, once; hidden runtimes and users who turned mail off hear nothing; a mail
//! server that fails leaves the message for a retry and never holds up a page.

use crate::helpers::*;
use app::ssr::mail;
use app::ssr::AppState;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use server::jobs;
use std::process::{Child, Command, Stdio};

const GH: &str = "ghp_mailToken11111111111111111111111111111";
const GL: &str = "glpat-mailToken22222222";
const OLU_GL: &str = "glpat-mailToken33333333";

/// An aiosmtpd process on a loopback port, writing each message it accepts into a Maildir.
struct Smtp {
    child: Child,
    maildir: tempfile::TempDir,
}

impl Smtp {
    fn start(port: u16) -> Smtp {
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/setup.sh --with-smtp installs it)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Smtp { child, maildir }
    }

    /// Every message received so far, as raw text, oldest first.
    fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail").join("new");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A node of the test app that sends mail to `port`.
async fn mailing_node(f: &Fixture, port: u16) -> AppState {
    let url = format!("smtp://127.0.0.1:{port}");
    let config = config_with(
        f.app.dir.path(),
        &[
            ("GITPAT_SMTP_URL", url.as_str()),
            ("GITPAT_MAIL_FROM", "gitpat <gitpat@example.com>"),
        ],
    );
    server::build_state(&config).await.unwrap()
}

/// dana: a GitHub token on acme-prod that expires in five days, and a GitLab token on
/// globex-edge that the provider no longer accepts. olu: an invalid token on globex-edge.
async fn fixture() -> Fixture {
    let expiring = provider_emulator::FakeToken {
        expires_at: Some(Utc::now() + Duration::days(5) + Duration::hours(1)),
        ..fake(GH, &["repo"])
    };
    let f = Fixture::with_tokens(vec![
        expiring,
        fake(GL, &["write_repository", "read_api"]),
        fake(OLU_GL, &["write_repository", "read_api"]),
    ])
    .await;
    for (who, rt, token) in [
        (&f.dana, f.seed.acme_rt, GH),
        (&f.dana, f.seed.globex_rt, GL),
        (&f.olu, f.seed.globex_rt, OLU_GL),
    ] {
        let (status, body) = status_and_body(
            &f.app,
            call_fn(
                "add_token",
                &[("runtime_id", &rt.to_string()), ("token", token)],
                Some(who),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    app::on_db!(&f.app.state.pool, |e| {
        sqlx::query(
        "UPDATE git_tokens SET status = 'invalid', last_error = 'GitLab: 401' WHERE runtime_id = $1"
    )
    .bind(f.seed.globex_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected())
    })
    .unwrap();
    f
}

fn header<'a>(message: &'a str, name: &str) -> &'a str {
    message
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} header in:\n{message}"))
}

async fn pass(node: &AppState, compose: bool) -> jobs::MailReport {
    let mailer = node.mailer.clone().expect("a mailer");
    jobs::mail_pass(node, &mailer, compose)
        .await
        .unwrap()
        .expect("the only node gets the mail lease")
}

#[tokio::test]
async fn a_reminder_arrives_once_with_the_runtimes_and_the_link() {
    let f = fixture().await;
    let port = free_port();
    let smtp = Smtp::start(port);
    let node = mailing_node(&f, port).await;

    let report = pass(&node, true).await;
    assert_eq!(report.reminders.unwrap().messages, 2, "dana and olu");
    assert_eq!(report.delivery.sent, 2);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    let dana = messages
        .iter()
        .find(|m| header(m, "To") == "dana@example.com")
        .expect("a message to dana");
    assert_eq!(header(dana, "From"), "gitpat <gitpat@example.com>");
    assert_eq!(
        header(dana, "Subject"),
        "gitpat: a GitOps Runtime needs a new Git token"
    );
    assert!(dana.contains("Hello Dana Demo,"), "{dana}");
    assert!(
        dana.contains("globex-edge (Globex): the Git provider no longer accepts the token"),
        "{dana}"
    );
    assert!(dana.contains("acme-prod (Acme): expires on"), "{dana}");
    assert!(dana.contains("(in 5 days)"), "{dana}");
    assert!(dana.contains("http://127.0.0.1:3000/git-personal-access-tokens"));
    for m in &messages {
        for token in [GH, GL, OLU_GL] {
            assert!(!m.contains(token), "a token in a message");
        }
    }

    // Again at once, and again a day later: nothing new to say, nothing sent.
    let again = pass(&node, true).await;
    assert_eq!(
        (again.reminders.unwrap().messages, again.delivery.sent),
        (0, 0)
    );
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE mail_outbox SET created_at = $1"
    )
    .bind(Utc::now() - Duration::hours(25))
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(pass(&node, true).await.reminders.unwrap().messages, 0);
    assert_eq!(smtp.messages().len(), 2);

    // The next threshold: the day before it expires, acme-prod is listed again, alone.
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET expires_at = $1 WHERE runtime_id = $2"
    )
    .bind(Utc::now() + Duration::hours(12))
    .bind(f.seed.acme_rt)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let report = pass(&node, true).await;
    assert_eq!(
        (report.reminders.unwrap().listed, report.delivery.sent),
        (1, 1)
    );
    let last = smtp.messages().pop().unwrap();
    assert_eq!(header(&last, "To"), "dana@example.com");
    assert_eq!(header(&last, "Subject"), "gitpat: a Git token expires soon");
    assert!(
        last.contains("acme-prod (Acme): expires on") && last.contains("(within a day)"),
        "{last}"
    );
    assert!(!last.contains("globex-edge"), "{last}");

    // Within a day of that message, a new reason waits for the next day.
    tokens_expire(&f, f.seed.acme_rt).await;
    assert_eq!(pass(&node, true).await.reminders.unwrap().held, 1);
    assert_eq!(smtp.messages().len(), 3);
}

async fn tokens_expire(f: &Fixture, runtime: i64) {
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE git_tokens SET expires_at = $1 WHERE runtime_id = $2"
    )
    .bind(Utc::now() - Duration::minutes(1))
    .bind(runtime)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

#[tokio::test]
async fn hidden_runtimes_and_users_who_turned_mail_off_hear_nothing() {
    let f = fixture().await;
    let port = free_port();
    let smtp = Smtp::start(port);
    let node = mailing_node(&f, port).await;
    // dana hides acme-prod; olu turns reminder mail off on the page (the server function).
    for (who, call, pairs) in [
        (
            &f.dana,
            "set_notifications_hidden",
            vec![
                ("runtime_id", f.seed.acme_rt.to_string()),
                ("hidden", "true".into()),
            ],
        ),
        (
            &f.olu,
            "set_reminder_mail",
            vec![("enabled", "false".into())],
        ),
    ] {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = status_and_body(&f.app, call_fn(call, &pairs, Some(who))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let report = pass(&node, true).await;
    assert_eq!(report.reminders.unwrap().messages, 1);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(header(&messages[0], "To"), "dana@example.com");
    assert!(messages[0].contains("globex-edge"));
    assert!(
        !messages[0].contains("acme-prod"),
        "hidden: {}",
        messages[0]
    );

    // olu turns it on again: the invalid token is reported then.
    let (status, _) = status_and_body(
        &f.app,
        call_fn("set_reminder_mail", &[("enabled", "true")], Some(&f.olu)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pass(&node, true).await.delivery.sent, 1);
    assert_eq!(header(&smtp.messages()[1], "To"), "olu@example.com");
}

#[tokio::test]
async fn a_failing_mail_server_leaves_the_message_for_a_retry_and_holds_up_nothing() {
    let f = fixture().await;
    let port = free_port(); // nothing listens there yet
    let node = mailing_node(&f, port).await;
    let report = pass(&node, true).await;
    assert_eq!(report.reminders.unwrap().messages, 2);
    assert_eq!((report.delivery.sent, report.delivery.deferred), (0, 2));
    let (attempts, next): (i64, chrono::DateTime<Utc>) = app::on_db!(&f.app.state.pool, |e| {
        sqlx::query_as("SELECT attempts, next_attempt_at FROM mail_outbox ORDER BY id LIMIT 1")
            .fetch_one(e)
            .await
    })
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(next > Utc::now(), "retried after a backoff");
    // Pages never wait for mail.
    let res = f
        .app
        .send(get("/git-personal-access-tokens", Some(&f.dana)))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Not due yet: nothing is tried. Once due, with the server up, both arrive, once.
    let smtp = Smtp::start(port);
    assert_eq!(pass(&node, false).await.delivery.sent, 0);
    app::on_db!(&f.app.state.pool, |e| sqlx::query(
        "UPDATE mail_outbox SET next_attempt_at = $1"
    )
    .bind(Utc::now())
    .execute(e)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(pass(&node, false).await.delivery.sent, 2);
    assert_eq!(pass(&node, false).await.delivery.sent, 0);
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test]
async fn two_nodes_send_each_message_once() {
    let f = fixture().await;
    let port = free_port();
    let smtp = Smtp::start(port);
    let (a, b) = (mailing_node(&f, port).await, mailing_node(&f, port).await);
    let (ma, mb) = (a.mailer.clone().unwrap(), b.mailer.clone().unwrap());
    let (ra, rb) = tokio::join!(
        jobs::mail_pass(&a, &ma, true),
        jobs::mail_pass(&b, &mb, true)
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(
        ra.is_some() != rb.is_some(),
        "one node holds the mail lease"
    );
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test]
async fn deliveries_that_overlap_send_each_message_once() {
    let f = fixture().await;
    let port = free_port();
    let smtp = Smtp::start(port);
    let (a, b) = (mailing_node(&f, port).await, mailing_node(&f, port).await);
    let page = "http://127.0.0.1:3000/git-personal-access-tokens";
    let written = app::ssr::reminders::compose(&a.pool, page, Utc::now())
        .await
        .unwrap();
    assert_eq!(written.messages, 2);
    // No lease here: two passes at once, as when one outlives its lease.
    let (ma, mb) = (a.mailer.clone().unwrap(), b.mailer.clone().unwrap());
    let (ra, rb) = tokio::join!(
        mail::deliver_due(&a.pool, &ma, Utc::now()),
        mail::deliver_due(&b.pool, &mb, Utc::now())
    );
    assert_eq!(ra.unwrap().sent + rb.unwrap().sent, 2);
    assert_eq!(smtp.messages().len(), 2);
}

#[test]
fn retries_back_off_to_an_hour() {
    let minutes: Vec<i64> = (1..=mail::MAX_ATTEMPTS)
        .map(|n| mail::backoff(n).num_minutes())
        .collect();
    assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
}
