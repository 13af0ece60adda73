//! What a payee owes back: their share of a refund made after their payout
//! was sent. One stream per payee (`receivable-admin`,
//! `receivable-user-<uuid>`), so that netting a debt against a new payout
//! and owing more are decided in turn, never twice over the same debt.
//!
//! These events carry no postings: the debt is posted by the sale's
//! reversal (Dr receivable), its netting by the new sale's `PayoutNetted`
//! (Dr payable, Cr receivable), each appended with these.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::ids::{PayoutId, ProviderRefundId, SaleId};
use crate::money::{Currency, Money, MoneyError};
use crate::payout::Payee;

/// What may be asked of a payee's receivable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceivableCommand {
    /// The payee owes `amount` back: a refund of `sale_id` after its payout.
    Owe {
        /// Who owes.
        payee: Payee,
        /// The sale refunded.
        sale_id: SaleId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// How much.
        amount: Money,
        /// When.
        owed_at: DateTime<Utc>,
    },
    /// Keep what is owed, up to `available`, from a new payout.
    Net {
        /// Who owes.
        payee: Payee,
        /// The payout that pays less.
        payout_id: PayoutId,
        /// What that payout would pay: the most that can be kept.
        available: Money,
        /// When.
        netted_at: DateTime<Utc>,
    },
}

/// Something that happened to what a payee owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "type")]
#[strum_discriminants(
    name(ReceivableEventType),
    doc = "The type of a receivable event, without its data.",
    derive(strum::EnumString, strum::IntoStaticStr)
)]
pub enum ReceivableEvent {
    /// The payee owes this much more.
    #[serde(rename = "RecoveryOwed")]
    RecoveryOwed {
        /// Who owes.
        payee: Payee,
        /// The sale refunded.
        sale_id: SaleId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// How much.
        amount: Money,
        /// When.
        owed_at: DateTime<Utc>,
    },
    /// This much of the debt was kept from a payout.
    #[serde(rename = "RecoveryNetted")]
    RecoveryNetted {
        /// Who owed.
        payee: Payee,
        /// The payout that pays less.
        payout_id: PayoutId,
        /// How much was kept.
        amount: Money,
        /// When.
        netted_at: DateTime<Utc>,
    },
}

impl DomainEvent for ReceivableEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        ReceivableEventType::from(self).into()
    }
}

/// Why a receivable command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceivableError {
    /// A debt must be above zero.
    #[error("a debt must be above zero, got {0}")]
    NonPositiveAmount(Money),
    /// A money calculation failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl ErrorCode for ReceivableError {
    fn code(&self) -> &'static str {
        "INVALID_INPUT"
    }
}

/// What one payee owes, per currency; `Receivable::default()` owes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receivable {
    owed: BTreeMap<Currency, Decimal>,
}

impl Receivable {
    /// What the payee owes in `currency` (zero when nothing).
    pub fn owed(&self, currency: Currency) -> Money {
        Money::from_total(
            self.owed.get(&currency).copied().unwrap_or_default(),
            currency,
        )
    }
}

impl Aggregate for Receivable {
    type Command = ReceivableCommand;
    type Event = ReceivableEvent;
    type Error = ReceivableError;

    fn decide(&self, command: ReceivableCommand) -> Result<Vec<ReceivableEvent>, ReceivableError> {
        match command {
            ReceivableCommand::Owe {
                payee,
                sale_id,
                refund_id,
                amount,
                owed_at,
            } => {
                if !amount.is_positive() {
                    return Err(ReceivableError::NonPositiveAmount(amount));
                }
                Ok(vec![ReceivableEvent::RecoveryOwed {
                    payee,
                    sale_id,
                    refund_id,
                    amount,
                    owed_at,
                }])
            }
            ReceivableCommand::Net {
                payee,
                payout_id,
                available,
                netted_at,
            } => {
                let owed = self.owed(available.currency());
                // Never more than the payout pays: a payout is never negative,
                // and what is still owed carries over to the next one.
                let amount = if owed.checked_cmp(&available)?.is_lt() {
                    owed
                } else {
                    available
                };
                if !amount.is_positive() {
                    return Ok(Vec::new());
                }
                Ok(vec![ReceivableEvent::RecoveryNetted {
                    payee,
                    payout_id,
                    amount,
                    netted_at,
                }])
            }
        }
    }

    fn evolve(mut self, event: &ReceivableEvent) -> Receivable {
        let (amount, sign) = match event {
            ReceivableEvent::RecoveryOwed { amount, .. } => (amount, Decimal::ONE),
            ReceivableEvent::RecoveryNetted { amount, .. } => (amount, Decimal::NEGATIVE_ONE),
        };
        *self.owed.entry(amount.currency()).or_default() += sign * amount.amount();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    fn owe(amount: &str) -> ReceivableCommand {
        ReceivableCommand::Owe {
            payee: Payee::Admin,
            sale_id: SaleId::from_uuid(uuid(1)),
            refund_id: ProviderRefundId::parse("R1").unwrap(),
            amount: usd(amount),
            owed_at: at(1),
        }
    }

    fn net(available: &str) -> ReceivableCommand {
        ReceivableCommand::Net {
            payee: Payee::Admin,
            payout_id: payout_id(2),
            available: usd(available),
            netted_at: at(2),
        }
    }

    fn after(state: Receivable, command: ReceivableCommand) -> Receivable {
        let events = state.decide(command).unwrap();
        state.replay(&events)
    }

    #[test]
    fn a_debt_is_netted_up_to_the_payout_and_the_rest_carries_over() {
        let owes = after(Receivable::default(), owe("7.50"));
        let netted = owes.decide(net("5.00")).unwrap();
        assert!(matches!(
            netted.as_slice(),
            [ReceivableEvent::RecoveryNetted { amount, .. }] if *amount == usd("5.00")
        ));
        let rest = owes.replay(&netted);
        assert_eq!(rest.owed(Currency::Usd), usd("2.50"));
        let settled = after(rest, net("10.00"));
        assert_eq!(settled.owed(Currency::Usd), usd("0"));
        assert_eq!(settled.decide(net("3.00")).unwrap(), Vec::new());
    }

    #[test]
    fn a_debt_of_nothing_is_refused() {
        assert_eq!(
            Receivable::default().decide(owe("0")),
            Err(ReceivableError::NonPositiveAmount(usd("0")))
        );
    }
}
