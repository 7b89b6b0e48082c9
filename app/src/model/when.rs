//! How the pages write a moment, the same on the server and in the browser. The shared types
//! carry moments as whole seconds since the epoch and these avoid chrono's format strings: the
//! browser then needs neither chrono's parser nor its strftime engine (docs/performance.md).

use chrono::{DateTime, SecondsFormat, Timelike, Utc};

/// `2026-12-01`
pub fn date(d: DateTime<Utc>) -> String {
    d.date_naive().to_string()
}

/// `2026-12-01 14:05 UTC`
pub fn minute(d: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02} UTC", d.date_naive(), d.hour(), d.minute())
}

/// `2026-12-01 14:05:09 UTC`
pub fn second(d: DateTime<Utc>) -> String {
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        d.date_naive(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// For a `<time datetime>` attribute: `2026-12-01T14:05:09Z`.
pub fn machine(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}
