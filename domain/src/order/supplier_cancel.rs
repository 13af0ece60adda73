//! A supplier that cancels (or closes) a purchase it accepted: the order
//! will not ship, the supplier owes back what it charged (a receivable),
//! and its refund later settles that receivable in cash. Each decided with
//! its cash side, for one atomic append.

use chrono::{DateTime, Utc};

use super::command::OrderCommand;
use super::error::OrderError;
use super::event::OrderEvent;
use super::fulfilment::OrderDecision;
use super::state::Order;
use super::status::OrderStatus;
use crate::aggregate::Aggregate;
use crate::capital::{CapitalCommand, WorkingCapital};
use crate::ids::EntryId;
use crate::money::Money;

/// The supplier reported the purchase cancelled or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelBySupplier {
    /// Id of the receivable's entry.
    pub entry_id: EntryId,
    /// The supplier's status as it reported it (`IN_CANCEL`, `FINISH`).
    pub supplier_status: String,
    /// When we learnt it.
    pub cancelled_at: DateTime<Utc>,
}

/// The supplier reported its refund of the cancelled purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveSupplierRefund {
    /// Id of the cash entry.
    pub entry_id: EntryId,
    /// What the supplier gave back.
    pub amount: Money,
    /// When we learnt it.
    pub refunded_at: DateTime<Utc>,
}

/// The order stops (SUPPLIER_CANCELLED, unless already refunded) and what
/// the supplier charged becomes a receivable: out of goods in transit if
/// the sale is not recorded, out of supplier cost if it is.
pub fn cancel_by_supplier(
    order: &Order,
    capital: &WorkingCapital,
    command: CancelBySupplier,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::CancelBySupplier {
        supplier_status: command.supplier_status,
        cancelled_at: command.cancelled_at,
    })?;
    let Some(OrderEvent::OrderSupplierCancelled {
        supplier_order_id,
        amount,
        ..
    }) = order_events.first()
    else {
        unreachable!("a supplier cancellation decides OrderSupplierCancelled")
    };
    let capital_events = capital.decide(CapitalCommand::CancelSupplierPurchase {
        entry_id: command.entry_id,
        order_id: order.id().ok_or(OrderError::NotFound)?,
        supplier_order_id: supplier_order_id.clone(),
        amount: *amount,
        sold: order.sale_id().is_some(),
        effective_at: command.cancelled_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}

/// The supplier's refund arrived in the PayPal balance: the receivable is
/// settled in cash.
pub fn receive_supplier_refund(
    order: &Order,
    capital: &WorkingCapital,
    command: ReceiveSupplierRefund,
) -> Result<OrderDecision, OrderError> {
    let order_events = order.decide(OrderCommand::ReceiveSupplierRefund {
        amount: command.amount,
        refunded_at: command.refunded_at,
    })?;
    let supplier_order_id = order
        .supplier_order_id()
        .cloned()
        .ok_or(OrderError::NotFound)?;
    let capital_events = capital.decide(CapitalCommand::ReceiveSupplierRefund {
        entry_id: command.entry_id,
        order_id: order.id().ok_or(OrderError::NotFound)?,
        supplier_order_id,
        amount: command.amount,
        effective_at: command.refunded_at,
    })?;
    Ok(OrderDecision {
        order: order_events,
        capital: capital_events,
    })
}

impl Order {
    pub(super) fn decide_supplier_cancel(
        &self,
        supplier_status: String,
        cancelled_at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let placed = self.placed()?;
        // Bought and not shipped; a refund of the sale (asked for or made)
        // does not change what the supplier owes back.
        let cancellable = matches!(
            placed.status,
            OrderStatus::Purchased | OrderStatus::RefundRequested | OrderStatus::Refunded
        );
        let (Some(supplier_order_id), Some(amount), true, false, None) = (
            placed.supplier_order_id.clone(),
            placed.supplier_cost,
            cancellable,
            placed.supplier_cancelled,
            placed.tracking_number.as_ref(),
        ) else {
            return Err(OrderError::InvalidTransition {
                action: "record a supplier cancellation of",
                status: placed.status,
            });
        };
        Ok(OrderEvent::OrderSupplierCancelled {
            supplier_order_id,
            supplier_status,
            amount,
            cancelled_at,
        })
    }

    pub(super) fn decide_supplier_refund(
        &self,
        amount: Money,
        refunded_at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let placed = self.placed()?;
        let (true, false, Some(supplier_order_id), Some(expected)) = (
            placed.supplier_cancelled,
            placed.supplier_refunded,
            placed.supplier_order_id.clone(),
            placed.supplier_cost,
        ) else {
            return Err(OrderError::InvalidTransition {
                action: "record the supplier's refund of",
                status: placed.status,
            });
        };
        // A partial refund by the supplier is not modelled: a person looks.
        if amount != expected {
            return Err(OrderError::AmountMismatch {
                expected,
                got: amount,
            });
        }
        Ok(OrderEvent::OrderSupplierRefunded {
            supplier_order_id,
            amount,
            refunded_at,
        })
    }
}
