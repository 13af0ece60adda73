//! Cash reconciliation: the ledger's cash at a payment provider compared
//! with the balance the provider reports, one stream per provider account
//! and currency (`reconciliation-paypal-USD`).
//!
//! A reconciliation moves no money: its events carry no postings. A
//! difference is recorded for a person to review (a correcting entry, if
//! one is due, is a separate decision). The provider's reporting balance
//! lags, so the caller reads the ledger as of the provider's `as_of_time`
//! and passes both figures in; this module only compares and remembers
//! which provider snapshots it has already recorded.

mod state;
mod stream;
#[cfg(test)]
mod tests;
mod types;

pub use state::{
    CashReconciliation, ReconciliationCommand, ReconciliationError, ReconciliationEvent,
};
pub use stream::{CashProvider, ReconciliationStream};
pub use types::{CashDifference, LedgerCash, ProviderCashBalance};
