//! Where discovery finds products: the supplier's search, or a fixed feed.

use std::sync::Arc;

use async_trait::async_trait;
use dropledger_domain::{Currency, Money};
use secrecy::SecretString;

use crate::aliexpress::{AliExpressClient, AliExpressError, TextSearch};

/// Most products one trend query returns.
pub const TREND_RESULTS_MAX: usize = 50;

/// What discovery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendQuery {
    /// Search words ("phone stand").
    pub keyword: String,
    /// ISO country of the buyers.
    pub country: String,
    /// Currency of the prices.
    pub currency: String,
    /// How many (at most [`TREND_RESULTS_MAX`]).
    pub limit: usize,
}

/// A product that sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendingProduct {
    /// The supplier's product id.
    pub supplier_product_id: String,
    /// Title.
    pub title: String,
    /// The supplier's price.
    pub supplier_price: Money,
    /// Orders so far: the demand signal.
    pub orders: u64,
    /// Positive feedback, e.g. "96.5%".
    pub rating: Option<String>,
}

/// Errors of a trend source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrendError {
    /// The supplier search failed.
    #[error(transparent)]
    AliExpress(#[from] AliExpressError),
}

/// A source of trending products.
#[async_trait]
pub trait TrendSource: Send + Sync {
    /// A name for logs and the opportunity's provenance.
    fn name(&self) -> &'static str;
    /// Products matching `query`, best sellers first.
    async fn trending(&self, query: &TrendQuery) -> Result<Vec<TrendingProduct>, TrendError>;
}

/// Trends from the AliExpress text search, sorted by orders.
pub struct AliExpressTrendSource {
    client: Arc<AliExpressClient>,
    session: SecretString,
}

impl AliExpressTrendSource {
    /// Searches with a user's access token.
    pub fn new(client: Arc<AliExpressClient>, session: SecretString) -> Self {
        Self { client, session }
    }
}

#[async_trait]
impl TrendSource for AliExpressTrendSource {
    fn name(&self) -> &'static str {
        "aliexpress.ds.text.search"
    }

    async fn trending(&self, query: &TrendQuery) -> Result<Vec<TrendingProduct>, TrendError> {
        let limit = query.limit.clamp(1, TREND_RESULTS_MAX);
        let hits = self
            .client
            .text_search(
                &self.session,
                &TextSearch {
                    keyword: query.keyword.clone(),
                    country: query.country.clone(),
                    currency: query.currency.clone(),
                    locale: "en_US".to_owned(),
                    sort_by: Some("orders,desc".to_owned()),
                    page_index: 1,
                    page_size: limit as u32,
                },
            )
            .await?;
        let mut products: Vec<TrendingProduct> = hits
            .into_iter()
            .map(|hit| TrendingProduct {
                supplier_product_id: hit.product_id,
                title: hit.title,
                supplier_price: hit.price,
                orders: hit.orders,
                rating: hit.evaluate_rate,
            })
            .collect();
        products.sort_by_key(|p| std::cmp::Reverse(p.orders));
        products.truncate(limit);
        Ok(products)
    }
}

/// A fixed list of products: local runs, demos and tests.
#[derive(Debug, Clone)]
pub struct LocalTrendFeed {
    products: Vec<TrendingProduct>,
}

impl LocalTrendFeed {
    /// A feed of `products`.
    pub fn new(products: Vec<TrendingProduct>) -> Self {
        Self { products }
    }

    /// The products the fake AliExpress sells, so a demo can buy them.
    pub fn sample() -> Self {
        let product = |id: &str, title: &str, cents: i64, orders: u64| TrendingProduct {
            supplier_product_id: id.to_owned(),
            title: title.to_owned(),
            supplier_price: Money::from_minor_units(cents, Currency::Usd)
                .expect("a sample price is whole cents"),
            orders,
            rating: Some("97.1%".to_owned()),
        };
        Self::new(vec![
            product(
                "1005001000000001",
                "Adjustable aluminium phone stand",
                349,
                15_230,
            ),
            product(
                "1005001000000002",
                "Magnetic cable organiser (6 pack)",
                199,
                9_870,
            ),
            product(
                "1005001000000003",
                "LED desk lamp with USB charging",
                1_275,
                4_410,
            ),
            product(
                "1005001000000004",
                "Silicone kitchen utensil set",
                899,
                2_005,
            ),
        ])
    }
}

#[async_trait]
impl TrendSource for LocalTrendFeed {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn trending(&self, query: &TrendQuery) -> Result<Vec<TrendingProduct>, TrendError> {
        let keyword = query.keyword.to_lowercase();
        let mut products: Vec<TrendingProduct> = self
            .products
            .iter()
            .filter(|p| {
                keyword.is_empty()
                    || keyword
                        .split_whitespace()
                        .any(|word| p.title.to_lowercase().contains(word))
            })
            .cloned()
            .collect();
        products.sort_by_key(|p| std::cmp::Reverse(p.orders));
        products.truncate(query.limit.clamp(1, TREND_RESULTS_MAX));
        Ok(products)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_feed_returns_matching_products_best_sellers_first() {
        let feed = LocalTrendFeed::sample();
        let query = TrendQuery {
            keyword: "desk phone".into(),
            country: "US".into(),
            currency: "USD".into(),
            limit: 10,
        };
        let products = feed.trending(&query).await.unwrap();
        let titles: Vec<_> = products.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Adjustable aluminium phone stand",
                "LED desk lamp with USB charging"
            ]
        );
    }
}
