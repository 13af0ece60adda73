//! Why the autopilot refused a command.

use rust_decimal::Decimal;

use super::settings::{
    CycleId, INTERVAL_SECONDS_MAX, INTERVAL_SECONDS_MIN, LISTINGS_PER_CYCLE_MAX, MARKUP_PERCENT_MAX,
};
use crate::aggregate::ErrorCode;
use crate::ids::SupplierProductId;
use crate::money::MoneyError;

/// Why an autopilot command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutopilotError {
    /// The interval is outside its bounds.
    #[error("the interval is {INTERVAL_SECONDS_MIN} to {INTERVAL_SECONDS_MAX} seconds, got {0}")]
    InvalidInterval(u32),
    /// The listing limit is outside its bounds.
    #[error("a cycle lists 1 to {LISTINGS_PER_CYCLE_MAX} products, got {0}")]
    InvalidListingLimit(u32),
    /// The markup is not above 0, too large or too precise.
    #[error("the markup is above 0 and at most {MARKUP_PERCENT_MAX} percent, with at most two decimal places, got {0}")]
    InvalidMarkup(Decimal),
    /// Nothing configured yet: set the autopilot first.
    #[error("the autopilot is not configured: set it first (setAutopilot)")]
    NotConfigured,
    /// The schedule asked for a cycle while the autopilot is disabled.
    #[error("the autopilot is disabled")]
    Disabled,
    /// The schedule asked for a cycle before the interval passed.
    #[error("the next scheduled cycle is not due yet")]
    NotDue,
    /// Another cycle is running; one runs at a time.
    #[error("cycle {0} is still running; one cycle runs at a time")]
    CycleInProgress(CycleId),
    /// The cycle is not the one running (never started, or already over).
    #[error("cycle {0} is not running")]
    CycleNotRunning(CycleId),
    /// This cycle id was used by a cycle that is over.
    #[error("cycle {0} already ran")]
    CycleAlreadyRan(CycleId),
    /// More candidates than one cycle scores.
    #[error("a cycle scores at most {max} candidates, got {count}", max = super::CANDIDATES_MAX)]
    TooManyCandidates {
        /// How many were given.
        count: usize,
    },
    /// A candidate's prices cannot be scored (mixed currencies, not positive).
    #[error("candidate {supplier_product_id} cannot be priced: {reason}")]
    UnpriceableCandidate {
        /// The supplier's product.
        supplier_product_id: SupplierProductId,
        /// Why.
        reason: MoneyError,
    },
    /// A published product does not match a listed opportunity of the cycle.
    #[error("{0} was not listed by this cycle")]
    NotListed(SupplierProductId),
}

impl ErrorCode for AutopilotError {
    fn code(&self) -> &'static str {
        match self {
            AutopilotError::InvalidInterval(_)
            | AutopilotError::InvalidListingLimit(_)
            | AutopilotError::InvalidMarkup(_)
            | AutopilotError::TooManyCandidates { .. }
            | AutopilotError::UnpriceableCandidate { .. } => "INVALID_INPUT",
            AutopilotError::NotConfigured => "NOT_CONFIGURED",
            AutopilotError::Disabled | AutopilotError::NotDue | AutopilotError::NotListed(_) => {
                "INVALID_STATE"
            }
            AutopilotError::CycleInProgress(_) => "CYCLE_IN_PROGRESS",
            AutopilotError::CycleNotRunning(_) | AutopilotError::CycleAlreadyRan(_) => {
                "INVALID_STATE"
            }
        }
    }
}
