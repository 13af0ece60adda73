//! Opportunities: a supplier's quote priced by the markup rule, scored by its
//! expected margin after supplier cost, shipping and the payment fee, and
//! decided (listed, or why not).

use std::collections::{BTreeSet, HashSet};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::error::AutopilotError;
use super::settings::{AutopilotSettings, MarkupRule};
use crate::ids::SupplierProductId;
use crate::money::{Money, MoneyError, Percentage};
use crate::product::ProductTitle;

/// Most candidates one cycle scores (the trend sources return at most 50).
pub const CANDIDATES_MAX: usize = 50;

/// The payment provider's fee on a sale, used to estimate the margin:
/// `percent` of the price plus `fixed` (PayPal: 3.49 % + 0.49 USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRule {
    /// The share of the price.
    pub percent: Percentage,
    /// The fixed part per sale, in the currency of the prices it applies to.
    pub fixed: Money,
}

/// What the supplier says of a trending product right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The supplier's product.
    pub supplier_product_id: SupplierProductId,
    /// Its title, as the listing will show it.
    pub title: ProductTitle,
    /// The supplier's price of one unit (the cheapest variant in stock).
    pub supplier_cost: Money,
    /// Shipping of one unit to the buyers' country.
    pub shipping: Money,
    /// Units in stock.
    pub stock: u32,
}

/// A candidate priced and scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Supplier cost plus shipping: what one sale costs us.
    pub landed_cost: Money,
    /// The price the markup rule gives.
    pub proposed_price: Money,
    /// The payment fee expected on that price.
    pub estimated_fee: Money,
    /// Price − landed cost − fee.
    pub expected_margin: Money,
    /// The expected margin as a percentage of the price, rounded down to two
    /// places (so that a listed margin is never overstated): the score.
    pub expected_margin_pct: Decimal,
}

/// Prices and scores one candidate.
pub fn quote(
    candidate: &Candidate,
    markup: &MarkupRule,
    fee: &FeeRule,
) -> Result<Quote, MoneyError> {
    if !candidate.supplier_cost.is_positive() {
        return Err(MoneyError::OutOfRange(candidate.supplier_cost.amount()));
    }
    if candidate.shipping.is_negative() {
        return Err(MoneyError::OutOfRange(candidate.shipping.amount()));
    }
    let landed_cost = candidate.supplier_cost.checked_add(candidate.shipping)?;
    let proposed_price = markup.price(landed_cost)?;
    let estimated_fee = fee.percent.of(proposed_price)?.checked_add(fee.fixed)?;
    let expected_margin = proposed_price
        .checked_sub(landed_cost)?
        .checked_sub(estimated_fee)?;
    let expected_margin_pct = expected_margin
        .amount()
        .checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|scaled| scaled.checked_div(proposed_price.amount()))
        .ok_or(MoneyError::OutOfRange(expected_margin.amount()))?
        .round_dp_with_strategy(2, RoundingStrategy::ToNegativeInfinity);
    Ok(Quote {
        landed_cost,
        proposed_price,
        estimated_fee,
        expected_margin,
        expected_margin_pct,
    })
}

/// Whether a candidate was listed, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// Listed: a product is created and published for the seller.
    Listed,
    /// Its expected margin is below the threshold.
    BelowMarginThreshold,
    /// The supplier has none in stock.
    OutOfStock,
    /// The autopilot listed this supplier product before.
    AlreadyListed,
    /// Good enough, but the cycle had listed as many as it may.
    OverCycleLimit,
}

/// One candidate as a cycle saw and decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opportunity {
    /// The supplier's product.
    pub supplier_product_id: SupplierProductId,
    /// Its title.
    pub title: ProductTitle,
    /// The supplier's price of one unit.
    pub supplier_cost: Money,
    /// Shipping of one unit.
    pub shipping: Money,
    /// Units in stock at the supplier.
    pub stock: u32,
    /// The payment fee expected on the proposed price.
    pub estimated_fee: Money,
    /// The price the markup rule gives.
    pub proposed_price: Money,
    /// Price − supplier cost − shipping − fee.
    pub expected_margin: Money,
    /// The expected margin in percent of the price (the score).
    pub expected_margin_pct: Decimal,
    /// Listed or why not.
    pub decision: Decision,
    /// The decision in a sentence, with the numbers it compared.
    pub reason: String,
}

impl Opportunity {
    /// Supplier cost plus shipping.
    pub fn landed_cost(&self) -> Result<Money, MoneyError> {
        self.supplier_cost.checked_add(self.shipping)
    }
}

/// Prices, scores and decides a cycle's candidates, best score first.
///
/// A candidate is, in this order: out of stock; already listed (in
/// `already_listed`, or earlier in the same list); below the margin
/// threshold; over the cycle's listing limit; or listed. The limit goes to
/// the best scores, so the listings of a cycle are its best opportunities.
pub fn score_candidates(
    candidates: &[Candidate],
    settings: &AutopilotSettings,
    fee: &FeeRule,
    already_listed: &BTreeSet<SupplierProductId>,
) -> Result<Vec<Opportunity>, AutopilotError> {
    if candidates.len() > CANDIDATES_MAX {
        return Err(AutopilotError::TooManyCandidates {
            count: candidates.len(),
        });
    }
    let mut quoted = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let quote = quote(candidate, &settings.markup(), fee).map_err(|reason| {
            AutopilotError::UnpriceableCandidate {
                supplier_product_id: candidate.supplier_product_id.clone(),
                reason,
            }
        })?;
        quoted.push((candidate, quote));
    }
    // Stable: equal scores keep the trend source's order (best sellers first).
    quoted.sort_by_key(|(_, quote)| std::cmp::Reverse(quote.expected_margin_pct));
    let threshold = settings.margin_threshold().value();
    let limit = settings.listings_per_cycle_max();
    let mut seen = HashSet::new();
    let mut listed = 0u32;
    let opportunities = quoted
        .into_iter()
        .map(|(candidate, quote)| {
            let first_sighting = seen.insert(candidate.supplier_product_id.clone());
            let (decision, reason) = if candidate.stock == 0 {
                (
                    Decision::OutOfStock,
                    "the supplier has none in stock".to_owned(),
                )
            } else if !first_sighting || already_listed.contains(&candidate.supplier_product_id) {
                (
                    Decision::AlreadyListed,
                    "the autopilot already listed this supplier product".to_owned(),
                )
            } else if quote.expected_margin_pct < threshold {
                (
                    Decision::BelowMarginThreshold,
                    format!(
                        "expected margin {} % is below the threshold of {} %",
                        quote.expected_margin_pct, threshold
                    ),
                )
            } else if listed >= limit {
                (
                    Decision::OverCycleLimit,
                    format!("the cycle already listed its maximum of {limit} products"),
                )
            } else {
                listed += 1;
                (
                    Decision::Listed,
                    format!(
                        "expected margin {} % meets the threshold of {} %",
                        quote.expected_margin_pct, threshold
                    ),
                )
            };
            Opportunity {
                supplier_product_id: candidate.supplier_product_id.clone(),
                title: candidate.title.clone(),
                supplier_cost: candidate.supplier_cost,
                shipping: candidate.shipping,
                stock: candidate.stock,
                estimated_fee: quote.estimated_fee,
                proposed_price: quote.proposed_price,
                expected_margin: quote.expected_margin,
                expected_margin_pct: quote.expected_margin_pct,
                decision,
                reason,
            }
        })
        .collect();
    Ok(opportunities)
}
