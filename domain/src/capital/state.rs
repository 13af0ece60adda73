//! The working-capital aggregate: the platform's PayPal cash in one currency.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::command::{CapitalCommand, CaptureStatus, HoldPurpose};
use super::error::CapitalError;
use super::event::CapitalEvent;
use crate::aggregate::Aggregate;
use crate::ids::{CaptureId, HoldId, OrderId};
use crate::ledger::{Account, Hold, JournalEntry, Posting};
use crate::money::{Currency, Money};

/// Cash available and pending, open holds, and captures awaiting completion.
///
/// Free capital = available cash − open holds. A hold is only placed when
/// free capital covers it, so neither free capital nor available cash can go
/// below zero: posting spends at most what was held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCapital {
    currency: Currency,
    available: Decimal,
    pending: Decimal,
    holds: BTreeMap<HoldId, (HoldPurpose, Hold)>,
    pending_captures: BTreeMap<CaptureId, (OrderId, Money)>,
}

impl WorkingCapital {
    /// The stream id of the working capital in `currency`, e.g. `capital-USD`.
    pub fn stream_id(currency: Currency) -> String {
        format!("capital-{}", currency.code())
    }

    /// Working capital before any event: nothing.
    pub fn new(currency: Currency) -> WorkingCapital {
        WorkingCapital {
            currency,
            available: Decimal::ZERO,
            pending: Decimal::ZERO,
            holds: BTreeMap::new(),
            pending_captures: BTreeMap::new(),
        }
    }

    /// The stream's currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Posted cash that can be spent (open holds not deducted).
    pub fn available(&self) -> Money {
        Money::from_total(self.available, self.currency)
    }

    /// Cash of captures not yet COMPLETED.
    pub fn pending(&self) -> Money {
        Money::from_total(self.pending, self.currency)
    }

    /// Sum of open holds: capital committed to purchases and payouts in flight.
    pub fn committed(&self) -> Money {
        let committed = self
            .holds
            .values()
            .map(|(_, hold)| hold.amount().amount())
            .sum();
        Money::from_total(committed, self.currency)
    }

    /// Available cash − open holds.
    pub fn free(&self) -> Money {
        Money::from_total(self.available - self.committed().amount(), self.currency)
    }

    /// An open hold and its purpose.
    pub fn hold(&self, hold_id: HoldId) -> Option<(&HoldPurpose, &Hold)> {
        self.holds
            .get(&hold_id)
            .map(|(purpose, hold)| (purpose, hold))
    }

    /// Open holds.
    pub fn open_holds(&self) -> impl Iterator<Item = (&HoldPurpose, &Hold)> {
        self.holds.values().map(|(purpose, hold)| (purpose, hold))
    }

    fn check_money(&self, amount: Money) -> Result<(), CapitalError> {
        if amount.currency() != self.currency {
            return Err(CapitalError::WrongCurrency {
                expected: self.currency,
                got: amount.currency(),
            });
        }
        if !amount.is_positive() {
            return Err(CapitalError::NonPositiveAmount(amount));
        }
        Ok(())
    }

    fn receive_payment(&self, command: CapitalCommand) -> Result<Vec<CapitalEvent>, CapitalError> {
        let CapitalCommand::ReceivePayment {
            entry_id,
            order_id,
            capture_id,
            gross,
            fee,
            status,
            effective_at,
        } = command
        else {
            unreachable!("receive_payment is only called with ReceivePayment")
        };
        self.check_money(gross)?;
        let net = gross.checked_sub(fee)?;
        if fee.currency() != self.currency || fee.is_negative() || !net.is_positive() {
            return Err(CapitalError::InvalidFee { fee, gross });
        }
        if self.pending_captures.contains_key(&capture_id) {
            return Err(CapitalError::DuplicateCapture(capture_id));
        }
        let cash = match status {
            CaptureStatus::Pending => Account::CashPending,
            CaptureStatus::Completed => Account::CashAvailable,
        };
        let mut postings = vec![Posting::debit(cash, net)?];
        if fee.is_positive() {
            postings.push(Posting::debit(Account::PrepaidPaymentFees, fee)?);
        }
        postings.push(Posting::credit(Account::CustomerPrepayments, gross)?);
        let entry = JournalEntry::new(entry_id, effective_at, postings)?;
        Ok(vec![CapitalEvent::PaymentReceived {
            order_id,
            capture_id,
            status,
            gross,
            fee,
            entry,
        }])
    }

    fn refund_payment(&self, command: CapitalCommand) -> Result<Vec<CapitalEvent>, CapitalError> {
        let CapitalCommand::RefundPayment {
            entry_id,
            corrects,
            order_id,
            capture_id,
            refund_id,
            gross,
            fee,
            fee_returned,
            effective_at,
        } = command
        else {
            unreachable!("refund_payment is only called with RefundPayment")
        };
        self.check_money(gross)?;
        if self.pending_captures.contains_key(&capture_id) {
            return Err(CapitalError::CaptureNotCompleted(capture_id));
        }
        let lost = fee.checked_sub(fee_returned)?;
        if fee_returned.is_negative() || lost.is_negative() {
            return Err(CapitalError::InvalidFeeReturned {
                returned: fee_returned,
                fee,
            });
        }
        // PayPal takes the refund out of the available balance, less any fee
        // it gives back; our books must never show that balance below zero.
        let paid_out = gross.checked_sub(fee_returned)?;
        let free = self.free();
        if free.checked_cmp(&paid_out)?.is_lt() {
            return Err(CapitalError::InsufficientFunds {
                free,
                requested: paid_out,
            });
        }
        let mut postings = vec![
            Posting::debit(Account::CustomerPrepayments, gross)?,
            Posting::credit(Account::CashAvailable, paid_out)?,
        ];
        if fee.is_positive() {
            postings.push(Posting::credit(Account::PrepaidPaymentFees, fee)?);
        }
        if lost.is_positive() {
            postings.push(Posting::debit(Account::PaymentFees, lost)?);
        }
        let entry = JournalEntry::new(entry_id, effective_at, postings)?.correcting(corrects);
        Ok(vec![CapitalEvent::PaymentRefunded {
            order_id,
            capture_id,
            refund_id,
            gross,
            fee_returned,
            entry,
        }])
    }
}

impl Aggregate for WorkingCapital {
    type Command = CapitalCommand;
    type Event = CapitalEvent;
    type Error = CapitalError;

    fn decide(&self, command: CapitalCommand) -> Result<Vec<CapitalEvent>, CapitalError> {
        match command {
            CapitalCommand::ContributeCapital {
                entry_id,
                amount,
                reference,
                effective_at,
            } => {
                self.check_money(amount)?;
                let entry = JournalEntry::new(
                    entry_id,
                    effective_at,
                    vec![
                        Posting::debit(Account::CashAvailable, amount)?,
                        Posting::credit(Account::OwnerCapital, amount)?,
                    ],
                )?;
                Ok(vec![CapitalEvent::CapitalContributed { reference, entry }])
            }
            command @ CapitalCommand::ReceivePayment { .. } => self.receive_payment(command),
            command @ CapitalCommand::RefundPayment { .. } => self.refund_payment(command),
            CapitalCommand::CompleteCapture {
                entry_id,
                capture_id,
                effective_at,
            } => {
                let (order_id, net) = self
                    .pending_captures
                    .get(&capture_id)
                    .ok_or_else(|| CapitalError::UnknownCapture(capture_id.clone()))?;
                let entry = JournalEntry::new(
                    entry_id,
                    effective_at,
                    vec![
                        Posting::debit(Account::CashAvailable, *net)?,
                        Posting::credit(Account::CashPending, *net)?,
                    ],
                )?;
                Ok(vec![CapitalEvent::CaptureCompleted {
                    order_id: *order_id,
                    capture_id,
                    entry,
                }])
            }
            CapitalCommand::PlaceHold {
                hold_id,
                purpose,
                amount,
                effective_at,
            } => {
                self.check_money(amount)?;
                if self.holds.contains_key(&hold_id) {
                    return Err(CapitalError::DuplicateHold(hold_id));
                }
                let free = self.free();
                if free.checked_cmp(&amount)?.is_lt() {
                    return Err(CapitalError::InsufficientFunds {
                        free,
                        requested: amount,
                    });
                }
                let hold = Hold::new(
                    hold_id,
                    purpose.debit_account(),
                    Account::CashAvailable,
                    amount,
                    effective_at,
                )?;
                Ok(vec![CapitalEvent::HoldPlaced { purpose, hold }])
            }
            CapitalCommand::PostHold {
                hold_id,
                entry_id,
                amount,
                effective_at,
            } => {
                let (purpose, hold) = self
                    .holds
                    .get(&hold_id)
                    .ok_or(CapitalError::UnknownHold(hold_id))?;
                self.check_money(amount)?;
                let posted = hold.post(entry_id, amount, effective_at)?;
                Ok(vec![CapitalEvent::HoldPosted {
                    purpose: *purpose,
                    hold: hold.clone(),
                    released: posted.released,
                    entry: posted.entry,
                }])
            }
            CapitalCommand::VoidHold {
                hold_id,
                effective_at,
            } => {
                let (purpose, hold) = self
                    .holds
                    .get(&hold_id)
                    .ok_or(CapitalError::UnknownHold(hold_id))?;
                Ok(vec![CapitalEvent::HoldVoided {
                    purpose: *purpose,
                    hold: hold.clone(),
                    voided_at: effective_at,
                }])
            }
        }
    }

    fn evolve(mut self, event: &CapitalEvent) -> WorkingCapital {
        // Cash follows the postings, so state and books cannot disagree.
        if let Some(entry) = match event {
            CapitalEvent::CapitalContributed { entry, .. }
            | CapitalEvent::PaymentReceived { entry, .. }
            | CapitalEvent::CaptureCompleted { entry, .. }
            | CapitalEvent::PaymentRefunded { entry, .. }
            | CapitalEvent::HoldPosted { entry, .. } => Some(entry),
            CapitalEvent::HoldPlaced { .. } | CapitalEvent::HoldVoided { .. } => None,
        } {
            self.available += entry.net_for(Account::CashAvailable, self.currency);
            self.pending += entry.net_for(Account::CashPending, self.currency);
        }
        match event {
            CapitalEvent::PaymentReceived {
                order_id,
                capture_id,
                status: CaptureStatus::Pending,
                gross,
                fee,
                ..
            } => {
                let net = Money::from_total(gross.amount() - fee.amount(), self.currency);
                self.pending_captures
                    .insert(capture_id.clone(), (*order_id, net));
            }
            CapitalEvent::CaptureCompleted { capture_id, .. } => {
                self.pending_captures.remove(capture_id);
            }
            CapitalEvent::HoldPlaced { purpose, hold } => {
                self.holds.insert(hold.id(), (*purpose, hold.clone()));
            }
            CapitalEvent::HoldPosted { hold, .. } | CapitalEvent::HoldVoided { hold, .. } => {
                self.holds.remove(&hold.id());
            }
            CapitalEvent::CapitalContributed { .. }
            | CapitalEvent::PaymentReceived { .. }
            | CapitalEvent::PaymentRefunded { .. } => {}
        }
        self
    }
}
