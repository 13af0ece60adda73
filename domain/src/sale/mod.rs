//! Sales: the split of a purchased order's price into supplier cost, fees,
//! commission and net profit, recorded as one balanced entry.

mod breakdown;
mod record;
mod state;
#[cfg(test)]
mod tests;

pub use breakdown::{SaleBreakdown, SaleTerms};
pub use record::{record_sale, RecordOrderSale, SaleDecision};
pub use state::{RecordSale, Sale, SaleCommand, SaleEvent};

use crate::aggregate::ErrorCode;
use crate::ids::SaleId;
use crate::ledger::LedgerError;
use crate::money::MoneyError;
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
    /// Sale price or supplier cost not above zero, or fees negative.
    #[error("sale price and supplier cost must be above zero and fees not negative")]
    InvalidAmounts,
    /// A stored breakdown whose parts do not add up.
    #[error("the sale breakdown does not add up")]
    InconsistentBreakdown,
    /// The order is not in a state to be sold.
    #[error(transparent)]
    Order(#[from] OrderError),
    /// A payout could not be requested.
    #[error(transparent)]
    Payout(#[from] PayoutError),
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
            SaleError::InvalidAmounts
            | SaleError::InconsistentBreakdown
            | SaleError::Money(_)
            | SaleError::Ledger(_) => "INVALID_INPUT",
            SaleError::Order(error) => error.code(),
            SaleError::Payout(error) => error.code(),
        }
    }
}
