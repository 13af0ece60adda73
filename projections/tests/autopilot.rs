//! The autopilot projection: configuration, cycles, opportunities with their
//! decisions and published products, the default seller; and a rebuild that
//! gives the same rows as following the log live.

mod common;

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use common::*;
use dropledger_domain::*;
use dropledger_eventstore::{EventStore, Metadata};
use dropledger_projections::{
    autopilot_overview, default_seller, opportunities_page, rebuild, CycleStatus, Projection,
};
use uuid::Uuid;

fn metadata() -> Metadata {
    Metadata {
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        actor: "test".to_owned(),
        command_id: Some(Uuid::new_v4()),
    }
}

async fn decide<A: Aggregate>(store: &EventStore, stream: &str, initial: A, command: A::Command)
where
    A::Command: Clone,
{
    let loaded = store
        .load::<_, std::convert::Infallible>(stream, initial)
        .await
        .unwrap();
    let events = loaded.state.decide(command).unwrap();
    store
        .append_all(&[loaded.append(&events, &metadata())])
        .await
        .unwrap();
}

async fn register(store: &EventStore, n: u128, payout_email: Option<&str>) -> UserId {
    let user_id = UserId::from_uuid(Uuid::from_u128(n));
    decide(
        store,
        &User::stream_id(user_id),
        User::default(),
        UserCommand::RegisterUser {
            user_id,
            // Sealed by the API; the read model only sees that there is one.
            email: PersonalText::sealed(user_id.as_uuid(), format!("user{n}")),
            role: Role::User,
            payout_destination: payout_email.map(|email| PayoutDestination::Paypal {
                email: PersonalText::sealed(user_id.as_uuid(), email.to_owned()),
            }),
            registered_at: Utc::now(),
        },
    )
    .await;
    user_id
}

fn candidate(id: &str, cost: &str, stock: u32) -> Candidate {
    Candidate {
        supplier_product_id: SupplierProductId::parse(id).unwrap(),
        title: ProductTitle::parse(&format!("Product {id}")).unwrap(),
        supplier_cost: Money::parse(cost, "USD").unwrap(),
        shipping: Money::parse("2.35", "USD").unwrap(),
        stock,
    }
}

async fn cycle(store: &EventStore, n: u128, seller: UserId, candidates: Vec<Candidate>) -> CycleId {
    let cycle_id = CycleId::from_uuid(Uuid::from_u128(1_000 + n));
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 12, n as u32, 0).unwrap();
    let command = |command| decide(store, Autopilot::STREAM_ID, Autopilot::default(), command);
    command(AutopilotCommand::StartCycle {
        cycle_id,
        trigger: CycleTrigger::External,
        seller,
        started_at: at,
    })
    .await;
    command(AutopilotCommand::RecordOpportunities {
        cycle_id,
        source: "local".to_owned(),
        fee: FeeRule {
            percent: Percentage::parse("3.49").unwrap(),
            fixed: Money::parse("0.49", "USD").unwrap(),
        },
        candidates: candidates.clone(),
        already_listed: BTreeSet::new(),
        found_at: at,
    })
    .await;
    let loaded = store
        .load::<_, std::convert::Infallible>(Autopilot::STREAM_ID, Autopilot::default())
        .await
        .unwrap();
    let products: Vec<PublishedListing> = loaded
        .state
        .running()
        .unwrap()
        .listed()
        .map(|o| PublishedListing {
            supplier_product_id: o.supplier_product_id.clone(),
            product_id: ProductId::from_uuid(Uuid::new_v5(
                &cycle_id.as_uuid(),
                o.supplier_product_id.as_str().as_bytes(),
            )),
        })
        .collect();
    command(AutopilotCommand::RecordPublished {
        cycle_id,
        products,
        published_at: at,
    })
    .await;
    command(AutopilotCommand::FinishCycle {
        cycle_id,
        finished_at: at,
    })
    .await;
    cycle_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_autopilot_read_model_explains_each_cycle_and_rebuilds_to_the_same_rows() {
    let (database, store) = database().await;
    let (_runner, task) = spawn(&store, Projection::Autopilot, 3);
    register(&store, 1, None).await;
    let seller = register(&store, 2, Some("seller@example.com")).await;
    register(&store, 3, Some("late@example.com")).await;
    let settings = AutopilotSettings::new(
        false,
        60,
        Percentage::parse("42").unwrap(),
        MarkupRule {
            markup: Markup::new(rust_decimal::Decimal::ONE_HUNDRED).unwrap(),
            rounding: PriceRounding::UpToMinorUnit,
        },
        1,
        None,
    )
    .unwrap();
    decide(
        &store,
        Autopilot::STREAM_ID,
        Autopilot::default(),
        AutopilotCommand::Configure {
            settings: settings.clone(),
            configured_at: Utc::now(),
        },
    )
    .await;
    let candidates = vec![
        candidate("LAMP", "12.75", 100),
        candidate("STAND", "3.49", 100),
        candidate("GONE", "8.99", 0),
    ];
    let first = cycle(&store, 1, seller, candidates.clone()).await;
    let second = cycle(&store, 2, seller, candidates).await;
    let head = head(&store).await;
    wait_until_applied(&store, &[Projection::Autopilot], head).await;
    let pool = database.pool();

    let overview = autopilot_overview(pool, 10).await.unwrap();
    assert_eq!(overview.config.unwrap().settings, settings);
    let cycles: Vec<_> = overview
        .cycles
        .iter()
        .map(|c| (c.cycle_id, c.status, c.found, c.listed, c.published.len()))
        .collect();
    assert_eq!(
        cycles,
        vec![
            (second, CycleStatus::Finished, 3, 1, 1),
            (first, CycleStatus::Finished, 3, 1, 1),
        ]
    );

    // Newest first, best score first within a cycle, pages of two.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = opportunities_page(pool, 2, after).await.unwrap();
        seen.extend(page.edges.iter().map(|(_, o)| {
            (
                o.cycle_id,
                o.opportunity.supplier_product_id.to_string(),
                o.opportunity.decision,
                o.product_id.is_some(),
            )
        }));
        after = page.edges.last().map(|(cursor, _)| *cursor);
        if !page.has_next_page {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![
            (second, "LAMP".into(), Decision::AlreadyListed, false),
            (second, "GONE".into(), Decision::OutOfStock, false),
            (second, "STAND".into(), Decision::Listed, true),
            (first, "LAMP".into(), Decision::Listed, true),
            (first, "GONE".into(), Decision::OutOfStock, false),
            (first, "STAND".into(), Decision::OverCycleLimit, false),
        ]
    );
    // The first user with a PayPal payout e-mail.
    assert_eq!(default_seller(pool).await.unwrap(), Some(seller));

    let live = dump(pool, Projection::Autopilot).await;
    rebuild(&store, Some("autopilot"), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(dump(pool, Projection::Autopilot).await, live);
    task.abort();
}
