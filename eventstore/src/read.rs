//! Reading a stream, and the global log in commit order.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;
use uuid::Uuid;

use crate::{EventStore, LoggedEvent, Metadata, ReadError, RecordedEvent};

/// Events one read returns at most.
pub const READ_EVENTS_MAX: usize = 10_000;

const EVENT_COLUMNS: &str = "e.event_id, e.stream_id, e.stream_version, e.event_type, \
                             e.schema_version, e.payload, e.metadata, e.recorded_at";

impl EventStore {
    /// The events of `stream_id` from version `from_version` (1 is the
    /// first), at most `max_count` of them, oldest first.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, ReadError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM event e \
             WHERE e.stream_id = $1 AND e.stream_version >= $2 \
             ORDER BY e.stream_version LIMIT $3"
        ))
        .bind(stream_id)
        .bind(from_version as i64)
        .bind(max_count.min(READ_EVENTS_MAX) as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.decode(row)).collect()
    }

    /// The global log after `after_position` (0 reads from the start), in
    /// commit order, at most `max_count` events. When the sequenced part of
    /// the log runs out, ready events are sequenced first, so every event
    /// committed before the call is returned unless an older transaction is
    /// still running (see [`EventStore::log_status`]).
    pub async fn read_all(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<LoggedEvent>, ReadError> {
        let max_count = max_count.min(READ_EVENTS_MAX);
        let mut events = self.read_sequenced(after_position, max_count).await?;
        if events.len() < max_count {
            let outcome = self.sequence_all_ready().await?;
            let last = events.last().map_or(after_position, |e| e.position);
            if outcome.head > last {
                let rest = self.read_sequenced(last, max_count - events.len()).await?;
                events.extend(rest);
            }
        }
        Ok(events)
    }

    async fn read_sequenced(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<LoggedEvent>, ReadError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS}, l.position FROM log_entry l \
             JOIN event e ON e.append_id = l.append_id \
             WHERE l.position > $1 ORDER BY l.position LIMIT $2"
        ))
        .bind(after_position as i64)
        .bind(max_count as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LoggedEvent {
                    position: row.get::<i64, _>(8) as u64,
                    event: self.decode(row)?,
                })
            })
            .collect()
    }

    /// Decodes the event columns, upcasting the payload.
    fn decode(&self, row: &PgRow) -> Result<RecordedEvent, ReadError> {
        let event_id: Uuid = row.get(0);
        let event_type: String = row.get(3);
        let stored_version: i32 = row.get(4);
        let undecodable = |reason: String| ReadError::Undecodable {
            event_id,
            event_type: event_type.clone(),
            schema_version: stored_version,
            reason,
        };
        let payload: Value = row.get(5);
        let metadata: Json<Metadata> = row
            .try_get(6)
            .map_err(|error| undecodable(format!("metadata: {error}")))?;
        let (schema_version, payload) = self
            .upcasters
            .upcast(&event_type, stored_version, payload)
            .map_err(undecodable)?;
        let recorded_at: DateTime<Utc> = row.get(7);
        Ok(RecordedEvent {
            event_id,
            stream_id: row.get(1),
            stream_version: row.get::<i64, _>(2) as u64,
            event_type,
            schema_version,
            payload,
            metadata: metadata.0,
            recorded_at,
        })
    }
}
