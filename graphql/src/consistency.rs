//! Read-your-writes. A mutation that appends returns `position`: the global
//! log position of its last event. A query given `consistentAfter: <that
//! position>` waits until the read models it reads have applied it, at most
//! [`CONSISTENT_AFTER_TIMEOUT_MS`], and then answers; past that it fails with
//! `CONSISTENCY_TIMEOUT` (try again) — never with stale data.

use std::time::Duration;

use dropledger_eventstore::AppendResult;
use dropledger_projections::{wait_until_applied, ConsistencyError, Projection};

use crate::context::Services;
use crate::errors::{internal, top_level, UserError};

/// The longest a query waits for `consistentAfter`.
pub const CONSISTENT_AFTER_TIMEOUT_MS: u64 = 5_000;
/// The longest a mutation waits for its own events to get their positions.
/// Only an older transaction still running — in any database of the
/// server, since transaction ids are server-wide — can delay them.
const POSITION_TIMEOUT_MS: u64 = CONSISTENT_AFTER_TIMEOUT_MS;

/// Waits until `projections` have applied `consistent_after` (if given).
pub(crate) async fn wait_for_read_models(
    services: &Services,
    projections: &[Projection],
    consistent_after: Option<i64>,
) -> async_graphql::Result<()> {
    let Some(position) = consistent_after else {
        return Ok(());
    };
    let Ok(position) = u64::try_from(position) else {
        return Err(top_level(UserError::invalid(
            "consistentAfter",
            "must be a log position (0 or more), as a mutation's `position` returned it",
        )));
    };
    match wait_until_applied(
        services.store.pool(),
        projections,
        position,
        Duration::from_millis(CONSISTENT_AFTER_TIMEOUT_MS),
    )
    .await
    {
        Ok(()) => Ok(()),
        Err(error @ ConsistencyError::Timeout { .. }) => {
            metrics::counter!("dropledger_consistency_timeouts_total").increment(1);
            Err(top_level(UserError {
                code: "CONSISTENCY_TIMEOUT".to_owned(),
                message: error.to_string(),
                field: Some("consistentAfter".to_owned()),
            }))
        }
        Err(error @ ConsistencyError::Failed { .. }) => Err(top_level(UserError {
            code: "PROJECTION_FAILED".to_owned(),
            message: format!("{error}; an operator must look at it (see `projections`)"),
            field: Some("consistentAfter".to_owned()),
        })),
        Err(ConsistencyError::Query(error)) => Err(internal(&error)),
    }
}

/// The global position of the last event a command appended, for its
/// payload's `position`; when it appended nothing (a retry that found its
/// work done), the head of the log, which is at or after it.
pub(crate) async fn position_of(
    services: &Services,
    appends: &[AppendResult],
) -> async_graphql::Result<Option<i64>> {
    if appends.is_empty() {
        let head = services
            .store
            .log_status()
            .await
            .map_err(|error| internal(&error))?
            .head;
        return Ok(Some(head as i64));
    }
    let mut last = None;
    for append in appends {
        let position = services
            .store
            .position_of(
                &append.stream_id,
                append.last_version,
                Duration::from_millis(POSITION_TIMEOUT_MS),
            )
            .await
            .map_err(|error| internal(&error))?;
        match position {
            Some(position) => last = last.max(Some(position as i64)),
            // Held back by an older transaction: no position to promise.
            None => {
                let blocker = services
                    .store
                    .log_status()
                    .await
                    .ok()
                    .and_then(|status| status.waiting_for);
                tracing::warn!(stream = %append.stream_id, ?blocker, "the log is held back; the mutation returns no position");
                return Ok(None);
            }
        }
    }
    Ok(last)
}
