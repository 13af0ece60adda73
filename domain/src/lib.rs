//! The business rules of dropledger as pure Rust: money, ids, aggregates with
//! `decide`/`evolve`, and double-entry ledger postings. No I/O lives here:
//! time, ids and provider results come in as command data.

mod aggregate;
mod capital;
mod email;
mod ids;
mod ledger;
mod money;
mod payout;
#[cfg(test)]
mod testkit;

pub use aggregate::{Aggregate, DomainEvent, ErrorCode};
pub use capital::{
    CapitalCommand, CapitalError, CapitalEvent, CaptureStatus, HoldPurpose, WorkingCapital,
};
pub use email::{EmailAddress, InvalidEmail};
pub use ids::{
    CaptureId, EntryId, HoldId, OrderId, PayoutId, ProductId, ProviderOrderId, ProviderPayoutId,
    Reference, ReferenceError, SaleId, SupplierOrderId, SupplierProductId, UserId,
    REFERENCE_CHARS_MAX,
};
pub use ledger::{
    Account, AccountBalance, AccountKind, Balances, Hold, JournalEntry, LedgerEffect, LedgerError,
    PostedHold, Posting, Side, TrialBalance, TrialBalanceLine, UnknownAccount,
};
pub use money::{Currency, Money, MoneyError, Percentage, PercentageError, UnknownCurrency};
pub use payout::Payee;
