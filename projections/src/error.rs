//! Errors of the projections, typed per what a caller can do about them.

use dropledger_eventstore::ReadError;

/// Why a runner or a rebuild stopped.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// An event could not be applied; the projection stopped before it and
    /// the status says so. Fix the code (or the event's upcaster) and restart.
    #[error("projection {projection} failed at position {position}: {reason}")]
    EventFailed {
        /// The projection.
        projection: &'static str,
        /// The position of the event it stopped at.
        position: u64,
        /// What was wrong with it.
        reason: String,
    },
    /// No projection has this name.
    #[error("no projection is named {0:?}")]
    UnknownProjection(String),
    /// Another rebuild is running.
    #[error("another rebuild is running")]
    RebuildInProgress,
    /// Reading the log failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Why a read-model query failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A cursor that this crate did not hand out.
    #[error("invalid cursor {0:?}")]
    InvalidCursor(String),
    /// A stored row that does not read back (a bug, or a hand-edited table).
    #[error("a stored read model does not read back: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}
