//! The integrations' tables on a real PostgreSQL: sealed credentials and webhook dedupe.

use dropledger_devdb::TestDatabase;
use dropledger_integrations::{
    CredentialKey, CredentialVault, EncryptionKey, ExposeSecret, Keyring, PgCredentialStore,
    PgWebhookDedupe, SecretString, WebhookDedupe,
};

fn key_for(name: &str) -> CredentialKey {
    CredentialKey {
        user_id: uuid::Uuid::from_u128(42),
        provider: "aliexpress".into(),
        environment: "sandbox".into(),
        name: name.into(),
    }
}

#[tokio::test]
async fn a_credential_saved_in_the_database_is_stored_sealed_and_loads_back() {
    let db = TestDatabase::new().await;
    let vault = CredentialVault::new(
        Keyring::new(EncryptionKey::generate("k1")),
        PgCredentialStore::new(db.pool().clone()),
    );
    vault
        .save(
            &key_for("access_token"),
            &SecretString::from("tok-5000-secret".to_owned()),
        )
        .await
        .unwrap();

    let stored: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM credential")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(
        !stored.windows(8).any(|w| w == b"tok-5000"),
        "the plaintext is not stored"
    );

    let loaded = vault.load(&key_for("access_token")).await.unwrap().unwrap();
    assert_eq!(loaded.expose_secret(), "tok-5000-secret");
    assert!(vault
        .load(&key_for("refresh_token"))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn saving_again_replaces_the_credential() {
    let db = TestDatabase::new().await;
    let vault = CredentialVault::new(
        Keyring::new(EncryptionKey::generate("k1")),
        PgCredentialStore::new(db.pool().clone()),
    );
    for token in ["first", "second"] {
        vault
            .save(
                &key_for("access_token"),
                &SecretString::from(token.to_owned()),
            )
            .await
            .unwrap();
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM credential")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let loaded = vault.load(&key_for("access_token")).await.unwrap().unwrap();
    assert_eq!(loaded.expose_secret(), "second");
}

#[tokio::test]
async fn of_concurrent_deliveries_of_one_webhook_exactly_one_is_new() {
    let db = TestDatabase::new().await;
    let dedupe = PgWebhookDedupe::new(db.pool().clone());
    let deliveries = (0..8).map(|_| {
        let dedupe = dedupe.clone();
        tokio::spawn(async move { dedupe.record("WH-1234").await.unwrap() })
    });
    let new: Vec<bool> = futures::future::join_all(deliveries)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect();
    assert_eq!(new.iter().filter(|is_new| **is_new).count(), 1);

    // Forgotten (the sink refused it), the next delivery is new again.
    dedupe.forget("WH-1234").await.unwrap();
    assert!(dedupe.record("WH-1234").await.unwrap());
    assert!(!dedupe.record("WH-1234").await.unwrap());
}
