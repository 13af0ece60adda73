//! Cash reconciliations, newest first.

use chrono::{DateTime, Utc};
use dropledger_domain::{decode_event, DomainEvent, ReconciliationEvent, ReconciliationStream};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{page_size, Cursor, Page};
use crate::QueryError;

/// One recorded reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationView {
    /// The event's global position.
    pub position: u64,
    /// Which provider account and currency.
    pub stream: ReconciliationStream,
    /// What was compared and found.
    pub event: ReconciliationEvent,
    /// The job run that recorded it.
    pub correlation_id: Uuid,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// A page of reconciliations, newest first; `after` continues below a cursor.
pub async fn reconciliations_page(
    pool: &PgPool,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<ReconciliationView>, QueryError> {
    let first = page_size(first);
    let rows = sqlx::query(
        "SELECT position, stream_id, correlation_id, recorded_at, document::text \
         FROM projection_ledger.cash_reconciliation \
         WHERE ($1::bigint IS NULL OR position < $1) ORDER BY position DESC LIMIT $2",
    )
    .bind(after.map(|cursor| cursor.position() as i64))
    .bind(first as i64 + 1)
    .fetch_all(pool)
    .await?;
    let views = rows
        .iter()
        .map(|row| {
            let position = row.get::<i64, _>(0) as u64;
            let stream_id: String = row.get(1);
            let corrupt = |reason: String| QueryError::Corrupt(format!("{stream_id}: {reason}"));
            let stream = ReconciliationStream::parse(&stream_id)
                .map_err(|error| corrupt(error.to_string()))?;
            let document: String = row.get(4);
            let payload: serde_json::Value =
                serde_json::from_str(&document).map_err(|error| corrupt(error.to_string()))?;
            let event_type = payload["type"].as_str().unwrap_or_default().to_owned();
            let event: ReconciliationEvent =
                decode_event(&event_type, ReconciliationEvent::SCHEMA_VERSION, payload)
                    .map_err(|error| corrupt(error.to_string()))?;
            Ok((
                position,
                ReconciliationView {
                    position,
                    stream,
                    event,
                    correlation_id: row.get(2),
                    recorded_at: row.get(3),
                },
            ))
        })
        .collect::<Result<Vec<_>, QueryError>>()?;
    Ok(Page::from_rows(views, first))
}
