//! The customer's money at PayPal: a checkout started
//! ([`create_checkout`]), its payment captured into working capital
//! ([`capture_checkout`]), and refunded ([`refund_order`], or in PayPal's
//! dashboard: [`record_outside_refund`]), or disputed by the customer
//! ([`record_dispute`], answered with [`respond_to_dispute`]). Each calls
//! PayPal with a request id derived from our order, so a retried call does
//! the work once, and records the outcome as one command.

mod capture;
mod checkout;
mod dispute;
mod dispute_lookup;
mod outside_refund;
mod refund;
mod sale_parties;
mod sold_refund;

pub use capture::{capture_checkout, Captured};
pub use checkout::{create_checkout, CheckoutUrls, NewCheckout, StartedCheckout};
pub use dispute::{record_dispute, respond_to_dispute, DisputeResponse, ReportedDispute};
pub use dispute_lookup::{list_disputes, order_of_dispute, DisputeRecord};
pub use dropledger_integrations::DISPUTES_PAGE_SIZE_MAX;
pub use outside_refund::{record_outside_refund, OutsideRefund};
pub use refund::{paypal_request_id, refund_order, RefundRequest, Refunded, Refunder};

use dropledger_domain::{ErrorCode, Money};
use dropledger_eventstore::CommandError;

use crate::error::{split_refusal, StoreFault};

/// Why a payment workflow did nothing.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The domain refused (product not for sale, order in the wrong state,
    /// too little cash for a refund): its code and message.
    #[error("{message}")]
    Refused {
        /// The domain error's API code.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
    /// The order's total does not fit in money.
    #[error("{0}")]
    QuantityTooLarge(String),
    /// PayPal could not start the checkout; nothing was recorded.
    #[error("PayPal could not start the checkout; try again")]
    CheckoutUnavailable,
    /// PayPal did not capture the payment (not approved, or failed).
    #[error("PayPal did not capture the payment: has the buyer approved it?")]
    NotCaptured,
    /// PayPal declined the payment.
    #[error("PayPal declined the payment")]
    Declined,
    /// PayPal did not refund; nothing was recorded.
    #[error("PayPal did not refund the payment; nothing was recorded. Try again later.")]
    RefundFailed,
    /// PayPal did not take the answer to a dispute; nothing was recorded.
    #[error(
        "PayPal did not take the answer to the dispute; nothing was recorded. Try again later."
    )]
    DisputeAnswerFailed,
    /// PayPal's Disputes API could not be read.
    #[error("PayPal's disputes could not be read; try again later")]
    DisputesUnavailable,
    /// Only the order's seller or an ADMIN may refund it.
    #[error("only the order's seller or an ADMIN may refund it or answer its disputes")]
    NotTheSeller,
    /// An order never sold is refunded in full only.
    #[error("an order never sold is refunded in full: refund {0}")]
    PartialRefund(Money),
    /// A refund of another amount was asked for and not finished.
    #[error("a refund of {0} is in progress for this order: ask again for {0} to finish it")]
    RefundInProgress(Money),
    /// Our fault: the store failed. Logged; callers see an internal error.
    #[error(transparent)]
    Store(#[from] StoreFault),
    /// PayPal answered something we cannot record (an unusable id or
    /// amount). Logged; callers see an internal error.
    #[error("PayPal answered {0}")]
    Unusable(String),
}

impl PaymentError {
    /// A domain refusal.
    pub(crate) fn refused<E: ErrorCode + std::fmt::Display>(error: &E) -> Self {
        PaymentError::Refused {
            code: error.code(),
            message: error.to_string(),
        }
    }

    /// Whether this is a fault of ours (or an unusable provider answer),
    /// not something the caller can act on.
    pub fn is_internal(&self) -> bool {
        match self {
            PaymentError::Store(StoreFault::Contended { .. }) => false,
            PaymentError::Store(_) | PaymentError::Unusable(_) => true,
            _ => false,
        }
    }
}

impl ErrorCode for PaymentError {
    fn code(&self) -> &'static str {
        match self {
            PaymentError::Refused { code, .. } => code,
            PaymentError::QuantityTooLarge(_) => "INVALID_INPUT",
            PaymentError::CheckoutUnavailable => "PROVIDER_UNAVAILABLE",
            PaymentError::NotCaptured | PaymentError::Declined => "PAYMENT_NOT_CAPTURED",
            PaymentError::RefundFailed => "REFUND_FAILED",
            PaymentError::DisputeAnswerFailed | PaymentError::DisputesUnavailable => {
                "PROVIDER_UNAVAILABLE"
            }
            PaymentError::NotTheSeller => "FORBIDDEN",
            PaymentError::PartialRefund(_) => "INVALID_INPUT",
            PaymentError::RefundInProgress(_) => "REFUND_IN_PROGRESS",
            PaymentError::Store(StoreFault::Contended { .. }) => "VERSION_CONFLICT",
            PaymentError::Store(_) | PaymentError::Unusable(_) => "INTERNAL",
        }
    }
}

impl<E: ErrorCode + std::fmt::Display> From<CommandError<E>> for PaymentError {
    fn from(error: CommandError<E>) -> Self {
        match split_refusal(error) {
            Ok(refusal) => PaymentError::refused(&refusal),
            Err(fault) => PaymentError::Store(fault),
        }
    }
}
