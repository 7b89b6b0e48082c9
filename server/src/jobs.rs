//! Background jobs: refreshing OAuth tokens and re-validating stored tokens at their providers.

use app::ssr::{oauth, tokens, AppState};
use std::time::Duration;

/// How many provider calls one pass makes at once, over all hosts (each host has its own,
/// smaller limit: `tokens::PER_HOST_CONCURRENCY`).
pub const REVALIDATE_CONCURRENCY: usize = 64;

/// Every `every`, re-checks the tokens last validated more than `every` ago. Safe to run on
/// several nodes: a token replaced meanwhile is never overwritten with an old verdict.
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
        match oauth::refresh_due(&state, chrono::Utc::now() + horizon).await {
            Ok(r) if r.refreshed + r.failed > 0 => {
                tracing::info!(
                    refreshed = r.refreshed,
                    failed = r.failed,
                    "OAuth tokens refreshed"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "OAuth token refresh failed"),
        }
        let due = chrono::Utc::now()
            - chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(1));
        match tokens::revalidate_due(&state, due, REVALIDATE_CONCURRENCY).await {
            Ok(r) if r.checked + r.deferred > 0 => tracing::info!(
                checked = r.checked,
                valid = r.valid,
                invalid = r.invalid,
                expired = r.expired,
                unreachable = r.unreachable,
                deferred = r.deferred,
                "tokens re-validated"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "token re-validation failed"),
        }
    }
}
