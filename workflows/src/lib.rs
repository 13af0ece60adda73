//! Every business workflow of dropledger, each in one place, over the event
//! store and the provider clients: what happens when a customer pays, when
//! an order is bought, sold and paid out, when cash settles, when the
//! supplier ships, when the books are reconciled, and what the autopilot
//! does. The API (`dropledger-graphql`) and the process managers (started by
//! the application) call the same functions.
//!
//! Where to start: [`command`] (the one path for "an aggregate and its
//! working capital" decisions and the ids a reaction derives), [`follow`]
//! (how a process manager follows the log), then one workflow:
//! [`payment`] (checkout, capture, refund), [`capital`], [`Fulfilment`], [`Sales`],
//! [`Payouts`], [`settlement`] (and [`CaptureSettlement`], what PayPal's
//! webhooks report), [`dispute_poll`], [`Tracking`], [`Reconciliation`],
//! [`autopilot`].

pub mod autopilot;
pub mod capital;
pub mod command;
mod current;
pub mod dispute_poll;
mod error;
pub mod follow;
mod fulfilment;
mod mode;
mod order;
pub mod payment;
mod payout;
mod paypal_webhook;
pub mod reconciliation;
mod sale;
pub mod settlement;
mod supplier_cancel;
mod tracking;

pub use error::StoreFault;
pub use fulfilment::Fulfilment;
pub use mode::Mode;
pub use order::{load_order, load_order_as_of, OrderRecord};
pub use payout::Payouts;
pub use paypal_webhook::CaptureSettlement;
pub use reconciliation::Reconciliation;
pub use sale::Sales;
pub use tracking::{Tracking, AWAITING_TRACKING, TRACKING_POLL_INTERVAL_MS};
