//! The fakes on one address (`dropledger fake-providers`) let a test in
//! another process have the supplier cancel an order it accepted, then
//! close it and pay it back into the fake PayPal's balance, over HTTP.

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    AliExpressClient, FakeProviderServer, OrderLine, PlaceOrder, ShippingAddress,
    SupplierOrderState,
};
use rust_decimal_macros::dec;
use serde_json::json;
use tokio::net::TcpListener;

fn purchase() -> PlaceOrder {
    PlaceOrder {
        out_order_id: "our-order-1".to_owned(),
        address: ShippingAddress {
            contact_person: "Ada Lovelace".to_owned(),
            address: "1 Analytical Way".to_owned(),
            address2: None,
            city: "Portland".to_owned(),
            province: "Oregon".to_owned(),
            country: "US".to_owned(),
            zip: "97201".to_owned(),
            phone_country: "1".to_owned(),
            mobile_no: "5035550100".to_owned(),
        },
        lines: vec![OrderLine {
            product_id: "1005001000000001".to_owned(),
            quantity: 2,
            sku_attr: "14:193#Black".to_owned(),
            logistics_service_name: Some("CAINIAO_STANDARD".to_owned()),
        }],
        pay_currency: "USD".to_owned(),
    }
}

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
    let placed = client.place_order(&session, &purchase()).await.unwrap();
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
