//! Stream budgets: a limit checked at the write. Working capital's free
//! cash is the budget of its stream; holds draw on it, cash coming in adds
//! to it, and whatever the writers saw, it never goes below zero.

mod common;

use std::str::FromStr;

use chrono::{DateTime, Utc};
use common::event;
use dropledger_devdb::TestDatabase;
use dropledger_domain::{
    Aggregate, CapitalCommand, CapitalEvent, CaptureId, CaptureStatus, Currency, EntryId, HoldId,
    HoldPurpose, Money, OrderId, Reference, WorkingCapital,
};
use dropledger_eventstore::{
    AppendError, CommandError, EventStore, ExpectedVersion, Metadata, NewEvent, StreamAppend,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn usd(amount: &str) -> Money {
    Money::new(Decimal::from_str(amount).unwrap(), Currency::Usd).unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

fn stream() -> String {
    WorkingCapital::stream_id(Currency::Usd)
}

fn contribution(amount: &str) -> CapitalCommand {
    CapitalCommand::ContributeCapital {
        entry_id: EntryId::from_uuid(Uuid::new_v4()),
        amount: usd(amount),
        reference: Reference::parse("seed").unwrap(),
        effective_at: now(),
    }
}

fn completed_payment(gross: &str) -> CapitalCommand {
    CapitalCommand::ReceivePayment {
        entry_id: EntryId::from_uuid(Uuid::new_v4()),
        order_id: OrderId::from_uuid(Uuid::new_v4()),
        capture_id: CaptureId::parse(&format!("CAP-{}", Uuid::new_v4())).unwrap(),
        gross: usd(gross),
        fee: usd("0.00"),
        status: CaptureStatus::Completed,
        effective_at: now(),
    }
}

fn hold(amount: &str) -> CapitalCommand {
    CapitalCommand::PlaceHold {
        hold_id: HoldId::from_uuid(Uuid::new_v4()),
        purpose: HoldPurpose::Purchase {
            order_id: OrderId::from_uuid(Uuid::new_v4()),
        },
        amount: usd(amount),
        effective_at: now(),
    }
}

fn metadata() -> Metadata {
    let mut metadata = Metadata::new("system:test");
    metadata.command_id = Some(Uuid::new_v4());
    metadata
}

/// Runs `command` as the command path does (capital from the store's last
/// view, appended whatever its version); whether it was recorded, and how
/// many times it was decided.
async fn run(store: &EventStore, command: CapitalCommand) -> (bool, u32) {
    let mut attempts = 0;
    let outcome = store
        .execute(|| {
            attempts += 1;
            let (store, command) = (store.clone(), command.clone());
            async move {
                let capital = store
                    .load_cached(&stream(), WorkingCapital::new(Currency::Usd))
                    .await?;
                let events = capital
                    .state
                    .decide(command)
                    .map_err(CommandError::Refused)?;
                Ok((vec![capital.append_commuting(&events, &metadata())], ()))
            }
        })
        .await;
    (outcome.is_ok(), attempts)
}

async fn replayed(store: &EventStore) -> WorkingCapital {
    store
        .load::<_, std::convert::Infallible>(&stream(), WorkingCapital::new(Currency::Usd))
        .await
        .unwrap()
        .state
}

fn encoded(events: &[CapitalEvent]) -> Vec<NewEvent> {
    events
        .iter()
        .map(|event| {
            let encoded = dropledger_domain::encode_event(event);
            NewEvent::new(encoded.event_type, encoded.payload, metadata())
        })
        .collect()
}

#[tokio::test]
async fn a_stream_with_a_budget_refuses_an_append_that_says_nothing_of_it() {
    let db = TestDatabase::new().await;
    let store = db.store();
    run(&store, contribution("10.00")).await;

    let refused = store
        .append(&stream(), ExpectedVersion::Any, &[event("HoldPlaced", 1)])
        .await;

    assert!(
        matches!(&refused, Err(AppendError::Invalid(message)) if message.contains("keeps a budget")),
        "{refused:?}"
    );
    assert_eq!(
        store.budget(&stream()).await.unwrap(),
        Some(Decimal::new(1000, 2))
    );
}

#[tokio::test]
async fn a_new_stream_cannot_start_below_zero() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let append = StreamAppend {
        budget_change: Some(Decimal::new(-1, 2)),
        ..StreamAppend::new(
            "capital-EUR",
            ExpectedVersion::Any,
            vec![event("HoldPlaced", 1)],
        )
    };

    let refused = store.append_one(&append).await;

    assert!(
        matches!(refused, Err(AppendError::BudgetExceeded { .. })),
        "{refused:?}"
    );
    assert_eq!(store.budget("capital-EUR").await.unwrap(), None);
}

/// Streams written before budgets existed get theirs from their events, once.
#[tokio::test]
async fn budgets_of_older_streams_are_computed_from_their_events() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let mut capital = WorkingCapital::new(Currency::Usd);
    let mut history = Vec::new();
    for command in [
        contribution("100.00"),
        completed_payment("40.00"),
        hold("25.00"),
    ] {
        let events = capital.decide(command).unwrap();
        capital = capital.replay(&events);
        history.extend(events);
    }
    // As an older version of the store wrote them: no budget.
    store
        .append(&stream(), ExpectedVersion::NoStream, &encoded(&history))
        .await
        .unwrap();
    let refused = run(&store, hold("1.00")).await;
    assert_eq!(refused, (false, 1), "no budget yet: refused, not guessed");

    let filled = store
        .backfill_budget::<CapitalEvent>(&stream())
        .await
        .unwrap();
    let again = store
        .backfill_budget::<CapitalEvent>(&stream())
        .await
        .unwrap();

    assert_eq!((filled, again), (true, false));
    assert_eq!(
        store.budget(&stream()).await.unwrap(),
        Some(capital.free().amount())
    );
    assert_eq!(capital.free(), usd("115.00"));
    assert_eq!(run(&store, hold("115.00")).await, (true, 1));
    assert!(
        !run(&store, hold("0.01")).await.0,
        "nothing is free any more"
    );
}

/// Cash coming in while holds are decided never makes a hold decide again.
#[tokio::test]
async fn money_coming_in_never_makes_a_hold_decide_again() {
    let db = TestDatabase::new().await;
    let store = db.store();
    run(&store, contribution("1000.00")).await;
    let mut tasks = Vec::new();
    for n in 0..24 {
        let store = store.clone();
        let command = if n % 2 == 0 {
            hold("10.00")
        } else {
            completed_payment("5.00")
        };
        tasks.push(tokio::spawn(async move { run(&store, command).await }));
    }
    let outcomes: Vec<(bool, u32)> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    assert!(
        outcomes.iter().all(|outcome| *outcome == (true, 1)),
        "{outcomes:?}"
    );
    let capital = replayed(&store).await;
    assert_eq!(capital.free(), usd("940.00"));
    assert_eq!(
        store.budget(&stream()).await.unwrap(),
        Some(capital.free().amount())
    );
}

#[derive(Debug, Clone)]
enum Move {
    Hold(u32),
    Contribute(u32),
    Payment(u32),
}

fn moves() -> impl Strategy<Value = Vec<Move>> {
    prop::collection::vec(
        prop_oneof![
            4 => (1..60_u32).prop_map(Move::Hold),
            1 => (1..60_u32).prop_map(Move::Contribute),
            1 => (1..60_u32).prop_map(Move::Payment),
        ],
        1..24,
    )
}

async fn check_no_overspend(start: u32, moves: Vec<Move>) -> Result<(), TestCaseError> {
    let db = TestDatabase::new().await;
    let store = db.store();
    run(&store, contribution(&format!("{start}.00"))).await;
    let tasks: Vec<_> = moves
        .iter()
        .map(|step| {
            let store = store.clone();
            let command = match step {
                Move::Hold(amount) => hold(&format!("{amount}.00")),
                Move::Contribute(amount) => contribution(&format!("{amount}.00")),
                Move::Payment(amount) => completed_payment(&format!("{amount}.00")),
            };
            tokio::spawn(async move { run(&store, command).await })
        })
        .collect();
    let outcomes: Vec<(bool, u32)> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let capital = replayed(&store).await;
    let coming_in: u32 = start
        + moves
            .iter()
            .map(|step| match step {
                Move::Contribute(amount) | Move::Payment(amount) => *amount,
                Move::Hold(_) => 0,
            })
            .sum::<u32>();
    let held: u32 = moves
        .iter()
        .zip(&outcomes)
        .filter_map(|(step, (recorded, _))| match step {
            Move::Hold(amount) if *recorded => Some(*amount),
            _ => None,
        })
        .sum();
    // Credits are never refused; holds only when short.
    for (step, (recorded, _)) in moves.iter().zip(&outcomes) {
        if !matches!(step, Move::Hold(_)) {
            prop_assert!(*recorded, "{step:?} refused");
        }
    }
    prop_assert!(held <= coming_in, "held {held} of {coming_in}");
    prop_assert_eq!(capital.committed(), usd(&format!("{held}.00")));
    prop_assert_eq!(capital.free(), usd(&format!("{}.00", coming_in - held)));
    prop_assert_eq!(
        store.budget(&stream()).await.unwrap(),
        Some(capital.free().amount())
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Any interleaving of concurrent holds and credits: never more held
    /// than came in, the budget is free capital, replay equals the store.
    #[test]
    fn concurrent_holds_and_credits_never_overspend(start in 0..200_u32, moves in moves()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(check_no_overspend(start, moves))?;
    }
}
