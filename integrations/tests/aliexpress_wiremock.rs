//! Contract tests of the AliExpress client against wiremock stubs: the
//! request is a signed form with the documented system parameters.

use std::collections::BTreeMap;

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    sign_request, AliExpressClient, AliExpressConfig, AliExpressErrorKind, CallPolicy,
    ErrorCategory, OrderLine, PlaceOrder, ProductQuery, SecretString, ShippingAddress,
    SupplierOrderState,
};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "wiremock-secret";

fn form(request: &Request) -> BTreeMap<String, String> {
    let url = reqwest::Url::parse(&format!(
        "http://x/?{}",
        String::from_utf8_lossy(&request.body)
    ))
    .unwrap();
    url.query_pairs().into_owned().collect()
}

/// The signature recomputed here, independently of the crate's signing
/// code: HMAC-SHA256 keyed by the app secret over the API path (system APIs
/// only) and the name-sorted `name value` pairs without `sign`, upper hex.
fn independent_sign(api_path: Option<&str>, params: &BTreeMap<String, String>) -> String {
    use hmac::Mac;
    let mut text = api_path.unwrap_or("").to_owned();
    let mut names: Vec<&String> = params.keys().filter(|k| k.as_str() != "sign").collect();
    names.sort();
    for name in names {
        text.push_str(name);
        text.push_str(&params[name]);
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// The request is signed as the platform checks it.
fn signed(api_path: Option<&'static str>) -> impl Fn(&Request) -> bool {
    move |request: &Request| {
        let params = form(request);
        let Some(sign) = params.get("sign") else {
            return false;
        };
        let timestamp_ok = params
            .get("timestamp")
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|t| (chrono::Utc::now().timestamp_millis() - t).abs() < 60_000);
        params.get("app_key").map(String::as_str) == Some("34567")
            && params.get("sign_method").map(String::as_str) == Some("sha256")
            && timestamp_ok
            && *sign == independent_sign(api_path, &params)
            && *sign == sign_request(&SecretString::from(SECRET), api_path, &params)
    }
}

fn client(server: &MockServer) -> AliExpressClient {
    AliExpressClient::new(
        AliExpressConfig::new("34567", SecretString::from(SECRET))
            .with_base_url(server.uri())
            .with_call_policy(CallPolicy::fast_for_tests()),
    )
}

#[tokio::test]
async fn token_creation_posts_a_form_signed_with_the_api_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/auth/token/create"))
        .and(signed(Some("/auth/token/create")))
        .and(|request: &Request| {
            form(request).get("code").map(String::as_str) == Some("3_34567_abc")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "refresh_token_valid_time": 1_893_456_000_000_i64,
            "havana_id": "17379911544",
            "expire_time": 1_893_369_600_000_i64,
            "locale": "zh_CN",
            "user_nick": "cn1234",
            "access_token": "50000601c30atpedfgu3LVvik87Ixlsvle3mSoB7701ceb156fPunYZ43GBg",
            "refresh_token": "500016000300bwa2WteaQyfwBMnPxurcA0mXGhQdTt18356663CfcDTYpWoi",
            "user_id": "200042362",
            "account_platform": "buyerApp",
            "refresh_expires_in": 60,
            "expires_in": 30,
            "sp": "ae",
            "seller_id": "200042362",
            "account": "ae_test@example.com",
            "code": "0",
            "request_id": "0ba2887315178178017221014"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let token = client(&server).create_token("3_34567_abc").await.unwrap();

    assert_eq!(token.expires_at.timestamp_millis(), 1_893_369_600_000);
    assert_eq!(token.user_id.as_deref(), Some("200042362"));
}

#[tokio::test]
async fn a_business_call_is_signed_without_the_path_and_carries_method_session_and_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sync"))
        .and(signed(None))
        .and(|request: &Request| {
            let params = form(request);
            params["method"] == "aliexpress.ds.product.get"
                && params["session"] == "user-token"
                && params["format"] == "json"
                && params["product_id"] == "1005004043442825"
                && params["target_currency"] == "EUR"
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "aliexpress_ds_product_get_response": {
                "result": {
                    "ae_item_base_info_dto": {"subject": "Wireless earbuds", "product_id": 1005004043442825_i64},
                    "ae_item_sku_info_dtos": {"ae_item_sku_info_d_t_o": [
                        {"sku_id": "12000028145463285", "sku_attr": "14:193#Black", "offer_sale_price": "15.29", "sku_available_stock": 296, "currency_code": "EUR"}
                    ]}
                },
                "rsp_code": 200,
                "request_id": "2101d03d16757789127451146"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let product = client(&server)
        .product(
            &SecretString::from("user-token"),
            &ProductQuery {
                product_id: "1005004043442825".into(),
                ship_to_country: "FR".into(),
                currency: "EUR".into(),
                language: "en".into(),
            },
        )
        .await
        .unwrap();

    assert_eq!(
        product.skus[0].price,
        Money::new(dec!(15.29), Currency::Eur).unwrap()
    );
    assert_eq!(product.skus[0].stock, 296);
}

#[tokio::test]
async fn the_order_request_names_our_order_id_and_a_platform_error_is_typed_without_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sync"))
        .and(signed(None))
        .and(|request: &Request| {
            let params = form(request);
            let order: Value = serde_json::from_str(&params["param_place_order_request4_open_api_d_t_o"]).unwrap_or_default();
            params["method"] == "aliexpress.ds.order.create"
                && order["out_order_id"] == "our-order-7"
                && order["product_items"][0]["product_count"] == 1
                && order["logistics_address"]["country"] == "US"
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "aliexpress_ds_order_create_response": {
                "result": {"is_success": false, "error_code": "B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL", "error_msg": "address validate fail"},
                "request_id": "2140e3b716931313555"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server)
        .place_order(
            &SecretString::from("user-token"),
            &PlaceOrder {
                out_order_id: "our-order-7".into(),
                address: ShippingAddress {
                    contact_person: "Ada".into(),
                    address: "1 Way".into(),
                    address2: None,
                    city: "Portland".into(),
                    province: "Oregon".into(),
                    country: "US".into(),
                    zip: "97201".into(),
                    phone_country: "1".into(),
                    mobile_no: "5035550100".into(),
                },
                lines: vec![OrderLine {
                    product_id: "1005004043442825".into(),
                    quantity: 1,
                    sku_attr: "14:193#Black".into(),
                    logistics_service_name: None,
                }],
                pay_currency: "USD".into(),
            },
        )
        .await
        .unwrap_err();

    assert_eq!(error.kind(), Some(AliExpressErrorKind::AddressInvalid));
    assert_eq!(error.category(), ErrorCategory::FixData);
}

#[tokio::test]
async fn a_gateway_rate_limit_is_retried_until_the_call_goes_through() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sync"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "error_response": {"type": "ISP", "code": "ApiCallLimit", "msg": "App Call Limited", "request_id": "abc"}
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sync"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "aliexpress_trade_ds_order_get_response": {
                "result": {"order_status": "FINISH", "logistics_status": "BUYER_ACCEPT_GOODS", "order_amount": {"amount": "9.33", "currency_code": "USD"}},
                "request_id": "def"
            }
        })))
        .with_priority(2)
        .mount(&server)
        .await;

    let order = client(&server)
        .order(&SecretString::from("t"), "8100000000000001")
        .await
        .unwrap();

    assert_eq!(order.order_status, "FINISH");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_order_status_and_end_reason_say_whether_the_supplier_cancelled_and_refunded() {
    let usd = |amount| Money::new(amount, Currency::Usd).unwrap();
    let cases = [
        (
            json!({"order_status": "WAIT_SELLER_SEND_GOODS"}),
            SupplierOrderState::Active,
        ),
        (
            json!({"order_status": "IN_CANCEL"}),
            SupplierOrderState::Cancelling,
        ),
        (
            json!({"order_status": "FINISH", "end_reason": "seller_send_goods_timeout"}),
            SupplierOrderState::ClosedRefunded {
                end_reason: "seller_send_goods_timeout".to_owned(),
                refunded: usd(dec!(9.33)),
            },
        ),
        (
            json!({"order_status": "FINISH", "order_end_reason": "cancel_order_close_trade"}),
            SupplierOrderState::ClosedRefunded {
                end_reason: "cancel_order_close_trade".to_owned(),
                refunded: usd(dec!(9.33)),
            },
        ),
        (
            json!({"order_status": "FINISH", "end_reason": "buyer_accept_goods"}),
            SupplierOrderState::Completed,
        ),
    ];
    for (fields, expected) in cases {
        let server = MockServer::start().await;
        let mut result = fields.clone();
        result["order_amount"] = json!({"amount": "9.33", "currency_code": "USD"});
        Mock::given(method("POST"))
            .and(path("/sync"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "aliexpress_trade_ds_order_get_response": {"result": result, "request_id": "r"}
            })))
            .mount(&server)
            .await;
        let order = client(&server)
            .order(&SecretString::from("t"), "8100000000000001")
            .await
            .unwrap();
        assert_eq!(order.state, expected, "{fields}");
    }
}
