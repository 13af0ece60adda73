//! Working capital: one stream per currency holding the platform's cash,
//! its holds, and every cash movement with its postings.

mod command;
mod denial;
mod dispute;
mod error;
mod event;
mod rules;
mod sale_refund;
mod state;
mod supplier;
#[cfg(test)]
mod tests;

pub use command::{CapitalCommand, CaptureStatus, HoldPurpose};
pub use error::CapitalError;
pub use event::{CapitalEvent, CapitalEventType};
pub use state::WorkingCapital;
