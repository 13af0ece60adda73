//! Cash reconciliation: on a schedule, PayPal's reported balance is
//! compared with the ledger's cash at PayPal, and the outcome is recorded
//! in `reconciliation-paypal-<CURRENCY>` — `CashReconciled` when every
//! figure agrees, `CashDifferenceFound` (provider minus ledger, signed) for
//! a person to review otherwise. Nothing is posted: a difference is a
//! question, not an entry.
//!
//! PayPal's reporting balance lags (up to hours), so the ledger is read as
//! of the provider's `as_of_time` (postings effective by then), after the
//! ledger read model has caught up with the log. A provider snapshot (its
//! `as_of_time` and amounts) is recorded once: the domain ignores a repeat,
//! and the command id derives from the snapshot. A provider error records
//! nothing; the next run asks again.

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dropledger_domain::{
    Account, Aggregate, CashDifference, CashProvider, CashReconciliation, Currency, LedgerCash,
    Money, ProviderCashBalance, ReconciliationCommand, ReconciliationError, ReconciliationEvent,
    ReconciliationStream,
};
use dropledger_eventstore::{CommandError, EventStore, Metadata};
use dropledger_integrations::{PayPalClient, PayPalError};
use dropledger_projections::{balance_at, wait_until_applied, AsOf, Projection};
use rust_decimal::prelude::ToPrimitive;
use tracing::Instrument;
use uuid::Uuid;

use crate::error::PollError;

/// The process manager's name: its advisory lock and its log lines.
pub const MANAGER_NAME: &str = "reconciliation";
/// Who records reconciliations.
const ACTOR: &str = "system:reconciliation";
/// The currencies of the platform's PayPal cash that are reconciled.
const CURRENCIES: [Currency; 1] = [Currency::Usd];
/// How long a run waits for the log to sequence what was committed before it.
const LOG_WAIT_MS: u64 = 5_000;
/// How long a run waits for the ledger read model to catch up with the log;
/// past that it records nothing and the next run tries again.
const LEDGER_CATCH_UP_TIMEOUT_MS: u64 = 30_000;
/// Namespace of the command ids derived from provider snapshots.
const SNAPSHOT_COMMAND_NAMESPACE: Uuid = Uuid::from_u128(0x2b7e_41d9_0c5a_4f63_9e18_d4a7_65c0_3f21);

/// What one reconciliation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new snapshot was compared and the outcome recorded.
    Recorded(ReconciliationEvent),
    /// This snapshot was reconciled before: nothing recorded.
    AlreadyRecorded,
    /// PayPal answered with a snapshot older than one reconciled: nothing recorded.
    Stale,
}

/// The reconciliation job for the platform's PayPal account.
#[derive(Clone)]
pub struct Reconciliation {
    /// The event store (and through its pool, the ledger read model).
    pub store: EventStore,
    /// The PayPal client `serve` shares.
    pub paypal: Arc<PayPalClient>,
}

impl Reconciliation {
    /// One run: every currency, each in its own correlation.
    pub async fn run(&self) -> Result<(), PollError> {
        for currency in CURRENCIES {
            self.reconcile(currency).await?;
        }
        Ok(())
    }

    /// Reconciles the PayPal balance in `currency` once.
    pub async fn reconcile(&self, currency: Currency) -> Result<Outcome, PollError> {
        let correlation_id = Uuid::new_v4();
        let span = tracing::info_span!(
            "reconciliation",
            provider = %CashProvider::PayPal,
            currency = currency.code(),
            %correlation_id,
        );
        self.reconcile_in(currency, correlation_id)
            .instrument(span)
            .await
    }

    async fn reconcile_in(
        &self,
        currency: Currency,
        correlation_id: Uuid,
    ) -> Result<Outcome, PollError> {
        let reported = self.reported(currency).await?;
        let ledger = self.ledger_cash(currency, reported.as_of_time).await?;
        let stream = ReconciliationStream::new(CashProvider::PayPal, currency);
        let outcome = record(
            &self.store,
            stream,
            reported,
            ledger,
            Utc::now(),
            correlation_id,
        )
        .await?;
        let difference = CashDifference::between(&reported, &ledger)
            .map_err(|error| PollError::Unusable(format!("the cash difference: {error}")))?;
        report(
            stream,
            &reported,
            &ledger,
            &difference,
            &outcome,
            correlation_id,
        );
        Ok(outcome)
    }

    /// PayPal's reporting balance in `currency` (P10). A currency PayPal
    /// does not list is one it holds nothing of.
    async fn reported(&self, currency: Currency) -> Result<ProviderCashBalance, PollError> {
        let balances = self
            .paypal
            .balances(currency)
            .await
            .map_err(|error| match error {
                // PayPal answered; the answer is what we cannot use.
                PayPalError::Amount(refused) => {
                    PollError::Unusable(format!("PayPal's balance: {refused}"))
                }
                other => PollError::paypal(other),
            })?;
        let as_of = balances.as_of_time.as_deref().ok_or_else(|| {
            PollError::Unusable(
                "PayPal's balance has no as_of_time: nothing to compare it with".to_owned(),
            )
        })?;
        let as_of_time = DateTime::parse_from_rfc3339(as_of)
            .map_err(|_| {
                PollError::Unusable(format!(
                    "PayPal's as_of_time {as_of:?} is not an RFC 3339 time"
                ))
            })?
            .with_timezone(&Utc);
        let money = |amount: Money| -> Result<Money, PollError> {
            if amount.currency() != currency {
                return Err(PollError::Unusable(format!(
                    "PayPal reported {amount} in the {currency} balance"
                )));
            }
            Ok(amount)
        };
        match balances
            .balances
            .iter()
            .find(|balance| balance.currency == currency)
        {
            Some(balance) => Ok(ProviderCashBalance {
                as_of_time,
                total: money(balance.total)?,
                available: money(balance.available)?,
                withheld: money(balance.withheld)?,
            }),
            None => Ok(ProviderCashBalance {
                as_of_time,
                total: Money::zero(currency),
                available: Money::zero(currency),
                withheld: Money::zero(currency),
            }),
        }
    }

    /// The ledger's posted cash at PayPal as of `as_of_time` (effective
    /// time, the provider's clock), once the ledger read model has applied
    /// every event committed before this call.
    async fn ledger_cash(
        &self,
        currency: Currency,
        as_of_time: DateTime<Utc>,
    ) -> Result<LedgerCash, PollError> {
        let log = self
            .store
            .wait_for_log(Duration::from_millis(LOG_WAIT_MS))
            .await?;
        let read_model = |error: &dyn std::fmt::Display| {
            PollError::Unusable(format!("the ledger read model: {error}"))
        };
        let pool = self.store.pool();
        wait_until_applied(
            pool,
            &[Projection::Ledger],
            log.head,
            Duration::from_millis(LEDGER_CATCH_UP_TIMEOUT_MS),
        )
        .await
        .map_err(|error| read_model(&error))?;
        let as_of = AsOf::EffectiveAt(as_of_time);
        let available = balance_at(pool, Account::CashAvailable, currency, as_of)
            .await
            .map_err(|error| read_model(&error))?;
        let pending = balance_at(pool, Account::CashPending, currency, as_of)
            .await
            .map_err(|error| read_model(&error))?;
        // PayPal reports the money it holds for open disputes as withheld,
        // as it does pending captures.
        let disputed = balance_at(pool, Account::CashDisputed, currency, as_of)
            .await
            .map_err(|error| read_model(&error))?;
        Ok(LedgerCash {
            available: available.posted,
            pending: pending
                .posted
                .checked_add(disputed.posted)
                .map_err(|error| {
                    PollError::Unusable(format!("the ledger's withheld cash: {error}"))
                })?,
            position: log.head,
        })
    }
}

/// Records the comparison of `reported` and `ledger` on `stream`, once per
/// provider snapshot.
pub async fn record(
    store: &EventStore,
    stream: ReconciliationStream,
    reported: ProviderCashBalance,
    ledger: LedgerCash,
    checked_at: DateTime<Utc>,
    correlation_id: Uuid,
) -> Result<Outcome, CommandError<ReconciliationError>> {
    let stream_id = stream.stream_id();
    let snapshot = format!(
        "{stream_id}|{}|{}|{}|{}",
        reported.as_of_time.to_rfc3339(),
        reported.total,
        reported.available,
        reported.withheld
    );
    let metadata = Metadata {
        correlation_id,
        causation_id: None,
        actor: ACTOR.to_owned(),
        command_id: Some(Uuid::new_v5(
            &SNAPSHOT_COMMAND_NAMESPACE,
            snapshot.as_bytes(),
        )),
    };
    let command = ReconciliationCommand::ReconcileCash {
        reported,
        ledger,
        checked_at,
    };
    let outcome = store
        .execute(|| async {
            let loaded = store
                .load(&stream_id, CashReconciliation::new(stream))
                .await?;
            let events = loaded
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            let outcome = match events.first() {
                Some(event) => Outcome::Recorded(event.clone()),
                None => Outcome::AlreadyRecorded,
            };
            Ok((vec![loaded.append(&events, &metadata)], outcome))
        })
        .await;
    match outcome {
        Ok((outcome, _)) => Ok(outcome),
        Err(CommandError::Refused(ReconciliationError::StaleSnapshot { .. })) => Ok(Outcome::Stale),
        Err(error) => Err(error),
    }
}

/// Logs the outcome (a warning with the difference, for people) and sets
/// the gauges (for alerts).
fn report(
    stream: ReconciliationStream,
    reported: &ProviderCashBalance,
    ledger: &LedgerCash,
    difference: &CashDifference,
    outcome: &Outcome,
    correlation_id: Uuid,
) {
    let labels = [
        ("provider", stream.provider.slug()),
        ("currency", stream.currency.code()),
    ];
    // A gauge is a float; the exact amounts are in the event.
    let as_float = |money: &Money| money.amount().to_f64().unwrap_or(f64::NAN);
    metrics::gauge!("dropledger_reconciliation_difference", &labels)
        .set(as_float(&difference.total));
    metrics::gauge!("dropledger_reconciliation_as_of_timestamp_seconds", &labels)
        .set(reported.as_of_time.timestamp() as f64);
    let as_of_time = reported.as_of_time.to_rfc3339();
    match outcome {
        Outcome::Recorded(ReconciliationEvent::CashReconciled { .. }) => tracing::info!(
            %as_of_time,
            total = %reported.total,
            "PayPal's balance agrees with the ledger: CashReconciled"
        ),
        Outcome::Recorded(ReconciliationEvent::CashDifferenceFound { .. }) => {
            metrics::counter!("dropledger_reconciliation_differences_total", &labels).increment(1);
            // The correlation id again, for logs filtered to warnings (the
            // span is at info level): it finds the event in `auditTrail`.
            tracing::warn!(
                %correlation_id,
                %as_of_time,
                difference_total = %difference.total,
                difference_available = %difference.available,
                difference_pending = %difference.pending,
                provider_total = %reported.total,
                provider_available = %reported.available,
                provider_withheld = %reported.withheld,
                ledger_available = %ledger.available,
                ledger_pending = %ledger.pending,
                "PayPal's balance differs from the ledger (provider minus ledger): CashDifferenceFound, for review"
            );
        }
        Outcome::AlreadyRecorded => tracing::debug!(
            %as_of_time,
            "this PayPal balance snapshot was reconciled already"
        ),
        Outcome::Stale => tracing::info!(
            %as_of_time,
            "PayPal answered with a snapshot older than one reconciled: nothing recorded"
        ),
    }
}
