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

use anyhow::Context;
use chrono::Utc;
use dropledger_domain::{
    fail_payout, reserve_payout, FailPayout, FeeAllowance, HoldId, Money, Payee, Payout,
    PayoutDestination, PayoutEnvironment, PayoutFailureReason, PayoutId, PayoutStatus,
    PlatformConfig, StreamKind, User,
};
use dropledger_eventstore::{EventStore, LoggedEvent};
use dropledger_integrations::{PayPalClient, PayoneerClient};

use crate::automation::checkpoint;
use crate::automation::commands::{decide_payout, derived_id, metadata};
use crate::automation::runner::Reaction;
use crate::providers::Mode;

/// The actor on the events the payout manager records.
const ACTOR: &str = "system:payout";
/// The manager's name (checkpoint, lock, parked payouts).
const NAME: &str = "payout";
/// The most PayPal may charge to send one payout (its `payout_item_fee`),
/// held with the payout so that paying the fee can never overdraw cash.
const PAYOUT_FEE_ALLOWANCE: &str = "0.25";
/// Capital events after which skipped payouts may fit: cash arrived or
/// holds were released.
const CASH_EVENTS: [&str; 5] = [
    "CapitalContributed",
    "PaymentReceived",
    "CaptureCompleted",
    "HoldVoided",
    "HoldPosted",
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
}

impl Reaction for Payouts {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        let event_type = event.event.event_type.as_str();
        event_type == "PayoutRequested" || CASH_EVENTS.contains(&event_type)
    }

    async fn react(&self, event: &LoggedEvent) -> anyhow::Result<()> {
        if let Ok(StreamKind::Payout(payout_id)) = StreamKind::parse(&event.event.stream_id) {
            return self.pay(event, payout_id).await;
        }
        // Cash arrived: try the parked payouts, oldest first, until one
        // still does not fit.
        for key in checkpoint::parked(self.store.pool(), NAME).await? {
            let payout_id: PayoutId = key.parse().context("a parked payout id")?;
            self.pay(event, payout_id).await?;
            let payout = self.load(payout_id).await?;
            if payout.status() == Some(PayoutStatus::SkippedInsufficientFunds) {
                break;
            }
        }
        Ok(())
    }

    async fn give_up(&self, event: &LoggedEvent, error: &anyhow::Error) -> anyhow::Result<()> {
        // A payout in flight that PayPal keeps refusing fails (holds voided);
        // one whose answer never came stays PENDING, visible, for a person.
        tracing::error!(stream = %event.event.stream_id, error = %format!("{error:#}"), "payout step gave up");
        Ok(())
    }
}

impl Payouts {
    async fn load(&self, payout_id: PayoutId) -> anyhow::Result<Payout> {
        Ok(self
            .store
            .load::<_, std::convert::Infallible>(&Payout::stream_id(payout_id), Payout::default())
            .await?
            .state)
    }

    /// Reserve (or skip), send, poll, record — resuming where the payout is.
    async fn pay(&self, event: &LoggedEvent, payout_id: PayoutId) -> anyhow::Result<()> {
        let pool = self.store.pool();
        let key = payout_id.to_string();
        let stream = Payout::stream_id(payout_id);
        let payout = self.load(payout_id).await?;
        let (Some(status), Some(payee), Some(amount)) =
            (payout.status(), payout.payee(), payout.amount())
        else {
            anyhow::bail!("payout {payout_id} was never requested");
        };
        if status == PayoutStatus::Sent || status == PayoutStatus::Failed {
            return Ok(checkpoint::unpark(pool, NAME, &key).await?);
        }
        let destination = self.destination(payee).await?;
        if payout.hold_in_flight().is_none() {
            let step = format!("reserve:{payout_id}");
            let command = dropledger_domain::ReservePayout {
                hold_id: HoldId::from_uuid(derived_id(event, &format!("{step}:hold"))),
                fee_allowance: Some(FeeAllowance {
                    hold_id: HoldId::from_uuid(derived_id(event, &format!("{step}:fee"))),
                    amount: Money::parse(PAYOUT_FEE_ALLOWANCE, amount.currency().code())?,
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
            .await
            .map_err(|error| anyhow::anyhow!("reserving payout {payout_id}: {error}"))?;
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
        let destination = destination.context("a reserved payout has a destination")?;
        let outcome = send::send(self, event, payout_id, &destination, amount).await;
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
                .await
                .map_err(|error| anyhow::anyhow!("failing payout {payout_id}: {error}"))?;
                tracing::warn!(%payout_id, ?reason, "payout FAILED; holds voided");
            }
            Err(send::SendError::Retry(error)) => return Err(error),
        }
        Ok(checkpoint::unpark(pool, NAME, &key).await?)
    }

    /// Where a payee is paid: the platform's admin e-mail, or the user's
    /// own payout destination; `None` when there is none.
    async fn destination(&self, payee: Payee) -> anyhow::Result<Option<PayoutDestination>> {
        match payee {
            Payee::Admin => {
                let config = self
                    .store
                    .load::<_, std::convert::Infallible>(
                        &PlatformConfig::stream_id(),
                        PlatformConfig::default(),
                    )
                    .await?;
                Ok(config
                    .state
                    .admin_paypal_email()
                    .ok()
                    .map(|email| PayoutDestination::Paypal {
                        email: email.clone(),
                    }))
            }
            Payee::User { user_id } => {
                let user = self
                    .store
                    .load::<_, std::convert::Infallible>(&User::stream_id(user_id), User::default())
                    .await?;
                Ok(user.state.payout_destination().cloned())
            }
        }
    }
}

/// Why a payout failed at the provider, for the record.
fn provider_rejected() -> PayoutFailureReason {
    PayoutFailureReason::ProviderRejected
}
