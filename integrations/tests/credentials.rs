//! Credentials sealed with AES-256-GCM: round trip, refusals, rotation.

use dropledger_integrations::{
    CredentialError, CredentialKey, CredentialStore, CredentialVault, EncryptionKey, ExposeSecret,
    InMemoryCredentialStore, Keyring, SealedValue, SecretString,
};

fn key_for(name: &str) -> CredentialKey {
    CredentialKey {
        user_id: uuid::Uuid::from_u128(7),
        provider: "aliexpress".into(),
        environment: "sandbox".into(),
        name: name.into(),
    }
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

#[test]
fn a_sealed_value_opens_to_the_same_secret_and_survives_storage_as_bytes() {
    let ring = Keyring::new(EncryptionKey::generate("k1"));
    let sealed = ring
        .seal(&key_for("access_token"), &secret("50000601c30atpedfgu3"))
        .unwrap();

    let stored = SealedValue::from_bytes(&sealed.to_bytes()).unwrap();
    let opened = ring.open(&key_for("access_token"), &stored).unwrap();

    assert_eq!(opened.expose_secret(), "50000601c30atpedfgu3");
    assert_eq!(stored.key_id(), "k1");
    assert!(
        !sealed.to_bytes().windows(8).any(|w| w == b"50000601"),
        "the bytes are not the plaintext"
    );
}

#[test]
fn sealing_twice_gives_different_ciphertexts() {
    let ring = Keyring::new(EncryptionKey::generate("k1"));
    let a = ring.seal(&key_for("t"), &secret("same")).unwrap();
    let b = ring.seal(&key_for("t"), &secret("same")).unwrap();
    assert_ne!(a.to_bytes(), b.to_bytes(), "a fresh nonce per seal");
}

#[test]
fn a_different_key_with_the_same_id_cannot_open_it() {
    let sealed = Keyring::new(EncryptionKey::generate("k1"))
        .seal(&key_for("t"), &secret("s"))
        .unwrap();
    let impostor = Keyring::new(EncryptionKey::generate("k1"));
    assert!(matches!(
        impostor.open(&key_for("t"), &sealed),
        Err(CredentialError::Unopenable)
    ));
}

#[test]
fn a_value_sealed_under_an_unknown_key_id_is_refused_by_name() {
    let sealed = Keyring::new(EncryptionKey::generate("old"))
        .seal(&key_for("t"), &secret("s"))
        .unwrap();
    let ring = Keyring::new(EncryptionKey::generate("new"));
    assert!(
        matches!(ring.open(&key_for("t"), &sealed), Err(CredentialError::UnknownKey(id)) if id == "old")
    );
}

#[test]
fn a_value_copied_to_another_credential_does_not_open() {
    let ring = Keyring::new(EncryptionKey::generate("k1"));
    let sealed = ring.seal(&key_for("access_token"), &secret("s")).unwrap();
    let mut other_user = key_for("access_token");
    other_user.user_id = uuid::Uuid::from_u128(8);
    assert!(matches!(
        ring.open(&other_user, &sealed),
        Err(CredentialError::Unopenable)
    ));
    assert!(matches!(
        ring.open(&key_for("refresh_token"), &sealed),
        Err(CredentialError::Unopenable)
    ));
}

#[test]
fn tampered_bytes_are_refused() {
    let ring = Keyring::new(EncryptionKey::generate("k1"));
    let mut bytes = ring
        .seal(&key_for("t"), &secret("secret"))
        .unwrap()
        .to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = SealedValue::from_bytes(&bytes).unwrap();
    assert!(matches!(
        ring.open(&key_for("t"), &tampered),
        Err(CredentialError::Unopenable)
    ));
    assert!(matches!(
        SealedValue::from_bytes(&[9, 0]),
        Err(CredentialError::MalformedSealedValue)
    ));
}

#[test]
fn after_rotation_old_values_open_and_reseal_under_the_new_key() {
    let old = Keyring::new(
        EncryptionKey::parse("2025-01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap(),
    );
    let sealed = old.seal(&key_for("t"), &secret("rotate me")).unwrap();
    assert_eq!(sealed.key_id(), "2025-01");

    let rotated = Keyring::new(EncryptionKey::generate("2026-01")).with_retired(
        EncryptionKey::parse("2025-01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap(),
    );
    assert_eq!(
        rotated
            .open(&key_for("t"), &sealed)
            .unwrap()
            .expose_secret(),
        "rotate me"
    );

    let resealed = rotated.reseal(&key_for("t"), &sealed).unwrap();
    assert_eq!(resealed.key_id(), "2026-01");
    assert_eq!(
        rotated
            .open(&key_for("t"), &resealed)
            .unwrap()
            .expose_secret(),
        "rotate me"
    );
    assert!(matches!(
        old.open(&key_for("t"), &resealed),
        Err(CredentialError::UnknownKey(_))
    ));
}

#[tokio::test]
async fn the_vault_reseals_a_value_under_the_current_key_when_it_loads_it() {
    let store = InMemoryCredentialStore::default();
    let old =
        Keyring::new(EncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap());
    store
        .put(
            &key_for("t"),
            old.seal(&key_for("t"), &secret("v")).unwrap(),
        )
        .await
        .unwrap();
    let ring = Keyring::new(EncryptionKey::generate("k2")).with_retired(
        EncryptionKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap(),
    );
    let vault = CredentialVault::new(ring, store);

    assert_eq!(
        vault
            .load(&key_for("t"))
            .await
            .unwrap()
            .unwrap()
            .expose_secret(),
        "v"
    );

    let stored = vault.store().get(&key_for("t")).await.unwrap().unwrap();
    assert_eq!(stored.key_id(), "k2");
    assert!(vault.load(&key_for("missing")).await.unwrap().is_none());
}

#[test]
fn keys_and_sealed_values_never_print_their_secrets() {
    let key = EncryptionKey::parse("k9:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    let printed = format!("{key:?}");
    assert!(printed.contains("k9") && printed.contains("redacted"));
    assert!(!printed.contains("AAECAw") && !printed.contains("[0, 1, 2"));
    let ring = Keyring::new(key);
    assert!(!format!("{ring:?}").contains("[0, 1, 2"));
    let sealed = ring.seal(&key_for("t"), &secret("hunter2")).unwrap();
    assert!(!format!("{sealed:?}").contains("hunter2"));
    assert!(!format!("{:?}", secret("hunter2")).contains("hunter2"));
}

#[test]
fn a_malformed_encryption_key_is_refused_without_echoing_it() {
    let short = EncryptionKey::parse("k1:c2hvcnQ=").unwrap_err();
    assert!(matches!(
        short,
        CredentialError::MalformedKey {
            reason: "not 32 bytes",
            ..
        }
    ));
    assert!(!short.to_string().contains("c2hvcnQ"));
    assert!(matches!(
        EncryptionKey::parse("k1:***"),
        Err(CredentialError::MalformedKey {
            reason: "not base64",
            ..
        })
    ));
}
