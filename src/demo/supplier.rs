//! The supplier's side of fulfilment: its current stock and price, the
//! purchase itself, and what its refusals mean for the order.

use dropledger_domain::{FailureReason, Money};
use dropledger_integrations::{
    AliExpressError, AliExpressErrorKind, OrderLine, PlaceOrder, ProductQuery, ShippingAddress,
};

use super::catalog::{Listing, DELIVERY_METHOD, SHIP_TO_COUNTRY};
use super::checkout::CheckedOut;
use super::{domain_money, Demo, CURRENCY};

/// Re-reads the supplier's stock and price: a sold-out item or a price
/// above what the order reserved is not bought at all.
pub async fn check_supplier(
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
                ship_to_country: SHIP_TO_COUNTRY.to_owned(),
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
pub async fn buy(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> Result<(String, Money), BuyError> {
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
pub enum BuyError {
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
pub fn failure_reason(error: &BuyError) -> FailureReason {
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

/// Where the demo customer's parcels go.
fn demo_address() -> ShippingAddress {
    ShippingAddress {
        contact_person: "Ada Lovelace".to_owned(),
        address: "1 Analytical Way".to_owned(),
        address2: None,
        city: "Portland".to_owned(),
        province: "Oregon".to_owned(),
        country: SHIP_TO_COUNTRY.to_owned(),
        zip: "97201".to_owned(),
        phone_country: "1".to_owned(),
        mobile_no: "5035550100".to_owned(),
    }
}
