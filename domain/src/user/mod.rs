//! Users: registration, roles and where their profit is paid.
//!
//! Passwords are deliberately not here: the event log is permanent, and a
//! credential (even hashed) in it could never be erased. Authentication keeps
//! its own table.

mod state;
#[cfg(test)]
mod tests;

pub use state::{Role, User, UserCommand, UserError, UserEvent};
