//! SQL for users, accounts, memberships, runtimes and the audit trail, one file per subject.
//! Plain, portable SQL: SQLite today, PostgreSQL later.

mod accounts;
mod audit;
pub mod copy;
pub mod leases;
pub mod rate_limits;
mod users;

pub use accounts::*;
pub use audit::*;
pub use users::*;

/// Why a write was refused, in words fit for an operator or a user.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::audit::RECENT_ACTIVITY;
    use super::*;
    use crate::model::{AuditAction, ProviderKind, Role, RuntimeRow};

    async fn seed(pool: &crate::ssr::db::Db) -> (i64, i64, i64, i64) {
        let dana = create_user(pool, "dana@example.com", "Dana", "h", false)
            .await
            .unwrap();
        let olu = create_user(pool, "olu@example.com", "Olu", "h", false)
            .await
            .unwrap();
        let acme = create_account(pool, "Acme").await.unwrap();
        let globex = create_account(pool, "Globex").await.unwrap();
        set_membership(pool, dana, acme, Role::Admin).await.unwrap();
        set_membership(pool, dana, globex, Role::Member)
            .await
            .unwrap();
        set_membership(pool, olu, globex, Role::Member)
            .await
            .unwrap();
        create_runtime(
            pool,
            acme,
            "prod",
            ProviderKind::Github,
            "https://api.github.com",
            None,
        )
        .await
        .unwrap();
        create_runtime(
            pool,
            globex,
            "edge",
            ProviderKind::Gitlab,
            "https://gitlab.com/api/v4",
            None,
        )
        .await
        .unwrap();
        (dana, olu, acme, globex)
    }

    #[tokio::test]
    async fn users_see_only_runtimes_of_their_accounts() {
        let pool = crate::ssr::db::test_db().await.unwrap();
        let (dana, olu, _, _) = seed(&pool).await;
        let names = |rows: Vec<RuntimeRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(runtimes_for_user(&pool, dana).await.unwrap()),
            ["prod", "edge"]
        );
        assert_eq!(
            names(runtimes_for_user(&pool, olu).await.unwrap()),
            ["edge"]
        );
        let prod = runtimes_for_user(&pool, dana).await.unwrap()[0].id;
        assert!(runtime_for_user(&pool, olu, prod).await.unwrap().is_none());
        assert!(runtime_for_user(&pool, dana, prod).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn duplicates_are_refused_with_a_clear_message() {
        let pool = crate::ssr::db::test_db().await.unwrap();
        let (_, _, acme, _) = seed(&pool).await;
        let err = create_user(&pool, "DANA@example.com", "Dup", "h", false)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a user with email DANA@example.com already exists"
        );
        let err = create_account(&pool, "Acme").await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
        let err = create_runtime(&pool, acme, "prod", ProviderKind::Gitlab, "https://x", None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the account already has a runtime named prod"
        );
        assert!(matches!(
            account_id_by_name(&pool, "Nope").await,
            Err(StoreError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn membership_role_is_updated_not_duplicated() {
        let pool = crate::ssr::db::test_db().await.unwrap();
        let (dana, _, acme, _) = seed(&pool).await;
        set_membership(&pool, dana, acme, Role::Member)
            .await
            .unwrap();
        let accounts = accounts_of_user(&pool, dana).await.unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].role, Role::Member);
    }

    #[tokio::test]
    async fn recent_activity_reads_the_newest_events_without_sorting_the_trail() {
        let pool = crate::ssr::db::test_db().await.unwrap();
        let (dana, _, _, _) = seed(&pool).await;
        for action in [
            AuditAction::TokenAdd,
            AuditAction::TokenDelete,
            AuditAction::TokenAdd,
        ] {
            audit(&pool, Some(dana), None, action, "", None)
                .await
                .unwrap();
        }
        let items = recent_activity(&pool, dana, 2).await.unwrap();
        let actions: Vec<AuditAction> = items.iter().map(|i| i.action).collect();
        assert_eq!(
            actions,
            [AuditAction::TokenAdd, AuditAction::TokenDelete],
            "newest first"
        );
        // The plan is SQLite's (PostgreSQL plans a table this small by its statistics).
        if let crate::ssr::db::Db::Sqlite(sqlite) = &pool {
            let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {RECENT_ACTIVITY}"))
                .bind(dana)
                .bind(10)
                .fetch_all(sqlite)
                .await
                .unwrap()
                .iter()
                .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
                .collect();
            assert!(
                !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                "a page view must not sort the user's whole trail: {plan:?}"
            );
        }
    }
}
