//! Payouts: when a sale requests its payouts (the admin's commission, the
//! seller's net profit), reserve cash against free capital, send through
//! PayPal Payouts (or Payoneer when the seller chose it), poll the item
//! until it is final, and record SENT or FAILED. A payout cash does not
//! cover is recorded PAYOUT_SKIPPED_INSUFFICIENT_FUNDS, parked, and tried
//! again whenever cash arrives.
//!
//! Idempotent: the payout id is PayPal's `sender_batch_id` (and request id)
//! and Payoneer's `client_reference_id`, so resending after a crash never
//! pays twice; hold and entry ids derive from the triggering event.

mod send;

use std::sync::Arc;

use chrono::Utc;
use dropledger_domain::{
    fail_payout, reserve_payout, CapitalEventType, FailPayout, FeeAllowance, HoldId, Money, Payee,
    Payout, PayoutDestination, PayoutEnvironment, PayoutEventType, PayoutFailureReason, PayoutId,
    PayoutStatus, PlatformConfig, StreamKind, User,
};
use dropledger_eventstore::{CommandError, EventStore, LoggedEvent};
use dropledger_integrations::{PayPalClient, PayoneerClient, PersonalData};

use crate::command::{decide_payout, derived_id, metadata};
use crate::current::current;
use crate::error::{split_refusal, StoreFault};
use crate::follow::checkpoint;
use crate::follow::{event_type, Reaction, Retry, StepError};
use crate::Mode;

/// The actor on the events the payout manager records.
const ACTOR: &str = "system:payout";
/// The manager's name (checkpoint, lock, parked payouts).
const NAME: &str = "payout";
/// The most PayPal may charge to send one payout (its `payout_item_fee`),
/// held with the payout so that paying the fee can never overdraw cash.
const PAYOUT_FEE_ALLOWANCE: &str = "0.25";
/// Parked payouts tried when cash arrives, at most: one bounded step; the
/// next cash event tries the next ones.
const PARKED_PAYOUTS_PER_STEP_MAX: usize = 100;
/// Capital events after which skipped payouts may fit: cash arrived or
/// holds were released.
const CASH_EVENTS: [CapitalEventType; 6] = [
    CapitalEventType::CapitalContributed,
    CapitalEventType::PaymentReceived,
    CapitalEventType::CaptureCompleted,
    CapitalEventType::HoldVoided,
    CapitalEventType::HoldPosted,
    CapitalEventType::DisputedFundsReleased,
];

/// The payout manager.
pub struct Payouts {
    /// The event store.
    pub store: EventStore,
    /// PayPal Payouts.
    pub paypal: Arc<PayPalClient>,
    /// Payoneer, when configured.
    pub payoneer: Option<Arc<PayoneerClient>>,
    /// Sandbox or production.
    pub mode: Mode,
    /// Opens the sealed destination to pay.
    pub personal: PersonalData,
}

/// Why a payout step did not finish.
#[derive(Debug, thiserror::Error)]
pub enum PayoutStepError {
    /// Ours: the store failed. Retried until it passes.
    #[error(transparent)]
    Store(#[from] StoreFault),
    /// The provider's answer is not final, or it could not be reached:
    /// asked again (same reference, so never paid twice), then left
    /// PENDING for a person.
    #[error("{0}")]
    Pending(String),
    /// The payout or its records lack what they always have: a bug or
    /// damaged data, left for a person.
    #[error("{0}")]
    Incomplete(String),
}

impl StepError for PayoutStepError {
    fn retry(&self) -> Retry {
        match self {
            PayoutStepError::Store(_) => Retry::UntilDone,
            PayoutStepError::Pending(_) | PayoutStepError::Incomplete(_) => Retry::Bounded,
        }
    }
}

impl From<CommandError<dropledger_domain::PayoutError>> for PayoutStepError {
    fn from(error: CommandError<dropledger_domain::PayoutError>) -> Self {
        match split_refusal(error) {
            Ok(refusal) => PayoutStepError::Incomplete(format!("the domain refused: {refusal}")),
            Err(fault) => PayoutStepError::Store(fault),
        }
    }
}

impl From<sqlx::Error> for PayoutStepError {
    fn from(error: sqlx::Error) -> Self {
        PayoutStepError::Store(StoreFault::Database(error))
    }
}

impl Reaction for Payouts {
    type Error = PayoutStepError;

    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        // A payout a dispute held back is tried again once it is resumed.
        event_type(event).is_some_and(|kind| {
            matches!(
                kind,
                PayoutEventType::PayoutRequested | PayoutEventType::PayoutResumed
            )
        }) || event_type(event).is_some_and(|kind| CASH_EVENTS.contains(&kind))
    }

    async fn react(&self, event: &LoggedEvent) -> Result<(), PayoutStepError> {
        if let Ok(StreamKind::Payout(payout_id)) = StreamKind::parse(&event.event.stream_id) {
            return self.pay(event, payout_id).await;
        }
        // Cash arrived: try the parked payouts, oldest first, until one
        // still does not fit. One the provider keeps refusing is passed
        // over (and reported once the others had their turn); our own
        // fault stops the step, which is retried.
        let parked =
            checkpoint::parked(self.store.pool(), NAME, PARKED_PAYOUTS_PER_STEP_MAX).await?;
        let mut first_failure = None;
        for key in parked {
            let payout_id: PayoutId = key
                .parse()
                .map_err(|_| PayoutStepError::Incomplete(format!("a parked payout id {key:?}")))?;
            match self.pay(event, payout_id).await {
                Ok(()) => {}
                Err(error) if error.retry() == Retry::Bounded => {
                    tracing::warn!(%payout_id, %error, "parked payout not paid now; the others go on");
                    first_failure.get_or_insert(error);
                    continue;
                }
                Err(error) => return Err(error),
            }
            let payout = self.load(payout_id).await?;
            if payout.status() == Some(PayoutStatus::SkippedInsufficientFunds) {
                break;
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    async fn give_up(
        &self,
        event: &LoggedEvent,
        error: &PayoutStepError,
    ) -> Result<(), PayoutStepError> {
        // A payout in flight that PayPal keeps refusing fails (holds voided);
        // one whose answer never came stays PENDING, visible, for a person.
        tracing::error!(stream = %event.event.stream_id, %error, "payout step gave up");
        Ok(())
    }
}

impl Payouts {
    async fn load(&self, payout_id: PayoutId) -> Result<Payout, StoreFault> {
        current(
            &self.store,
            &Payout::stream_id(payout_id),
            Payout::default(),
        )
        .await
    }

    /// Reserve (or skip), send, poll, record — resuming where the payout is.
    async fn pay(&self, event: &LoggedEvent, payout_id: PayoutId) -> Result<(), PayoutStepError> {
        let pool = self.store.pool();
        let key = payout_id.to_string();
        let stream = Payout::stream_id(payout_id);
        let payout = self.load(payout_id).await?;
        let (Some(status), Some(payee), Some(amount)) =
            (payout.status(), payout.payee(), payout.amount())
        else {
            return Err(PayoutStepError::Incomplete(format!(
                "payout {payout_id} was never requested"
            )));
        };
        // A payout reduced to nothing (a refund of its sale, or a debt kept
        // from it) is never paid.
        if matches!(
            status,
            PayoutStatus::Sent | PayoutStatus::Failed | PayoutStatus::Cancelled
        ) {
            return Ok(checkpoint::unpark(pool, NAME, &key).await?);
        }
        // A dispute of its sale is open: nothing is sent until it is
        // resolved (`PayoutResumed` brings it back here).
        if payout.is_paused() && payout.hold_in_flight().is_none() {
            tracing::info!(%payout_id, "payout waits for a dispute of its sale");
            return Ok(checkpoint::unpark(pool, NAME, &key).await?);
        }
        let destination = self.destination(payee).await?;
        if payout.hold_in_flight().is_none() {
            let step = format!("reserve:{payout_id}");
            let command = dropledger_domain::ReservePayout {
                hold_id: HoldId::from_uuid(derived_id(event, &format!("{step}:hold"))),
                fee_allowance: Some(FeeAllowance {
                    hold_id: HoldId::from_uuid(derived_id(event, &format!("{step}:fee"))),
                    amount: Money::parse(PAYOUT_FEE_ALLOWANCE, amount.currency().code()).map_err(
                        |error| PayoutStepError::Incomplete(format!("the fee allowance: {error}")),
                    )?,
                }),
                destination: destination.clone(),
                environment: match self.mode {
                    Mode::Sandbox => PayoutEnvironment::Sandbox,
                    Mode::Production => PayoutEnvironment::Production,
                },
                reserved_at: Utc::now(),
            };
            let status = decide_payout(
                &self.store,
                &stream,
                &metadata(event, ACTOR, &step),
                |payout, capital| reserve_payout(payout, capital, command.clone()),
            )
            .await?;
            match status {
                PayoutStatus::SkippedInsufficientFunds => {
                    tracing::warn!(%payout_id, %amount, "PAYOUT_SKIPPED_INSUFFICIENT_FUNDS: parked until cash arrives");
                    return Ok(checkpoint::park(
                        pool,
                        NAME,
                        &key,
                        "PAYOUT_SKIPPED_INSUFFICIENT_FUNDS",
                    )
                    .await?);
                }
                PayoutStatus::Failed => return Ok(checkpoint::unpark(pool, NAME, &key).await?),
                _ => {}
            }
        }
        let destination = destination.ok_or_else(|| {
            PayoutStepError::Incomplete(format!("reserved payout {payout_id} has no destination"))
        })?;
        let outcome = send::send(self, event, payout_id, &destination, payee, amount).await;
        match outcome {
            Ok(()) => {}
            Err(send::SendError::Refused(reason)) => {
                let command = FailPayout {
                    reason,
                    failed_at: Utc::now(),
                };
                decide_payout(
                    &self.store,
                    &stream,
                    &metadata(event, ACTOR, &format!("fail:{payout_id}")),
                    |payout, capital| fail_payout(payout, capital, command.clone()),
                )
                .await?;
                tracing::warn!(%payout_id, ?reason, "payout FAILED; holds voided");
            }
            Err(send::SendError::Retry(error)) => return Err(error),
        }
        Ok(checkpoint::unpark(pool, NAME, &key).await?)
    }

    /// Where a payee is paid: the platform's admin e-mail, or the user's
    /// own payout destination; `None` when there is none.
    async fn destination(&self, payee: Payee) -> Result<Option<PayoutDestination>, StoreFault> {
        match payee {
            Payee::Admin => {
                let config = current(
                    &self.store,
                    &PlatformConfig::stream_id(),
                    PlatformConfig::default(),
                )
                .await?;
                Ok(config
                    .admin_paypal_email()
                    .ok()
                    // The same sealed value: erased with the ADMIN who set it.
                    .map(|email| PayoutDestination::Paypal {
                        email: email.clone(),
                    }))
            }
            Payee::User { user_id } => {
                let user = current(&self.store, &User::stream_id(user_id), User::default()).await?;
                Ok(user.payout_destination().cloned())
            }
        }
    }
}

/// Why a payout failed at the provider, for the record.
fn provider_rejected() -> PayoutFailureReason {
    PayoutFailureReason::ProviderRejected
}
