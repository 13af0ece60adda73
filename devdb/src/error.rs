//! Why no development database could be had.

/// Why no server could be found, started or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DevDatabaseError {
    /// No server was reachable and none could be started (the message says
    /// how to install PostgreSQL or what to set).
    #[error("{0}")]
    Unavailable(String),
    /// Starting or stopping the private cluster failed.
    #[error("{0}")]
    Cluster(String),
    /// The server failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}
