//! One-time messages across a redirect, kept in the session (never in the URL, where anyone
//! could craft one).

use crate::model::Flash;
use tower_sessions::Session;

const FLASH_KEY: &str = "flash";

async fn session() -> Option<Session> {
    leptos_axum::extract::<Session>().await.ok()
}

/// Leaves a notice in a session (for plain routes that hold the session themselves).
pub async fn put(session: &Session, flash: Flash) {
    if let Err(e) = session.insert(FLASH_KEY, flash).await {
        tracing::warn!(error = %e, "could not keep a flash message");
    }
}

pub async fn set(flash: Flash) {
    if let Some(s) = session().await {
        put(&s, flash).await;
    }
}

/// Takes the pending notice, if any. Only a present notice is removed: a removal marks the
/// session modified, and every page asks, so an unconditional one would write the session
/// store on every page view.
pub async fn take() -> Option<Flash> {
    let s = session().await?;
    s.get::<Flash>(FLASH_KEY).await.ok().flatten()?;
    s.remove::<Flash>(FLASH_KEY).await.ok().flatten()
}
