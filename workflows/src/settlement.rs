//! Settlement by polling: captures PayPal left PENDING are asked about and,
//! once COMPLETED, their cash is recorded as available — the same domain
//! command (`CompleteCapture`) the PayPal webhook uses. Idempotent on the
//! capture id: the entry id derives from it, and a capture no longer pending
//! (completed by the webhook or an earlier poll) is refused by the domain
//! and simply skipped.
//!
//! One poll asks about a bounded page of pending captures, starting after
//! the one the previous poll asked last, so every capture is asked in turn
//! however many are pending; a capture PayPal refuses to show is logged and
//! passed over, never in the way of the others.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use dropledger_domain::{
    Aggregate, CapitalCommand, CapitalError, CaptureId, Currency, EntryId, WorkingCapital,
};
use dropledger_eventstore::{AppendError, CommandError, EventStore, Metadata};
use dropledger_integrations::{CaptureStatus, PayPalClient};
use uuid::Uuid;

use crate::current::current_capital;
use crate::error::PollError;

/// How often pending captures are asked about.
pub const SETTLEMENT_POLL_INTERVAL_MS: u64 = 1_000;
/// Namespace of the cash entries that complete captures.
const CAPTURE_ENTRY_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a0e_93b4_4d71_a5e8_0c7d_31f2_9b64);
/// Pending captures asked about in one poll, at most.
pub const SETTLEMENT_CAPTURES_PER_POLL_MAX: usize = 50;
/// The currencies whose working capital is settled.
const CURRENCIES: [Currency; 1] = [Currency::Usd];

/// The entry id that completes `capture_id`, whoever records it.
pub fn completion_entry_id(capture_id: &CaptureId) -> EntryId {
    EntryId::from_uuid(Uuid::new_v5(
        &CAPTURE_ENTRY_NAMESPACE,
        capture_id.as_str().as_bytes(),
    ))
}

/// Where the next poll starts: after the capture id asked about last.
#[derive(Debug, Default)]
pub struct SettlementCursor {
    after: Mutex<Option<String>>,
}

impl SettlementCursor {
    fn after(&self) -> Option<String> {
        self.after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, capture_id: &CaptureId) {
        *self
            .after
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(capture_id.as_str().to_owned());
    }
}

/// One poll: of a page of pending captures, each PayPal now reports
/// COMPLETED is recorded. A capture that cannot be settled now (PayPal
/// refuses, its answer is unusable) does not stop the others; the first
/// such failure is returned once the page is done. Our own store failing
/// ends the poll at once: every capture would meet it.
pub async fn poll(
    store: &EventStore,
    paypal: &Arc<PayPalClient>,
    cursor: &SettlementCursor,
) -> Result<(), PollError> {
    let mut first_failure = None;
    for currency in CURRENCIES {
        let capital = current_capital(store, currency).await?;
        let mut pending: Vec<(CaptureId, Uuid)> = capital
            .pending_captures()
            .map(|(capture_id, order_id)| (capture_id.clone(), order_id.as_uuid()))
            .collect();
        pending.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let after = cursor.after();
        for (capture_id, order_id) in
            page(&pending, after.as_deref(), SETTLEMENT_CAPTURES_PER_POLL_MAX)
        {
            cursor.set(&capture_id);
            match settle(store, paypal, currency, &capture_id, order_id).await {
                Ok(()) => {}
                Err(error @ PollError::Store(_)) => return Err(error),
                Err(error) => {
                    tracing::warn!(capture_id = capture_id.as_str(), %error, "capture not settled now; the others go on");
                    first_failure.get_or_insert(error);
                }
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

/// Up to `max` of `sorted` (by capture id), starting after `after` and
/// wrapping around to the start.
fn page<T: Clone>(
    sorted: &[(CaptureId, T)],
    after: Option<&str>,
    max: usize,
) -> Vec<(CaptureId, T)> {
    let start = after.map_or(0, |after| {
        sorted.partition_point(|(capture_id, _)| capture_id.as_str() <= after)
    });
    sorted[start..]
        .iter()
        .chain(&sorted[..start])
        .take(max)
        .cloned()
        .collect()
}

/// Asks PayPal about one pending capture and records it once COMPLETED.
async fn settle(
    store: &EventStore,
    paypal: &Arc<PayPalClient>,
    currency: Currency,
    capture_id: &CaptureId,
    order_id: Uuid,
) -> Result<(), PollError> {
    let capture = paypal
        .capture(capture_id.as_str())
        .await
        .map_err(PollError::paypal)?;
    if capture.status != CaptureStatus::Completed {
        return Ok(());
    }
    // The order's flow: its events share the order id as correlation.
    complete_capture(
        store,
        currency,
        capture_id,
        Utc::now(),
        order_id,
        "system:settlement",
    )
    .await?;
    Ok(())
}

/// Records that PayPal completed `capture_id`, as `actor` in the flow
/// `correlation_id`. A capture that is not pending — completed already (by
/// the webhook or an earlier poll), or not recorded yet — records nothing:
/// the poll finds the second kind once it is recorded.
pub async fn complete_capture(
    store: &EventStore,
    currency: Currency,
    capture_id: &CaptureId,
    effective_at: DateTime<Utc>,
    correlation_id: Uuid,
    actor: &str,
) -> Result<(), CommandError<CapitalError>> {
    let entry_id = completion_entry_id(capture_id);
    let stream = WorkingCapital::stream_id(currency);
    let metadata = Metadata {
        correlation_id,
        causation_id: None,
        actor: actor.to_owned(),
        command_id: Some(entry_id.as_uuid()),
    };
    let outcome = store
        .execute(|| async {
            let capital = store
                .load_cached(&stream, WorkingCapital::new(currency))
                .await?;
            let events = capital
                .state
                .decide(CapitalCommand::CompleteCapture {
                    entry_id,
                    capture_id: capture_id.clone(),
                    effective_at,
                })
                .map_err(CommandError::Refused)?;
            // Cash coming in: no version to expect (see
            // `decide_with_capital`). Its event ids derive from the capture,
            // so the webhook and the poll cannot both record it.
            Ok((vec![capital.append_commuting(&events, &metadata)], ()))
        })
        .await;
    match outcome {
        Ok(_) => {
            tracing::info!(
                capture_id = capture_id.as_str(),
                %actor,
                "capture COMPLETED: cash available"
            );
            Ok(())
        }
        Err(
            CommandError::Refused(CapitalError::UnknownCapture(_))
            | CommandError::Append(AppendError::EventIdConflict { .. }),
        ) => {
            tracing::info!(capture_id = capture_id.as_str(), %actor, "capture not pending here: nothing to settle");
            Ok(())
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captures(ids: &[&str]) -> Vec<(CaptureId, ())> {
        ids.iter()
            .map(|id| (CaptureId::parse(id).unwrap(), ()))
            .collect()
    }

    fn ids(page: &[(CaptureId, ())]) -> Vec<&str> {
        page.iter().map(|(id, _)| id.as_str()).collect()
    }

    #[test]
    fn a_page_starts_after_the_capture_asked_last_and_wraps_around() {
        let pending = captures(&["A", "B", "C", "D", "E"]);
        assert_eq!(ids(&page(&pending, None, 2)), ["A", "B"]);
        assert_eq!(ids(&page(&pending, Some("B"), 2)), ["C", "D"]);
        assert_eq!(ids(&page(&pending, Some("D"), 2)), ["E", "A"]);
        // The capture asked last was settled meanwhile: start after its place.
        assert_eq!(ids(&page(&pending, Some("BB"), 2)), ["C", "D"]);
        assert_eq!(
            ids(&page(&pending, Some("E"), 10)),
            ["A", "B", "C", "D", "E"]
        );
    }
}
