//! Fake PayPal: what a seller does in PayPal's own dashboard, outside our
//! API — a full refund of a capture — announced by webhook as PayPal does
//! (`PAYMENT.CAPTURE.REFUNDED`, its resource the refund, `custom_id` echoed
//! from the checkout and a `links[rel=up]` to the capture).

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{wire, Shared};
use crate::fake::fake_id;
use crate::money::wire_value;

/// Refunds the rest of a COMPLETED (or partly refunded) capture; the
/// webhook event to deliver.
pub(super) fn refund_capture(shared: &Shared, capture_id: &str) -> Result<Value, String> {
    let base = shared.base_url();
    let mut state = shared.state();
    let capture = state
        .captures
        .get_mut(capture_id)
        .ok_or("unknown capture")?;
    if !matches!(capture.status.as_str(), "COMPLETED" | "PARTIALLY_REFUNDED") {
        return Err(format!("capture is {}, not refundable", capture.status));
    }
    let amount = capture.gross.amount() - capture.refunded;
    capture.refunded = capture.gross.amount();
    capture.status = "REFUNDED".to_owned();
    let capture = capture.clone();
    let currency = capture.gross.currency();
    // PayPal keeps its fee on refunds: the whole refund leaves the balance.
    state.balances.entry(currency).or_default().available -= amount;
    let custom_id = state
        .orders
        .get(&capture.order_id)
        .and_then(|order| order.purchase_unit["custom_id"].as_str().map(str::to_owned));
    let gross = super::total_money(currency, amount);
    let zero = super::total_money(currency, Decimal::ZERO);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let refund_id = fake_id("");
    Ok(json!({
        "id": format!("WH-{}", fake_id("")),
        "event_version": "1.0",
        "create_time": now,
        "resource_type": "refund",
        "resource_version": "2.0",
        "event_type": "PAYMENT.CAPTURE.REFUNDED",
        "summary": format!("A {} {} USD capture payment was refunded", wire_value(gross), currency),
        "resource": {
            "id": refund_id,
            "status": "COMPLETED",
            "amount": wire(gross),
            "custom_id": custom_id,
            "seller_payable_breakdown": {
                "gross_amount": wire(gross),
                "paypal_fee": wire(zero),
                "net_amount": wire(gross),
            },
            "create_time": now,
            "update_time": now,
            "links": [
                {"href": format!("{base}/v2/payments/refunds/{refund_id}"), "rel": "self", "method": "GET"},
                {"href": format!("{base}/v2/payments/captures/{}", capture.id), "rel": "up", "method": "GET"},
            ],
        },
    }))
}
