//! The projections: their names, schemas and tables, and how a batch is applied.

use sqlx::PgConnection;

use crate::decode::Decoded;
use crate::{audit, autopilot, commerce, ledger, reconciliation};

/// A read model that follows the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Projection {
    /// Account balances, ledger lines with running balances, holds, the
    /// last line position per recorded time, and cash reconciliations.
    Ledger,
    /// Products, orders, sales and payouts.
    Commerce,
    /// Every event's metadata.
    Audit,
    /// The autopilot's configuration, cycles and opportunities.
    Autopilot,
}

/// What a rebuild keeps between batches of one projection.
#[derive(Default)]
pub(crate) struct Cache {
    pub(crate) ledger: ledger::LedgerFold,
    commerce: commerce::Touched,
}

/// Why a batch could not be applied.
#[derive(Debug)]
pub(crate) enum ApplyError {
    /// The event at this index of the batch cannot be applied; nothing of the
    /// batch was written.
    Event {
        index: usize,
        reason: String,
    },
    Database(sqlx::Error),
}

impl From<sqlx::Error> for ApplyError {
    fn from(error: sqlx::Error) -> Self {
        ApplyError::Database(error)
    }
}

impl Projection {
    /// Every projection, in the order a rebuild builds them.
    pub const ALL: [Projection; 4] = [
        Projection::Ledger,
        Projection::Commerce,
        Projection::Audit,
        Projection::Autopilot,
    ];

    /// The projection's name, as in the status and `--projection NAME`.
    pub fn name(self) -> &'static str {
        match self {
            Projection::Ledger => "ledger",
            Projection::Commerce => "commerce",
            Projection::Audit => "audit",
            Projection::Autopilot => "autopilot",
        }
    }

    /// The projection called `name`.
    pub fn named(name: &str) -> Option<Projection> {
        Projection::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The schema that holds its live tables.
    pub fn schema(self) -> &'static str {
        match self {
            Projection::Ledger => "projection_ledger",
            Projection::Commerce => "projection_commerce",
            Projection::Audit => "projection_audit",
            Projection::Autopilot => "projection_autopilot",
        }
    }

    /// Its tables, each with the columns that order its rows uniquely (for
    /// comparing two builds table by table).
    pub fn tables(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Projection::Ledger => &[
                ("account_balance", "account, currency"),
                ("ledger_line", "account, currency, position"),
                ("ledger_hold", "hold_id"),
                ("ledger_recorded", "recorded_at"),
                ("cash_reconciliation", "position"),
            ],
            Projection::Commerce => &[
                ("product", "product_id"),
                ("shop_order", "order_id"),
                ("sale", "sale_id"),
                ("payout", "payout_id"),
            ],
            Projection::Audit => &[("audit_record", "position")],
            Projection::Autopilot => &[
                ("autopilot_config", "id"),
                ("autopilot_cycle", "cycle_id"),
                ("autopilot_opportunity", "seq"),
                ("autopilot_seller_candidate", "user_id"),
            ],
        }
    }

    /// The advisory lock key its runner holds.
    pub(crate) fn lock_key(self) -> i64 {
        // "dlproj" followed by a small number per projection.
        0x646c_7072_6f6a_0000
            + match self {
                Projection::Ledger => 1,
                Projection::Commerce => 2,
                Projection::Audit => 3,
                Projection::Autopilot => 4,
            }
    }

    /// Applies a batch (in log order) to the tables in `schema`, within the
    /// caller's transaction. Either the whole batch is written or, when an
    /// event cannot be applied, nothing.
    pub(crate) async fn apply(
        self,
        connection: &mut PgConnection,
        schema: &str,
        events: &[Decoded],
    ) -> Result<(), ApplyError> {
        self.apply_cached(connection, schema, events, None).await
    }

    /// [`Projection::apply`] keeping documents in `cache` between batches:
    /// only for a writer that no one else writes beside (a rebuild's shadow).
    /// Some rows may stay unwritten until [`Projection::flush_cached`].
    pub(crate) async fn apply_cached(
        self,
        connection: &mut PgConnection,
        schema: &str,
        events: &[Decoded],
        cache: Option<&mut Cache>,
    ) -> Result<(), ApplyError> {
        match self {
            Projection::Ledger => {
                match cache {
                    Some(cache) => cache.ledger.fold(events)?.write(connection, schema).await?,
                    None => ledger::apply(connection, schema, events).await?,
                }
                reconciliation::apply(connection, schema, events).await
            }
            Projection::Commerce => {
                let cache = cache.map(|cache| &mut cache.commerce);
                commerce::apply(connection, schema, events, cache).await
            }
            Projection::Audit => audit::apply(connection, schema, events).await,
            Projection::Autopilot => autopilot::apply(connection, schema, events).await,
        }
    }

    /// Writes what [`Projection::apply_cached`] left in `cache` unwritten.
    pub(crate) async fn flush_cached(
        self,
        connection: &mut PgConnection,
        schema: &str,
        cache: &mut Cache,
    ) -> Result<(), sqlx::Error> {
        match self {
            Projection::Ledger => ledger::flush(connection, schema, &mut cache.ledger).await,
            Projection::Commerce => commerce::flush(connection, schema, &mut cache.commerce).await,
            Projection::Audit | Projection::Autopilot => Ok(()),
        }
    }
}
