//! Facts that touch an order and working capital at once.
//!
//! Each function decides both sides; the caller appends the two event lists
//! in one atomic append with the expected versions of both streams, so two
//! concurrent fulfilments can never both spend the same money.

use super::command::{
    CapturePayment, ConfirmPurchase, FailPurchase, OrderCommand, RefundPayment, StartPurchase,
};
use super::error::OrderError;
use super::event::OrderEvent;
use super::state::Order;
use super::status::FailureReason;
use crate::aggregate::Aggregate;
use crate::capital::{CapitalCommand, CapitalError, CapitalEvent, HoldPurpose, WorkingCapital};

/// Events to append to an order stream and a working-capital stream together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderDecision {
    /// For `order-<uuid>`.
    pub order: Vec<OrderEvent>,
    /// For `capital-<CURRENCY>`; may be empty.
    pub capital: Vec<CapitalEvent>,
}

fn order_id(order: &Order) -> Result<crate::ids::OrderId, OrderError> {
    order.id().ok_or(OrderError::NotFound)
}

/// The payment was captured: the order becomes PAID and the cash is received
/// as pending or available according to the capture status.
pub fn capture_payment(
    order: &Order,
    capital: &WorkingCapital,
    command: CapturePayment,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::CapturePayment(command.clone()))?;
    let capital_events = capital.decide(CapitalCommand::ReceivePayment {
        entry_id: command.entry_id,
        order_id: order_id(order)?,
        capture_id: command.capture_id,
        gross: command.amount,
        fee: command.fee,
        status: command.status,
        effective_at: command.captured_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}

/// Checks that free capital covers the supplier cost and reserves it with a
/// hold in the same decision; if it does not, the order FAILS with
/// `INSUFFICIENT_FUNDS` (an outcome recorded on the order, not a refusal).
pub fn start_purchase(
    order: &Order,
    capital: &WorkingCapital,
    command: StartPurchase,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::StartPurchase(command.clone()))?;
    let reserved = order
        .supplier_cost_quoted()
        .expect("an order that can start a purchase exists");
    let hold = capital.decide(CapitalCommand::PlaceHold {
        hold_id: command.hold_id,
        purpose: HoldPurpose::Purchase {
            order_id: order_id(order)?,
        },
        amount: reserved,
        effective_at: command.started_at,
    });
    match hold {
        Ok(capital_events) => Ok(OrderDecision {
            order: order_events,
            capital: capital_events,
        }),
        Err(CapitalError::InsufficientFunds { .. }) => Ok(OrderDecision {
            order: order.decide(OrderCommand::FailPurchase(FailPurchase {
                reason: FailureReason::InsufficientFunds,
                failed_at: command.started_at,
            }))?,
            capital: Vec::new(),
        }),
        Err(other) => Err(other.into()),
    }
}

/// The supplier confirmed: the order becomes PURCHASED and the hold is posted
/// for the real cost, any rest released.
pub fn confirm_purchase(
    order: &Order,
    capital: &WorkingCapital,
    command: ConfirmPurchase,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::ConfirmPurchase(command.clone()))?;
    let hold_id = order
        .open_hold()
        .expect("a PURCHASING order has an open hold");
    let capital_events = capital.decide(CapitalCommand::PostHold {
        hold_id,
        entry_id: command.entry_id,
        amount: command.supplier_cost,
        effective_at: command.confirmed_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}

/// Buying failed: the order FAILS with the reason and its hold, if any, is voided.
pub fn fail_purchase(
    order: &Order,
    capital: &WorkingCapital,
    command: FailPurchase,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::FailPurchase(command.clone()))?;
    let capital_events = match order.open_hold() {
        Some(hold_id) => capital.decide(CapitalCommand::VoidHold {
            hold_id,
            effective_at: command.failed_at,
        })?,
        None => Vec::new(),
    };
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}

/// The refund asked for (`request_refund`) was made at PayPal, in full:
/// the order becomes REFUNDED and a correcting cash entry, pointing at the
/// capture's, takes the money out of available cash. Refused while the
/// capture is still pending, or when free capital does not cover it.
pub fn refund_payment(
    order: &Order,
    capital: &WorkingCapital,
    command: RefundPayment,
) -> Result<OrderDecision, OrderError> {
    if order.sale_id().is_some() {
        // A sold order's refund also reverses its sale: `refund_sold_order`.
        return Err(OrderError::InvalidTransition {
            action: "record as never sold the refund of",
            status: order
                .status()
                .unwrap_or(super::OrderStatus::RefundRequested),
        });
    }
    let order_events = order.decide(OrderCommand::RefundPayment(command.clone()))?;
    let capture = order.capture().expect("a refundable order has a capture");
    let capital_events = capital.decide(CapitalCommand::RefundPayment {
        entry_id: command.entry_id,
        corrects: capture.entry_id,
        order_id: order_id(order)?,
        capture_id: capture.capture_id.clone(),
        refund_id: command.refund_id,
        gross: command.amount,
        fee: capture.fee,
        fee_returned: command.fee_returned,
        effective_at: command.refunded_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}
