//! Users: their rows (password hash included, never printed) and password changes.

use super::{is_unique_violation, StoreError};
use crate::ssr::db::{on_db, Db, Exec};
use sqlx::FromRow;

/// A user row, password hash included: server-only, never serialized, hash never printed.
#[derive(Clone, FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_admin: bool,
    /// Bumped by a password change; sessions from an older epoch are over.
    pub session_epoch: i64,
    /// Disabled by an operator: no sign-in, no session, no credential for runtimes.
    pub disabled: bool,
    /// The user wants expiry reminders by e-mail.
    pub reminder_mail: bool,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &"***")
            .finish()
    }
}

pub async fn create_user(
    pool: &Db,
    email: &str,
    display_name: &str,
    password_hash: &str,
    is_admin: bool,
) -> Result<i64, StoreError> {
    let res = on_db!(pool, |e| {
        sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, is_admin) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(email)
    .bind(display_name)
    .bind(password_hash)
    .bind(is_admin)
    .fetch_one(e)
    .await
    });
    match res {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "a user with email {email} already exists"
        ))),
        Err(e) => Err(e.into()),
    }
}

pub async fn user_by_email(pool: &Db, email: &str) -> sqlx::Result<Option<UserRecord>> {
    on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT id, email, display_name, password_hash, is_admin, session_epoch, disabled, reminder_mail FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_optional(e)
    .await
    })
}

/// Stores a new password hash and ends every session of the user; returns the new epoch.
pub async fn set_password(db: impl Into<Exec<'_>>, user_id: i64, hash: &str) -> sqlx::Result<i64> {
    on_db!(db, |e| sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1 WHERE id = $2
         RETURNING session_epoch",
    )
    .bind(hash)
    .bind(user_id)
    .fetch_one(e)
    .await)
}

pub async fn user_by_id(pool: &Db, id: i64) -> sqlx::Result<Option<UserRecord>> {
    on_db!(pool, |e| {
        sqlx::query_as(
        "SELECT id, email, display_name, password_hash, is_admin, session_epoch, disabled, reminder_mail FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(e)
    .await
    })
}

/// Disables (or enables again) a user; disabling also ends every session of theirs. False if
/// there is no such user.
pub async fn set_disabled(
    db: impl Into<Exec<'_>>,
    user_id: i64,
    disabled: bool,
) -> sqlx::Result<bool> {
    let r = on_db!(db, |e| sqlx::query(
        "UPDATE users SET disabled = $1,
             session_epoch = session_epoch + CASE WHEN $1 THEN 1 ELSE 0 END
         WHERE id = $2",
    )
    .bind(disabled)
    .bind(user_id)
    .execute(e)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(r == 1)
}
