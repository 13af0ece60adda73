//! Helpers of the projection tests: a generated business appended through
//! the real store, runners, and the tables compared row by row.
#![allow(dead_code)]

pub mod generator;

use std::time::{Duration, Instant};

use dropledger_devdb::TestDatabase;
use dropledger_domain::*;
use dropledger_eventstore::EventStore;
use dropledger_projections::{projection_status, Projection, Runner, RunnerOptions};
use generator::{Business, Versions};
use sqlx::PgPool;
use tokio::task::JoinHandle;

/// How long a test waits for the log or a runner before failing.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// A seeded business appending its facts through the store.
pub struct BusinessLog {
    business: Business,
    versions: Versions,
}

impl BusinessLog {
    /// Appends the setup of a seeded business.
    pub async fn start(store: &EventStore, seed: u64) -> BusinessLog {
        let mut log = BusinessLog {
            business: Business::new(seed),
            versions: Versions::default(),
        };
        for fact in log.business.setup() {
            log.versions.append_fact(store, fact).await.unwrap();
        }
        log
    }

    /// Appends `facts` more facts, one atomic append each; returns the events.
    pub async fn more(&mut self, store: &EventStore, facts: usize) -> usize {
        let mut count = 0;
        for _ in 0..facts {
            let fact = self.business.step();
            count += self.versions.append_fact(store, fact).await.unwrap();
        }
        count
    }
}

/// Appends the setup and `facts` business facts of a seeded business.
pub async fn append_business(store: &EventStore, seed: u64, facts: usize) -> BusinessLog {
    let mut log = BusinessLog::start(store, seed).await;
    log.more(store, facts).await;
    log
}

/// The head of the log once every committed event has its position.
pub async fn head(store: &EventStore) -> u64 {
    let status = store.wait_for_log(WAIT_TIMEOUT).await.unwrap();
    assert!(
        status.waiting_for.is_none(),
        "the log is held back: {status:?}"
    );
    status.head
}

/// Fast options for tests: small batches, quick polls and lock retries.
pub fn options(batch_events_max: usize) -> RunnerOptions {
    RunnerOptions {
        batch_events_max,
        poll_interval_ms: 50,
        lock_retry_ms: 50,
    }
}

/// Starts a runner of `projection` on a task.
pub fn spawn(store: &EventStore, projection: Projection, batch: usize) -> (Runner, JoinHandle<()>) {
    let runner = Runner::new(store.clone(), projection, options(batch));
    let task = {
        let runner = runner.clone();
        tokio::spawn(async move {
            let _ = runner.run().await;
        })
    };
    (runner, task)
}

/// Waits until every projection in `projections` has applied the log up to `head`.
pub async fn wait_until_applied(store: &EventStore, projections: &[Projection], head: u64) {
    let deadline = Instant::now() + WAIT_TIMEOUT;
    loop {
        let statuses = projection_status(store).await.unwrap();
        let done = projections.iter().all(|p| {
            statuses
                .iter()
                .any(|s| s.name == p.name() && s.position >= head)
        });
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "projections did not catch up: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every row of every table of `projection`, as text, in key order.
pub async fn dump(pool: &PgPool, projection: Projection) -> Vec<(String, Vec<String>)> {
    let mut tables = Vec::new();
    for (table, key) in projection.tables() {
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT t::text FROM {}.{table} t ORDER BY {key}",
            projection.schema()
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        tables.push((table.to_string(), rows));
    }
    tables
}

/// The books computed by the domain's `Balances` from the events up to
/// `position`, read back from the store.
pub async fn books_at(store: &EventStore, position: u64) -> Balances {
    let mut books = Balances::new();
    let mut after = 0;
    while after < position {
        let events = store.read_all(after, 1_000).await.unwrap();
        if events.is_empty() {
            break;
        }
        for logged in events {
            if logged.position > position {
                return books;
            }
            after = logged.position;
            let e = &logged.event;
            let payload = e.payload_value();
            let effect_of = |books: &mut Balances| match StreamKind::parse(&e.stream_id) {
                Ok(StreamKind::Capital(_)) => {
                    let event: CapitalEvent =
                        decode_event(&e.event_type, e.schema_version, payload.clone()).unwrap();
                    books.apply(event.ledger_effect().unwrap()).unwrap();
                }
                Ok(StreamKind::Sale(_)) => {
                    let event: SaleEvent =
                        decode_event(&e.event_type, e.schema_version, payload.clone()).unwrap();
                    books.apply(event.ledger_effect().unwrap()).unwrap();
                }
                _ => {}
            };
            effect_of(&mut books);
        }
    }
    books
}

/// A fresh database with the store over it.
pub async fn database() -> (TestDatabase, EventStore) {
    let database = TestDatabase::new().await;
    let store = database.store();
    (database, store)
}
