//! Payout facts that touch working capital too.
//!
//! As for orders, each function decides both sides and the caller appends
//! both event lists atomically with both streams' expected versions.

use super::command::{ConfirmPayout, FailPayout, PayoutCommand, ReservePayout};
use super::error::PayoutError;
use super::event::PayoutEvent;
use super::state::Payout;
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

/// Decides capital commands one after the other, each on the state the
/// previous ones leave, as they will be appended.
fn decide_in_turn(
    capital: &WorkingCapital,
    commands: Vec<CapitalCommand>,
) -> Result<Vec<CapitalEvent>, CapitalError> {
    let mut state = capital.clone();
    let mut decided = Vec::new();
    for command in commands {
        let events = state.decide(command)?;
        state = state.replay(&events);
        decided.extend(events);
    }
    Ok(decided)
}

/// Reserves the payout's amount, and the provider's fee allowance, with
/// holds when free cash covers both; otherwise records
/// PAYOUT_SKIPPED_INSUFFICIENT_FUNDS (retryable). A missing destination in
/// production records PAYOUT_FAILED.
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
    let mut holds = vec![CapitalCommand::PlaceHold {
        hold_id: command.hold_id,
        purpose: HoldPurpose::Payout { payout_id, payee },
        amount,
        effective_at: command.reserved_at,
    }];
    if let Some(allowance) = command.fee_allowance {
        holds.push(CapitalCommand::PlaceHold {
            hold_id: allowance.hold_id,
            purpose: HoldPurpose::PayoutFee { payout_id },
            amount: allowance.amount,
            effective_at: command.reserved_at,
        });
    }
    match decide_in_turn(capital, holds) {
        Ok(capital_events) => Ok(PayoutDecision {
            payout: payout_events,
            capital: capital_events,
        }),
        Err(CapitalError::InsufficientFunds { .. }) => Ok(PayoutDecision {
            payout: payout.decide(PayoutCommand::SkipForInsufficientFunds {
                free: capital.free(),
                skipped_at: command.reserved_at,
            })?,
            capital: Vec::new(),
        }),
        Err(other) => Err(other.into()),
    }
}

/// The provider confirmed: the payout is SENT, its hold posted in full, and
/// the fee allowance posted for the fee charged (the rest released) or
/// voided when the fee is zero.
pub fn confirm_payout(
    payout: &Payout,
    capital: &WorkingCapital,
    command: ConfirmPayout,
) -> Result<PayoutDecision, PayoutError> {
    let payout_events = payout.decide(PayoutCommand::ConfirmPayout(command.clone()))?;
    let (Some(hold_id), Some(amount)) = (payout.hold_in_flight(), payout.amount()) else {
        return Err(PayoutError::NotFound);
    };
    let mut commands = vec![CapitalCommand::PostHold {
        hold_id,
        entry_id: command.entry_id,
        amount,
        effective_at: command.sent_at,
    }];
    if let Some(allowance) = payout.fee_allowance_in_flight() {
        commands.push(if command.fee.is_positive() {
            CapitalCommand::PostHold {
                hold_id: allowance.hold_id,
                entry_id: command.fee_entry_id,
                amount: command.fee,
                effective_at: command.sent_at,
            }
        } else {
            CapitalCommand::VoidHold {
                hold_id: allowance.hold_id,
                effective_at: command.sent_at,
            }
        });
    }
    Ok(PayoutDecision {
        payout: payout_events,
        capital: decide_in_turn(capital, commands)?,
    })
}

/// The provider refused or returned the payout: FAILED, and its holds voided.
pub fn fail_payout(
    payout: &Payout,
    capital: &WorkingCapital,
    command: FailPayout,
) -> Result<PayoutDecision, PayoutError> {
    let payout_events = payout.decide(PayoutCommand::FailPayout(command.clone()))?;
    let hold_id = payout.hold_in_flight().ok_or(PayoutError::NotFound)?;
    let fee_hold = payout
        .fee_allowance_in_flight()
        .map(|allowance| allowance.hold_id);
    let commands = [Some(hold_id), fee_hold]
        .into_iter()
        .flatten()
        .map(|hold_id| CapitalCommand::VoidHold {
            hold_id,
            effective_at: command.failed_at,
        })
        .collect();
    Ok(PayoutDecision {
        payout: payout_events,
        capital: decide_in_turn(capital, commands)?,
    })
}
