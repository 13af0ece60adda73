//! Typed queries over the read models: the only SQL other crates rely on.

pub(crate) mod audit;
pub(crate) mod commerce;
pub(crate) mod ledger;
pub(crate) mod reconciliation;
