//! Contract and fault tests of the AliExpress client against the fake.

use std::sync::Arc;
use std::time::Duration;

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    AliExpressClient, AliExpressConfig, AliExpressError, AliExpressErrorKind,
    AliExpressTrendSource, ErrorCategory, FakeAliExpress, FakeOperation, FakeProviderServer, Fault,
    FreightQuery, OrderLine, PlaceOrder, ProductQuery, SecretString, ShippingAddress,
    SupplierCancelRefused, SupplierOrderState, TextSearch, TrendQuery, TrendSource,
};
use rust_decimal_macros::dec;
use serde_json::json;
use tokio::net::TcpListener;

const PHONE_STAND: &str = "1005001000000001";
const PHONE_STAND_BLACK: &str = "14:193#Black";

async fn connected() -> (FakeAliExpress, AliExpressClient, SecretString) {
    let fake = FakeAliExpress::start().await.unwrap();
    let client = AliExpressClient::new(fake.client_config());
    let token = client.create_token(&fake.issue_code()).await.unwrap();
    (fake, client, token.access_token)
}

fn address() -> ShippingAddress {
    ShippingAddress {
        contact_person: "Ada Lovelace".to_owned(),
        address: "1 Analytical Way".to_owned(),
        address2: None,
        city: "Portland".to_owned(),
        province: "Oregon".to_owned(),
        country: "US".to_owned(),
        zip: "97201".to_owned(),
        phone_country: "1".to_owned(),
        mobile_no: "5035550100".to_owned(),
    }
}

fn purchase(out_order_id: &str, quantity: u32) -> PlaceOrder {
    PlaceOrder {
        out_order_id: out_order_id.to_owned(),
        address: address(),
        lines: vec![OrderLine {
            product_id: PHONE_STAND.to_owned(),
            quantity,
            sku_attr: PHONE_STAND_BLACK.to_owned(),
            logistics_service_name: Some("CAINIAO_STANDARD".to_owned()),
        }],
        pay_currency: "USD".to_owned(),
    }
}

#[tokio::test]
async fn the_authorize_url_redirects_back_with_a_code_that_buys_a_token_pair_once() {
    let fake = FakeAliExpress::start().await.unwrap();
    let client = AliExpressClient::new(fake.client_config());
    let url = client.authorize_url("http://shop.test/oauth/aliexpress/callback", "state-42");
    assert!(url.starts_with(&format!(
        "{}/oauth/authorize?response_type=code",
        fake.base_url()
    )));

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let callback = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = callback.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "state-42");

    let token = client.create_token(&query["code"]).await.unwrap();
    assert!(token.expires_at > chrono::Utc::now());
    assert!(!token.needs_refresh(chrono::Utc::now(), chrono::Duration::minutes(5)));

    let reused = client.create_token(&query["code"]).await.unwrap_err();
    assert_eq!(reused.kind(), Some(AliExpressErrorKind::TokenInvalid));
}

#[tokio::test]
async fn a_refresh_gives_a_new_pair_and_retires_the_old_refresh_token() {
    let fake = FakeAliExpress::start().await.unwrap();
    let client = AliExpressClient::new(fake.client_config());
    let first = client.create_token(&fake.issue_code()).await.unwrap();

    let second = client.refresh_token(&first.refresh_token).await.unwrap();
    let again = client
        .refresh_token(&first.refresh_token)
        .await
        .unwrap_err();

    let product = ProductQuery {
        product_id: PHONE_STAND.into(),
        ship_to_country: "US".into(),
        currency: "USD".into(),
        language: "en".into(),
    };
    client
        .product(&second.access_token, &product)
        .await
        .unwrap();
    assert_eq!(again.kind(), Some(AliExpressErrorKind::TokenInvalid));
}

#[tokio::test]
async fn a_product_has_a_price_and_a_stock_per_sku() {
    let (fake, client, session) = connected().await;
    fake.set_stock(PHONE_STAND, "12000000000010", 7);

    let product = client
        .product(
            &session,
            &ProductQuery {
                product_id: PHONE_STAND.into(),
                ship_to_country: "US".into(),
                currency: "USD".into(),
                language: "en".into(),
            },
        )
        .await
        .unwrap();

    assert_eq!(product.title, "Adjustable aluminium phone stand");
    assert_eq!(product.skus.len(), 2);
    let black = product
        .skus
        .iter()
        .find(|s| s.sku_attr == PHONE_STAND_BLACK)
        .unwrap();
    assert_eq!(black.price, Money::new(dec!(3.49), Currency::Usd).unwrap());
    assert_eq!(black.stock, 7);
}

#[tokio::test]
async fn freight_options_and_search_hits_are_read() {
    let (_fake, client, session) = connected().await;
    let options = client
        .freight(
            &session,
            &FreightQuery {
                product_id: PHONE_STAND.into(),
                sku_id: "12000000000010".into(),
                quantity: 1,
                ship_to_country: "US".into(),
                currency: "USD".into(),
                locale: "en_US".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(options[0].code, "CAINIAO_STANDARD");
    assert_eq!(
        options[0].fee,
        Money::new(dec!(2.35), Currency::Usd).unwrap()
    );
    assert_eq!(options[0].max_delivery_days, Some(20));

    let hits = client
        .text_search(
            &session,
            &TextSearch {
                keyword: "lamp".into(),
                country: "US".into(),
                currency: "USD".into(),
                locale: "en_US".into(),
                sort_by: None,
                page_index: 1,
                page_size: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].product_id, "1005001000000003");
    assert_eq!(hits[0].orders, 4_410);
}

#[tokio::test]
async fn a_purchase_is_idempotent_on_our_order_id_and_then_tracked() {
    let (fake, client, session) = connected().await;

    let first = client
        .place_order(&session, &purchase("our-order-1", 2))
        .await
        .unwrap();
    let again = client
        .place_order(&session, &purchase("our-order-1", 2))
        .await
        .unwrap();

    assert_eq!(first, again);
    assert_eq!(fake.order_count(), 1);
    let order_id = &first.order_ids[0];
    let order = client.order(&session, order_id).await.unwrap();
    assert_eq!(order.order_status, "WAIT_SELLER_SEND_GOODS");
    // Two at 3.49 plus 2.35 shipping.
    assert_eq!(
        order.amount,
        Some(Money::new(dec!(9.33), Currency::Usd).unwrap())
    );
    assert!(client
        .tracking(&session, order_id)
        .await
        .unwrap()
        .is_empty());

    assert!(fake.ship(order_id, "LP00998877"));
    let shipments = client.tracking(&session, order_id).await.unwrap();
    assert_eq!(shipments[0].tracking_number, "LP00998877");
    assert_eq!(shipments[0].events.len(), 1);
    assert_eq!(
        client
            .order(&session, order_id)
            .await
            .unwrap()
            .tracking_numbers,
        ["LP00998877"]
    );
}

#[tokio::test]
async fn purchase_failures_map_to_typed_errors_with_their_category() {
    let (fake, client, session) = connected().await;

    fake.inject(FakeOperation::AliExpressPlaceOrder, Fault::OutOfStock);
    let out_of_stock = client
        .place_order(&session, &purchase("o-1", 1))
        .await
        .unwrap_err();
    assert_eq!(out_of_stock.kind(), Some(AliExpressErrorKind::OutOfStock));
    assert_eq!(out_of_stock.category(), ErrorCategory::Alert);

    fake.inject(FakeOperation::AliExpressPlaceOrder, Fault::Declined);
    let declined = client
        .place_order(&session, &purchase("o-2", 1))
        .await
        .unwrap_err();
    assert_eq!(declined.kind(), Some(AliExpressErrorKind::PaymentDeclined));

    let mut no_street = purchase("o-3", 1);
    no_street.address.address = " ".into();
    let address = client.place_order(&session, &no_street).await.unwrap_err();
    assert_eq!(address.kind(), Some(AliExpressErrorKind::AddressInvalid));
    assert_eq!(address.category(), ErrorCategory::FixData);

    let mut by_pigeon = purchase("o-4", 1);
    by_pigeon.lines[0].logistics_service_name = Some("PIGEON".into());
    let method = client.place_order(&session, &by_pigeon).await.unwrap_err();
    assert_eq!(
        method.kind(),
        Some(AliExpressErrorKind::DeliveryMethodNotExist)
    );

    let too_many = client
        .place_order(&session, &purchase("o-5", 1_000))
        .await
        .unwrap_err();
    assert_eq!(too_many.kind(), Some(AliExpressErrorKind::OutOfStock));
    assert_eq!(fake.order_count(), 0);
}

#[tokio::test]
async fn a_purchase_whose_answer_is_lost_is_retried_and_bought_once() {
    let (fake, client, session) = connected().await;
    fake.inject(
        FakeOperation::AliExpressPlaceOrder,
        Fault::Delay(Duration::from_millis(900)),
    );

    let placed = client
        .place_order(&session, &purchase("o-lost", 1))
        .await
        .unwrap();

    assert_eq!(placed.order_ids.len(), 1);
    assert_eq!(fake.order_count(), 1);
}

#[tokio::test]
async fn a_5xx_then_success_is_retried_and_a_lasting_5xx_fails_as_retryable() {
    let (fake, client, session) = connected().await;
    fake.inject(FakeOperation::AliExpressPlaceOrder, Fault::ServerError(502));
    client
        .place_order(&session, &purchase("o-5xx", 1))
        .await
        .unwrap();

    fake.inject_times(
        FakeOperation::AliExpressPlaceOrder,
        Fault::ServerError(503),
        5,
    );
    let error = client
        .place_order(&session, &purchase("o-down", 1))
        .await
        .unwrap_err();
    assert_eq!(error, AliExpressError::Http { status: 503 });
    assert_eq!(error.category(), ErrorCategory::Retryable);
}

#[tokio::test]
async fn a_wrong_app_secret_is_refused_as_a_bad_signature() {
    let fake = FakeAliExpress::start().await.unwrap();
    let config = fake.client_config();
    let wrong = AliExpressConfig {
        app_secret: SecretString::from("not-the-secret"),
        ..config
    };
    let error = AliExpressClient::new(wrong)
        .create_token(&fake.issue_code())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), Some(AliExpressErrorKind::InvalidSignature));
    assert_eq!(error.category(), ErrorCategory::Alert);
}

#[tokio::test]
async fn an_expired_token_is_refused_as_token_invalid() {
    let (fake, client, session) = connected().await;
    fake.expire_tokens();
    let error = client.order(&session, "1").await.unwrap_err();
    assert_eq!(error.kind(), Some(AliExpressErrorKind::TokenInvalid));
}

#[tokio::test]
async fn the_aliexpress_trend_source_returns_best_sellers_first() {
    let (_fake, client, session) = connected().await;
    let source = AliExpressTrendSource::new(Arc::new(client), session);
    let products = source
        .trending(&TrendQuery {
            keyword: "phone cable".into(),
            country: "US".into(),
            currency: "USD".into(),
            limit: 5,
        })
        .await
        .unwrap();
    let ids: Vec<_> = products
        .iter()
        .map(|p| p.supplier_product_id.as_str())
        .collect();
    assert_eq!(ids, ["1005001000000001", "1005001000000002"]);
    assert_eq!(
        products[0].supplier_price,
        Money::new(dec!(3.49), Currency::Usd).unwrap()
    );
}

#[tokio::test]
async fn a_token_close_to_expiry_is_refreshed_before_use_and_a_fresh_one_is_kept() {
    let fake = FakeAliExpress::start().await.unwrap();
    let client = AliExpressClient::new(fake.client_config());
    let token = client.create_token(&fake.issue_code()).await.unwrap();
    let now = chrono::Utc::now();

    let kept = client
        .ensure_fresh(token.clone(), now, chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(kept.expires_at, token.expires_at);

    // A day's margin on a day's token: refresh now.
    let later = now + chrono::Duration::hours(23) + chrono::Duration::minutes(59);
    let refreshed = client
        .ensure_fresh(token.clone(), later, chrono::Duration::minutes(5))
        .await
        .unwrap();
    use dropledger_integrations::ExposeSecret;
    assert_ne!(
        refreshed.access_token.expose_secret(),
        token.access_token.expose_secret()
    );
}

#[tokio::test]
async fn the_supplier_cancels_an_accepted_order_then_closes_and_refunds_it_but_not_a_shipped_one() {
    let (fake, client, session) = connected().await;
    let placed = client
        .place_order(&session, &purchase("our-order-9", 2))
        .await
        .unwrap();
    let order_id = &placed.order_ids[0];

    fake.cancel(order_id, false).unwrap();
    let cancelling = client.order(&session, order_id).await.unwrap();
    assert_eq!(cancelling.order_status, "IN_CANCEL");
    assert_eq!(cancelling.state, SupplierOrderState::Cancelling);
    assert!(cancelling.state.is_cancelled());

    fake.cancel(order_id, true).unwrap();
    // Closing again changes nothing (and refunds nothing twice).
    fake.cancel(order_id, true).unwrap();
    let closed = client.order(&session, order_id).await.unwrap();
    assert_eq!(closed.order_status, "FINISH");
    assert_eq!(
        closed.state,
        SupplierOrderState::ClosedRefunded {
            end_reason: "cancel_order_close_trade".to_owned(),
            refunded: Money::new(dec!(9.33), Currency::Usd).unwrap(),
        }
    );

    let shipped = client
        .place_order(&session, &purchase("our-order-10", 1))
        .await
        .unwrap();
    assert!(fake.ship(&shipped.order_ids[0], "LP00112233"));
    assert_eq!(
        fake.cancel(&shipped.order_ids[0], true),
        Err(SupplierCancelRefused::Shipped)
    );
    assert_eq!(
        fake.cancel("no-such-order", true),
        Err(SupplierCancelRefused::UnknownOrder)
    );
}

/// The fakes on one address (`dropledger fake-providers`) let a test in
/// another process have the supplier cancel, close and refund an order
/// over HTTP.
#[tokio::test]
async fn the_supplier_cancel_hook_cancels_then_closes_and_refunds_into_paypal_once() {
    let usd = |amount| Money::new(amount, Currency::Usd).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = FakeProviderServer::serve(listener, usd(dec!(100)), false).unwrap();
    let fakes = server.providers();
    let client = AliExpressClient::new(fakes.aliexpress.client_config());
    let session = client
        .create_token(&fakes.aliexpress.issue_code())
        .await
        .unwrap()
        .access_token;
    let placed = client
        .place_order(&session, &purchase("our-order-1", 2))
        .await
        .unwrap();
    let order_id = &placed.order_ids[0];
    // Two at 3.49 plus 2.35 shipping, paid from PayPal's balance.
    assert_eq!(
        fakes.paypal.available_balance(Currency::Usd),
        usd(dec!(90.67))
    );

    let http = reqwest::Client::new();
    let cancel = |refund: bool| {
        http.post(format!(
            "{}/__fake/aliexpress/orders/{order_id}/cancel",
            server.base_url()
        ))
        .json(&json!({ "refund": refund }))
        .send()
    };
    assert_eq!(cancel(false).await.unwrap().status(), 202);
    assert_eq!(
        client.order(&session, order_id).await.unwrap().state,
        SupplierOrderState::Cancelling
    );
    for _ in 0..2 {
        assert_eq!(cancel(true).await.unwrap().status(), 202);
    }
    assert!(matches!(
        client.order(&session, order_id).await.unwrap().state,
        SupplierOrderState::ClosedRefunded { refunded, .. } if refunded == usd(dec!(9.33))
    ));
    assert_eq!(
        fakes.paypal.available_balance(Currency::Usd),
        usd(dec!(100))
    );

    let unknown = http
        .post(format!(
            "{}/__fake/aliexpress/orders/no-such-order/cancel",
            server.base_url()
        ))
        .json(&json!({ "refund": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}
