//! Discovery and listings through the autopilot: the admin points it at
//! the seller and runs one cycle now; the cycle scores what is trending
//! and publishes the best as the seller's products.

use anyhow::{bail, Context};
use serde_json::{json, Value};

use super::api::{text, Api};
use super::progress;
use super::setup::People;

/// Most listings the cycle creates.
const LISTINGS_MAX: u32 = 4;
/// Price = landed cost (supplier price + shipping) plus this markup, then
/// up to the next price ending in .99.
const MARKUP_PERCENT: &str = "150";
/// Least expected margin after fees, in percent of the price, to list.
const MARGIN_THRESHOLD_PERCENT: &str = "25";
/// Between scheduled cycles once the demo's own cycle ran, in seconds.
const SCHEDULE_INTERVAL_SECONDS: u32 = 3_600;

/// A product the cycle published.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Our product id.
    pub product_id: String,
    /// The supplier's product id.
    pub supplier_product_id: String,
    /// Its title.
    pub title: String,
}

const SET_AUTOPILOT: &str = "mutation($input: SetAutopilotInput!) { setAutopilot(input: $input) { userErrors { code message } } }";

/// Configures the autopilot for the seller, runs one cycle and returns
/// what it listed; then turns the schedule on (its next cycle is an
/// interval away, so it does not race the one just run).
pub async fn run_autopilot(api: &Api, people: &People) -> anyhow::Result<Vec<Listing>> {
    let admin = Some(people.admin.token.as_str());
    let config = |enabled: bool| {
        json!({ "input": {
            "enabled": enabled,
            "intervalSeconds": SCHEDULE_INTERVAL_SECONDS,
            "marginThreshold": MARGIN_THRESHOLD_PERCENT,
            "markupPct": MARKUP_PERCENT,
            "priceRounding": "ENDING_IN_99",
            "maxListingsPerCycle": LISTINGS_MAX,
            "sellerId": people.seller.id,
        } })
    };
    api.mutate(admin, "setAutopilot", SET_AUTOPILOT, config(false))
        .await?;
    let payload = api
        .mutate(
            admin,
            "runAutopilotCycle",
            "mutation { runAutopilotCycle(idempotencyKey: \"demo-first-cycle\") {
                cycle { status found listed failureReason }
                opportunities { supplierProductId title proposedPrice { amount currency }
                                expectedMarginPct decision productId }
                userErrors { code message } } }",
            json!({}),
        )
        .await?;
    let cycle = &payload["cycle"];
    if cycle["status"] != "FINISHED" {
        bail!("the autopilot cycle did not finish: {cycle}");
    }
    progress(
        "autopilot",
        format!(
            "cycle found {} trending products and listed {}",
            cycle["found"], cycle["listed"]
        ),
    );
    let listings = listings(&payload["opportunities"])?;
    if listings.is_empty() {
        bail!("the autopilot listed nothing: {payload}");
    }
    api.mutate(admin, "setAutopilot", SET_AUTOPILOT, config(true))
        .await?;
    progress(
        "autopilot",
        format!("schedule on: the next cycle runs in {SCHEDULE_INTERVAL_SECONDS} s"),
    );
    Ok(listings)
}

/// The listed opportunities, each shown with its score.
fn listings(opportunities: &Value) -> anyhow::Result<Vec<Listing>> {
    let mut listings = Vec::new();
    for opportunity in opportunities.as_array().context("no opportunities")? {
        let title = text(opportunity, "title")?;
        let price = &opportunity["proposedPrice"];
        let decision = text(opportunity, "decision")?;
        progress(
            "catalogue",
            format!(
                "{decision:<22} \"{title}\" at {} {} (expected margin {} %)",
                text(price, "amount")?,
                text(price, "currency")?,
                text(opportunity, "expectedMarginPct")?
            ),
        );
        if decision == "LISTED" {
            listings.push(Listing {
                product_id: text(opportunity, "productId")?.to_owned(),
                supplier_product_id: text(opportunity, "supplierProductId")?.to_owned(),
                title: title.to_owned(),
            });
        }
    }
    Ok(listings)
}
