//! Orders v2 (create, show, capture), captures (show, refund) and tracking.

use dropledger_domain::{Currency, Money, MoneyError};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::PayPalClient;
use super::error::PayPalError;
use crate::money::{read_amount, wire_value, PayPalAmount, WireAmount};

/// Longest item name PayPal accepts.
const ITEM_NAME_LEN_MAX: usize = 127;

/// One line of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutItem {
    /// Item name shown to the buyer (cut to 127 characters).
    pub name: String,
    /// Our SKU or product id.
    pub sku: Option<String>,
    /// Price of one.
    pub unit_amount: Money,
    /// How many.
    pub quantity: u32,
}

/// What to ask PayPal to collect (P2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutOrder {
    /// Our order id (`purchase_units[0].reference_id`).
    pub reference_id: String,
    /// Free-form id echoed in webhooks (`custom_id`).
    pub custom_id: Option<String>,
    /// Invoice number, unique per PayPal account (`invoice_id`).
    pub invoice_id: Option<String>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Lines.
    pub items: Vec<CheckoutItem>,
    /// Shipping charged to the buyer.
    pub shipping: Option<Money>,
    /// Where PayPal sends the buyer after approval.
    pub return_url: String,
    /// Where PayPal sends the buyer on cancel.
    pub cancel_url: String,
    /// Our name on the PayPal page.
    pub brand_name: Option<String>,
}

impl CheckoutOrder {
    /// Item total plus shipping: the order amount, consistent with the
    /// breakdown as PayPal requires. Refused when a line or the shipping is
    /// in another currency, or the total is out of range.
    pub fn total(&self) -> Result<Money, MoneyError> {
        self.item_total()?.checked_add(self.shipping())
    }

    fn item_total(&self) -> Result<Money, MoneyError> {
        self.items
            .iter()
            .try_fold(Money::zero(self.currency), |total, item| {
                total.checked_add(item.unit_amount.checked_mul(item.quantity)?)
            })
    }

    fn shipping(&self) -> Money {
        self.shipping.unwrap_or(Money::zero(self.currency))
    }

    pub(crate) fn to_wire(&self) -> Result<Value, MoneyError> {
        let mut unit = json!({
            "reference_id": self.reference_id,
            "amount": {
                "currency_code": self.currency.code(),
                "value": wire_value(self.total()?),
                "breakdown": {
                    "item_total": PayPalAmount::json(self.item_total()?),
                    "shipping": PayPalAmount::json(self.shipping()),
                },
            },
            "items": self.items.iter().map(|item| json!({
                "name": item.name.chars().take(ITEM_NAME_LEN_MAX).collect::<String>(),
                "sku": item.sku,
                "unit_amount": PayPalAmount::json(item.unit_amount),
                "quantity": item.quantity.to_string(),
                "category": "PHYSICAL_GOODS",
            })).collect::<Vec<_>>(),
        });
        if let Some(custom_id) = &self.custom_id {
            unit["custom_id"] = json!(custom_id);
        }
        if let Some(invoice_id) = &self.invoice_id {
            unit["invoice_id"] = json!(invoice_id);
        }
        Ok(json!({
            "intent": "CAPTURE",
            "purchase_units": [unit],
            "payment_source": {"paypal": {"experience_context": {
                "return_url": self.return_url,
                "cancel_url": self.cancel_url,
                "shipping_preference": "GET_FROM_FILE",
                "user_action": "PAY_NOW",
                "brand_name": self.brand_name,
            }}},
        }))
    }
}

/// PayPal's answer to a created order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedOrder {
    /// PayPal's order id.
    pub id: String,
    /// `CREATED`, `PAYER_ACTION_REQUIRED`, ...
    pub status: String,
    /// Where the buyer approves (`links[rel=approve|payer-action]`).
    pub approve_url: String,
}

/// A capture's status (P4 `captures[].status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureStatus {
    /// Funds captured.
    Completed,
    /// Captured but held by PayPal (e.g. a new seller): still paid.
    Pending,
    /// Declined: unpaid.
    Declined,
    /// Failed: unpaid.
    Failed,
    /// Partly refunded.
    PartiallyRefunded,
    /// Refunded.
    Refunded,
    /// A status we do not know.
    Other(String),
}

impl CaptureStatus {
    fn parse(value: &str) -> Self {
        match value {
            "COMPLETED" => Self::Completed,
            "PENDING" => Self::Pending,
            "DECLINED" => Self::Declined,
            "FAILED" => Self::Failed,
            "PARTIALLY_REFUNDED" => Self::PartiallyRefunded,
            "REFUNDED" => Self::Refunded,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether the order may be fulfilled: COMPLETED or PENDING (held
    /// funds); DECLINED and FAILED mean unpaid.
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::Completed | Self::Pending)
    }
}

/// A capture with its money (P4, P5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Capture id.
    pub id: String,
    /// Status.
    pub status: CaptureStatus,
    /// Why a PENDING capture is pending (`status_details.reason`).
    pub pending_reason: Option<String>,
    /// `seller_receivable_breakdown.gross_amount` (or `amount`).
    pub gross: Money,
    /// `seller_receivable_breakdown.paypal_fee`; PayPal may omit it while PENDING.
    pub paypal_fee: Option<Money>,
    /// `seller_receivable_breakdown.net_amount`; PayPal may omit it while PENDING.
    pub net: Option<Money>,
    /// The order it belongs to, when PayPal said.
    pub order_id: Option<String>,
    /// PayPal answered 200 to a repeated request id, not 201: the capture
    /// happened on an earlier attempt.
    pub replayed: bool,
}

/// An order as PayPal reports it (P3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetails {
    /// Order id.
    pub id: String,
    /// `CREATED`, `APPROVED`, `COMPLETED`, ...
    pub status: String,
    /// The payer's e-mail, once approved.
    pub payer_email: Option<String>,
    /// Captures so far.
    pub captures: Vec<Capture>,
    /// Where the buyer asked PayPal to ship (`purchase_units[0].shipping`),
    /// once approved; `None` when PayPal holds no complete address.
    pub shipping: Option<BuyerShipping>,
}

/// The buyer's shipping details as PayPal holds them: where the supplier
/// sends the goods. Read when needed, never stored by us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerShipping {
    /// `shipping.name.full_name`.
    pub full_name: String,
    /// `address.address_line_1`.
    pub address_line_1: String,
    /// `address.address_line_2`.
    pub address_line_2: Option<String>,
    /// `address.admin_area_2`: city or town.
    pub city: String,
    /// `address.admin_area_1`: state or province, where the country has them.
    pub state: Option<String>,
    /// `address.postal_code`, where the country has them.
    pub postal_code: Option<String>,
    /// `address.country_code`: ISO 3166-1 alpha-2.
    pub country_code: String,
    /// `shipping.phone_number`, else the payer's phone.
    pub phone: Option<BuyerPhone>,
}

/// A phone number as PayPal splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerPhone {
    /// The country calling code without "+", when PayPal gave it.
    pub country_code: Option<String>,
    /// The national number.
    pub national_number: String,
}

/// The shipping details of an order answer, when complete enough to ship to.
fn shipping_of(body: &Value) -> Option<BuyerShipping> {
    let shipping = body.pointer("/purchase_units/0/shipping")?;
    let text = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    let address = shipping.get("address")?;
    let phone = shipping
        .get("phone_number")
        .or_else(|| body.pointer("/payer/phone/phone_number"))
        .and_then(|phone| {
            Some(BuyerPhone {
                country_code: text(phone.get("country_code")),
                national_number: text(phone.get("national_number"))?,
            })
        });
    Some(BuyerShipping {
        full_name: text(shipping.pointer("/name/full_name"))?,
        address_line_1: text(address.get("address_line_1"))?,
        address_line_2: text(address.get("address_line_2")),
        city: text(address.get("admin_area_2"))?,
        state: text(address.get("admin_area_1")),
        postal_code: text(address.get("postal_code")),
        country_code: text(address.get("country_code"))?,
        phone,
    })
}

/// The `{currency_code, value}` amount at `value`: `None` when absent,
/// refused when PayPal sent one the ledger cannot hold.
pub(crate) fn amount_at(value: Option<&Value>) -> Result<Option<Money>, PayPalError> {
    Ok(read_amount::<PayPalAmount>(value).transpose()?)
}

pub(crate) fn parse_capture(value: &Value, replayed: bool) -> Result<Capture, PayPalError> {
    let decode = |what: &str| PayPalError::Decode(format!("capture without {what}"));
    let breakdown = value.get("seller_receivable_breakdown");
    let gross = match amount_at(breakdown.and_then(|b| b.get("gross_amount")))? {
        Some(gross) => gross,
        None => amount_at(value.get("amount"))?.ok_or_else(|| decode("amount"))?,
    };
    Ok(Capture {
        id: value["id"].as_str().ok_or_else(|| decode("id"))?.to_owned(),
        status: CaptureStatus::parse(value["status"].as_str().ok_or_else(|| decode("status"))?),
        pending_reason: value
            .pointer("/status_details/reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        gross,
        paypal_fee: amount_at(breakdown.and_then(|b| b.get("paypal_fee")))?,
        net: amount_at(breakdown.and_then(|b| b.get("net_amount")))?,
        order_id: value
            .pointer("/supplementary_data/related_ids/order_id")
            .and_then(Value::as_str)
            .map(str::to_owned),
        replayed,
    })
}

fn captures_of(order: &Value, replayed: bool) -> Result<Vec<Capture>, PayPalError> {
    let mut captures = Vec::new();
    for unit in order["purchase_units"].as_array().into_iter().flatten() {
        for capture in unit
            .pointer("/payments/captures")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut capture = parse_capture(capture, replayed)?;
            capture.order_id = capture
                .order_id
                .or_else(|| order["id"].as_str().map(str::to_owned));
            captures.push(capture);
        }
    }
    Ok(captures)
}

impl PayPalClient {
    /// Creates an order to be approved by the buyer (P2). `request_id`
    /// (our order id or checkout idempotency key) makes it safe to retry.
    pub async fn create_order(
        &self,
        order: &CheckoutOrder,
        request_id: &str,
    ) -> Result<CreatedOrder, PayPalError> {
        let answer = self
            .call(
                "orders.create",
                Method::POST,
                "/v2/checkout/orders",
                Some(&order.to_wire().map_err(PayPalError::CheckoutAmounts)?),
                Some(request_id),
            )
            .await?;
        let body = answer.body;
        let approve_url = body["links"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|link| matches!(link["rel"].as_str(), Some("approve" | "payer-action")))
            .and_then(|link| link["href"].as_str())
            .ok_or_else(|| PayPalError::Decode("order without an approve link".into()))?
            .to_owned();
        Ok(CreatedOrder {
            id: body["id"]
                .as_str()
                .ok_or_else(|| PayPalError::Decode("order without id".into()))?
                .to_owned(),
            status: body["status"].as_str().unwrap_or_default().to_owned(),
            approve_url,
        })
    }

    /// Reads an order (P3).
    pub async fn order(&self, order_id: &str) -> Result<OrderDetails, PayPalError> {
        let path = format!("/v2/checkout/orders/{}", path_segment(order_id));
        let body = self
            .call("orders.get", Method::GET, &path, None, None)
            .await?
            .body;
        Ok(OrderDetails {
            id: body["id"].as_str().unwrap_or(order_id).to_owned(),
            status: body["status"].as_str().unwrap_or_default().to_owned(),
            payer_email: body
                .pointer("/payer/email_address")
                .and_then(Value::as_str)
                .map(str::to_owned),
            captures: captures_of(&body, false)?,
            shipping: shipping_of(&body),
        })
    }

    /// Captures an approved order (P4). Derive `request_id` from our order
    /// id, so a retry after a lost answer returns the same capture.
    pub async fn capture_order(
        &self,
        order_id: &str,
        request_id: &str,
    ) -> Result<Capture, PayPalError> {
        let path = format!("/v2/checkout/orders/{}/capture", path_segment(order_id));
        let answer = self
            .call(
                "orders.capture",
                Method::POST,
                &path,
                Some(&json!({})),
                Some(request_id),
            )
            .await?;
        // 201 is a new capture, 200 the answer to a repeated request id.
        let replayed = answer.status == 200;
        captures_of(&answer.body, replayed)?
            .into_iter()
            .next()
            .ok_or_else(|| PayPalError::Decode("capture answer without a capture".into()))
    }

    /// Reads a capture (P5).
    pub async fn capture(&self, capture_id: &str) -> Result<Capture, PayPalError> {
        let path = format!("/v2/payments/captures/{}", path_segment(capture_id));
        let body = self
            .call("captures.get", Method::GET, &path, None, None)
            .await?
            .body;
        parse_capture(&body, false)
    }
}

/// Ids come from PayPal or from our own records; escape anything that is
/// not a plain id character so an id cannot change the path.
pub(crate) fn path_segment(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32 & 0xFF)
            }
        })
        .collect()
}
