//! The Disputes API (`/v1/customer/disputes`): a customer's dispute or
//! chargeback of a capture — list, show, accept the claim, or provide the
//! tracking number uploaded as evidence. The webhook `CUSTOMER.DISPUTE.*`
//! carries the same dispute object as its resource, so [`Dispute::parse`]
//! reads both.

use dropledger_domain::Money;
use reqwest::Method;
use serde_json::{json, Value};

use super::client::PayPalClient;
use super::error::PayPalError;
use super::orders::{amount_at, path_segment};

/// Disputes asked for per page of the list (PayPal's `page_size` allows 50).
pub const DISPUTES_PAGE_SIZE_MAX: usize = 50;

/// A dispute as PayPal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// `dispute_id`, e.g. `PP-D-27803`.
    pub id: String,
    /// `reason`: `MERCHANDISE_OR_SERVICE_NOT_RECEIVED`, `UNAUTHORISED`, …
    pub reason: String,
    /// `status`: `OPEN`, `WAITING_FOR_SELLER_RESPONSE`, `UNDER_REVIEW`, `RESOLVED`, …
    pub status: String,
    /// `dispute_life_cycle_stage`: `INQUIRY`, `CHARGEBACK`, `PRE_ARBITRATION`, `ARBITRATION`.
    pub stage: String,
    /// `dispute_amount`.
    pub amount: Money,
    /// `disputed_transactions[0].seller_transaction_id`: our capture id.
    pub capture_id: Option<String>,
    /// `disputed_transactions[0].custom`: the `custom_id` of our checkout.
    pub custom: Option<String>,
    /// `dispute_outcome.outcome_code` once resolved:
    /// `RESOLVED_BUYER_FAVOUR`, `RESOLVED_SELLER_FAVOUR`, …
    pub outcome: Option<String>,
    /// What PayPal debited the seller as fees for the dispute
    /// (`money_movements[]` of the seller with reason `CHARGEBACK_FEE`,
    /// `DISPUTE_FEE` or `DISPUTE_SETTLEMENT_FEE`), if any.
    pub fee: Option<Money>,
    /// `create_time`.
    pub created_at: Option<String>,
    /// `update_time`.
    pub updated_at: Option<String>,
}

impl Dispute {
    /// Reads a dispute object (the API's answer, or a webhook's resource).
    pub fn parse(value: &Value) -> Result<Dispute, PayPalError> {
        let decode = |what: &str| PayPalError::Decode(format!("dispute without {what}"));
        let text = |value: &Value| value.as_str().map(str::to_owned);
        let transaction = &value["disputed_transactions"][0];
        let mut fee: Option<Money> = None;
        let movements = value["money_movements"].as_array().into_iter().flatten();
        for movement in movements {
            let seller = movement["affected_party"].as_str() == Some("SELLER");
            let fee_reason = matches!(
                movement["reason"].as_str(),
                Some("CHARGEBACK_FEE" | "DISPUTE_FEE" | "DISPUTE_SETTLEMENT_FEE")
            );
            if seller && fee_reason {
                if let Some(amount) = amount_at(movement.get("amount"))? {
                    fee = Some(match fee {
                        Some(sum) => sum.checked_add(amount).map_err(|e| {
                            PayPalError::Decode(format!("dispute fees do not add up: {e}"))
                        })?,
                        None => amount,
                    });
                }
            }
        }
        Ok(Dispute {
            id: text(&value["dispute_id"]).ok_or_else(|| decode("dispute_id"))?,
            reason: text(&value["reason"]).unwrap_or_default(),
            status: text(&value["status"]).unwrap_or_default(),
            stage: text(&value["dispute_life_cycle_stage"]).unwrap_or_default(),
            amount: amount_at(value.get("dispute_amount"))?
                .ok_or_else(|| decode("dispute_amount"))?,
            capture_id: text(&transaction["seller_transaction_id"]),
            custom: text(&transaction["custom"]),
            outcome: text(&value["dispute_outcome"]["outcome_code"]),
            fee,
            created_at: text(&value["create_time"]),
            updated_at: text(&value["update_time"]),
        })
    }

    /// Resolved in the seller's favour (the platform won).
    pub fn won(&self) -> bool {
        self.status == "RESOLVED" && self.outcome.as_deref() == Some("RESOLVED_SELLER_FAVOUR")
    }

    /// Resolved in the customer's favour (the platform lost).
    pub fn lost(&self) -> bool {
        self.status == "RESOLVED"
            && matches!(
                self.outcome.as_deref(),
                Some("RESOLVED_BUYER_FAVOUR" | "ACCEPTED")
            )
    }
}

impl PayPalClient {
    /// Lists the disputes updated since `update_time_after` (RFC 3339),
    /// newest first, one page (at most [`DISPUTES_PAGE_SIZE_MAX`]).
    pub async fn list_disputes(
        &self,
        update_time_after: Option<&str>,
    ) -> Result<Vec<Dispute>, PayPalError> {
        let mut path = format!("/v1/customer/disputes?page_size={DISPUTES_PAGE_SIZE_MAX}");
        if let Some(after) = update_time_after {
            path.push_str(&format!("&update_time_after={}", path_segment(after)));
        }
        let body = self
            .call("disputes.list", Method::GET, &path, None, None)
            .await?
            .body;
        body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Dispute::parse)
            .collect()
    }

    /// Shows one dispute.
    pub async fn show_dispute(&self, dispute_id: &str) -> Result<Dispute, PayPalError> {
        let path = format!("/v1/customer/disputes/{}", path_segment(dispute_id));
        let body = self
            .call("disputes.get", Method::GET, &path, None, None)
            .await?
            .body;
        Dispute::parse(&body)
    }

    /// Accepts the customer's claim: the customer is refunded and the
    /// dispute resolved in their favour.
    pub async fn accept_claim(
        &self,
        dispute_id: &str,
        note: &str,
        request_id: &str,
    ) -> Result<(), PayPalError> {
        let path = format!(
            "/v1/customer/disputes/{}/accept-claim",
            path_segment(dispute_id)
        );
        self.call(
            "disputes.accept_claim",
            Method::POST,
            &path,
            Some(&json!({"note": note})),
            Some(request_id),
        )
        .await?;
        Ok(())
    }

    /// Provides proof of fulfilment: the tracking number we uploaded. The
    /// API takes `multipart/form-data` with the evidence as the `input` part.
    pub async fn provide_evidence(
        &self,
        dispute_id: &str,
        carrier_name: &str,
        tracking_number: &str,
        note: &str,
        request_id: &str,
    ) -> Result<(), PayPalError> {
        let path = format!(
            "/v1/customer/disputes/{}/provide-evidence",
            path_segment(dispute_id)
        );
        let input = json!({
            "evidences": [{
                "evidence_type": "PROOF_OF_FULFILLMENT",
                "evidence_info": {
                    "tracking_info": [{
                        "carrier_name": carrier_name,
                        "tracking_number": tracking_number,
                    }],
                },
                "notes": note,
            }],
        });
        let boundary = format!("dropledger-{}", uuid::Uuid::new_v4().simple());
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"input\"\r\n\
             Content-Type: application/json\r\n\r\n{input}\r\n--{boundary}--\r\n"
        );
        self.call_encoded(
            "disputes.provide_evidence",
            &path,
            &body,
            &format!("multipart/form-data; boundary={boundary}"),
            request_id,
        )
        .await?;
        Ok(())
    }
}
