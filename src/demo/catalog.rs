//! Discovery and listings: trending products, priced from the supplier's
//! current price and shipping, created and published for the seller.

use anyhow::Context;
use chrono::Utc;
use dropledger_domain::{
    Aggregate, Money, Product, ProductCommand, ProductId, ProductOrigin, ProductTitle,
    SupplierProductId,
};
use dropledger_integrations::{
    AliExpressClient, FakeProviders, FreightQuery, LocalTrendFeed, ProductQuery, SecretString,
    TrendQuery, TrendSource,
};
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

use super::setup::People;
use super::{domain_money, progress, Demo, CURRENCY};

pub use crate::fulfilment::supplier::{DELIVERY_METHOD, SHIP_TO_COUNTRY};
/// Price = landed cost (supplier price + shipping) × this, rounded up to
/// the dollar and ending in .99.
const MARKUP: Decimal = Decimal::from_parts(25, 0, 0, false, 1);
/// How many trending products discovery looks at.
const TRENDS_MAX: usize = 10;
/// PayPal's fee on a sale (3.49 % + 0.49), used only to score opportunities.
const EXPECTED_FEE_PERCENT: Decimal = Decimal::from_parts(349, 0, 0, false, 2);
const EXPECTED_FEE_FIXED: Decimal = Decimal::from_parts(49, 0, 0, false, 2);

/// A published listing and what the supplier needs to buy it.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Our product.
    pub product_id: ProductId,
    /// Its title.
    pub title: String,
    /// The supplier's product id.
    pub supplier_product_id: String,
    /// The variant bought.
    pub sku_id: String,
    /// The variant as an order line names it.
    pub sku_attr: String,
    /// Our price of one unit.
    pub price: Money,
    /// Supplier price plus shipping of one unit: what is reserved per unit.
    pub landed_cost: Money,
}

/// The seller connects their AliExpress account the way a browser would:
/// follow the authorise URL, take the code from the callback, buy a token.
pub async fn connect_supplier(
    fakes: &FakeProviders,
    client: &AliExpressClient,
) -> anyhow::Result<SecretString> {
    // The same OAuth flow serve's fulfilment uses for sandbox sellers.
    let token = crate::fulfilment::tokens::connect(client).await?;
    progress(
        "supplier",
        format!(
            "seller connected AliExpress at {}",
            fakes.aliexpress.base_url()
        ),
    );
    Ok(token.access_token)
}

/// Discovers trending products and lists each at a markup on its landed cost.
pub async fn list_products(demo: &Demo, people: &People) -> anyhow::Result<Vec<Listing>> {
    let query = TrendQuery {
        keyword: String::new(),
        country: SHIP_TO_COUNTRY.to_owned(),
        currency: CURRENCY.code().to_owned(),
        limit: TRENDS_MAX,
    };
    let trends = LocalTrendFeed::sample().trending(&query).await?;
    progress(
        "discover",
        format!("{} trending products found", trends.len()),
    );
    let mut listings = Vec::new();
    for trend in trends {
        let listing = quote(demo, &trend.supplier_product_id).await?;
        publish(demo, people, &listing).await?;
        listings.push(listing);
    }
    Ok(listings)
}

/// Reads the supplier's current price, stock and shipping, and prices it.
async fn quote(demo: &Demo, supplier_product_id: &str) -> anyhow::Result<Listing> {
    let product = demo
        .supplier
        .product(
            &demo.supplier_session,
            &ProductQuery {
                product_id: supplier_product_id.to_owned(),
                ship_to_country: SHIP_TO_COUNTRY.to_owned(),
                currency: CURRENCY.code().to_owned(),
                language: "en".to_owned(),
            },
        )
        .await?;
    let sku = product
        .skus
        .iter()
        .find(|sku| sku.stock > 0)
        .with_context(|| format!("{} has no variant in stock", product.title))?;
    let freight = demo
        .supplier
        .freight(
            &demo.supplier_session,
            &FreightQuery {
                product_id: product.product_id.clone(),
                sku_id: sku.sku_id.clone(),
                quantity: 1,
                ship_to_country: SHIP_TO_COUNTRY.to_owned(),
                currency: CURRENCY.code().to_owned(),
                locale: "en_US".to_owned(),
            },
        )
        .await?;
    let shipping = freight
        .iter()
        .find(|option| option.code == DELIVERY_METHOD)
        .with_context(|| format!("{DELIVERY_METHOD} does not ship {}", product.title))?;
    let shipping = domain_money(&shipping.fee)?;
    let landed_cost = domain_money(&sku.price)?.checked_add(shipping)?;
    let price = (landed_cost.amount() * MARKUP)
        .round_dp_with_strategy(0, RoundingStrategy::AwayFromZero)
        - Decimal::new(1, 2);
    Ok(Listing {
        product_id: ProductId::from_uuid(Uuid::new_v4()),
        title: product.title.clone(),
        supplier_product_id: product.product_id.clone(),
        sku_id: sku.sku_id.clone(),
        sku_attr: sku.sku_attr.clone(),
        price: Money::new(price, CURRENCY)?,
        landed_cost,
    })
}

/// The expected margin of one unit after landed cost and PayPal's fee, as a
/// share of the price: the opportunity's score.
fn score(listing: &Listing) -> Decimal {
    let price = listing.price.amount();
    let fee = price * EXPECTED_FEE_PERCENT / Decimal::ONE_HUNDRED + EXPECTED_FEE_FIXED;
    ((price - listing.landed_cost.amount() - fee) / price).round_dp(4)
}

/// Creates the listing as a draft and publishes it, in one append.
async fn publish(demo: &Demo, people: &People, listing: &Listing) -> anyhow::Result<()> {
    let stream = Product::stream_id(listing.product_id);
    let create = ProductCommand::CreateProduct {
        product_id: listing.product_id,
        owner: people.seller,
        title: ProductTitle::parse(&listing.title)?,
        supplier_product_id: SupplierProductId::parse(&listing.supplier_product_id)?,
        supplier_cost: listing.landed_cost,
        price: listing.price,
        origin: ProductOrigin::Opportunity {
            score: score(listing),
        },
        created_at: Utc::now(),
    };
    let metadata = demo.metadata(Uuid::new_v4(), &people.seller.to_string());
    demo.store
        .execute(|| async {
            let product = demo.store.load(&stream, Product::default()).await?;
            let mut events = product
                .state
                .decide(create.clone())
                .map_err(dropledger_eventstore::CommandError::Refused)?;
            let draft = product.state.clone().replay(&events);
            let published = draft
                .decide(ProductCommand::Publish {
                    published_at: Utc::now(),
                })
                .map_err(dropledger_eventstore::CommandError::Refused)?;
            events.extend(published);
            Ok((vec![product.append(&events, &metadata)], ()))
        })
        .await?;
    progress(
        "catalogue",
        format!(
            "published \"{}\" at {} (landed cost {}, score {})",
            listing.title,
            listing.price,
            listing.landed_cost,
            score(listing)
        ),
    );
    Ok(())
}
