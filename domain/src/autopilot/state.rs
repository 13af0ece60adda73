//! The autopilot aggregate: one stream, `autopilot`, holding its
//! configuration and its cycles. Appending a cycle's start with the stream's
//! expected version is what keeps two servers from running cycles at once.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::AutopilotError;
use super::scoring::{score_candidates, Candidate, Decision, FeeRule, Opportunity};
use super::settings::{AutopilotSettings, CycleId, CycleTrigger};
use crate::aggregate::{Aggregate, DomainEvent};
use crate::ids::{ProductId, SupplierProductId, UserId};

/// How long a cycle may run before another may take over: a cycle whose
/// process died would otherwise block the autopilot for ever.
pub const CYCLE_LEASE_SECONDS: i64 = 15 * 60;

/// A product a cycle created and published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedListing {
    /// The supplier's product it sells.
    pub supplier_product_id: SupplierProductId,
    /// Our product.
    pub product_id: ProductId,
}

/// What may be asked of the autopilot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutopilotCommand {
    /// Set the configuration.
    Configure {
        /// The new configuration.
        settings: AutopilotSettings,
        /// When.
        configured_at: DateTime<Utc>,
    },
    /// Start a cycle.
    StartCycle {
        /// The new cycle's id.
        cycle_id: CycleId,
        /// Who or what asked.
        trigger: CycleTrigger,
        /// The seller its listings are for (the configured one, or the
        /// default seller resolved by the caller).
        seller: UserId,
        /// When.
        started_at: DateTime<Utc>,
    },
    /// Score what discovery found, with the supplier's current quotes.
    RecordOpportunities {
        /// The running cycle.
        cycle_id: CycleId,
        /// The trend source's name.
        source: String,
        /// The payment fee used to estimate margins.
        fee: FeeRule,
        /// The supplier's quotes.
        candidates: Vec<Candidate>,
        /// Supplier products that already have a listing outside the
        /// autopilot's own memory (e.g. listed by hand).
        already_listed: BTreeSet<SupplierProductId>,
        /// When.
        found_at: DateTime<Utc>,
    },
    /// Record the products created and published for the listed opportunities.
    RecordPublished {
        /// The running cycle.
        cycle_id: CycleId,
        /// The products.
        products: Vec<PublishedListing>,
        /// When.
        published_at: DateTime<Utc>,
    },
    /// End the cycle.
    FinishCycle {
        /// The running cycle.
        cycle_id: CycleId,
        /// When.
        finished_at: DateTime<Utc>,
    },
    /// End the cycle with an error.
    FailCycle {
        /// The running cycle.
        cycle_id: CycleId,
        /// What went wrong, for people.
        reason: String,
        /// When.
        failed_at: DateTime<Utc>,
    },
}

/// Something that happened to the autopilot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum AutopilotEvent {
    /// The configuration was set.
    #[serde(rename = "AutopilotConfigured")]
    AutopilotConfigured {
        /// The configuration.
        settings: AutopilotSettings,
        /// When.
        configured_at: DateTime<Utc>,
    },
    /// A cycle started.
    #[serde(rename = "AutopilotCycleStarted")]
    AutopilotCycleStarted {
        /// The cycle.
        cycle_id: CycleId,
        /// Who or what started it.
        trigger: CycleTrigger,
        /// The seller its listings are for.
        seller: UserId,
        /// The configuration it runs with.
        settings: AutopilotSettings,
        /// When.
        started_at: DateTime<Utc>,
    },
    /// Discovery's candidates, scored and decided.
    #[serde(rename = "AutopilotOpportunitiesFound")]
    AutopilotOpportunitiesFound {
        /// The cycle.
        cycle_id: CycleId,
        /// The trend source.
        source: String,
        /// The payment fee the margins assume.
        fee: FeeRule,
        /// Every candidate, best score first, with its decision.
        opportunities: Vec<Opportunity>,
        /// When.
        found_at: DateTime<Utc>,
    },
    /// The listed opportunities' products were created and published.
    #[serde(rename = "AutopilotProductsPublished")]
    AutopilotProductsPublished {
        /// The cycle.
        cycle_id: CycleId,
        /// The products.
        products: Vec<PublishedListing>,
        /// When.
        published_at: DateTime<Utc>,
    },
    /// The cycle ended.
    #[serde(rename = "AutopilotCycleFinished")]
    AutopilotCycleFinished {
        /// The cycle.
        cycle_id: CycleId,
        /// Candidates scored.
        found: u32,
        /// Candidates listed.
        listed: u32,
        /// Products published.
        published: u32,
        /// When.
        finished_at: DateTime<Utc>,
    },
    /// The cycle ended with an error (or was abandoned by a process that died).
    #[serde(rename = "AutopilotCycleFailed")]
    AutopilotCycleFailed {
        /// The cycle.
        cycle_id: CycleId,
        /// What went wrong.
        reason: String,
        /// When.
        failed_at: DateTime<Utc>,
    },
}

impl DomainEvent for AutopilotEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            AutopilotEvent::AutopilotConfigured { .. } => "AutopilotConfigured",
            AutopilotEvent::AutopilotCycleStarted { .. } => "AutopilotCycleStarted",
            AutopilotEvent::AutopilotOpportunitiesFound { .. } => "AutopilotOpportunitiesFound",
            AutopilotEvent::AutopilotProductsPublished { .. } => "AutopilotProductsPublished",
            AutopilotEvent::AutopilotCycleFinished { .. } => "AutopilotCycleFinished",
            AutopilotEvent::AutopilotCycleFailed { .. } => "AutopilotCycleFailed",
        }
    }
}

/// The cycle that is running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningCycle {
    /// Its id.
    pub cycle_id: CycleId,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// The seller its listings are for.
    pub seller: UserId,
    /// The configuration it runs with.
    pub settings: AutopilotSettings,
    /// Its scored candidates, once recorded.
    pub opportunities: Option<Vec<Opportunity>>,
    /// Its published products, once recorded.
    pub published: Option<Vec<PublishedListing>>,
}

impl RunningCycle {
    /// The opportunities it decided to list.
    pub fn listed(&self) -> impl Iterator<Item = &Opportunity> {
        self.opportunities
            .iter()
            .flatten()
            .filter(|o| o.decision == Decision::Listed)
    }
}

/// The autopilot as its events describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Autopilot {
    settings: Option<AutopilotSettings>,
    running: Option<RunningCycle>,
    last_started_at: Option<DateTime<Utc>>,
    ended: BTreeSet<CycleId>,
    listed: BTreeSet<SupplierProductId>,
}

impl Autopilot {
    /// The single stream of the autopilot.
    pub const STREAM_ID: &'static str = "autopilot";

    /// The stream id, `autopilot`.
    pub fn stream_id() -> String {
        Autopilot::STREAM_ID.to_owned()
    }

    /// The configuration in force, if set.
    pub fn settings(&self) -> Option<&AutopilotSettings> {
        self.settings.as_ref()
    }

    /// The running cycle, if any.
    pub fn running(&self) -> Option<&RunningCycle> {
        self.running.as_ref()
    }

    /// Supplier products the autopilot has listed.
    pub fn listed(&self) -> &BTreeSet<SupplierProductId> {
        &self.listed
    }

    /// Whether the schedule should start a cycle at `now`: enabled, nothing
    /// running, and the interval passed since the last cycle started.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        let Some(settings) = self.settings.as_ref().filter(|s| s.enabled()) else {
            return false;
        };
        let interval_passed = self.last_started_at.is_none_or(|last| {
            now - last >= Duration::seconds(i64::from(settings.interval_seconds()))
        });
        interval_passed && self.running.as_ref().is_none_or(|r| lease_expired(r, now))
    }

    fn running_cycle(&self, cycle_id: CycleId) -> Result<&RunningCycle, AutopilotError> {
        self.running
            .as_ref()
            .filter(|running| running.cycle_id == cycle_id)
            .ok_or(AutopilotError::CycleNotRunning(cycle_id))
    }

    fn start(
        &self,
        cycle_id: CycleId,
        trigger: CycleTrigger,
        seller: UserId,
        started_at: DateTime<Utc>,
    ) -> Result<Vec<AutopilotEvent>, AutopilotError> {
        let settings = self.settings.clone().ok_or(AutopilotError::NotConfigured)?;
        if self.ended.contains(&cycle_id) {
            return Err(AutopilotError::CycleAlreadyRan(cycle_id));
        }
        if self
            .running
            .as_ref()
            .is_some_and(|r| r.cycle_id == cycle_id)
        {
            // The same start again (a retried request): already done.
            return Ok(Vec::new());
        }
        if trigger == CycleTrigger::Schedule {
            if !settings.enabled() {
                return Err(AutopilotError::Disabled);
            }
            if !self.is_due(started_at) {
                return Err(AutopilotError::NotDue);
            }
        }
        let mut events = Vec::new();
        if let Some(running) = &self.running {
            if !lease_expired(running, started_at) {
                return Err(AutopilotError::CycleInProgress(running.cycle_id));
            }
            events.push(AutopilotEvent::AutopilotCycleFailed {
                cycle_id: running.cycle_id,
                reason: format!(
                    "abandoned: still running after {CYCLE_LEASE_SECONDS} seconds, so its process is taken to have died"
                ),
                failed_at: started_at,
            });
        }
        events.push(AutopilotEvent::AutopilotCycleStarted {
            cycle_id,
            trigger,
            seller,
            settings,
            started_at,
        });
        Ok(events)
    }

    /// Ends a cycle; ending one that already ended records nothing.
    fn end(
        &self,
        cycle_id: CycleId,
        event: impl FnOnce(&RunningCycle) -> AutopilotEvent,
    ) -> Result<Vec<AutopilotEvent>, AutopilotError> {
        if self.ended.contains(&cycle_id) {
            return Ok(Vec::new());
        }
        Ok(vec![event(self.running_cycle(cycle_id)?)])
    }
}

fn lease_expired(running: &RunningCycle, now: DateTime<Utc>) -> bool {
    now - running.started_at >= Duration::seconds(CYCLE_LEASE_SECONDS)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Aggregate for Autopilot {
    type Command = AutopilotCommand;
    type Event = AutopilotEvent;
    type Error = AutopilotError;

    fn decide(&self, command: AutopilotCommand) -> Result<Vec<AutopilotEvent>, AutopilotError> {
        match command {
            AutopilotCommand::Configure {
                settings,
                configured_at,
            } => {
                // Setting what is already in force records nothing.
                if self.settings.as_ref() == Some(&settings) {
                    return Ok(Vec::new());
                }
                Ok(vec![AutopilotEvent::AutopilotConfigured {
                    settings,
                    configured_at,
                }])
            }
            AutopilotCommand::StartCycle {
                cycle_id,
                trigger,
                seller,
                started_at,
            } => self.start(cycle_id, trigger, seller, started_at),
            AutopilotCommand::RecordOpportunities {
                cycle_id,
                source,
                fee,
                candidates,
                mut already_listed,
                found_at,
            } => {
                let running = self.running_cycle(cycle_id)?;
                if running.opportunities.is_some() {
                    return Ok(Vec::new());
                }
                already_listed.extend(self.listed.iter().cloned());
                let opportunities =
                    score_candidates(&candidates, &running.settings, &fee, &already_listed)?;
                Ok(vec![AutopilotEvent::AutopilotOpportunitiesFound {
                    cycle_id,
                    source,
                    fee,
                    opportunities,
                    found_at,
                }])
            }
            AutopilotCommand::RecordPublished {
                cycle_id,
                products,
                published_at,
            } => {
                let running = self.running_cycle(cycle_id)?;
                if running.published.is_some() {
                    return Ok(Vec::new());
                }
                for product in &products {
                    if !running
                        .listed()
                        .any(|o| o.supplier_product_id == product.supplier_product_id)
                    {
                        return Err(AutopilotError::NotListed(
                            product.supplier_product_id.clone(),
                        ));
                    }
                }
                Ok(vec![AutopilotEvent::AutopilotProductsPublished {
                    cycle_id,
                    products,
                    published_at,
                }])
            }
            AutopilotCommand::FinishCycle {
                cycle_id,
                finished_at,
            } => self.end(cycle_id, |running| AutopilotEvent::AutopilotCycleFinished {
                cycle_id,
                found: count(running.opportunities.as_ref().map_or(0, Vec::len)),
                listed: count(running.listed().count()),
                published: count(running.published.as_ref().map_or(0, Vec::len)),
                finished_at,
            }),
            AutopilotCommand::FailCycle {
                cycle_id,
                reason,
                failed_at,
            } => self.end(cycle_id, |_| AutopilotEvent::AutopilotCycleFailed {
                cycle_id,
                reason,
                failed_at,
            }),
        }
    }

    fn evolve(mut self, event: &AutopilotEvent) -> Autopilot {
        match event {
            AutopilotEvent::AutopilotConfigured { settings, .. } => {
                self.settings = Some(settings.clone());
            }
            AutopilotEvent::AutopilotCycleStarted {
                cycle_id,
                seller,
                settings,
                started_at,
                ..
            } => {
                self.last_started_at = Some(*started_at);
                self.running = Some(RunningCycle {
                    cycle_id: *cycle_id,
                    started_at: *started_at,
                    seller: *seller,
                    settings: settings.clone(),
                    opportunities: None,
                    published: None,
                });
            }
            AutopilotEvent::AutopilotOpportunitiesFound { opportunities, .. } => {
                self.listed.extend(
                    opportunities
                        .iter()
                        .filter(|o| o.decision == Decision::Listed)
                        .map(|o| o.supplier_product_id.clone()),
                );
                if let Some(running) = self.running.as_mut() {
                    running.opportunities = Some(opportunities.clone());
                }
            }
            AutopilotEvent::AutopilotProductsPublished { products, .. } => {
                if let Some(running) = self.running.as_mut() {
                    running.published = Some(products.clone());
                }
            }
            AutopilotEvent::AutopilotCycleFinished { cycle_id, .. }
            | AutopilotEvent::AutopilotCycleFailed { cycle_id, .. } => {
                self.ended.insert(*cycle_id);
                if self
                    .running
                    .as_ref()
                    .is_some_and(|r| r.cycle_id == *cycle_id)
                {
                    self.running = None;
                }
            }
        }
        self
    }
}
