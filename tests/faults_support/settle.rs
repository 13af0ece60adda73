//! Waiting, bounded, for the run to settle, and reading back where the
//! books and the process managers stand.

use std::time::Duration;

use dropledger_eventstore::EventStore;
use dropledger_projections::projection_status;
use serde_json::Value;
use sqlx::PgPool;

use super::business::{self, Client};
use super::processes::Servers;

/// How long every order and payout may take to become final after the
/// customers are done.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(180);

/// Waits until the order is PURCHASED or FAILED.
pub async fn wait_final(
    client: &mut Client,
    servers: &Servers,
    seller: &str,
    order_id: &str,
) -> Value {
    let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    loop {
        let order = business::order(client, servers, seller, order_id).await;
        if order["status"] == "PURCHASED" || order["status"] == "FAILED" {
            return order;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {order_id} not final within {SETTLE_TIMEOUT:?}: {order}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until the sales of `purchased` orders requested their two payouts
/// each (commission and net profit) and every payout is SENT; gives up
/// when [`SETTLE_TIMEOUT`] passes without one more payout SENT (a long run
/// has many to send).
pub async fn wait_payouts_settled(
    client: &mut Client,
    servers: &Servers,
    admin: &str,
    purchased: usize,
) -> Vec<Value> {
    let mut deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    let mut sent_before = 0;
    loop {
        let payouts = business::payouts(client, servers, admin).await;
        let sent = payouts.iter().filter(|p| p["status"] == "SENT").count();
        if payouts.len() == 2 * purchased && sent == payouts.len() {
            return payouts;
        }
        if sent > sent_before {
            sent_before = sent;
            deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no payout sent for {SETTLE_TIMEOUT:?} ({purchased} sales, {sent} sent): {payouts:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits (30 s at most) until every projection has applied the whole log;
/// the names of those still behind.
pub async fn wait_projections_caught_up(store: &EventStore) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let lagging: Vec<String> = projection_status(store)
            .await
            .unwrap()
            .iter()
            .filter(|status| status.lag > 0)
            .map(|status| format!("{} ({} behind)", status.name, status.lag))
            .collect();
        if lagging.is_empty() || tokio::time::Instant::now() > deadline {
            return lagging;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How far a process manager's saved position may trail the log once its
/// work is done: it saves after each step it takes, but passes over events
/// of no concern to it and saves only every 200 of those
/// (`SKIPPED_EVENTS_PER_SAVE` in the workflows' follower).
pub const PASSED_OVER_EVENTS_MAX: u64 = 200;

/// Every process manager's checkpoint: its name, how many events it trails
/// the head of the log, and the step it last gave up on, if any.
pub async fn process_checkpoints(
    pool: &PgPool,
    store: &EventStore,
) -> Vec<(String, u64, Option<String>)> {
    let head = store.log_status().await.unwrap().head;
    let rows: Vec<(String, i64, Option<String>)> =
        sqlx::query_as("SELECT name, position, last_error FROM process_checkpoint ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter()
        .map(|(name, position, error)| {
            (
                name,
                head.saturating_sub(u64::try_from(position).unwrap_or(0)),
                error,
            )
        })
        .collect()
}

/// A payout id as PayPal's `sender_batch_id` spells it: the UUID's hex.
pub fn plain_id(id: &Value) -> String {
    id.as_str()
        .unwrap_or_default()
        .replace('-', "")
        .to_ascii_lowercase()
}
