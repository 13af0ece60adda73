//! Per-user, per-environment provider credentials sealed with AES-256-GCM.
//!
//! The storage (a database table) belongs to the application: this module
//! gives it the cipher ([`Keyring`]), the bytes to store ([`SealedValue`])
//! and the trait to implement ([`CredentialStore`]). Each sealed value names
//! the key that sealed it, so keys can rotate: the current key seals, every
//! key in the ring opens, and [`Keyring::reseal`] moves a value to the
//! current key.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use async_trait::async_trait;
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// Format version of [`SealedValue::to_bytes`].
const SEALED_FORMAT_VERSION: u8 = 1;
/// AES-GCM nonce length in bytes (96 bits, the standard size).
const NONCE_LEN: usize = 12;
/// Longest key id, so it fits the one-byte length prefix.
const KEY_ID_LEN_MAX: usize = 64;

/// Which credential a sealed value is: bound into the ciphertext as
/// associated data, so a value copied to another user's row does not open.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CredentialKey {
    /// The owner.
    pub user_id: uuid::Uuid,
    /// "paypal", "aliexpress", "payoneer".
    pub provider: String,
    /// "sandbox" or "production".
    pub environment: String,
    /// Which value: "client_secret", "access_token", "refresh_token", ...
    pub name: String,
}

impl CredentialKey {
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "dropledger-credential/v1/{}/{}/{}/{}",
            self.user_id, self.provider, self.environment, self.name
        )
        .into_bytes()
    }
}

/// Errors of sealing, opening and storing credentials.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// `ENCRYPTION_KEY` (or another key) is not 32 bytes of base64.
    #[error("encryption key {key_id:?} is malformed: {reason}")]
    MalformedKey {
        /// The key's id.
        key_id: String,
        /// What is wrong (never the key itself).
        reason: &'static str,
    },
    /// The value was sealed with a key this ring does not hold.
    #[error("no key {0:?} in the keyring")]
    UnknownKey(String),
    /// Authentication failed: wrong key, tampered bytes, or the value
    /// belongs to another credential.
    #[error("credential could not be opened (wrong key or tampered)")]
    Unopenable,
    /// Stored bytes are not a sealed value.
    #[error("stored credential bytes are malformed")]
    MalformedSealedValue,
    /// The backing store failed.
    #[error("credential store failed: {0}")]
    Store(String),
}

/// The environment variable holding the current key (`kid:base64`).
pub const ENCRYPTION_KEY_ENV: &str = "ENCRYPTION_KEY";

/// A 256-bit key with the id stored next to every value it seals.
pub struct EncryptionKey {
    id: String,
    bytes: SecretBox<[u8; 32]>,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &self.id)
            .field("bytes", &"[redacted]")
            .finish()
    }
}

impl EncryptionKey {
    /// A key from raw bytes.
    pub fn new(id: impl Into<String>, bytes: [u8; 32]) -> Result<Self, CredentialError> {
        let id = id.into();
        if id.is_empty() || id.len() > KEY_ID_LEN_MAX {
            return Err(CredentialError::MalformedKey {
                key_id: id,
                reason: "key id must be 1 to 64 bytes",
            });
        }
        Ok(Self {
            id,
            bytes: SecretBox::new(Box::new(bytes)),
        })
    }

    /// Parses `ENCRYPTION_KEY`: `"<key id>:<base64 of 32 bytes>"`, or just
    /// the base64, in which case the key id is `"k1"`.
    pub fn parse(value: &str) -> Result<Self, CredentialError> {
        let (id, encoded) = match value.split_once(':') {
            Some((id, encoded)) => (id.trim(), encoded.trim()),
            None => ("k1", value.trim()),
        };
        let malformed = |reason| CredentialError::MalformedKey {
            key_id: id.to_owned(),
            reason,
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| malformed("not base64"))?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| malformed("not 32 bytes"))?;
        Self::new(id, bytes)
    }

    /// A fresh random key, for local runs without `ENCRYPTION_KEY` and tests.
    ///
    /// # Panics
    ///
    /// If `id` is empty or longer than 64 bytes.
    pub fn generate(id: impl Into<String>) -> Self {
        let key = Aes256Gcm::generate_key(&mut OsRng);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&key);
        Self::new(id, bytes).expect("generated key ids are checked by the caller")
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key as [`EncryptionKey::parse`] reads it (`"<key id>:<base64>"`),
    /// to keep a generated local key in a file only its owner reads.
    pub fn to_config_value(&self) -> SecretString {
        let encoded = base64::engine::general_purpose::STANDARD.encode(self.bytes.expose_secret());
        SecretString::from(format!("{}:{encoded}", self.id))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.bytes.expose_secret()))
    }
}

/// Ciphertext with the id of the key that sealed it and its nonce: the
/// bytes to store. `Debug` shows the key id and length only.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedValue {
    key_id: String,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedValue")
            .field("key_id", &self.key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl SealedValue {
    /// The id of the key that sealed this value.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// `version | key id length | key id | nonce | ciphertext+tag`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes =
            Vec::with_capacity(2 + self.key_id.len() + NONCE_LEN + self.ciphertext.len());
        bytes.push(SEALED_FORMAT_VERSION);
        bytes.push(self.key_id.len() as u8);
        bytes.extend_from_slice(self.key_id.as_bytes());
        bytes.extend_from_slice(&self.nonce);
        bytes.extend_from_slice(&self.ciphertext);
        bytes
    }

    /// Reads what [`SealedValue::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CredentialError> {
        let malformed = || CredentialError::MalformedSealedValue;
        let (&version, rest) = bytes.split_first().ok_or_else(malformed)?;
        if version != SEALED_FORMAT_VERSION {
            return Err(malformed());
        }
        let (&id_len, rest) = rest.split_first().ok_or_else(malformed)?;
        let id_len = id_len as usize;
        if rest.len() < id_len + NONCE_LEN {
            return Err(malformed());
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        Ok(Self {
            key_id: String::from_utf8(id.to_vec()).map_err(|_| malformed())?,
            nonce: nonce.try_into().map_err(|_| malformed())?,
            ciphertext: ciphertext.to_vec(),
        })
    }
}

/// The current key (which seals) and older keys (which still open).
#[derive(Debug)]
pub struct Keyring {
    current: String,
    keys: HashMap<String, EncryptionKey>,
}

impl Keyring {
    /// A ring whose current key is `current`.
    pub fn new(current: EncryptionKey) -> Self {
        let id = current.id.clone();
        let mut keys = HashMap::new();
        keys.insert(id.clone(), current);
        Self { current: id, keys }
    }

    /// Adds a retired key that still opens values sealed with it.
    pub fn with_retired(mut self, key: EncryptionKey) -> Self {
        if key.id != self.current {
            self.keys.insert(key.id.clone(), key);
        }
        self
    }

    /// The id of the key that seals.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }

    /// Whether the ring holds the key `key_id`.
    pub fn holds(&self, key_id: &str) -> bool {
        self.keys.contains_key(key_id)
    }

    /// Seals `plaintext` for `key` with the current key and a random nonce.
    pub fn seal(
        &self,
        key: &CredentialKey,
        plaintext: &SecretString,
    ) -> Result<SealedValue, CredentialError> {
        let encryption_key = &self.keys[&self.current];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = key.associated_data();
        let ciphertext = encryption_key
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CredentialError::Unopenable)?;
        let mut nonce_bytes = [0u8; NONCE_LEN];
        nonce_bytes.copy_from_slice(&nonce);
        Ok(SealedValue {
            key_id: self.current.clone(),
            nonce: nonce_bytes,
            ciphertext,
        })
    }

    /// Opens a value sealed for `key` by any key of the ring.
    pub fn open(
        &self,
        key: &CredentialKey,
        sealed: &SealedValue,
    ) -> Result<SecretString, CredentialError> {
        let encryption_key = self
            .keys
            .get(&sealed.key_id)
            .ok_or_else(|| CredentialError::UnknownKey(sealed.key_id.clone()))?;
        let aad = key.associated_data();
        let plaintext = encryption_key
            .cipher()
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| CredentialError::Unopenable)?;
        let text = String::from_utf8(plaintext).map_err(|_| CredentialError::Unopenable)?;
        Ok(SecretString::from(text))
    }

    /// Re-seals a value under the current key (rotation); a value already
    /// under the current key is returned unchanged.
    pub fn reseal(
        &self,
        key: &CredentialKey,
        sealed: &SealedValue,
    ) -> Result<SealedValue, CredentialError> {
        if sealed.key_id == self.current {
            return Ok(sealed.clone());
        }
        let plaintext = self.open(key, sealed)?;
        self.seal(key, &plaintext)
    }
}

/// Where sealed credentials live; the application implements it on its
/// database table. Implementations store bytes and never see plaintext.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Stores (or replaces) a sealed value.
    async fn put(&self, key: &CredentialKey, value: SealedValue) -> Result<(), CredentialError>;
    /// The sealed value, if any.
    async fn get(&self, key: &CredentialKey) -> Result<Option<SealedValue>, CredentialError>;
    /// Removes a value; removing a missing one is not an error.
    async fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError>;
}

/// A [`CredentialStore`] in memory, for tests and local runs.
#[derive(Debug, Default)]
pub struct InMemoryCredentialStore {
    values: Mutex<HashMap<CredentialKey, SealedValue>>,
}

#[async_trait]
impl CredentialStore for InMemoryCredentialStore {
    async fn put(&self, key: &CredentialKey, value: SealedValue) -> Result<(), CredentialError> {
        self.values
            .lock()
            .map_err(|_| CredentialError::Store("lock poisoned".into()))?
            .insert(key.clone(), value);
        Ok(())
    }

    async fn get(&self, key: &CredentialKey) -> Result<Option<SealedValue>, CredentialError> {
        Ok(self
            .values
            .lock()
            .map_err(|_| CredentialError::Store("lock poisoned".into()))?
            .get(key)
            .cloned())
    }

    async fn delete(&self, key: &CredentialKey) -> Result<(), CredentialError> {
        self.values
            .lock()
            .map_err(|_| CredentialError::Store("lock poisoned".into()))?
            .remove(key);
        Ok(())
    }
}

/// A keyring over a store: save plaintext, load plaintext.
pub struct CredentialVault<S> {
    keyring: Keyring,
    store: S,
}

impl<S: CredentialStore> CredentialVault<S> {
    /// A vault sealing with `keyring` into `store`.
    pub fn new(keyring: Keyring, store: S) -> Self {
        Self { keyring, store }
    }

    /// Seals and stores a value.
    pub async fn save(
        &self,
        key: &CredentialKey,
        value: &SecretString,
    ) -> Result<(), CredentialError> {
        let sealed = self.keyring.seal(key, value)?;
        self.store.put(key, sealed).await
    }

    /// Loads and opens a value; a value under a retired key is re-sealed
    /// under the current key on the way (lazy rotation).
    pub async fn load(&self, key: &CredentialKey) -> Result<Option<SecretString>, CredentialError> {
        let Some(sealed) = self.store.get(key).await? else {
            return Ok(None);
        };
        let plaintext = self.keyring.open(key, &sealed)?;
        if sealed.key_id() != self.keyring.current_key_id() {
            let resealed = self.keyring.seal(key, &plaintext)?;
            self.store.put(key, resealed).await?;
        }
        Ok(Some(plaintext))
    }

    /// The store, to inspect it.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The keyring, to re-seal stored values under its current key.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }
}
