//! The autopilot's cycle (discovery → scoring → products published for the
//! seller, see [`cycle`]), the schedule that runs it while enabled
//! ([`schedule`]), and the contract through which the API runs one
//! ([`runner`]).

mod cycle;
mod runner;
mod schedule;
mod supplier;

pub use cycle::{CycleRunner, EXTERNAL_ACTOR, SCHEDULE_ACTOR};
pub use runner::{AutopilotRunError, AutopilotRunner, CycleReport, CycleStatus};
pub use schedule::{run as run_schedule, SCHEDULE_TICK_MS};
pub use supplier::{DiscoveryError, Supplier, SupplierSession, TrendChoice};
