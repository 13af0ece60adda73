//! How the API runs an autopilot cycle: [`AutopilotRunner`], implemented
//! by the [`super::CycleRunner`] the application builds (it owns the
//! provider clients and the trend source) and hands to the API.

use dropledger_domain::{
    AutopilotError, CycleId, CycleTrigger, Opportunity, PublishedListing, UserId,
};
use futures::future::BoxFuture;

/// How a cycle ended (the read model's own states: a report is never `Running`).
pub use dropledger_projections::CycleStatus;
use uuid::Uuid;

/// What one cycle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleReport {
    /// The cycle.
    pub cycle_id: CycleId,
    /// Who or what started it.
    pub trigger: CycleTrigger,
    /// The seller its listings are for.
    pub seller: UserId,
    /// Finished or failed.
    pub status: CycleStatus,
    /// The trend source asked.
    pub source: Option<String>,
    /// Every candidate scored, best first, with its decision.
    pub opportunities: Vec<Opportunity>,
    /// The products created and published.
    pub published: Vec<PublishedListing>,
    /// Why it failed.
    pub failure_reason: Option<String>,
}

/// Why a cycle did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutopilotRunError {
    /// The autopilot refused to start (not configured, a cycle running).
    #[error(transparent)]
    Refused(AutopilotError),
    /// No seller is configured and no user has a PayPal payout e-mail yet.
    #[error(
        "no seller: set sellerId with setAutopilot, or register a user with a PayPal payout e-mail"
    )]
    NoSeller,
    /// The store or the read model failed (logged; not shown to callers).
    #[error("{0}")]
    Internal(String),
}

/// Runs autopilot cycles; implemented by the application.
pub trait AutopilotRunner: Send + Sync {
    /// Runs one cycle now: discover, score, create and publish, record.
    /// Events carry `correlation_id` and `trigger`'s actor. With a
    /// `cycle_id` given (derived from an idempotency key), a cycle of that
    /// id that already ran is not run again: its report is returned.
    fn run_cycle(
        &self,
        trigger: CycleTrigger,
        correlation_id: Uuid,
        cycle_id: Option<CycleId>,
    ) -> BoxFuture<'_, Result<CycleReport, AutopilotRunError>>;
}
