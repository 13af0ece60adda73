//! The cash side of a refund of a sold order.

use super::command::CapitalCommand;
use super::error::CapitalError;
use super::event::CapitalEvent;
use super::state::WorkingCapital;
use crate::ledger::{Account, JournalEntry, Posting};

impl WorkingCapital {
    /// Dr sales refunds (gross), Cr cash available (gross − fee returned),
    /// Cr payment fees (the fee returned: the sale's fee expense shrinks).
    /// Refused unless free capital covers what leaves cash, so a refund
    /// never overdraws the balance PayPal takes it from.
    pub(super) fn refund_sale(
        &self,
        command: CapitalCommand,
    ) -> Result<Vec<CapitalEvent>, CapitalError> {
        let CapitalCommand::RefundSale {
            entry_id,
            order_id,
            capture_id,
            refund_id,
            gross,
            fee_returned,
            effective_at,
        } = command
        else {
            unreachable!("refund_sale is only called with RefundSale")
        };
        self.check_refund_of(gross, &capture_id)?;
        let paid_out = gross.checked_sub(fee_returned)?;
        if fee_returned.is_negative() || paid_out.is_negative() {
            return Err(CapitalError::InvalidFeeReturned {
                returned: fee_returned,
                fee: gross,
            });
        }
        self.check_covered(paid_out)?;
        let mut postings = vec![Posting::debit(Account::SalesRefunds, gross)?];
        if paid_out.is_positive() {
            postings.push(Posting::credit(Account::CashAvailable, paid_out)?);
        }
        if fee_returned.is_positive() {
            postings.push(Posting::credit(Account::PaymentFees, fee_returned)?);
        }
        let entry = JournalEntry::new(entry_id, effective_at, postings)?;
        Ok(vec![CapitalEvent::SaleRefunded {
            order_id,
            capture_id,
            refund_id,
            gross,
            fee_returned,
            entry,
        }])
    }
}
