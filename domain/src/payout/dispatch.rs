//! Payout facts that touch working capital too.
//!
//! As for orders, each function decides both sides and the caller appends
//! both event lists atomically with both streams' expected versions.

use super::error::PayoutError;
use super::state::{ConfirmPayout, FailPayout, Payout, PayoutCommand, PayoutEvent, ReservePayout};
use crate::aggregate::Aggregate;
use crate::capital::{CapitalCommand, CapitalError, CapitalEvent, HoldPurpose, WorkingCapital};

/// Events to append to a payout stream and a working-capital stream together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutDecision {
    /// For `payout-<uuid>`.
    pub payout: Vec<PayoutEvent>,
    /// For `capital-<CURRENCY>`; may be empty.
    pub capital: Vec<CapitalEvent>,
}

/// Reserves the payout's amount with a hold when free cash covers it;
/// otherwise records PAYOUT_SKIPPED_INSUFFICIENT_FUNDS (retryable). A
/// missing destination in production records PAYOUT_FAILED.
pub fn reserve_payout(
    payout: &Payout,
    capital: &WorkingCapital,
    command: ReservePayout,
) -> Result<PayoutDecision, PayoutError> {
    let payout_events = payout.decide(PayoutCommand::ReservePayout(command.clone()))?;
    if !matches!(
        payout_events.as_slice(),
        [PayoutEvent::PayoutReserved { .. }]
    ) {
        return Ok(PayoutDecision {
            payout: payout_events,
            capital: Vec::new(),
        });
    }
    let (Some(payout_id), Some(payee), Some(amount)) =
        (payout.id(), payout.payee(), payout.amount())
    else {
        return Err(PayoutError::NotFound);
    };
    let hold = capital.decide(CapitalCommand::PlaceHold {
        hold_id: command.hold_id,
        purpose: HoldPurpose::Payout { payout_id, payee },
        amount,
        effective_at: command.reserved_at,
    });
    match hold {
        Ok(capital_events) => Ok(PayoutDecision {
            payout: payout_events,
            capital: capital_events,
        }),
        Err(CapitalError::InsufficientFunds { free, .. }) => Ok(PayoutDecision {
            payout: payout.decide(PayoutCommand::SkipForInsufficientFunds {
                free,
                skipped_at: command.reserved_at,
            })?,
            capital: Vec::new(),
        }),
        Err(other) => Err(other.into()),
    }
}

/// The provider confirmed: the payout is SENT and its hold posted in full.
pub fn confirm_payout(
    payout: &Payout,
    capital: &WorkingCapital,
    command: ConfirmPayout,
) -> Result<PayoutDecision, PayoutError> {
    let payout_events = payout.decide(PayoutCommand::ConfirmPayout(command.clone()))?;
    let (Some(hold_id), Some(amount)) = (payout.hold_in_flight(), payout.amount()) else {
        return Err(PayoutError::NotFound);
    };
    let capital_events = capital.decide(CapitalCommand::PostHold {
        hold_id,
        entry_id: command.entry_id,
        amount,
        effective_at: command.sent_at,
    })?;
    Ok(PayoutDecision {
        payout: payout_events,
        capital: capital_events,
    })
}

/// The provider refused or returned the payout: FAILED, and its hold voided.
pub fn fail_payout(
    payout: &Payout,
    capital: &WorkingCapital,
    command: FailPayout,
) -> Result<PayoutDecision, PayoutError> {
    let payout_events = payout.decide(PayoutCommand::FailPayout(command.clone()))?;
    let hold_id = payout.hold_in_flight().ok_or(PayoutError::NotFound)?;
    let capital_events = capital.decide(CapitalCommand::VoidHold {
        hold_id,
        effective_at: command.failed_at,
    })?;
    Ok(PayoutDecision {
        payout: payout_events,
        capital: capital_events,
    })
}
