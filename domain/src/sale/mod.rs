//! Sales: the split of a purchased order's price into supplier cost, fees,
//! commission and net profit, recorded as one balanced entry.

mod breakdown;
mod dispute;
mod record;
mod refund;
#[cfg(test)]
mod refund_tests;
mod reversal;
mod state;
#[cfg(test)]
mod tests;

pub use breakdown::{SaleBreakdown, SaleTerms};
pub use dispute::{open_dispute, resolve_dispute, DisputeDecision};
pub use record::{record_sale, record_sale_netting, RecordOrderSale, SaleDecision};
pub use refund::{refund_sold_order, SoldRefundDecision};
pub use reversal::{ReverseSale, ShareReversal};
pub use state::{RecordSale, Sale, SaleCommand, SaleEvent};

use crate::aggregate::ErrorCode;
use crate::ids::SaleId;
use crate::ledger::LedgerError;
use crate::money::{Money, MoneyError};
use crate::order::OrderError;
use crate::payout::PayoutError;

/// Why a sale was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaleError {
    /// Profit guard: the net profit would be zero or negative.
    #[error("profit guard: net profit {} is not above zero", .0.net_profit())]
    NonPositiveProfit(Box<SaleBreakdown>),
    /// This sale is already recorded.
    #[error("sale {0} is already recorded")]
    AlreadyRecorded(SaleId),
    /// No sale is recorded (to reverse or net against).
    #[error("the sale is not recorded")]
    NotRecorded,
    /// A refund above what is left of the sale, or a fee returned above
    /// what is left of the fee or above the refund.
    #[error("a refund of {refunded} with {fee_returned} fee returned does not fit what is left of the sale")]
    RefundDoesNotFit {
        /// The refund.
        refunded: Money,
        /// The fee returned with it.
        fee_returned: Money,
    },
    /// Sale price or supplier cost not above zero, or fees negative.
    #[error("sale price and supplier cost must be above zero and fees not negative")]
    InvalidAmounts,
    /// A stored breakdown whose parts do not add up.
    #[error("the sale breakdown does not add up")]
    InconsistentBreakdown,
    /// The order is not in a state to be sold.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// A payout could not be requested or reduced.
    #[error(transparent)]
    Payout(#[from] PayoutError),
    /// A payee's debt could not be recorded or netted.
    #[error(transparent)]
    Receivable(#[from] crate::receivable::ReceivableError),
    /// A money calculation failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The sale entry was refused by the ledger.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl ErrorCode for SaleError {
    fn code(&self) -> &'static str {
        match self {
            SaleError::NonPositiveProfit(_) => "NON_POSITIVE_PROFIT",
            SaleError::AlreadyRecorded(_) => "ALREADY_EXISTS",
            SaleError::NotRecorded => "INVALID_STATE",
            SaleError::RefundDoesNotFit { .. } => "REFUND_EXCEEDS_REFUNDABLE",
            SaleError::InvalidAmounts
            | SaleError::InconsistentBreakdown
            | SaleError::Money(_)
            | SaleError::Ledger(_) => "INVALID_INPUT",
            SaleError::Order(error) => error.code(),
            SaleError::Payout(error) => error.code(),
            SaleError::Receivable(error) => error.code(),
        }
    }
}
