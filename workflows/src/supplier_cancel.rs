//! A supplier that cancels or closes an order it accepted, as the tracking
//! poller finds it (AliExpress A7): the order's shipment fails and what the
//! supplier charged is owed back; once the supplier reports the order
//! closed with its refund, the receivable is settled in the PayPal cash the
//! purchase was paid from. Each step once: its command and entry ids derive
//! from the order and the supplier's order id, and a step already recorded
//! decides nothing (several pollers on several servers may race).

use chrono::Utc;
use dropledger_domain::{
    cancel_by_supplier, receive_supplier_refund, CancelBySupplier, EntryId, Order, OrderDecision,
    OrderId, ReceiveSupplierRefund, SupplierOrderId,
};
use dropledger_eventstore::{EventStore, Metadata};
use dropledger_integrations::{SupplierOrder, SupplierOrderState};
use uuid::Uuid;

use crate::command::decide_order;
use crate::error::PollError;

/// The actor on the events recorded here.
const ACTOR: &str = "system:tracking";

/// What the supplier's report settled for the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Followed {
    /// The supplier did not cancel: look for tracking as usual.
    NotCancelled,
    /// Cancelled; its refund is still to come (ask again later).
    AwaitingRefund,
    /// Cancelled and refunded: nothing more to follow.
    Settled,
}

/// Records what `report` says of the supplier order of `order_id`.
pub(crate) async fn follow(
    store: &EventStore,
    order_id: OrderId,
    supplier_order_id: &SupplierOrderId,
    report: &SupplierOrder,
) -> Result<Followed, PollError> {
    if !report.state.is_cancelled() {
        return Ok(Followed::NotCancelled);
    }
    let stream = Order::stream_id(order_id);
    let step = |name: &str| {
        Uuid::new_v5(
            &order_id.as_uuid(),
            format!("{name}:{supplier_order_id}").as_bytes(),
        )
    };
    let metadata = |command: Uuid| Metadata {
        correlation_id: order_id.as_uuid(),
        causation_id: None,
        actor: ACTOR.to_owned(),
        command_id: Some(command),
    };
    let now = Utc::now();
    let cancel = CancelBySupplier {
        entry_id: EntryId::from_uuid(step("supplier-cancel-entry")),
        supplier_status: report.order_status.clone(),
        cancelled_at: now,
    };
    decide_order(
        store,
        &stream,
        &metadata(step("supplier-cancel")),
        |order, capital| {
            if order.supplier_cancelled() {
                return Ok(OrderDecision::default());
            }
            cancel_by_supplier(order, capital, cancel.clone())
        },
    )
    .await?;
    tracing::info!(%order_id, %supplier_order_id, status = %report.order_status, "the supplier cancelled the order: its cost is owed back");
    let SupplierOrderState::ClosedRefunded { refunded, .. } = &report.state else {
        return Ok(Followed::AwaitingRefund);
    };
    let refund = ReceiveSupplierRefund {
        entry_id: EntryId::from_uuid(step("supplier-refund-entry")),
        amount: *refunded,
        refunded_at: now,
    };
    decide_order(
        store,
        &stream,
        &metadata(step("supplier-refund")),
        |order, capital| {
            if order.supplier_refunded() {
                return Ok(OrderDecision::default());
            }
            receive_supplier_refund(order, capital, refund.clone())
        },
    )
    .await?;
    tracing::info!(%order_id, %supplier_order_id, amount = %refunded, "the supplier refunded the cancelled order");
    Ok(Followed::Settled)
}
