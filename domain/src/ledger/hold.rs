//! Holds: two-phase (pending) transfers, in the manner of TigerBeetle.
//!
//! A hold reserves an amount moving from one account to another. It is later
//! posted — fully or in part, the rest released — or voided. The limit is
//! checked when the hold is placed (by the working-capital aggregate), so
//! posting or voiding can never break it: posting more than was held is
//! refused here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::Account;
use super::entry::{JournalEntry, Posting};
use super::LedgerError;
use crate::ids::{EntryId, HoldId};
use crate::money::Money;

/// An open reservation of `amount`, to be debited to `debit` and credited to
/// `credit` when posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "HoldWire")]
pub struct Hold {
    id: HoldId,
    debit: Account,
    credit: Account,
    amount: Money,
    placed_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldWire {
    id: HoldId,
    debit: Account,
    credit: Account,
    amount: Money,
    placed_at: DateTime<Utc>,
}

impl TryFrom<HoldWire> for Hold {
    type Error = LedgerError;

    fn try_from(wire: HoldWire) -> Result<Self, Self::Error> {
        Hold::new(
            wire.id,
            wire.debit,
            wire.credit,
            wire.amount,
            wire.placed_at,
        )
    }
}

/// The result of posting a hold: the posted entry and what was released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedHold {
    /// The posted transfer, for the amount actually spent.
    pub entry: JournalEntry,
    /// The part of the hold that was not spent and is free again (may be zero).
    pub released: Money,
}

impl Hold {
    /// A hold of a positive amount between two different accounts.
    pub fn new(
        id: HoldId,
        debit: Account,
        credit: Account,
        amount: Money,
        placed_at: DateTime<Utc>,
    ) -> Result<Hold, LedgerError> {
        if !amount.is_positive() {
            return Err(LedgerError::NonPositiveAmount(amount));
        }
        if debit == credit {
            return Err(LedgerError::SameAccount(debit));
        }
        Ok(Hold {
            id,
            debit,
            credit,
            amount,
            placed_at,
        })
    }

    /// Posts `amount` of the hold (at most the amount held) as a journal
    /// entry; the rest is released.
    pub fn post(
        &self,
        entry_id: EntryId,
        amount: Money,
        effective_at: DateTime<Utc>,
    ) -> Result<PostedHold, LedgerError> {
        let released = self.amount.checked_sub(amount)?;
        if released.is_negative() {
            return Err(LedgerError::HoldExceeded {
                hold: self.id,
                held: self.amount,
                requested: amount,
            });
        }
        let entry = JournalEntry::new(
            entry_id,
            effective_at,
            vec![
                Posting::debit(self.debit, amount)?,
                Posting::credit(self.credit, amount)?,
            ],
        )?;
        Ok(PostedHold { entry, released })
    }

    /// The hold's id.
    pub fn id(&self) -> HoldId {
        self.id
    }

    /// The account debited when posted.
    pub fn debit(&self) -> Account {
        self.debit
    }

    /// The account credited when posted.
    pub fn credit(&self) -> Account {
        self.credit
    }

    /// The amount reserved.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// When it was placed.
    pub fn placed_at(&self) -> DateTime<Utc> {
        self.placed_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, "USD").unwrap()
    }

    fn hold(amount: &str) -> Hold {
        Hold::new(
            HoldId::from_uuid(Uuid::from_u128(1)),
            Account::GoodsInTransit,
            Account::CashAvailable,
            usd(amount),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn posting_part_of_a_hold_releases_the_rest() {
        let posted = hold("10")
            .post(
                EntryId::from_uuid(Uuid::from_u128(2)),
                usd("7.50"),
                crate::testkit::at(0),
            )
            .unwrap();
        assert_eq!(posted.released, usd("2.50"));
        assert_eq!(
            posted.entry.net_for(Account::CashAvailable, Currency::Usd),
            dec!(-7.50)
        );
    }

    #[test]
    fn posting_more_than_was_held_is_refused() {
        let result = hold("10").post(
            EntryId::from_uuid(Uuid::from_u128(2)),
            usd("10.01"),
            crate::testkit::at(0),
        );
        assert_eq!(
            result,
            Err(LedgerError::HoldExceeded {
                hold: HoldId::from_uuid(Uuid::from_u128(1)),
                held: usd("10"),
                requested: usd("10.01")
            })
        );
    }

    #[test]
    fn a_hold_must_be_positive_and_between_two_accounts() {
        let id = HoldId::from_uuid(Uuid::from_u128(1));
        let now = crate::testkit::at(0);
        assert_eq!(
            Hold::new(
                id,
                Account::CashAvailable,
                Account::CashAvailable,
                usd("1"),
                now
            ),
            Err(LedgerError::SameAccount(Account::CashAvailable))
        );
        assert_eq!(
            Hold::new(
                id,
                Account::GoodsInTransit,
                Account::CashAvailable,
                usd("0"),
                now
            ),
            Err(LedgerError::NonPositiveAmount(usd("0")))
        );
    }
}
