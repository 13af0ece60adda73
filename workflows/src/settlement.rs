//! Settlement of captures PayPal left PENDING, by polling and by webhook:
//! COMPLETED makes the waiting order PAID (fulfilment starts) and its cash
//! available; DENIED or FAILED fails the order with `PAYMENT_DENIED` and
//! reverses the pending cash. The poller and the PayPal webhook call the
//! same [`settle_capture`]. Idempotent on the capture id: the entry ids
//! derive from it, and a capture no longer pending (settled by the webhook
//! or an earlier poll) is found nowhere and simply skipped.
//!
//! One poll asks about a bounded page of pending captures, starting after
//! the one the previous poll asked last, so every capture is asked in turn
//! however many are pending; a capture PayPal refuses to show, or does not
//! know, is logged and rests, longer after each failure, never in the way
//! of the others.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use dropledger_domain::{
    clear_payment, deny_payment, CapitalError, CaptureId, Currency, EntryId, Order, OrderError,
    OrderId, SettleCapture,
};
use dropledger_eventstore::{Backoff, CommandError, EventStore, Metadata};
use dropledger_integrations::{CaptureStatus, PayPalClient};
use uuid::Uuid;

use crate::command::decide_with_capital;
use crate::current::current_capital;
use crate::error::PollError;

/// How often pending captures are asked about.
pub const SETTLEMENT_POLL_INTERVAL_MS: u64 = 1_000;
/// Pending captures asked about in one poll, at most.
pub const SETTLEMENT_CAPTURES_PER_POLL_MAX: usize = 50;
/// Namespace of the cash entries that complete captures.
const CAPTURE_ENTRY_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a0e_93b4_4d71_a5e8_0c7d_31f2_9b64);
/// Namespace of the cash entries that reverse denied captures.
const DENIAL_ENTRY_NAMESPACE: Uuid = Uuid::from_u128(0x2b8e_51d3_0c47_4f19_9a6e_d4f0_7c13_85a2);
/// The currencies whose working capital is settled.
const CURRENCIES: [Currency; 1] = [Currency::Usd];

/// What PayPal finally said about a pending capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// COMPLETED: the money is ours.
    Completed,
    /// DENIED (capture status DECLINED) or FAILED: the money never arrives.
    Denied,
}

impl CaptureOutcome {
    /// The outcome PayPal's capture status gives, if it is final.
    pub fn of(status: &CaptureStatus) -> Option<CaptureOutcome> {
        match status {
            CaptureStatus::Completed => Some(CaptureOutcome::Completed),
            CaptureStatus::Declined | CaptureStatus::Failed => Some(CaptureOutcome::Denied),
            _ => None,
        }
    }
}

/// The entry id that completes `capture_id`, whoever records it.
pub fn completion_entry_id(capture_id: &CaptureId) -> EntryId {
    EntryId::from_uuid(Uuid::new_v5(
        &CAPTURE_ENTRY_NAMESPACE,
        capture_id.as_str().as_bytes(),
    ))
}

/// The entry id that reverses the denied `capture_id`, whoever records it.
pub fn denial_entry_id(capture_id: &CaptureId) -> EntryId {
    EntryId::from_uuid(Uuid::new_v5(
        &DENIAL_ENTRY_NAMESPACE,
        capture_id.as_str().as_bytes(),
    ))
}

/// Which pending captures the next poll asks about: a page starting after
/// the capture asked last, leaving out those resting. A capture PayPal
/// refused to show, or says it does not know (a 404: recorded against
/// another PayPal account, or lost at PayPal), rests before it is asked
/// again, twice as long after each failure up to [`SETTLEMENT_REST`]'s
/// ceiling: without it a long log's forgotten captures cost PayPal calls
/// every second for ever, and the webhook settles a capture anyway the
/// moment PayPal knows its outcome.
#[derive(Debug, Default)]
pub struct SettlementSchedule {
    state: Mutex<ScheduleState>,
}

/// How long a capture rests after its first failure, and at most.
pub const SETTLEMENT_REST: Backoff = Backoff::from_millis(2_000, 3_600_000);

#[derive(Debug, Default)]
struct ScheduleState {
    /// The capture asked last.
    after: Option<String>,
    /// Captures whose last ask failed: how often in a row, and until when
    /// they rest. Only pending captures are kept, so it never outgrows them.
    resting: HashMap<CaptureId, Rest>,
}

#[derive(Debug, Clone, Copy)]
struct Rest {
    failures: u32,
    until: Instant,
}

impl SettlementSchedule {
    /// Up to `max` of `pending` due at `now`, in capture id order, starting
    /// after the capture asked last and wrapping around. Forgets the rest of
    /// captures no longer pending.
    fn due(&self, pending: &[CaptureId], now: Instant, max: usize) -> Vec<CaptureId> {
        let mut state = self.lock();
        let still_pending: HashSet<&CaptureId> = pending.iter().collect();
        state
            .resting
            .retain(|capture_id, _| still_pending.contains(capture_id));
        let mut due: Vec<CaptureId> = pending
            .iter()
            .filter(|capture_id| {
                state
                    .resting
                    .get(*capture_id)
                    .is_none_or(|rest| rest.until <= now)
            })
            .cloned()
            .collect();
        due.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        page(&due, state.after.as_deref(), max)
    }

    /// `capture_id` is being asked about now.
    fn asking(&self, capture_id: &CaptureId) {
        self.lock().after = Some(capture_id.as_str().to_owned());
    }

    /// PayPal answered about `capture_id`: it is asked again at the next turn.
    fn answered(&self, capture_id: &CaptureId) {
        self.lock().resting.remove(capture_id);
    }

    /// Asking about `capture_id` failed at `now`: it rests, longer than last time.
    fn failed(&self, capture_id: &CaptureId, now: Instant) {
        let mut state = self.lock();
        let failures = state
            .resting
            .get(capture_id)
            .map_or(1, |rest| rest.failures.saturating_add(1));
        let until = now + SETTLEMENT_REST.nth(failures);
        state
            .resting
            .insert(capture_id.clone(), Rest { failures, until });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ScheduleState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One poll: of the pending captures due (see [`SettlementSchedule`]), a
/// page is asked about and each PayPal now reports final is settled. A
/// capture that cannot be settled now (PayPal refuses, does not know it,
/// its answer is unusable) rests and does not stop the others; the first
/// such failure is returned once the page is done. Our own store failing
/// ends the poll at once: every capture would meet it.
pub async fn poll(
    store: &EventStore,
    paypal: &Arc<PayPalClient>,
    schedule: &SettlementSchedule,
) -> Result<(), PollError> {
    let mut first_failure = None;
    for currency in CURRENCIES {
        let capital = current_capital(store, currency).await?;
        let pending: Vec<CaptureId> = capital
            .pending_captures()
            .map(|(capture_id, _)| capture_id.clone())
            .collect();
        for capture_id in schedule.due(&pending, Instant::now(), SETTLEMENT_CAPTURES_PER_POLL_MAX) {
            schedule.asking(&capture_id);
            match settle(store, paypal, currency, &capture_id).await {
                Ok(()) => schedule.answered(&capture_id),
                Err(error @ PollError::Store(_)) => return Err(error),
                Err(error) => {
                    schedule.failed(&capture_id, Instant::now());
                    tracing::warn!(capture_id = capture_id.as_str(), %error, "capture not settled now: it rests, the others go on");
                    first_failure.get_or_insert(error);
                }
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

/// Up to `max` of `sorted` (by capture id), starting after `after` and
/// wrapping around to the start.
fn page(sorted: &[CaptureId], after: Option<&str>, max: usize) -> Vec<CaptureId> {
    let start = after.map_or(0, |after| {
        sorted.partition_point(|capture_id| capture_id.as_str() <= after)
    });
    sorted[start..]
        .iter()
        .chain(&sorted[..start])
        .take(max)
        .cloned()
        .collect()
}

/// Asks PayPal about one pending capture and settles it once final.
async fn settle(
    store: &EventStore,
    paypal: &Arc<PayPalClient>,
    currency: Currency,
    capture_id: &CaptureId,
) -> Result<(), PollError> {
    let capture = paypal
        .capture(capture_id.as_str())
        .await
        .map_err(PollError::paypal)?;
    let Some(outcome) = CaptureOutcome::of(&capture.status) else {
        return Ok(());
    };
    settle_capture(
        store,
        currency,
        capture_id,
        outcome,
        Utc::now(),
        "system:settlement",
    )
    .await
}

/// Records PayPal's final `outcome` of `capture_id` as `actor`, on the
/// capture's order and on working capital at once, in the order's flow
/// (its id is the correlation id). A capture that is not pending here —
/// settled already, or not recorded yet — records nothing: the poll finds
/// the second kind once it is recorded.
pub async fn settle_capture(
    store: &EventStore,
    currency: Currency,
    capture_id: &CaptureId,
    outcome: CaptureOutcome,
    effective_at: DateTime<Utc>,
    actor: &str,
) -> Result<(), PollError> {
    let capital = current_capital(store, currency).await?;
    let Some(order_id) = capital
        .pending_captures()
        .find(|(pending, _)| *pending == capture_id)
        .map(|(_, order_id)| *order_id)
    else {
        tracing::info!(capture_id = capture_id.as_str(), %actor, "capture not pending here: nothing to settle");
        return Ok(());
    };
    let entry_id = match outcome {
        CaptureOutcome::Completed => completion_entry_id(capture_id),
        CaptureOutcome::Denied => denial_entry_id(capture_id),
    };
    let metadata = Metadata {
        correlation_id: order_id.as_uuid(),
        causation_id: None,
        actor: actor.to_owned(),
        command_id: Some(entry_id.as_uuid()),
    };
    let command = SettleCapture {
        entry_id,
        effective_at,
    };
    let decided = decide_with_capital(
        store,
        &Order::stream_id(order_id),
        // The order's stream, appended at the version decided on, keeps
        // the capture from being settled twice.
        &metadata,
        |order: &Order, capital| match outcome {
            CaptureOutcome::Completed => clear_payment(order, capital, command.clone()),
            CaptureOutcome::Denied => deny_payment(order, capital, command.clone()),
        },
    )
    .await;
    report(decided.map(|_| ()), order_id, capture_id, outcome, actor)
}

fn report(
    decided: Result<(), CommandError<OrderError>>,
    order_id: OrderId,
    capture_id: &CaptureId,
    outcome: CaptureOutcome,
    actor: &str,
) -> Result<(), PollError> {
    let capture = capture_id.as_str();
    match decided {
        Ok(()) => {
            match outcome {
                CaptureOutcome::Completed => {
                    tracing::info!(capture, %order_id, %actor, "capture COMPLETED: the order is PAID, its cash available")
                }
                CaptureOutcome::Denied => {
                    tracing::warn!(capture, %order_id, %actor, "capture DENIED: the order FAILED, its pending cash reversed")
                }
            }
            Ok(())
        }
        // Settled by someone else between our read and our decision.
        Err(CommandError::Refused(OrderError::Capital(CapitalError::UnknownCapture(_)))) => Ok(()),
        // A denial of an order that did not wait (recorded before orders
        // waited for clearance) and has moved on: a person must decide.
        Err(CommandError::Refused(refusal)) => Err(PollError::Unusable(format!(
            "capture {capture} of order {order_id} cannot be settled as {outcome:?}: {refusal}"
        ))),
        Err(fault) => Err(fault.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn captures(ids: &[&str]) -> Vec<CaptureId> {
        ids.iter().map(|id| CaptureId::parse(id).unwrap()).collect()
    }

    fn ids(page: &[CaptureId]) -> Vec<&str> {
        page.iter().map(CaptureId::as_str).collect()
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

    #[test]
    fn a_capture_that_failed_rests_twice_as_long_after_each_failure_while_the_others_are_asked() {
        let schedule = SettlementSchedule::default();
        let pending = captures(&["A", "B", "C"]);
        let [a, _, _] = [&pending[0], &pending[1], &pending[2]];
        let start = Instant::now();
        let at = |seconds: u64| start + Duration::from_secs(seconds);

        schedule.failed(a, at(0));
        assert_eq!(ids(&schedule.due(&pending, at(1), 10)), ["B", "C"]);
        assert_eq!(ids(&schedule.due(&pending, at(2), 10)), ["A", "B", "C"]);
        schedule.failed(a, at(2));
        assert_eq!(ids(&schedule.due(&pending, at(5), 10)), ["B", "C"]);
        assert_eq!(ids(&schedule.due(&pending, at(6), 10)), ["A", "B", "C"]);
        schedule.failed(a, at(6));
        assert_eq!(ids(&schedule.due(&pending, at(13), 10)), ["B", "C"]);
        assert_eq!(ids(&schedule.due(&pending, at(14), 10)), ["A", "B", "C"]);
    }

    #[test]
    fn a_capture_rests_at_most_the_ceiling_however_often_it_failed() {
        let schedule = SettlementSchedule::default();
        let pending = captures(&["A"]);
        let start = Instant::now();
        for _ in 0..64 {
            schedule.failed(&pending[0], start);
        }
        let ceiling = start + SETTLEMENT_REST.max;
        assert!(schedule
            .due(&pending, ceiling - Duration::from_secs(1), 10)
            .is_empty());
        assert_eq!(ids(&schedule.due(&pending, ceiling, 10)), ["A"]);
    }

    #[test]
    fn an_answer_ends_the_rest_and_a_capture_no_longer_pending_is_forgotten() {
        let schedule = SettlementSchedule::default();
        let pending = captures(&["A", "B"]);
        let now = Instant::now();
        schedule.failed(&pending[0], now);
        schedule.failed(&pending[1], now);
        schedule.answered(&pending[0]);
        assert_eq!(ids(&schedule.due(&pending, now, 10)), ["A"]);

        // B was settled by the webhook: its rest goes with it.
        schedule.due(&pending[..1], now, 10);
        assert_eq!(schedule.lock().resting.len(), 0);
    }

    #[test]
    fn the_page_of_due_captures_follows_the_one_asked_last() {
        let schedule = SettlementSchedule::default();
        let pending = captures(&["A", "B", "C", "D"]);
        let now = Instant::now();
        schedule.asking(&pending[1]);
        schedule.failed(&pending[2], now);
        assert_eq!(ids(&schedule.due(&pending, now, 2)), ["D", "A"]);
    }
}
