//! A refund: of an order never fulfilled (PAID or FAILED) in full, or of a
//! sold order in full or in part. The intent on the order first, then the
//! buyer's money back at PayPal, then the entries in the ledger (for a sold
//! order also the sale's reversal and what its payees give back:
//! `sold_refund.rs`).

use chrono::Utc;
use dropledger_domain::{
    fail_refund_request, refund_payment, request_refund, EntryId, Money, Order, OrderDecision,
    OrderId, OrderStatus, ProviderRefundId, RefundPayment, RefundRequestId, RequestRefund, UserId,
};
use dropledger_eventstore::{AppendResult, EventStore, Metadata};
use dropledger_integrations::{PayPalClient, PayPalError};
use uuid::Uuid;

use super::PaymentError;
use crate::command::decide_with_capital;
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
    /// How much: the full price of an order never sold; up to what is
    /// left to refund of a sold one.
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

/// Refunds an unfulfilled order's payment in full: first the intent
/// (`RefundRequested`, appended with the order's expected version, so that
/// fulfilment cannot start afterwards and a purchase already started
/// refuses it), then PayPal under a request id derived from the intent,
/// then the correcting entry. Running it again for the same order finishes
/// what an earlier run left: PayPal answers the same request id with the
/// same refund, which is then recorded once. A refunded order is refused
/// and nothing changes.
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
    if order.sale_id().is_none() && amount != total {
        return Err(PaymentError::PartialRefund(total));
    }
    if let Some(asked) = order.refund_requested() {
        // An earlier attempt asked PayPal for this amount under its
        // intent's id: only the same amount finishes it.
        if asked != amount {
            return Err(PaymentError::RefundInProgress(asked));
        }
    }
    let request_id = ask_for_refund(store, order_id, amount, metadata).await?;
    let capture_id = order
        .capture_id()
        .ok_or_else(|| PaymentError::Unusable("a refundable order without a capture".to_owned()))?
        .to_string();
    // One refund per intent at PayPal, however often this is retried.
    let refund = paypal
        .refund_capture(
            &capture_id,
            Some(amount),
            Some(&reason),
            &paypal_request_id(request_id),
        )
        .await;
    let refund = match refund {
        Ok(refund) => refund,
        // PayPal refunded, in an amount the ledger cannot hold.
        Err(PayPalError::Amount(refused)) => {
            return Err(PaymentError::Unusable(refused.to_string()))
        }
        Err(error) => {
            tracing::warn!(%error, %order_id, "PayPal refused the refund");
            if refused_for_good(&error) {
                withdraw_refund_request(store, order_id, metadata).await?;
            }
            // Otherwise the intent stays: the same command again asks PayPal
            // again under the same request id.
            return Err(PaymentError::RefundFailed);
        }
    };
    let currency = amount.currency();
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
    if order.sale_id().is_some() {
        let appends =
            super::sold_refund::record_sold_refund(store, order_id, None, command, metadata)
                .await
                .inspect_err(|_| {
                    tracing::error!(%order_id, refund_id = %refund.id, "refunded at PayPal but not recorded");
                })?;
        return Ok(Refunded {
            provider_refund_id: refund.id,
            appends,
        });
    }
    // Callers finishing one refund at once carry their own times: each is a
    // command of its own, and the order's expected version lets one record.
    let metadata = Metadata {
        command_id: Some(Uuid::new_v4()),
        ..metadata.clone()
    };
    let recorded = decide_with_capital(
        store,
        &Order::stream_id(order_id),
        &metadata,
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

/// PayPal's request id for the refund of intent `request_id`.
pub fn paypal_request_id(request_id: RefundRequestId) -> String {
    format!("refund-{request_id}")
}

/// Appends the intent to refund, unless an earlier attempt did and PayPal
/// has not been recorded yet (then its id is reused); the intent's id.
async fn ask_for_refund(
    store: &EventStore,
    order_id: OrderId,
    amount: Money,
    metadata: &Metadata,
) -> Result<RefundRequestId, PaymentError> {
    let command = RequestRefund {
        request_id: RefundRequestId::from_uuid(Uuid::new_v4()),
        amount,
        requested_at: Utc::now(),
    };
    // Each intent is a command of its own (a sold order may be refunded
    // several times, and callers may ask at once): the order's expected
    // version lets one intent in, the others then meet it.
    let metadata = Metadata {
        command_id: Some(Uuid::new_v5(
            &metadata.command_id.unwrap_or(order_id.as_uuid()),
            command.request_id.as_uuid().as_bytes(),
        )),
        ..metadata.clone()
    };
    // The domain checks that free capital covers the refund when the
    // intent lands; the refund's own entry is checked again at its write.
    let (order, _) = decide_with_capital(
        store,
        &Order::stream_id(order_id),
        &metadata,
        |order: &Order, capital| match order.status() {
            // An earlier (or a concurrent) attempt asked; this one finishes it.
            Some(OrderStatus::RefundRequested) => Ok(OrderDecision::default()),
            _ => request_refund(order, capital, command.clone()),
        },
    )
    .await?;
    // Only the amount that intent asked PayPal for finishes it.
    match order.refund_requested() {
        Some(asked) if asked != amount => return Err(PaymentError::RefundInProgress(asked)),
        _ => {}
    }
    order.refund_request_id().ok_or_else(|| {
        PaymentError::Unusable("a refund asked for without its request id".to_owned())
    })
}

/// Whether PayPal's answer means it will never make this refund (rather
/// than "not now" or "no answer").
fn refused_for_good(error: &PayPalError) -> bool {
    matches!(
        error,
        PayPalError::Rejected(_) | PayPalError::NotFound(_) | PayPalError::InsufficientFunds(_)
    )
}

/// PayPal refused the refund for good: the order goes back where it was.
async fn withdraw_refund_request(
    store: &EventStore,
    order_id: OrderId,
    metadata: &Metadata,
) -> Result<(), PaymentError> {
    let failed_at = Utc::now();
    decide_with_capital(
        store,
        &Order::stream_id(order_id),
        metadata,
        |order: &Order, _| match order.status() {
            Some(OrderStatus::RefundRequested) => fail_refund_request(order, failed_at),
            _ => Ok(OrderDecision::default()),
        },
    )
    .await?;
    Ok(())
}
