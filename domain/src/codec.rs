//! Events to and from the event store's columns: type, schema version, payload.

use serde_json::Value;

use crate::aggregate::DomainEvent;

/// An event ready for the store: what goes in its `event_type`,
/// `schema_version` and `payload` columns.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    /// The stable past-tense type name, e.g. `"OrderPaid"`.
    pub event_type: &'static str,
    /// The payload schema version of the event's stream type.
    pub schema_version: i32,
    /// The JSON payload; it repeats the type in its `"type"` field.
    pub payload: Value,
}

/// Why a stored event could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Stored with a schema version this code does not read (no upcaster).
    #[error("{event_type} has schema version {stored}; this code reads version {supported}")]
    UnsupportedSchemaVersion {
        /// The stored type.
        event_type: String,
        /// The stored version.
        stored: i32,
        /// The version this code reads.
        supported: i32,
    },
    /// The payload does not parse, or breaks an invariant (an unbalanced entry).
    #[error("{event_type} payload is invalid: {reason}")]
    Invalid {
        /// The stored type.
        event_type: String,
        /// What serde said.
        reason: String,
    },
    /// The type column and the payload's own type disagree.
    #[error("stored as {stored} but the payload is a {payload}")]
    TypeMismatch {
        /// The type column.
        stored: String,
        /// The type in the payload.
        payload: &'static str,
    },
}

/// Encodes an event for the store.
pub fn encode_event<E: DomainEvent>(event: &E) -> EncodedEvent {
    EncodedEvent {
        event_type: event.event_type(),
        schema_version: E::SCHEMA_VERSION,
        // Serialising these types cannot fail: no maps with non-string keys,
        // no custom serialisers that error.
        payload: serde_json::to_value(event).expect("domain events serialise to JSON"),
    }
}

/// Decodes a stored event, checking its schema version and that the type
/// column agrees with the payload. Invariants (balanced entries, sale
/// breakdowns that add up, valid money) are checked again by deserialising.
pub fn decode_event<E: DomainEvent>(
    event_type: &str,
    schema_version: i32,
    payload: Value,
) -> Result<E, DecodeError> {
    if schema_version != E::SCHEMA_VERSION {
        return Err(DecodeError::UnsupportedSchemaVersion {
            event_type: event_type.to_owned(),
            stored: schema_version,
            supported: E::SCHEMA_VERSION,
        });
    }
    let event: E = serde_json::from_value(payload).map_err(|error| DecodeError::Invalid {
        event_type: event_type.to_owned(),
        reason: error.to_string(),
    })?;
    if event.event_type() != event_type {
        return Err(DecodeError::TypeMismatch {
            stored: event_type.to_owned(),
            payload: event.event_type(),
        });
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{FailureReason, OrderEvent};
    use crate::testkit::*;

    fn failed() -> OrderEvent {
        OrderEvent::OrderFailed {
            reason: FailureReason::OutOfStock,
            released_hold: Some(hold_id(1)),
            failed_at: at(0),
        }
    }

    #[test]
    fn an_encoded_event_decodes_to_itself() {
        let encoded = encode_event(&failed());
        assert_eq!(encoded.event_type, "OrderFailed");
        assert_eq!(encoded.schema_version, OrderEvent::SCHEMA_VERSION);
        let decoded: OrderEvent =
            decode_event(encoded.event_type, encoded.schema_version, encoded.payload).unwrap();
        assert_eq!(decoded, failed());
    }

    #[test]
    fn an_unknown_schema_version_is_refused_rather_than_misread() {
        let encoded = encode_event(&failed());
        assert_eq!(
            decode_event::<OrderEvent>("OrderFailed", 3, encoded.payload),
            Err(DecodeError::UnsupportedSchemaVersion {
                event_type: "OrderFailed".into(),
                stored: 3,
                supported: 2
            })
        );
    }

    #[test]
    fn a_type_column_that_disagrees_with_the_payload_is_refused() {
        let encoded = encode_event(&failed());
        assert_eq!(
            decode_event::<OrderEvent>("OrderPaid", OrderEvent::SCHEMA_VERSION, encoded.payload),
            Err(DecodeError::TypeMismatch {
                stored: "OrderPaid".into(),
                payload: "OrderFailed"
            })
        );
    }

    #[test]
    fn a_payload_that_breaks_an_invariant_is_refused() {
        let payload = serde_json::json!({"type": "OrderFailed", "reason": "BORED", "failed_at": "2026-01-01T00:00:00Z"});
        assert!(matches!(
            decode_event::<OrderEvent>("OrderFailed", OrderEvent::SCHEMA_VERSION, payload),
            Err(DecodeError::Invalid { .. })
        ));
    }
}
