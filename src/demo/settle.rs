//! The business running by itself after the last checkout: sales are
//! recorded, payouts sent, pending captures completed by PayPal. The demo
//! watches the read models through the API and reports each change.

use std::time::Duration;

use anyhow::bail;
use dropledger_integrations::FakePayPal;
use serde_json::{json, Value};

use super::api::Api;
use super::setup::People;
use super::{progress, CURRENCY};

/// How long the business may take to settle after the last checkout.
const SETTLE_WAIT_MS: u64 = 120_000;
/// Between two looks.
const POLL_INTERVAL_MS: u64 = 200;
/// A sale pays two payouts: the admin's commission and the seller's profit.
const PAYOUTS_PER_SALE: usize = 2;

const PROGRESS_QUERY: &str = "query($currency: String) {
    sales(first: 200) { edges { node { orderId } } }
    payouts(first: 200) { edges { node { status } } }
    workingCapital(currency: $currency) { pendingCash { amount } free { amount } } }";

/// Completes the captures PayPal left PENDING (its webhooks tell the
/// server), then waits until the sale of each of the `purchased` orders is recorded,
/// every payout is SENT or FAILED and no captured cash is pending.
pub async fn run(
    api: &Api,
    people: &People,
    purchased: usize,
    paypal: &FakePayPal,
) -> anyhow::Result<()> {
    let pending = paypal.pending_captures();
    if !pending.is_empty() {
        for capture_id in &pending {
            paypal
                .complete_capture(capture_id)
                .await
                .map_err(|reason| anyhow::anyhow!("completing capture {capture_id}: {reason}"))?;
        }
        progress(
            "settlement",
            format!(
                "PayPal completed {} pending captures and sent its webhooks",
                pending.len()
            ),
        );
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(SETTLE_WAIT_MS);
    let mut last_line = String::new();
    loop {
        let data = api
            .run(
                Some(&people.admin.token),
                PROGRESS_QUERY,
                json!({ "currency": CURRENCY }),
            )
            .await?;
        let state = Settling::read(&data);
        let line = state.describe();
        if line != last_line {
            progress("books", &line);
            last_line = line;
        }
        if state.is_settled(purchased) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "the business did not settle within {} s: {last_line}",
                SETTLE_WAIT_MS / 1000
            );
        }
        tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
    }
}

/// What the read models say right now.
struct Settling {
    sales: usize,
    payouts: Vec<String>,
    pending_cash: String,
    free_capital: String,
}

impl Settling {
    fn read(data: &Value) -> Self {
        let nodes = |connection: &str| -> Vec<Value> {
            data[connection]["edges"]
                .as_array()
                .map(|edges| edges.iter().map(|edge| edge["node"].clone()).collect())
                .unwrap_or_default()
        };
        let capital = &data["workingCapital"];
        let amount = |value: &Value| value["amount"].as_str().unwrap_or("?").to_owned();
        Settling {
            sales: nodes("sales").len(),
            payouts: nodes("payouts")
                .iter()
                .map(|payout| payout["status"].as_str().unwrap_or("?").to_owned())
                .collect(),
            pending_cash: amount(&capital["pendingCash"]),
            free_capital: amount(&capital["free"]),
        }
    }

    fn is_settled(&self, purchased: usize) -> bool {
        self.sales == purchased
            && self.payouts.len() == PAYOUTS_PER_SALE * purchased
            && self
                .payouts
                .iter()
                .all(|status| status == "SENT" || status == "FAILED")
            && self
                .pending_cash
                .parse::<rust_decimal::Decimal>()
                .is_ok_and(|cash| cash.is_zero())
    }

    fn describe(&self) -> String {
        let mut counts = std::collections::BTreeMap::new();
        for status in &self.payouts {
            *counts.entry(status.as_str()).or_insert(0) += 1;
        }
        let payouts: Vec<String> = counts
            .iter()
            .map(|(status, count)| format!("{count} {status}"))
            .collect();
        format!(
            "{} sales; payouts: {}; pending cash {} {CURRENCY}; free capital {} {CURRENCY}",
            self.sales,
            if payouts.is_empty() {
                "none yet".to_owned()
            } else {
                payouts.join(", ")
            },
            self.pending_cash,
            self.free_capital
        )
    }
}
