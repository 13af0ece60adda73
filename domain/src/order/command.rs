//! Commands to the order aggregate.

use chrono::{DateTime, Utc};

use super::status::{FailureReason, ReviewReason};
use crate::capital::CaptureStatus;
use crate::ids::{
    CaptureId, EntryId, HoldId, OrderId, ProviderOrderId, ProviderRefundId, RefundRequestId,
    SaleId, SupplierOrderId, UserId,
};
use crate::money::Money;
use crate::product::CheckoutTerms;

/// What may be asked of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderCommand {
    /// Start a checkout of a published product (anyone may).
    CreateOrder {
        /// The new order's id.
        order_id: OrderId,
        /// The product's terms, from `Product::checkout_terms`.
        terms: CheckoutTerms,
        /// How many units.
        quantity: u32,
        /// PayPal's checkout order id.
        provider_order_id: ProviderOrderId,
        /// When.
        created_at: DateTime<Utc>,
    },
    /// The buyer's payment was captured at PayPal.
    CapturePayment(CapturePayment),
    /// Reserve capital and start buying from the supplier.
    StartPurchase(StartPurchase),
    /// The supplier confirmed the purchase.
    ConfirmPurchase(ConfirmPurchase),
    /// Buying failed.
    FailPurchase(FailPurchase),
    /// Ask for a full refund of an order that was not fulfilled (PAID or
    /// FAILED), before PayPal is asked.
    RequestRefund {
        /// The intent's id.
        request_id: RefundRequestId,
        /// The amount; must be the order total.
        amount: Money,
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// PayPal definitely refused the refund asked for.
    FailRefundRequest {
        /// When.
        failed_at: DateTime<Utc>,
    },
    /// The refund asked for was made at PayPal.
    RefundPayment(RefundPayment),
    /// A person must look at the order.
    FlagForReview {
        /// Why.
        reason: ReviewReason,
        /// When.
        flagged_at: DateTime<Utc>,
    },
    /// PayPal completed the order's pending capture: the order is PAID.
    ClearPayment {
        /// When PayPal completed it.
        cleared_at: DateTime<Utc>,
    },
    /// PayPal denied (or failed) the order's pending capture: the order
    /// FAILS with `PAYMENT_DENIED`, for good.
    DenyPayment {
        /// When PayPal denied it.
        denied_at: DateTime<Utc>,
    },
    /// Someone asks for a FAILED purchase to be tried again
    /// (`retryFulfilment`); the order goes back to PAID for fulfilment.
    RequestRetry {
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// The supplier shipped the goods (from its tracking); once per order.
    RecordShipment {
        /// The carrier's tracking number, sealed for the buyer.
        tracking_number: crate::PersonalText,
        /// The carrier's name as the supplier gives it.
        carrier: String,
        /// When we learnt it.
        recorded_at: DateTime<Utc>,
    },
    /// A customer opened a dispute at PayPal (once per dispute id).
    OpenDispute(super::dispute::OpenDispute),
    /// The platform answered a dispute at PayPal (once).
    AnswerDispute {
        /// PayPal's dispute id.
        dispute_id: crate::ids::ProviderDisputeId,
        /// Accept the claim or provide evidence.
        answer: super::dispute::DisputeAnswer,
        /// When.
        answered_at: DateTime<Utc>,
    },
    /// PayPal resolved a dispute (once per dispute id).
    ResolveDispute(super::dispute::ResolveDispute),
    /// The supplier cancelled or closed the purchase after accepting it
    /// (once per order).
    CancelBySupplier {
        /// The supplier's status as it reported it.
        supplier_status: String,
        /// When we learnt it.
        cancelled_at: DateTime<Utc>,
    },
    /// The supplier refunded its cancelled purchase, in full (once).
    ReceiveSupplierRefund {
        /// What came back; must be what the supplier charged.
        amount: Money,
        /// When we learnt it.
        refunded_at: DateTime<Utc>,
    },
    /// The sale of this order was recorded (only once per order).
    RecordSale {
        /// The sale.
        sale_id: SaleId,
        /// When.
        recorded_at: DateTime<Utc>,
    },
}

/// The buyer's payment was captured (PayPal's capture response or webhook).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturePayment {
    /// The signed-in user who captured.
    pub buyer: UserId,
    /// PayPal's capture id.
    pub capture_id: CaptureId,
    /// The amount captured; must equal the order total.
    pub amount: Money,
    /// PayPal's fee (`seller_receivable_breakdown.paypal_fee`).
    pub fee: Money,
    /// PENDING or COMPLETED.
    pub status: CaptureStatus,
    /// Id of the cash journal entry.
    pub entry_id: EntryId,
    /// PayPal's capture time.
    pub captured_at: DateTime<Utc>,
}

/// Reserve capital for the purchase and start buying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartPurchase {
    /// Id of the hold on working capital.
    pub hold_id: HoldId,
    /// When.
    pub started_at: DateTime<Utc>,
}

/// The supplier confirmed the purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPurchase {
    /// The supplier's order id.
    pub supplier_order_id: SupplierOrderId,
    /// What the supplier really charged, at most what was reserved.
    pub supplier_cost: Money,
    /// Id of the journal entry that posts the hold.
    pub entry_id: EntryId,
    /// The supplier's confirmation time.
    pub confirmed_at: DateTime<Utc>,
}

/// Buying failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailPurchase {
    /// Why.
    pub reason: FailureReason,
    /// When.
    pub failed_at: DateTime<Utc>,
}

/// The payment of a PAID or FAILED order was refunded in full at PayPal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPayment {
    /// PayPal's refund id.
    pub refund_id: ProviderRefundId,
    /// The amount refunded; only full refunds of unfulfilled orders exist.
    pub amount: Money,
    /// The part of the capture fee PayPal gave back (`seller_payable_breakdown`).
    pub fee_returned: Money,
    /// Id of the correcting journal entry.
    pub entry_id: EntryId,
    /// PayPal's refund time.
    pub refunded_at: DateTime<Utc>,
}
