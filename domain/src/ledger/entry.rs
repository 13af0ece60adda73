//! Postings and balanced journal entries.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::Account;
use super::LedgerError;
use crate::ids::EntryId;
use crate::money::{Currency, Money};

/// Which side of an account a posting lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    /// Left side: increases assets and expenses.
    Debit,
    /// Right side: increases liabilities, equity and revenue.
    Credit,
}

impl Side {
    /// The other side, used by reversing entries.
    pub fn opposite(self) -> Side {
        match self {
            Side::Debit => Side::Credit,
            Side::Credit => Side::Debit,
        }
    }
}

/// One leg of a journal entry: a positive amount on one side of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PostingWire")]
pub struct Posting {
    account: Account,
    side: Side,
    amount: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostingWire {
    account: Account,
    side: Side,
    amount: Money,
}

impl TryFrom<PostingWire> for Posting {
    type Error = LedgerError;

    fn try_from(wire: PostingWire) -> Result<Self, Self::Error> {
        Posting::new(wire.account, wire.side, wire.amount)
    }
}

impl Posting {
    /// A posting; the amount must be above zero (the side carries the sign).
    pub fn new(account: Account, side: Side, amount: Money) -> Result<Posting, LedgerError> {
        if !amount.is_positive() {
            return Err(LedgerError::NonPositiveAmount(amount));
        }
        Ok(Posting {
            account,
            side,
            amount,
        })
    }

    /// A debit of `amount` to `account`.
    pub fn debit(account: Account, amount: Money) -> Result<Posting, LedgerError> {
        Posting::new(account, Side::Debit, amount)
    }

    /// A credit of `amount` to `account`.
    pub fn credit(account: Account, amount: Money) -> Result<Posting, LedgerError> {
        Posting::new(account, Side::Credit, amount)
    }

    /// The account posted to.
    pub fn account(&self) -> Account {
        self.account
    }

    /// Debit or credit.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The (positive) amount.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The amount signed as debit-positive, credit-negative.
    pub fn signed_amount(&self) -> Decimal {
        match self.side {
            Side::Debit => self.amount.amount(),
            Side::Credit => -self.amount.amount(),
        }
    }
}

/// A balanced set of postings with the time it took effect.
///
/// It cannot be built unbalanced: [`JournalEntry::new`] checks that debits
/// equal credits in every currency, and deserialisation checks it again, so
/// an entry read back from the store is as trustworthy as one just decided.
/// The time it was recorded is added by the event store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "JournalEntryWire")]
pub struct JournalEntry {
    id: EntryId,
    effective_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corrects: Option<EntryId>,
    postings: Vec<Posting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalEntryWire {
    id: EntryId,
    effective_at: DateTime<Utc>,
    #[serde(default)]
    corrects: Option<EntryId>,
    postings: Vec<Posting>,
}

impl TryFrom<JournalEntryWire> for JournalEntry {
    type Error = LedgerError;

    fn try_from(wire: JournalEntryWire) -> Result<Self, Self::Error> {
        let entry = JournalEntry::new(wire.id, wire.effective_at, wire.postings)?;
        Ok(JournalEntry {
            corrects: wire.corrects,
            ..entry
        })
    }
}

impl JournalEntry {
    /// Most legs one entry may have; a sale, the widest entry, has eight.
    pub const POSTINGS_MAX: usize = 16;

    /// Builds an entry, refusing it unless it balances in every currency.
    pub fn new(
        id: EntryId,
        effective_at: DateTime<Utc>,
        postings: Vec<Posting>,
    ) -> Result<JournalEntry, LedgerError> {
        if postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        if postings.len() > JournalEntry::POSTINGS_MAX {
            return Err(LedgerError::TooManyPostings(postings.len()));
        }
        for (currency, (debits, credits)) in totals_by_currency(&postings) {
            if debits != credits {
                return Err(LedgerError::Unbalanced {
                    currency,
                    debits,
                    credits,
                });
            }
        }
        Ok(JournalEntry {
            id,
            effective_at,
            corrects: None,
            postings,
        })
    }

    /// The reversing entry of this one: every leg on the opposite side,
    /// pointing back at this entry. Corrections are new entries, never edits.
    pub fn reversal(&self, id: EntryId, effective_at: DateTime<Utc>) -> JournalEntry {
        let postings = self
            .postings
            .iter()
            .map(|posting| Posting {
                side: posting.side.opposite(),
                ..*posting
            })
            .collect();
        JournalEntry {
            id,
            effective_at,
            corrects: Some(self.id),
            postings,
        }
    }

    /// The same entry, marked as a correction of `original` (a refund of a
    /// capture, say). Corrections are new entries, never edits.
    #[must_use]
    pub fn correcting(self, original: EntryId) -> JournalEntry {
        JournalEntry {
            corrects: Some(original),
            ..self
        }
    }

    /// The entry's id.
    pub fn id(&self) -> EntryId {
        self.id
    }

    /// When the money moved, in the provider's time.
    pub fn effective_at(&self) -> DateTime<Utc> {
        self.effective_at
    }

    /// The entry this one corrects, if it is a correction.
    pub fn corrects(&self) -> Option<EntryId> {
        self.corrects
    }

    /// The legs.
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }

    /// Net signed amount (debit positive) this entry moves on one account.
    pub fn net_for(&self, account: Account, currency: Currency) -> Decimal {
        self.postings
            .iter()
            .filter(|p| p.account == account && p.amount.currency() == currency)
            .map(Posting::signed_amount)
            .sum()
    }
}

/// Sums of debits and credits per currency.
fn totals_by_currency(postings: &[Posting]) -> BTreeMap<Currency, (Decimal, Decimal)> {
    let mut totals: BTreeMap<Currency, (Decimal, Decimal)> = BTreeMap::new();
    for posting in postings {
        let total = totals.entry(posting.amount.currency()).or_default();
        match posting.side {
            Side::Debit => total.0 += posting.amount.amount(),
            Side::Credit => total.1 += posting.amount.amount(),
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, "USD").unwrap()
    }

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
    }

    fn entry_id(n: u128) -> EntryId {
        EntryId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn a_balanced_entry_can_be_built() {
        let entry = JournalEntry::new(
            entry_id(1),
            at(),
            vec![
                Posting::debit(Account::CashAvailable, usd("10")).unwrap(),
                Posting::credit(Account::OwnerCapital, usd("10")).unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(
            entry.net_for(Account::CashAvailable, Currency::Usd),
            dec!(10)
        );
        assert_eq!(entry.corrects(), None);
    }

    #[test]
    fn an_unbalanced_entry_cannot_be_built() {
        let result = JournalEntry::new(
            entry_id(1),
            at(),
            vec![
                Posting::debit(Account::CashAvailable, usd("10")).unwrap(),
                Posting::credit(Account::OwnerCapital, usd("9.99")).unwrap(),
            ],
        );
        assert_eq!(
            result,
            Err(LedgerError::Unbalanced {
                currency: Currency::Usd,
                debits: dec!(10.00),
                credits: dec!(9.99)
            })
        );
    }

    #[test]
    fn an_entry_balanced_in_total_but_not_per_currency_is_refused() {
        let eur = Money::parse("10", "EUR").unwrap();
        let result = JournalEntry::new(
            entry_id(1),
            at(),
            vec![
                Posting::debit(Account::CashAvailable, usd("10")).unwrap(),
                Posting::credit(Account::OwnerCapital, eur).unwrap(),
            ],
        );
        assert!(matches!(result, Err(LedgerError::Unbalanced { .. })));
    }

    #[test]
    fn entries_with_fewer_than_two_legs_or_non_positive_legs_are_refused() {
        let single = vec![Posting::debit(Account::CashAvailable, usd("1")).unwrap()];
        assert_eq!(
            JournalEntry::new(entry_id(1), at(), single),
            Err(LedgerError::TooFewPostings)
        );
        assert_eq!(
            Posting::debit(Account::CashAvailable, usd("0")),
            Err(LedgerError::NonPositiveAmount(usd("0")))
        );
        assert!(Posting::credit(Account::CashAvailable, usd("-1")).is_err());
    }

    #[test]
    fn a_reversal_swaps_every_side_and_points_at_the_original() {
        let original = JournalEntry::new(
            entry_id(1),
            at(),
            vec![
                Posting::debit(Account::CashAvailable, usd("10")).unwrap(),
                Posting::credit(Account::OwnerCapital, usd("10")).unwrap(),
            ],
        )
        .unwrap();
        let reversal = original.reversal(entry_id(2), at());
        assert_eq!(reversal.corrects(), Some(entry_id(1)));
        assert_eq!(reversal.postings()[0].side(), Side::Credit);
        assert_eq!(
            reversal.net_for(Account::CashAvailable, Currency::Usd),
            dec!(-10)
        );
    }

    #[test]
    fn an_unbalanced_entry_is_refused_when_read_back() {
        let json = r#"{"id":"00000000-0000-0000-0000-000000000001","effective_at":"2026-01-02T03:04:05Z","postings":[
            {"account":"cash:paypal:available","side":"DEBIT","amount":{"amount":"10.00","currency":"USD"}},
            {"account":"equity:owner_capital","side":"CREDIT","amount":{"amount":"9.00","currency":"USD"}}]}"#;
        assert!(serde_json::from_str::<JournalEntry>(json).is_err());
        let balanced = json.replace("9.00", "10.00");
        let entry: JournalEntry = serde_json::from_str(&balanced).unwrap();
        assert_eq!(entry.postings().len(), 2);
    }

    #[test]
    fn an_entry_with_more_legs_than_the_limit_is_refused() {
        let legs: Vec<Posting> = (0..17)
            .map(|n| {
                let side = if n % 2 == 0 {
                    Side::Debit
                } else {
                    Side::Credit
                };
                Posting::new(Account::CashAvailable, side, usd("1")).unwrap()
            })
            .collect();
        assert_eq!(
            JournalEntry::new(entry_id(1), at(), legs),
            Err(LedgerError::TooManyPostings(17))
        );
    }
}
