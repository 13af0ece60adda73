//! The job against a real PostgreSQL (its own database per test), the
//! ledger read model following the log, and the fake PayPal through the
//! real client.

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use dropledger_devdb::TestDatabase;
use dropledger_domain::{
    Aggregate, CapitalCommand, CaptureId, CaptureStatus, EntryId, OrderId, Reference,
    WorkingCapital,
};
use dropledger_integrations::{FakeOperation, FakePayPal, Fault};
use dropledger_projections::{Runner, RunnerOptions};
use tokio::task::JoinHandle;

use super::*;

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

/// A database with the ledger read model following it, a fake PayPal and the job.
struct Books {
    store: EventStore,
    paypal: FakePayPal,
    job: Reconciliation,
    ledger_runner: JoinHandle<()>,
    // Dropped last: the runner must stop before its database goes.
    _db: TestDatabase,
}

impl Drop for Books {
    fn drop(&mut self) {
        self.ledger_runner.abort();
    }
}

impl Books {
    async fn open() -> Books {
        let db = TestDatabase::new().await;
        let store = db.store();
        let runner = Runner::new(store.clone(), Projection::Ledger, RunnerOptions::default());
        let ledger_runner = tokio::spawn(async move {
            let _ = runner.run().await;
        });
        let paypal = FakePayPal::builder().start().await.unwrap();
        let job = Reconciliation {
            store: store.clone(),
            paypal: Arc::new(PayPalClient::new(paypal.client_config())),
        };
        Books {
            store,
            paypal,
            job,
            ledger_runner,
            _db: db,
        }
    }

    async fn capital(&self, command: CapitalCommand) {
        let stream = WorkingCapital::stream_id(Currency::Usd);
        let metadata = Metadata::new("test");
        self.store
            .execute(|| async {
                let capital = self
                    .store
                    .load(&stream, WorkingCapital::new(Currency::Usd))
                    .await?;
                let events = capital
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![capital.append(&events, &metadata)], ()))
            })
            .await
            .unwrap();
    }

    /// The owner puts `amount` into PayPal at `effective_at`.
    async fn contribute(&self, amount: &str, effective_at: DateTime<Utc>) {
        self.capital(CapitalCommand::ContributeCapital {
            entry_id: EntryId::from_uuid(Uuid::new_v4()),
            amount: usd(amount),
            reference: Reference::parse("owner transfer").unwrap(),
            effective_at,
        })
        .await;
    }

    /// A customer pays `gross`, PayPal keeps `fee` and holds the rest (PENDING).
    async fn pending_capture(&self, gross: &str, fee: &str, effective_at: DateTime<Utc>) {
        self.capital(CapitalCommand::ReceivePayment {
            entry_id: EntryId::from_uuid(Uuid::new_v4()),
            order_id: OrderId::from_uuid(Uuid::new_v4()),
            capture_id: CaptureId::parse(&format!("CAP-{}", Uuid::new_v4())).unwrap(),
            gross: usd(gross),
            fee: usd(fee),
            status: CaptureStatus::Pending,
            effective_at,
        })
        .await;
    }

    /// PayPal reports `available` and `withheld` as of `as_of_time`.
    fn paypal_reports(&self, available: &str, withheld: &str, as_of_time: DateTime<Utc>) {
        self.paypal.set_available_balance(usd(available));
        self.paypal.set_withheld_balance(usd(withheld));
        self.paypal.set_balance_as_of(Some(as_of_time));
    }

    /// The recorded reconciliations, with their metadata.
    async fn recorded(&self) -> Vec<(ReconciliationEvent, Metadata)> {
        let stream = ReconciliationStream::new(CashProvider::PayPal, Currency::Usd).stream_id();
        self.store
            .read_stream(&stream, 1, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|recorded| {
                let event = dropledger_domain::decode_event(
                    &recorded.event_type,
                    recorded.schema_version,
                    recorded.payload_value(),
                )
                .unwrap();
                (event, recorded.metadata)
            })
            .collect()
    }
}

/// A time in the past, to the second (as PayPal reports it).
fn minutes_ago(minutes: i64) -> DateTime<Utc> {
    (Utc::now() - Duration::minutes(minutes)).trunc_subsecs(0)
}

#[tokio::test]
async fn balances_that_agree_with_the_ledger_are_recorded_as_cash_reconciled() {
    let books = Books::open().await;
    books.contribute("100.00", minutes_ago(60)).await;
    books
        .pending_capture("50.00", "2.00", minutes_ago(50))
        .await;
    books.paypal_reports("100.00", "48.00", minutes_ago(40));

    let outcome = books.job.reconcile(Currency::Usd).await.unwrap();

    let recorded = books.recorded().await;
    assert_eq!(recorded.len(), 1);
    let (event, metadata) = &recorded[0];
    assert_eq!(outcome, Outcome::Recorded(event.clone()));
    let ReconciliationEvent::CashReconciled {
        reported, ledger, ..
    } = event
    else {
        panic!("expected CashReconciled, got {event:?}");
    };
    assert_eq!(reported.total, usd("148.00"));
    assert_eq!(
        (ledger.available, ledger.pending),
        (usd("100.00"), usd("48.00"))
    );
    assert_eq!(metadata.actor, "system:reconciliation");
}

#[tokio::test]
async fn a_fee_the_ledger_does_not_know_is_found_with_its_exact_signed_difference() {
    let books = Books::open().await;
    books.contribute("100.00", minutes_ago(60)).await;
    // PayPal charged 1.25 that no event records.
    books.paypal_reports("98.75", "0.00", minutes_ago(30));

    books.job.reconcile(Currency::Usd).await.unwrap();

    let recorded = books.recorded().await;
    let [(ReconciliationEvent::CashDifferenceFound { difference, .. }, _)] = recorded.as_slice()
    else {
        panic!("expected one CashDifferenceFound, got {recorded:?}");
    };
    assert_eq!(
        *difference,
        CashDifference {
            total: usd("-1.25"),
            available: usd("-1.25"),
            pending: usd("0.00"),
        }
    );
}

#[tokio::test]
async fn the_ledger_is_read_as_of_the_providers_lagging_as_of_time() {
    let books = Books::open().await;
    books.contribute("100.00", minutes_ago(180)).await;
    // Arrived after PayPal's snapshot: PayPal's figures cannot include it yet.
    books.contribute("30.00", minutes_ago(10)).await;
    books.paypal_reports("100.00", "0.00", minutes_ago(120));

    let outcome = books.job.reconcile(Currency::Usd).await.unwrap();

    assert!(
        matches!(
            outcome,
            Outcome::Recorded(ReconciliationEvent::CashReconciled { .. })
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn the_same_provider_snapshot_is_recorded_once() {
    let books = Books::open().await;
    books.contribute("100.00", minutes_ago(60)).await;
    books.paypal_reports("90.00", "0.00", minutes_ago(30));

    let first = books.job.reconcile(Currency::Usd).await.unwrap();
    // The ledger moves on; PayPal still serves the same snapshot.
    books.contribute("5.00", minutes_ago(45)).await;
    let second = books.job.reconcile(Currency::Usd).await.unwrap();

    assert!(matches!(first, Outcome::Recorded(_)), "{first:?}");
    assert_eq!(second, Outcome::AlreadyRecorded);
    assert_eq!(books.recorded().await.len(), 1);

    // A fresh snapshot is compared again.
    books.paypal_reports("105.00", "0.00", minutes_ago(20));
    let third = books.job.reconcile(Currency::Usd).await.unwrap();
    assert!(
        matches!(
            third,
            Outcome::Recorded(ReconciliationEvent::CashReconciled { .. })
        ),
        "{third:?}"
    );
    assert_eq!(books.recorded().await.len(), 2);
}

#[tokio::test]
async fn a_snapshot_older_than_one_reconciled_records_nothing() {
    let books = Books::open().await;
    books.contribute("100.00", minutes_ago(60)).await;
    books.paypal_reports("100.00", "0.00", minutes_ago(20));
    books.job.reconcile(Currency::Usd).await.unwrap();

    // A stale cache at PayPal serves an older snapshot.
    books.paypal_reports("90.00", "0.00", minutes_ago(40));
    let outcome = books.job.reconcile(Currency::Usd).await.unwrap();

    assert_eq!(outcome, Outcome::Stale);
    assert_eq!(books.recorded().await.len(), 1);
}

#[tokio::test]
async fn a_provider_error_records_nothing_and_the_next_run_tries_again() {
    let books = Books::open().await;
    books.contribute("100.00", minutes_ago(60)).await;
    books.paypal_reports("100.00", "0.00", minutes_ago(30));
    // As many failures as the client makes attempts.
    books
        .paypal
        .inject_times(FakeOperation::PayPalBalance, Fault::ServerError(503), 3);

    assert!(books.job.run().await.is_err());
    assert!(books.recorded().await.is_empty());

    books.job.run().await.unwrap();
    assert_eq!(books.recorded().await.len(), 1);
}

#[tokio::test]
async fn each_run_records_under_a_correlation_id_of_its_own() {
    let books = Books::open().await;
    books.paypal_reports("1.00", "0.00", minutes_ago(30));
    books.job.run().await.unwrap();
    books.paypal_reports("2.00", "0.00", minutes_ago(20));
    books.job.run().await.unwrap();

    let recorded = books.recorded().await;
    assert_eq!(recorded.len(), 2);
    assert_ne!(recorded[0].1.correlation_id, recorded[1].1.correlation_id);
    assert!(recorded
        .iter()
        .all(|(_, metadata)| metadata.command_id.is_some()));
}
