//! Balances and the trial balance, computed from ledger effects alone.
//!
//! This is the arithmetic a projection needs: feed it the ledger effect of
//! every event in order and ask for balances at that point.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::account::Account;
use super::entry::{JournalEntry, Side};
use super::hold::Hold;
use super::LedgerError;
use crate::ids::HoldId;
use crate::money::{Currency, Money};

/// What one event does to the books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerEffect<'a> {
    /// A posted journal entry.
    Entry(&'a JournalEntry),
    /// A hold placed: pending amounts on both accounts.
    HoldPlaced(&'a Hold),
    /// A hold posted: its pending amounts go away and the entry is posted.
    HoldPosted {
        /// The hold as placed.
        hold: &'a Hold,
        /// The posted part.
        entry: &'a JournalEntry,
    },
    /// A hold voided: its pending amounts go away.
    HoldVoided(&'a Hold),
}

/// Posted and pending debits and credits of one account in one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountBalance {
    /// Sum of posted debits.
    pub debits_posted: Decimal,
    /// Sum of posted credits.
    pub credits_posted: Decimal,
    /// Sum of debits of open holds.
    pub debits_pending: Decimal,
    /// Sum of credits of open holds.
    pub credits_pending: Decimal,
}

impl AccountBalance {
    /// Posted balance on the account's normal side (assets: debits − credits).
    pub fn posted(&self, account: Account) -> Decimal {
        if account.kind().is_debit_normal() {
            self.debits_posted - self.credits_posted
        } else {
            self.credits_posted - self.debits_posted
        }
    }

    /// Pending balance change on the normal side, from open holds.
    pub fn pending(&self, account: Account) -> Decimal {
        if account.kind().is_debit_normal() {
            self.debits_pending - self.credits_pending
        } else {
            self.credits_pending - self.debits_pending
        }
    }

    /// Posted plus pending: what remains once every open hold is posted.
    pub fn available(&self, account: Account) -> Decimal {
        self.posted(account) + self.pending(account)
    }
}

/// One line of a trial balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalanceLine {
    /// The account.
    pub account: Account,
    /// Its net posted debit balance (zero if it is in credit).
    pub debit: Money,
    /// Its net posted credit balance (zero if it is in debit).
    pub credit: Money,
}

/// Net posted balances of every account in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialBalance {
    /// The currency.
    pub currency: Currency,
    /// One line per account with postings.
    pub lines: Vec<TrialBalanceLine>,
    /// Sum of the debit column.
    pub total_debit: Money,
    /// Sum of the credit column.
    pub total_credit: Money,
}

impl TrialBalance {
    /// Debits equal credits: the books are in balance.
    pub fn is_balanced(&self) -> bool {
        self.total_debit == self.total_credit
    }
}

/// Running balances of the books.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Balances {
    accounts: BTreeMap<(Account, Currency), AccountBalance>,
    open_holds: BTreeMap<HoldId, Hold>,
}

impl Balances {
    /// Empty books.
    pub fn new() -> Balances {
        Balances::default()
    }

    /// Applies one ledger effect. Posting or voiding a hold that is not open
    /// is refused, so a replay that lost an event is noticed.
    pub fn apply(&mut self, effect: LedgerEffect<'_>) -> Result<(), LedgerError> {
        match effect {
            LedgerEffect::Entry(entry) => self.post_entry(entry),
            LedgerEffect::HoldPlaced(hold) => {
                if self.open_holds.contains_key(&hold.id()) {
                    return Err(LedgerError::DuplicateHold(hold.id()));
                }
                self.pend(hold, Decimal::ONE);
                self.open_holds.insert(hold.id(), hold.clone());
            }
            LedgerEffect::HoldPosted { hold, entry } => {
                self.release(hold)?;
                self.post_entry(entry);
            }
            LedgerEffect::HoldVoided(hold) => self.release(hold)?,
        }
        Ok(())
    }

    fn post_entry(&mut self, entry: &JournalEntry) {
        for posting in entry.postings() {
            let line = self
                .accounts
                .entry((posting.account(), posting.amount().currency()))
                .or_default();
            match posting.side() {
                Side::Debit => line.debits_posted += posting.amount().amount(),
                Side::Credit => line.credits_posted += posting.amount().amount(),
            }
        }
    }

    fn pend(&mut self, hold: &Hold, sign: Decimal) {
        let currency = hold.amount().currency();
        let amount = hold.amount().amount() * sign;
        self.accounts
            .entry((hold.debit(), currency))
            .or_default()
            .debits_pending += amount;
        self.accounts
            .entry((hold.credit(), currency))
            .or_default()
            .credits_pending += amount;
    }

    fn release(&mut self, hold: &Hold) -> Result<(), LedgerError> {
        if self.open_holds.remove(&hold.id()).is_none() {
            return Err(LedgerError::UnknownHold(hold.id()));
        }
        self.pend(hold, Decimal::NEGATIVE_ONE);
        Ok(())
    }

    /// Balance of one account in one currency (zero if never touched).
    pub fn balance(&self, account: Account, currency: Currency) -> AccountBalance {
        self.accounts
            .get(&(account, currency))
            .copied()
            .unwrap_or_default()
    }

    /// The holds still open.
    pub fn open_holds(&self) -> impl Iterator<Item = &Hold> {
        self.open_holds.values()
    }

    /// Accounts that have seen postings or holds in `currency`.
    pub fn accounts(&self, currency: Currency) -> impl Iterator<Item = Account> + '_ {
        self.accounts
            .keys()
            .filter(move |(_, c)| *c == currency)
            .map(|(account, _)| *account)
    }

    /// The trial balance of posted amounts in one currency.
    pub fn trial_balance(&self, currency: Currency) -> Result<TrialBalance, LedgerError> {
        let mut lines = Vec::new();
        let mut total_debit = Money::zero(currency);
        let mut total_credit = Money::zero(currency);
        for ((account, _), balance) in self.accounts.iter().filter(|((_, c), _)| *c == currency) {
            let net = balance.debits_posted - balance.credits_posted;
            let debit = Money::new(net.max(Decimal::ZERO), currency)?;
            let credit = Money::new((-net).max(Decimal::ZERO), currency)?;
            total_debit = total_debit.checked_add(debit)?;
            total_credit = total_credit.checked_add(credit)?;
            lines.push(TrialBalanceLine {
                account: *account,
                debit,
                credit,
            });
        }
        Ok(TrialBalance {
            currency,
            lines,
            total_debit,
            total_credit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EntryId;
    use crate::ledger::Posting;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, "USD").unwrap()
    }

    #[test]
    fn a_hold_is_pending_until_posted_and_then_only_the_posted_part_remains() {
        let mut books = Balances::new();
        let contribution = JournalEntry::new(
            EntryId::from_uuid(Uuid::from_u128(1)),
            crate::testkit::at(0),
            vec![
                Posting::debit(Account::CashAvailable, usd("100")).unwrap(),
                Posting::credit(Account::OwnerCapital, usd("100")).unwrap(),
            ],
        )
        .unwrap();
        books.apply(LedgerEffect::Entry(&contribution)).unwrap();
        let hold = Hold::new(
            HoldId::from_uuid(Uuid::from_u128(2)),
            Account::GoodsInTransit,
            Account::CashAvailable,
            usd("30"),
            crate::testkit::at(0),
        )
        .unwrap();
        books.apply(LedgerEffect::HoldPlaced(&hold)).unwrap();
        let cash = books.balance(Account::CashAvailable, Currency::Usd);
        assert_eq!(cash.posted(Account::CashAvailable), dec!(100));
        assert_eq!(cash.available(Account::CashAvailable), dec!(70));

        let posted = hold
            .post(
                EntryId::from_uuid(Uuid::from_u128(3)),
                usd("25"),
                crate::testkit::at(0),
            )
            .unwrap();
        books
            .apply(LedgerEffect::HoldPosted {
                hold: &hold,
                entry: &posted.entry,
            })
            .unwrap();
        let cash = books.balance(Account::CashAvailable, Currency::Usd);
        assert_eq!(cash.available(Account::CashAvailable), dec!(75));
        assert_eq!(cash.pending(Account::CashAvailable), dec!(0));
        let trial = books.trial_balance(Currency::Usd).unwrap();
        assert!(trial.is_balanced());
        assert_eq!(trial.total_debit, usd("100"));
    }

    #[test]
    fn voiding_a_hold_that_is_not_open_is_refused() {
        let mut books = Balances::new();
        let hold = Hold::new(
            HoldId::from_uuid(Uuid::from_u128(2)),
            Account::GoodsInTransit,
            Account::CashAvailable,
            usd("30"),
            crate::testkit::at(0),
        )
        .unwrap();
        assert_eq!(
            books.apply(LedgerEffect::HoldVoided(&hold)),
            Err(LedgerError::UnknownHold(hold.id()))
        );
        books.apply(LedgerEffect::HoldPlaced(&hold)).unwrap();
        assert_eq!(
            books.apply(LedgerEffect::HoldPlaced(&hold)),
            Err(LedgerError::DuplicateHold(hold.id()))
        );
    }
}
