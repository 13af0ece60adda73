//! Working capital's rules: what each command checks and records.

use chrono::{DateTime, Utc};

use super::command::{CapitalCommand, CaptureStatus, HoldPurpose};
use super::error::CapitalError;
use super::event::CapitalEvent;
use super::state::WorkingCapital;
use crate::ids::{CaptureId, EntryId, HoldId, Reference};
use crate::ledger::{Account, Hold, JournalEntry, Posting};
use crate::money::Money;

type Decided = Result<Vec<CapitalEvent>, CapitalError>;

impl WorkingCapital {
    pub(super) fn check_money(&self, amount: Money) -> Result<(), CapitalError> {
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

    /// Refuses an amount free capital (available cash − open holds) does
    /// not cover.
    pub(super) fn check_covered(&self, amount: Money) -> Result<(), CapitalError> {
        let free = self.free();
        if free.checked_cmp(&amount)?.is_lt() {
            return Err(CapitalError::InsufficientFunds {
                free,
                requested: amount,
            });
        }
        Ok(())
    }

    /// A refund is of this capital's money, positive, and of a capture
    /// PayPal completed: a PENDING capture's money is not ours to return.
    pub(super) fn check_refund_of(
        &self,
        gross: Money,
        capture_id: &CaptureId,
    ) -> Result<(), CapitalError> {
        self.check_money(gross)?;
        if self.pending_captures.contains_key(capture_id) {
            return Err(CapitalError::CaptureNotCompleted(capture_id.clone()));
        }
        Ok(())
    }

    pub(super) fn receive_payment(
        &self,
        command: CapitalCommand,
    ) -> Result<Vec<CapitalEvent>, CapitalError> {
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

    pub(super) fn refund_payment(
        &self,
        command: CapitalCommand,
    ) -> Result<Vec<CapitalEvent>, CapitalError> {
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
        self.check_refund_of(gross, &capture_id)?;
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
        self.check_covered(paid_out)?;
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

    pub(super) fn contribute(
        &self,
        entry_id: EntryId,
        amount: Money,
        reference: Reference,
        effective_at: DateTime<Utc>,
    ) -> Decided {
        // A contribution retried with the same idempotency key has the same
        // entry id, hence the same event id: the store keeps it once, and
        // the workflow tells a retry from a reused key by what is stored.
        let entry = self.two_legs(
            entry_id,
            effective_at,
            (Account::CashAvailable, Account::OwnerCapital),
            amount,
        )?;
        Ok(vec![CapitalEvent::CapitalContributed { reference, entry }])
    }

    /// A checked amount moved from one account to another: Dr `debit`,
    /// Cr `credit`.
    pub(super) fn two_legs(
        &self,
        entry_id: EntryId,
        effective_at: DateTime<Utc>,
        (debit, credit): (Account, Account),
        amount: Money,
    ) -> Result<JournalEntry, CapitalError> {
        self.check_money(amount)?;
        Ok(JournalEntry::new(
            entry_id,
            effective_at,
            vec![
                Posting::debit(debit, amount)?,
                Posting::credit(credit, amount)?,
            ],
        )?)
    }

    pub(super) fn complete_capture(
        &self,
        entry_id: EntryId,
        capture_id: CaptureId,
        effective_at: DateTime<Utc>,
    ) -> Decided {
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

    /// The only way capital is committed: the limit is checked here, so
    /// posting or voiding the hold later can never overdraw.
    pub(super) fn place_hold(
        &self,
        hold_id: HoldId,
        purpose: HoldPurpose,
        amount: Money,
        effective_at: DateTime<Utc>,
    ) -> Decided {
        self.check_money(amount)?;
        if self.holds.contains_key(&hold_id) {
            return Err(CapitalError::DuplicateHold(hold_id));
        }
        self.check_covered(amount)?;
        let hold = Hold::new(
            hold_id,
            purpose.debit_account(),
            Account::CashAvailable,
            amount,
            effective_at,
        )?;
        Ok(vec![CapitalEvent::HoldPlaced { purpose, hold }])
    }

    pub(super) fn post_hold(
        &self,
        hold_id: HoldId,
        entry_id: EntryId,
        amount: Money,
        effective_at: DateTime<Utc>,
    ) -> Decided {
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

    pub(super) fn void_hold(&self, hold_id: HoldId, effective_at: DateTime<Utc>) -> Decided {
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
