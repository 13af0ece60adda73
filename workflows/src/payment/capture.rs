//! The capture of an approved checkout: PayPal takes the buyer's money, the
//! order becomes PAID, and the cash lands in working capital (pending until
//! PayPal completes the capture).

use chrono::Utc;
use dropledger_domain::{
    capture_payment, CaptureId, CapturePayment, CaptureStatus, EntryId, Money, Order,
    OrderDecision, OrderError, OrderId, UserId,
};
use dropledger_eventstore::{AppendResult, EventStore, Metadata};
use dropledger_integrations::{PayPalClient, PayPalError};
use uuid::Uuid;

use super::PaymentError;
use crate::command::decide_with_capital;
use crate::order::load_order;

/// A recorded capture.
#[derive(Debug, Clone)]
pub struct Captured {
    /// What was appended (nothing when an earlier attempt recorded it).
    pub appends: Vec<AppendResult>,
}

/// Captures the approved PayPal payment of `order_id` for `buyer`: the
/// order becomes PAID and the money is recorded in working capital. A
/// retry captures once (PayPal's request id derives from the order) and
/// records once.
pub async fn capture_checkout(
    store: &EventStore,
    paypal: &PayPalClient,
    order_id: OrderId,
    buyer: UserId,
    metadata: &Metadata,
) -> Result<Captured, PaymentError> {
    let order = load_order(store, order_id).await?.state;
    let Some(provider_order_id) = order.provider_order_id() else {
        return Err(PaymentError::refused(&OrderError::NotFound));
    };
    let capture = paypal
        .capture_order(provider_order_id.as_str(), &format!("capture-{order_id}"))
        .await
        .map_err(|error| match error {
            // PayPal captured, in an amount the ledger cannot hold.
            PayPalError::Amount(refused) => PaymentError::Unusable(refused.to_string()),
            error => {
                tracing::warn!(%error, %order_id, "PayPal refused the capture");
                PaymentError::NotCaptured
            }
        })?;
    let status = match capture.status {
        dropledger_integrations::CaptureStatus::Completed => CaptureStatus::Completed,
        dropledger_integrations::CaptureStatus::Pending => CaptureStatus::Pending,
        _ => return Err(PaymentError::Declined),
    };
    let amount = capture.gross;
    let fee = capture.paypal_fee.unwrap_or(Money::zero(amount.currency()));
    let capture_id = CaptureId::parse(&capture.id)
        .map_err(|_| PaymentError::Unusable(format!("an unusable capture id {:?}", capture.id)))?;
    let command = CapturePayment {
        buyer,
        capture_id,
        amount,
        fee,
        status,
        // One capture, one entry: a retried request records it once.
        entry_id: EntryId::from_uuid(Uuid::new_v5(&order_id.as_uuid(), capture.id.as_bytes())),
        captured_at: Utc::now(),
    };
    // Every capture of the currency lands on its capital stream: cash
    // coming in commutes with holds and other captures, and the order's own
    // stream keeps it from being recorded twice.
    let (_, appends) = decide_with_capital(
        store,
        &Order::stream_id(order_id),
        metadata,
        |order: &Order, capital| {
            if order.buyer() == Some(buyer) {
                // Recorded by an earlier attempt.
                return Ok(OrderDecision::default());
            }
            capture_payment(order, capital, command.clone())
        },
    )
    .await?;
    Ok(Captured { appends })
}
