//! Events of the order streams (`order-<uuid>`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dispute::{DisputeAnswer, DisputeOutcome};
use super::status::{FailureReason, ReviewReason};
use crate::aggregate::DomainEvent;
use crate::capital::CaptureStatus;
use crate::ids::{
    CaptureId, EntryId, HoldId, OrderId, ProductId, ProviderDisputeId, ProviderOrderId,
    ProviderRefundId, RefundRequestId, SaleId, SupplierOrderId, UserId,
};
use crate::money::Money;

/// Something that happened to an order. Order events carry no postings: the
/// cash side of each fact is a working-capital event appended with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "type")]
#[strum_discriminants(
    name(OrderEventType),
    doc = "The type of an order event, without its data: what readers of the log route on (its text is the stored `event_type`).",
    derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)
)]
pub enum OrderEvent {
    /// A checkout was started for a published product.
    #[serde(rename = "OrderCreated")]
    OrderCreated {
        /// The order.
        order_id: OrderId,
        /// The product.
        product_id: ProductId,
        /// The product's owner, who earns the net profit.
        seller: UserId,
        /// Units ordered.
        quantity: u32,
        /// Price of one unit.
        unit_price: Money,
        /// Supplier cost of one unit at checkout.
        unit_supplier_cost: Money,
        /// PayPal's checkout order id.
        provider_order_id: ProviderOrderId,
        /// When.
        created_at: DateTime<Utc>,
    },
    /// The payment was captured by a signed-in buyer.
    #[serde(rename = "OrderPaid")]
    OrderPaid {
        /// The user who captured.
        buyer: UserId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// The amount captured.
        amount: Money,
        /// PayPal's fee.
        fee: Money,
        /// PENDING or COMPLETED at capture.
        capture_status: CaptureStatus,
        /// The cash entry of the capture (in the capital stream).
        entry_id: EntryId,
        /// PayPal's capture time.
        paid_at: DateTime<Utc>,
    },
    /// Capital was reserved and the supplier is being asked.
    #[serde(rename = "OrderPurchaseStarted")]
    OrderPurchaseStarted {
        /// The hold on working capital.
        hold_id: HoldId,
        /// The amount reserved: unit supplier cost × quantity.
        reserved: Money,
        /// When.
        started_at: DateTime<Utc>,
    },
    /// The supplier confirmed the purchase.
    #[serde(rename = "OrderPurchased")]
    OrderPurchased {
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// What the supplier charged.
        supplier_cost: Money,
        /// The supplier's confirmation time.
        purchased_at: DateTime<Utc>,
    },
    /// Fulfilment failed; any hold is voided in the same append.
    #[serde(rename = "OrderFailed")]
    OrderFailed {
        /// Why.
        reason: FailureReason,
        /// The hold released, if one was placed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        released_hold: Option<HoldId>,
        /// When.
        failed_at: DateTime<Utc>,
    },
    /// The payment of the unfulfilled order was refunded in full.
    #[serde(rename = "OrderRefunded")]
    OrderRefunded {
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// The amount refunded.
        amount: Money,
        /// PayPal's refund time.
        refunded_at: DateTime<Utc>,
    },
    /// The order needs a person to look at it.
    #[serde(rename = "OrderFlaggedForReview")]
    OrderFlaggedForReview {
        /// Why.
        reason: ReviewReason,
        /// When.
        flagged_at: DateTime<Utc>,
    },
    /// A retry of the failed purchase was asked for; the order is PAID
    /// again and fulfilment starts over.
    #[serde(rename = "OrderRetryRequested")]
    OrderRetryRequested {
        /// The failure being retried.
        previous_reason: FailureReason,
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// The supplier shipped the goods; the tracking was given to PayPal.
    #[serde(rename = "OrderShipped")]
    OrderShipped {
        /// The carrier's tracking number, sealed for the buyer (it
        /// identifies a delivery to a person).
        tracking_number: crate::PersonalText,
        /// The carrier's name as the supplier gives it.
        carrier: String,
        /// When we learnt it.
        recorded_at: DateTime<Utc>,
    },
    /// The order's sale was recorded.
    #[serde(rename = "OrderSaleRecorded")]
    OrderSaleRecorded {
        /// The sale.
        sale_id: SaleId,
        /// When.
        recorded_at: DateTime<Utc>,
    },
    /// PayPal completed the pending capture: the money is the platform's
    /// and fulfilment may start (the cash side is `CaptureCompleted`).
    #[serde(rename = "OrderPaymentCleared")]
    OrderPaymentCleared {
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// When PayPal completed it (its `update_time`, or when we learnt it).
        cleared_at: DateTime<Utc>,
    },
    /// A refund was asked for, before PayPal is asked: from here nothing is
    /// bought, and PayPal's refund request id derives from `request_id`.
    #[serde(rename = "RefundRequested")]
    RefundRequested {
        /// The intent's id.
        request_id: RefundRequestId,
        /// The amount to refund (the order total).
        amount: Money,
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// PayPal refused the refund asked for: the order is back where it was
    /// (PAID or FAILED) and may be refunded again or fulfilled.
    #[serde(rename = "RefundRequestFailed")]
    RefundRequestFailed {
        /// The intent PayPal refused.
        request_id: RefundRequestId,
        /// When.
        failed_at: DateTime<Utc>,
    },
    /// A customer opened a dispute (or chargeback) at PayPal; the cash side
    /// is `DisputedFundsHeld`, and the sale's unsent payouts wait.
    #[serde(rename = "OrderDisputeOpened")]
    OrderDisputeOpened {
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// The disputed amount.
        amount: Money,
        /// PayPal's reason.
        reason: String,
        /// PayPal's `create_time`.
        opened_at: DateTime<Utc>,
    },
    /// The platform answered the dispute at PayPal.
    #[serde(rename = "OrderDisputeAnswered")]
    OrderDisputeAnswered {
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// Accepted the claim or provided evidence.
        answer: DisputeAnswer,
        /// When.
        answered_at: DateTime<Utc>,
    },
    /// PayPal resolved the dispute; the cash side is
    /// `DisputedFundsReleased` (won) or `DisputeLost` (lost, with the
    /// sale's reversal).
    #[serde(rename = "OrderDisputeResolved")]
    OrderDisputeResolved {
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// Won or lost.
        outcome: DisputeOutcome,
        /// The disputed amount (refunded to the customer if lost).
        amount: Money,
        /// What PayPal charged (zero if won).
        chargeback_fee: Money,
        /// PayPal's `update_time`.
        resolved_at: DateTime<Utc>,
    },
    /// The supplier cancelled or closed the purchase after accepting it
    /// (AliExpress `order_status`); the cash side is
    /// `SupplierPurchaseCancelled`: what it charged is owed back.
    #[serde(rename = "OrderSupplierCancelled")]
    OrderSupplierCancelled {
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// The supplier's status as it reported it (`IN_CANCEL`, `FINISH`).
        supplier_status: String,
        /// What the supplier charged, now owed back.
        amount: Money,
        /// When we learnt it.
        cancelled_at: DateTime<Utc>,
    },
    /// The supplier refunded the cancelled purchase; the cash side is
    /// `SupplierRefundReceived`.
    #[serde(rename = "OrderSupplierRefunded")]
    OrderSupplierRefunded {
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// What came back.
        amount: Money,
        /// When we learnt it.
        refunded_at: DateTime<Utc>,
    },
}

impl DomainEvent for OrderEvent {
    /// 2: `OrderShipped.tracking_number` is sealed (version 1 held
    /// plaintext; see `crate::upcast`).
    const SCHEMA_VERSION: i32 = 2;

    fn event_type(&self) -> &'static str {
        OrderEventType::from(self).into()
    }
}
