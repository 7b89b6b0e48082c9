//! Background jobs: refreshing OAuth tokens and re-validating stored tokens at their providers,
//! and reminder mail, each once per pass across all the nodes that share the database (a lease
//! picks the node).

use app::ssr::mail::{self, DeliveryReport, Mailer};
use app::ssr::oauth::{self, RefreshReport};
use app::ssr::reminders::{self, ReminderReport};
use app::ssr::store::{leases, rate_limits};
use app::ssr::tokens::{self, RevalidateReport};
use app::ssr::AppState;
use std::time::Duration;

/// How many provider calls one pass makes at once, over all hosts (each host has its own,
/// smaller limit: `tokens::PER_HOST_CONCURRENCY`).
pub const REVALIDATE_CONCURRENCY: usize = 64;

/// The lease a pass holds.
pub const LEASE: &str = "background-pass";
/// A lease whose holder died lapses after this; its holder renews it every third of it.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub refresh: RefreshReport,
    pub revalidate: RevalidateReport,
}

/// One pass, if this node gets the lease (`None`: another node holds it): OAuth tokens that
/// would expire before `horizon` are refreshed, then tokens last validated more than `every`
/// ago are checked again. The lease is renewed while the pass runs and kept afterwards, so the
/// same node tends to run the next pass; if it dies, another takes over within `LEASE_TTL`.
pub async fn pass(
    state: &AppState,
    every: Duration,
    horizon: chrono::Duration,
) -> anyhow::Result<Option<PassReport>> {
    let ttl = chrono::Duration::from_std(LEASE_TTL)?;
    let held = leases::try_acquire(&state.pool, LEASE, &state.node, ttl).await?;
    metrics::gauge!("gitpat_lease_held", "lease" => LEASE).set(if held { 1.0 } else { 0.0 });
    if !held {
        return Ok(None);
    }
    let renew = tokio::spawn({
        let state = state.clone();
        async move {
            let mut tick = tokio::time::interval(LEASE_TTL / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = leases::try_acquire(&state.pool, LEASE, &state.node, ttl).await {
                    tracing::warn!(error = %e, "could not renew the background lease");
                }
            }
        }
    });
    let result = async {
        // A failed refresh pass does not hold up re-validation.
        let refresh = match oauth::refresh_due(state, chrono::Utc::now() + horizon).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "OAuth token refresh failed");
                RefreshReport::default()
            }
        };
        let due = chrono::Utc::now() - chrono::Duration::from_std(every)?;
        let revalidate = tokens::revalidate_due(state, due, REVALIDATE_CONCURRENCY).await?;
        // Rate-limit counters that have run out need no row.
        rate_limits::prune(&state.pool).await?;
        Ok(PassReport {
            refresh,
            revalidate,
        })
    }
    .await;
    renew.abort();
    result.map(Some)
}

/// Every `every` (at most a minute apart), a pass; logs what it did.
pub async fn revalidate_forever(state: AppState, every: Duration) {
    let period = every
        .min(Duration::from_secs(60))
        .max(Duration::from_secs(1));
    // OAuth tokens are refreshed when they would expire before the pass after next.
    let horizon = chrono::Duration::from_std(period * 2).unwrap_or(chrono::Duration::minutes(2));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match pass(&state, every, horizon).await {
            Ok(Some(PassReport {
                refresh: f,
                revalidate: r,
            })) => {
                if f.refreshed + f.failed > 0 {
                    tracing::info!(
                        refreshed = f.refreshed,
                        failed = f.failed,
                        "OAuth tokens refreshed"
                    );
                }
                if r.checked + r.deferred > 0 {
                    tracing::info!(
                        checked = r.checked,
                        valid = r.valid,
                        invalid = r.invalid,
                        expired = r.expired,
                        unreachable = r.unreachable,
                        deferred = r.deferred,
                        "tokens re-validated"
                    );
                }
            }
            Ok(None) => tracing::debug!("another node runs this pass"),
            Err(e) => tracing::error!(error = %e, "background pass failed"),
        }
    }
}

/// The lease the mail job holds: one node composes reminders and delivers the outbox.
pub const MAIL_LEASE: &str = "mail";

/// What one mail pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailReport {
    /// `None` when this pass only delivered (reminders are composed every `GITPAT_REMINDER_EVERY`).
    pub reminders: Option<ReminderReport>,
    pub delivery: DeliveryReport,
}

/// One mail pass, if this node gets the mail lease (`None`: another node holds it): reminders are
/// composed when `compose` says so, then the outbox's due messages are delivered.
pub async fn mail_pass(
    state: &AppState,
    mailer: &Mailer,
    compose: bool,
) -> anyhow::Result<Option<MailReport>> {
    let ttl = chrono::Duration::from_std(LEASE_TTL)?;
    if !leases::try_acquire(&state.pool, MAIL_LEASE, &state.node, ttl).await? {
        return Ok(None);
    }
    let reminders = if compose {
        let page = state.public_url.join("git-personal-access-tokens")?;
        Some(reminders::compose(&state.pool, page.as_str(), chrono::Utc::now()).await?)
    } else {
        None
    };
    // Each delivery is bounded by the mailer's timeout, and a pass by its batch: well within
    // the lease, which the next pass renews.
    let delivery = mail::deliver_due(&state.pool, mailer, chrono::Utc::now()).await?;
    Ok(Some(MailReport {
        reminders,
        delivery,
    }))
}

/// Reminder mail, when a mailer is configured: the outbox is delivered every half minute (retries
/// wait for their backoff), reminders are composed every `every`.
pub async fn mail_forever(state: AppState, every: Duration) {
    let Some(mailer) = state.mailer.clone() else {
        return;
    };
    let period = every.min(Duration::from_secs(30));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_compose: Option<tokio::time::Instant> = None;
    loop {
        tick.tick().await;
        let compose = last_compose.is_none_or(|t| t.elapsed() >= every);
        match mail_pass(&state, &mailer, compose).await {
            Ok(Some(report)) => {
                if compose {
                    last_compose = Some(tokio::time::Instant::now());
                }
                if let Some(r) = report.reminders.filter(|r| r.messages + r.held > 0) {
                    tracing::info!(
                        messages = r.messages,
                        tokens = r.listed,
                        held = r.held,
                        "reminders written"
                    );
                }
                let d = report.delivery;
                if d.sent + d.deferred + d.given_up > 0 {
                    tracing::info!(
                        sent = d.sent,
                        deferred = d.deferred,
                        given_up = d.given_up,
                        "reminder mail delivered"
                    );
                }
            }
            Ok(None) => tracing::debug!("another node sends the mail"),
            // A mail server or database that fails never stops the loop: the next tick tries again.
            Err(e) => tracing::error!(error = %e, "mail pass failed"),
        }
    }
}
