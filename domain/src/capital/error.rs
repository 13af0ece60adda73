//! Why working capital refused a command.

use crate::aggregate::ErrorCode;
use crate::ids::{CaptureId, EntryId, HoldId, ProviderDisputeId};
use crate::ledger::LedgerError;
use crate::money::{Currency, Money, MoneyError};

/// A refusal of the working-capital aggregate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapitalError {
    /// Free capital (available cash − open holds) does not cover the amount.
    #[error("insufficient funds: {free} free, {requested} requested")]
    InsufficientFunds {
        /// Free capital at the time.
        free: Money,
        /// What was asked for.
        requested: Money,
    },
    /// Money in another currency than this stream's.
    #[error("this is the {expected} working capital, got {got}")]
    WrongCurrency {
        /// The stream's currency.
        expected: Currency,
        /// The currency given.
        got: Currency,
    },
    /// An amount that must be above zero is not.
    #[error("amount must be above zero, got {0}")]
    NonPositiveAmount(Money),
    /// The PayPal fee is negative or not below the gross amount.
    #[error("fee {fee} must be at least zero and below the gross {gross}")]
    InvalidFee {
        /// The fee.
        fee: Money,
        /// The gross amount.
        gross: Money,
    },
    /// No open hold has this id.
    #[error("no open hold {0}")]
    UnknownHold(HoldId),
    /// A hold with this id is already open.
    #[error("hold {0} is already open")]
    DuplicateHold(HoldId),
    /// No pending capture has this id.
    #[error("no pending capture {0}")]
    UnknownCapture(CaptureId),
    /// This capture is already pending.
    #[error("capture {0} is already recorded as pending")]
    DuplicateCapture(CaptureId),
    /// The capture is still PENDING at PayPal; it cannot be refunded from
    /// available cash yet.
    #[error("capture {0} is not completed")]
    CaptureNotCompleted(CaptureId),
    /// The fee returned on a refund is negative or above the fee withheld.
    #[error("fee returned {returned} must be between zero and the fee {fee}")]
    InvalidFeeReturned {
        /// The fee returned.
        returned: Money,
        /// The fee withheld at capture.
        fee: Money,
    },
    /// A contribution with this entry id was recorded with another amount
    /// or reference: the idempotency key was reused for a different one.
    #[error("contribution {0} was already recorded with other details")]
    ContributionReused(EntryId),
    /// Funds of this dispute are already held.
    #[error("the funds of dispute {0} are already held")]
    DuplicateDispute(ProviderDisputeId),
    /// No funds are held for this dispute (never opened, or resolved).
    #[error("no funds are held for dispute {0}")]
    UnknownDispute(ProviderDisputeId),
    /// A chargeback fee that is negative or in another currency.
    #[error("chargeback fee {0} must be at least zero, in the stream's currency")]
    InvalidChargebackFee(Money),
    /// A ledger rule refused the postings (e.g. posting more than a hold).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<MoneyError> for CapitalError {
    fn from(error: MoneyError) -> Self {
        CapitalError::Ledger(LedgerError::Money(error))
    }
}

impl ErrorCode for CapitalError {
    fn code(&self) -> &'static str {
        match self {
            CapitalError::InsufficientFunds { .. } => "INSUFFICIENT_FUNDS",
            CapitalError::UnknownHold(_)
            | CapitalError::UnknownCapture(_)
            | CapitalError::UnknownDispute(_) => "NOT_FOUND",
            CapitalError::CaptureNotCompleted(_) => "INVALID_STATE",
            CapitalError::DuplicateHold(_)
            | CapitalError::DuplicateCapture(_)
            | CapitalError::DuplicateDispute(_) => "ALREADY_EXISTS",
            CapitalError::ContributionReused(_) => "IDEMPOTENCY_KEY_REUSED",
            CapitalError::WrongCurrency { .. }
            | CapitalError::NonPositiveAmount(_)
            | CapitalError::InvalidFee { .. }
            | CapitalError::InvalidFeeReturned { .. }
            | CapitalError::InvalidChargebackFee(_)
            | CapitalError::Ledger(_) => "INVALID_INPUT",
        }
    }
}
