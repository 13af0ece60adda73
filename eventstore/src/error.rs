//! Errors of the event store, each a case a caller can act on.

use uuid::Uuid;

use crate::ExpectedVersion;

/// Why an append was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer moved the stream first: reload it, decide again, retry.
    #[error("version conflict on stream {stream}: expected {expected}, but the stream is at {}",
        actual.map_or_else(|| "no stream".to_owned(), |v| format!("version {v}")))]
    VersionConflict {
        /// The stream whose version did not match.
        stream: String,
        /// What the writer expected.
        expected: ExpectedVersion,
        /// The stream's version at the time of the check (`None`: no stream).
        actual: Option<u64>,
    },
    /// An event id is already stored with other content (another stream,
    /// type or payload), or only some ids of the batch are: a caller reused
    /// an id for a different event.
    #[error("event id {event_id} is already stored with different content; use a new id for a new event")]
    EventIdConflict {
        /// The reused id.
        event_id: Uuid,
    },
    /// The append would take its stream's budget below zero (working
    /// capital: more held or paid out than is free). Reload, decide again:
    /// the domain then refuses with its own reason, or the budget has room.
    #[error("the append would take the budget of stream {stream} below zero")]
    BudgetExceeded {
        /// The stream whose budget would be overdrawn.
        stream: String,
    },
    /// The append itself is malformed (no events, an empty type, a repeated id…).
    #[error("invalid append: {0}")]
    Invalid(String),
    /// The database failed or could not be reached.
    #[error("event store database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A stored payload or metadata could not be decoded or upcast.
    #[error("event {event_id} ({event_type} v{schema_version}) cannot be read: {reason}")]
    Undecodable {
        /// The event that could not be read.
        event_id: Uuid,
        /// Its type.
        event_type: String,
        /// Its stored schema version.
        schema_version: i32,
        /// What went wrong.
        reason: String,
    },
    /// The database failed or could not be reached.
    #[error("event store database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Why the database could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// Applying the migrations failed.
    #[error("migrating the database failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}
