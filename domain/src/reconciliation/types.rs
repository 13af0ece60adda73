//! The two sides of a reconciliation and their difference.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

/// The balance the provider reported (PayPal's `GET /v1/reporting/balances`,
/// one currency of it). Together, the amounts and `as_of_time` are a
/// *snapshot*: the same snapshot is reconciled once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderCashBalance {
    /// The moment the provider's figures are as of (PayPal's `as_of_time`);
    /// it lags the provider's real balance, by up to hours at PayPal.
    pub as_of_time: DateTime<Utc>,
    /// `total_balance`: available plus withheld.
    pub total: Money,
    /// `available_balance`: what can be spent or paid out.
    pub available: Money,
    /// `withheld_balance`: held by the provider (pending captures, reviews).
    pub withheld: Money,
}

/// The ledger's cash at the provider, read as of the provider's
/// `as_of_time` (postings effective by then), so that like is compared with like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerCash {
    /// Posted balance of `cash:<provider>:available` (holds are the
    /// platform's own reservations: the money is still at the provider).
    pub available: Money,
    /// Posted balance of `cash:<provider>:pending` (captures the provider
    /// has not completed) plus `cash:<provider>:disputed` (what it holds
    /// for open disputes): what it reports as withheld.
    pub pending: Money,
    /// The global log position the ledger read model had applied when the
    /// figures were read: every event up to it is counted.
    pub position: u64,
}

impl LedgerCash {
    /// Available plus pending: the provider's total, as the ledger sees it.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.available.checked_add(self.pending)
    }
}

/// Provider minus ledger, per figure: positive when the provider holds more
/// than the books say (e.g. a deposit nobody recorded), negative when less
/// (e.g. a fee the ledger does not know).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashDifference {
    /// Provider total − ledger available − ledger pending.
    pub total: Money,
    /// Provider available − ledger available.
    pub available: Money,
    /// Provider withheld − ledger pending.
    pub pending: Money,
}

impl CashDifference {
    /// The signed differences between `provider` and `ledger`; refuses mixed currencies.
    pub fn between(
        provider: &ProviderCashBalance,
        ledger: &LedgerCash,
    ) -> Result<CashDifference, MoneyError> {
        Ok(CashDifference {
            total: provider.total.checked_sub(ledger.total()?)?,
            available: provider.available.checked_sub(ledger.available)?,
            pending: provider.withheld.checked_sub(ledger.pending)?,
        })
    }

    /// True when every figure agrees.
    pub fn is_zero(&self) -> bool {
        self.total.is_zero() && self.available.is_zero() && self.pending.is_zero()
    }
}
