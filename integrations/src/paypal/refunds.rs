//! Refunds (P6): money back to the buyer, with what leaves our balance.

use dropledger_domain::Money;
use reqwest::Method;
use serde_json::json;

use super::client::PayPalClient;
use super::error::PayPalError;
use super::orders::{amount_at, path_segment};
use crate::money::{PayPalAmount, WireAmount};

/// A refund (P6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// Refund id.
    pub id: String,
    /// `COMPLETED`, `PENDING`, ...
    pub status: String,
    /// `seller_payable_breakdown.gross_amount` (or `amount`).
    pub gross: Option<Money>,
    /// `seller_payable_breakdown.paypal_fee`: the part of the fee returned.
    pub paypal_fee: Option<Money>,
    /// `seller_payable_breakdown.net_amount`: what leaves our balance.
    pub net: Option<Money>,
}

impl PayPalClient {
    /// Refunds a capture, in full when `amount` is `None` (P6).
    pub async fn refund_capture(
        &self,
        capture_id: &str,
        amount: Option<Money>,
        note_to_payer: Option<&str>,
        request_id: &str,
    ) -> Result<Refund, PayPalError> {
        let path = format!("/v2/payments/captures/{}/refund", path_segment(capture_id));
        let mut request = json!({});
        if let Some(amount) = amount {
            request["amount"] = PayPalAmount::json(amount);
        }
        if let Some(note) = note_to_payer {
            request["note_to_payer"] = json!(note);
        }
        let body = self
            .call(
                "captures.refund",
                Method::POST,
                &path,
                Some(&request),
                Some(request_id),
            )
            .await?
            .body;
        let breakdown = body.get("seller_payable_breakdown");
        Ok(Refund {
            id: body["id"]
                .as_str()
                .ok_or_else(|| PayPalError::Decode("refund without id".into()))?
                .to_owned(),
            status: body["status"].as_str().unwrap_or_default().to_owned(),
            gross: match amount_at(breakdown.and_then(|b| b.get("gross_amount")))? {
                Some(gross) => Some(gross),
                None => amount_at(body.get("amount"))?,
            },
            paypal_fee: amount_at(breakdown.and_then(|b| b.get("paypal_fee")))?,
            net: amount_at(breakdown.and_then(|b| b.get("net_amount")))?,
        })
    }
}
