//! The tamper-evident hash chain over the global log.
//!
//! Each log entry stores `SHA-256(previous chain hash ‖ encoding of the
//! event)`, so changing any stored byte of an event changes its link and,
//! unless every later hash is rewritten too, is found by recomputing the
//! chain. The encoding hashes the bytes PostgreSQL stores, read back as
//! text (`jsonb` prints deterministically), with every variable-length field
//! length-prefixed so that no two different events encode alike.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

/// The stored columns of `event e` that the chain covers, in the order
/// [`ChainedEvent::from_row`] reads them.
macro_rules! chained_columns {
    () => {
        "e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, \
         e.payload::text, e.metadata::text, e.recorded_at"
    };
}
pub(crate) use chained_columns;

/// The hash before the first event.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// The stored fields of one event that the chain covers.
pub(crate) struct ChainedEvent<'a> {
    pub position: i64,
    pub event_id: Uuid,
    pub stream_id: &'a str,
    pub stream_version: i64,
    pub event_type: &'a str,
    pub schema_version: i32,
    pub payload_text: &'a str,
    pub metadata_text: &'a str,
    pub recorded_at: DateTime<Utc>,
}

impl<'a> ChainedEvent<'a> {
    /// The event at `position` from a row holding [`chained_columns!`] from column `first` on.
    pub fn from_row(position: i64, row: &'a PgRow, first: usize) -> Self {
        Self {
            position,
            event_id: row.get(first),
            stream_id: row.get(first + 1),
            stream_version: row.get(first + 2),
            event_type: row.get(first + 3),
            schema_version: row.get(first + 4),
            payload_text: row.get(first + 5),
            metadata_text: row.get(first + 6),
            recorded_at: row.get(first + 7),
        }
    }
}

/// The chain hash of `event` following `previous`.
pub(crate) fn link(previous: &[u8; 32], event: &ChainedEvent<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(event.position.to_be_bytes());
    hasher.update(event.event_id.as_bytes());
    update_text(&mut hasher, event.stream_id);
    hasher.update(event.stream_version.to_be_bytes());
    update_text(&mut hasher, event.event_type);
    hasher.update(event.schema_version.to_be_bytes());
    update_text(&mut hasher, event.payload_text);
    update_text(&mut hasher, event.metadata_text);
    hasher.update(event.recorded_at.timestamp_micros().to_be_bytes());
    hasher.finalize().into()
}

fn update_text(hasher: &mut Sha256, text: &str) {
    hasher.update((text.len() as u64).to_be_bytes());
    hasher.update(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(payload_text: &'a str, metadata_text: &'a str) -> ChainedEvent<'a> {
        ChainedEvent {
            position: 1,
            event_id: Uuid::nil(),
            stream_id: "order-1",
            stream_version: 1,
            event_type: "OrderPaid",
            schema_version: 1,
            payload_text,
            metadata_text,
            recorded_at: DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time"),
        }
    }

    #[test]
    fn a_changed_payload_byte_changes_the_link() {
        let original = link(&GENESIS, &event(r#"{"a": "1.00"}"#, "{}"));
        let edited = link(&GENESIS, &event(r#"{"a": "1.01"}"#, "{}"));
        assert_ne!(original, edited);
    }

    #[test]
    fn moving_bytes_between_fields_changes_the_link() {
        // Without length prefixes these two would hash the same bytes.
        let one = link(&GENESIS, &event("[1]", "{}"));
        let other = link(&GENESIS, &event("[1]{", "}"));
        assert_ne!(one, other);
    }

    #[test]
    fn the_link_depends_on_the_previous_hash() {
        let after_genesis = link(&GENESIS, &event("{}", "{}"));
        let after_other = link(&[1; 32], &event("{}", "{}"));
        assert_ne!(after_genesis, after_other);
    }
}
