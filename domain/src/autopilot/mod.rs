//! The autopilot: its configuration (enabled, interval, margin threshold,
//! markup rule, listings per cycle, seller) and its cycles (started, what
//! discovery found and why each candidate was or was not listed, what was
//! published, finished or failed), all in one stream, `autopilot`.
//!
//! Scoring is pure ([`score_candidates`]): the application brings the
//! supplier's quotes as [`Candidate`]s and the domain prices, scores and
//! decides each one.

mod error;
mod messages;
mod scoring;
mod settings;
mod state;
#[cfg(test)]
mod tests;

pub use error::AutopilotError;
pub use messages::{AutopilotCommand, AutopilotEvent, PublishedListing};
pub use scoring::{
    quote, score_candidates, Candidate, Decision, FeeRule, Opportunity, Quote, CANDIDATES_MAX,
};
pub use settings::{
    AutopilotSettings, CycleId, CycleTrigger, Markup, MarkupRule, PriceRounding,
    INTERVAL_SECONDS_MAX, INTERVAL_SECONDS_MIN, LISTINGS_PER_CYCLE_MAX, MARKUP_PERCENT_MAX,
};
pub use state::{Autopilot, RunningCycle, CYCLE_LEASE_SECONDS};
