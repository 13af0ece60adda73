//! Recomputing the hash chain to find events whose stored bytes changed.

use sqlx::Row;
use uuid::Uuid;

use crate::chain::{self, chained_columns, ChainedEvent, GENESIS};
use crate::EventStore;

/// Log entries checked per query.
const VERIFY_BATCH_EVENTS_MAX: i64 = 10_000;

/// The first log entry that does not match the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TamperedEvent {
    /// Its position in the global log.
    pub position: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// The stream it belongs to.
    pub stream_id: String,
    /// Its version in the stream.
    pub stream_version: u64,
    /// What does not match.
    pub reason: String,
}

/// The result of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Log entries whose hash matched, from position 1 on.
    pub verified: u64,
    /// The chain hash of the last verified entry (hex); publish it elsewhere
    /// to anchor the chain, so that even a rewrite of every later hash shows.
    pub head_hash: String,
    /// The first entry that differs, if any.
    pub first_tampered: Option<TamperedEvent>,
}

impl EventStore {
    /// Recomputes the hash chain over the whole log from the stored bytes and
    /// reports the first event that does not match. `progress` is called
    /// with the number of entries checked so far after each batch.
    pub async fn verify_chain(
        &self,
        mut progress: impl FnMut(u64),
    ) -> Result<ChainReport, sqlx::Error> {
        let mut previous = GENESIS;
        let mut verified = 0_u64;
        loop {
            let rows = sqlx::query(concat!(
                "SELECT l.position, l.chain_hash, ",
                chained_columns!(),
                " FROM log_entry l JOIN event e ON e.append_id = l.append_id \
                 WHERE l.position > $1 ORDER BY l.position LIMIT $2",
            ))
            .bind(verified as i64)
            .bind(VERIFY_BATCH_EVENTS_MAX)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let position: i64 = row.get(0);
                let stored: Vec<u8> = row.get(1);
                let chained = ChainedEvent::from_row(position, row, 2);
                let tampered = |reason: String| TamperedEvent {
                    position: position as u64,
                    event_id: chained.event_id,
                    stream_id: chained.stream_id.to_owned(),
                    stream_version: chained.stream_version as u64,
                    reason,
                };
                if position as u64 != verified + 1 {
                    return Ok(report(
                        verified,
                        previous,
                        tampered(format!("log entry {} is missing", verified + 1)),
                    ));
                }
                let expected = chain::link(&previous, &chained);
                if stored.as_slice() != expected.as_slice() {
                    return Ok(report(
                        verified,
                        previous,
                        tampered("its stored bytes do not match the hash chain".into()),
                    ));
                }
                previous = expected;
                verified += 1;
            }
            progress(verified);
        }
        Ok(ChainReport {
            verified,
            head_hash: hex::encode(previous),
            first_tampered: None,
        })
    }
}

fn report(verified: u64, previous: [u8; 32], tampered: TamperedEvent) -> ChainReport {
    ChainReport {
        verified,
        head_hash: hex::encode(previous),
        first_tampered: Some(tampered),
    }
}
