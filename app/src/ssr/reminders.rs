//! Expiry reminders by e-mail: who hears about which token, and the message. A pass lists, per
//! user, the tokens that expire within 14, 7 or 1 days and the runtimes whose token turned
//! invalid or expired — each token at most once per reason — and writes at most one message a
//! day per user to the outbox (`mail`), in the same transaction as the record of what it listed.
//! Runtimes whose notifications are hidden, and users who turned reminder mail off, are left out.

use crate::model::{when, AuditAction, TokenStatus};
use crate::ssr::db::{on_db, Db};
use crate::ssr::tokens::effective_status;
use crate::ssr::{mail, store};
use chrono::{DateTime, Duration, Utc};
use sqlx::FromRow;

/// Why a token is in a reminder; stored once per token, so it is never listed twice for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Reason {
    Invalid,
    Expired,
    #[sqlx(rename = "expires_1d")]
    Expires1d,
    #[sqlx(rename = "expires_7d")]
    Expires7d,
    #[sqlx(rename = "expires_14d")]
    Expires14d,
}

impl Reason {
    /// The reason a token has now: invalid and expired first, then the nearest expiry threshold.
    /// A token that is refreshed automatically does not expire for its user.
    pub fn of(
        stored: TokenStatus,
        expires_at: Option<DateTime<Utc>>,
        refreshable: bool,
        now: DateTime<Utc>,
    ) -> Option<Reason> {
        // Mail is about expiry and broken tokens; the SSO state is shown on the page.
        match effective_status(stored, expires_at, refreshable, false, now) {
            TokenStatus::Invalid => return Some(Reason::Invalid),
            TokenStatus::Expired => return Some(Reason::Expired),
            _ => {}
        }
        let left = expires_at.filter(|_| !refreshable)? - now;
        [
            (1, Reason::Expires1d),
            (7, Reason::Expires7d),
            (14, Reason::Expires14d),
        ]
        .into_iter()
        .find(|(days, _)| left <= Duration::days(*days))
        .map(|(_, r)| r)
    }

    fn needs_new_token(self) -> bool {
        matches!(self, Reason::Invalid | Reason::Expired)
    }
}

/// A user hears from gitpat at most this often.
pub const AT_MOST_EVERY: Duration = Duration::hours(24);
/// The furthest expiry a reminder mentions.
pub const FIRST_REMINDER_DAYS: i64 = 14;

#[derive(FromRow)]
struct Candidate {
    user_id: i64,
    email: String,
    display_name: String,
    runtime_id: i64,
    runtime_name: String,
    account_name: String,
    token_since: DateTime<Utc>,
    status: TokenStatus,
    expires_at: Option<DateTime<Utc>>,
    refreshable: bool,
}

/// One token in a message.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub runtime: String,
    pub account: String,
    pub reason: Reason,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReminderReport {
    /// Messages written to the outbox.
    pub messages: u64,
    /// Tokens listed in them.
    pub listed: u64,
    /// Users with something to hear who already had a message within a day.
    pub held: u64,
}

/// Writes the reminders due at `now` to the outbox; `page` is the token page's URL for the link.
pub async fn compose(pool: &Db, page: &str, now: DateTime<Utc>) -> sqlx::Result<ReminderReport> {
    // Records of tokens replaced or deleted since go; so does "invalid" for a token that works
    // again, so that it is reported if it fails again.
    on_db!(pool, |e| sqlx::query(
        "DELETE FROM reminders_sent WHERE NOT EXISTS (
             SELECT 1 FROM git_tokens t
             WHERE t.user_id = reminders_sent.user_id AND t.runtime_id = reminders_sent.runtime_id
               AND t.token_since = reminders_sent.token_since
               AND (reminders_sent.reason <> 'invalid' OR t.status = 'invalid'))",
    )
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let candidates: Vec<Candidate> = on_db!(pool, |e| sqlx::query_as(
        "SELECT t.user_id, u.email, u.display_name, t.runtime_id, r.name AS runtime_name,
                a.name AS account_name, t.token_since, t.status, t.expires_at,
                (t.refresh_ciphertext IS NOT NULL) AS refreshable
         FROM git_tokens t
         JOIN users u ON u.id = t.user_id
         JOIN runtimes r ON r.id = t.runtime_id
         JOIN accounts a ON a.id = r.account_id
         JOIN memberships m ON m.user_id = t.user_id AND m.account_id = r.account_id
         LEFT JOIN notification_prefs n ON n.user_id = t.user_id AND n.runtime_id = t.runtime_id
         WHERE u.reminder_mail AND NOT u.disabled AND NOT COALESCE(n.hidden, FALSE)
           AND t.token_since IS NOT NULL
           AND (t.status IN ('invalid', 'expired') OR t.expires_at <= $1)
         ORDER BY t.user_id, a.name, r.name",
    )
    .bind(now + Duration::days(FIRST_REMINDER_DAYS))
    .fetch_all(e)
    .await)?;
    let mut report = ReminderReport::default();
    // The candidates come ordered by user: one group of (token, reason) per user.
    let mut users: Vec<Vec<(Candidate, Reason)>> = Vec::new();
    for c in candidates {
        let Some(reason) = Reason::of(c.status, c.expires_at, c.refreshable, now) else {
            continue;
        };
        match users.last_mut() {
            Some(group) if group[0].0.user_id == c.user_id => group.push((c, reason)),
            _ => users.push(vec![(c, reason)]),
        }
    }
    for items in users {
        let (user_id, email, name) = {
            let first = &items[0].0;
            (
                first.user_id,
                first.email.clone(),
                first.display_name.clone(),
            )
        };
        let mut tx = pool.begin().await?;
        let mut due = Vec::new();
        for (c, reason) in items {
            let already: bool = on_db!(&mut tx, |e| {
                sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM reminders_sent WHERE user_id = $1 AND runtime_id = $2
                                AND token_since = $3 AND reason = $4)",
            )
            .bind(user_id)
            .bind(c.runtime_id)
            .bind(c.token_since)
            .bind(reason)
            .fetch_one(e)
            .await
            })?;
            if !already {
                due.push((c, reason));
            }
        }
        if due.is_empty() {
            continue;
        }
        let recent: bool = on_db!(&mut tx, |e| sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE user_id = $1 AND created_at > $2)"
        )
        .bind(user_id)
        .bind(now - AT_MOST_EVERY)
        .fetch_one(e)
        .await)?;
        if recent {
            report.held += 1;
            continue;
        }
        for (c, reason) in &due {
            on_db!(&mut tx, |e| sqlx::query(
                "INSERT INTO reminders_sent (user_id, runtime_id, token_since, reason, sent_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(user_id)
            .bind(c.runtime_id)
            .bind(c.token_since)
            .bind(*reason)
            .bind(now)
            .execute(e)
            .await
            .map(|r| r.rows_affected()))?;
        }
        let items: Vec<Item> = due
            .into_iter()
            .map(|(c, reason)| Item {
                runtime: c.runtime_name,
                account: c.account_name,
                reason,
                expires_at: c.expires_at,
            })
            .collect();
        let (subject, body) = message(&name, &items, page, now);
        mail::enqueue(&mut tx, user_id, &email, &subject, &body, now).await?;
        tx.commit().await?;
        report.messages += 1;
        report.listed += items.len() as u64;
    }
    Ok(report)
}

/// Turns reminder mail on or off for a user, with its audit event.
pub async fn set_for_user(
    pool: &Db,
    user_id: i64,
    on: bool,
    client_addr: Option<String>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    on_db!(&mut tx, |e| sqlx::query(
        "UPDATE users SET reminder_mail = $1 WHERE id = $2"
    )
    .bind(on)
    .bind(user_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    let action = if on {
        AuditAction::RemindersOn
    } else {
        AuditAction::RemindersOff
    };
    store::audit(
        &mut tx,
        Some(user_id),
        None,
        action,
        "",
        client_addr.as_deref(),
    )
    .await?;
    tx.commit().await
}

/// The subject and plain-text body of a reminder. Names runtimes and dates, never a token.
pub fn message(name: &str, items: &[Item], page: &str, now: DateTime<Utc>) -> (String, String) {
    let (broken, expiring): (Vec<&Item>, Vec<&Item>) =
        items.iter().partition(|i| i.reason.needs_new_token());
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            format!("{n} {many}")
        }
    };
    let subject = if broken.is_empty() {
        format!(
            "gitpat: {} soon",
            plural(expiring.len(), "a Git token expires", "Git tokens expire")
        )
    } else {
        format!(
            "gitpat: {} a new Git token",
            plural(
                broken.len(),
                "a GitOps Runtime needs",
                "GitOps Runtimes need"
            )
        )
    };
    let mut body = format!("Hello {name},\n\n");
    if !broken.is_empty() {
        body.push_str("These GitOps Runtimes need a new Git user token:\n");
        for i in &broken {
            let what = match (i.reason, i.expires_at) {
                (Reason::Expired, Some(at)) => format!("the token expired on {}", when::date(at)),
                (Reason::Expired, None) => "the token expired".to_string(),
                _ => "the Git provider no longer accepts the token".to_string(),
            };
            body.push_str(&format!("  - {} ({}): {what}\n", i.runtime, i.account));
        }
        body.push('\n');
    }
    if !expiring.is_empty() {
        body.push_str("These Git user tokens expire soon:\n");
        for i in &expiring {
            let at = i.expires_at.unwrap_or(now);
            let days = (at - now).num_days();
            let left = match days {
                0 => "within a day".to_string(),
                1 => "in 1 day".to_string(),
                d => format!("in {d} days"),
            };
            body.push_str(&format!(
                "  - {} ({}): expires on {} ({left})\n",
                i.runtime,
                i.account,
                when::date(at)
            ));
        }
        body.push('\n');
    }
    body.push_str(&format!(
        "Add or replace tokens on your Git Personal Access Tokens page:\n{page}\n\n\
         You get this message because reminder mail is on for your gitpat account.\n\
         Turn it off on that page, or hide notifications for one GitOps Runtime there.\n"
    ));
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_has_the_nearest_reason() {
        let now = Utc::now();
        let in_days = |d: i64| Some(now + Duration::days(d) - Duration::minutes(1));
        let of = |s, e, r| Reason::of(s, e, r, now);
        assert_eq!(of(TokenStatus::Invalid, None, false), Some(Reason::Invalid));
        assert_eq!(
            of(TokenStatus::Valid, Some(now - Duration::hours(1)), false),
            Some(Reason::Expired)
        );
        assert_eq!(
            of(TokenStatus::Valid, in_days(1), false),
            Some(Reason::Expires1d)
        );
        assert_eq!(
            of(TokenStatus::Expiring, in_days(5), false),
            Some(Reason::Expires7d)
        );
        assert_eq!(
            of(TokenStatus::Valid, in_days(14), false),
            Some(Reason::Expires14d)
        );
        assert_eq!(of(TokenStatus::Valid, in_days(15), false), None);
        assert_eq!(of(TokenStatus::Valid, None, false), None);
        assert_eq!(
            of(TokenStatus::Valid, in_days(1), true),
            None,
            "refreshed before it expires"
        );
        assert_eq!(
            of(TokenStatus::Unreachable, in_days(3), false),
            Some(Reason::Expires7d)
        );
    }

    #[test]
    fn the_message_names_runtimes_and_dates_and_links_the_page() {
        let now = Utc::now();
        let items = [
            Item {
                runtime: "acme-prod".into(),
                account: "Acme".into(),
                reason: Reason::Invalid,
                expires_at: None,
            },
            Item {
                runtime: "globex-edge".into(),
                account: "Globex".into(),
                reason: Reason::Expires7d,
                expires_at: Some(now + Duration::days(5) + Duration::hours(1)),
            },
        ];
        let page = "https://gitpat.example.com/git-personal-access-tokens";
        let (subject, body) = message("Dana", &items, page, now);
        assert_eq!(subject, "gitpat: a GitOps Runtime needs a new Git token");
        assert!(body.contains("acme-prod (Acme): the Git provider no longer accepts the token"));
        assert!(body.contains("globex-edge (Globex): expires on"), "{body}");
        assert!(body.contains("(in 5 days)"), "{body}");
        assert!(body.contains(page));
        let (subject, _) = message("Dana", &items[1..], page, now);
        assert_eq!(subject, "gitpat: a Git token expires soon");
    }
}
