//! The typed queries the API calls: pages, filters and cursors.

mod common;

use common::*;
use dropledger_domain::{OrderStatus, PayoutStatus};
use dropledger_projections::{
    audit_trail, order, orders_page, payouts_page, products_page, sales_page, AuditFilter, Cursor,
    OrderFilter, PayoutFilter, ProductFilter, Projection, SaleFilter,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_walk_every_row_once_in_creation_order_and_filters_narrow_them() {
    let (database, store) = database().await;
    let runners: Vec<_> = Projection::ALL
        .into_iter()
        .map(|projection| spawn(&store, projection, 500))
        .collect();
    append_business(&store, 61, 600).await;
    let head = head(&store).await;
    wait_until_applied(&store, &Projection::ALL, head).await;
    let pool = database.pool();

    // Orders: pages of 7 cover every order once, oldest first.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = orders_page(pool, &OrderFilter::default(), 7, after)
            .await
            .unwrap();
        assert!(page.edges.len() <= 7);
        seen.extend(
            page.edges
                .iter()
                .map(|(cursor, o)| (cursor.position(), o.order_id)),
        );
        after = page.edges.last().map(|(cursor, _)| *cursor);
        if !page.has_next_page {
            break;
        }
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_commerce.shop_order")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(seen.len() as i64, count);
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    let (_, first_id) = seen[0];
    let one = order(pool, first_id).await.unwrap().unwrap();
    assert_eq!(one.order_id, first_id);
    assert_eq!(
        Cursor::decode(&Cursor::after(5).encode())
            .unwrap()
            .position(),
        5
    );
    assert!(Cursor::decode("5").is_err());

    // Filters: a status, a party.
    let paid = orders_page(
        pool,
        &OrderFilter {
            status: Some(OrderStatus::Purchased),
            party: None,
        },
        500,
        None,
    )
    .await
    .unwrap();
    assert!(paid
        .edges
        .iter()
        .all(|(_, o)| o.status == OrderStatus::Purchased));
    let seller = one.seller;
    let theirs = orders_page(
        pool,
        &OrderFilter {
            status: None,
            party: Some(seller),
        },
        500,
        None,
    )
    .await
    .unwrap();
    assert!(!theirs.edges.is_empty());
    assert!(theirs
        .edges
        .iter()
        .all(|(_, o)| o.seller == seller || o.buyer == Some(seller)));

    // Sales add up; payouts and products filter by status.
    let sales = sales_page(pool, &SaleFilter::default(), 500, None)
        .await
        .unwrap();
    assert!(!sales.edges.is_empty());
    for (_, sale) in &sales.edges {
        let sum = sale
            .supplier_cost
            .checked_add(sale.fees)
            .unwrap()
            .checked_add(sale.commission)
            .unwrap()
            .checked_add(sale.net_profit)
            .unwrap();
        assert_eq!(sum, sale.sale_price);
    }
    let sent = payouts_page(
        pool,
        &PayoutFilter {
            status: Some(PayoutStatus::Sent),
            payee: None,
        },
        500,
        None,
    )
    .await
    .unwrap();
    assert!(!sent.edges.is_empty());
    assert!(sent
        .edges
        .iter()
        .all(|(_, p)| p.status == PayoutStatus::Sent && p.provider_payout_id.is_some()));
    let products = products_page(pool, &ProductFilter::default(), 500, None)
        .await
        .unwrap();
    assert_eq!(products.edges.len(), 20);

    // The audit trail of one flow lists its events in log order.
    let all = audit_trail(pool, &AuditFilter::default(), 1, None)
        .await
        .unwrap();
    let first = &all.edges[0].1;
    assert_eq!(first.position, 1);
    let order_stream = format!("order-{}", first_id.as_uuid());
    let flow = audit_trail(
        pool,
        &AuditFilter {
            stream_id: Some(order_stream.clone()),
            ..AuditFilter::default()
        },
        100,
        None,
    )
    .await
    .unwrap();
    assert!(!flow.edges.is_empty());
    let correlation = flow.edges[0].1.correlation_id;
    let by_correlation = audit_trail(
        pool,
        &AuditFilter {
            correlation_id: Some(correlation),
            ..AuditFilter::default()
        },
        100,
        None,
    )
    .await
    .unwrap();
    assert!(by_correlation.edges.len() >= flow.edges.len());
    assert!(by_correlation
        .edges
        .iter()
        .all(|(_, r)| r.correlation_id == correlation));
    assert!(by_correlation
        .edges
        .windows(2)
        .all(|w| w[0].1.position < w[1].1.position));
    for (_, task) in runners {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_keeps_metadata_with_tabs_backslashes_and_newlines_exactly() {
    let (database, store) = database().await;
    let actor = "system:odd\tactor\\with\nbreaks\r";
    store
        .append(
            "integration-webhook-1",
            dropledger_eventstore::ExpectedVersion::Any,
            &[dropledger_eventstore::NewEvent::new(
                "WebhookReceived",
                serde_json::json!({"type": "WebhookReceived"}),
                dropledger_eventstore::Metadata::new(actor),
            )],
        )
        .await
        .unwrap();
    let head = head(&store).await;
    let (_runner, task) = spawn(&store, Projection::Audit, 10);
    wait_until_applied(&store, &[Projection::Audit], head).await;
    task.abort();
    let filter = AuditFilter {
        actor: Some(actor.to_owned()),
        ..AuditFilter::default()
    };
    let page = audit_trail(database.pool(), &filter, 10, None)
        .await
        .unwrap();
    assert_eq!(page.edges.len(), 1);
    assert_eq!(page.edges[0].1.actor, actor);
    assert_eq!(page.edges[0].1.stream_id, "integration-webhook-1");
}
