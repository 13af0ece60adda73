//! What may be asked of the autopilot (its commands) and what happened to
//! it (its events).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scoring::{Candidate, FeeRule, Opportunity};
use super::settings::{AutopilotSettings, CycleId, CycleTrigger};
use crate::aggregate::DomainEvent;
use crate::ids::{ProductId, SupplierProductId, UserId};

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
