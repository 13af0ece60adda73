//! Settlement of captures PayPal left PENDING, by polling and by webhook:
//! COMPLETED makes the waiting order PAID (fulfilment starts) and its cash
//! available; DENIED or FAILED fails the order with `PAYMENT_DENIED` and
//! reverses the pending cash. The poller and the PayPal webhook call the
//! same [`settle_capture`]. Idempotent on the capture id: the entry ids
//! derive from it, and a capture no longer pending (settled by the webhook
//! or an earlier poll) is found nowhere and simply skipped.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dropledger_domain::{
    clear_payment, deny_payment, CapitalError, CaptureId, Currency, EntryId, Order, OrderError,
    OrderId, SettleCapture, WorkingCapital,
};
use dropledger_eventstore::{CommandError, EventStore, Metadata};
use dropledger_integrations::{CaptureStatus, PayPalClient};
use uuid::Uuid;

use crate::command::{decide_with_capital, CapitalAppend};
use crate::current::current;
use crate::error::PollError;

/// How often pending captures are asked about.
pub const SETTLEMENT_POLL_INTERVAL_MS: u64 = 1_000;
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

/// One poll: every pending capture PayPal now reports final is settled.
pub async fn poll(store: &EventStore, paypal: &Arc<PayPalClient>) -> Result<(), PollError> {
    for currency in CURRENCIES {
        let stream = WorkingCapital::stream_id(currency);
        let capital = current(store, &stream, WorkingCapital::new(currency)).await?;
        let pending: Vec<CaptureId> = capital
            .pending_captures()
            .map(|(capture_id, _)| capture_id.clone())
            .collect();
        for capture_id in pending {
            let capture = paypal
                .capture(capture_id.as_str())
                .await
                .map_err(PollError::paypal)?;
            let Some(outcome) = CaptureOutcome::of(&capture.status) else {
                continue;
            };
            settle_capture(
                store,
                currency,
                &capture_id,
                outcome,
                Utc::now(),
                "system:settlement",
            )
            .await?;
        }
    }
    Ok(())
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
    let capital = current(
        store,
        &WorkingCapital::stream_id(currency),
        WorkingCapital::new(currency),
    )
    .await?;
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
        &metadata,
        // The pending capture must still be pending when this lands.
        CapitalAppend::Checked,
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
