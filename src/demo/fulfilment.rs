//! Fulfilment: check the supplier's price and stock, reserve working
//! capital, buy through AliExpress, and record PURCHASED or FAILED.

use anyhow::Context;
use chrono::Utc;
use dropledger_domain::{
    confirm_purchase, fail_purchase, start_purchase, Aggregate, ConfirmPurchase, EntryId,
    FailPurchase, FailureReason, HoldId, Order, OrderDecision, OrderError, OrderStatus,
    StartPurchase, SupplierOrderId, WorkingCapital,
};
use dropledger_eventstore::{CommandError, Loaded};
use dropledger_integrations::{
    AliExpressError, AliExpressErrorKind, FakeOperation, Fault, OrderLine, PlaceOrder,
    ProductQuery, ShippingAddress,
};
use uuid::Uuid;

use super::catalog::{Listing, DELIVERY_METHOD};
use super::checkout::CheckedOut;
use super::{domain_money, progress, Demo, CURRENCY, SYSTEM_ACTOR};

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
        decide_pair(demo, checkout, |order, capital| {
            fail_purchase(
                order,
                capital,
                FailPurchase {
                    reason,
                    failed_at: Utc::now(),
                },
            )
        })
        .await?;
        progress(
            "fulfil",
            format!(
                "order {order_id}: FAILED {} before buying",
                reason.status_code()
            ),
        );
        return Ok(OrderStatus::Failed);
    }
    let hold_id = HoldId::from_uuid(Uuid::new_v4());
    let status = decide_pair(demo, checkout, |order, capital| {
        start_purchase(
            order,
            capital,
            StartPurchase {
                hold_id,
                started_at: Utc::now(),
            },
        )
    })
    .await?;
    if status != OrderStatus::Purchasing {
        progress(
            "fulfil",
            format!("order {order_id}: FAILED_INSUFFICIENT_FUNDS (free capital too low)"),
        );
        return Ok(status);
    }
    progress(
        "fulfil",
        format!("order {order_id}: capital reserved, buying from the supplier"),
    );
    match buy(demo, listing, checkout).await {
        Ok((supplier_order_id, cost)) => {
            let entry_id = EntryId::from_uuid(Uuid::new_v4());
            let command = ConfirmPurchase {
                supplier_order_id: SupplierOrderId::parse(&supplier_order_id)?,
                supplier_cost: cost,
                entry_id,
                confirmed_at: Utc::now(),
            };
            let status = decide_pair(demo, checkout, |order, capital| {
                confirm_purchase(order, capital, command.clone())
            })
            .await?;
            progress(
                "fulfil",
                format!(
                    "order {order_id}: PURCHASED, supplier order {supplier_order_id} for {cost}"
                ),
            );
            Ok(status)
        }
        Err(error) => {
            let reason = failure_reason(&error);
            let status = decide_pair(demo, checkout, |order, capital| {
                fail_purchase(
                    order,
                    capital,
                    FailPurchase {
                        reason,
                        failed_at: Utc::now(),
                    },
                )
            })
            .await?;
            progress(
                "fulfil",
                format!(
                    "order {order_id}: FAILED {} ({error}); hold voided",
                    reason.status_code()
                ),
            );
            Ok(status)
        }
    }
}

/// Re-reads the supplier's stock and price: a sold-out item or a price
/// above what the order reserved is not bought at all.
async fn check_supplier(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> anyhow::Result<Option<FailureReason>> {
    let product = demo
        .supplier
        .product(
            &demo.supplier_session,
            &ProductQuery {
                product_id: listing.supplier_product_id.clone(),
                ship_to_country: "US".to_owned(),
                currency: CURRENCY.code().to_owned(),
                language: "en".to_owned(),
            },
        )
        .await?;
    let Some(sku) = product.skus.iter().find(|sku| sku.sku_id == listing.sku_id) else {
        return Ok(Some(FailureReason::OutOfStock));
    };
    if sku.stock < u64::from(checkout.quantity) {
        return Ok(Some(FailureReason::OutOfStock));
    }
    // The supplier charges units plus shipping once; the order reserved
    // the landed cost of every unit.
    let expected = domain_money(&sku.price)?
        .checked_mul(checkout.quantity)?
        .checked_add(listing.shipping)?;
    let reserved = listing.landed_cost.checked_mul(checkout.quantity)?;
    if expected.checked_cmp(&reserved)?.is_gt() {
        return Ok(Some(FailureReason::SupplierPriceRose));
    }
    Ok(None)
}

/// Places the supplier order (idempotent on our order id) and reads back
/// what the supplier charged.
async fn buy(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> Result<(String, dropledger_domain::Money), BuyError> {
    let placed = demo
        .supplier
        .place_order(
            &demo.supplier_session,
            &PlaceOrder {
                out_order_id: checkout.order_id.to_string(),
                address: demo_address(),
                lines: vec![OrderLine {
                    product_id: listing.supplier_product_id.clone(),
                    quantity: checkout.quantity,
                    sku_attr: listing.sku_attr.clone(),
                    logistics_service_name: Some(DELIVERY_METHOD.to_owned()),
                }],
                pay_currency: CURRENCY.code().to_owned(),
            },
        )
        .await?;
    let supplier_order_id = placed
        .order_ids
        .first()
        .cloned()
        .ok_or(BuyError::Answer("no supplier order id"))?;
    let order = demo
        .supplier
        .order(&demo.supplier_session, &supplier_order_id)
        .await?;
    let amount = order.amount.ok_or(BuyError::Answer("no order amount"))?;
    let cost = domain_money(&amount).map_err(|_| BuyError::Answer("an invalid amount"))?;
    Ok((supplier_order_id, cost))
}

/// Why buying failed.
#[derive(Debug)]
enum BuyError {
    /// The supplier refused or could not be reached.
    Supplier(AliExpressError),
    /// The supplier's answer lacked something we need.
    Answer(&'static str),
}

impl From<AliExpressError> for BuyError {
    fn from(error: AliExpressError) -> Self {
        BuyError::Supplier(error)
    }
}

impl std::fmt::Display for BuyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuyError::Supplier(error) => error.fmt(f),
            BuyError::Answer(what) => write!(f, "the supplier's answer had {what}"),
        }
    }
}

/// The order's failure reason for a supplier error, by what the platform
/// code means (see `AliExpressErrorKind`).
fn failure_reason(error: &BuyError) -> FailureReason {
    let BuyError::Supplier(error) = error else {
        return FailureReason::SupplierRejected;
    };
    match error.kind() {
        Some(AliExpressErrorKind::OutOfStock | AliExpressErrorKind::ProductUnavailable) => {
            FailureReason::OutOfStock
        }
        Some(AliExpressErrorKind::TokenInvalid) => FailureReason::SupplierNotConnected,
        Some(AliExpressErrorKind::RateLimited | AliExpressErrorKind::ProviderUnavailable)
        | None => FailureReason::SupplierUnavailable,
        Some(_) => FailureReason::SupplierRejected,
    }
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
    let (status, _) = demo
        .store
        .execute(|| async {
            let order: Loaded<Order> = demo.store.load(&stream, Order::default()).await?;
            let capital = demo.capital().await?;
            let decision = decide(&order.state, &capital.state).map_err(CommandError::Refused)?;
            let status = order.state.clone().replay(&decision.order).status();
            Ok((
                vec![
                    order.append(&decision.order, &metadata),
                    capital.append(&decision.capital, &metadata),
                ],
                status,
            ))
        })
        .await?;
    status.context("the order does not exist")
}

/// Where the demo customer's parcels go.
fn demo_address() -> ShippingAddress {
    ShippingAddress {
        contact_person: "Ada Lovelace".to_owned(),
        address: "1 Analytical Way".to_owned(),
        address2: None,
        city: "Portland".to_owned(),
        province: "Oregon".to_owned(),
        country: "US".to_owned(),
        zip: "97201".to_owned(),
        phone_country: "1".to_owned(),
        mobile_no: "5035550100".to_owned(),
    }
}
