//! The cash-reconciliation aggregate: one stream per provider account and
//! currency, remembering the provider snapshots it has recorded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::stream::{CashProvider, ReconciliationStream};
use super::types::{CashDifference, LedgerCash, ProviderCashBalance};
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::money::{Currency, Money, MoneyError};

/// What may be asked of a reconciliation stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconciliationCommand {
    /// Compare what the provider reported with what the ledger says as of
    /// the provider's `as_of_time`, and record the outcome.
    ReconcileCash {
        /// The provider's balance, as reported.
        reported: ProviderCashBalance,
        /// The ledger's cash at the provider as of `reported.as_of_time`.
        ledger: LedgerCash,
        /// When the job compared them (our clock).
        checked_at: DateTime<Utc>,
    },
}

/// What a reconciliation recorded. Neither event moves money.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", try_from = "wire::ReconciliationEventWire")]
pub enum ReconciliationEvent {
    /// The provider's balance agrees with the ledger, figure by figure.
    #[serde(rename = "CashReconciled")]
    CashReconciled {
        /// Whose balance.
        provider: CashProvider,
        /// Its currency (every amount is in it).
        currency: Currency,
        /// What the provider reported.
        reported: ProviderCashBalance,
        /// What the ledger said as of the same moment.
        ledger: LedgerCash,
        /// When the comparison was made.
        checked_at: DateTime<Utc>,
    },
    /// The provider's balance and the ledger disagree: for a person to review.
    #[serde(rename = "CashDifferenceFound")]
    CashDifferenceFound {
        /// Whose balance.
        provider: CashProvider,
        /// Its currency (every amount is in it).
        currency: Currency,
        /// What the provider reported.
        reported: ProviderCashBalance,
        /// What the ledger said as of the same moment.
        ledger: LedgerCash,
        /// Provider minus ledger, per figure; never all zero.
        difference: CashDifference,
        /// When the comparison was made.
        checked_at: DateTime<Utc>,
    },
}

impl ReconciliationEvent {
    /// The provider snapshot this event reconciled.
    pub fn reported(&self) -> &ProviderCashBalance {
        match self {
            ReconciliationEvent::CashReconciled { reported, .. }
            | ReconciliationEvent::CashDifferenceFound { reported, .. } => reported,
        }
    }

    /// Provider minus ledger (all zero for `CashReconciled`).
    pub fn difference(&self) -> CashDifference {
        match self {
            ReconciliationEvent::CashReconciled { currency, .. } => {
                let zero = Money::zero(*currency);
                CashDifference {
                    total: zero,
                    available: zero,
                    pending: zero,
                }
            }
            ReconciliationEvent::CashDifferenceFound { difference, .. } => *difference,
        }
    }
}

impl DomainEvent for ReconciliationEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            ReconciliationEvent::CashReconciled { .. } => "CashReconciled",
            ReconciliationEvent::CashDifferenceFound { .. } => "CashDifferenceFound",
        }
    }
}

/// Why a reconciliation was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconciliationError {
    /// An amount is not in the stream's currency.
    #[error("the {stream} stream reconciles {expected} only, got an amount in {found}")]
    CurrencyMismatch {
        /// The stream.
        stream: ReconciliationStream,
        /// Its currency.
        expected: Currency,
        /// The currency found.
        found: Currency,
    },
    /// The provider answered with a snapshot older than one already
    /// reconciled (a stale cache): comparing it now tells nothing new.
    #[error("the provider's balance is as of {as_of_time}, older than the snapshot of {latest} already reconciled")]
    StaleSnapshot {
        /// The snapshot's time.
        as_of_time: DateTime<Utc>,
        /// The latest snapshot time recorded.
        latest: DateTime<Utc>,
    },
    /// A difference is outside the range money may take.
    #[error("the difference cannot be computed: {0}")]
    Amount(MoneyError),
}

impl ErrorCode for ReconciliationError {
    fn code(&self) -> &'static str {
        match self {
            ReconciliationError::CurrencyMismatch { .. } | ReconciliationError::Amount(_) => {
                "INVALID_INPUT"
            }
            ReconciliationError::StaleSnapshot { .. } => "STALE_SNAPSHOT",
        }
    }
}

/// The reconciliations of one provider account and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashReconciliation {
    stream: ReconciliationStream,
    /// The snapshots recorded at the latest `as_of_time` (PayPal may revise
    /// a snapshot without moving its time; each revision is recorded once).
    latest: Vec<ProviderCashBalance>,
    /// The outcome of the last recorded reconciliation.
    last: Option<ReconciliationEvent>,
    recorded: u64,
}

impl CashReconciliation {
    /// Nothing reconciled yet on `stream`.
    pub fn new(stream: ReconciliationStream) -> Self {
        Self {
            stream,
            latest: Vec::new(),
            last: None,
            recorded: 0,
        }
    }

    /// The stream.
    pub fn stream(&self) -> ReconciliationStream {
        self.stream
    }

    /// The last recorded outcome, if any.
    pub fn last(&self) -> Option<&ReconciliationEvent> {
        self.last.as_ref()
    }

    /// How many reconciliations were recorded.
    pub fn recorded(&self) -> u64 {
        self.recorded
    }

    fn check_currency(&self, amounts: &[Money]) -> Result<(), ReconciliationError> {
        let expected = self.stream.currency;
        match amounts.iter().find(|money| money.currency() != expected) {
            Some(money) => Err(ReconciliationError::CurrencyMismatch {
                stream: self.stream,
                expected,
                found: money.currency(),
            }),
            None => Ok(()),
        }
    }
}

impl Aggregate for CashReconciliation {
    type Command = ReconciliationCommand;
    type Event = ReconciliationEvent;
    type Error = ReconciliationError;

    fn decide(
        &self,
        command: ReconciliationCommand,
    ) -> Result<Vec<ReconciliationEvent>, ReconciliationError> {
        let ReconciliationCommand::ReconcileCash {
            reported,
            ledger,
            checked_at,
        } = command;
        self.check_currency(&[
            reported.total,
            reported.available,
            reported.withheld,
            ledger.available,
            ledger.pending,
        ])?;
        // The same snapshot was reconciled already: a second job run, a
        // second server or a retry records nothing new.
        if self.latest.contains(&reported) {
            return Ok(Vec::new());
        }
        if let Some(latest) = self.latest.first() {
            if reported.as_of_time < latest.as_of_time {
                return Err(ReconciliationError::StaleSnapshot {
                    as_of_time: reported.as_of_time,
                    latest: latest.as_of_time,
                });
            }
        }
        let difference =
            CashDifference::between(&reported, &ledger).map_err(ReconciliationError::Amount)?;
        let (provider, currency) = (self.stream.provider, self.stream.currency);
        let event = if difference.is_zero() {
            ReconciliationEvent::CashReconciled {
                provider,
                currency,
                reported,
                ledger,
                checked_at,
            }
        } else {
            ReconciliationEvent::CashDifferenceFound {
                provider,
                currency,
                reported,
                ledger,
                difference,
                checked_at,
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut self, event: &ReconciliationEvent) -> CashReconciliation {
        let reported = *event.reported();
        match self.latest.first() {
            Some(latest) if latest.as_of_time == reported.as_of_time => self.latest.push(reported),
            Some(latest) if latest.as_of_time > reported.as_of_time => {}
            _ => self.latest = vec![reported],
        }
        self.last = Some(event.clone());
        self.recorded += 1;
        self
    }
}

/// The stored shape, checked on the way back: every amount in the event's
/// currency, and the difference the one its two sides give (zero for
/// `CashReconciled`, not zero for `CashDifferenceFound`).
mod wire {
    use super::*;

    #[derive(Deserialize)]
    #[serde(tag = "type", deny_unknown_fields)]
    pub(super) enum ReconciliationEventWire {
        CashReconciled {
            provider: CashProvider,
            currency: Currency,
            reported: ProviderCashBalance,
            ledger: LedgerCash,
            checked_at: DateTime<Utc>,
        },
        CashDifferenceFound {
            provider: CashProvider,
            currency: Currency,
            reported: ProviderCashBalance,
            ledger: LedgerCash,
            difference: CashDifference,
            checked_at: DateTime<Utc>,
        },
    }

    fn check(
        currency: Currency,
        reported: &ProviderCashBalance,
        ledger: &LedgerCash,
    ) -> Result<CashDifference, String> {
        let amounts = [
            reported.total,
            reported.available,
            reported.withheld,
            ledger.available,
            ledger.pending,
        ];
        if let Some(money) = amounts.iter().find(|m| m.currency() != currency) {
            return Err(format!("{money} in a {currency} reconciliation"));
        }
        CashDifference::between(reported, ledger).map_err(|error| error.to_string())
    }

    impl TryFrom<ReconciliationEventWire> for ReconciliationEvent {
        type Error = String;

        fn try_from(wire: ReconciliationEventWire) -> Result<Self, String> {
            match wire {
                ReconciliationEventWire::CashReconciled {
                    provider,
                    currency,
                    reported,
                    ledger,
                    checked_at,
                } => {
                    if !check(currency, &reported, &ledger)?.is_zero() {
                        return Err("CashReconciled whose figures differ".to_owned());
                    }
                    Ok(ReconciliationEvent::CashReconciled {
                        provider,
                        currency,
                        reported,
                        ledger,
                        checked_at,
                    })
                }
                ReconciliationEventWire::CashDifferenceFound {
                    provider,
                    currency,
                    reported,
                    ledger,
                    difference,
                    checked_at,
                } => {
                    let computed = check(currency, &reported, &ledger)?;
                    if computed.is_zero() || computed != difference {
                        return Err(format!(
                            "CashDifferenceFound whose difference {difference:?} is not its figures' {computed:?}"
                        ));
                    }
                    Ok(ReconciliationEvent::CashDifferenceFound {
                        provider,
                        currency,
                        reported,
                        ledger,
                        difference,
                        checked_at,
                    })
                }
            }
        }
    }
}
