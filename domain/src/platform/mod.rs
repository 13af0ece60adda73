//! Platform configuration: the commission rate and the admin's payout e-mail.

mod state;
#[cfg(test)]
mod tests;

pub use state::{PlatformCommand, PlatformConfig, PlatformError, PlatformEvent};
