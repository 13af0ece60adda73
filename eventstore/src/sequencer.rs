//! The sequencer: gives committed events their global position and extends
//! the hash chain.
//!
//! Why not let writers draw positions from a sequence? Two transactions can
//! draw 7 and 8 and commit 8 first; a reader that has seen 8 and moves its
//! checkpoint past it silently skips 7 when it commits (or stalls forever on
//! a gap that a rollback left). Serialising all writers on one lock would fix
//! the order but forfeit group commit, which costs most of the write
//! throughput. Instead writers append freely, stamping each event with an
//! order key — their transaction id (`xid8`), raised to the key of the
//! stream's previous event when that is higher — and one sequencer at a time
//! (an advisory lock) orders the events whose key is older than every
//! transaction still running — `pg_snapshot_xmin(pg_current_snapshot())`.
//! A transaction that is no longer running can no longer change: it
//! committed (its events are visible in the same snapshot) or rolled back
//! (they never will be); and any transaction still running, or yet to start,
//! has an id and so keys at or above that horizon. Ordering the ready events
//! by (order key, insertion order) is therefore final: positions are
//! gapless, a reader that follows them can never skip a late commit, and
//! each stream's events appear in version order (the inherited key covers a
//! transaction that got its id early but wrote the stream after a younger
//! one). The price: an event is readable only after every older writing
//! transaction on the server has ended, and the sequencer says which one it
//! waits for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{PgPool, Row};
use tokio::sync::Mutex;

use crate::chain::{self, chained_columns, ChainedEvent, GENESIS};

/// Events the sequencer orders in one transaction.
pub const SEQUENCE_BATCH_EVENTS_MAX: i64 = 5_000;

/// Serialises sequencers (one advisory lock per database); the value spells
/// "dropledg".
const SEQUENCER_LOCK_KEY: i64 = 0x6472_6f70_6c65_6467;

/// The channel on which a sequencer announces the new head of the log.
pub const LOG_CHANNEL: &str = "dropledger_log";

/// The transaction that holds the global log back: it is older than events
/// that have committed, and until it ends those cannot be given a position.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockingTransaction {
    /// Its 64-bit transaction id.
    pub transaction_id: u64,
    /// The backend running it, if it is visible in `pg_stat_activity`.
    pub pid: Option<i32>,
    /// The database it runs in (any database of the server can hold the log back).
    pub database: Option<String>,
    /// Its backend's state, e.g. `idle in transaction`.
    pub state: Option<String>,
    /// How long the transaction has been open.
    pub open_for: Option<Duration>,
    /// The start of its most recent statement.
    pub last_query: Option<String>,
}

impl std::fmt::Display for BlockingTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "transaction {}", self.transaction_id)?;
        if let Some(pid) = self.pid {
            write!(f, " (pid {pid}")?;
            if let Some(database) = &self.database {
                write!(f, " in database {database}")?;
            }
            if let Some(open_for) = self.open_for {
                write!(f, ", open for {:.1}s", open_for.as_secs_f64())?;
            }
            if let Some(state) = &self.state {
                write!(f, ", {state}")?;
            }
            if let Some(query) = &self.last_query {
                write!(f, ", last query: {query}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// What one sequencing pass did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SequenceOutcome {
    /// Events given a position in this pass.
    pub sequenced: u64,
    /// The last position of the log after the pass.
    pub head: u64,
    /// True when the batch was full and more events may be ready.
    pub more: bool,
    /// Committed events wait for this older, still running transaction.
    pub waiting_for: Option<BlockingTransaction>,
}

/// One process's sequencing passes, shared by every reader in it.
///
/// Every reader that reaches the head of the log asks for a pass, and under
/// load dozens ask at once (each follower, each `consistentAfter`, each
/// writer waiting for its position): run one by one under the advisory
/// lock, each holding a pooled connection while it waits, they used to
/// queue behind each other for work the first had already done. Here a
/// reader waits in memory instead, and takes the outcome of a pass that
/// began after it asked — such a pass saw everything committed before the
/// reader's call — so a burst of readers costs one or two passes.
#[derive(Default)]
pub(crate) struct SharedPasses {
    /// Numbers the requests and the passes in one order: a pass with a
    /// higher number than a request began after it.
    tickets: AtomicU64,
    /// The last pass's number and outcome; held while a pass runs.
    last: Mutex<Option<(u64, SequenceOutcome)>>,
    /// Passes run so far.
    run: AtomicU64,
}

impl SharedPasses {
    /// Sequences until no ready event is left, or hands back the outcome of
    /// a pass that began after this call.
    pub(crate) async fn sequence_all_ready(
        &self,
        pool: &PgPool,
    ) -> Result<SequenceOutcome, sqlx::Error> {
        let asked = self.tickets.fetch_add(1, Ordering::SeqCst);
        let mut last = self.last.lock().await;
        if let Some((began, outcome)) = last.as_ref() {
            if *began > asked {
                return Ok(outcome.clone());
            }
        }
        let began = self.tickets.fetch_add(1, Ordering::SeqCst);
        self.run.fetch_add(1, Ordering::Relaxed);
        let outcome = sequence_until_done(pool).await?;
        *last = Some((began, outcome.clone()));
        Ok(outcome)
    }

    /// Passes run so far.
    pub(crate) fn run(&self) -> u64 {
        self.run.load(Ordering::Relaxed)
    }
}

/// Passes until no ready event is left; the outcome counts all of them.
async fn sequence_until_done(pool: &PgPool) -> Result<SequenceOutcome, sqlx::Error> {
    let mut total = 0;
    loop {
        let outcome = sequence_ready_events(pool).await?;
        total += outcome.sequenced;
        if !outcome.more {
            return Ok(SequenceOutcome {
                sequenced: total,
                ..outcome
            });
        }
    }
}

/// The last sequenced event: where the next pass continues.
struct Head {
    position: i64,
    chain_hash: [u8; 32],
    order_key: i64,
    append_id: i64,
}

/// Orders up to one batch of ready events into the log, announces the new
/// head, and reports a transaction that holds later events back.
async fn sequence_ready_events(pool: &PgPool) -> Result<SequenceOutcome, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SEQUENCER_LOCK_KEY)
        .execute(&mut *transaction)
        .await?;
    let head = read_head(&mut transaction).await?;

    // One statement, so the horizon and the visible rows share a snapshot.
    let rows = sqlx::query(concat!(
        "SELECT e.append_id, e.order_key::text::int8, ",
        chained_columns!(),
        " FROM event e \
         WHERE (e.order_key, e.append_id) > ($1::text::xid8, $2) \
           AND e.order_key < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY e.order_key, e.append_id \
         LIMIT $3",
    ))
    .bind(head.order_key.to_string())
    .bind(head.append_id)
    .bind(SEQUENCE_BATCH_EVENTS_MAX)
    .fetch_all(&mut *transaction)
    .await?;

    let mut positions = Vec::with_capacity(rows.len());
    let mut append_ids = Vec::with_capacity(rows.len());
    let mut hashes: Vec<Vec<u8>> = Vec::with_capacity(rows.len());
    let mut chain_hash = head.chain_hash;
    let mut cursor = (head.order_key, head.append_id);
    for (offset, row) in rows.iter().enumerate() {
        let position = head.position + 1 + offset as i64;
        chain_hash = chain::link(&chain_hash, &ChainedEvent::from_row(position, row, 2));
        cursor = (row.get(1), row.get(0));
        positions.push(position);
        append_ids.push(cursor.1);
        hashes.push(chain_hash.to_vec());
    }

    let head_position = head.position + rows.len() as i64;
    if !rows.is_empty() {
        sqlx::query(
            "INSERT INTO log_entry (position, append_id, chain_hash) \
             SELECT * FROM unnest($1::int8[], $2::int8[], $3::bytea[])",
        )
        .bind(&positions)
        .bind(&append_ids)
        .bind(&hashes)
        .execute(&mut *transaction)
        .await?;
        // Delivered at commit, once per batch: subscribers in every process wake.
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(LOG_CHANNEL)
            .bind(head_position.to_string())
            .execute(&mut *transaction)
            .await?;
    }

    let full = rows.len() as i64 == SEQUENCE_BATCH_EVENTS_MAX;
    let waiting_for = if full {
        None
    } else {
        blocking_transaction(&mut transaction, cursor).await?
    };
    transaction.commit().await?;
    Ok(SequenceOutcome {
        sequenced: rows.len() as u64,
        head: head_position as u64,
        more: full,
        waiting_for,
    })
}

async fn read_head(connection: &mut sqlx::PgConnection) -> Result<Head, sqlx::Error> {
    let row = sqlx::query(
        "SELECT l.position, l.chain_hash, e.order_key::text::int8, e.append_id \
         FROM log_entry l JOIN event e ON e.append_id = l.append_id \
         ORDER BY l.position DESC LIMIT 1",
    )
    .fetch_optional(connection)
    .await?;
    Ok(match row {
        None => Head {
            position: 0,
            chain_hash: GENESIS,
            order_key: 0,
            append_id: 0,
        },
        Some(row) => {
            let stored: Vec<u8> = row.get(1);
            Head {
                position: row.get(0),
                chain_hash: stored.try_into().unwrap_or(GENESIS),
                order_key: row.get(2),
                append_id: row.get(3),
            }
        }
    })
}

/// If committed events lie beyond `cursor`, the oldest running transaction
/// holds them back: find out who it is.
async fn blocking_transaction(
    connection: &mut sqlx::PgConnection,
    cursor: (i64, i64),
) -> Result<Option<BlockingTransaction>, sqlx::Error> {
    // The first event beyond the cursor in index order, not `EXISTS`: the
    // planner has no statistics to estimate an `xid8` range with, guesses a
    // third of the table, and scans all of it — half a second at two
    // million events, on every pass that finds the head held back.
    let row = sqlx::query(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::int8 \
         FROM (SELECT 1 FROM event e \
               WHERE (e.order_key, e.append_id) > ($1::text::xid8, $2) \
               ORDER BY e.order_key, e.append_id LIMIT 1) AS beyond",
    )
    .bind(cursor.0.to_string())
    .bind(cursor.1)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let transaction_id: i64 = row.get(0);
    // pg_stat_activity shows the 32-bit xid; the xid8's low half is it.
    let activity = sqlx::query(
        "SELECT pid, datname::text, state, \
                extract(epoch FROM now() - xact_start)::float8, left(query, 200) \
         FROM pg_stat_activity WHERE backend_xid::text = $1 LIMIT 1",
    )
    .bind((transaction_id % (1_i64 << 32)).to_string())
    .fetch_optional(&mut *connection)
    .await?;
    let mut blocking = BlockingTransaction {
        transaction_id: transaction_id as u64,
        pid: None,
        database: None,
        state: None,
        open_for: None,
        last_query: None,
    };
    if let Some(activity) = activity {
        blocking.pid = activity.get(0);
        blocking.database = activity.get(1);
        blocking.state = activity.get(2);
        blocking.open_for = activity
            .get::<Option<f64>, _>(3)
            .map(|seconds| Duration::from_secs_f64(seconds.max(0.0)));
        blocking.last_query = activity.get(4);
    }
    Ok(Some(blocking))
}
