//! The supplier's side of the demo's fulfilment, through the functions the
//! fulfilment manager uses (`crate::fulfilment::supplier`).

use dropledger_domain::{FailureReason, Money};

pub use crate::fulfilment::supplier::SupplierError as BuyError;
use crate::fulfilment::supplier::{self, sandbox_address, Offer, Wanted};

use super::catalog::Listing;
use super::checkout::CheckedOut;
use super::Demo;

/// What the checkout reserved for the listing's variant.
fn wanted(listing: &Listing, checkout: &CheckedOut) -> anyhow::Result<Wanted> {
    Ok(Wanted {
        product_id: listing.supplier_product_id.clone(),
        sku_id: Some(listing.sku_id.clone()),
        quantity: checkout.quantity,
        reserved: listing.landed_cost.checked_mul(checkout.quantity)?,
        resuming: false,
    })
}

/// Re-reads the supplier's stock and price: a sold-out item or a price
/// above what the order reserved is not bought at all.
pub async fn check_supplier(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> anyhow::Result<Option<FailureReason>> {
    let wanted = wanted(listing, checkout)?;
    match supplier::check_offer(&demo.supplier, &demo.supplier_session, &wanted).await {
        Ok(_) => Ok(None),
        Err(BuyError::Refused(reason)) => Ok(Some(reason)),
        Err(other) => Err(other.into()),
    }
}

/// Places the supplier order (idempotent on our order id) and reads back
/// what the supplier charged.
pub async fn buy(
    demo: &Demo,
    listing: &Listing,
    checkout: &CheckedOut,
) -> Result<(String, Money), BuyError> {
    let wanted =
        wanted(listing, checkout).map_err(|_| BuyError::Answer("an amount out of range"))?;
    let offer = Offer {
        sku_attr: listing.sku_attr.clone(),
        landed_cost: wanted.reserved,
    };
    supplier::buy(
        &demo.supplier,
        &demo.supplier_session,
        &checkout.order_id.to_string(),
        &wanted,
        &offer,
        sandbox_address(),
    )
    .await
}

/// The order's failure reason for a supplier error.
pub fn failure_reason(error: &BuyError) -> FailureReason {
    error.failure_reason()
}
