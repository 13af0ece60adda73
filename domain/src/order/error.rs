//! Why an order command was refused.

use super::status::OrderStatus;
use crate::aggregate::ErrorCode;
use crate::capital::CapitalError;
use crate::ids::{ProviderDisputeId, SaleId};
use crate::money::{Money, MoneyError};

/// A refusal of the order aggregate (or of working capital on its behalf).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The order does not exist.
    #[error("no such order")]
    NotFound,
    /// The order already exists.
    #[error("the order already exists")]
    AlreadyExists,
    /// The command does not apply in the order's status.
    #[error("cannot {action} an order that is {}", status.as_str())]
    InvalidTransition {
        /// What was asked.
        action: &'static str,
        /// The order's status.
        status: OrderStatus,
    },
    /// Quantity outside 1..=[`super::QUANTITY_MAX`].
    #[error("quantity must be 1 to {max}, got {count}", max = super::QUANTITY_MAX, count = .0)]
    InvalidQuantity(u32),
    /// The captured amount differs from the order total.
    #[error("captured {got}, the order total is {expected}")]
    AmountMismatch {
        /// The order total.
        expected: Money,
        /// What was captured.
        got: Money,
    },
    /// PayPal's fee is negative, in another currency, or not below the amount.
    #[error("fee {fee} must be at least zero and below the amount {amount}")]
    InvalidFee {
        /// The fee.
        fee: Money,
        /// The amount captured.
        amount: Money,
    },
    /// The fee returned on a refund is negative or above the fee withheld.
    #[error("fee returned {returned} must be between zero and the fee {fee}")]
    InvalidFeeReturned {
        /// The fee returned.
        returned: Money,
        /// The fee withheld at capture.
        fee: Money,
    },
    /// The supplier charged more than was reserved; fail the purchase instead.
    #[error("supplier cost {cost} exceeds the {reserved} reserved")]
    CostExceedsReservation {
        /// What was reserved.
        reserved: Money,
        /// What the supplier charged.
        cost: Money,
    },
    /// A supplier cost that is zero, negative or in another currency.
    #[error("invalid supplier cost {0}")]
    InvalidCost(Money),
    /// A purchased order whose sale is not recorded (yet, or the profit
    /// guard flagged it): nothing to reverse, so no refund.
    #[error("the order's sale is not recorded (yet, or it awaits review): refund it once its sale is recorded")]
    SaleNotRecorded,
    /// A refund above what is left to refund (or not above zero).
    #[error("at most {refundable} is left to refund; {requested} was asked for")]
    RefundExceedsRefundable {
        /// The order total less what was refunded.
        refundable: Money,
        /// The amount asked for.
        requested: Money,
    },
    /// The order's sale was already recorded.
    #[error("the sale {0} of this order is already recorded")]
    AlreadySold(SaleId),
    /// A dispute above what is left of the order (refunds and open
    /// disputes deducted), or not above zero.
    #[error("at most {disputable} of the order may be disputed; {disputed} was")]
    DisputeExceedsDisputable {
        /// The order total less refunds and open disputes.
        disputable: Money,
        /// The disputed amount.
        disputed: Money,
    },
    /// The order has no dispute with this id.
    #[error("the order has no dispute {0}")]
    DisputeNotFound(ProviderDisputeId),
    /// The dispute is resolved: it can no longer be answered.
    #[error("dispute {0} is already resolved: it can no longer be answered")]
    DisputeResolved(ProviderDisputeId),
    /// The dispute was answered already; PayPal takes one answer.
    #[error("dispute {0} was already answered")]
    DisputeAnswered(ProviderDisputeId),
    /// Evidence is the tracking number uploaded to PayPal: the order has none.
    #[error("the order has no tracking number to give as evidence: accept the claim, or wait for the shipment")]
    NoEvidence,
    /// Working capital refused its part.
    #[error(transparent)]
    Capital(#[from] CapitalError),
    /// A money calculation failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl ErrorCode for OrderError {
    fn code(&self) -> &'static str {
        match self {
            OrderError::NotFound => "NOT_FOUND",
            OrderError::AlreadyExists => "ALREADY_EXISTS",
            OrderError::InvalidTransition { .. }
            | OrderError::AlreadySold(_)
            | OrderError::SaleNotRecorded => "INVALID_STATE",
            OrderError::RefundExceedsRefundable { .. } => "REFUND_EXCEEDS_REFUNDABLE",
            OrderError::DisputeNotFound(_) => "NOT_FOUND",
            OrderError::DisputeResolved(_) => "DISPUTE_RESOLVED",
            OrderError::DisputeAnswered(_) => "DISPUTE_ALREADY_ANSWERED",
            OrderError::NoEvidence => "NO_EVIDENCE",
            OrderError::DisputeExceedsDisputable { .. } => "INVALID_INPUT",
            OrderError::InvalidQuantity(_)
            | OrderError::AmountMismatch { .. }
            | OrderError::InvalidFee { .. }
            | OrderError::InvalidFeeReturned { .. }
            | OrderError::CostExceedsReservation { .. }
            | OrderError::InvalidCost(_)
            | OrderError::Money(_) => "INVALID_INPUT",
            OrderError::Capital(error) => error.code(),
        }
    }
}
