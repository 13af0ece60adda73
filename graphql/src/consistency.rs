//! Read-your-writes. A mutation that appends returns `position`: the global
//! log position of its last event. A query given `consistentAfter: <that
//! position>` waits until the read models it reads have applied it, at most
//! [`CONSISTENT_AFTER_TIMEOUT_MS`], and then answers; past that it fails with
//! `CONSISTENCY_TIMEOUT` (try again) — never with stale data.

use std::sync::Arc;
use std::time::Duration;

use dropledger_eventstore::AppendResult;
use dropledger_projections::{wait_until_applied, ConsistencyError, Projection};

use crate::context::{RequestContext, Services};
use crate::errors::{internal, top_level, UserError};
use crate::slots::{ClientSlots, SlotRefusal};

/// The longest a query waits for `consistentAfter`.
pub const CONSISTENT_AFTER_TIMEOUT_MS: u64 = 5_000;
/// The longest a mutation waits for its own events to get their positions.
/// Only an older transaction still running — in any database of the
/// server, since transaction ids are server-wide — can delay them.
const POSITION_TIMEOUT_MS: u64 = CONSISTENT_AFTER_TIMEOUT_MS;

/// Queries one client address may have waiting for the read models at once.
pub const CONSISTENT_AFTER_WAITERS_PER_CLIENT_MAX: usize = 4;
/// Queries all clients may have waiting for the read models at once: each
/// looks at the checkpoints now and then, so they are kept well below the
/// connection pool's size times the wait.
pub const CONSISTENT_AFTER_WAITERS_MAX: usize = 64;

/// The places of waiting queries, per client address and in all.
pub(crate) fn waiter_slots() -> Arc<ClientSlots> {
    ClientSlots::new(
        CONSISTENT_AFTER_WAITERS_PER_CLIENT_MAX,
        CONSISTENT_AFTER_WAITERS_MAX,
    )
}

/// Waits until `projections` have applied `consistent_after` (if given).
/// A position beyond the log's head is refused at once (`INVALID_INPUT`):
/// nothing could make the read models reach it within the wait. When the
/// read models are there already, the query answers without waiting;
/// otherwise it waits only if its client and the server have a waiting
/// place free (`RATE_LIMITED` otherwise), woken when a runner commits.
pub(crate) async fn wait_for_read_models(
    services: &Services,
    request: &RequestContext,
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
    let head = services
        .store
        .log_status()
        .await
        .map_err(|error| internal(&error))?
        .head;
    if position > head {
        return Err(top_level(UserError::invalid(
            "consistentAfter",
            format!(
                "position {position} is beyond the end of the log ({head}); pass the `position` \
                 a mutation returned"
            ),
        )));
    }
    let pool = services.store.pool();
    // Already there: no waiting place needed.
    match wait_until_applied(pool, projections, position, Duration::ZERO).await {
        Err(ConsistencyError::Timeout { .. }) => {}
        done => return consistency_outcome(done),
    }
    let _place = services
        .consistency_waiters
        .acquire(request.client_ip)
        .map_err(|refusal| {
            metrics::counter!("dropledger_consistency_waits_refused_total").increment(1);
            let message = match refusal {
                SlotRefusal::ClientBusy => format!(
                    "your address has {CONSISTENT_AFTER_WAITERS_PER_CLIENT_MAX} queries waiting \
                     for `consistentAfter` already; send one at a time and retry this shortly"
                ),
                SlotRefusal::ServerBusy => {
                    "too many queries are waiting for `consistentAfter`; retry shortly".to_owned()
                }
            };
            top_level(UserError {
                code: "RATE_LIMITED".to_owned(),
                message,
                field: Some("consistentAfter".to_owned()),
            })
        })?;
    consistency_outcome(
        wait_until_applied(
            pool,
            projections,
            position,
            Duration::from_millis(CONSISTENT_AFTER_TIMEOUT_MS),
        )
        .await,
    )
}

/// A wait's outcome as the API says it.
fn consistency_outcome(outcome: Result<(), ConsistencyError>) -> async_graphql::Result<()> {
    match outcome {
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
