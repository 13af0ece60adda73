//! The supplier's side of fulfilment: its current stock and price, the
//! purchase itself (idempotent on `out_order_id`), and what its refusals
//! mean for the order.

use dropledger_domain::{Currency, FailureReason, Money};
use dropledger_integrations::{
    AliExpressClient, AliExpressError, AliExpressErrorKind, FreightQuery, OrderLine, PayPalError,
    PlaceOrder, ProductQuery, SecretString, ShippingAddress,
};

/// Where the buyers are.
pub const SHIP_TO_COUNTRY: &str = "US";
/// The delivery method every purchase uses.
pub const DELIVERY_METHOD: &str = "CAINIAO_STANDARD";

/// What to buy: the supplier product and what our order reserved for it.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The supplier's product id.
    pub product_id: String,
    /// The variant, when the listing chose one; otherwise the cheapest in stock.
    pub sku_id: Option<String>,
    /// Units.
    pub quantity: u32,
    /// What the order reserved for all units, shipping included.
    pub reserved: Money,
    /// The purchase may already be placed (resuming after a crash or a lost
    /// answer): our own order took the stock, so neither stock nor price is
    /// checked; the supplier's `out_order_id` dedupe answers with the order
    /// already placed.
    pub resuming: bool,
}

/// The variant the supplier will sell, at today's landed cost.
#[derive(Debug, Clone)]
pub struct Offer {
    /// The variant as an order line names it.
    pub sku_attr: String,
    /// Units plus shipping once, at the supplier's current prices.
    pub landed_cost: Money,
}

/// Why the supplier step did not end in a purchase.
#[derive(Debug, thiserror::Error)]
pub enum SupplierError {
    /// Do not buy: a business outcome to record on the order.
    #[error("{}", .0.status_code())]
    Refused(FailureReason),
    /// The supplier refused or could not be reached.
    #[error(transparent)]
    Supplier(#[from] AliExpressError),
    /// The supplier's answer lacked something we need.
    #[error("the supplier's answer had {0}")]
    Answer(&'static str),
    /// PayPal could not tell us where the buyer wants the goods.
    #[error("reading the buyer's shipping address from PayPal: {0}")]
    BuyerAddress(PayPalError),
}

impl SupplierError {
    /// Whether trying again later may succeed (timeouts, 5xx, rate limits).
    pub fn is_retryable(&self) -> bool {
        match self {
            SupplierError::Supplier(error) => matches!(
                error.kind(),
                None | Some(
                    AliExpressErrorKind::RateLimited | AliExpressErrorKind::ProviderUnavailable
                )
            ),
            SupplierError::Answer(_) => true,
            SupplierError::Refused(_) => false,
            SupplierError::BuyerAddress(error) => super::shipping::is_transient(error),
        }
    }

    /// The order's failure reason for this error.
    pub fn failure_reason(&self) -> FailureReason {
        let error = match self {
            SupplierError::Refused(reason) => return *reason,
            SupplierError::Answer(_) => return FailureReason::SupplierUnavailable,
            SupplierError::BuyerAddress(_) => return FailureReason::NoShippingAddress,
            SupplierError::Supplier(error) => error,
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
}

/// Re-reads the supplier's stock and price: a sold-out item, or a landed
/// cost above what the order reserved (the purchase could not be posted
/// against its hold, and the sale would earn less than planned), is
/// refused before any capital is held.
pub async fn check_offer(
    client: &AliExpressClient,
    session: &SecretString,
    wanted: &Wanted,
) -> Result<Offer, SupplierError> {
    let currency = wanted.reserved.currency();
    let product = client
        .product(
            session,
            &ProductQuery {
                product_id: wanted.product_id.clone(),
                ship_to_country: SHIP_TO_COUNTRY.to_owned(),
                currency: currency.code().to_owned(),
                language: "en".to_owned(),
            },
        )
        .await?;
    let in_stock = product.skus.iter().filter(|sku| {
        (wanted.resuming || sku.stock >= u64::from(wanted.quantity))
            && wanted.sku_id.as_ref().is_none_or(|id| *id == sku.sku_id)
    });
    // The cheapest variant in stock; ties go to the first listed, so a
    // repeated check picks the same one.
    let Some(sku) = in_stock.min_by(|a, b| a.price.amount().cmp(&b.price.amount())) else {
        return Err(SupplierError::Refused(FailureReason::OutOfStock));
    };
    let options = client
        .freight(
            session,
            &FreightQuery {
                product_id: wanted.product_id.clone(),
                sku_id: sku.sku_id.clone(),
                quantity: wanted.quantity,
                ship_to_country: SHIP_TO_COUNTRY.to_owned(),
                currency: currency.code().to_owned(),
                locale: "en_US".to_owned(),
            },
        )
        .await?;
    let shipping = match options.iter().find(|option| option.code == DELIVERY_METHOD) {
        Some(option) => in_currency(option.fee, currency)?,
        None => return Err(SupplierError::Answer("no CAINIAO_STANDARD delivery")),
    };
    let landed_cost = in_currency(sku.price, currency)?
        .checked_mul(wanted.quantity)
        .and_then(|units| units.checked_add(shipping))
        .map_err(|_| SupplierError::Answer("an amount out of range"))?;
    // A purchase that may already be placed is not refused on price: the
    // supplier's order (found again by `out_order_id`) says what it cost.
    if !wanted.resuming
        && landed_cost
            .checked_cmp(&wanted.reserved)
            .map_err(|_| SupplierError::Answer("a price in another currency"))?
            .is_gt()
    {
        return Err(SupplierError::Refused(FailureReason::SupplierPriceRose));
    }
    Ok(Offer {
        sku_attr: sku.sku_attr.clone(),
        landed_cost,
    })
}

/// Places the supplier order — `out_order_id` makes a repeat return the
/// first order instead of buying twice — and reads back what was charged.
pub async fn buy(
    client: &AliExpressClient,
    session: &SecretString,
    out_order_id: &str,
    wanted: &Wanted,
    offer: &Offer,
    address: ShippingAddress,
) -> Result<(String, Money), SupplierError> {
    let currency = wanted.reserved.currency();
    let placed = client
        .place_order(
            session,
            &PlaceOrder {
                out_order_id: out_order_id.to_owned(),
                address,
                lines: vec![OrderLine {
                    product_id: wanted.product_id.clone(),
                    quantity: wanted.quantity,
                    sku_attr: offer.sku_attr.clone(),
                    logistics_service_name: Some(DELIVERY_METHOD.to_owned()),
                }],
                pay_currency: currency.code().to_owned(),
            },
        )
        .await?;
    let supplier_order_id = placed
        .order_ids
        .first()
        .cloned()
        .ok_or(SupplierError::Answer("no supplier order id"))?;
    let order = client.order(session, &supplier_order_id).await?;
    let amount = order
        .amount
        .ok_or(SupplierError::Answer("no order amount"))?;
    Ok((supplier_order_id, in_currency(amount, currency)?))
}

/// A supplier amount, refused unless in the order's currency.
fn in_currency(amount: Money, currency: Currency) -> Result<Money, SupplierError> {
    if amount.currency() != currency {
        return Err(SupplierError::Answer("a price in another currency"));
    }
    Ok(amount)
}
