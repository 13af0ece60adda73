//! A refund made outside our API (in PayPal's dashboard), learnt from
//! PayPal's `PAYMENT.CAPTURE.REFUNDED`: recorded the same way as our own —
//! the intent and the completion in one decision — for an order not yet
//! bought; for a sold order, as `refund_order` records a sold order's
//! refund (`sold_refund.rs`). The same event for one of our own refunds
//! records nothing new:
//! the entry id derives from the order and PayPal's refund id, exactly as
//! `refund_order` derives it.

use chrono::{DateTime, Utc};
use dropledger_domain::{
    refund_payment, request_refund, Aggregate, EntryId, Money, Order, OrderDecision, OrderId,
    OrderStatus, ProviderRefundId, RefundPayment, RefundRequestId, RequestRefund,
};
use dropledger_eventstore::{EventStore, Metadata};
use uuid::Uuid;

use super::PaymentError;
use crate::command::decide_with_capital;

/// What PayPal says was refunded.
#[derive(Debug, Clone)]
pub struct OutsideRefund {
    /// Our order (from the capture's `custom_id`).
    pub order_id: OrderId,
    /// PayPal's refund id.
    pub refund_id: ProviderRefundId,
    /// The amount refunded.
    pub amount: Money,
    /// The part of the capture fee PayPal gave back.
    pub fee_returned: Money,
    /// PayPal's refund time.
    pub refunded_at: DateTime<Utc>,
}

/// Records `refund` on its order and in working capital (and, for a sold
/// order, on its sale, payouts and payees' receivables), once. Refused (an
/// error, for a person) for an order bought but not sold (its sale not yet
/// recorded, or flagged for review).
pub async fn record_outside_refund(
    store: &EventStore,
    refund: OutsideRefund,
    metadata: &Metadata,
) -> Result<(), PaymentError> {
    let order_id = refund.order_id;
    // The same ids `refund_order` would derive, so that our own refund and
    // its webhook record one refund.
    let entry_id = EntryId::from_uuid(Uuid::new_v5(
        &order_id.as_uuid(),
        refund.refund_id.as_str().as_bytes(),
    ));
    let request_id = RefundRequestId::from_uuid(Uuid::new_v5(
        &order_id.as_uuid(),
        format!("outside-refund:{}", refund.refund_id.as_str()).as_bytes(),
    ));
    let completion = RefundPayment {
        refund_id: refund.refund_id.clone(),
        amount: refund.amount,
        fee_returned: refund.fee_returned,
        entry_id,
        refunded_at: refund.refunded_at,
    };
    let sold = crate::order::load_order(store, order_id)
        .await?
        .state
        .sale_id()
        .is_some();
    if sold {
        let intent = RequestRefund {
            request_id,
            amount: refund.amount,
            requested_at: refund.refunded_at,
        };
        super::sold_refund::record_sold_refund(store, order_id, Some(intent), completion, metadata)
            .await?;
        return Ok(());
    }
    decide_with_capital(
        store,
        &Order::stream_id(order_id),
        metadata,
        |order: &Order, capital| match order.status() {
            // Recorded already (our own refund, or a redelivery).
            Some(OrderStatus::Refunded) => Ok(OrderDecision::default()),
            // Our own refund, asked for and not yet recorded.
            Some(OrderStatus::RefundRequested) => {
                refund_payment(order, capital, completion.clone())
            }
            _ => {
                let asked = request_refund(
                    order,
                    capital,
                    RequestRefund {
                        request_id,
                        amount: refund.amount,
                        requested_at: refund.refunded_at,
                    },
                )?;
                let order_after = order.clone().replay(&asked.order);
                let mut done = refund_payment(&order_after, capital, completion.clone())?;
                done.order.splice(0..0, asked.order);
                Ok(done)
            }
        },
    )
    .await?;
    Ok(())
}
