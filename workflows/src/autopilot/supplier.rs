//! Discovery and the supplier's quotes: trending products, each priced with
//! the supplier's current SKU price, stock and freight.

use std::sync::Arc;

use chrono::Utc;
use dropledger_domain::{Candidate, Currency, Money, ProductTitle, SupplierProductId};
use dropledger_integrations::{
    AliExpressClient, AliExpressError, AliExpressToken, AliExpressTrendSource, FreightQuery,
    LocalTrendFeed, Product, ProductQuery, SecretString, TrendError, TrendQuery, TrendSource,
};
use tokio::sync::Mutex;

/// Where the buyers are.
pub const SHIP_TO_COUNTRY: &str = "US";
/// The delivery method preferred when the supplier offers it (the one
/// fulfilment orders with); otherwise the cheapest.
pub const PREFERRED_DELIVERY_METHOD: &str = "CAINIAO_STANDARD";
/// Trending products one cycle looks at.
pub const TRENDS_PER_CYCLE: usize = 20;
/// A token with less than this to live is refreshed before a cycle.
const TOKEN_REFRESH_MARGIN_SECONDS: i64 = 300;

const _: () = assert!(TRENDS_PER_CYCLE <= dropledger_domain::CANDIDATES_MAX);

/// Why discovery found nothing to score.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The trend source failed.
    #[error("the trend source failed: {0}")]
    Trends(#[from] TrendError),
    /// The supplier could not be asked (token, network).
    #[error("the supplier failed: {0}")]
    Supplier(#[from] AliExpressError),
    /// No supplier session: the seller has not connected AliExpress.
    #[error("no AliExpress session: {0}")]
    NoSession(String),
    /// Every candidate's quote failed; the first reason.
    #[error("no candidate could be quoted: {0}")]
    NothingQuoted(String),
}

/// The access token the supplier's API is called with.
pub enum SupplierSession {
    /// A token pair, refreshed when it nears expiry.
    Token(Mutex<AliExpressToken>),
    /// None available, and why (the cycle fails with it).
    Missing(String),
}

/// Where discovery looks.
pub enum TrendChoice {
    /// A fixed feed (sandbox).
    Local(LocalTrendFeed),
    /// The AliExpress text search, with the supplier session (production).
    AliExpress,
}

/// The trend source and the supplier's API.
pub struct Supplier {
    trends: TrendChoice,
    client: Arc<AliExpressClient>,
    session: SupplierSession,
    currency: Currency,
}

impl Supplier {
    /// Discovery through `trends`, quotes from `client` with `session`, in `currency`.
    pub fn new(
        trends: TrendChoice,
        client: Arc<AliExpressClient>,
        session: SupplierSession,
        currency: Currency,
    ) -> Self {
        Self {
            trends,
            client,
            session,
            currency,
        }
    }

    /// The trend source's name, recorded with each cycle's opportunities.
    pub fn source(&self) -> &'static str {
        match &self.trends {
            TrendChoice::Local(feed) => feed.name(),
            TrendChoice::AliExpress => "aliexpress.ds.text.search",
        }
    }

    async fn session(&self) -> Result<SecretString, DiscoveryError> {
        match &self.session {
            SupplierSession::Missing(reason) => Err(DiscoveryError::NoSession(reason.clone())),
            SupplierSession::Token(token) => {
                let mut token = token.lock().await;
                let fresh = self
                    .client
                    .ensure_fresh(
                        token.clone(),
                        Utc::now(),
                        chrono::Duration::seconds(TOKEN_REFRESH_MARGIN_SECONDS),
                    )
                    .await?;
                *token = fresh;
                Ok(token.access_token.clone())
            }
        }
    }

    /// Trending products with the supplier's current quote. A product the
    /// supplier cannot quote is left out (and logged); when none can be,
    /// discovery fails.
    pub async fn candidates(&self) -> Result<Vec<Candidate>, DiscoveryError> {
        let session = self.session().await?;
        let source: Box<dyn TrendSource> = match &self.trends {
            TrendChoice::Local(feed) => Box::new(feed.clone()),
            TrendChoice::AliExpress => Box::new(AliExpressTrendSource::new(
                self.client.clone(),
                session.clone(),
            )),
        };
        let trends = source
            .trending(&TrendQuery {
                keyword: String::new(),
                country: SHIP_TO_COUNTRY.to_owned(),
                currency: self.currency.code().to_owned(),
                limit: TRENDS_PER_CYCLE,
            })
            .await?;
        let mut candidates = Vec::new();
        let mut first_failure = None;
        for trend in trends.iter().take(TRENDS_PER_CYCLE) {
            match self.quote(&session, &trend.supplier_product_id).await {
                Ok(Some(candidate)) => candidates.push(candidate),
                Ok(None) => {}
                Err(reason) => {
                    tracing::warn!(supplier_product_id = %trend.supplier_product_id, %reason, "left out of this cycle: the supplier could not quote it");
                    first_failure.get_or_insert(reason);
                }
            }
        }
        match first_failure {
            Some(reason) if candidates.is_empty() => Err(DiscoveryError::NothingQuoted(reason)),
            _ => Ok(candidates),
        }
    }

    /// One product's quote: its cheapest variant in stock (or, with none in
    /// stock, its cheapest variant at stock 0) and the freight of one unit.
    async fn quote(
        &self,
        session: &SecretString,
        supplier_product_id: &str,
    ) -> Result<Option<Candidate>, String> {
        let currency = self.currency.code().to_owned();
        let product = self
            .client
            .product(
                session,
                &ProductQuery {
                    product_id: supplier_product_id.to_owned(),
                    ship_to_country: SHIP_TO_COUNTRY.to_owned(),
                    currency: currency.clone(),
                    language: "en".to_owned(),
                },
            )
            .await
            .map_err(|error| error.to_string())?;
        let Some((sku_id, price, stock)) = cheapest_sku(&product) else {
            return Ok(None);
        };
        let options = self
            .client
            .freight(
                session,
                &FreightQuery {
                    product_id: product.product_id.clone(),
                    sku_id,
                    quantity: 1,
                    ship_to_country: SHIP_TO_COUNTRY.to_owned(),
                    currency,
                    locale: "en_US".to_owned(),
                },
            )
            .await
            .map_err(|error| error.to_string())?;
        let shipping = options
            .iter()
            .find(|option| option.code == PREFERRED_DELIVERY_METHOD)
            .or_else(|| options.iter().min_by_key(|option| option.fee.amount()))
            .ok_or_else(|| format!("no delivery to {SHIP_TO_COUNTRY}"))?;
        Ok(Some(Candidate {
            supplier_product_id: SupplierProductId::parse(&product.product_id)
                .map_err(|error| error.to_string())?,
            title: ProductTitle::parse(&product.title).map_err(|error| error.to_string())?,
            supplier_cost: price,
            shipping: shipping.fee,
            stock,
        }))
    }
}

/// The cheapest variant in stock, else the cheapest at all (stock 0).
fn cheapest_sku(product: &Product) -> Option<(String, Money, u32)> {
    let in_stock = product
        .skus
        .iter()
        .filter(|sku| sku.stock > 0)
        .min_by_key(|sku| sku.price.amount());
    let sku = in_stock.or_else(|| product.skus.iter().min_by_key(|sku| sku.price.amount()))?;
    let stock = u32::try_from(sku.stock).unwrap_or(u32::MAX);
    Some((sku.sku_id.clone(), sku.price, stock))
}
