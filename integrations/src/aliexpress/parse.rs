//! Reading the platform's answers. The gateway wraps lists as
//! `{"things": {"thing_d_t_o": [...]}}` in some answers and as plain arrays
//! in others, and writes numbers as strings or numbers: the readers accept
//! both.

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::error::{AliExpressError, AliExpressErrorKind};
use super::types::*;
use crate::money::parse_amount;

pub(crate) fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn integer(value: &Value, key: &str) -> Option<i64> {
    text(value, key)?.parse().ok()
}

/// The text at `key` when it is a decimal number: amounts are read from
/// the text, so that nothing is rounded on the way to domain money.
fn decimal_text(value: &Value, key: &str) -> Option<String> {
    text(value, key).filter(|text| text.trim().parse::<Decimal>().is_ok())
}

fn flag(value: &Value, key: &str) -> Option<bool> {
    match value.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "true"),
        _ => None,
    }
}

/// The list under `outer`, plain or wrapped in a one-key object.
pub(crate) fn list<'a>(value: &'a Value, outer: &str) -> Vec<&'a Value> {
    match value.get(outer) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(wrapper)) => wrapper
            .values()
            .find_map(|inner| inner.as_array())
            .map(|items| items.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn decode(what: &str) -> AliExpressError {
    AliExpressError::Decode(format!("missing {what}"))
}

pub(crate) fn request_id(body: &Value) -> Option<String> {
    text(body, "request_id")
        .or_else(|| {
            body.get("error_response")
                .and_then(|e| text(e, "request_id"))
        })
        .or_else(|| {
            body.as_object()?.values().find_map(|inner| {
                inner
                    .get("request_id")
                    .and_then(|_| text(inner, "request_id"))
            })
        })
}

fn api_error(
    method: &str,
    code: String,
    message: String,
    request_id: Option<String>,
) -> AliExpressError {
    AliExpressError::Api {
        kind: AliExpressErrorKind::from_code(&code),
        code,
        message,
        method: method.to_owned(),
        request_id,
    }
}

/// The gateway's own errors: `{"error_response": {code, msg, request_id}}`
/// for `/sync`, `{code, message, request_id}` with `code != "0"` for `/rest`.
pub(crate) fn gateway_error(method: &str, body: &Value) -> Option<AliExpressError> {
    if let Some(error) = body.get("error_response") {
        let code = text(error, "code").unwrap_or_else(|| "Unknown".into());
        let message = text(error, "msg")
            .or_else(|| text(error, "message"))
            .unwrap_or_default();
        return Some(api_error(method, code, message, text(error, "request_id")));
    }
    let code = text(body, "code")?;
    if code == "0" {
        return None;
    }
    let message = text(body, "message")
        .or_else(|| text(body, "msg"))
        .unwrap_or_default();
    Some(api_error(method, code, message, text(body, "request_id")))
}

/// Business failures reported inside a 200: `result.is_success = false`
/// (order create) or `result.success = false` (freight).
pub(crate) fn business_failure(method: &str, inner: &Value) -> Result<(), AliExpressError> {
    let Some(result) = inner.get("result") else {
        return Ok(());
    };
    let failed =
        flag(result, "is_success") == Some(false) || flag(result, "success") == Some(false);
    if !failed {
        return Ok(());
    }
    let code = text(result, "error_code")
        .or_else(|| text(result, "code"))
        .unwrap_or_else(|| "Unknown".into());
    let message = text(result, "error_msg")
        .or_else(|| text(result, "msg"))
        .unwrap_or_default();
    Err(api_error(method, code, message, text(inner, "request_id")))
}

pub(crate) fn token(body: &Value) -> Result<AliExpressToken, AliExpressError> {
    let access = text(body, "access_token").ok_or_else(|| decode("access_token"))?;
    let refresh = text(body, "refresh_token").ok_or_else(|| decode("refresh_token"))?;
    // `expire_time` is an absolute time in ms; `expires_in` is seconds from now.
    let expires_at = integer(body, "expire_time")
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .or_else(|| integer(body, "expires_in").map(|s| Utc::now() + chrono::Duration::seconds(s)))
        .ok_or_else(|| decode("expire_time"))?;
    let refresh_expires_at = integer(body, "refresh_token_valid_time")
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .or_else(|| {
            integer(body, "refresh_expires_in").map(|s| Utc::now() + chrono::Duration::seconds(s))
        });
    Ok(AliExpressToken {
        access_token: SecretString::from(access),
        refresh_token: SecretString::from(refresh),
        expires_at,
        refresh_expires_at,
        user_id: text(body, "user_id"),
        account: text(body, "account"),
    })
}

pub(crate) fn place_order_request(order: &PlaceOrder) -> Value {
    let address = &order.address;
    json!({
        "out_order_id": order.out_order_id,
        "logistics_address": {
            "contact_person": address.contact_person,
            "full_name": address.contact_person,
            "address": address.address,
            "address2": address.address2,
            "city": address.city,
            "province": address.province,
            "country": address.country,
            "zip": address.zip,
            "phone_country": address.phone_country,
            "mobile_no": address.mobile_no,
        },
        "product_items": order.lines.iter().map(|line| json!({
            "product_id": line.product_id,
            "product_count": line.quantity,
            "sku_attr": line.sku_attr,
            "logistics_service_name": line.logistics_service_name,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn placed_order(inner: &Value) -> Result<PlacedOrder, AliExpressError> {
    let result = inner.get("result").ok_or_else(|| decode("result"))?;
    let order_ids: Vec<String> = match result.get("order_list") {
        Some(Value::Array(ids)) => ids
            .iter()
            .filter_map(|id| {
                id.as_str()
                    .map(str::to_owned)
                    .or_else(|| id.as_u64().map(|n| n.to_string()))
            })
            .collect(),
        Some(Value::Object(wrapper)) => wrapper
            .values()
            .filter_map(|v| v.as_array())
            .flatten()
            .filter_map(|id| {
                id.as_str()
                    .map(str::to_owned)
                    .or_else(|| id.as_u64().map(|n| n.to_string()))
            })
            .collect(),
        _ => Vec::new(),
    };
    if order_ids.is_empty() {
        return Err(decode("result.order_list"));
    }
    Ok(PlacedOrder { order_ids })
}

pub(crate) fn supplier_order(
    order_id: &str,
    inner: &Value,
) -> Result<SupplierOrder, AliExpressError> {
    let result = inner.get("result").ok_or_else(|| decode("result"))?;
    let amount = match result.get("order_amount").and_then(|amount| {
        Some((
            text(amount, "currency_code")?,
            decimal_text(amount, "amount")?,
        ))
    }) {
        Some((currency, amount)) => Some(parse_amount(&currency, &amount)?),
        None => None,
    };
    let tracking_numbers = list(result, "logistics_info_list")
        .into_iter()
        .filter_map(|info| text(info, "logistics_no"))
        .collect();
    let order_status = text(result, "order_status").ok_or_else(|| decode("order_status"))?;
    // Older order APIs name it `order_end_reason`.
    let end_reason = text(result, "end_reason").or_else(|| text(result, "order_end_reason"));
    let state = supplier_order_state(&order_status, end_reason, amount)?;
    Ok(SupplierOrder {
        order_id: order_id.to_owned(),
        order_status,
        logistics_status: text(result, "logistics_status"),
        amount,
        tracking_numbers,
        state,
    })
}

/// The `end_reason`s of a FINISH order that was delivered; every other
/// reason (`cancel_order_close_trade`, `seller_send_goods_timeout`,
/// `risk_reject_closed`, `buyer_cancel_order_in_risk`,
/// `seller_accept_issue_no_goods_return`, ...) closed it undelivered.
const DELIVERED_END_REASONS: [&str; 2] = ["buyer_accept_goods", "buyer_accept_goods_timeout"];

fn supplier_order_state(
    order_status: &str,
    end_reason: Option<String>,
    amount: Option<dropledger_domain::Money>,
) -> Result<SupplierOrderState, AliExpressError> {
    Ok(match (order_status, end_reason) {
        ("IN_CANCEL", _) => SupplierOrderState::Cancelling,
        ("FINISH", Some(reason)) if DELIVERED_END_REASONS.contains(&reason.as_str()) => {
            SupplierOrderState::Completed
        }
        // FINISH means fund processing is complete: closed undelivered,
        // the order amount went back to the buyer.
        ("FINISH", Some(end_reason)) => SupplierOrderState::ClosedRefunded {
            end_reason,
            refunded: amount.ok_or_else(|| decode("order_amount"))?,
        },
        ("FINISH", None) => SupplierOrderState::Completed,
        _ => SupplierOrderState::Active,
    })
}

pub(crate) fn shipments(inner: &Value) -> Result<Vec<Shipment>, AliExpressError> {
    let result = inner.get("result").ok_or_else(|| decode("result"))?;
    let data = result.get("data").ok_or_else(|| decode("result.data"))?;
    Ok(list(data, "tracking_detail_line_list")
        .into_iter()
        .map(|line| Shipment {
            tracking_number: text(line, "mail_no").unwrap_or_default(),
            carrier_name: text(line, "carrier_name").unwrap_or_default(),
            events: list(line, "detail_node_list")
                .into_iter()
                .map(|node| TrackingEvent {
                    time: text(node, "time_stamp"),
                    name: text(node, "tracking_name").unwrap_or_default(),
                    description: text(node, "tracking_detail_desc"),
                })
                .collect(),
        })
        .collect())
}

pub(crate) fn product(
    product_id: &str,
    currency: &str,
    inner: &Value,
) -> Result<Product, AliExpressError> {
    let result = inner.get("result").ok_or_else(|| decode("result"))?;
    let title = result
        .get("ae_item_base_info_dto")
        .and_then(|base| text(base, "subject"))
        .unwrap_or_default();
    let mut skus = Vec::new();
    for sku in list(result, "ae_item_sku_info_dtos") {
        let price = decimal_text(sku, "offer_sale_price")
            .or_else(|| decimal_text(sku, "sku_price"))
            .ok_or_else(|| decode("offer_sale_price"))?;
        let sku_currency = text(sku, "currency_code").unwrap_or_else(|| currency.to_owned());
        skus.push(Sku {
            sku_id: text(sku, "sku_id").ok_or_else(|| decode("sku_id"))?,
            sku_attr: text(sku, "sku_attr").unwrap_or_default(),
            price: parse_amount(&sku_currency, &price)?,
            stock: integer(sku, "sku_available_stock").unwrap_or(0).max(0) as u64,
        });
    }
    Ok(Product {
        product_id: product_id.to_owned(),
        title,
        skus,
    })
}

pub(crate) fn delivery_options(
    currency: &str,
    inner: &Value,
) -> Result<Vec<DeliveryOption>, AliExpressError> {
    let result = inner.get("result").ok_or_else(|| decode("result"))?;
    list(result, "delivery_options")
        .into_iter()
        .map(|option| {
            // `shipping_fee_cent` is, despite its name, a decimal amount in
            // major units in the answers we have seen ("2.35").
            let fee = decimal_text(option, "shipping_fee_cent").unwrap_or_else(|| "0".to_owned());
            let fee_currency =
                text(option, "shipping_fee_currency").unwrap_or_else(|| currency.to_owned());
            Ok(DeliveryOption {
                code: text(option, "code").ok_or_else(|| decode("delivery option code"))?,
                fee: parse_amount(&fee_currency, &fee)?,
                free_shipping: flag(option, "free_shipping").unwrap_or(false),
                min_delivery_days: integer(option, "min_delivery_days").map(|d| d as u32),
                max_delivery_days: integer(option, "max_delivery_days").map(|d| d as u32),
            })
        })
        .collect()
}

pub(crate) fn search_hits(
    currency: &str,
    inner: &Value,
) -> Result<Vec<SearchHit>, AliExpressError> {
    let data = inner.get("data").ok_or_else(|| decode("data"))?;
    list(data, "products")
        .into_iter()
        .map(|item| {
            let price =
                decimal_text(item, "targetSalePrice").ok_or_else(|| decode("targetSalePrice"))?;
            let hit_currency =
                text(item, "targetOriginalPriceCurrency").unwrap_or_else(|| currency.to_owned());
            Ok(SearchHit {
                product_id: text(item, "itemId").ok_or_else(|| decode("itemId"))?,
                title: text(item, "title").unwrap_or_default(),
                orders: integer(item, "orders").unwrap_or(0).max(0) as u64,
                evaluate_rate: text(item, "evaluateRate"),
                price: parse_amount(&hit_currency, &price)?,
            })
        })
        .collect()
}
