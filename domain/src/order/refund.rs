//! The refund's intent, decided before PayPal is asked: appended with the
//! order's expected version, it takes the order out of the states
//! fulfilment buys from, so a refund and a purchase can never both win.

use chrono::{DateTime, Utc};

use super::command::OrderCommand;
use super::error::OrderError;
use super::fulfilment::OrderDecision;
use super::state::Order;
use crate::aggregate::Aggregate;
use crate::capital::{CapitalCommand, WorkingCapital};
use crate::ids::{EntryId, ProviderRefundId, RefundRequestId};
use crate::money::Money;

/// A refund asked for: in full for an order never sold; in full or in
/// part, up to what is left, for a sold one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRefund {
    /// The intent's id (PayPal's request id derives from it).
    pub request_id: RefundRequestId,
    /// The amount.
    pub amount: Money,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// Records the intent to refund a PAID or FAILED order in full, or a sold
/// (PURCHASED, sale recorded) order in full or in part: the order becomes
/// REFUND_REQUESTED. Refused unless the order may be refunded and
/// free capital covers the refund with no fee returned (the case that
/// takes most cash out), so that a refusal never follows a refund at
/// PayPal. No cash moves yet: `refund_payment` records it once PayPal has.
pub fn request_refund(
    order: &Order,
    capital: &WorkingCapital,
    command: RequestRefund,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::RequestRefund {
        request_id: command.request_id,
        amount: command.amount,
        requested_at: command.requested_at,
    })?;
    let capture = order.capture().expect("a refundable order has a capture");
    let order_id = order.id().ok_or(OrderError::NotFound)?;
    let refund_id = ProviderRefundId::parse("rehearsal").expect("a valid reference");
    let nothing_returned = Money::zero(command.amount.currency());
    if order.sale_id().is_some() {
        // A sold order's refund: its own cash side, rehearsed the same way.
        capital.decide(CapitalCommand::RefundSale {
            entry_id: EntryId::from_uuid(command.request_id.as_uuid()),
            order_id,
            capture_id: capture.capture_id.clone(),
            refund_id,
            gross: command.amount,
            fee_returned: nothing_returned,
            effective_at: command.requested_at,
        })?;
        return Ok(OrderDecision {
            order: order_events,
            capital: Vec::new(),
        });
    }
    // A rehearsal of the cash side: its events are not kept.
    capital.decide(CapitalCommand::RefundPayment {
        entry_id: EntryId::from_uuid(command.request_id.as_uuid()),
        corrects: capture.entry_id,
        order_id,
        capture_id: capture.capture_id.clone(),
        refund_id,
        gross: command.amount,
        fee: capture.fee,
        fee_returned: nothing_returned,
        effective_at: command.requested_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: Vec::new(),
    })
}

/// PayPal definitely refused the refund asked for: the order is back where
/// it was (PAID or FAILED).
pub fn fail_refund_request(
    order: &Order,
    failed_at: DateTime<Utc>,
) -> Result<OrderDecision, OrderError> {
    Ok(OrderDecision {
        order: order.decide(OrderCommand::FailRefundRequest { failed_at })?,
        capital: Vec::new(),
    })
}
