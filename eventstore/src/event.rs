//! The shapes of events going into and coming out of the store.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use uuid::Uuid;

/// Who and what caused an event; stored beside every event as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Shared by every event of one business flow (one request, one job).
    pub correlation_id: Uuid,
    /// The event or command that directly caused this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// A user id, or `system:<process>` for the process managers.
    pub actor: String,
    /// The command whose decision produced this event, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
}

impl Metadata {
    /// Metadata for a new flow started by `actor`, with a fresh correlation id.
    pub fn new(actor: impl Into<String>) -> Self {
        Self {
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            actor: actor.into(),
            command_id: None,
        }
    }
}

/// An event to append. Its id makes the append idempotent: storing the same
/// id again returns the original result instead of writing twice.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique across the whole store.
    pub event_id: Uuid,
    /// The past-tense name of what happened, e.g. `OrderPaid`.
    pub event_type: String,
    /// The version of the payload's shape, starting at 1.
    pub schema_version: i32,
    /// The event's data.
    pub payload: Value,
    /// Who and what caused it.
    pub metadata: Metadata,
}

impl NewEvent {
    /// An event with a fresh id at schema version 1.
    pub fn new(event_type: impl Into<String>, payload: Value, metadata: Metadata) -> Self {
        Self {
            event_id: Uuid::new_v4(),
            event_type: event_type.into(),
            schema_version: 1,
            payload,
            metadata,
        }
    }
}

/// The version a writer expects a stream to be at; the append is refused with
/// a version conflict otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Append whatever the stream's version.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (1 or more).
    Exact(u64),
}

impl std::fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("any version"),
            Self::NoStream => f.write_str("no stream"),
            Self::Exact(version) => write!(f, "version {version}"),
        }
    }
}

/// What an append stored: the versions its events took in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendResult {
    /// The stream appended to.
    pub stream_id: String,
    /// The version of the first event of the append.
    pub first_version: u64,
    /// The version of the last event, the stream's version afterwards.
    pub last_version: u64,
    /// True when every event id was already stored with the same content and
    /// nothing was written: the result is the original append's.
    pub already_stored: bool,
}

/// An event as stored in its stream.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    /// Unique across the whole store.
    pub event_id: Uuid,
    /// The stream it belongs to.
    pub stream_id: String,
    /// Its version within the stream, from 1.
    pub stream_version: u64,
    /// The past-tense name of what happened.
    pub event_type: String,
    /// The payload's schema version after upcasting.
    pub schema_version: i32,
    /// The event's data as JSON, upcast to the current schema version. Kept
    /// unparsed: a reader deserialises it straight into its own types.
    pub payload: Box<RawValue>,
    /// Who and what caused it.
    pub metadata: Metadata,
    /// When the store recorded it.
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// The payload deserialised as `T`.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.payload.get())
    }

    /// The payload as a JSON value.
    pub fn payload_value(&self) -> Value {
        serde_json::from_str(self.payload.get()).unwrap_or(Value::Null)
    }
}

/// An event read from the global log, with its position in commit order.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    /// Gapless, from 1, in commit order.
    pub position: u64,
    /// The event itself.
    pub event: RecordedEvent,
}
