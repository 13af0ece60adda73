//! The personal-data vault: seals personal values for the event log under
//! a data key per subject, opens them, and erases a subject by destroying
//! their key (crypto-shredding).
//!
//! Each subject's key is 32 random bytes in `personal_data_key`, sealed with
//! the credential [`Keyring`] (so `ENCRYPTION_KEY` protects it and rotates
//! it). A value is sealed with AES-256-GCM under the subject's key, bound to
//! the subject as associated data, and stored in the event as base64 inside
//! a [`PersonalText`]. Erasure NULLs the key: no copy of any value sealed for
//! the subject opens again, wherever the log, a backup of it or an export
//! went. Legacy plaintext (events stored before sealing) is hidden by every
//! reader once its subject is erased, though its stored row still holds it.

use std::sync::Arc;

use aes_gcm::aead::{KeyInit, OsRng};
use aes_gcm::Aes256Gcm;
use base64::Engine;
use sqlx::PgPool;
use uuid::Uuid;

use dropledger_domain::{PersonalForm, PersonalText};

use crate::credentials::{
    CredentialError, CredentialKey, CredentialVault, EncryptionKey, Keyring, SealedValue,
};
use crate::postgres::PgCredentialStore;
use secrecy::{ExposeSecret, SecretString};

/// Bytes of a subject's data key (AES-256).
const DATA_KEY_BYTES: usize = 32;

/// Why a personal value could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum PersonalDataError {
    /// The subject's data was erased: nothing is sealed for them again.
    #[error("the personal data of {0} is erased")]
    Erased(Uuid),
    /// A sealed value whose subject has no key row: damaged data.
    #[error("no data key for {0}")]
    NoKey(Uuid),
    /// A sealed value without a subject: damaged data.
    #[error("a sealed personal value without a subject")]
    NoSubject,
    /// Sealing, opening or the keyring failed.
    #[error(transparent)]
    Crypto(#[from] CredentialError),
    /// The database failed.
    #[error("personal data store: {0}")]
    Database(#[from] sqlx::Error),
}

/// A personal value as a reader may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The plaintext.
    Plain(String),
    /// Its subject was erased: shown as erased, never as the value.
    Erased,
}

impl Opened {
    /// The plaintext, or `None` once erased.
    pub fn into_plain(self) -> Option<String> {
        match self {
            Opened::Plain(text) => Some(text),
            Opened::Erased => None,
        }
    }
}

/// Seals, opens and erases personal values; cheap to clone.
#[derive(Clone)]
pub struct PersonalData {
    vault: Arc<CredentialVault<PgCredentialStore>>,
}

impl std::fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalData").finish_non_exhaustive()
    }
}

/// The associated data binding a subject's key to its row.
fn key_binding(subject: Uuid) -> CredentialKey {
    CredentialKey {
        user_id: subject,
        provider: "personal-data".to_owned(),
        environment: "key".to_owned(),
        name: "data-key".to_owned(),
    }
}

/// The associated data binding a value to its subject: a value copied into
/// another subject's event does not open.
fn value_binding(subject: Uuid) -> CredentialKey {
    CredentialKey {
        user_id: subject,
        provider: "personal-data".to_owned(),
        environment: "value".to_owned(),
        name: "text".to_owned(),
    }
}

impl PersonalData {
    /// A vault whose keys are sealed by `vault`'s keyring in its database.
    pub fn new(vault: Arc<CredentialVault<PgCredentialStore>>) -> Self {
        Self { vault }
    }

    fn pool(&self) -> &PgPool {
        self.vault.store().pool()
    }

    fn keyring(&self) -> &Keyring {
        self.vault.keyring()
    }

    /// Seals `plaintext` for `subject`, creating their key on first use.
    pub async fn seal(
        &self,
        subject: Uuid,
        plaintext: &str,
    ) -> Result<PersonalText, PersonalDataError> {
        let key = match self.data_key(subject).await? {
            KeyState::Live(key) => key,
            KeyState::Erased => return Err(PersonalDataError::Erased(subject)),
            KeyState::Missing => self.create_key(subject).await?,
        };
        let sealed = Keyring::new(key).seal(
            &value_binding(subject),
            &SecretString::from(plaintext.to_owned()),
        )?;
        let text = base64::engine::general_purpose::STANDARD.encode(sealed.to_bytes());
        Ok(PersonalText::sealed(subject, text))
    }

    /// Opens `text`. `owner` is the subject the reader knows from context
    /// (the user of the stream, the payee of the payout): it decides
    /// erasure of a legacy value whose event named no subject.
    pub async fn open(
        &self,
        text: &PersonalText,
        owner: Option<Uuid>,
    ) -> Result<Opened, PersonalDataError> {
        let subject = text.subject().or(owner);
        match text.form() {
            PersonalForm::LegacyPlaintext { legacy_plaintext } => {
                // A legacy value that names nobody (the platform's address
                // before sealing) is not any erased subject's.
                let Some(subject) = subject else {
                    return Ok(Opened::Plain(legacy_plaintext.clone()));
                };
                Ok(if self.is_erased(subject).await? {
                    Opened::Erased
                } else {
                    Opened::Plain(legacy_plaintext.clone())
                })
            }
            PersonalForm::Sealed { sealed } => {
                let subject = subject.ok_or(PersonalDataError::NoSubject)?;
                let key = match self.data_key(subject).await? {
                    KeyState::Live(key) => key,
                    KeyState::Erased => return Ok(Opened::Erased),
                    KeyState::Missing => return Err(PersonalDataError::NoKey(subject)),
                };
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(sealed)
                    .map_err(|_| CredentialError::MalformedSealedValue)?;
                let sealed = SealedValue::from_bytes(&bytes)?;
                let plain = Keyring::new(key).open(&value_binding(subject), &sealed)?;
                Ok(Opened::Plain(plain.expose_secret().to_owned()))
            }
        }
    }

    /// Destroys `subject`'s data key for good and records that they are
    /// erased (also when they never had a key: their legacy plaintext is
    /// then hidden). Erasing twice changes nothing.
    pub async fn erase(&self, subject: Uuid) -> Result<(), PersonalDataError> {
        sqlx::query(
            "INSERT INTO personal_data_key (subject, sealed_key, erased_at) \
             VALUES ($1, NULL, now()) \
             ON CONFLICT (subject) DO UPDATE \
             SET sealed_key = NULL, erased_at = COALESCE(personal_data_key.erased_at, now())",
        )
        .bind(subject)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Whether `subject` was erased.
    pub async fn is_erased(&self, subject: Uuid) -> Result<bool, PersonalDataError> {
        let erased: Option<bool> = sqlx::query_scalar(
            "SELECT erased_at IS NOT NULL FROM personal_data_key WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(self.pool())
        .await?;
        Ok(erased.unwrap_or(false))
    }

    /// Re-seals every live data key under the keyring's current key
    /// (`rotate-credentials`); returns how many changed and how many no key
    /// of the ring opens (left as they are: give the retired key).
    pub async fn reseal_keys(&self) -> Result<(u64, u64), PersonalDataError> {
        let rows: Vec<(Uuid, Vec<u8>)> = sqlx::query_as(
            "SELECT subject, sealed_key FROM personal_data_key WHERE sealed_key IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        let (mut resealed, mut unopenable) = (0, 0);
        for (subject, bytes) in rows {
            let sealed = SealedValue::from_bytes(&bytes)?;
            if sealed.key_id() == self.keyring().current_key_id() {
                continue;
            }
            let again = match self.keyring().reseal(&key_binding(subject), &sealed) {
                Ok(again) => again,
                Err(CredentialError::UnknownKey(_) | CredentialError::Unopenable) => {
                    unopenable += 1;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            // Only if unchanged meanwhile: an erasure in between wins.
            resealed += sqlx::query(
                "UPDATE personal_data_key SET sealed_key = $3 \
                 WHERE subject = $1 AND sealed_key = $2",
            )
            .bind(subject)
            .bind(&bytes)
            .bind(again.to_bytes())
            .execute(self.pool())
            .await?
            .rows_affected();
        }
        Ok((resealed, unopenable))
    }

    async fn data_key(&self, subject: Uuid) -> Result<KeyState, PersonalDataError> {
        let row: Option<(Option<Vec<u8>>,)> =
            sqlx::query_as("SELECT sealed_key FROM personal_data_key WHERE subject = $1")
                .bind(subject)
                .fetch_optional(self.pool())
                .await?;
        match row {
            None => Ok(KeyState::Missing),
            Some((None,)) => Ok(KeyState::Erased),
            Some((Some(bytes),)) => Ok(KeyState::Live(self.unseal_key(subject, &bytes)?)),
        }
    }

    fn unseal_key(&self, subject: Uuid, bytes: &[u8]) -> Result<EncryptionKey, PersonalDataError> {
        let sealed = SealedValue::from_bytes(bytes)?;
        let encoded = self.keyring().open(&key_binding(subject), &sealed)?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(encoded.expose_secret())
            .map_err(|_| CredentialError::MalformedSealedValue)?;
        let raw: [u8; DATA_KEY_BYTES] = raw
            .try_into()
            .map_err(|_| CredentialError::MalformedSealedValue)?;
        Ok(EncryptionKey::new(
            format!("subject-{}", subject.simple()),
            raw,
        )?)
    }

    /// Creates `subject`'s key; when another request created it first, that
    /// one is used (and an erasure in between is respected).
    async fn create_key(&self, subject: Uuid) -> Result<EncryptionKey, PersonalDataError> {
        let raw = Aes256Gcm::generate_key(&mut OsRng);
        let encoded = SecretString::from(base64::engine::general_purpose::STANDARD.encode(raw));
        let sealed = self.keyring().seal(&key_binding(subject), &encoded)?;
        sqlx::query(
            "INSERT INTO personal_data_key (subject, sealed_key) VALUES ($1, $2) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(subject)
        .bind(sealed.to_bytes())
        .execute(self.pool())
        .await?;
        match self.data_key(subject).await? {
            KeyState::Live(key) => Ok(key),
            KeyState::Erased => Err(PersonalDataError::Erased(subject)),
            KeyState::Missing => Err(PersonalDataError::NoKey(subject)),
        }
    }
}

enum KeyState {
    Live(EncryptionKey),
    Erased,
    Missing,
}
