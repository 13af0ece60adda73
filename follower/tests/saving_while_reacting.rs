//! Saving the checkpoint never starves the steps under way.
//!
//! Steps that write one row (as working capital's holds do) hold a pooled
//! connection and the row's lock until they are polled again to commit.
//! If the follower stopped polling them while it waited for a connection
//! to save its checkpoint, the step holding the lock could not commit, the
//! others could not get the lock, and no connection would come back: every
//! writer would wait for the pool's timeout, and the follower would fail.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{EventStore, ExpectedVersion, LoggedEvent, Metadata, NewEvent};
use dropledger_follower::{run, ManagerHealth, Reaction, Retry, StepError};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::sync::watch;

/// Steps in the test, one per stream.
const STEPS: usize = 24;
/// Steps under way at once: more than the pool has connections.
const CONCURRENCY: usize = 6;
/// The pool: fewer connections than steps under way.
const POOL_CONNECTIONS: u32 = 3;
/// How long a step keeps the row locked before it commits.
const STEP_HOLDS_LOCK: Duration = Duration::from_millis(40);
/// How long the test waits for every step.
const WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
#[error("the step's database work failed: {0}")]
struct StepFailed(#[from] sqlx::Error);

impl StepError for StepFailed {
    fn retry(&self) -> Retry {
        Retry::UntilDone
    }
}

/// Adds one to a shared counter row in a transaction that waits a little
/// while holding the row's lock.
struct CountsUnderLock {
    pool: PgPool,
    steps: Arc<AtomicUsize>,
}

impl Reaction for CountsUnderLock {
    type Error = StepFailed;

    fn name(&self) -> &'static str {
        "counts-under-lock"
    }

    fn concurrency(&self) -> usize {
        CONCURRENCY
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        event.event.event_type == "SomethingHappened"
    }

    async fn react(&self, _event: &LoggedEvent) -> Result<(), StepFailed> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("UPDATE counter SET n = n + 1")
            .execute(&mut *transaction)
            .await?;
        tokio::time::sleep(STEP_HOLDS_LOCK).await;
        transaction.commit().await?;
        self.steps.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn give_up(&self, _event: &LoggedEvent, _error: &StepFailed) -> Result<(), StepFailed> {
        Ok(())
    }
}

#[tokio::test]
async fn steps_holding_a_row_lock_finish_while_the_checkpoint_waits_for_a_connection() {
    let db = TestDatabase::new().await;
    // A failed wait for a connection shows in seconds, not the default 30.
    let pool = PgPoolOptions::new()
        .max_connections(POOL_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(3))
        .connect(&db.url())
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0)")
        .execute(db.pool())
        .await
        .unwrap();
    let store = EventStore::new(pool.clone());
    for step in 0..STEPS {
        store
            .append(
                &format!("thing-{step}"),
                ExpectedVersion::NoStream,
                &[NewEvent::new(
                    "SomethingHappened",
                    json!({}),
                    Metadata::new("test"),
                )],
            )
            .await
            .unwrap();
    }

    let steps = Arc::new(AtomicUsize::new(0));
    let reaction = CountsUnderLock {
        pool: pool.clone(),
        steps: steps.clone(),
    };
    let health = ManagerHealth::new();
    let (stop, shutdown) = watch::channel(false);
    let manager = tokio::spawn(run(store, reaction, health.clone(), shutdown));

    let deadline = tokio::time::Instant::now() + WAIT;
    while steps.load(Ordering::SeqCst) < STEPS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {STEPS} steps done: {:?}",
            steps.load(Ordering::SeqCst),
            health.report("counts-under-lock")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    tokio::time::timeout(WAIT, manager).await.unwrap().unwrap();

    // Never stuck, so never stopped: a follower that waited for the pool's
    // timeout while saving would have failed and been restarted.
    let report = health.report("counts-under-lock").unwrap();
    assert_eq!(report.restarts, 0, "{report:?}");
    let counted: i32 = sqlx::query_scalar("SELECT n FROM counter")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(counted as usize, STEPS, "each step committed once");
}
