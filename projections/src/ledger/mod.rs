//! The ledger projection: balances per account and currency, one line per
//! (event, account) with running balances, and the holds.
//!
//! Events carry their postings, so nothing here knows a business rule: the
//! ledger effect of each event is summed. A batch loads the balances and
//! holds it touches, applies its events in memory — refusing, like the
//! domain's `Balances`, a hold posted or voided that is not open — and writes
//! everything back with one multi-row statement per table.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use dropledger_domain::{Hold, Side};
use rust_decimal::Decimal;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::copy::CopyRows;
use crate::decode::Decoded;
use crate::projection::ApplyError;

mod effect;
mod rebuild;

use effect::{effects, purpose_columns, Effects, HoldChange};

pub(crate) use rebuild::{flush, LedgerFold, LedgerRows};

/// Posted and pending debits and credits: the four totals of an account.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Totals {
    pub(crate) debits_posted: Decimal,
    pub(crate) credits_posted: Decimal,
    pub(crate) debits_pending: Decimal,
    pub(crate) credits_pending: Decimal,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.debits_posted += other.debits_posted;
        self.credits_posted += other.credits_posted;
        self.debits_pending += other.debits_pending;
        self.credits_pending += other.credits_pending;
    }
}

type AccountKey = (String, &'static str);

/// One event's change to one account.
struct Line {
    key: AccountKey,
    position: i64,
    event_type: String,
    entry_id: Option<Uuid>,
    hold_id: Option<Uuid>,
    effective_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    change: Totals,
    running: Totals,
}

/// A hold as the batch leaves it.
struct HoldRow {
    purpose: &'static str,
    order_id: Option<Uuid>,
    payout_id: Option<Uuid>,
    debit: String,
    credit: String,
    amount: Decimal,
    currency: &'static str,
    placed_at: DateTime<Utc>,
    status: &'static str,
    placed_position: i64,
    closed_position: Option<i64>,
    /// Whether the shadow table has a row for it (a rebuild's cache knows).
    written: bool,
}

/// The books a fold reads and moves on: balances and holds by id, and the
/// holds closed long ago that are no longer kept (a rebuild's; empty otherwise).
struct Books<'a> {
    balances: &'a mut HashMap<AccountKey, (Totals, i64)>,
    holds: &'a mut HashMap<Uuid, HoldRow>,
    closed_long_ago: &'a HashSet<Uuid>,
    /// Holds placed and holds closed by the batch.
    placed: Vec<Uuid>,
    closed: Vec<Uuid>,
}

/// Applies a batch's effects to the books in memory and returns its lines;
/// a hold placed twice, or closed when it is not open, fails the event.
fn fold(
    events: &[Decoded],
    effects: Effects<'_>,
    books: &mut Books<'_>,
) -> Result<Vec<Line>, ApplyError> {
    let mut lines: Vec<Line> = Vec::new();
    for (index, effect) in effects {
        let effect = effect.map_err(|reason| ApplyError::Event { index, reason })?;
        let event = &events[index];
        let position = event.position() as i64;
        let mut changes: BTreeMap<AccountKey, (Totals, Option<Uuid>)> = BTreeMap::new();
        match effect.hold {
            HoldChange::None => {}
            HoldChange::Place(purpose, hold) => {
                let id = hold.id().as_uuid();
                if books.holds.contains_key(&id) || books.closed_long_ago.contains(&id) {
                    return Err(ApplyError::Event {
                        index,
                        reason: format!("hold {id} is placed twice"),
                    });
                }
                pend(&mut changes, hold, Decimal::ONE);
                books.placed.push(id);
                let (purpose, order_id, payout_id) = purpose_columns(purpose);
                books.holds.insert(
                    id,
                    HoldRow {
                        purpose,
                        order_id,
                        payout_id,
                        debit: hold.debit().code(),
                        credit: hold.credit().code(),
                        amount: hold.amount().amount(),
                        currency: hold.amount().currency().code(),
                        placed_at: hold.placed_at(),
                        status: "OPEN",
                        placed_position: position,
                        closed_position: None,
                        written: false,
                    },
                );
            }
            HoldChange::Close(hold, status) => {
                let id = hold.id().as_uuid();
                let open = books.holds.get_mut(&id).filter(|row| row.status == "OPEN");
                let Some(row) = open else {
                    return Err(ApplyError::Event {
                        index,
                        reason: format!("hold {id} is {} but not open", status.to_lowercase()),
                    });
                };
                row.status = status;
                row.closed_position = Some(position);
                books.closed.push(id);
                pend(&mut changes, hold, Decimal::NEGATIVE_ONE);
            }
        }
        if let Some(entry) = effect.entry {
            for posting in entry.postings() {
                let key = (posting.account().code(), posting.amount().currency().code());
                let change = changes.entry(key).or_default();
                match posting.side() {
                    Side::Debit => change.0.debits_posted += posting.amount().amount(),
                    Side::Credit => change.0.credits_posted += posting.amount().amount(),
                }
            }
        }
        let entry_id = effect.entry.map(|entry| entry.id().as_uuid());
        for (key, (change, hold_id)) in changes {
            let running = books.balances.entry(key.clone()).or_default();
            running.0.add(&change);
            running.1 = position;
            lines.push(Line {
                key,
                position,
                event_type: event.recorded().event_type.clone(),
                entry_id,
                hold_id,
                effective_at: effect.effective_at,
                recorded_at: event.recorded().recorded_at,
                change,
                running: running.0,
            });
        }
    }
    Ok(lines)
}

/// Applies a batch to the ledger tables in `schema`: reads back the
/// balances and holds it touches, folds it, and writes lines, balances and
/// holds.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    schema: &str,
    events: &[Decoded],
) -> Result<(), ApplyError> {
    let (effects, accounts, hold_ids) = effects(events);
    let mut balances = load_balances(connection, schema, &accounts).await?;
    let mut holds = load_holds(connection, schema, &hold_ids).await?;
    let none = HashSet::new();
    let mut books = Books {
        balances: &mut balances,
        holds: &mut holds,
        closed_long_ago: &none,
        placed: Vec::new(),
        closed: Vec::new(),
    };
    let lines = fold(events, effects, &mut books)?;
    let (placed, closed) = (books.placed, books.closed);
    let mut rows = CopyRows::new(LINE_COLUMNS);
    encode_lines(&mut rows, &lines);
    copy_lines(connection, schema, rows).await?;
    write_recorded(connection, schema, &last_recorded(&lines)).await?;
    write_balances(connection, schema, &balances).await?;
    write_holds(connection, schema, &holds, &placed, &closed).await?;
    Ok(())
}

/// Adds (sign 1) or removes (sign −1) a hold's pending amounts.
fn pend(changes: &mut BTreeMap<AccountKey, (Totals, Option<Uuid>)>, hold: &Hold, sign: Decimal) {
    let currency = hold.amount().currency().code();
    let amount = hold.amount().amount() * sign;
    let debit = changes.entry((hold.debit().code(), currency)).or_default();
    debit.0.debits_pending += amount;
    debit.1 = Some(hold.id().as_uuid());
    let credit = changes.entry((hold.credit().code(), currency)).or_default();
    credit.0.credits_pending += amount;
    credit.1 = Some(hold.id().as_uuid());
}

fn currency_code(code: &str) -> &'static str {
    dropledger_domain::Currency::parse(code)
        .map(|currency| currency.code())
        .unwrap_or("???")
}

async fn load_balances(
    connection: &mut PgConnection,
    schema: &str,
    accounts: &[String],
) -> Result<HashMap<AccountKey, (Totals, i64)>, sqlx::Error> {
    let mut balances = HashMap::new();
    if accounts.is_empty() {
        return Ok(balances);
    }
    let rows = sqlx::query(&format!(
        "SELECT account, currency, debits_posted, credits_posted, debits_pending, \
         credits_pending, last_position FROM {schema}.account_balance WHERE account = ANY($1)"
    ))
    .bind(accounts)
    .fetch_all(&mut *connection)
    .await?;
    for row in rows {
        let currency: String = row.get(1);
        balances.insert(
            (row.get(0), currency_code(&currency)),
            (
                Totals {
                    debits_posted: row.get(2),
                    credits_posted: row.get(3),
                    debits_pending: row.get(4),
                    credits_pending: row.get(5),
                },
                row.get(6),
            ),
        );
    }
    Ok(balances)
}

async fn load_holds(
    connection: &mut PgConnection,
    schema: &str,
    hold_ids: &[Uuid],
) -> Result<HashMap<Uuid, HoldRow>, sqlx::Error> {
    let mut holds = HashMap::new();
    if hold_ids.is_empty() {
        return Ok(holds);
    }
    let rows = sqlx::query(&format!(
        "SELECT hold_id, purpose, order_id, payout_id, debit_account, credit_account, amount, \
         currency, placed_at, status, placed_position, closed_position \
         FROM {schema}.ledger_hold WHERE hold_id = ANY($1)"
    ))
    .bind(hold_ids)
    .fetch_all(&mut *connection)
    .await?;
    for row in rows {
        let purpose: String = row.get(1);
        let currency: String = row.get(7);
        let status: String = row.get(9);
        holds.insert(
            row.get(0),
            HoldRow {
                purpose: match purpose.as_str() {
                    "PURCHASE" => "PURCHASE",
                    "PAYOUT" => "PAYOUT",
                    _ => "PAYOUT_FEE",
                },
                order_id: row.get(2),
                payout_id: row.get(3),
                debit: row.get(4),
                credit: row.get(5),
                amount: row.get(6),
                currency: currency_code(&currency),
                placed_at: row.get(8),
                status: match status.as_str() {
                    "OPEN" => "OPEN",
                    "POSTED" => "POSTED",
                    _ => "VOIDED",
                },
                placed_position: row.get(10),
                closed_position: row.get(11),
                written: true,
            },
        );
    }
    Ok(holds)
}

/// Columns of a `ledger_line` row.
const LINE_COLUMNS: i16 = 16;

fn encode_lines(rows: &mut CopyRows, lines: &[Line]) {
    for line in lines {
        rows.row();
        rows.text(&line.key.0);
        rows.text(line.key.1);
        rows.int8(line.position);
        rows.text(&line.event_type);
        rows.optional_uuid(line.entry_id);
        rows.optional_uuid(line.hold_id);
        rows.time(line.effective_at);
        rows.time(line.recorded_at);
        for amount in [
            line.change.debits_posted,
            line.change.credits_posted,
            line.change.debits_pending,
            line.change.credits_pending,
            line.running.debits_posted,
            line.running.credits_posted,
            line.running.debits_pending,
            line.running.credits_pending,
        ] {
            rows.numeric(amount);
        }
    }
}

async fn copy_lines(
    connection: &mut PgConnection,
    schema: &str,
    rows: CopyRows,
) -> Result<(), sqlx::Error> {
    rows.copy_into(
        connection,
        &format!(
            "{schema}.ledger_line (account, currency, position, event_type, entry_id, hold_id, \
             effective_at, recorded_at, debit_posted, credit_posted, debit_pending, \
             credit_pending, running_debits_posted, running_credits_posted, \
             running_debits_pending, running_credits_pending)"
        ),
    )
    .await
}

/// Each recorded time of `lines` with its greatest line position.
fn last_recorded(lines: &[Line]) -> BTreeMap<DateTime<Utc>, i64> {
    let mut last: BTreeMap<DateTime<Utc>, i64> = BTreeMap::new();
    for line in lines {
        let position = last.entry(line.recorded_at).or_insert(line.position);
        *position = (*position).max(line.position);
    }
    last
}

/// Moves each recorded time's greatest line position up to the batch's.
async fn write_recorded(
    connection: &mut PgConnection,
    schema: &str,
    last: &BTreeMap<DateTime<Utc>, i64>,
) -> Result<(), sqlx::Error> {
    if last.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "INSERT INTO {schema}.ledger_recorded AS r (recorded_at, position) \
         SELECT * FROM unnest($1::timestamptz[], $2::int8[]) \
         ON CONFLICT (recorded_at) DO UPDATE SET position = EXCLUDED.position \
         WHERE r.position < EXCLUDED.position"
    ))
    .bind(last.keys().copied().collect::<Vec<_>>())
    .bind(last.values().copied().collect::<Vec<_>>())
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_balances(
    connection: &mut PgConnection,
    schema: &str,
    balances: &HashMap<AccountKey, (Totals, i64)>,
) -> Result<(), sqlx::Error> {
    if balances.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = balances.iter().collect();
    let column = |f: fn(&Totals) -> Decimal| rows.iter().map(|(_, b)| f(&b.0)).collect::<Vec<_>>();
    sqlx::query(&format!(
        "INSERT INTO {schema}.account_balance AS b (account, currency, debits_posted, \
         credits_posted, debits_pending, credits_pending, last_position) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], \
         $5::numeric[], $6::numeric[], $7::int8[]) \
         ON CONFLICT (account, currency) DO UPDATE SET debits_posted = EXCLUDED.debits_posted, \
         credits_posted = EXCLUDED.credits_posted, debits_pending = EXCLUDED.debits_pending, \
         credits_pending = EXCLUDED.credits_pending, last_position = EXCLUDED.last_position \
         WHERE b.last_position IS DISTINCT FROM EXCLUDED.last_position"
    ))
    .bind(rows.iter().map(|(k, _)| k.0.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(k, _)| k.1).collect::<Vec<_>>())
    .bind(column(|t| t.debits_posted))
    .bind(column(|t| t.credits_posted))
    .bind(column(|t| t.debits_pending))
    .bind(column(|t| t.credits_pending))
    .bind(rows.iter().map(|(_, b)| b.1).collect::<Vec<_>>())
    .execute(connection)
    .await?;
    Ok(())
}

async fn write_holds(
    connection: &mut PgConnection,
    schema: &str,
    holds: &HashMap<Uuid, HoldRow>,
    placed: &[Uuid],
    closed: &[Uuid],
) -> Result<(), sqlx::Error> {
    let new: Vec<_> = placed.iter().map(|id| (id, &holds[id])).collect();
    if !new.is_empty() {
        sqlx::query(&format!(
            "INSERT INTO {schema}.ledger_hold (hold_id, purpose, order_id, payout_id, \
             debit_account, credit_account, amount, currency, placed_at, status, \
             placed_position, closed_position) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], \
             $6::text[], $7::numeric[], $8::text[], $9::timestamptz[], $10::text[], $11::int8[], \
             $12::int8[]) \
             ON CONFLICT (hold_id) DO UPDATE SET status = EXCLUDED.status, \
             closed_position = EXCLUDED.closed_position"
        ))
        .bind(new.iter().map(|(id, _)| **id).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, r)| r.purpose).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, r)| r.order_id).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, r)| r.payout_id).collect::<Vec<_>>())
        .bind(
            new.iter()
                .map(|(_, r)| r.debit.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            new.iter()
                .map(|(_, r)| r.credit.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(new.iter().map(|(_, r)| r.amount).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, r)| r.currency).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, r)| r.placed_at).collect::<Vec<_>>())
        .bind(new.iter().map(|(_, r)| r.status).collect::<Vec<_>>())
        .bind(
            new.iter()
                .map(|(_, r)| r.placed_position)
                .collect::<Vec<_>>(),
        )
        .bind(
            new.iter()
                .map(|(_, r)| r.closed_position)
                .collect::<Vec<_>>(),
        )
        .execute(&mut *connection)
        .await?;
    }
    // Holds placed in an earlier batch and closed in this one.
    let placed: std::collections::HashSet<&Uuid> = placed.iter().collect();
    let closed: Vec<_> = closed
        .iter()
        .filter(|id| !placed.contains(id))
        .map(|id| (id, &holds[id]))
        .collect();
    if !closed.is_empty() {
        sqlx::query(&format!(
            "UPDATE {schema}.ledger_hold h SET status = c.status, closed_position = c.position \
             FROM unnest($1::uuid[], $2::text[], $3::int8[]) AS c(hold_id, status, position) \
             WHERE h.hold_id = c.hold_id AND h.closed_position IS DISTINCT FROM c.position"
        ))
        .bind(closed.iter().map(|(id, _)| **id).collect::<Vec<_>>())
        .bind(closed.iter().map(|(_, r)| r.status).collect::<Vec<_>>())
        .bind(
            closed
                .iter()
                .map(|(_, r)| r.closed_position)
                .collect::<Vec<_>>(),
        )
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}
