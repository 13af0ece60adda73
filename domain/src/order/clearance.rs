//! A pending capture's outcome, on the order and on working capital at
//! once: COMPLETED makes the order PAID (fulfilment may start) and its cash
//! available; DENIED fails the order and reverses the pending cash.

use chrono::{DateTime, Utc};

use super::command::OrderCommand;
use super::error::OrderError;
use super::fulfilment::OrderDecision;
use super::state::Order;
use super::status::OrderStatus;
use crate::aggregate::Aggregate;
use crate::capital::{CapitalCommand, WorkingCapital};
use crate::ids::EntryId;

/// PayPal's word on a pending capture, with the cash entry to record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleCapture {
    /// Id of the cash journal entry (derived from the capture id, so that
    /// the poller and the webhook record it once).
    pub entry_id: EntryId,
    /// PayPal's `update_time`, or when we learnt it.
    pub effective_at: DateTime<Utc>,
}

/// PayPal completed the order's pending capture: an order awaiting
/// clearance becomes PAID and the net moves from pending to available cash.
/// An order that moved on without waiting (recorded before orders waited
/// for clearance) only has its cash completed.
pub fn clear_payment(
    order: &Order,
    capital: &WorkingCapital,
    command: SettleCapture,
) -> Result<OrderDecision, OrderError> {
    let capture = order.capture().ok_or(OrderError::InvalidTransition {
        action: "clear the payment of",
        status: order.status().ok_or(OrderError::NotFound)?,
    })?;
    let order_events = if order.status() == Some(OrderStatus::AwaitingPaymentClearance) {
        order.decide(OrderCommand::ClearPayment {
            cleared_at: command.effective_at,
        })?
    } else {
        Vec::new()
    };
    let capital_events = capital.decide(CapitalCommand::CompleteCapture {
        entry_id: command.entry_id,
        capture_id: capture.capture_id.clone(),
        effective_at: command.effective_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}

/// PayPal denied (or failed) the order's pending capture: the order FAILS
/// with `PAYMENT_DENIED` (nothing was bought or held while it waited) and
/// the capture's pending cash, fee and prepayment are reversed.
pub fn deny_payment(
    order: &Order,
    capital: &WorkingCapital,
    command: SettleCapture,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::DenyPayment {
        denied_at: command.effective_at,
    })?;
    let capture = order
        .capture()
        .expect("an order awaiting clearance has a capture");
    let gross = order.total().expect("an order awaiting clearance exists");
    let capital_events = capital.deny_capture(
        command.entry_id,
        capture.capture_id.clone(),
        gross,
        capture.fee,
        command.effective_at,
    )?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}
