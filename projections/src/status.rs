//! How far each projection is, and whether it stopped.

use chrono::{DateTime, Utc};
use dropledger_eventstore::EventStore;
use sqlx::Row;

use crate::{Projection, QueryError};

/// Running, or stopped at an event it could not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectionState {
    /// Following the log (or ready to, when a runner starts).
    Running,
    /// Stopped before the event at `position`, which failed with `error`.
    Failed {
        /// The position of the failing event.
        position: u64,
        /// What was wrong with it.
        error: String,
    },
}

impl ProjectionState {
    /// The API name: `RUNNING` or `FAILED`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProjectionState::Running => "RUNNING",
            ProjectionState::Failed { .. } => "FAILED",
        }
    }
}

/// One projection's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionStatus {
    /// Its name.
    pub name: &'static str,
    /// The last position it applied.
    pub position: u64,
    /// The head of the log.
    pub head: u64,
    /// Events it is behind the head.
    pub lag: u64,
    /// Running or failed.
    pub state: ProjectionState,
    /// When its checkpoint last changed.
    pub updated_at: DateTime<Utc>,
}

/// The status of every projection, with its lag behind the head of the log.
pub async fn projection_status(store: &EventStore) -> Result<Vec<ProjectionStatus>, QueryError> {
    let head = store.log_status().await?.head;
    let rows = sqlx::query(
        "SELECT name, position, status, error, failed_position, updated_at \
         FROM projection_checkpoint",
    )
    .fetch_all(store.pool())
    .await?;
    let mut statuses = Vec::with_capacity(rows.len());
    for projection in Projection::ALL {
        let Some(row) = rows
            .iter()
            .find(|row| row.get::<String, _>(0) == projection.name())
        else {
            continue;
        };
        let position = row.get::<i64, _>(1) as u64;
        let status: String = row.get(2);
        let state = match status.as_str() {
            "FAILED" => ProjectionState::Failed {
                position: row.get::<Option<i64>, _>(4).unwrap_or_default() as u64,
                error: row.get::<Option<String>, _>(3).unwrap_or_default(),
            },
            _ => ProjectionState::Running,
        };
        statuses.push(ProjectionStatus {
            name: projection.name(),
            position,
            head,
            lag: head.saturating_sub(position),
            state,
            updated_at: row.get(5),
        });
    }
    Ok(statuses)
}
