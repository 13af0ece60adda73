//! A pending capture that PayPal denies: the cash never arrives, so the
//! capture's entry is reversed on the same accounts. Kept apart from the
//! other rules (and called directly rather than through `CapitalCommand`)
//! so that it does not touch the working-capital commands being redesigned.

use chrono::{DateTime, Utc};

use super::error::CapitalError;
use super::event::CapitalEvent;
use super::state::WorkingCapital;
use crate::ids::{CaptureId, EntryId};
use crate::ledger::{Account, JournalEntry, Posting};
use crate::money::Money;

impl WorkingCapital {
    /// PayPal reports the pending `capture_id` DENIED (or FAILED): its gross
    /// leaves customer prepayments, its net leaves cash pending and its fee
    /// leaves prepaid fees. Only pending cash moves, so free capital
    /// (available − holds) is the same before and after: pending cash was
    /// never spendable. Refused for a capture that is not pending here, or
    /// whose gross and fee do not match the net recorded at capture.
    pub fn deny_capture(
        &self,
        entry_id: EntryId,
        capture_id: CaptureId,
        gross: Money,
        fee: Money,
        effective_at: DateTime<Utc>,
    ) -> Result<Vec<CapitalEvent>, CapitalError> {
        let (order_id, net) = self
            .pending_captures
            .get(&capture_id)
            .ok_or_else(|| CapitalError::UnknownCapture(capture_id.clone()))?;
        if gross.checked_sub(fee)? != *net {
            return Err(CapitalError::InvalidFee { fee, gross });
        }
        let mut postings = vec![
            Posting::debit(Account::CustomerPrepayments, gross)?,
            Posting::credit(Account::CashPending, *net)?,
        ];
        if fee.is_positive() {
            postings.push(Posting::credit(Account::PrepaidPaymentFees, fee)?);
        }
        let entry = JournalEntry::new(entry_id, effective_at, postings)?;
        Ok(vec![CapitalEvent::CaptureDenied {
            order_id: *order_id,
            capture_id,
            entry,
        }])
    }
}

#[cfg(test)]
mod tests {
    use crate::aggregate::Aggregate;
    use crate::capital::{
        CapitalCommand, CapitalError, CapitalEvent, CaptureStatus, WorkingCapital,
    };
    use crate::ids::CaptureId;
    use crate::ledger::Account;
    use crate::money::Currency;
    use crate::testkit::{at, capture_id, entry_id, order_id, usd};

    /// 100.00 available (contributed) and a PENDING capture of 50.00, fee 2.00.
    fn with_pending_capture(capture: &CaptureId) -> WorkingCapital {
        let capital = WorkingCapital::new(Currency::Usd);
        let commands = [
            CapitalCommand::ContributeCapital {
                entry_id: entry_id(1),
                amount: usd("100.00"),
                reference: crate::ids::Reference::parse("owner").unwrap(),
                effective_at: at(0),
            },
            CapitalCommand::ReceivePayment {
                entry_id: entry_id(2),
                order_id: order_id(3),
                capture_id: capture.clone(),
                gross: usd("50.00"),
                fee: usd("2.00"),
                status: CaptureStatus::Pending,
                effective_at: at(1),
            },
        ];
        commands.into_iter().fold(capital, |capital, command| {
            let events = capital.decide(command).unwrap();
            capital.replay(&events)
        })
    }

    #[test]
    fn a_denied_capture_reverses_pending_cash_and_leaves_free_capital_as_it_was() {
        let capture = capture_id("CAP-DENIED");
        let capital = with_pending_capture(&capture);
        let free_before = capital.free();

        let events = capital
            .deny_capture(entry_id(4), capture, usd("50.00"), usd("2.00"), at(2))
            .unwrap();
        let [CapitalEvent::CaptureDenied {
            entry,
            order_id: denied,
            ..
        }] = events.as_slice()
        else {
            panic!("expected CaptureDenied, got {events:?}")
        };
        assert_eq!(*denied, order_id(3));
        let net = |account| entry.net_for(account, Currency::Usd);
        assert_eq!(net(Account::CustomerPrepayments), usd("50.00").amount());
        assert_eq!(net(Account::CashPending), -usd("48.00").amount());
        assert_eq!(net(Account::PrepaidPaymentFees), -usd("2.00").amount());
        let after = capital.replay(&events);
        assert_eq!(after.pending(), usd("0.00"));
        assert_eq!(after.free(), free_before);
        assert_eq!(after.pending_captures().count(), 0);
    }

    #[test]
    fn denying_a_capture_that_is_not_pending_or_with_another_net_is_refused() {
        let capture = capture_id("CAP-DENIED");
        let capital = with_pending_capture(&capture);
        let unknown = capture_id("CAP-OTHER");
        assert_eq!(
            capital.deny_capture(
                entry_id(4),
                unknown.clone(),
                usd("50.00"),
                usd("2.00"),
                at(2)
            ),
            Err(CapitalError::UnknownCapture(unknown))
        );
        assert_eq!(
            capital.deny_capture(entry_id(4), capture, usd("50.00"), usd("1.00"), at(2)),
            Err(CapitalError::InvalidFee {
                fee: usd("1.00"),
                gross: usd("50.00")
            })
        );
    }
}
