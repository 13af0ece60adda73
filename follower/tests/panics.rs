//! A panic in a process manager's step restarts the manager (it does not
//! end its task for good), the step is done after the restart, and the
//! restart is counted with the panic as its last error.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{EventStore, LoggedEvent};
use dropledger_eventstore::{ExpectedVersion, Metadata, NewEvent};
use dropledger_follower::{
    run, run_periodic, ManagerHealth, ManagerState, Reaction, Retry, StepError,
};
use serde_json::json;
use tokio::sync::watch;

/// How long a test waits for the manager to come back.
const WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
#[error("never happens")]
struct NeverFails;

impl StepError for NeverFails {
    fn retry(&self) -> Retry {
        Retry::Bounded
    }
}

/// Panics the first time it reacts, then counts its steps.
struct PanicsOnce {
    panicked: AtomicBool,
    steps: Arc<AtomicUsize>,
}

impl Reaction for PanicsOnce {
    type Error = NeverFails;

    fn name(&self) -> &'static str {
        "panics-once"
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        event.event.event_type == "SomethingHappened"
    }

    async fn react(&self, _event: &LoggedEvent) -> Result<(), NeverFails> {
        if !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("a bug in a reaction");
        }
        self.steps.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn give_up(&self, _event: &LoggedEvent, _error: &NeverFails) -> Result<(), NeverFails> {
        Ok(())
    }
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_manager_whose_reaction_panics_is_restarted_does_the_step_and_counts_the_restart() {
    let db = TestDatabase::new().await;
    let store = EventStore::new(db.pool().clone());
    store
        .append(
            "thing-1",
            ExpectedVersion::Any,
            &[NewEvent::new(
                "SomethingHappened",
                json!({}),
                Metadata::new("test"),
            )],
        )
        .await
        .unwrap();
    let steps = Arc::new(AtomicUsize::new(0));
    let reaction = PanicsOnce {
        panicked: AtomicBool::new(false),
        steps: steps.clone(),
    };
    let health = ManagerHealth::new();
    let (stop, shutdown) = watch::channel(false);
    let manager = tokio::spawn(run(store, reaction, health.clone(), shutdown));

    wait_until("the step is done after the panic", || {
        steps.load(Ordering::SeqCst) == 1
    })
    .await;

    let report = health.report("panics-once").unwrap();
    assert_eq!(report.restarts, 1, "{report:?}");
    assert_eq!(report.state, ManagerState::Running, "{report:?}");
    let error = report.last_error.unwrap();
    assert!(error.contains("a bug in a reaction"), "{error}");
    let _ = stop.send(true);
    tokio::time::timeout(WAIT, manager).await.unwrap().unwrap();
    assert_eq!(
        health.report("panics-once").unwrap().state,
        ManagerState::Stopped
    );
}

#[tokio::test]
async fn a_poller_whose_tick_panics_keeps_polling_and_counts_the_restart() {
    let db = TestDatabase::new().await;
    let store = EventStore::new(db.pool().clone());
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = ticks.clone();
    let health = ManagerHealth::new();
    let (stop, shutdown) = watch::channel(false);
    let poller = tokio::spawn(run_periodic(
        store,
        "panicking-poller",
        Duration::from_millis(20),
        move || {
            let tick = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if tick == 0 {
                    panic!("a bug in a poll");
                }
                Ok::<(), NeverFails>(())
            }
        },
        health.clone(),
        shutdown,
    ));

    wait_until("polls after the panic", || {
        ticks.load(Ordering::SeqCst) >= 3
    })
    .await;

    let report = health.report("panicking-poller").unwrap();
    assert_eq!(report.restarts, 1, "{report:?}");
    assert_eq!(report.state, ManagerState::Running, "{report:?}");
    assert!(
        report.last_error.unwrap().contains("a bug in a poll"),
        "the panic is the last error"
    );
    let _ = stop.send(true);
    tokio::time::timeout(WAIT, poller).await.unwrap().unwrap();
}
