//! Payouts of commission to the admin and of net profit to sellers.

mod command;
mod dispatch;
mod error;
mod event;
mod payee;
mod state;
#[cfg(test)]
mod tests;
mod types;

pub use command::{ConfirmPayout, FailPayout, FeeAllowance, PayoutCommand, ReservePayout};
pub use dispatch::{confirm_payout, fail_payout, reserve_payout, PayoutDecision};
pub use error::PayoutError;
pub use event::{PayoutEvent, PayoutEventType};
pub use payee::Payee;
pub use state::Payout;
pub use types::{
    PayoutDestination, PayoutEnvironment, PayoutFailureReason, PayoutReduction, PayoutStatus,
};
