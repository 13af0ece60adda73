//! The runner's promises: exactly once across crashes, one runner per
//! projection, and a stop (not a skip) at an event it cannot apply.

mod common;

use std::time::{Duration, Instant};

use common::*;
use dropledger_domain::{Account, Currency};
use dropledger_eventstore::{Metadata, NewEvent};
use dropledger_projections::{
    balance_at, projection_status, AsOf, Projection, ProjectionError, ProjectionState, Runner,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_mid_batch_applies_every_event_exactly_once_after_restart() {
    let (database, store) = database().await;
    append_business(&store, 21, 400).await;
    let head = head(&store).await;

    // Hold the balances table so the runner blocks in the middle of its
    // first batch, after it has written that batch's ledger lines.
    let mut blocker = database.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE projection_ledger.account_balance IN SHARE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let (runner, task) = spawn(&store, Projection::Ledger, 200);
    let deadline = Instant::now() + WAIT_TIMEOUT;
    let pid: i32 = loop {
        let waiting: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE '%account_balance%'",
        )
        .fetch_optional(database.pool())
        .await
        .unwrap();
        if let Some(pid) = waiting {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the runner never reached the balances"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // Kill it there: abort the task and drop its connection.
    task.abort();
    sqlx::query("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .execute(database.pool())
        .await
        .unwrap();
    blocker.rollback().await.unwrap();
    assert_eq!(runner.applied_events(), 0);
    let status = projection_status(&store).await.unwrap();
    assert_eq!(
        status[0].position, 0,
        "the killed batch left its checkpoint"
    );

    let (_runner, task) = spawn(&store, Projection::Ledger, 200);
    wait_until_applied(&store, &[Projection::Ledger], head).await;
    task.abort();

    // Exactly once: one line per (event, account), and balances equal the
    // domain's books over the whole log (a batch applied twice would double them).
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT position, account FROM projection_ledger.ledger_line \
         GROUP BY 1, 2 HAVING count(*) > 1) d",
    )
    .fetch_one(database.pool())
    .await
    .unwrap();
    assert_eq!(duplicates, 0);
    let books = books_at(&store, head).await;
    for account in books.accounts(Currency::Usd).collect::<Vec<_>>() {
        let projected = balance_at(database.pool(), account, Currency::Usd, AsOf::Now)
            .await
            .unwrap();
        assert_eq!(
            projected.totals,
            books.balance(account, Currency::Usd),
            "{account}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_runners_of_one_projection_only_one_applies_events_and_the_other_takes_over() {
    let (database, store) = database().await;
    let (first, first_task) = spawn(&store, Projection::Audit, 50);
    let (second, second_task) = spawn(&store, Projection::Audit, 50);
    let mut log = append_business(&store, 31, 200).await;
    let head = head(&store).await;
    wait_until_applied(&store, &[Projection::Audit], head).await;

    let active = [first.is_active(), second.is_active()];
    assert_eq!(
        active.iter().filter(|a| **a).count(),
        1,
        "active: {active:?}"
    );
    let applied = [first.applied_events(), second.applied_events()];
    assert!(applied.contains(&0), "both applied events: {applied:?}");
    assert_eq!(applied.iter().sum::<u64>(), head);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_audit.audit_record")
        .fetch_one(database.pool())
        .await
        .unwrap();
    assert_eq!(rows as u64, head);

    // The active one dies; the standby takes the lock and goes on.
    let (dead, standby) = if first.is_active() {
        (first_task, &second)
    } else {
        (second_task, &first)
    };
    dead.abort();
    let _ = dead.await;
    log.more(&store, 50).await;
    let new_head = common::head(&store).await;
    wait_until_applied(&store, &[Projection::Audit], new_head).await;
    assert!(standby.is_active());
    assert_eq!(standby.applied_events(), new_head - head);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_cannot_be_applied_stops_the_projection_at_it_and_shows_in_the_status() {
    let (database, store) = database().await;
    let mut log = append_business(&store, 41, 60).await;
    let good = head(&store).await;
    // An order event whose payload is not an order event.
    let stream = format!("order-{}", uuid::Uuid::new_v4());
    store
        .append(
            &stream,
            dropledger_eventstore::ExpectedVersion::NoStream,
            &[NewEvent::new(
                "OrderPaid",
                json!({"type": "OrderPaid", "amount": "lots"}),
                Metadata::new("test"),
            )],
        )
        .await
        .unwrap();
    let failing = good + 1;
    log.more(&store, 20).await;
    let head = head(&store).await;

    let runner = Runner::new(store.clone(), Projection::Commerce, options(7));
    let error = runner.run().await.unwrap_err();
    assert!(
        matches!(&error, ProjectionError::EventFailed { projection: "commerce", position, .. } if *position == failing),
        "{error}"
    );
    assert_eq!(runner.applied_events(), good);
    let (_audit, audit_task) = spawn(&store, Projection::Audit, 100);
    wait_until_applied(&store, &[Projection::Audit], head).await;
    audit_task.abort();

    let statuses = projection_status(&store).await.unwrap();
    let commerce = statuses.iter().find(|s| s.name == "commerce").unwrap();
    assert_eq!(commerce.position, good);
    assert_eq!(commerce.lag, head - good);
    match &commerce.state {
        ProjectionState::Failed { position, error } => {
            assert_eq!(*position, failing);
            assert!(error.contains("OrderPaid"), "{error}");
        }
        other => panic!("commerce is {other:?}"),
    }
    let audit = statuses.iter().find(|s| s.name == "audit").unwrap();
    assert_eq!(
        (audit.position, &audit.state),
        (head, &ProjectionState::Running)
    );

    // A restart tries the event again rather than skipping it.
    let again = Runner::new(store.clone(), Projection::Commerce, options(500));
    assert!(again.run().await.is_err());
    assert_eq!(again.applied_events(), 0);
    let statuses = projection_status(&store).await.unwrap();
    assert_eq!(
        statuses
            .iter()
            .find(|s| s.name == "commerce")
            .unwrap()
            .position,
        good
    );
    let _ = (database, Account::CashAvailable);
}
