//! Appending events to streams with optimistic concurrency and idempotent ids.
//!
//! An append to one stream is one SQL statement: a data-modifying CTE first
//! moves the stream's row in `stream` (checking the expected version), and
//! only if that succeeds inserts the events. So a refused append draws no
//! identity value and writes nothing, and two writers to one stream take
//! turns on the row lock. Writers never touch the global order: the
//! sequencer assigns positions after commit (see `sequencer.rs`).

use std::collections::HashSet;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::{AppendError, AppendResult, ExpectedVersion, NewEvent, StreamAppend};

/// The events of one append, in the column-wise shape `unnest` takes.
struct Columns {
    event_ids: Vec<Uuid>,
    event_types: Vec<String>,
    schema_versions: Vec<i32>,
    payloads: Vec<String>,
    metadata: Vec<String>,
}

impl Columns {
    fn of(events: &[NewEvent]) -> Result<Self, AppendError> {
        let mut columns = Self {
            event_ids: Vec::with_capacity(events.len()),
            event_types: Vec::with_capacity(events.len()),
            schema_versions: Vec::with_capacity(events.len()),
            payloads: Vec::with_capacity(events.len()),
            metadata: Vec::with_capacity(events.len()),
        };
        for event in events {
            let metadata = serde_json::to_string(&event.metadata)
                .map_err(|error| AppendError::Invalid(format!("metadata: {error}")))?;
            let payload = serde_json::to_string(&event.payload)
                .map_err(|error| AppendError::Invalid(format!("payload: {error}")))?;
            columns.event_ids.push(event.event_id);
            columns.event_types.push(event.event_type.clone());
            columns.schema_versions.push(event.schema_version);
            columns.payloads.push(payload);
            columns.metadata.push(metadata);
        }
        Ok(columns)
    }
}

/// Events per append; a larger batch is split by the caller.
pub const APPEND_EVENTS_MAX: usize = 10_000;

/// Checks what the database cannot express: a non-empty, bounded batch of
/// distinct ids with named types and positive schema versions.
pub(crate) fn validate(stream_id: &str, events: &[NewEvent]) -> Result<(), AppendError> {
    if stream_id.is_empty() {
        return Err(AppendError::Invalid("the stream id is empty".into()));
    }
    if events.is_empty() {
        return Err(AppendError::Invalid(format!(
            "no events to append to {stream_id}"
        )));
    }
    if events.len() > APPEND_EVENTS_MAX {
        return Err(AppendError::Invalid(format!(
            "{} events in one append to {stream_id}; at most {APPEND_EVENTS_MAX}",
            events.len()
        )));
    }
    let mut seen = HashSet::with_capacity(events.len());
    for event in events {
        if event.event_type.is_empty() {
            return Err(AppendError::Invalid(format!(
                "event {} has an empty type",
                event.event_id
            )));
        }
        if event.schema_version < 1 {
            return Err(AppendError::Invalid(format!(
                "event {} has schema version {}; versions start at 1",
                event.event_id, event.schema_version
            )));
        }
        if !seen.insert(event.event_id) {
            return Err(AppendError::Invalid(format!(
                "event id {} appears twice in one append",
                event.event_id
            )));
        }
    }
    Ok(())
}

/// Inserts the events numbered after `moved.base`; `moved` is the CTE (of
/// `$ctes`) that moved the stream row and yields no row when the expected
/// version is wrong.
macro_rules! insert_after_moving_stream {
    ($ctes:literal) => {
        concat!(
            "WITH ",
            $ctes,
            " INSERT INTO event (event_id, stream_id, stream_version, order_key, event_type, \
               schema_version, payload, metadata) \
             SELECT new.event_id, $1, moved.base + new.ordinal, moved.order_key, new.event_type, \
                    new.schema_version, new.payload::json, new.metadata::json \
             FROM moved, unnest($4::uuid[], $5::text[], $6::int4[], $7::text[], $8::text[]) \
                  WITH ORDINALITY AS new(event_id, event_type, schema_version, payload, metadata, ordinal) \
             ORDER BY new.ordinal \
             RETURNING stream_version"
        )
    };
}

/// `$2` is the number of events, `$3` the expected version, `$9` the budget
/// change (NULL: the stream keeps no budget). The order key is this
/// transaction's id or the stream's last key, whichever is higher (see the
/// `event.order_key` column). A budget that would go below zero fails the
/// statement on the `stream_budget_not_negative` check; an append whose
/// budget change does not match the stream (one keeps a budget, the other
/// says nothing of it) moves no row and is explained afterwards.
const APPEND_TO_VERSION: &str = insert_after_moving_stream!(
    "moved AS (UPDATE stream SET version = version + $2, \
                       order_key = greatest(order_key, pg_current_xact_id()), \
                       budget = budget + $9::numeric \
     WHERE stream_id = $1 AND version = $3 AND (budget IS NULL) = ($9::numeric IS NULL) \
     RETURNING version - $2 AS base, order_key)"
);
const APPEND_TO_NEW_STREAM: &str = insert_after_moving_stream!(
    "moved AS (INSERT INTO stream (stream_id, version, order_key, budget) \
     SELECT $1, $2, pg_current_xact_id(), $9::numeric WHERE $3::int8 = 0 \
     ON CONFLICT (stream_id) DO NOTHING RETURNING 0::int8 AS base, order_key)"
);
/// An existing stream is moved; only one missing from the statement's
/// snapshot is inserted (or, if a concurrent append created it meanwhile,
/// moved after all). Not one `INSERT … ON CONFLICT DO UPDATE` for both:
/// PostgreSQL checks the proposed new row, budget included, before it finds
/// the conflict, so a negative change would be refused even when the
/// stream has room for it.
const APPEND_TO_ANY_VERSION: &str = insert_after_moving_stream!(
    "existing AS (UPDATE stream SET version = version + $2, \
                                   order_key = greatest(order_key, pg_current_xact_id()), \
                                   budget = budget + $9::numeric \
        WHERE stream_id = $1 AND (budget IS NULL) = ($9::numeric IS NULL) \
        RETURNING version - $2 AS base, order_key), \
     created AS (INSERT INTO stream (stream_id, version, order_key, budget) \
        SELECT $1, $2, pg_current_xact_id(), $9::numeric \
        WHERE $3::int8 = 0 AND NOT EXISTS (SELECT FROM stream WHERE stream_id = $1) \
        ON CONFLICT (stream_id) DO UPDATE SET version = stream.version + EXCLUDED.version, \
            order_key = greatest(stream.order_key, EXCLUDED.order_key), \
            budget = stream.budget + EXCLUDED.budget \
        WHERE (stream.budget IS NULL) = (EXCLUDED.budget IS NULL) \
        RETURNING version - $2 AS base, order_key), \
     moved AS (SELECT base, order_key FROM existing UNION ALL SELECT base, order_key FROM created)"
);

/// Appends on `connection` (inside or outside a transaction). Returns
/// `Ok(None)` when the stream or an event id refused the append, so that the
/// caller can look at what is stored and tell a retry from a conflict.
pub(crate) async fn try_append(
    connection: &mut PgConnection,
    append: &StreamAppend,
) -> Result<Option<AppendResult>, AppendError> {
    let StreamAppend {
        stream_id,
        expected,
        events,
        budget_change,
    } = append;
    let columns = Columns::of(events)?;
    let (statement, expected_version) = match expected {
        ExpectedVersion::Exact(0) | ExpectedVersion::NoStream => (APPEND_TO_NEW_STREAM, 0_i64),
        ExpectedVersion::Exact(version) => (APPEND_TO_VERSION, to_i64(*version)?),
        ExpectedVersion::Any => (APPEND_TO_ANY_VERSION, 0_i64),
    };
    let inserted = sqlx::query(statement)
        .bind(stream_id)
        .bind(events.len() as i64)
        .bind(expected_version)
        .bind(&columns.event_ids)
        .bind(&columns.event_types)
        .bind(&columns.schema_versions)
        .bind(&columns.payloads)
        .bind(&columns.metadata)
        .bind(budget_change)
        .fetch_all(&mut *connection)
        .await;
    match inserted {
        Ok(rows) if rows.is_empty() => Ok(None),
        Ok(rows) => {
            let versions: Vec<i64> = rows.iter().map(|row| row.get(0)).collect();
            Ok(Some(AppendResult {
                stream_id: stream_id.to_owned(),
                first_version: versions.iter().copied().min().unwrap_or(0) as u64,
                last_version: versions.iter().copied().max().unwrap_or(0) as u64,
                already_stored: false,
            }))
        }
        Err(sqlx::Error::Database(error))
            if matches!(
                error.constraint(),
                Some("event_event_id_key" | "event_stream_version_key")
            ) =>
        {
            Ok(None)
        }
        Err(sqlx::Error::Database(error))
            if error.constraint() == Some("stream_budget_not_negative") =>
        {
            Err(AppendError::BudgetExceeded {
                stream: stream_id.to_owned(),
            })
        }
        Err(error) => Err(error.into()),
    }
}

fn budget_mismatch(stream_id: &str, keeps_budget: bool) -> String {
    if keeps_budget {
        format!("stream {stream_id} keeps a budget: every append to it must say how it moves it")
    } else {
        format!(
            "stream {stream_id} keeps no budget yet: start the application once \
             (it computes the budgets of streams recorded before budgets existed), then retry"
        )
    }
}

fn to_i64(version: u64) -> Result<i64, AppendError> {
    i64::try_from(version)
        .map_err(|_| AppendError::Invalid(format!("expected version {version} is out of range")))
}

/// After a refused append: if every id is already stored in this stream with
/// the same content, the append happened before and its original result is
/// returned; if none is, the stream's version did not match; anything in
/// between is an id reused for a different event.
pub(crate) async fn explain_refusal(
    connection: &mut PgConnection,
    append: &StreamAppend,
) -> Result<AppendResult, AppendError> {
    let StreamAppend {
        stream_id,
        expected,
        events,
        budget_change,
    } = append;
    let expected = *expected;
    let columns = Columns::of(events)?;
    let stored: Vec<PgRow> = sqlx::query(
        "SELECT r.event_id, e.stream_version, \
                coalesce(e.stream_id = $1 AND e.event_type = r.event_type \
                         AND e.schema_version = r.schema_version \
                         AND e.payload::jsonb = r.payload::jsonb, false) \
         FROM unnest($2::uuid[], $3::text[], $4::int4[], $5::text[]) \
              AS r(event_id, event_type, schema_version, payload) \
         LEFT JOIN event e ON e.event_id = r.event_id",
    )
    .bind(stream_id)
    .bind(&columns.event_ids)
    .bind(&columns.event_types)
    .bind(&columns.schema_versions)
    .bind(&columns.payloads)
    .fetch_all(&mut *connection)
    .await?;

    let mut versions = Vec::with_capacity(stored.len());
    let mut first_stored = None;
    for row in &stored {
        let event_id: Uuid = row.get(0);
        let version: Option<i64> = row.get(1);
        let same: bool = row.get(2);
        match version {
            Some(version) if same => {
                first_stored.get_or_insert(event_id);
                versions.push(version as u64);
            }
            Some(_) => return Err(AppendError::EventIdConflict { event_id }),
            None => {}
        }
    }
    match first_stored {
        None => {
            let stream: Option<(i64, bool)> = sqlx::query_as(
                "SELECT version, budget IS NOT NULL FROM stream WHERE stream_id = $1",
            )
            .bind(stream_id)
            .fetch_optional(&mut *connection)
            .await?;
            if let Some((_, keeps_budget)) = stream {
                if keeps_budget != budget_change.is_some() {
                    return Err(AppendError::Invalid(budget_mismatch(
                        stream_id,
                        keeps_budget,
                    )));
                }
            }
            let actual = stream.map(|(version, _)| version);
            return Err(AppendError::VersionConflict {
                stream: stream_id.to_owned(),
                expected,
                actual: actual.map(|version| version as u64),
            });
        }
        // Appends are atomic, so a batch of which only part is stored was
        // never appended as such: some of its ids belong to other events.
        Some(event_id) if versions.len() < events.len() => {
            return Err(AppendError::EventIdConflict { event_id });
        }
        Some(_) => {}
    }
    Ok(AppendResult {
        stream_id: stream_id.to_owned(),
        first_version: versions.iter().copied().min().unwrap_or(0),
        last_version: versions.iter().copied().max().unwrap_or(0),
        already_stored: true,
    })
}
