//! The audit trail: every event's metadata, oldest first.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{page_size, Cursor, Page};
use crate::QueryError;

/// Which records to list; every field narrows the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only events of this stream.
    pub stream_id: Option<String>,
    /// Only events of this flow.
    pub correlation_id: Option<Uuid>,
    /// Only events by this actor (a user id or `system:<process>`).
    pub actor: Option<String>,
    /// Only events recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded before this time.
    pub to: Option<DateTime<Utc>>,
}

/// One event's record in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its global position.
    pub position: u64,
    /// Its id.
    pub event_id: Uuid,
    /// Its stream.
    pub stream_id: String,
    /// Its version in the stream.
    pub stream_version: u64,
    /// Its type.
    pub event_type: String,
    /// The flow it belongs to.
    pub correlation_id: Uuid,
    /// What caused it.
    pub causation_id: Option<Uuid>,
    /// Who caused it.
    pub actor: String,
    /// The command that decided it.
    pub command_id: Option<Uuid>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// The audit records matching `filter`, oldest first, `first` after `after`.
pub async fn audit_trail(
    pool: &PgPool,
    filter: &AuditFilter,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<AuditRecord>, QueryError> {
    let first = page_size(first);
    let rows = sqlx::query(
        "SELECT position, event_id, stream_id, stream_version, event_type, correlation_id, \
         causation_id, actor, command_id, recorded_at FROM projection_audit.audit_record \
         WHERE position > $1 \
         AND ($2::text IS NULL OR stream_id = $2) \
         AND ($3::uuid IS NULL OR correlation_id = $3) \
         AND ($4::text IS NULL OR actor = $4) \
         AND ($5::timestamptz IS NULL OR recorded_at >= $5) \
         AND ($6::timestamptz IS NULL OR recorded_at < $6) \
         ORDER BY position LIMIT $7",
    )
    .bind(after.map_or(0, Cursor::position) as i64)
    .bind(&filter.stream_id)
    .bind(filter.correlation_id)
    .bind(&filter.actor)
    .bind(filter.from)
    .bind(filter.to)
    .bind(first as i64 + 1)
    .fetch_all(pool)
    .await?;
    let records = rows
        .iter()
        .map(|row| {
            let position = row.get::<i64, _>(0) as u64;
            (
                position,
                AuditRecord {
                    position,
                    event_id: row.get(1),
                    stream_id: row.get(2),
                    stream_version: row.get::<i64, _>(3) as u64,
                    event_type: row.get(4),
                    correlation_id: row.get(5),
                    causation_id: row.get(6),
                    actor: row.get(7),
                    command_id: row.get(8),
                    recorded_at: row.get(9),
                },
            )
        })
        .collect();
    Ok(Page::from_rows(records, first))
}
