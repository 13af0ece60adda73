//! An order's status and why it failed.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Where an order is: CREATED → (AWAITING_PAYMENT_CLEARANCE →) PAID →
/// PURCHASING → PURCHASED, or FAILED; a PAID or FAILED order may be
/// REFUND_REQUESTED, then REFUNDED (or back where it was if PayPal refuses);
/// a PURCHASED order whose supplier cancels is SUPPLIER_CANCELLED until the
/// customer is refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// A checkout was started at PayPal; nothing paid yet.
    Created,
    /// The payment was captured but PayPal still holds it (capture status
    /// PENDING): nothing is bought until it clears (COMPLETED).
    AwaitingPaymentClearance,
    /// The payment was captured and is COMPLETED: fulfilment may spend.
    Paid,
    /// Capital is reserved and the supplier is being asked.
    Purchasing,
    /// The supplier confirmed the purchase.
    Purchased,
    /// Fulfilment failed; see the reason. A failed order may be retried.
    Failed,
    /// A refund of the unfulfilled order was asked for and PayPal is being
    /// asked: nothing may be bought meanwhile.
    RefundRequested,
    /// The payment of an unfulfilled order was refunded; nothing more happens.
    Refunded,
    /// The supplier cancelled (or closed) the purchase after accepting it:
    /// nothing ships, the supplier owes its cost back, and the customer is
    /// to be refunded (`refundOrder`, in one step).
    SupplierCancelled,
}

impl OrderStatus {
    /// The API name, e.g. `"PURCHASING"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "CREATED",
            OrderStatus::AwaitingPaymentClearance => "AWAITING_PAYMENT_CLEARANCE",
            OrderStatus::Paid => "PAID",
            OrderStatus::Purchasing => "PURCHASING",
            OrderStatus::Purchased => "PURCHASED",
            OrderStatus::Failed => "FAILED",
            OrderStatus::RefundRequested => "REFUND_REQUESTED",
            OrderStatus::Refunded => "REFUNDED",
            OrderStatus::SupplierCancelled => "SUPPLIER_CANCELLED",
        }
    }
}

/// Why fulfilment failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailureReason {
    /// Free working capital did not cover the supplier cost.
    InsufficientFunds,
    /// The supplier's price is now above what was reserved.
    SupplierPriceRose,
    /// The supplier has no stock.
    OutOfStock,
    /// The supplier refused the order.
    SupplierRejected,
    /// The supplier could not be reached within the retry limit.
    SupplierUnavailable,
    /// The seller has not connected their supplier account.
    SupplierNotConnected,
    /// PayPal holds no complete shipping address (with a phone number, which
    /// the supplier requires) for the buyer: there is nowhere to ship to.
    NoShippingAddress,
    /// PayPal denied (or failed) the pending capture: the customer's money
    /// never arrived, so nothing is bought and the order cannot be retried
    /// or refunded.
    PaymentDenied,
}

impl FailureReason {
    /// The failure as one code, e.g. `"FAILED_INSUFFICIENT_FUNDS"`.
    pub fn status_code(self) -> &'static str {
        match self {
            FailureReason::InsufficientFunds => "FAILED_INSUFFICIENT_FUNDS",
            FailureReason::SupplierPriceRose => "FAILED_SUPPLIER_PRICE_ROSE",
            FailureReason::OutOfStock => "FAILED_OUT_OF_STOCK",
            FailureReason::SupplierRejected => "FAILED_SUPPLIER_REJECTED",
            FailureReason::SupplierUnavailable => "FAILED_SUPPLIER_UNAVAILABLE",
            FailureReason::SupplierNotConnected => "FAILED_SUPPLIER_NOT_CONNECTED",
            FailureReason::NoShippingAddress => "FAILED_NO_SHIPPING_ADDRESS",
            FailureReason::PaymentDenied => "FAILED_PAYMENT_DENIED",
        }
    }
}

/// Why an order needs a person to look at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewReason {
    /// The profit guard refused the sale: net profit was zero or negative.
    NonPositiveProfit {
        /// The net profit that was computed.
        net_profit: Money,
    },
}
