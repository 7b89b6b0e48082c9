//! Outgoing mail: the SMTP transport (lettre) that `GITPAT_SMTP_URL` configures, and the outbox a
//! background job delivers from, retrying with backoff. Nothing a page does waits for a mail
//! server: a page at most writes to the outbox.

use crate::ssr::db::{on_db, Db, Exec};
use chrono::{DateTime, Duration, Utc};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one delivery may take (connect, TLS, the whole SMTP exchange).
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// A message is given up after this many failed deliveries (about two hours of retries).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a message being sent is held by its sender (well over `SEND_TIMEOUT`).
const CLAIM: Duration = Duration::minutes(2);
/// Messages one delivery pass sends at most.
const BATCH: i64 = 50;

/// The configured SMTP relay and sender address. Its Debug shows neither credentials nor URL.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `url` in lettre's form (`smtp://host:25`, `smtp://host:587?tls=required`,
    /// `smtps://user:password@host:465`); `password`, when given (read from a file), replaces the
    /// URL's, for the URL's user. Errors name the setting, never its value.
    pub fn new(url: &str, password: Option<String>, from: &str) -> Result<Mailer, String> {
        let parsed = url::Url::parse(url).map_err(|_| {
            "GITPAT_SMTP_URL is not a URL (e.g. smtp://relay.example.com:587?tls=required)"
                .to_string()
        })?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| {
            "GITPAT_SMTP_URL must be smtp://HOST[:PORT][?tls=required|opportunistic] or smtps://HOST[:PORT]"
                .to_string()
        })?;
        if let Some(password) = password {
            let user = percent_decoded(parsed.username());
            if user.is_empty() {
                return Err(
                    "GITPAT_SMTP_PASSWORD_FILE needs the user name in GITPAT_SMTP_URL (smtp://USER@HOST…)".into(),
                );
            }
            builder = builder.credentials(Credentials::new(user, password.trim_end().to_string()));
        }
        let from = from.parse::<Mailbox>().map_err(|_| {
            "GITPAT_MAIL_FROM must be an address like gitpat@example.com or \"gitpat <gitpat@example.com>\"".to_string()
        })?;
        Ok(Mailer {
            transport: builder.timeout(Some(SEND_TIMEOUT)).build(),
            from,
        })
    }

    /// Sends one plain-text message; the error is lettre's description (no credentials in it).
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|_| "the recipient is not an address".to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("u={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Puts a message in the outbox, to be delivered by the next pass.
pub async fn enqueue(
    db: impl Into<Exec<'_>>,
    user_id: i64,
    recipient: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    on_db!(db, |e| sqlx::query(
        "INSERT INTO mail_outbox (user_id, recipient, subject, body, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(user_id)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .bind(now)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    /// Failed this time, to be retried later.
    pub deferred: u64,
    /// Failed for the last time.
    pub given_up: u64,
}

/// The wait before the next try after `attempts` failures: 1, 2, 4 … minutes, at most an hour.
pub fn backoff(attempts: i64) -> Duration {
    Duration::minutes(1i64 << attempts.clamp(1, 7).saturating_sub(1)).min(Duration::hours(1))
}

/// Delivers the outbox's messages that are due, oldest first. A failure leaves the message for
/// a later try (see [`backoff`]); after [`MAX_ATTEMPTS`] it is given up and logged.
pub async fn deliver_due(
    pool: &Db,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> sqlx::Result<DeliveryReport> {
    let due: Vec<(i64, String, String, String, i64)> = on_db!(pool, |e| sqlx::query_as(
        "SELECT id, recipient, subject, body, attempts FROM mail_outbox
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
         ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(e)
    .await)?;
    let mut report = DeliveryReport::default();
    for (id, to, subject, body, attempts) in due {
        // Claimed before it is sent: a pass that outlives its lease, and another node's pass
        // beside it, never send the same message twice.
        let claimed = on_db!(pool, |e| sqlx::query(
            "UPDATE mail_outbox SET next_attempt_at = $1
             WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3",
        )
        .bind(Utc::now() + CLAIM)
        .bind(id)
        .bind(now)
        .execute(e)
        .await
        .map(|r| r.rows_affected()))?;
        if claimed == 0 {
            continue;
        }
        let result = mailer.send(&to, &subject, &body).await;
        let at = Utc::now();
        metrics::counter!("gitpat_mail_deliveries_total", "result" => if result.is_ok() { "sent" } else { "failed" })
            .increment(1);
        match result {
            Ok(()) => {
                on_db!(pool, |e| {
                    sqlx::query(
                    "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2"
                )
                .bind(at)
                .bind(id)
                .execute(e)
                .await
                .map(|r| r.rows_affected())
                })?;
                report.sent += 1;
            }
            Err(error) => {
                let attempts = attempts + 1;
                let give_up = attempts >= MAX_ATTEMPTS;
                tracing::warn!(message_id = id, attempts, give_up, %error, "reminder mail not delivered");
                on_db!(pool, |e| sqlx::query(
                    "UPDATE mail_outbox SET attempts = $1, next_attempt_at = $2, last_error = $3,
                         failed_at = $4 WHERE id = $5",
                )
                .bind(attempts)
                .bind(at + backoff(attempts))
                .bind(&error)
                .bind(give_up.then_some(at))
                .bind(id)
                .execute(e)
                .await
                .map(|r| r.rows_affected()))?;
                if give_up {
                    report.given_up += 1;
                } else {
                    report.deferred += 1;
                }
            }
        }
    }
    Ok(report)
}
