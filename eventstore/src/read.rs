//! Reading a stream, and the global log in commit order.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use crate::{BlockingTransaction, EventStore, LoggedEvent, Metadata, ReadError, RecordedEvent};

/// Events one read returns at most.
pub const READ_EVENTS_MAX: usize = 10_000;

/// The columns [`EventStore::decode`] reads, in its order, then the append id.
macro_rules! select_events {
    ($rest:literal) => {
        concat!(
            "SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, \
             e.payload::text, e.metadata::text, e.recorded_at, e.append_id FROM event e ",
            $rest
        )
    };
}

const READ_STREAM: &str = select_events!(
    "WHERE e.stream_id = $1 AND e.stream_version >= $2 ORDER BY e.stream_version LIMIT $3"
);
const READ_EVENT: &str = select_events!("WHERE e.event_id = $1");
const READ_APPEND_ID_RANGE: &str = select_events!("WHERE e.append_id BETWEEN $1 AND $2");
const READ_APPEND_IDS: &str = select_events!("WHERE e.append_id = ANY($1)");

impl EventStore {
    /// The events of `stream_id` from version `from_version` (1 is the
    /// first), at most `max_count` of them, oldest first.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        max_count: usize,
    ) -> Result<Vec<RecordedEvent>, ReadError> {
        let rows = sqlx::query(READ_STREAM)
            .bind(stream_id)
            .bind(from_version as i64)
            .bind(max_count.min(READ_EVENTS_MAX) as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| self.decode(row)).collect()
    }

    /// The event stored under `event_id`, if any: what an id that came
    /// back as [`crate::AppendError::EventIdConflict`] is already used for.
    pub async fn read_event(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, ReadError> {
        let row = sqlx::query(READ_EVENT)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| self.decode(&row)).transpose()
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
        Ok(self
            .read_all_or_say_why_not(after_position, max_count)
            .await?
            .0)
    }

    /// [`EventStore::read_all`], and when it reached the head while committed
    /// events were held back, the transaction that holds them.
    pub(crate) async fn read_all_or_say_why_not(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<(Vec<LoggedEvent>, Option<BlockingTransaction>), ReadError> {
        let max_count = max_count.min(READ_EVENTS_MAX);
        let mut events = self.read_sequenced(after_position, max_count).await?;
        let mut waiting_for = None;
        if events.len() < max_count {
            let outcome = self.sequence_all_ready().await?;
            let last = events.last().map_or(after_position, |e| e.position);
            if outcome.head > last {
                let rest = self.read_sequenced(last, max_count - events.len()).await?;
                events.extend(rest);
            }
            waiting_for = outcome.waiting_for;
        }
        Ok((events, waiting_for))
    }

    /// Reads sequenced events in two steps instead of one join: the log's
    /// (position, append id) pairs for the range, then the events by append
    /// id. Commit order and insertion order mostly agree, so the events of a
    /// range of positions are usually a dense range of append ids, read with
    /// one index range scan at nearly the cost of a plain table read; when a
    /// long transaction spread them out, they are fetched by id instead.
    async fn read_sequenced(
        &self,
        after_position: u64,
        max_count: usize,
    ) -> Result<Vec<LoggedEvent>, ReadError> {
        // Positions are gapless, so a range selects exactly `max_count`
        // entries (fewer at the head) and the planner knows it.
        let entries: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT position, append_id FROM log_entry \
             WHERE position > $1 AND position <= $1 + $2 ORDER BY position",
        )
        .bind(after_position as i64)
        .bind(max_count as i64)
        .fetch_all(&self.pool)
        .await?;
        let (Some(lowest), Some(highest)) = (
            entries.iter().map(|(_, append_id)| *append_id).min(),
            entries.iter().map(|(_, append_id)| *append_id).max(),
        ) else {
            return Ok(Vec::new());
        };
        let dense = highest - lowest < 2 * entries.len() as i64;
        let append_ids: Vec<i64>;
        let query = if dense {
            sqlx::query(READ_APPEND_ID_RANGE).bind(lowest).bind(highest)
        } else {
            append_ids = entries.iter().map(|(_, append_id)| *append_id).collect();
            sqlx::query(READ_APPEND_IDS).bind(&append_ids)
        };
        // Decoded as the rows stream in, so the client's decoding overlaps
        // the server's reading.
        let mut events = HashMap::with_capacity(entries.len());
        let mut rows = query.fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            events.insert(row.get::<i64, _>(8), self.decode(&row)?);
        }
        entries
            .iter()
            .map(|(position, append_id)| {
                let event = events
                    .remove(append_id)
                    .ok_or(ReadError::Database(sqlx::Error::RowNotFound))?;
                Ok(LoggedEvent {
                    position: *position as u64,
                    event,
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
        let payload: String = row.get(5);
        let metadata: String = row.get(6);
        let metadata: Metadata = serde_json::from_str(&metadata)
            .map_err(|error| undecodable(format!("metadata: {error}")))?;
        let (schema_version, payload) = if self.upcasters.applies_to(&event_type, stored_version) {
            let payload: Value = serde_json::from_str(&payload)
                .map_err(|error| undecodable(format!("payload: {error}")))?;
            let (version, payload) = self
                .upcasters
                .upcast(&event_type, row.get::<&str, _>(1), stored_version, payload)
                .map_err(&undecodable)?;
            let payload = serde_json::value::to_raw_value(&payload)
                .map_err(|error| undecodable(format!("payload: {error}")))?;
            (version, payload)
        } else {
            let payload = RawValue::from_string(payload)
                .map_err(|error| undecodable(format!("payload: {error}")))?;
            (stored_version, payload)
        };
        let recorded_at: DateTime<Utc> = row.get(7);
        Ok(RecordedEvent {
            event_id,
            stream_id: row.get(1),
            stream_version: row.get::<i64, _>(2) as u64,
            event_type,
            schema_version,
            payload,
            metadata,
            recorded_at,
        })
    }
}
