//! The integrations' own tables in PostgreSQL: sealed credentials and the
//! PayPal webhook deliveries already seen.

use async_trait::async_trait;
use sqlx::PgPool;

use crate::credentials::{CredentialError, CredentialKey, CredentialStore, Keyring, SealedValue};
use crate::paypal::WebhookDedupe;

/// Sealed credentials in the `credential` table.
#[derive(Debug, Clone)]
pub struct PgCredentialStore {
    pool: PgPool,
}

impl PgCredentialStore {
    /// A store on `pool`, whose database is migrated.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The pool of its database (the personal-data vault shares it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Which credential a user has stored, and when: never the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// "paypal", "aliexpress", "payoneer".
    pub provider: String,
    /// "sandbox" or "production".
    pub environment: String,
    /// Which value, e.g. "client_id".
    pub name: String,
    /// When it was last saved.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl PgCredentialStore {
    /// What `user_id` has stored, by provider, environment and name.
    pub async fn list(
        &self,
        user_id: uuid::Uuid,
    ) -> Result<Vec<StoredCredential>, CredentialError> {
        let rows: Vec<(String, String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT provider, environment, name, updated_at FROM credential \
             WHERE user_id = $1 ORDER BY provider, environment, name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(
                |(provider, environment, name, updated_at)| StoredCredential {
                    provider,
                    environment,
                    name,
                    updated_at,
                },
            )
            .collect())
    }
}

/// What re-sealing every stored credential did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Values moved to the current key.
    pub resealed: usize,
    /// Values already under it.
    pub current: usize,
    /// Values no key of the ring opens: `user/provider/environment/name
    /// (key id)`, never a value.
    pub unopenable: Vec<String>,
}

impl PgCredentialStore {
    /// Re-seals every stored credential under `keyring`'s current key
    /// (rotation), so retired keys can then be dropped. Each row is
    /// replaced only if it still holds the bytes that were opened: a value
    /// saved meanwhile (under the current key) is left as it is. Values no
    /// key opens are listed and left unchanged.
    pub async fn reseal_all(&self, keyring: &Keyring) -> Result<Resealed, CredentialError> {
        type Row = (uuid::Uuid, String, String, String, Vec<u8>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT user_id, provider, environment, name, sealed FROM credential \
             ORDER BY user_id, provider, environment, name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?;
        let mut report = Resealed::default();
        for (user_id, provider, environment, name, bytes) in rows {
            let key = CredentialKey {
                user_id,
                provider,
                environment,
                name,
            };
            let describe = |key_id: &str| {
                format!(
                    "{}/{}/{}/{} (key {key_id})",
                    key.user_id, key.provider, key.environment, key.name
                )
            };
            let sealed = SealedValue::from_bytes(&bytes)?;
            if sealed.key_id() == keyring.current_key_id() {
                report.current += 1;
                continue;
            }
            let resealed = match keyring.reseal(&key, &sealed) {
                Ok(resealed) => resealed,
                Err(CredentialError::UnknownKey(_) | CredentialError::Unopenable) => {
                    report.unopenable.push(describe(sealed.key_id()));
                    continue;
                }
                Err(error) => return Err(error),
            };
            sqlx::query(
                "UPDATE credential SET sealed = $6, updated_at = now() \
                 WHERE user_id = $1 AND provider = $2 AND environment = $3 AND name = $4 \
                   AND sealed = $5",
            )
            .bind(key.user_id)
            .bind(&key.provider)
            .bind(&key.environment)
            .bind(&key.name)
            .bind(&bytes)
            .bind(resealed.to_bytes())
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
            report.resealed += 1;
        }
        Ok(report)
    }
}

fn store_error(error: sqlx::Error) -> CredentialError {
    CredentialError::Store(error.to_string())
}

#[async_trait]
impl CredentialStore for PgCredentialStore {
    async fn put(&self, key: &CredentialKey, value: SealedValue) -> Result<(), CredentialError> {
        sqlx::query(
            "INSERT INTO credential (user_id, provider, environment, name, sealed) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, provider, environment, name) \
             DO UPDATE SET sealed = EXCLUDED.sealed, updated_at = now()",
        )
        .bind(key.user_id)
        .bind(&key.provider)
        .bind(&key.environment)
        .bind(&key.name)
        .bind(value.to_bytes())
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, key: &CredentialKey) -> Result<Option<SealedValue>, CredentialError> {
        let sealed: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT sealed FROM credential \
             WHERE user_id = $1 AND provider = $2 AND environment = $3 AND name = $4",
        )
        .bind(key.user_id)
        .bind(&key.provider)
        .bind(&key.environment)
        .bind(&key.name)
        .fetch_optional(&self.pool)
        .await
        .map_err(store_error)?;
        sealed
            .map(|bytes| SealedValue::from_bytes(&bytes))
            .transpose()
    }

    async fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError> {
        sqlx::query(
            "DELETE FROM credential \
             WHERE user_id = $1 AND provider = $2 AND environment = $3 AND name = $4",
        )
        .bind(key.user_id)
        .bind(&key.provider)
        .bind(&key.environment)
        .bind(&key.name)
        .execute(&self.pool)
        .await
        .map_err(store_error)?;
        Ok(())
    }
}

/// Webhook event ids already seen, in the `paypal_webhook_delivery` table, so
/// that deduplication survives restarts and holds across server processes.
#[derive(Debug, Clone)]
pub struct PgWebhookDedupe {
    pool: PgPool,
}

impl PgWebhookDedupe {
    /// A dedupe on `pool`, whose database is migrated.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl WebhookDedupe for PgWebhookDedupe {
    async fn record(&self, event_id: &str) -> Result<bool, String> {
        let inserted = sqlx::query(
            "INSERT INTO paypal_webhook_delivery (event_id) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind(event_id)
        .execute(&self.pool)
        .await
        .map_err(|error| error.to_string())?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn forget(&self, event_id: &str) -> Result<(), String> {
        sqlx::query("DELETE FROM paypal_webhook_delivery WHERE event_id = $1")
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map_err(|error| error.to_string())?;
        Ok(())
    }
}
