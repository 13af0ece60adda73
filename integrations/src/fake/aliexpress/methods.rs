//! The fake AliExpress business methods.

use std::collections::{BTreeMap, HashMap};

use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{business_error, gateway_error, FakeProduct, FakeSku, FakeSupplierOrder, Shared};
use crate::fake::faults::Fault;

type Params = BTreeMap<String, String>;

/// Delivery methods the fake knows, with their fee and days.
const DELIVERY_METHODS: [(&str, i64, u32, u32); 2] = [
    ("CAINIAO_STANDARD", 235, 12, 20),
    ("AE_PREMIUM_SHIPPING", 899, 5, 9),
];

/// The products of [`crate::LocalTrendFeed::sample`], two colours each.
pub(super) fn sample_catalogue() -> HashMap<String, FakeProduct> {
    let product = |id: u64, title: &str, cents: i64, orders: u64| {
        let skus = ["Black", "Silver"]
            .iter()
            .enumerate()
            .map(|(n, colour)| FakeSku {
                sku_id: format!("{}", 12_000_000_000_000 + id * 10 + n as u64),
                sku_attr: format!("14:{}#{}", 193 + n, colour),
                price: Decimal::new(cents, 2),
                stock: 100,
            })
            .collect();
        (
            format!("{}", 1_005_001_000_000_000 + id),
            FakeProduct {
                title: title.to_owned(),
                orders,
                skus,
            },
        )
    };
    HashMap::from([
        product(1, "Adjustable aluminium phone stand", 349, 15_230),
        product(2, "Magnetic cable organiser (6 pack)", 199, 9_870),
        product(3, "LED desk lamp with USB charging", 1_275, 4_410),
        product(4, "Silicone kitchen utensil set", 899, 2_005),
    ])
}

fn json_param(params: &Params, name: &str) -> Result<Value, Response> {
    params
        .get(name)
        .and_then(|text| serde_json::from_str(text).ok())
        .ok_or_else(|| gateway_error("MissingParameter", &format!("{name} is required")))
}

fn text(value: &Value, key: &str) -> String {
    match &value[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

pub(super) fn place_order(
    shared: &Shared,
    params: &Params,
    fault: Option<Fault>,
) -> Result<Value, Response> {
    let request = json_param(params, "param_place_order_request4_open_api_d_t_o")?;
    let out_order_id = text(&request, "out_order_id");
    if out_order_id.is_empty() {
        return Ok(business_error("PARAM_ERROR", "out_order_id is required"));
    }
    let mut state = shared.state();
    // The platform dedupes on out_order_id: a repeat returns the same orders.
    if let Some(ids) = state.by_out_order_id.get(&out_order_id) {
        return Ok(json!({"result": {"is_success": true, "order_list": {"number": ids}}}));
    }
    match fault {
        Some(Fault::OutOfStock) => {
            return Ok(business_error(
                "INVENTORY_HOLD_ERROR",
                "Inventory hold failed",
            ))
        }
        Some(Fault::Declined) => {
            return Ok(business_error("PAYMENT_FAILED", "The payment was declined"))
        }
        _ => {}
    }
    let address = request["logistics_address"].clone();
    let required = [
        "contact_person",
        "address",
        "city",
        "country",
        "zip",
        "mobile_no",
    ];
    if required
        .iter()
        .any(|key| text(&address, key).trim().is_empty())
    {
        return Ok(business_error(
            "B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL",
            "The delivery address is incomplete",
        ));
    }
    let lines = request["product_items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if lines.is_empty() {
        return Ok(business_error("PARAM_ERROR", "product_items is required"));
    }
    let mut amount = Decimal::ZERO;
    let mut holds = Vec::new();
    for line in &lines {
        let product_id = text(line, "product_id");
        let count: u64 = text(line, "product_count").parse().unwrap_or(0);
        let Some(product) = state.products.get(&product_id) else {
            return Ok(business_error(
                "PRODUCT_NOT_EXIST",
                "The product does not exist",
            ));
        };
        let Some(sku) = product
            .skus
            .iter()
            .find(|s| s.sku_attr == text(line, "sku_attr"))
        else {
            return Ok(business_error("SKU_NOT_EXIST", "The SKU does not exist"));
        };
        let method = text(line, "logistics_service_name");
        let delivery = DELIVERY_METHODS.iter().find(|(code, ..)| *code == method);
        if !method.is_empty() && delivery.is_none() {
            return Ok(business_error(
                "DELIVERY_METHOD_NOT_EXIST",
                "The delivery method does not exist",
            ));
        }
        if count == 0 || sku.stock < count {
            return Ok(business_error(
                "INVENTORY_HOLD_ERROR",
                "Inventory hold failed",
            ));
        }
        let shipping = delivery
            .map(|(_, cents, ..)| Decimal::new(*cents, 2))
            .unwrap_or_default();
        amount += sku.price * Decimal::from(count) + shipping;
        holds.push((product_id, sku.sku_id.clone(), count));
    }
    for (product_id, sku_id, count) in holds {
        if let Some(sku) = state
            .products
            .get_mut(&product_id)
            .and_then(|p| p.skus.iter_mut().find(|s| s.sku_id == sku_id))
        {
            sku.stock -= count;
        }
    }
    let order_id = state.next_order.to_string();
    state.next_order += 1;
    state.orders.insert(
        order_id.clone(),
        FakeSupplierOrder {
            status: "WAIT_SELLER_SEND_GOODS".to_owned(),
            logistics_status: "NO_LOGISTICS".to_owned(),
            amount,
            tracking_number: None,
            end_reason: None,
            ship_to: address,
        },
    );
    state
        .by_out_order_id
        .insert(out_order_id, vec![order_id.clone()]);
    drop(state);
    // A new order (not a repeat of one) is paid for, in the fake's USD.
    if let Some(wallet) = shared.wallet.lock().expect("wallet lock").as_ref() {
        wallet.pay(
            dropledger_domain::Money::new(amount, dropledger_domain::Currency::Usd)
                .expect("the fake's prices are whole cents"),
        );
    }
    Ok(json!({"result": {"is_success": true, "order_list": {"number": [order_id]}}}))
}

pub(super) fn order_get(shared: &Shared, params: &Params) -> Result<Value, Response> {
    let query = json_param(params, "single_order_query")?;
    let order_id = text(&query, "order_id");
    let state = shared.state();
    let Some(order) = state.orders.get(&order_id) else {
        return Err(gateway_error("ORDER_NOT_EXIST", "The order does not exist"));
    };
    let logistics: Vec<Value> = order
        .tracking_number
        .iter()
        .map(|number| json!({"logistics_no": number, "logistics_service": "CAINIAO_STANDARD"}))
        .collect();
    let mut result = json!({
        "order_status": order.status,
        "logistics_status": order.logistics_status,
        "order_amount": {"amount": order.amount.to_string(), "currency_code": "USD"},
        "logistics_info_list": {"ae_order_logistics_info": logistics},
    });
    if let Some(end_reason) = &order.end_reason {
        result["end_reason"] = json!(end_reason);
    }
    Ok(json!({ "result": result }))
}

pub(super) fn tracking(shared: &Shared, params: &Params) -> Result<Value, Response> {
    let order_id = params.get("ae_order_id").cloned().unwrap_or_default();
    let state = shared.state();
    let Some(order) = state.orders.get(&order_id) else {
        return Err(gateway_error("ORDER_NOT_EXIST", "The order does not exist"));
    };
    let lines: Vec<Value> = order
        .tracking_number
        .iter()
        .map(|number| {
            json!({
                "mail_no": number,
                "carrier_name": "Cainiao",
                "detail_node_list": {"detail_node": [
                    {"time_stamp": chrono::Utc::now().to_rfc3339(), "tracking_name": "Accepted by carrier", "tracking_detail_desc": "Parcel accepted at sorting centre"},
                ]},
            })
        })
        .collect();
    Ok(
        json!({"result": {"ret": true, "data": {"tracking_detail_line_list": {"tracking_detail": lines}}}}),
    )
}

pub(super) fn product_get(shared: &Shared, params: &Params) -> Result<Value, Response> {
    let product_id = params.get("product_id").cloned().unwrap_or_default();
    let currency = params
        .get("target_currency")
        .cloned()
        .unwrap_or_else(|| "USD".to_owned());
    let state = shared.state();
    let Some(product) = state.products.get(&product_id) else {
        return Err(gateway_error(
            "PRODUCT_NOT_EXIST",
            "The product does not exist",
        ));
    };
    let skus: Vec<Value> = product
        .skus
        .iter()
        .map(|sku| {
            json!({
                "sku_id": sku.sku_id,
                "sku_attr": sku.sku_attr,
                "offer_sale_price": sku.price.to_string(),
                "sku_price": sku.price.to_string(),
                "sku_available_stock": sku.stock,
                "currency_code": currency,
            })
        })
        .collect();
    Ok(json!({"result": {
        "ae_item_base_info_dto": {"product_id": product_id, "subject": product.title},
        "ae_item_sku_info_dtos": {"ae_item_sku_info_d_t_o": skus},
    }}))
}

pub(super) fn freight(shared: &Shared, params: &Params) -> Result<Value, Response> {
    let request = json_param(params, "queryDeliveryReq")?;
    let product_id = text(&request, "productId");
    let currency = text(&request, "currency");
    if !shared.state().products.contains_key(&product_id) {
        return Ok(
            json!({"result": {"success": false, "code": "DELIVERY_METHOD_NOT_EXIST", "msg": "No delivery method for this product"}}),
        );
    }
    let options: Vec<Value> = DELIVERY_METHODS
        .iter()
        .map(|(code, cents, min, max)| {
            json!({
                "code": code,
                "shipping_fee_cent": Decimal::new(*cents, 2).to_string(),
                "shipping_fee_currency": if currency.is_empty() { "USD".to_owned() } else { currency.clone() },
                "free_shipping": false,
                "min_delivery_days": min,
                "max_delivery_days": max,
            })
        })
        .collect();
    Ok(json!({"result": {"success": true, "delivery_options": {"delivery_option_d_t_o": options}}}))
}

pub(super) fn text_search(shared: &Shared, params: &Params) -> Result<Value, Response> {
    let keyword = params
        .get("keyWord")
        .cloned()
        .unwrap_or_default()
        .to_lowercase();
    let currency = params
        .get("currency")
        .cloned()
        .unwrap_or_else(|| "USD".to_owned());
    let page_size: usize = params
        .get("pageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let state = shared.state();
    let mut hits: Vec<(&String, &FakeProduct)> = state
        .products
        .iter()
        .filter(|(_, p)| {
            keyword.is_empty()
                || keyword
                    .split_whitespace()
                    .any(|w| p.title.to_lowercase().contains(w))
        })
        .collect();
    hits.sort_by_key(|(_, p)| std::cmp::Reverse(p.orders));
    let products: Vec<Value> = hits
        .into_iter()
        .take(page_size)
        .map(|(id, p)| {
            json!({
                "itemId": id,
                "title": p.title,
                "orders": p.orders.to_string(),
                "evaluateRate": "97.1%",
                "targetSalePrice": p.skus[0].price.to_string(),
                "targetOriginalPriceCurrency": currency,
            })
        })
        .collect();
    Ok(
        json!({"data": {"totalCount": products.len(), "products": {"selection_search_product": products}}}),
    )
}
