//! The autopilot aggregate: one stream, `autopilot`, holding its
//! configuration and its cycles. Appending a cycle's start with the stream's
//! expected version is what keeps two servers from running cycles at once.

use std::collections::BTreeSet;

use super::error::AutopilotError;
use super::messages::{AutopilotCommand, AutopilotEvent, PublishedListing};
use super::scoring::{score_candidates, Candidate, Decision, FeeRule, Opportunity};
use super::settings::{AutopilotSettings, CycleId, CycleTrigger};
use crate::aggregate::Aggregate;
use crate::ids::{SupplierProductId, UserId};
use chrono::{DateTime, Duration, Utc};

/// How long a cycle may run before another may take over: a cycle whose
/// process died would otherwise block the autopilot for ever.
pub const CYCLE_LEASE_SECONDS: i64 = 15 * 60;

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

    /// Scores a running cycle's candidates, once: recording them again
    /// records nothing.
    fn record_opportunities(
        &self,
        cycle_id: CycleId,
        source: String,
        fee: FeeRule,
        candidates: &[Candidate],
        mut already_listed: BTreeSet<SupplierProductId>,
        found_at: DateTime<Utc>,
    ) -> Result<Vec<AutopilotEvent>, AutopilotError> {
        let running = self.running_cycle(cycle_id)?;
        if running.opportunities.is_some() {
            return Ok(Vec::new());
        }
        already_listed.extend(self.listed.iter().cloned());
        let opportunities = score_candidates(candidates, &running.settings, &fee, &already_listed)?;
        Ok(vec![AutopilotEvent::AutopilotOpportunitiesFound {
            cycle_id,
            source,
            fee,
            opportunities,
            found_at,
        }])
    }

    /// Records what a running cycle published, once; only products it
    /// decided to list may be published.
    fn record_published(
        &self,
        cycle_id: CycleId,
        products: Vec<PublishedListing>,
        published_at: DateTime<Utc>,
    ) -> Result<Vec<AutopilotEvent>, AutopilotError> {
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
                already_listed,
                found_at,
            } => self.record_opportunities(
                cycle_id,
                source,
                fee,
                &candidates,
                already_listed,
                found_at,
            ),
            AutopilotCommand::RecordPublished {
                cycle_id,
                products,
                published_at,
            } => self.record_published(cycle_id, products, published_at),
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
