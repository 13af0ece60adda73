//! The `account` table: sign-in e-mail and password hash per user.

use sqlx::PgPool;
use uuid::Uuid;

/// Why an account could not be stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    /// `account_email_key`: someone already signed up with this address.
    #[error("an account with this e-mail exists")]
    EmailTaken,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The placeholder an erased account's e-mail becomes: unique, derived
/// from the id alone, and in the `.invalid` domain no mail reaches.
pub(crate) fn erased_email(user_id: Uuid) -> String {
    format!("erased-{}@erased.invalid", user_id.simple())
}

/// Sign-in credentials, kept out of the permanent event log.
#[derive(Debug, Clone)]
pub struct Accounts {
    pool: PgPool,
}

impl Accounts {
    /// Accounts in the database of `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Stores a new account and says whether it is the first one ever,
    /// which makes its user the ADMIN. The table is locked against other
    /// registrations for the count, so two first sign-ups cannot both win.
    pub(crate) async fn create(
        &self,
        user_id: Uuid,
        email: &str,
        password_hash: &str,
    ) -> Result<bool, AccountError> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("LOCK TABLE account IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *transaction)
            .await?;
        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM account")
            .fetch_one(&mut *transaction)
            .await?;
        sqlx::query("INSERT INTO account (user_id, email, password_hash) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(email)
            .bind(password_hash)
            .execute(&mut *transaction)
            .await
            .map_err(|error| match &error {
                sqlx::Error::Database(db) if db.constraint() == Some("account_email_key") => {
                    AccountError::EmailTaken
                }
                _ => AccountError::Database(error),
            })?;
        transaction.commit().await?;
        Ok(existing == 0)
    }

    /// Forgets an account whose user could not be recorded.
    pub(crate) async fn remove(&self, user_id: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM account WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Makes `user_id`'s account anonymous for good (`deleteMyData`): the
    /// e-mail becomes [`erased_email`] (so the address may register anew)
    /// and the password hash goes, so nothing signs in to it.
    pub(crate) async fn anonymise(&self, user_id: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE account SET email = $2, password_hash = NULL WHERE user_id = $1")
            .bind(user_id)
            .bind(erased_email(user_id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user id and password hash of the account with `email` (never an
    /// erased one: it has no password).
    pub(crate) async fn find(&self, email: &str) -> Result<Option<(Uuid, String)>, sqlx::Error> {
        sqlx::query_as(
            "SELECT user_id, password_hash FROM account \
             WHERE lower(email) = lower($1) AND password_hash IS NOT NULL",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await
    }

    /// The password hash of `user_id`'s account.
    pub(crate) async fn password_hash(&self, user_id: Uuid) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT password_hash FROM account WHERE user_id = $1 AND password_hash IS NOT NULL",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Every account's user id, oldest sign-up first.
    pub(crate) async fn user_ids(&self) -> Result<Vec<Uuid>, sqlx::Error> {
        sqlx::query_scalar("SELECT user_id FROM account ORDER BY created_at, user_id")
            .fetch_all(&self.pool)
            .await
    }
}
