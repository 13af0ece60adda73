//! How the API runs an autopilot cycle: the application (which owns the
//! provider clients and the trend source) implements [`AutopilotRunner`]
//! and installs it with `Services::with_autopilot`.

use dropledger_domain::{
    AutopilotError, CycleId, CycleTrigger, Opportunity, PublishedListing, UserId,
};
use futures::future::BoxFuture;
use uuid::Uuid;

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum CycleStatus {
    /// Still running (only in the read model).
    Running,
    /// Ended normally.
    Finished,
    /// Ended with an error, or abandoned by a process that died.
    Failed,
}

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
