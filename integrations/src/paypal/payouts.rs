//! Payouts (P11-P13) and the reporting balance (P10).

use dropledger_domain::{Currency, Money};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::PayPalClient;
use super::error::PayPalError;
use super::orders::{amount_at, path_segment};
use crate::money::{parse_amount, read_amount, PayoutAmount, WireAmount};

/// One payment of a payout batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutBatchItem {
    /// The recipient's PayPal e-mail.
    pub receiver: String,
    /// How much.
    pub amount: Money,
    /// Our id for the item (a payout id).
    pub sender_item_id: String,
    /// Shown to the recipient.
    pub note: Option<String>,
}

/// A payout batch (P11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutBatchRequest {
    /// Unique for 30 days: PayPal refuses a second batch with it, which
    /// makes a retry after a 5xx safe.
    pub sender_batch_id: String,
    /// Subject of PayPal's e-mail to recipients.
    pub email_subject: String,
    /// Payments.
    pub items: Vec<PayoutBatchItem>,
}

/// A payout item's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutItemStatus {
    /// Paid.
    Success,
    /// Failed.
    Failed,
    /// Being processed.
    Pending,
    /// The recipient has no PayPal account yet; returned after 30 days.
    Unclaimed,
    /// Returned to us.
    Returned,
    /// Held for review.
    Onhold,
    /// Blocked.
    Blocked,
    /// Refunded to us.
    Refunded,
    /// Reversed.
    Reversed,
    /// A status we do not know.
    Other(String),
}

impl PayoutItemStatus {
    pub(crate) fn parse(value: &str) -> Self {
        match value {
            "SUCCESS" => Self::Success,
            "FAILED" => Self::Failed,
            "PENDING" | "NEW" => Self::Pending,
            "UNCLAIMED" => Self::Unclaimed,
            "RETURNED" => Self::Returned,
            "ONHOLD" => Self::Onhold,
            "BLOCKED" => Self::Blocked,
            "REFUNDED" => Self::Refunded,
            "REVERSED" => Self::Reversed,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A payout item (P12 `items[]`, P13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutItem {
    /// PayPal's item id.
    pub payout_item_id: String,
    /// Our `sender_item_id`.
    pub sender_item_id: Option<String>,
    /// Status.
    pub transaction_status: PayoutItemStatus,
    /// Amount sent.
    pub amount: Option<Money>,
    /// `payout_item_fee`.
    pub fee: Option<Money>,
    /// `errors.name`, when it failed.
    pub error: Option<String>,
}

/// A batch and its items (P12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutBatch {
    /// PayPal's batch id.
    pub payout_batch_id: String,
    /// `PENDING`, `PROCESSING`, `SUCCESS`, `DENIED`, ...
    pub batch_status: String,
    /// Items.
    pub items: Vec<PayoutItem>,
}

/// One currency of the account balance (P10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyBalance {
    /// Currency.
    pub currency: Currency,
    /// Whether it is the primary currency.
    pub primary: bool,
    /// `total_balance`.
    pub total: Money,
    /// `available_balance`: what can be spent or paid out.
    pub available: Money,
    /// `withheld_balance`: held by PayPal (pending captures, reviews).
    pub withheld: Money,
}

/// The account balance. It lags (up to hours): reconcile against it, do
/// not decide with it alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balances {
    /// Per currency.
    pub balances: Vec<CurrencyBalance>,
    /// `as_of_time`.
    pub as_of_time: Option<String>,
    /// `last_refresh_time`.
    pub last_refresh_time: Option<String>,
}

/// Payout amounts are `{currency, value}`, unlike orders: `None` when
/// absent, refused when PayPal sent one the ledger cannot hold.
fn payout_amount_at(value: Option<&Value>) -> Result<Option<Money>, PayPalError> {
    Ok(read_amount::<PayoutAmount>(value).transpose()?)
}

fn parse_item(value: &Value) -> Result<PayoutItem, PayPalError> {
    Ok(PayoutItem {
        payout_item_id: value["payout_item_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        sender_item_id: value
            .pointer("/payout_item/sender_item_id")
            .or_else(|| value.get("sender_item_id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        transaction_status: PayoutItemStatus::parse(
            value["transaction_status"].as_str().unwrap_or("PENDING"),
        ),
        amount: payout_amount_at(value.pointer("/payout_item/amount"))?,
        fee: payout_amount_at(value.get("payout_item_fee"))?,
        error: value
            .pointer("/errors/name")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

impl PayPalClient {
    /// Creates a payout batch (P11). The `sender_batch_id` doubles as the
    /// `PayPal-Request-Id`, so a retry returns the first answer.
    pub async fn create_payout_batch(
        &self,
        batch: &PayoutBatchRequest,
    ) -> Result<PayoutBatch, PayPalError> {
        let request = json!({
            "sender_batch_header": {
                "sender_batch_id": batch.sender_batch_id,
                "email_subject": batch.email_subject,
                "recipient_type": "EMAIL",
            },
            "items": batch.items.iter().map(|item| json!({
                "recipient_type": "EMAIL",
                "amount": PayoutAmount::json(item.amount),
                "receiver": item.receiver,
                "sender_item_id": item.sender_item_id,
                "note": item.note,
            })).collect::<Vec<_>>(),
        });
        let body = self
            .call(
                "payouts.create",
                Method::POST,
                "/v1/payments/payouts",
                Some(&request),
                Some(&batch.sender_batch_id),
            )
            .await?
            .body;
        Ok(PayoutBatch {
            payout_batch_id: body
                .pointer("/batch_header/payout_batch_id")
                .and_then(Value::as_str)
                .ok_or_else(|| PayPalError::Decode("payout batch without id".into()))?
                .to_owned(),
            batch_status: body
                .pointer("/batch_header/batch_status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            items: Vec::new(),
        })
    }

    /// Reads a payout batch and its items (P12).
    pub async fn payout_batch(&self, payout_batch_id: &str) -> Result<PayoutBatch, PayPalError> {
        let path = format!("/v1/payments/payouts/{}", path_segment(payout_batch_id));
        let body = self
            .call("payouts.get", Method::GET, &path, None, None)
            .await?
            .body;
        Ok(PayoutBatch {
            payout_batch_id: payout_batch_id.to_owned(),
            batch_status: body
                .pointer("/batch_header/batch_status")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            items: body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(parse_item)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Reads one payout item (P13).
    pub async fn payout_item(&self, payout_item_id: &str) -> Result<PayoutItem, PayPalError> {
        let path = format!("/v1/payments/payouts-item/{}", path_segment(payout_item_id));
        let body = self
            .call("payouts.item.get", Method::GET, &path, None, None)
            .await?
            .body;
        parse_item(&body)
    }

    /// Cancels an UNCLAIMED payout item; the money returns to us (P14).
    pub async fn cancel_payout_item(
        &self,
        payout_item_id: &str,
        request_id: &str,
    ) -> Result<PayoutItem, PayPalError> {
        let path = format!(
            "/v1/payments/payouts-item/{}/cancel",
            path_segment(payout_item_id)
        );
        let body = self
            .call(
                "payouts.item.cancel",
                Method::POST,
                &path,
                Some(&json!({})),
                Some(request_id),
            )
            .await?
            .body;
        parse_item(&body)
    }

    /// The account balance in `currency` (P10).
    pub async fn balances(&self, currency: Currency) -> Result<Balances, PayPalError> {
        let path = format!(
            "/v1/reporting/balances?currency_code={}",
            path_segment(currency.code())
        );
        let body = self
            .call("reporting.balances", Method::GET, &path, None, None)
            .await?
            .body;
        let mut balances = Vec::new();
        for entry in body["balances"].as_array().into_iter().flatten() {
            let code = entry["currency"].as_str().unwrap_or_default();
            // A currency the ledger does not know is refused like an amount in it.
            let currency = parse_amount(code, "0")?.currency();
            let total = amount_at(entry.get("total_balance"))?.unwrap_or(Money::zero(currency));
            balances.push(CurrencyBalance {
                primary: entry["primary"].as_bool().unwrap_or(false),
                available: amount_at(entry.get("available_balance"))?.unwrap_or(total),
                withheld: amount_at(entry.get("withheld_balance"))?
                    .unwrap_or(Money::zero(currency)),
                total,
                currency,
            });
        }
        Ok(Balances {
            balances,
            as_of_time: body["as_of_time"].as_str().map(str::to_owned),
            last_refresh_time: body["last_refresh_time"].as_str().map(str::to_owned),
        })
    }
}
