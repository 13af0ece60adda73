//! Payouts of commission to the admin and of net profit to sellers.

mod dispatch;
mod error;
mod payee;
mod state;
#[cfg(test)]
mod tests;
mod types;

pub use dispatch::{confirm_payout, fail_payout, reserve_payout, PayoutDecision};
pub use error::PayoutError;
pub use payee::Payee;
pub use state::{
    ConfirmPayout, FailPayout, FeeAllowance, Payout, PayoutCommand, PayoutEvent, ReservePayout,
};
pub use types::{PayoutDestination, PayoutEnvironment, PayoutFailureReason, PayoutStatus};
