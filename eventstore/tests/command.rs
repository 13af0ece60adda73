//! The command loop: load, decide, append with expected versions, retry —
//! shown on the purchase check that must never overspend working capital.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use dropledger_devdb::TestDatabase;
use dropledger_domain::{
    capture_payment, start_purchase, Aggregate, CapitalCommand, CaptureId, CapturePayment,
    CaptureStatus, CheckoutTerms, Currency, EntryId, HoldId, HoldPurpose, Money, Order,
    OrderCommand, OrderId, OrderStatus, ProductId, ProviderOrderId, Reference, StartPurchase,
    UserId, WorkingCapital,
};
use dropledger_eventstore::{CommandError, EventStore, Metadata, COMMAND_ATTEMPTS_MAX};
use rust_decimal::Decimal;
use uuid::Uuid;

fn usd(amount: &str) -> Money {
    Money::new(
        Decimal::from_str(amount).unwrap(),
        Currency::parse("USD").unwrap(),
    )
    .unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

fn metadata() -> Metadata {
    let mut metadata = Metadata::new("system:test");
    metadata.command_id = Some(Uuid::new_v4());
    metadata
}

fn capital_stream() -> String {
    WorkingCapital::stream_id(Currency::parse("USD").unwrap())
}

/// Runs one command on working capital alone (setting the scene).
async fn on_capital(store: &EventStore, command: CapitalCommand) {
    store
        .execute(|| async {
            let capital = store
                .load(
                    &capital_stream(),
                    WorkingCapital::new(Currency::parse("USD").unwrap()),
                )
                .await?;
            let events = capital
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            Ok((vec![capital.append(&events, &metadata())], ()))
        })
        .await
        .unwrap();
}

async fn contribute(store: &EventStore, amount: &str) {
    on_capital(
        store,
        CapitalCommand::ContributeCapital {
            entry_id: EntryId::from_uuid(Uuid::new_v4()),
            amount: usd(amount),
            reference: Reference::parse("seed").unwrap(),
            effective_at: now(),
        },
    )
    .await;
}

/// An order created, not yet paid.
async fn created_order(store: &EventStore, supplier_cost: &str) -> OrderId {
    let order_id = OrderId::from_uuid(Uuid::new_v4());
    let stream = Order::stream_id(order_id);
    store
        .execute(|| async {
            let order = store.load(&stream, Order::default()).await?;
            let events = order
                .state
                .decide(OrderCommand::CreateOrder {
                    order_id,
                    terms: CheckoutTerms {
                        product_id: ProductId::from_uuid(Uuid::new_v4()),
                        seller: UserId::from_uuid(Uuid::new_v4()),
                        unit_price: usd("50.00"),
                        unit_supplier_cost: usd(supplier_cost),
                    },
                    quantity: 1,
                    provider_order_id: ProviderOrderId::parse("PAYPAL-ORDER").unwrap(),
                    created_at: now(),
                })
                .map_err(CommandError::Refused)?;
            Ok((vec![order.append(&events, &metadata())], ()))
        })
        .await
        .unwrap();
    order_id
}

/// A PENDING capture of 50.00 (fee 1.75) for the order.
fn pending_capture() -> CapturePayment {
    CapturePayment {
        buyer: UserId::from_uuid(Uuid::new_v4()),
        capture_id: CaptureId::parse(&format!("CAP-{}", Uuid::new_v4())).unwrap(),
        amount: usd("50.00"),
        fee: usd("1.75"),
        status: CaptureStatus::Pending,
        entry_id: EntryId::from_uuid(Uuid::new_v4()),
        captured_at: now(),
    }
}

/// Reserves `amount` of working capital for something else: what keeps
/// the captured money of the orders below from being free.
async fn hold_back(store: &EventStore, amount: &str) {
    on_capital(
        store,
        CapitalCommand::PlaceHold {
            hold_id: HoldId::from_uuid(Uuid::new_v4()),
            purpose: HoldPurpose::Purchase {
                order_id: OrderId::from_uuid(Uuid::new_v4()),
            },
            amount: usd(amount),
            effective_at: now(),
        },
    )
    .await;
}

/// An order created and paid with a COMPLETED capture (only a completed
/// capture may be spent on a purchase).
async fn paid_order(store: &EventStore, supplier_cost: &str) -> OrderId {
    let order_id = created_order(store, supplier_cost).await;
    let stream = Order::stream_id(order_id);
    store
        .execute(|| async {
            let order = store.load(&stream, Order::default()).await?;
            let capital = store
                .load(
                    &capital_stream(),
                    WorkingCapital::new(Currency::parse("USD").unwrap()),
                )
                .await?;
            let completed = CapturePayment {
                status: CaptureStatus::Completed,
                ..pending_capture()
            };
            let decision = capture_payment(&order.state, &capital.state, completed)
                .map_err(CommandError::Refused)?;
            let metadata = metadata();
            Ok((
                vec![
                    order.append(&decision.order, &metadata),
                    capital.append(&decision.capital, &metadata),
                ],
                (),
            ))
        })
        .await
        .unwrap();
    order_id
}

/// Starts the purchase of every order at once, each as the command path
/// does it: the order at its version, capital from the store's last view of
/// it and appended whatever its version, its budget checked at the write.
/// Each order's status afterwards and how many times it was decided.
async fn purchase_all_at_once(
    store: &EventStore,
    orders: &[OrderId],
) -> Vec<(Option<OrderStatus>, usize)> {
    let purchases = orders.iter().map(|order_id| {
        let store = store.clone();
        let stream = Order::stream_id(*order_id);
        tokio::spawn(async move {
            let mut attempts = 0;
            let (status, _) = store
                .execute(|| {
                    attempts += 1;
                    let (store, stream) = (store.clone(), stream.clone());
                    async move {
                        let order = store.load(&stream, Order::default()).await?;
                        let capital = store
                            .load_cached(
                                &capital_stream(),
                                WorkingCapital::new(Currency::parse("USD").unwrap()),
                            )
                            .await?;
                        let decision = start_purchase(
                            &order.state,
                            &capital.state,
                            StartPurchase {
                                hold_id: HoldId::from_uuid(Uuid::new_v4()),
                                started_at: now(),
                            },
                        )
                        .map_err(CommandError::Refused)?;
                        let status = order.state.clone().replay(&decision.order).status();
                        let metadata = metadata();
                        Ok((
                            vec![
                                order.append(&decision.order, &metadata),
                                capital.append_commuting(&decision.capital, &metadata),
                            ],
                            status,
                        ))
                    }
                })
                .await
                .unwrap();
            (status, attempts)
        })
    });
    futures::future::join_all(purchases)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect()
}

async fn capital_now(store: &EventStore) -> WorkingCapital {
    store
        .load::<_, std::convert::Infallible>(
            &capital_stream(),
            WorkingCapital::new(Currency::parse("USD").unwrap()),
        )
        .await
        .unwrap()
        .state
}

fn count(outcomes: &[(Option<OrderStatus>, usize)], status: OrderStatus) -> usize {
    outcomes.iter().filter(|(s, _)| *s == Some(status)).count()
}

/// Short capital: exactly as many holds as fit, never one more, and a hold
/// that no longer fits is decided once more, on fresh state, and refused.
#[tokio::test]
async fn concurrent_purchases_never_commit_more_capital_than_there_is() {
    let db = TestDatabase::new().await;
    let store = db.store();
    contribute(&store, "100.00").await;
    let mut orders = Vec::new();
    for _ in 0..7 {
        orders.push(paid_order(&store, "30.00").await);
    }
    // The captures' net (7 × 48.25) is held for something else: 100.00 free.
    hold_back(&store, "337.75").await;

    let outcomes = purchase_all_at_once(&store, &orders).await;

    let purchasing = count(&outcomes, OrderStatus::Purchasing);
    let failed = count(&outcomes, OrderStatus::Failed);
    assert_eq!((purchasing, failed), (3, 4), "{outcomes:?}");
    assert!(
        outcomes.iter().all(|(_, attempts)| *attempts <= 2),
        "{outcomes:?}"
    );
    let capital = capital_now(&store).await;
    assert_eq!(capital.committed(), usd("427.75"));
    assert_eq!(capital.free(), usd("10.00"));
    assert_eq!(
        store.budget(&capital_stream()).await.unwrap(),
        Some(capital.free().amount())
    );
}

/// Enough capital: every hold is placed at its first decision. Holds on one
/// capital stream wait for each other's row lock, never for a retry.
#[tokio::test]
async fn concurrent_purchases_with_enough_capital_are_each_decided_once() {
    const ORDERS: usize = 16;
    let db = TestDatabase::new().await;
    let store = db.store();
    contribute(&store, "1000.00").await;
    let mut orders = Vec::new();
    for _ in 0..ORDERS {
        orders.push(paid_order(&store, "30.00").await);
    }

    let outcomes = purchase_all_at_once(&store, &orders).await;

    assert_eq!(
        count(&outcomes, OrderStatus::Purchasing),
        ORDERS,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|(_, attempts)| *attempts == 1),
        "{outcomes:?}"
    );
    // 1000.00 + 16 × 48.25 of captures − 16 × 30.00 held.
    assert_eq!(capital_now(&store).await.free(), usd("1292.00"));
}

/// The store refuses an append that would overdraw the budget, whatever the
/// writer believed: here a hold decided on a view from before another hold
/// took the money.
#[tokio::test]
async fn a_hold_decided_on_a_stale_view_is_refused_at_the_write() {
    let db = TestDatabase::new().await;
    let store = db.store();
    contribute(&store, "50.00").await;
    let first = paid_order(&store, "30.00").await;
    let second = paid_order(&store, "30.00").await;
    // The captures' net (2 × 48.25) is held for something else: 50.00 free.
    hold_back(&store, "96.50").await;
    let stale = store
        .load::<_, std::convert::Infallible>(
            &capital_stream(),
            WorkingCapital::new(Currency::parse("USD").unwrap()),
        )
        .await
        .unwrap();
    purchase_all_at_once(&store, &[first]).await;

    let order = store
        .load::<_, std::convert::Infallible>(&Order::stream_id(second), Order::default())
        .await
        .unwrap();
    let decision = start_purchase(
        &order.state,
        &stale.state,
        StartPurchase {
            hold_id: HoldId::from_uuid(Uuid::new_v4()),
            started_at: now(),
        },
    )
    .expect("the stale view shows 50.00 free");
    let metadata = metadata();
    let refused = store
        .append_all(&[
            order.append(&decision.order, &metadata),
            stale.append_commuting(&decision.capital, &metadata),
        ])
        .await;

    assert!(
        matches!(refused, Err(dropledger_eventstore::AppendError::BudgetExceeded { ref stream }) if *stream == capital_stream()),
        "{refused:?}"
    );
    // Nothing of the refused append is stored, on either stream.
    let capital = capital_now(&store).await;
    assert_eq!(
        (capital.committed(), capital.free()),
        (usd("126.50"), usd("20.00"))
    );
    let order = store
        .load::<_, std::convert::Infallible>(&Order::stream_id(second), Order::default())
        .await
        .unwrap();
    assert_eq!(order.state.status(), Some(OrderStatus::Paid));
}

#[tokio::test]
async fn a_command_that_always_conflicts_gives_up_after_the_bounded_attempts() {
    let db = TestDatabase::new().await;
    let store = db.store();
    contribute(&store, "10.00").await;
    let mut attempts = 0;
    let outcome: Result<((), _), CommandError<std::convert::Infallible>> = store
        .execute(|| {
            attempts += 1;
            let store = store.clone();
            async move {
                let capital = store
                    .load(
                        &capital_stream(),
                        WorkingCapital::new(Currency::parse("USD").unwrap()),
                    )
                    .await?;
                let events = capital
                    .state
                    .decide(CapitalCommand::ContributeCapital {
                        entry_id: EntryId::from_uuid(Uuid::new_v4()),
                        amount: usd("1.00"),
                        reference: Reference::parse("race").unwrap(),
                        effective_at: now(),
                    })
                    .unwrap();
                // Another writer moves the stream between our load and our append.
                contribute(&store, "1.00").await;
                Ok((vec![capital.append(&events, &metadata())], ()))
            }
        })
        .await;
    assert!(matches!(
        outcome,
        Err(CommandError::Contended {
            attempts: COMMAND_ATTEMPTS_MAX,
            ..
        })
    ));
    assert_eq!(attempts, COMMAND_ATTEMPTS_MAX);
}

/// Captures of different orders all credit the same capital stream; as
/// commuting appends they never conflict there (each order's own stream
/// still guards against recording a capture twice), where exact-version
/// appends would make the captures retry one another.
#[tokio::test]
async fn concurrent_captures_credit_working_capital_without_conflicting() {
    const CAPTURES: usize = 16;
    let db = TestDatabase::new().await;
    let store = db.store();
    let mut orders = Vec::new();
    for _ in 0..CAPTURES {
        orders.push(created_order(&store, "20.00").await);
    }
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let captures = orders.iter().map(|order_id| {
        let (store, attempts) = (store.clone(), attempts.clone());
        let stream = Order::stream_id(*order_id);
        let command = pending_capture();
        let metadata = metadata();
        async move {
            store
                .execute(|| async {
                    attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let order = store.load(&stream, Order::default()).await?;
                    let capital = store
                        .load(
                            &capital_stream(),
                            WorkingCapital::new(Currency::parse("USD").unwrap()),
                        )
                        .await?;
                    let decision = capture_payment(&order.state, &capital.state, command.clone())
                        .map_err(CommandError::Refused)?;
                    Ok((
                        vec![
                            order.append(&decision.order, &metadata),
                            capital.append_commuting(&decision.capital, &metadata),
                        ],
                        (),
                    ))
                })
                .await
        }
    });
    let outcomes = futures::future::join_all(captures).await;

    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), CAPTURES);
    let capital = store
        .load::<_, std::convert::Infallible>(
            &capital_stream(),
            WorkingCapital::new(Currency::parse("USD").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(capital.version, CAPTURES as u64);
    // 16 × (50.00 − 1.75) pending, none of it free.
    assert_eq!(capital.state.pending(), usd("772.00"));
    assert_eq!(capital.state.free(), usd("0.00"));
}
