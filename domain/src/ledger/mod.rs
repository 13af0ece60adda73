//! Double-entry bookkeeping: accounts, postings, balanced entries, holds.

mod account;
mod balances;
mod entry;
mod hold;

pub use account::{Account, AccountKind, UnknownAccount};
pub use balances::{AccountBalance, Balances, LedgerEffect, TrialBalance, TrialBalanceLine};
pub use entry::{JournalEntry, Posting, Side};
pub use hold::{Hold, PostedHold};

use rust_decimal::Decimal;

use crate::ids::HoldId;
use crate::money::{Currency, Money, MoneyError};

/// Why a ledger value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// Debits and credits differ in one currency.
    #[error("entry does not balance in {currency}: debits {debits}, credits {credits}")]
    Unbalanced {
        /// The currency that does not balance.
        currency: Currency,
        /// Sum of debits.
        debits: Decimal,
        /// Sum of credits.
        credits: Decimal,
    },
    /// A posting or hold amount is zero or negative.
    #[error("ledger amounts must be above zero, got {0}")]
    NonPositiveAmount(Money),
    /// An entry needs at least one debit and one credit.
    #[error("an entry needs at least two postings")]
    TooFewPostings,
    /// More postings than [`JournalEntry::POSTINGS_MAX`].
    #[error("an entry has at most {max} postings, got {count}", max = JournalEntry::POSTINGS_MAX, count = .0)]
    TooManyPostings(usize),
    /// A hold from and to the same account.
    #[error("a hold needs two different accounts, got {0} twice")]
    SameAccount(Account),
    /// Posting more than the hold reserved.
    #[error("hold {hold} reserved {held}, cannot post {requested}")]
    HoldExceeded {
        /// The hold.
        hold: HoldId,
        /// What it reserved.
        held: Money,
        /// What was asked to post.
        requested: Money,
    },
    /// Posting or voiding a hold that is not open.
    #[error("hold {0} is not open")]
    UnknownHold(HoldId),
    /// Placing a hold whose id is already open.
    #[error("hold {0} is already open")]
    DuplicateHold(HoldId),
    /// A money calculation failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}
