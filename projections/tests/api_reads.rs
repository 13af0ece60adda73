//! What the API needs beyond the pages: a USER's product list, orders read
//! by id in one go, waiting for a position (read-your-writes), which runners
//! hold their lock, and a runner that stops cleanly when told to.

mod common;

use std::time::Duration;

use common::{append_business, database, head, options, spawn, WAIT_TIMEOUT};
use dropledger_domain::{
    Aggregate, Money, OrderId, Product, ProductCommand, ProductError, ProductId, ProductOrigin,
    ProductStatus, ProductTitle, SupplierProductId, UserId,
};
use dropledger_eventstore::{CommandError, Metadata};
use dropledger_projections::{
    orders_by_id, orders_page, products_page, projections_with_runner, ConsistencyError,
    OrderFilter, ProductFilter, Projection, Runner,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_product_list_holds_the_published_products_and_their_own_and_no_other() {
    let (database, store) = database().await;
    let _runner = spawn(&store, Projection::Commerce, 500);
    append_business(&store, 7, 300).await;
    // Another seller's DRAFT, which no other USER may see.
    let stranger = UserId::from_uuid(uuid::Uuid::new_v4());
    let draft = ProductId::from_uuid(uuid::Uuid::new_v4());
    let usd = |amount: &str| Money::parse(amount, "USD").unwrap();
    let command = ProductCommand::CreateProduct {
        product_id: draft,
        owner: stranger,
        title: ProductTitle::parse("Hidden lamp").unwrap(),
        supplier_product_id: SupplierProductId::parse("42").unwrap(),
        supplier_cost: usd("1.00"),
        price: usd("2.00"),
        origin: ProductOrigin::Manual,
        created_at: chrono::Utc::now(),
    };
    let metadata = Metadata {
        correlation_id: uuid::Uuid::new_v4(),
        causation_id: None,
        actor: stranger.to_string(),
        command_id: Some(draft.as_uuid()),
    };
    let stream = Product::stream_id(draft);
    store
        .execute(|| async {
            let product = store.load(&stream, Product::default()).await?;
            let events = product
                .state
                .decide(command.clone())
                .map_err(CommandError::<ProductError>::Refused)?;
            Ok((vec![product.append(&events, &metadata)], ()))
        })
        .await
        .unwrap();
    let head = head(&store).await;
    dropledger_projections::wait_until_applied(
        database.pool(),
        &[Projection::Commerce],
        head,
        WAIT_TIMEOUT,
    )
    .await
    .unwrap();
    let pool = database.pool();
    let all = products_page(pool, &ProductFilter::default(), 500, None)
        .await
        .unwrap();
    assert!(!all.has_next_page);
    let owner = all.edges[0].1.owner;
    assert!(all.edges.iter().any(|(_, p)| p.product_id == draft));
    let expected: Vec<_> = all
        .edges
        .iter()
        .filter(|(_, p)| p.status == ProductStatus::Published || p.owner == owner)
        .map(|(_, p)| p.product_id)
        .collect();
    assert!(
        expected.len() < all.edges.len(),
        "the business has products the user may not see"
    );
    let filter = ProductFilter {
        published_or_owned_by: Some(owner),
        ..ProductFilter::default()
    };
    let seen: Vec<_> = products_page(pool, &filter, 500, None)
        .await
        .unwrap()
        .edges
        .into_iter()
        .map(|(_, p)| p.product_id)
        .collect();
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_read_by_id_are_the_orders_asked_for_that_exist() {
    let (database, store) = database().await;
    let _runner = spawn(&store, Projection::Commerce, 500);
    append_business(&store, 11, 200).await;
    let head = head(&store).await;
    dropledger_projections::wait_until_applied(
        database.pool(),
        &[Projection::Commerce],
        head,
        WAIT_TIMEOUT,
    )
    .await
    .unwrap();
    let page = orders_page(database.pool(), &OrderFilter::default(), 5, None)
        .await
        .unwrap();
    let mut ids: Vec<OrderId> = page.edges.iter().map(|(_, o)| o.order_id).collect();
    assert_eq!(ids.len(), 5);
    ids.push(OrderId::from_uuid(uuid::Uuid::new_v4()));
    let mut found = orders_by_id(database.pool(), &ids).await.unwrap();
    found.sort_by_key(|o| o.created_position);
    let expected: Vec<_> = page.edges.into_iter().map(|(_, o)| o).collect();
    assert_eq!(found, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_position_returns_once_it_is_applied_and_times_out_when_it_is_not() {
    let (database, store) = database().await;
    let _runners: Vec<_> = Projection::ALL
        .into_iter()
        .map(|projection| spawn(&store, projection, 100))
        .collect();
    append_business(&store, 3, 100).await;
    let head = head(&store).await;
    dropledger_projections::wait_until_applied(
        database.pool(),
        &Projection::ALL,
        head,
        WAIT_TIMEOUT,
    )
    .await
    .unwrap();
    let waited = dropledger_projections::wait_until_applied(
        database.pool(),
        &[Projection::Ledger],
        head + 1_000,
        Duration::from_millis(300),
    )
    .await;
    match waited {
        Err(ConsistencyError::Timeout {
            projection,
            reached,
            wanted,
            waited_ms,
        }) => {
            assert_eq!(
                (projection, reached, wanted),
                ("ledger", head, head + 1_000)
            );
            assert!(waited_ms >= 300);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_told_to_stop_returns_and_releases_its_lock_with_its_checkpoint_written() {
    let (database, store) = database().await;
    append_business(&store, 5, 100).await;
    let head = head(&store).await;
    let runner = Runner::new(store.clone(), Projection::Audit, options(10));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = {
        let runner = runner.clone();
        tokio::spawn(async move {
            runner
                .run_until(async {
                    let _ = stopped.await;
                })
                .await
        })
    };
    dropledger_projections::wait_until_applied(
        database.pool(),
        &[Projection::Audit],
        head,
        WAIT_TIMEOUT,
    )
    .await
    .unwrap();
    assert_eq!(
        projections_with_runner(database.pool()).await.unwrap(),
        vec![Projection::Audit]
    );
    stop.send(()).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the runner stops within 10 s")
        .unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(!runner.is_active());
    assert_eq!(
        projections_with_runner(database.pool()).await.unwrap(),
        vec![]
    );
    let checkpoint: i64 =
        sqlx::query_scalar("SELECT position FROM projection_checkpoint WHERE name = 'audit'")
            .fetch_one(database.pool())
            .await
            .unwrap();
    assert_eq!(checkpoint as u64, head);
}
