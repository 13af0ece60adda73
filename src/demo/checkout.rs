//! Customer checkouts: a PayPal order, our order, the buyer's approval, the
//! capture, and the payment recorded against working capital.

use anyhow::{bail, Context};
use chrono::Utc;
use dropledger_domain::{
    capture_payment, Aggregate, CapitalCommand, CaptureId, CapturePayment, CaptureStatus, EntryId,
    Order, OrderCommand, OrderId, Product, ProviderOrderId, WorkingCapital,
};
use dropledger_eventstore::CommandError;
use dropledger_integrations::{Capture, CheckoutItem, CheckoutOrder};
use uuid::Uuid;

use super::catalog::Listing;
use super::setup::People;
use super::{domain_money, progress, wire_money, Demo, CURRENCY, SYSTEM_ACTOR};

/// The checkouts the customer makes: (listing index, quantity).
const CHECKOUTS: [(usize, u32); 6] = [(0, 1), (1, 2), (2, 1), (3, 1), (0, 2), (2, 1)];
/// Where PayPal sends the buyer back after approving.
const RETURN_URL: &str = "http://127.0.0.1/demo/checkout/return";
const CANCEL_URL: &str = "http://127.0.0.1/demo/checkout/cancel";

/// A paid order.
#[derive(Debug, Clone)]
pub struct CheckedOut {
    /// Our order.
    pub order_id: OrderId,
    /// Shared by every event of this order's flow.
    pub correlation_id: Uuid,
    /// Index into the listings.
    pub listing: usize,
    /// Units bought.
    pub quantity: u32,
    /// PayPal's capture id.
    pub capture_id: String,
    /// PayPal left the capture PENDING.
    pub pending: bool,
}

/// Places, approves and captures every checkout of [`CHECKOUTS`].
pub async fn place_orders(
    demo: &Demo,
    people: &People,
    listings: &[Listing],
) -> anyhow::Result<Vec<CheckedOut>> {
    let mut paid = Vec::new();
    for (listing, quantity) in CHECKOUTS {
        let listing_ref = listings.get(listing).context("no such listing")?;
        paid.push(check_out(demo, people, listing, listing_ref, quantity).await?);
    }
    Ok(paid)
}

async fn check_out(
    demo: &Demo,
    people: &People,
    index: usize,
    listing: &Listing,
    quantity: u32,
) -> anyhow::Result<CheckedOut> {
    let order_id = OrderId::from_uuid(Uuid::new_v4());
    let correlation_id = Uuid::new_v4();
    let checkout = CheckoutOrder {
        reference_id: order_id.to_string(),
        custom_id: Some(Order::stream_id(order_id)),
        invoice_id: None,
        currency: CURRENCY.code().to_owned(),
        items: vec![CheckoutItem {
            name: listing.title.clone(),
            sku: Some(listing.supplier_product_id.clone()),
            unit_amount: wire_money(listing.price),
            quantity,
        }],
        shipping: None,
        return_url: RETURN_URL.to_owned(),
        cancel_url: CANCEL_URL.to_owned(),
        brand_name: Some("dropledger demo".to_owned()),
    };
    // Our order id is the request id: a retried call creates one PayPal order.
    let created = demo
        .paypal
        .create_order(&checkout, &format!("create-{order_id}"))
        .await?;
    create_order(
        demo,
        order_id,
        correlation_id,
        listing,
        quantity,
        &created.id,
    )
    .await?;
    approve(&created.approve_url).await?;
    let capture = demo
        .paypal
        .capture_order(&created.id, &format!("capture-{order_id}"))
        .await?;
    let pending = record_capture(demo, people, order_id, correlation_id, &capture).await?;
    progress(
        "checkout",
        format!(
            "order {order_id}: {quantity} × \"{}\" paid {} ({}, PayPal order {})",
            listing.title,
            capture.gross,
            if pending { "PENDING" } else { "COMPLETED" },
            created.id
        ),
    );
    Ok(CheckedOut {
        order_id,
        correlation_id,
        listing: index,
        quantity,
        capture_id: capture.id,
        pending,
    })
}

/// Anyone may start a checkout: the order takes the published product's terms.
async fn create_order(
    demo: &Demo,
    order_id: OrderId,
    correlation_id: Uuid,
    listing: &Listing,
    quantity: u32,
    paypal_order_id: &str,
) -> anyhow::Result<()> {
    let product_stream = Product::stream_id(listing.product_id);
    let order_stream = Order::stream_id(order_id);
    let provider_order_id = ProviderOrderId::parse(paypal_order_id)?;
    let metadata = demo.metadata(correlation_id, SYSTEM_ACTOR);
    demo.store
        .execute(|| async {
            let product = demo.store.load(&product_stream, Product::default()).await?;
            let terms = product
                .state
                .checkout_terms()
                .map_err(|error| CommandError::Refused(anyhow::Error::from(error)))?;
            let order = demo.store.load(&order_stream, Order::default()).await?;
            let events = order
                .state
                .decide(OrderCommand::CreateOrder {
                    order_id,
                    terms,
                    quantity,
                    provider_order_id: provider_order_id.clone(),
                    created_at: Utc::now(),
                })
                .map_err(|error| CommandError::Refused(anyhow::Error::from(error)))?;
            Ok((vec![order.append(&events, &metadata)], ()))
        })
        .await
        .map_err(command_error)?;
    Ok(())
}

/// The buyer approves by opening the approve URL; PayPal redirects back.
async fn approve(approve_url: &str) -> anyhow::Result<()> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = browser.get(approve_url).send().await?;
    if !response.status().is_redirection() {
        bail!("approving at PayPal answered {}", response.status());
    }
    Ok(())
}

/// The signed-in buyer's capture makes the order PAID and receives the
/// money as pending or available cash, as PayPal reports it.
async fn record_capture(
    demo: &Demo,
    people: &People,
    order_id: OrderId,
    correlation_id: Uuid,
    capture: &Capture,
) -> anyhow::Result<bool> {
    let status = match capture.status {
        dropledger_integrations::CaptureStatus::Completed => CaptureStatus::Completed,
        dropledger_integrations::CaptureStatus::Pending => CaptureStatus::Pending,
        ref other => bail!("PayPal capture {} is {other:?}: not paid", capture.id),
    };
    let fee = capture
        .paypal_fee
        .as_ref()
        .context("PayPal reported no fee for the capture")?;
    let command = CapturePayment {
        buyer: people.buyer,
        capture_id: CaptureId::parse(&capture.id)?,
        amount: domain_money(&capture.gross)?,
        fee: domain_money(fee)?,
        status,
        entry_id: EntryId::from_uuid(Uuid::new_v4()),
        captured_at: Utc::now(),
    };
    let order_stream = Order::stream_id(order_id);
    let metadata = demo.metadata(correlation_id, &people.buyer.to_string());
    demo.store
        .execute(|| async {
            let order = demo.store.load(&order_stream, Order::default()).await?;
            let capital = demo.capital().await?;
            let decision = capture_payment(&order.state, &capital.state, command.clone())
                .map_err(CommandError::Refused)?;
            Ok((
                vec![
                    order.append(&decision.order, &metadata),
                    capital.append(&decision.capital, &metadata),
                ],
                (),
            ))
        })
        .await?;
    Ok(status == CaptureStatus::Pending)
}

/// PayPal completes held captures later; the demo asks the fake to do it
/// now and records the cash as available once PayPal reports COMPLETED.
pub async fn complete_pending_captures(
    demo: &Demo,
    checkouts: &[CheckedOut],
) -> anyhow::Result<()> {
    for checkout in checkouts.iter().filter(|c| c.pending) {
        demo.fakes
            .paypal
            .complete_capture(&checkout.capture_id)
            .await
            .map_err(anyhow::Error::msg)?;
        let capture = demo.paypal.capture(&checkout.capture_id).await?;
        if capture.status != dropledger_integrations::CaptureStatus::Completed {
            bail!("capture {} is still {:?}", capture.id, capture.status);
        }
        demo.decide(
            &WorkingCapital::stream_id(CURRENCY),
            WorkingCapital::new(CURRENCY),
            CapitalCommand::CompleteCapture {
                entry_id: EntryId::from_uuid(Uuid::new_v4()),
                capture_id: CaptureId::parse(&capture.id)?,
                effective_at: Utc::now(),
            },
            &demo.metadata(checkout.correlation_id, SYSTEM_ACTOR),
        )
        .await?;
        progress(
            "settle",
            format!(
                "order {}: capture {} COMPLETED",
                checkout.order_id, capture.id
            ),
        );
    }
    Ok(())
}

/// A command error whose refusal is already an `anyhow::Error`.
fn command_error(error: CommandError<anyhow::Error>) -> anyhow::Error {
    match error {
        CommandError::Refused(refusal) => refusal,
        other => anyhow::anyhow!("{other}"),
    }
}
