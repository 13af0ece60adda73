//! The ledger of a rebuild: folded in memory, written as it is folded.
//!
//! A rebuild is the only writer of its shadow tables and starts from empty
//! ones, so it keeps every balance and every open hold in memory and never
//! reads the shadow back: folding a batch needs no connection, and a batch
//! can be folded while the one before is being copied. Balances, holds and
//! recorded times are written at the end ([`flush`]); lines, and holds
//! closed long ago that are no longer kept, as they are folded.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{
    copy_lines, effects, encode_lines, fold, last_recorded, write_balances, write_holds,
    write_recorded, AccountKey, Books, HoldRow, Totals, LINE_COLUMNS,
};
use crate::copy::CopyRows;
use crate::decode::Decoded;
use crate::projection::ApplyError;

/// Holds kept in memory at most; past it, the closed ones are written and
/// only their ids kept (a hold is closed once: it is never needed again but
/// to refuse closing or placing it again).
const HOLDS_KEPT_MAX: usize = 500_000;

/// Recorded times kept in memory at most; past it, they are written.
const RECORDED_KEPT_MAX: usize = 100_000;

/// Holds written per statement when known holds are updated.
const FLUSH_HOLDS_MAX: usize = 5_000;

/// Columns of a `ledger_hold` row.
const HOLD_COLUMNS: i16 = 12;

/// A rebuild's books, kept between batches.
pub(crate) struct LedgerFold {
    /// Holds kept in memory at most (`HOLDS_KEPT_MAX`).
    holds_kept_max: usize,
    balances: HashMap<AccountKey, (Totals, i64)>,
    holds: HashMap<Uuid, HoldRow>,
    /// Closed holds written and no longer kept.
    closed_long_ago: HashSet<Uuid>,
    /// Kept holds placed or closed since they were last written.
    unwritten: Vec<Uuid>,
    /// The greatest line position of each recorded time not written yet.
    recorded: BTreeMap<DateTime<Utc>, i64>,
}

impl Default for LedgerFold {
    fn default() -> LedgerFold {
        LedgerFold {
            holds_kept_max: HOLDS_KEPT_MAX,
            balances: HashMap::new(),
            holds: HashMap::new(),
            closed_long_ago: HashSet::new(),
            unwritten: Vec::new(),
            recorded: BTreeMap::new(),
        }
    }
}

/// What one folded batch writes.
pub(crate) struct LedgerRows {
    lines: CopyRows,
    /// Closed holds that are no longer kept.
    holds: CopyRows,
    recorded: BTreeMap<DateTime<Utc>, i64>,
}

impl LedgerFold {
    /// Folds a batch (in log order) into the books and returns what to write;
    /// an event that cannot be applied fails the batch.
    pub(crate) fn fold(&mut self, events: &[Decoded]) -> Result<LedgerRows, ApplyError> {
        let (effects, _, _) = effects(events);
        let mut books = Books {
            balances: &mut self.balances,
            holds: &mut self.holds,
            closed_long_ago: &self.closed_long_ago,
            placed: Vec::new(),
            closed: Vec::new(),
        };
        let lines = fold(events, effects, &mut books)?;
        let (placed, closed) = (books.placed, books.closed);
        self.unwritten.extend(placed);
        self.unwritten.extend(closed);
        for (at, position) in last_recorded(&lines) {
            let last = self.recorded.entry(at).or_insert(position);
            *last = (*last).max(position);
        }
        let mut rows = LedgerRows {
            lines: CopyRows::new(LINE_COLUMNS),
            holds: CopyRows::new(HOLD_COLUMNS),
            recorded: BTreeMap::new(),
        };
        encode_lines(&mut rows.lines, &lines);
        if self.holds.len() > self.holds_kept_max {
            self.let_closed_holds_go(&mut rows.holds);
        }
        if self.recorded.len() > RECORDED_KEPT_MAX {
            rows.recorded = std::mem::take(&mut self.recorded);
        }
        Ok(rows)
    }

    /// Moves the closed holds never written out of memory, into `rows`.
    fn let_closed_holds_go(&mut self, rows: &mut CopyRows) {
        let closed: Vec<Uuid> = self
            .holds
            .iter()
            .filter(|(_, hold)| hold.status != "OPEN" && !hold.written)
            .map(|(id, _)| *id)
            .collect();
        for id in closed {
            if let Some(hold) = self.holds.remove(&id) {
                encode_hold(rows, id, &hold);
                self.closed_long_ago.insert(id);
            }
        }
    }
}

impl LedgerRows {
    /// Writes a folded batch's rows into the tables of `schema`.
    pub(crate) async fn write(
        self,
        connection: &mut PgConnection,
        schema: &str,
    ) -> Result<(), sqlx::Error> {
        copy_lines(connection, schema, self.lines).await?;
        copy_holds(connection, schema, self.holds).await?;
        write_recorded(connection, schema, &self.recorded).await
    }
}

/// Writes what the books hold unwritten: every balance, the holds placed or
/// closed since they were last written, the recorded times.
pub(crate) async fn flush(
    connection: &mut PgConnection,
    schema: &str,
    books: &mut LedgerFold,
) -> Result<(), sqlx::Error> {
    write_balances(connection, schema, &books.balances).await?;
    write_recorded(connection, schema, &std::mem::take(&mut books.recorded)).await?;
    let mut unwritten = std::mem::take(&mut books.unwritten);
    unwritten.sort_unstable();
    unwritten.dedup();
    // Holds the shadow has no row for yet (nearly all: a hold is written
    // once, at the end) are appended with one COPY; the others were written
    // by an earlier flush (before a rebuild's last catch-up) and are updated.
    let (new, known): (Vec<Uuid>, Vec<Uuid>) = unwritten
        .into_iter()
        .filter(|id| books.holds.contains_key(id))
        .partition(|id| !books.holds[id].written);
    let mut rows = CopyRows::new(HOLD_COLUMNS);
    for id in &new {
        encode_hold(&mut rows, *id, &books.holds[id]);
    }
    copy_holds(connection, schema, rows).await?;
    for ids in known.chunks(FLUSH_HOLDS_MAX) {
        write_holds(connection, schema, &books.holds, &[], ids).await?;
    }
    for id in new {
        if let Some(hold) = books.holds.get_mut(&id) {
            hold.written = true;
        }
    }
    Ok(())
}

fn encode_hold(rows: &mut CopyRows, id: Uuid, hold: &HoldRow) {
    rows.row();
    rows.uuid(id);
    rows.text(hold.purpose);
    rows.optional_uuid(hold.order_id);
    rows.optional_uuid(hold.payout_id);
    rows.text(&hold.debit);
    rows.text(&hold.credit);
    rows.numeric(hold.amount);
    rows.text(hold.currency);
    // As the runner binds it.
    rows.time_truncated(hold.placed_at);
    rows.text(hold.status);
    rows.int8(hold.placed_position);
    rows.optional_int8(hold.closed_position);
}

async fn copy_holds(
    connection: &mut PgConnection,
    schema: &str,
    rows: CopyRows,
) -> Result<(), sqlx::Error> {
    rows.copy_into(
        connection,
        &format!(
            "{schema}.ledger_hold (hold_id, purpose, order_id, payout_id, debit_account, \
             credit_account, amount, currency, placed_at, status, placed_position, \
             closed_position)"
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use dropledger_domain::{
        Account, CapitalEvent, Currency, Hold, HoldId, HoldPurpose, Money, OrderId,
    };
    use dropledger_eventstore::{LoggedEvent, Metadata, RecordedEvent};

    use crate::decode::Known;

    fn hold(id: u128) -> Hold {
        Hold::new(
            HoldId::from_uuid(Uuid::from_u128(id)),
            Account::CashAvailable,
            Account::GoodsInTransit,
            Money::from_minor_units(1_250, Currency::parse("USD").unwrap()).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap(),
        )
        .unwrap()
    }

    fn event(position: u64, known: CapitalEvent) -> Decoded {
        let event_type = match &known {
            CapitalEvent::HoldPlaced { .. } => "HoldPlaced",
            _ => "HoldVoided",
        };
        Decoded {
            logged: LoggedEvent {
                position,
                event: RecordedEvent {
                    event_id: Uuid::from_u128(u128::from(position)),
                    stream_id: "capital-USD".into(),
                    stream_version: position,
                    event_type: event_type.into(),
                    schema_version: 1,
                    payload: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
                    metadata: Metadata {
                        correlation_id: Uuid::from_u128(1),
                        causation_id: None,
                        actor: "system:test".into(),
                        command_id: None,
                    },
                    recorded_at: Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap(),
                },
            },
            known: Ok(Known::Capital(known)),
        }
    }

    fn placed(position: u64, id: u128) -> Decoded {
        let purpose = HoldPurpose::Purchase {
            order_id: OrderId::from_uuid(Uuid::from_u128(id)),
        };
        event(
            position,
            CapitalEvent::HoldPlaced {
                purpose,
                hold: hold(id),
            },
        )
    }

    fn voided(position: u64, id: u128) -> Decoded {
        let purpose = HoldPurpose::Purchase {
            order_id: OrderId::from_uuid(Uuid::from_u128(id)),
        };
        event(
            position,
            CapitalEvent::HoldVoided {
                purpose,
                hold: hold(id),
                voided_at: Utc.with_ymd_and_hms(2026, 11, 26, 2, 1, 0).unwrap(),
            },
        )
    }

    fn refusal(result: Result<LedgerRows, ApplyError>) -> String {
        match result {
            Err(ApplyError::Event { reason, .. }) => reason,
            Err(ApplyError::Database(error)) => panic!("a database error: {error}"),
            Ok(_) => panic!("the batch was applied"),
        }
    }

    #[test]
    fn a_closed_hold_let_go_for_memory_is_written_and_still_cannot_be_placed_or_closed_again() {
        let mut books = LedgerFold {
            holds_kept_max: 1,
            ..LedgerFold::default()
        };
        let rows = books
            .fold(&[placed(1, 7), placed(2, 8), voided(3, 7)])
            .unwrap();
        assert_eq!(rows.holds.rows(), 1, "the voided hold is written");
        assert_eq!(books.holds.len(), 1, "only the open hold is kept");
        assert_eq!(
            refusal(books.fold(&[placed(4, 7)])),
            format!("hold {} is placed twice", Uuid::from_u128(7))
        );
        assert_eq!(
            refusal(books.fold(&[voided(4, 7)])),
            format!("hold {} is voided but not open", Uuid::from_u128(7))
        );
        // The open hold is kept and still closes.
        assert_eq!(books.fold(&[voided(4, 8)]).unwrap().holds.rows(), 0);
    }
}
