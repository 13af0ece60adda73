//! The cash side of a customer's dispute (or chargeback): PayPal moves the
//! disputed amount out of the available balance while the dispute is open,
//! gives it back if the platform wins, and keeps it (with its chargeback
//! fee) if the platform loses.

use chrono::{DateTime, Utc};

use super::error::CapitalError;
use super::event::CapitalEvent;
use super::state::WorkingCapital;
use crate::ids::{EntryId, OrderId, ProviderDisputeId};
use crate::ledger::{Account, JournalEntry, Posting};
use crate::money::Money;

type Decided = Result<Vec<CapitalEvent>, CapitalError>;

impl WorkingCapital {
    /// Dr cash disputed, Cr cash available. PayPal holds the money whether
    /// or not it is free; the books refuse a dispute free capital does not
    /// cover (the store's budget never goes below zero), so such a dispute
    /// waits for a person (or for cash) instead of overdrawing the books.
    pub(super) fn hold_disputed_funds(
        &self,
        entry_id: EntryId,
        order_id: OrderId,
        dispute_id: ProviderDisputeId,
        amount: Money,
        effective_at: DateTime<Utc>,
    ) -> Decided {
        self.check_money(amount)?;
        if self.disputes.contains_key(&dispute_id) {
            return Err(CapitalError::DuplicateDispute(dispute_id));
        }
        self.check_covered(amount)?;
        let entry = JournalEntry::new(
            entry_id,
            effective_at,
            vec![
                Posting::debit(Account::CashDisputed, amount)?,
                Posting::credit(Account::CashAvailable, amount)?,
            ],
        )?;
        Ok(vec![CapitalEvent::DisputedFundsHeld {
            order_id,
            dispute_id,
            amount,
            entry,
        }])
    }

    /// The platform won: Dr cash available, Cr cash disputed (the amount held).
    pub(super) fn release_disputed_funds(
        &self,
        entry_id: EntryId,
        dispute_id: ProviderDisputeId,
        effective_at: DateTime<Utc>,
    ) -> Decided {
        let (order_id, amount) = self.open_dispute(&dispute_id)?;
        let entry = JournalEntry::new(
            entry_id,
            effective_at,
            vec![
                Posting::debit(Account::CashAvailable, amount)?,
                Posting::credit(Account::CashDisputed, amount)?,
            ],
        )?;
        Ok(vec![CapitalEvent::DisputedFundsReleased {
            order_id,
            dispute_id,
            amount,
            entry,
        }])
    }

    /// The platform lost a dispute of a sold order: the customer keeps the
    /// amount held (Dr sales refunds, Cr cash disputed) and PayPal charges
    /// its fee (Dr chargeback fees, Cr cash available). The sale's reversal
    /// says who bears both.
    pub(super) fn lose_dispute(
        &self,
        entry_id: EntryId,
        dispute_id: ProviderDisputeId,
        chargeback_fee: Money,
        effective_at: DateTime<Utc>,
    ) -> Decided {
        let (order_id, amount) = self.open_dispute(&dispute_id)?;
        if chargeback_fee.currency() != self.currency || chargeback_fee.is_negative() {
            return Err(CapitalError::InvalidChargebackFee(chargeback_fee));
        }
        let mut postings = vec![
            Posting::debit(Account::SalesRefunds, amount)?,
            Posting::credit(Account::CashDisputed, amount)?,
        ];
        if chargeback_fee.is_positive() {
            self.check_covered(chargeback_fee)?;
            postings.push(Posting::debit(Account::ChargebackFees, chargeback_fee)?);
            postings.push(Posting::credit(Account::CashAvailable, chargeback_fee)?);
        }
        let entry = JournalEntry::new(entry_id, effective_at, postings)?;
        Ok(vec![CapitalEvent::DisputeLost {
            order_id,
            dispute_id,
            amount,
            chargeback_fee,
            entry,
        }])
    }

    fn open_dispute(
        &self,
        dispute_id: &ProviderDisputeId,
    ) -> Result<(OrderId, Money), CapitalError> {
        self.disputes
            .get(dispute_id)
            .copied()
            .ok_or_else(|| CapitalError::UnknownDispute(dispute_id.clone()))
    }
}
