//! Each user's AliExpress OAuth token pair, sealed in the credential vault.
//!
//! Purchases are made with the seller's own token (as the original system
//! did), so the OAuth callback stores the pair here and fulfilment loads it.
//! The pair is kept as one sealed JSON value so that access token, refresh
//! token and expiry can never be read back half-updated.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::credentials::{CredentialError, CredentialKey, CredentialStore, CredentialVault};
use crate::AliExpressToken;

/// The provider name under which supplier tokens are stored.
pub const SUPPLIER_PROVIDER: &str = "aliexpress";
/// The credential name of the sealed token pair: written by the OAuth
/// callback only.
pub const SUPPLIER_TOKEN_NAME: &str = "oauth_token";

/// The sealed form of an [`AliExpressToken`].
#[derive(Serialize, Deserialize)]
struct StoredToken {
    access_token: String,
    refresh_token: String,
    expires_at: DateTime<Utc>,
    refresh_expires_at: Option<DateTime<Utc>>,
    user_id: Option<String>,
    account: Option<String>,
}

/// Saves and loads users' supplier tokens through a [`CredentialVault`].
pub struct SupplierTokens<'a, S> {
    vault: &'a CredentialVault<S>,
}

impl<'a, S: CredentialStore> SupplierTokens<'a, S> {
    /// Supplier tokens kept in `vault`.
    pub fn new(vault: &'a CredentialVault<S>) -> Self {
        Self { vault }
    }

    /// Stores (or replaces) `user_id`'s token pair for `environment`
    /// ("sandbox" or "production").
    pub async fn save(
        &self,
        user_id: Uuid,
        environment: &str,
        token: &AliExpressToken,
    ) -> Result<(), CredentialError> {
        let stored = StoredToken {
            access_token: token.access_token.expose_secret().to_owned(),
            refresh_token: token.refresh_token.expose_secret().to_owned(),
            expires_at: token.expires_at,
            refresh_expires_at: token.refresh_expires_at,
            user_id: token.user_id.clone(),
            account: token.account.clone(),
        };
        let json = serde_json::to_string(&stored)
            .map_err(|_| CredentialError::Store("a token pair always serialises".into()))?;
        self.vault
            .save(&key(user_id, environment), &SecretString::from(json))
            .await
    }

    /// `user_id`'s token pair for `environment`, if they connected AliExpress.
    pub async fn load(
        &self,
        user_id: Uuid,
        environment: &str,
    ) -> Result<Option<AliExpressToken>, CredentialError> {
        let Some(json) = self.vault.load(&key(user_id, environment)).await? else {
            return Ok(None);
        };
        let stored: StoredToken = serde_json::from_str(json.expose_secret())
            .map_err(|_| CredentialError::MalformedSealedValue)?;
        Ok(Some(AliExpressToken {
            access_token: SecretString::from(stored.access_token),
            refresh_token: SecretString::from(stored.refresh_token),
            expires_at: stored.expires_at,
            refresh_expires_at: stored.refresh_expires_at,
            user_id: stored.user_id,
            account: stored.account,
        }))
    }

    /// When `user_id`'s access token for `environment` expires, without
    /// handing the secret out (for listings of connected providers).
    pub async fn expires_at(
        &self,
        user_id: Uuid,
        environment: &str,
    ) -> Result<Option<DateTime<Utc>>, CredentialError> {
        Ok(self
            .load(user_id, environment)
            .await?
            .map(|token| token.expires_at))
    }
}

fn key(user_id: Uuid, environment: &str) -> CredentialKey {
    CredentialKey {
        user_id,
        provider: SUPPLIER_PROVIDER.to_owned(),
        environment: environment.to_owned(),
        name: SUPPLIER_TOKEN_NAME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{EncryptionKey, InMemoryCredentialStore, Keyring};

    fn token() -> AliExpressToken {
        AliExpressToken {
            access_token: SecretString::from("access-1".to_owned()),
            refresh_token: SecretString::from("refresh-1".to_owned()),
            expires_at: "2026-12-01T00:00:00Z".parse().unwrap(),
            refresh_expires_at: None,
            user_id: Some("ae-7".to_owned()),
            account: Some("seller".to_owned()),
        }
    }

    #[tokio::test]
    async fn a_saved_token_pair_loads_back_for_its_user_and_environment_only() {
        let vault = CredentialVault::new(
            Keyring::new(EncryptionKey::generate("k1")),
            InMemoryCredentialStore::default(),
        );
        let tokens = SupplierTokens::new(&vault);
        let user = Uuid::new_v4();
        tokens.save(user, "sandbox", &token()).await.unwrap();

        let loaded = tokens.load(user, "sandbox").await.unwrap().unwrap();
        assert_eq!(loaded.access_token.expose_secret(), "access-1");
        assert_eq!(loaded.refresh_token.expose_secret(), "refresh-1");
        assert_eq!(loaded.expires_at, token().expires_at);
        assert_eq!(loaded.user_id.as_deref(), Some("ae-7"));
        assert!(tokens.load(user, "production").await.unwrap().is_none());
        assert!(tokens
            .load(Uuid::new_v4(), "sandbox")
            .await
            .unwrap()
            .is_none());
    }
}
