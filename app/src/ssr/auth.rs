//! Who the caller is: password hashing, login verification and the session's user.

use super::store::{self, UserRecord};
use crate::error::AppError;
use crate::model::AuditAction;
use crate::ssr::db::Db;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;
use tower_sessions::Session;

/// Session key holding the signed-in user's id.
pub const SESSION_USER_ID: &str = "user_id";
/// Session key holding the user's session epoch at sign-in (see `users.session_epoch`).
pub const SESSION_EPOCH: &str = "epoch";
pub use crate::model::MIN_PASSWORD_LEN;

pub const MAX_PASSWORD_LEN: usize = 1024;

/// The one rule for a password a user or an operator chooses (the web form and the CLI).
pub fn check_new_password(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(format!(
            "The new password must have at least {MIN_PASSWORD_LEN} characters (and at most {MAX_PASSWORD_LEN} bytes)."
        ));
    }
    if password.chars().any(char::is_control) {
        return Err("The new password must not contain control characters.".into());
    }
    Ok(())
}

/// Hashes with argon2id on a blocking thread: a hash takes tens of milliseconds of CPU.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    let _turn = HASHING.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
    })
    .await?
}

/// Password hashes computed at once, at most: each takes ~19 MiB and tens of milliseconds of a
/// core, so a flood of sign-ins waits its turn instead of exhausting memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Verifies on a blocking thread. A malformed stored hash counts as a mismatch.
pub async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    let _turn = HASHING.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await?)
}

/// A hash of nothing in particular, verified against when the email is unknown so that an
/// unknown email costs the same time as a wrong password.
async fn dummy_hash() -> String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return h.clone();
    }
    let h = hash_password("gitpat-timing-equalizer".into())
        .await
        .unwrap_or_default();
    DUMMY.get_or_init(|| h).clone()
}

/// Checks an email and password. `None` both for an unknown email and for a wrong password;
/// the difference is logged at debug level only.
pub async fn verify_login(
    pool: &Db,
    email: &str,
    password: &str,
) -> anyhow::Result<Option<UserRecord>> {
    if password.is_empty() || password.len() > MAX_PASSWORD_LEN || email.len() > 320 {
        return Ok(None);
    }
    let user = store::user_by_email(pool, email.trim()).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => dummy_hash().await,
    };
    let ok = verify_password(password.to_owned(), hash).await?;
    match user {
        // A disabled user gets the answer of a wrong password.
        Some(u) if ok && !u.disabled => Ok(Some(u)),
        Some(_) => {
            tracing::debug!("login refused: wrong password");
            Ok(None)
        }
        None => {
            tracing::debug!("login refused: unknown email");
            Ok(None)
        }
    }
}

/// Starts a signed-in session: a fresh id, so an id planted before login is worthless after it.
pub async fn log_in(session: &Session, user: &UserRecord) -> anyhow::Result<()> {
    session.cycle_id().await?;
    session.insert(SESSION_USER_ID, user.id).await?;
    session.insert(SESSION_EPOCH, user.session_epoch).await?;
    Ok(())
}

/// Ends the session and deletes it from the store.
pub async fn log_out(session: &Session) -> anyhow::Result<()> {
    session.flush().await?;
    Ok(())
}

/// The signed-in user of this session, if any.
pub async fn session_user(session: &Session, pool: &Db) -> anyhow::Result<Option<UserRecord>> {
    let Some(id) = session.get::<i64>(SESSION_USER_ID).await? else {
        return Ok(None);
    };
    let user = store::user_by_id(pool, id).await?;
    let epoch = session.get::<i64>(SESSION_EPOCH).await?.unwrap_or(0);
    match user {
        Some(u) if u.session_epoch == epoch && !u.disabled => {
            touch(session).await?;
            Ok(Some(u))
        }
        // The password changed (or the user is gone) since this session signed in.
        _ => {
            session.flush().await?;
            Ok(None)
        }
    }
}

/// Session key holding when the session was last saved for activity (unix seconds).
const SESSION_TOUCHED: &str = "touched";
/// How stale the activity mark may get before a request saves it again.
const TOUCH_EVERY_SECS: i64 = 300;

/// Keeps an active session alive: the store extends a session's idle expiry only when it is
/// saved, and saving on every request would make every page view a database write.
async fn touch(session: &Session) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp();
    let last = session.get::<i64>(SESSION_TOUCHED).await?.unwrap_or(0);
    if now - last >= TOUCH_EVERY_SECS {
        session.insert(SESSION_TOUCHED, now).await?;
    }
    Ok(())
}

/// Changes the signed-in user's password after checking the current one. Every other session
/// of the user ends; this one continues under a fresh id.
pub async fn change_password(
    session: &Session,
    pool: &Db,
    user: &UserRecord,
    current: String,
    new: String,
    confirm: String,
    client_addr: Option<&str>,
) -> Result<(), AppError> {
    if new != confirm {
        return Err(AppError::Invalid(
            "The new password and its confirmation differ.".into(),
        ));
    }
    check_new_password(&new).map_err(AppError::Invalid)?;
    if current.len() > MAX_PASSWORD_LEN
        || !verify_password(current.clone(), user.password_hash.clone())
            .await
            .map_err(|e| AppError::internal("password check failed", e))?
    {
        return Err(AppError::Invalid(
            "The current password is not correct.".into(),
        ));
    }
    if new == current {
        return Err(AppError::Invalid(
            "The new password must differ from the current one.".into(),
        ));
    }
    let hash = hash_password(new)
        .await
        .map_err(|e| AppError::internal("password hashing failed", e))?;
    // The new hash and its audit event commit together.
    let mut tx = pool.begin().await?;
    let epoch = store::set_password(&mut tx, user.id, &hash).await?;
    store::audit(
        &mut tx,
        Some(user.id),
        None,
        AuditAction::PasswordChange,
        "",
        client_addr,
    )
    .await?;
    tx.commit().await?;
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::internal("session update failed", e))?;
    session
        .insert(SESSION_EPOCH, epoch)
        .await
        .map_err(|e| AppError::internal("session update failed", e))?;
    tracing::info!(user_id = user.id, "password changed; other sessions ended");
    Ok(())
}

/// The signed-in user, as the page guard found them, kept in the request's extensions: a page's
/// server calls (toolbar, rows, activity) then share one lookup instead of one each.
#[derive(Clone)]
pub struct SignedIn(pub UserRecord);

/// For server functions: the signed-in user, or `Unauthorized`.
pub async fn require_user() -> Result<UserRecord, AppError> {
    // Read in place: cloning the request's parts (headers and all) on every call costs more.
    let checked = leptos::prelude::with_context::<http::request::Parts, _>(|p| {
        p.extensions.get::<SignedIn>().map(|s| s.0.clone())
    })
    .flatten();
    if let Some(user) = checked {
        return Ok(user);
    }
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| AppError::internal("session extraction failed", e))?;
    let state = super::state();
    session_user(&session, &state.reads)
        .await?
        .ok_or(AppError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_password("correct horse".into()).await.unwrap();
        let b = hash_password("correct horse".into()).await.unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("correct horse".into(), a.clone())
            .await
            .unwrap());
        assert!(!verify_password("wrong".into(), a).await.unwrap());
        assert!(!verify_password("x".into(), "not a hash".into())
            .await
            .unwrap());
    }
}
