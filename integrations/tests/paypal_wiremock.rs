//! Contract tests of the PayPal client against wiremock stubs built from
//! PayPal's documented examples: request shape, headers, error mapping.

use std::time::Duration;

use dropledger_domain::{Currency, Money, MoneyError, UnknownCurrency};
use dropledger_integrations::{
    CallPolicy, Capture, CheckoutItem, CheckoutOrder, PayPalClient, PayPalConfig,
    PayPalEnvironment, PayPalError, PayoutBatchItem, PayoutBatchRequest, WebhookHeaders,
};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// An amount in US dollars.
fn usd(value: rust_decimal::Decimal) -> Money {
    Money::new(value, Currency::Usd).unwrap()
}

const TOKEN: &str = "A21AAFEpH4PsADK7qSS7pSRsgzfENtu-Q1ysgEDVDESseMHBYXVJYE8ovjj68elIDy8nF26AwPhfXTIeWAZHSLIsQkSYz9ifg";

fn token_example() -> Value {
    json!({
        "scope": "https://uri.paypal.com/services/invoicing https://uri.paypal.com/services/payments/payment",
        "access_token": TOKEN,
        "token_type": "Bearer",
        "app_id": "APP-80W284485P519543T",
        "expires_in": 31668,
        "nonce": "2020-04-03T15:35:36ZaYZlGvEkV4yVSz8g6bAKFoGSEzuy3CQcz3ljhibkOHg"
    })
}

async fn server_with_token(expected_token_calls: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/oauth2/token"))
        // base64("client-id:client-secret")
        .and(header(
            "authorization",
            "Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=",
        ))
        .and(body_string("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_example()))
        .expect(expected_token_calls)
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> PayPalClient {
    PayPalClient::new(
        PayPalConfig::new(
            PayPalEnvironment::Sandbox,
            "client-id",
            "client-secret".to_owned().into(),
        )
        .with_base_url(server.uri())
        .with_webhook_id("1JE4291016473214C")
        .with_call_policy(CallPolicy::fast_for_tests()),
    )
}

fn checkout() -> CheckoutOrder {
    CheckoutOrder {
        reference_id: "d9f80740-38f0-11e8-b467-0ed5f89f718b".to_owned(),
        custom_id: None,
        invoice_id: Some("INV-1".to_owned()),
        currency: Currency::Usd,
        items: vec![CheckoutItem {
            name: "T-Shirt".to_owned(),
            sku: Some("sku01".to_owned()),
            unit_amount: usd(dec!(45.00)),
            quantity: 2,
        }],
        shipping: Some(usd(dec!(10))),
        return_url: "https://example.com/returnUrl".to_owned(),
        cancel_url: "https://example.com/cancelUrl".to_owned(),
        brand_name: Some("EXAMPLE INC".to_owned()),
    }
}

fn capture_example() -> Value {
    json!({
        "id": "5O190127TN364715T",
        "status": "COMPLETED",
        "payment_source": {"paypal": {"name": {"given_name": "John", "surname": "Doe"}, "email_address": "customer@example.com", "account_id": "QYR5Z8XDVJNXQ"}},
        "purchase_units": [{
            "reference_id": "d9f80740-38f0-11e8-b467-0ed5f89f718b",
            "payments": {"captures": [{
                "id": "3C679366HH908993F",
                "status": "COMPLETED",
                "amount": {"currency_code": "USD", "value": "100.00"},
                "final_capture": true,
                "disbursement_mode": "INSTANT",
                "seller_protection": {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]},
                "seller_receivable_breakdown": {
                    "gross_amount": {"currency_code": "USD", "value": "100.00"},
                    "paypal_fee": {"currency_code": "USD", "value": "3.00"},
                    "net_amount": {"currency_code": "USD", "value": "97.00"}
                },
                "create_time": "2018-04-01T21:20:49Z",
                "update_time": "2018-04-01T21:20:49Z"
            }]}
        }],
        "payer": {"name": {"given_name": "John", "surname": "Doe"}, "email_address": "customer@example.com", "payer_id": "QYR5Z8XDVJNXQ"}
    })
}

#[tokio::test]
async fn a_created_order_carries_the_request_id_the_token_and_a_consistent_breakdown() {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("paypal-request-id", "create-1"))
        .and(header("content-type", "application/json"))
        .and(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let unit = &body["purchase_units"][0];
            body["intent"] == "CAPTURE"
                && unit["reference_id"] == "d9f80740-38f0-11e8-b467-0ed5f89f718b"
                && unit["amount"] == json!({"currency_code": "USD", "value": "100.00", "breakdown": {
                    "item_total": {"currency_code": "USD", "value": "90.00"},
                    "shipping": {"currency_code": "USD", "value": "10.00"}}})
                && unit["items"][0]["quantity"] == "2"
                && unit["items"][0]["unit_amount"]["value"] == "45.00"
                && unit["items"][0]["category"] == "PHYSICAL_GOODS"
                && body["payment_source"]["paypal"]["experience_context"]["return_url"] == "https://example.com/returnUrl"
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "5O190127TN364715T",
            "status": "PAYER_ACTION_REQUIRED",
            "payment_source": {"paypal": {}},
            "links": [
                {"href": "https://api-m.paypal.com/v2/checkout/orders/5O190127TN364715T", "rel": "self", "method": "GET"},
                {"href": "https://www.paypal.com/checkoutnow?token=5O190127TN364715T", "rel": "payer-action", "method": "GET"}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let created = client(&server)
        .create_order(&checkout(), "create-1")
        .await
        .unwrap();

    assert_eq!(created.id, "5O190127TN364715T");
    assert_eq!(created.status, "PAYER_ACTION_REQUIRED");
    assert_eq!(
        created.approve_url,
        "https://www.paypal.com/checkoutnow?token=5O190127TN364715T"
    );
}

#[tokio::test]
async fn the_documented_capture_answer_yields_gross_fee_and_net() {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/5O190127TN364715T/capture"))
        .and(header("paypal-request-id", "capture-1"))
        .respond_with(ResponseTemplate::new(201).set_body_json(capture_example()))
        .expect(1)
        .mount(&server)
        .await;

    let capture = client(&server)
        .capture_order("5O190127TN364715T", "capture-1")
        .await
        .unwrap();

    assert_eq!(capture.id, "3C679366HH908993F");
    assert_eq!(capture.gross, usd(dec!(100.00)));
    assert_eq!(capture.paypal_fee, Some(usd(dec!(3.00))));
    assert_eq!(capture.net, Some(usd(dec!(97.00))));
    assert_eq!(capture.order_id.as_deref(), Some("5O190127TN364715T"));
    assert!(!capture.replayed);
}

#[tokio::test]
async fn the_documented_422_maps_to_order_not_approved_and_is_not_retried() {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/5O190127TN364715T/capture"))
        .respond_with(ResponseTemplate::new(422).insert_header("paypal-debug-id", "90957fca61718").set_body_json(json!({
            "name": "UNPROCESSABLE_ENTITY",
            "details": [{"issue": "ORDER_NOT_APPROVED", "description": "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request."}],
            "message": "The requested action could not be performed, semantically incorrect, or failed business validation.",
            "debug_id": "90957fca61718",
            "links": [{"href": "https://developer.paypal.com/docs/api/orders/v2/#error-ORDER_NOT_APPROVED", "rel": "information_link", "method": "GET"}]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server)
        .capture_order("5O190127TN364715T", "capture-1")
        .await
        .unwrap_err();

    assert!(
        matches!(error, PayPalError::OrderNotApproved(_)),
        "{error:?}"
    );
    assert_eq!(error.debug_id(), Some("90957fca61718"));
}

#[tokio::test]
async fn a_500_then_a_201_is_retried_with_the_same_request_id() {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/5O190127TN364715T/capture"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": "a1"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/5O190127TN364715T/capture"))
        .respond_with(ResponseTemplate::new(201).set_body_json(capture_example()))
        .with_priority(2)
        .mount(&server)
        .await;

    let capture = client(&server)
        .capture_order("5O190127TN364715T", "capture-1")
        .await
        .unwrap();

    assert_eq!(capture.id, "3C679366HH908993F");
    let requests = server.received_requests().await.unwrap();
    let ids: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path().ends_with("/capture"))
        .map(|r| r.headers["paypal-request-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["capture-1", "capture-1"]);
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_fails_as_a_timeout_after_bounded_attempts() {
    let server = server_with_token(1).await;
    Mock::given(method("GET"))
        .and(path("/v1/reporting/balances"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(2))
                .set_body_json(json!({"balances": []})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = PayPalClient::new(
        PayPalConfig::new(
            PayPalEnvironment::Sandbox,
            "client-id",
            "client-secret".to_owned().into(),
        )
        .with_base_url(server.uri())
        .with_call_policy(CallPolicy {
            attempt_timeout_ms: 200,
            attempts_max: 2,
            backoff_base_ms: 1,
            backoff_max_ms: 5,
        }),
    );

    let error = client.balances(Currency::Usd).await.unwrap_err();

    assert_eq!(error, PayPalError::Timeout { after_ms: 200 });
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_call_repeated() {
    let server = server_with_token(2).await;
    Mock::given(method("GET"))
        .and(path("/v1/reporting/balances"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_token", "error_description": "Token signature verification failed"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/reporting/balances"))
        .and(wiremock::matchers::query_param("currency_code", "USD"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "balances": [{
                "currency": "USD",
                "primary": true,
                "total_balance": {"currency_code": "USD", "value": "900000.00"},
                "available_balance": {"currency_code": "USD", "value": "899000.00"},
                "withheld_balance": {"currency_code": "USD", "value": "1000.00"}
            }],
            "account_id": "YDZ8V5UL9FCKN",
            "as_of_time": "2021-09-21T00:00:00Z",
            "last_refresh_time": "2021-09-21T00:00:00Z"
        })))
        .with_priority(2)
        .mount(&server)
        .await;

    let balances = client(&server).balances(Currency::Usd).await.unwrap();

    let dollars = &balances.balances[0];
    assert!(dollars.primary);
    assert_eq!(dollars.currency, Currency::Usd);
    assert_eq!(dollars.available, usd(dec!(899000.00)));
    assert_eq!(dollars.withheld, usd(dec!(1000.00)));
    assert_eq!(balances.as_of_time.as_deref(), Some("2021-09-21T00:00:00Z"));
}

#[tokio::test]
async fn a_payout_batch_uses_its_sender_batch_id_as_request_id_and_payout_amounts() {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v1/payments/payouts"))
        .and(header("paypal-request-id", "Payouts_2020_100007"))
        .and(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            body["sender_batch_header"]["sender_batch_id"] == "Payouts_2020_100007"
                && body["items"][0] == json!({"recipient_type": "EMAIL", "amount": {"currency": "USD", "value": "9.87"},
                    "receiver": "receiver@example.com", "sender_item_id": "201403140001", "note": "Thanks for your patronage!"})
        })
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "batch_header": {
                "sender_batch_header": {"sender_batch_id": "Payouts_2020_100007", "email_subject": "You have a payout!"},
                "payout_batch_id": "5UXD2E8A7EBQJ",
                "batch_status": "PENDING"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let batch = client(&server)
        .create_payout_batch(&PayoutBatchRequest {
            sender_batch_id: "Payouts_2020_100007".to_owned(),
            email_subject: "You have a payout!".to_owned(),
            items: vec![PayoutBatchItem {
                receiver: "receiver@example.com".to_owned(),
                amount: usd(dec!(9.87)),
                sender_item_id: "201403140001".to_owned(),
                note: Some("Thanks for your patronage!".to_owned()),
            }],
        })
        .await
        .unwrap();

    assert_eq!(batch.payout_batch_id, "5UXD2E8A7EBQJ");
    assert_eq!(batch.batch_status, "PENDING");
}

#[tokio::test]
async fn webhook_verification_passes_the_event_bytes_through_unchanged() {
    let server = server_with_token(1).await;
    // Keys out of alphabetical order and spacing: re-serialising would
    // change them, and PayPal's check would fail.
    let raw_event = r#"{"id": "WH-0", "event_type":"PAYMENT.CAPTURE.COMPLETED", "create_time":"2018-04-01T21:20:49Z"}"#;
    let expected_tail =
        format!(r#""webhook_id":"1JE4291016473214C","webhook_event":{raw_event}}}"#);
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .and(move |request: &Request| {
            String::from_utf8_lossy(&request.body).ends_with(&expected_tail)
        })
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"verification_status": "SUCCESS"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let headers = WebhookHeaders {
        transmission_id: "69cd13f0-d67a-11e5-baa3-778b53f4ae55".to_owned(),
        transmission_time: chrono::Utc::now().to_rfc3339(),
        transmission_sig: "lmI95Jx3Y9nhR5SJWlHVIWpg4AgFk7n9bCHSRxbrd8A9zrhdu2rMyFrmz+Zjh3s3boXB07VXCXUZy/UFzUlnGJn0wDugt7FlSvdKeIJenLRemUxYCPVoEZzg9VFNqOa48gMkvF+XTpxBeUx/kWy6B5cp7GkT2+pOowfRK7OaynuxUoKW3JcMWw272VKjLTtTAShncla7tGF+55rxyt2KNZIIqxNMJ48RDZheGU5w1npu9dZHnPgTXB9iomeVRoD8O/jhRpnKsGrDschyNdkeh81BJJMH4Ctc6lnCCquoP/GzCzz33MMsNdid7vL/NIWaCsekQpW26FpWPi/tfj8nLA==".to_owned(),
        cert_url: "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-5edc0ebc".to_owned(),
        auth_algo: "SHA256withRSA".to_owned(),
    };

    assert!(client(&server)
        .verify_webhook_signature(&headers, raw_event)
        .await
        .unwrap());
}

// Issue 15, item 11: a delivery anyone could have replayed or forged is
// refused without a call to PayPal (each call counts against our limits).
#[tokio::test]
async fn stale_future_and_foreign_certificate_deliveries_are_refused_without_asking_paypal() {
    let server = server_with_token(0).await;
    Mock::given(method("POST"))
        .and(path("/v1/notifications/verify-webhook-signature"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"verification_status": "SUCCESS"})),
        )
        .expect(0)
        .mount(&server)
        .await;
    let now = chrono::Utc::now();
    let paypal_cert = "https://api-m.paypal.com/v1/notifications/certs/CERT-1";
    let cases = [
        (now - chrono::Duration::minutes(6), paypal_cert),
        (now + chrono::Duration::minutes(2), paypal_cert),
        (now, "https://certs.attacker.example/CERT-1"),
    ];
    for (sent, cert_url) in cases {
        let headers = WebhookHeaders {
            transmission_id: "69cd13f0-d67a-11e5-baa3-778b53f4ae55".to_owned(),
            transmission_time: sent.to_rfc3339(),
            transmission_sig: "c2lnbmF0dXJl".to_owned(),
            cert_url: cert_url.to_owned(),
            auth_algo: "SHA256withRSA".to_owned(),
        };
        let genuine = client(&server)
            .verify_webhook_signature(&headers, r#"{"id":"WH-1","event_type":"X"}"#)
            .await
            .unwrap();
        assert!(!genuine, "{sent} {cert_url}");
    }
}

#[tokio::test]
async fn an_answer_larger_than_the_limit_is_refused_not_buffered() {
    let server = server_with_token(1).await;
    let huge = "x".repeat(dropledger_integrations::RESPONSE_BYTES_MAX + 1);
    Mock::given(method("GET"))
        .and(path("/v1/reporting/balances"))
        .respond_with(ResponseTemplate::new(200).set_body_string(huge))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).balances(Currency::Usd).await.unwrap_err();

    assert!(matches!(error, PayPalError::Decode(_)), "{error:?}");
}

/// P3 with PayPal's documented shipping block: the address the supplier
/// ships to, the phone from `shipping.phone_number` before the payer's.
#[tokio::test]
async fn an_orders_shipping_address_and_phone_are_read_from_its_details() {
    let server = server_with_token(1).await;
    let details = |shipping: Value| {
        json!({
            "id": "5O190127TN364715T",
            "status": "APPROVED",
            "payer": {
                "email_address": "customer@example.com",
                "phone": {"phone_type": "MOBILE", "phone_number": {"national_number": "4085550101"}}
            },
            "purchase_units": [{"reference_id": "default", "shipping": shipping}]
        })
    };
    let full = json!({
        "name": {"full_name": "John Doe"},
        "phone_number": {"country_code": "1", "national_number": "4085550199"},
        "address": {
            "address_line_1": "2211 N First Street",
            "address_line_2": "Building 17",
            "admin_area_2": "San Jose",
            "admin_area_1": "CA",
            "postal_code": "95131",
            "country_code": "US"
        }
    });
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/5O190127TN364715T"))
        .respond_with(ResponseTemplate::new(200).set_body_json(details(full)))
        .mount(&server)
        .await;
    // No street: nothing a supplier could ship to.
    let without_street = json!({
        "name": {"full_name": "John Doe"},
        "address": {"admin_area_2": "San Jose", "country_code": "US"}
    });
    let mut partial = details(without_street);
    partial["id"] = json!("8AB12345CD678901E");
    Mock::given(method("GET"))
        .and(path("/v2/checkout/orders/8AB12345CD678901E"))
        .respond_with(ResponseTemplate::new(200).set_body_json(partial))
        .mount(&server)
        .await;
    let client = client(&server);

    let shipping = client
        .order("5O190127TN364715T")
        .await
        .unwrap()
        .shipping
        .expect("a complete address");
    assert_eq!(shipping.full_name, "John Doe");
    assert_eq!(shipping.address_line_1, "2211 N First Street");
    assert_eq!(shipping.address_line_2.as_deref(), Some("Building 17"));
    assert_eq!(shipping.city, "San Jose");
    assert_eq!(shipping.state.as_deref(), Some("CA"));
    assert_eq!(shipping.postal_code.as_deref(), Some("95131"));
    assert_eq!(shipping.country_code, "US");
    let phone = shipping.phone.expect("a phone");
    assert_eq!(phone.country_code.as_deref(), Some("1"));
    assert_eq!(phone.national_number, "4085550199");

    let partial = client.order("8AB12345CD678901E").await.unwrap();
    assert_eq!(partial.shipping, None);
}

/// A capture answer whose gross amount is `value` in `currency`.
fn capture_answer_in(currency: &str, value: &str) -> Value {
    let mut answer = capture_example();
    let capture = &mut answer["purchase_units"][0]["payments"]["captures"][0];
    capture["amount"] = json!({"currency_code": currency, "value": value});
    capture["seller_receivable_breakdown"]["gross_amount"] =
        json!({"currency_code": currency, "value": value});
    answer
}

async fn capture_answered_with(answer: Value) -> Result<Capture, PayPalError> {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders/5O190127TN364715T/capture"))
        .respond_with(ResponseTemplate::new(201).set_body_json(answer))
        // Refused, not retried: the answer will not improve.
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .capture_order("5O190127TN364715T", "capture-1")
        .await
}

#[tokio::test]
async fn a_capture_amount_finer_than_its_currency_is_refused_not_rounded() {
    let error = capture_answered_with(capture_answer_in("USD", "1.005"))
        .await
        .unwrap_err();

    let PayPalError::Amount(refused) = error else {
        panic!("expected PayPalError::Amount, got {error:?}");
    };
    assert_eq!(
        (refused.currency.as_str(), refused.value.as_str()),
        ("USD", "1.005")
    );
    assert_eq!(
        refused.reason,
        MoneyError::TooManyDecimalPlaces {
            amount: dec!(1.005),
            currency: Currency::Usd,
            places: 2
        }
    );
}

#[tokio::test]
async fn a_capture_amount_in_an_unknown_currency_is_refused() {
    let error = capture_answered_with(capture_answer_in("XTS", "100.00"))
        .await
        .unwrap_err();

    assert!(
        matches!(
            &error,
            PayPalError::Amount(refused) if refused.reason == MoneyError::UnknownCurrency(UnknownCurrency("XTS".into()))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_fee_finer_than_its_currency_is_refused_too() {
    let mut answer = capture_example();
    answer["purchase_units"][0]["payments"]["captures"][0]["seller_receivable_breakdown"]
        ["paypal_fee"] = json!({"currency_code": "USD", "value": "2.999"});

    let error = capture_answered_with(answer).await.unwrap_err();

    assert!(matches!(error, PayPalError::Amount(_)), "{error:?}");
}

#[tokio::test]
async fn a_balance_in_an_unknown_currency_is_refused() {
    let server = server_with_token(1).await;
    Mock::given(method("GET"))
        .and(path("/v1/reporting/balances"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "balances": [{"currency": "XTS", "primary": true,
                "total_balance": {"currency_code": "XTS", "value": "1.00"}}],
            "as_of_time": "2024-01-01T00:00:00Z"
        })))
        .mount(&server)
        .await;

    let error = client(&server).balances(Currency::Usd).await.unwrap_err();

    assert!(matches!(error, PayPalError::Amount(_)), "{error:?}");
}

#[tokio::test]
async fn bahraini_dinars_go_out_with_three_decimals_and_come_back_exactly() {
    let server = server_with_token(1).await;
    let bhd = |value| Money::new(value, Currency::Bhd).unwrap();
    Mock::given(method("POST"))
        .and(path("/v2/payments/captures/3C679366HH908993F/refund"))
        .and(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            body["amount"] == json!({"currency_code": "BHD", "value": "1.505"})
        })
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "1JU08902781691411",
            "status": "COMPLETED",
            "seller_payable_breakdown": {
                "gross_amount": {"currency_code": "BHD", "value": "1.505"},
                "paypal_fee": {"currency_code": "BHD", "value": "0.045"},
                "net_amount": {"currency_code": "BHD", "value": "1.460"}
            }
        })))
        .expect(1)
        .mount(&server)
        .await;

    let refund = client(&server)
        .refund_capture(
            "3C679366HH908993F",
            Some(bhd(dec!(1.505))),
            None,
            "refund-1",
        )
        .await
        .unwrap();

    assert_eq!(refund.gross, Some(bhd(dec!(1.505))));
    assert_eq!(refund.paypal_fee, Some(bhd(dec!(0.045))));
    assert_eq!(refund.net, Some(bhd(dec!(1.46))));
    assert_eq!(refund.net.unwrap().amount().to_string(), "1.460");
}

#[tokio::test]
async fn yen_go_out_and_come_back_without_decimals() {
    let server = server_with_token(1).await;
    Mock::given(method("POST"))
        .and(path("/v2/checkout/orders"))
        .and(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let amount = &body["purchase_units"][0]["amount"];
            amount["currency_code"] == "JPY"
                && amount["value"] == "2400"
                && amount["breakdown"]["shipping"]["value"] == "0"
                && body["purchase_units"][0]["items"][0]["unit_amount"]["value"] == "1200"
        })
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "5O190127TN364715T",
            "status": "PAYER_ACTION_REQUIRED",
            "links": [{"href": "https://www.paypal.com/checkoutnow?token=5O190127TN364715T", "rel": "payer-action", "method": "GET"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut order = checkout();
    order.currency = Currency::Jpy;
    order.items[0].unit_amount = Money::new(dec!(1200), Currency::Jpy).unwrap();
    order.shipping = None;

    client(&server)
        .create_order(&order, "create-1")
        .await
        .unwrap();

    let yen_capture = capture_answered_with(capture_answer_in("JPY", "2400"))
        .await
        .unwrap();
    assert_eq!(
        yen_capture.gross,
        Money::new(dec!(2400), Currency::Jpy).unwrap()
    );
    let error = capture_answered_with(capture_answer_in("JPY", "2400.50"))
        .await
        .unwrap_err();
    assert!(matches!(error, PayPalError::Amount(_)), "{error:?}");
}

#[tokio::test]
async fn a_checkout_with_a_line_in_another_currency_is_refused_before_sending() {
    let server = server_with_token(0).await;
    let mut order = checkout();
    order.shipping = Some(Money::new(dec!(10), Currency::Eur).unwrap());

    let error = client(&server)
        .create_order(&order, "create-1")
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            PayPalError::CheckoutAmounts(MoneyError::CurrencyMismatch { .. })
        ),
        "{error:?}"
    );
}
