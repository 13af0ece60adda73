//! A refund of an order never fulfilled (PAID or FAILED), in full: the
//! buyer's money back at PayPal, and the correcting entry in the ledger.
//!
//! Refunding a sold order would also have to reverse the sale and recover
//! payouts, which the ledger does not model yet.

use chrono::Utc;
use dropledger_domain::{
    refund_payment, EntryId, Money, Order, OrderDecision, OrderId, OrderStatus, ProviderRefundId,
    RefundPayment, UserId,
};
use dropledger_eventstore::{AppendResult, EventStore, Metadata};
use dropledger_integrations::{PayPalClient, PayPalError};
use uuid::Uuid;

use super::PaymentError;
use crate::command::decide_with_capital;
use crate::current::current_capital;
use crate::order::load_order;

/// Who asks for a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunder {
    /// An ADMIN: any order.
    Admin,
    /// A user: only orders they sell.
    Seller(UserId),
}

/// A refund asked for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// The order.
    pub order_id: OrderId,
    /// Its full price (partial refunds are refused).
    pub amount: Money,
    /// Why, shown to the buyer by PayPal.
    pub reason: String,
    /// Who asks.
    pub by: Refunder,
}

/// A recorded refund.
#[derive(Debug, Clone)]
pub struct Refunded {
    /// PayPal's refund id.
    pub provider_refund_id: String,
    /// What was appended (nothing when an earlier attempt recorded it).
    pub appends: Vec<AppendResult>,
}

/// Refunds an unfulfilled order's payment in full at PayPal and records the
/// correcting entry. Repeating it for a refunded order changes nothing.
pub async fn refund_order(
    store: &EventStore,
    paypal: &PayPalClient,
    request: RefundRequest,
    metadata: &Metadata,
) -> Result<Refunded, PaymentError> {
    let RefundRequest {
        order_id,
        amount,
        reason,
        by,
    } = request;
    let order = load_order(store, order_id).await?.state;
    let Some(total) = order.total() else {
        return Err(PaymentError::refused(
            &dropledger_domain::OrderError::NotFound,
        ));
    };
    if let Refunder::Seller(user) = by {
        if order.seller() != Some(user) {
            return Err(PaymentError::NotTheSeller);
        }
    }
    if amount != total {
        return Err(PaymentError::PartialRefund(total));
    }
    // Ask the domain first, with no fee returned (the case that takes most
    // cash out), so that a refusal never follows a refund at PayPal.
    let rehearsal = RefundPayment {
        refund_id: ProviderRefundId::parse("rehearsal")
            .map_err(|error| PaymentError::Unusable(error.to_string()))?,
        amount,
        fee_returned: Money::zero(amount.currency()),
        entry_id: EntryId::from_uuid(Uuid::nil()),
        refunded_at: Utc::now(),
    };
    let currency = amount.currency();
    let capital = current_capital(store, currency).await?;
    refund_payment(&order, &capital, rehearsal).map_err(|error| PaymentError::refused(&error))?;
    let capture_id = order
        .capture_id()
        .ok_or_else(|| PaymentError::Unusable("a refundable order without a capture".to_owned()))?
        .to_string();
    // One refund per order at PayPal, however often this is retried.
    let refund = paypal
        .refund_capture(
            &capture_id,
            Some(amount),
            Some(&reason),
            &format!("refund-{order_id}"),
        )
        .await
        .map_err(|error| match error {
            // PayPal refunded, in an amount the ledger cannot hold.
            PayPalError::Amount(refused) => PaymentError::Unusable(refused.to_string()),
            error => {
                tracing::warn!(%error, %order_id, "PayPal refused the refund");
                PaymentError::RefundFailed
            }
        })?;
    let fee_returned = refund.paypal_fee.unwrap_or(Money::zero(currency));
    let command = RefundPayment {
        refund_id: ProviderRefundId::parse(&refund.id).map_err(|_| {
            PaymentError::Unusable(format!("an unusable refund id {:?}", refund.id))
        })?,
        amount,
        fee_returned,
        // One refund, one entry: a retried request records it once.
        entry_id: EntryId::from_uuid(Uuid::new_v5(&order_id.as_uuid(), refund.id.as_bytes())),
        refunded_at: Utc::now(),
    };
    let recorded = decide_with_capital(
        store,
        &Order::stream_id(order_id),
        metadata,
        |order: &Order, capital| {
            if order.status() == Some(OrderStatus::Refunded) {
                // Recorded by an earlier attempt.
                return Ok(OrderDecision::default());
            }
            refund_payment(order, capital, command.clone())
        },
    )
    .await;
    let (_, appends) = recorded.map_err(|error| {
        // PayPal refunded but the books refused: the same request again
        // finds PayPal's refund (same request id) and records it.
        tracing::error!(%order_id, refund_id = %refund.id, "refunded at PayPal but not recorded");
        PaymentError::from(error)
    })?;
    Ok(Refunded {
        provider_refund_id: refund.id,
        appends,
    })
}
