//! Why a payout command was refused.

use super::types::PayoutStatus;
use crate::aggregate::ErrorCode;
use crate::capital::CapitalError;
use crate::money::Money;

/// A refusal of the payout aggregate (or of working capital on its behalf).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoutError {
    /// The payout does not exist.
    #[error("no such payout")]
    NotFound,
    /// The payout already exists.
    #[error("the payout already exists")]
    AlreadyExists,
    /// A payout must be of an amount above zero.
    #[error("a payout must be above zero, got {0}")]
    NonPositiveAmount(Money),
    /// The command does not apply in the payout's status.
    #[error("cannot {action} a payout that is {} ({in_flight})", status.as_str(), in_flight = if *.in_flight { "in flight" } else { "not in flight" })]
    InvalidTransition {
        /// What was asked.
        action: &'static str,
        /// The payout's status.
        status: PayoutStatus,
        /// Whether a hold is open (the provider has it).
        in_flight: bool,
    },
    /// A fee allowance that is not above zero or in another currency.
    #[error("invalid fee allowance {0}")]
    InvalidFeeAllowance(Money),
    /// The provider's fee is negative or above the allowance reserved for it.
    #[error("payout fee {fee} exceeds the {allowance} reserved")]
    FeeExceedsAllowance {
        /// The fee reported.
        fee: Money,
        /// The allowance reserved (zero if none).
        allowance: Money,
    },
    /// In the sandbox, a payee without a destination cannot be paid; nothing
    /// is recorded and the payout stays as it was.
    #[error("the payee has no payout destination")]
    MissingDestination,
    /// A reduction that is not above zero, in another currency, or above
    /// what the payout pays.
    #[error("cannot reduce a payout of {amount} by {by}")]
    InvalidReduction {
        /// The reduction asked for.
        by: Money,
        /// What the payout pays.
        amount: Money,
    },
    /// An open dispute of its sale holds the payout back.
    #[error("the payout waits for dispute {0} to be resolved")]
    PausedByDispute(crate::ids::ProviderDisputeId),
    /// Working capital refused its part.
    #[error(transparent)]
    Capital(#[from] CapitalError),
}

impl ErrorCode for PayoutError {
    fn code(&self) -> &'static str {
        match self {
            PayoutError::NotFound => "NOT_FOUND",
            PayoutError::AlreadyExists => "ALREADY_EXISTS",
            PayoutError::NonPositiveAmount(_)
            | PayoutError::MissingDestination
            | PayoutError::InvalidFeeAllowance(_)
            | PayoutError::FeeExceedsAllowance { .. }
            | PayoutError::InvalidReduction { .. } => "INVALID_INPUT",
            PayoutError::InvalidTransition { .. } | PayoutError::PausedByDispute(_) => {
                "INVALID_STATE"
            }
            PayoutError::Capital(error) => error.code(),
        }
    }
}
