//! The autopilot's read models, stored as JSON documents.

use chrono::{DateTime, Utc};
use dropledger_domain::{
    AutopilotSettings, CycleId, CycleTrigger, FeeRule, Opportunity, ProductId, UserId,
};
use serde::{Deserialize, Serialize};

/// The configuration in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutopilotConfigView {
    /// The settings.
    pub settings: AutopilotSettings,
    /// When they were set.
    pub configured_at: DateTime<Utc>,
}

/// Where a cycle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CycleStatus {
    /// Started, not yet ended.
    Running,
    /// Ended normally.
    Finished,
    /// Ended with an error, or abandoned.
    Failed,
}

impl CycleStatus {
    /// The status as stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            CycleStatus::Running => "RUNNING",
            CycleStatus::Finished => "FINISHED",
            CycleStatus::Failed => "FAILED",
        }
    }
}

/// One cycle and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleView {
    /// The cycle.
    pub cycle_id: CycleId,
    /// Who or what started it.
    pub trigger: CycleTrigger,
    /// The seller its listings are for.
    pub seller: UserId,
    /// Where it is.
    pub status: CycleStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished or failed.
    pub ended_at: Option<DateTime<Utc>>,
    /// The trend source it asked, once it recorded what it found.
    pub source: Option<String>,
    /// Candidates scored.
    pub found: u32,
    /// Candidates listed.
    pub listed: u32,
    /// Products created and published.
    pub published: Vec<ProductId>,
    /// Why it failed.
    pub failure_reason: Option<String>,
}

/// One opportunity a cycle scored, with its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityView {
    /// The cycle that found it.
    pub cycle_id: CycleId,
    /// Where discovery found it.
    pub source: String,
    /// When it was scored.
    pub found_at: DateTime<Utc>,
    /// The payment fee its margin assumes.
    pub fee: FeeRule,
    /// Its inputs, score and decision.
    pub opportunity: Opportunity,
    /// The product published for it, when listed.
    pub product_id: Option<ProductId>,
}
