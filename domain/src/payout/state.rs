//! The payout aggregate.

use super::command::{FeeAllowance, PayoutCommand};
use super::error::PayoutError;
use super::event::PayoutEvent;
use super::payee::Payee;
use super::types::{PayoutEnvironment, PayoutFailureReason, PayoutStatus};
use crate::aggregate::Aggregate;
use crate::ids::{HoldId, PayoutId, ProviderDisputeId, ProviderPayoutId, SaleId};
use crate::money::Money;

/// A payout as its events describe it; `Payout::default()` is "not requested".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payout {
    requested: Option<Requested>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Requested {
    payout_id: PayoutId,
    sale_id: SaleId,
    payee: Payee,
    amount: Money,
    status: PayoutStatus,
    in_flight: Option<(HoldId, Option<FeeAllowance>)>,
    provider_payout_id: Option<ProviderPayoutId>,
    failure: Option<PayoutFailureReason>,
    /// The open disputes of its sale that hold it back.
    paused_by: Vec<ProviderDisputeId>,
}

impl Payout {
    /// The stream id of a payout, `payout-<uuid>`.
    pub fn stream_id(payout_id: PayoutId) -> String {
        payout_id.stream_id()
    }

    /// The payout's id, once requested.
    pub fn id(&self) -> Option<PayoutId> {
        self.requested.as_ref().map(|r| r.payout_id)
    }

    /// The sale it comes from.
    pub fn sale_id(&self) -> Option<SaleId> {
        self.requested.as_ref().map(|r| r.sale_id)
    }

    /// Who is paid.
    pub fn payee(&self) -> Option<Payee> {
        self.requested.as_ref().map(|r| r.payee)
    }

    /// How much.
    pub fn amount(&self) -> Option<Money> {
        self.requested.as_ref().map(|r| r.amount)
    }

    /// The status.
    pub fn status(&self) -> Option<PayoutStatus> {
        self.requested.as_ref().map(|r| r.status)
    }

    /// The hold while the payout is in flight at the provider.
    pub fn hold_in_flight(&self) -> Option<HoldId> {
        self.requested
            .as_ref()
            .and_then(|r| r.in_flight.map(|(hold_id, _)| hold_id))
    }

    /// The fee allowance held while the payout is in flight, if any.
    pub fn fee_allowance_in_flight(&self) -> Option<FeeAllowance> {
        self.requested
            .as_ref()
            .and_then(|r| r.in_flight.and_then(|(_, allowance)| allowance))
    }

    /// The provider's id, once sent.
    pub fn provider_payout_id(&self) -> Option<&ProviderPayoutId> {
        self.requested
            .as_ref()
            .and_then(|r| r.provider_payout_id.as_ref())
    }

    /// Why it failed, while FAILED.
    pub fn failure_reason(&self) -> Option<PayoutFailureReason> {
        self.requested.as_ref().and_then(|r| r.failure)
    }

    fn existing(&self) -> Result<&Requested, PayoutError> {
        self.requested.as_ref().ok_or(PayoutError::NotFound)
    }

    /// Whether an open dispute of its sale holds it back: it is not sent
    /// until every such dispute is resolved.
    pub fn is_paused(&self) -> bool {
        self.requested
            .as_ref()
            .is_some_and(|r| !r.paused_by.is_empty())
    }

    /// What a refund may still take off this payout: all of it while it is
    /// neither sent, nor in flight, nor cancelled; nothing otherwise (the
    /// payee has the money, or may have it: it is recovered instead).
    pub fn reducible(&self) -> Option<Money> {
        let requested = self.requested.as_ref()?;
        if matches!(
            requested.status,
            PayoutStatus::Sent | PayoutStatus::Cancelled
        ) || requested.in_flight.is_some()
        {
            return Some(Money::zero(requested.amount.currency()));
        }
        Some(requested.amount)
    }

    /// A payout can be (re)tried when it is not sent, not cancelled and not
    /// in flight.
    fn retryable(&self, action: &'static str) -> Result<&Requested, PayoutError> {
        let requested = self.existing()?;
        if matches!(
            requested.status,
            PayoutStatus::Sent | PayoutStatus::Cancelled
        ) || requested.in_flight.is_some()
        {
            return Err(self.invalid(action, requested));
        }
        Ok(requested)
    }

    /// As `retryable`, and not held back by a dispute.
    fn unpaused(&self, action: &'static str) -> Result<&Requested, PayoutError> {
        let requested = self.retryable(action)?;
        if !requested.paused_by.is_empty() {
            return Err(PayoutError::PausedByDispute(requested.paused_by[0].clone()));
        }
        Ok(requested)
    }

    fn in_flight(&self, action: &'static str) -> Result<(&Requested, HoldId), PayoutError> {
        let requested = self.existing()?;
        match requested.in_flight {
            Some((hold_id, _)) => Ok((requested, hold_id)),
            None => Err(self.invalid(action, requested)),
        }
    }

    fn invalid(&self, action: &'static str, requested: &Requested) -> PayoutError {
        PayoutError::InvalidTransition {
            action,
            status: requested.status,
            in_flight: requested.in_flight.is_some(),
        }
    }
}

impl Aggregate for Payout {
    type Command = PayoutCommand;
    type Event = PayoutEvent;
    type Error = PayoutError;

    fn decide(&self, command: PayoutCommand) -> Result<Vec<PayoutEvent>, PayoutError> {
        let event = match command {
            PayoutCommand::RequestPayout {
                payout_id,
                sale_id,
                payee,
                amount,
                requested_at,
            } => {
                if self.requested.is_some() {
                    return Err(PayoutError::AlreadyExists);
                }
                if !amount.is_positive() {
                    return Err(PayoutError::NonPositiveAmount(amount));
                }
                PayoutEvent::PayoutRequested {
                    payout_id,
                    sale_id,
                    payee,
                    amount,
                    requested_at,
                }
            }
            PayoutCommand::ReservePayout(command) => {
                let requested = self.unpaused("reserve")?;
                if let Some(allowance) = command.fee_allowance {
                    if allowance.amount.currency() != requested.amount.currency()
                        || !allowance.amount.is_positive()
                    {
                        return Err(PayoutError::InvalidFeeAllowance(allowance.amount));
                    }
                }
                match (command.destination, command.environment) {
                    (Some(destination), _) => PayoutEvent::PayoutReserved {
                        hold_id: command.hold_id,
                        fee_allowance: command.fee_allowance,
                        destination,
                        reserved_at: command.reserved_at,
                    },
                    (None, PayoutEnvironment::Production) => PayoutEvent::PayoutFailed {
                        reason: PayoutFailureReason::MissingPayoutEmail,
                        released_hold: None,
                        failed_at: command.reserved_at,
                    },
                    (None, PayoutEnvironment::Sandbox) => {
                        return Err(PayoutError::MissingDestination)
                    }
                }
            }
            PayoutCommand::SkipForInsufficientFunds { free, skipped_at } => {
                self.unpaused("skip")?;
                PayoutEvent::PayoutSkippedInsufficientFunds { free, skipped_at }
            }
            PayoutCommand::ConfirmPayout(command) => {
                let (requested, _) = self.in_flight("confirm")?;
                let allowance = self
                    .fee_allowance_in_flight()
                    .map(|allowance| allowance.amount)
                    .unwrap_or(Money::zero(requested.amount.currency()));
                let fee = command.fee;
                if fee.currency() != allowance.currency()
                    || fee.is_negative()
                    || fee.checked_cmp(&allowance).map_or(true, |o| o.is_gt())
                {
                    return Err(PayoutError::FeeExceedsAllowance { fee, allowance });
                }
                PayoutEvent::PayoutSent {
                    provider_payout_id: command.provider_payout_id,
                    fee,
                    sent_at: command.sent_at,
                }
            }
            PayoutCommand::ReducePayout {
                by,
                reason,
                reduced_at,
            } => {
                let requested = self.retryable("reduce")?;
                let remaining = requested.amount.checked_sub(by).map_err(|_| {
                    PayoutError::InvalidReduction {
                        by,
                        amount: requested.amount,
                    }
                })?;
                if !by.is_positive() || remaining.is_negative() {
                    return Err(PayoutError::InvalidReduction {
                        by,
                        amount: requested.amount,
                    });
                }
                PayoutEvent::PayoutReduced {
                    by,
                    remaining,
                    reason,
                    reduced_at,
                }
            }
            PayoutCommand::PausePayout {
                dispute_id,
                paused_at,
            } => {
                let requested = self.retryable("pause")?;
                if requested.paused_by.contains(&dispute_id) {
                    return Ok(Vec::new());
                }
                PayoutEvent::PayoutPaused {
                    dispute_id,
                    paused_at,
                }
            }
            PayoutCommand::ResumePayout {
                dispute_id,
                resumed_at,
            } => {
                let requested = self.existing()?;
                if !requested.paused_by.contains(&dispute_id) {
                    return Ok(Vec::new());
                }
                PayoutEvent::PayoutResumed {
                    dispute_id,
                    resumed_at,
                }
            }
            PayoutCommand::FailPayout(command) => {
                let (_, hold_id) = self.in_flight("fail")?;
                PayoutEvent::PayoutFailed {
                    reason: command.reason,
                    released_hold: Some(hold_id),
                    failed_at: command.failed_at,
                }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut self, event: &PayoutEvent) -> Payout {
        if let PayoutEvent::PayoutRequested {
            payout_id,
            sale_id,
            payee,
            amount,
            ..
        } = event
        {
            self.requested = Some(Requested {
                payout_id: *payout_id,
                sale_id: *sale_id,
                payee: *payee,
                amount: *amount,
                status: PayoutStatus::Pending,
                in_flight: None,
                provider_payout_id: None,
                failure: None,
                paused_by: Vec::new(),
            });
            return self;
        }
        let Some(requested) = self.requested.as_mut() else {
            return self;
        };
        match event {
            PayoutEvent::PayoutRequested { .. } => {}
            PayoutEvent::PayoutReserved {
                hold_id,
                fee_allowance,
                ..
            } => {
                requested.status = PayoutStatus::Pending;
                requested.failure = None;
                requested.in_flight = Some((*hold_id, *fee_allowance));
            }
            PayoutEvent::PayoutSkippedInsufficientFunds { .. } => {
                requested.status = PayoutStatus::SkippedInsufficientFunds;
            }
            PayoutEvent::PayoutSent {
                provider_payout_id, ..
            } => {
                requested.status = PayoutStatus::Sent;
                requested.in_flight = None;
                requested.provider_payout_id = Some(provider_payout_id.clone());
            }
            PayoutEvent::PayoutFailed { reason, .. } => {
                requested.status = PayoutStatus::Failed;
                requested.in_flight = None;
                requested.failure = Some(*reason);
            }
            PayoutEvent::PayoutPaused { dispute_id, .. } => {
                requested.paused_by.push(dispute_id.clone());
            }
            PayoutEvent::PayoutResumed { dispute_id, .. } => {
                requested.paused_by.retain(|paused| paused != dispute_id);
            }
            PayoutEvent::PayoutReduced { remaining, .. } => {
                requested.amount = *remaining;
                if remaining.is_zero() {
                    requested.status = PayoutStatus::Cancelled;
                }
            }
        }
        self
    }
}
