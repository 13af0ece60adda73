//! Fulfilment: check the supplier's price and stock, reserve working
//! capital, buy through AliExpress, and record PURCHASED or FAILED.

use anyhow::Context;
use chrono::Utc;
use dropledger_domain::{
    confirm_purchase, fail_purchase, start_purchase, ConfirmPurchase, EntryId, FailPurchase,
    FailureReason, HoldId, Order, OrderDecision, OrderError, OrderStatus, StartPurchase,
    SupplierOrderId, WorkingCapital,
};
use dropledger_integrations::{FakeOperation, Fault};
use uuid::Uuid;

use super::catalog::Listing;
use super::checkout::CheckedOut;
use super::supplier::{buy, check_supplier, failure_reason};
use super::{progress, Demo, SYSTEM_ACTOR};
use crate::automation::commands::decide_order;

/// The checkout (by position) whose product the supplier sells out of
/// before fulfilment: the stock check fails it before any capital is held.
const SOLD_OUT_BEFORE_CHECK: usize = 3;
/// The checkout whose purchase the supplier refuses for stock after our
/// check passed (someone else bought the last units): its hold is voided.
const SOLD_OUT_AT_PURCHASE: usize = 4;

/// How an order's fulfilment ended.
#[derive(Debug, Clone)]
pub struct Fulfilled {
    /// The checkout.
    pub checkout: CheckedOut,
    /// PURCHASED or FAILED.
    pub status: OrderStatus,
}

/// Fulfils every paid order in turn.
pub async fn fulfil_all(
    demo: &Demo,
    listings: &[Listing],
    checkouts: &[CheckedOut],
) -> anyhow::Result<Vec<Fulfilled>> {
    let mut fulfilled = Vec::new();
    for (position, checkout) in checkouts.iter().enumerate() {
        let listing = listings.get(checkout.listing).context("no such listing")?;
        stage_supplier_trouble(demo, position, listing);
        let status = fulfil(demo, listing, checkout).await?;
        fulfilled.push(Fulfilled {
            checkout: checkout.clone(),
            status,
        });
    }
    Ok(fulfilled)
}

/// Makes the fake supplier misbehave for two chosen orders, so the summary
/// shows both ways a purchase fails.
fn stage_supplier_trouble(demo: &Demo, position: usize, listing: &Listing) {
    let fake = &demo.fakes.aliexpress;
    if position == SOLD_OUT_BEFORE_CHECK {
        fake.set_stock(&listing.supplier_product_id, &listing.sku_id, 0);
        progress(
            "scenario",
            format!("the supplier sells out of \"{}\"", listing.title),
        );
    }
    if position == SOLD_OUT_AT_PURCHASE {
        fake.inject(FakeOperation::AliExpressPlaceOrder, Fault::OutOfStock);
        progress(
            "scenario",
            "the supplier will refuse the next purchase: stock gone after our check",
        );
    }
}

async fn fulfil(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> anyhow::Result<OrderStatus> {
    let order_id = checkout.order_id;
    if let Some(reason) = check_supplier(demo, listing, checkout).await? {
        let status = fail(demo, checkout, reason).await?;
        let code = reason.status_code();
        progress(
            "fulfil",
            format!("order {order_id}: FAILED {code} before buying"),
        );
        return Ok(status);
    }
    let hold_id = HoldId::from_uuid(Uuid::new_v4());
    let status = decide_pair(demo, checkout, |order, capital| {
        let command = StartPurchase {
            hold_id,
            started_at: Utc::now(),
        };
        start_purchase(order, capital, command)
    })
    .await?;
    if status != OrderStatus::Purchasing {
        let message = format!("order {order_id}: FAILED_INSUFFICIENT_FUNDS (free capital too low)");
        progress("fulfil", message);
        return Ok(status);
    }
    progress(
        "fulfil",
        format!("order {order_id}: capital reserved, buying from the supplier"),
    );
    purchase(demo, listing, checkout).await
}

/// Buys with capital held: PURCHASED with the supplier's order id and
/// real cost (the rest of the hold released), or FAILED with the hold voided.
async fn purchase(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> anyhow::Result<OrderStatus> {
    let order_id = checkout.order_id;
    let (supplier_order_id, cost) = match buy(demo, listing, checkout).await {
        Ok(bought) => bought,
        Err(error) => {
            let reason = failure_reason(&error);
            let status = fail(demo, checkout, reason).await?;
            let code = reason.status_code();
            progress(
                "fulfil",
                format!("order {order_id}: FAILED {code} ({error}); hold voided"),
            );
            return Ok(status);
        }
    };
    let command = ConfirmPurchase {
        supplier_order_id: SupplierOrderId::parse(&supplier_order_id)?,
        supplier_cost: cost,
        entry_id: EntryId::from_uuid(Uuid::new_v4()),
        confirmed_at: Utc::now(),
    };
    let status = decide_pair(demo, checkout, |order, capital| {
        confirm_purchase(order, capital, command.clone())
    })
    .await?;
    let message =
        format!("order {order_id}: PURCHASED, supplier order {supplier_order_id} for {cost}");
    progress("fulfil", message);
    Ok(status)
}

/// The order FAILS with `reason`; any hold it had is voided in the same append.
async fn fail(
    demo: &Demo,
    checkout: &CheckedOut,
    reason: FailureReason,
) -> anyhow::Result<OrderStatus> {
    decide_pair(demo, checkout, |order, capital| {
        let command = FailPurchase {
            reason,
            failed_at: Utc::now(),
        };
        fail_purchase(order, capital, command)
    })
    .await
}

/// Decides a fact about the order and working capital together and appends
/// both streams atomically; returns the order's status after it.
async fn decide_pair<F>(
    demo: &Demo,
    checkout: &CheckedOut,
    decide: F,
) -> anyhow::Result<OrderStatus>
where
    F: Fn(&Order, &WorkingCapital) -> Result<OrderDecision, OrderError>,
{
    let stream = Order::stream_id(checkout.order_id);
    let metadata = demo.metadata(checkout.correlation_id, SYSTEM_ACTOR);
    // The same atomic order-and-capital append the fulfilment manager uses.
    Ok(decide_order(&demo.store, &stream, &metadata, decide).await?)
}
