//! Personal data in events: sealed, never plaintext.
//!
//! The event log is permanent and hash-chained, so a value about a person
//! written into it in plaintext could never be erased. Events carry such
//! values as a [`PersonalText`] instead: ciphertext under a data key of its
//! *subject* (the person it is about), sealed at the edge before the command
//! is decided. Destroying the subject's key (crypto-shredding) makes every
//! copy in the log unreadable while the log, its hashes and every replay stay
//! as they were. The domain never sees plaintext and does no cryptography: it
//! only carries the sealed value and its subject.
//!
//! Events stored before sealing existed (schema version 1) hold plaintext;
//! the upcasters in [`crate::upcast`] read them as the
//! [`PersonalForm::LegacyPlaintext`] form, which every reader still treats as
//! erased once its subject is.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A personal value as an event carries it: its subject and its sealed
/// bytes (or, for an event stored before sealing, the legacy plaintext).
/// `Debug` never shows the content.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonalText {
    /// Whose value this is: erasing them erases it. `None` only for a
    /// legacy value whose event did not name its subject; readers then
    /// take the subject from the event's stream or context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<Uuid>,
    #[serde(flatten)]
    form: PersonalForm,
}

/// How a [`PersonalText`] holds its value.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PersonalForm {
    /// Ciphertext (base64) under the subject's data key.
    Sealed {
        /// What the personal-data vault sealed.
        sealed: String,
    },
    /// Plaintext stored by a version before sealing (schema version 1),
    /// read through an upcaster: the stored row keeps it, but readers hide
    /// it once the subject is erased.
    LegacyPlaintext {
        /// The value as it was stored.
        legacy_plaintext: String,
    },
}

impl std::fmt::Debug for PersonalText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalText")
            .field("subject", &self.subject)
            .field("form", &self.form)
            .finish()
    }
}

/// Names the form only: logs never show personal values.
impl std::fmt::Debug for PersonalForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PersonalForm::Sealed { .. } => "Sealed",
            PersonalForm::LegacyPlaintext { .. } => "LegacyPlaintext",
        })
    }
}

impl PersonalText {
    /// A value sealed for `subject` by the personal-data vault.
    pub fn sealed(subject: Uuid, sealed: String) -> Self {
        Self {
            subject: Some(subject),
            form: PersonalForm::Sealed { sealed },
        }
    }

    /// A value stored in plaintext before sealing existed (upcasters only).
    pub fn legacy(subject: Option<Uuid>, plaintext: String) -> Self {
        Self {
            subject,
            form: PersonalForm::LegacyPlaintext {
                legacy_plaintext: plaintext,
            },
        }
    }

    /// Whose value this is, when the value names them.
    pub fn subject(&self) -> Option<Uuid> {
        self.subject
    }

    /// The stored form: for the personal-data vault, which alone turns it
    /// into plaintext (and refuses once the subject is erased).
    pub fn form(&self) -> &PersonalForm {
        &self.form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_serialises_as_subject_and_ciphertext_only() {
        let subject = Uuid::from_u128(7);
        let value = PersonalText::sealed(subject, "c2VhbGVk".to_owned());
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "subject": subject, "sealed": "c2VhbGVk" })
        );
        assert_eq!(serde_json::from_value::<PersonalText>(json).unwrap(), value);
    }

    #[test]
    fn a_legacy_value_round_trips_and_its_debug_hides_the_plaintext() {
        let value = PersonalText::legacy(None, "ana@example.com".to_owned());
        let json = serde_json::to_value(&value).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "legacy_plaintext": "ana@example.com" })
        );
        assert_eq!(serde_json::from_value::<PersonalText>(json).unwrap(), value);
        assert!(!format!("{value:?}").contains("ana@"));
    }
}
