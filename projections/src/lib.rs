//! Read models of dropledger, built from the event log and rebuildable at any time.
//!
//! Four projections follow the log, each in a PostgreSQL schema of its own
//! with a checkpoint in `projection_checkpoint`:
//!
//! | projection | tables | serves |
//! |---|---|---|
//! | `ledger` | `account_balance`, `ledger_line`, `ledger_hold`, `ledger_recorded`, `cash_reconciliation` | accounts, balances (now and as of a position, effective or recorded time), trial balance, general ledger, working capital, cash reconciliations |
//! | `commerce` | `product`, `shop_order`, `sale`, `payout` | products, orders, sales, payouts |
//! | `audit` | `audit_record` | the audit trail |
//! | `autopilot` | `autopilot_config`, `autopilot_cycle`, `autopilot_opportunity`, `autopilot_seller_candidate` | the autopilot's configuration, cycles, opportunities and default seller |
//!
//! - [`Runner`] applies the log to one projection in batches, writing rows
//!   and checkpoint in one transaction, and only while it holds the
//!   projection's advisory lock; an event it cannot apply stops it there,
//!   recorded in the status.
//! - [`rebuild`] builds projections from position 0 into shadow schemas while
//!   readers keep reading, and swaps them in atomically.
//! - The query functions ([`orders_page`], [`working_capital`], [`balance_at`],
//!   [`trial_balance`], [`audit_trail`], [`projection_status`], …) are the only
//!   way other crates read these tables.

mod audit;
mod autopilot;
mod commerce;
mod consistency;
mod copy;
mod decode;
mod error;
mod ledger;
mod page;
mod projection;
mod query;
mod rebuild;
mod reconciliation;
mod runner;
mod status;

pub use autopilot::{
    autopilot_overview, default_seller, opportunities_page, registered_users_page,
    AutopilotConfigView, AutopilotOverview, CycleStatus, CycleView, OpportunityView,
};
pub use consistency::{projections_with_runner, wait_until_applied, ConsistencyError};
pub use error::{ProjectionError, QueryError};
pub use page::{Cursor, Page, PAGE_SIZE_MAX};
pub use projection::Projection;
pub use query::audit::{audit_trail, AuditFilter, AuditRecord};
pub use query::commerce::{
    open_work, order, orders_by_id, orders_page, payouts_page, products_page, sales_page, OpenWork,
    OrderFilter, OrderView, PayoutFilter, PayoutView, ProductFilter, ProductView, SaleFilter,
    SaleView,
};
pub use query::ledger::{
    account_balances, balance_at, general_ledger, trial_balance, working_capital, AccountView,
    AsOf, BalanceView, GeneralLedgerLine, WorkingCapitalView,
};
pub use query::reconciliation::{reconciliations_page, ReconciliationView};
pub use rebuild::{rebuild, rebuild_in_batches, RebuildPhase, RebuildProgress, RebuildReport};
pub use runner::{Runner, RunnerOptions, RUNNER_BATCH_EVENTS_MAX};
pub use status::{projection_status, ProjectionState, ProjectionStatus};
