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

/// A ring of `current`, holding `retired` for reading.
fn ring(current: &EncryptionKey, retired: &[&EncryptionKey]) -> Keyring {
    let copy =
        |key: &EncryptionKey| EncryptionKey::parse(key.to_config_value().expose_secret()).unwrap();
    retired
        .iter()
        .fold(Keyring::new(copy(current)), |ring, key| {
            ring.with_retired(copy(key))
        })
}

// Issue 15, item 17: values sealed under a key that is then retired are
// re-sealed under the new one, and open once the old key is gone.
#[tokio::test]
async fn rotation_reseals_every_credential_so_the_old_key_can_be_dropped() {
    let db = TestDatabase::new().await;
    let (old, new) = (EncryptionKey::generate("k1"), EncryptionKey::generate("k2"));
    let store = || PgCredentialStore::new(db.pool().clone());
    let before = CredentialVault::new(ring(&old, &[]), store());
    for name in ["access_token", "refresh_token"] {
        let value = SecretString::from(format!("{name}-secret"));
        before.save(&key_for(name), &value).await.unwrap();
    }

    // Without the old key, nothing opens and rotation says which.
    let new_only = ring(&new, &[]);
    let refused = store().reseal_all(&new_only).await.unwrap();
    assert_eq!(refused.resealed, 0);
    assert_eq!(refused.unopenable.len(), 2, "{refused:?}");
    assert!(refused.unopenable[0].ends_with("(key k1)"), "{refused:?}");

    let rotated = store().reseal_all(&ring(&new, &[&old])).await.unwrap();
    assert_eq!((rotated.resealed, rotated.current), (2, 0), "{rotated:?}");
    assert!(rotated.unopenable.is_empty());
    let again = store().reseal_all(&ring(&new, &[&old])).await.unwrap();
    assert_eq!((again.resealed, again.current), (0, 2), "{again:?}");

    // The old key removed: still readable.
    let after = CredentialVault::new(new_only, store());
    for name in ["access_token", "refresh_token"] {
        let opened = after.load(&key_for(name)).await.unwrap().unwrap();
        assert_eq!(opened.expose_secret(), format!("{name}-secret"));
    }
}
