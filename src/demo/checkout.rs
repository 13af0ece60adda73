//! Customer checkouts, as a storefront drives them: a checkout started
//! anonymously, approved at PayPal in the customer's browser, captured by
//! the signed-in customer. From the capture on nothing is the demo's doing:
//! the server's fulfilment buys from the supplier against working capital,
//! and the demo only watches each order until it is PURCHASED or FAILED.
//! Two checkouts meet a supplier in trouble, staged at the fake. When the
//! fake PayPal leaves captures PENDING, each order waits for clearance
//! until the demo, as PayPal, completes its capture; one more checkout is
//! then placed whose capture PayPal denies.

use std::time::Duration;

use anyhow::{bail, Context};
use dropledger_integrations::{FakeAliExpress, FakeOperation, FakePayPal, FakeProviders, Fault};
use serde_json::{json, Value};

use super::api::{text, Api};
use super::catalog::Listing;
use super::progress;
use super::setup::People;

/// The checkouts: (listing, quantity). `LAST` is the last listing, the one
/// the supplier runs out of; it is bought nowhere else.
const CHECKOUTS: [(Pick, u32); 6] = [
    (Pick::Nth(0), 1),
    (Pick::Nth(1), 2),
    (Pick::Nth(2), 1),
    (Pick::Last, 1),
    (Pick::Last, 1),
    (Pick::Nth(0), 2),
];
/// The checkout whose purchase the supplier refuses after our stock check
/// (capital was already held: the hold is voided).
const REFUSED_AT_PURCHASE: usize = 3;
/// The checkout whose item is sold out before fulfilment checks stock.
const SOLD_OUT_BEFORE_CHECK: usize = 4;
/// How long an order may take from capture to PURCHASED or FAILED.
const FULFILMENT_WAIT_MS: u64 = 60_000;
/// Between two looks at an order.
const POLL_INTERVAL_MS: u64 = 100;

/// Which listing a checkout buys.
#[derive(Debug, Clone, Copy)]
enum Pick {
    Nth(usize),
    Last,
}

/// Places every checkout of [`CHECKOUTS`] in turn, each watched until its
/// fulfilment ends, so that the staged supplier trouble meets the order it
/// is meant for; how many were PURCHASED.
pub async fn place_all(
    api: &Api,
    people: &People,
    listings: &[Listing],
    fakes: &FakeProviders,
    pending: bool,
) -> anyhow::Result<usize> {
    let supplier = &fakes.aliexpress;
    if listings.len() < 2 {
        bail!(
            "the scenario needs two listings; the autopilot listed {}",
            listings.len()
        );
    }
    let mut purchased = 0;
    for (number, (pick, quantity)) in CHECKOUTS.into_iter().enumerate() {
        let listing = match pick {
            Pick::Nth(index) => &listings[index % (listings.len() - 1)],
            Pick::Last => &listings[listings.len() - 1],
        };
        let order_id = check_out(api, listing, quantity, number).await?;
        stage_supplier_trouble(supplier, number, listing);
        capture(api, people, &order_id).await?;
        if pending {
            settle_as_paypal(&fakes.paypal, number, Clearance::Complete).await?;
        }
        let order = wait_for_fulfilment(api, people, &order_id).await?;
        let outcome = if order["status"] == "PURCHASED" {
            purchased += 1;
            format!(
                "PURCHASED, supplier order {}",
                text(&order, "supplierOrderId")?
            )
        } else {
            format!("FAILED: {}", text(&order, "failureReason")?)
        };
        progress("fulfilment", format!("order {}: {outcome}", number + 1));
    }
    if pending {
        let number = CHECKOUTS.len();
        let order_id = check_out(api, &listings[0], 1, number).await?;
        capture(api, people, &order_id).await?;
        settle_as_paypal(&fakes.paypal, number, Clearance::Deny).await?;
        let order = wait_for_fulfilment(api, people, &order_id).await?;
        progress(
            "fulfilment",
            format!(
                "order {}: {}: {}",
                number + 1,
                text(&order, "status")?,
                text(&order, "failureReason")?
            ),
        );
    }
    Ok(purchased)
}

/// What PayPal does with a PENDING capture.
#[derive(Debug, Clone, Copy)]
enum Clearance {
    Complete,
    Deny,
}

/// PayPal settles the one capture it holds PENDING (the checkout just
/// captured); its webhook tells the server.
async fn settle_as_paypal(
    paypal: &FakePayPal,
    number: usize,
    clearance: Clearance,
) -> anyhow::Result<()> {
    let [capture_id] = paypal.pending_captures().try_into().map_err(|pending| {
        anyhow::anyhow!("expected one PENDING capture at PayPal, found {pending:?}")
    })?;
    let (settled, words) = match clearance {
        Clearance::Complete => (paypal.complete_capture(&capture_id).await, "COMPLETED"),
        Clearance::Deny => (paypal.deny_capture(&capture_id).await, "DENIED"),
    };
    settled.map_err(|reason| anyhow::anyhow!("settling capture {capture_id}: {reason}"))?;
    progress(
        "payment",
        format!("order {}: PayPal {words} the pending capture", number + 1),
    );
    Ok(())
}

/// Starts the checkout and approves it at PayPal; our order id.
async fn check_out(
    api: &Api,
    listing: &Listing,
    quantity: u32,
    number: usize,
) -> anyhow::Result<String> {
    let payload = api
        .mutate(
            None,
            "createCheckout",
            "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId approveUrl userErrors { code message } } }",
            json!({ "input": {
                "productId": listing.product_id,
                "quantity": quantity,
                "idempotencyKey": format!("demo-checkout-{number}"),
            } }),
        )
        .await?;
    // The customer's browser: PayPal's approval page sends them back to
    // the storefront's return URL.
    api.follow(text(&payload, "approveUrl")?).await?;
    progress(
        "checkout",
        format!(
            "order {}: {quantity} × \"{}\" approved at PayPal",
            number + 1,
            listing.title
        ),
    );
    Ok(text(&payload, "orderId")?.to_owned())
}

/// The signed-in customer captures the approved payment.
async fn capture(api: &Api, people: &People, order_id: &str) -> anyhow::Result<()> {
    let payload = api
        .mutate(
            Some(&people.buyer.token),
            "captureCheckout",
            "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { status } userErrors { code message } } }",
            json!({ "input": { "orderId": order_id } }),
        )
        .await?;
    let status = text(&payload["order"], "status")?;
    progress("payment", format!("captured: the order is {status}"));
    Ok(())
}

/// Makes the fake supplier misbehave for two chosen checkouts, so the
/// summary shows both ways a purchase fails.
fn stage_supplier_trouble(supplier: &FakeAliExpress, number: usize, listing: &Listing) {
    if number == REFUSED_AT_PURCHASE {
        supplier.inject_times(FakeOperation::AliExpressPlaceOrder, Fault::OutOfStock, 1);
        progress(
            "scenario",
            "the supplier will refuse the next purchase: stock gone after our check",
        );
    }
    if number == SOLD_OUT_BEFORE_CHECK {
        supplier.set_product_stock(&listing.supplier_product_id, 0);
        progress(
            "scenario",
            format!("the supplier sells out of \"{}\"", listing.title),
        );
    }
}

/// Polls the order until fulfilment has ended.
async fn wait_for_fulfilment(api: &Api, people: &People, order_id: &str) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(FULFILMENT_WAIT_MS);
    loop {
        let data = api
            .run(
                Some(&people.admin.token),
                "query($id: ID!) { order(id: $id) { status failureReason supplierOrderId } }",
                json!({ "id": order_id }),
            )
            .await?;
        let order = data["order"].clone();
        if matches!(order["status"].as_str(), Some("PURCHASED" | "FAILED")) {
            return Ok(order);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(anyhow::anyhow!("order {order_id} is still {}", order["status"]))
                .context("fulfilment did not finish within a minute; `dropledger status` shows whether the server is following the log");
        }
        tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
    }
}
