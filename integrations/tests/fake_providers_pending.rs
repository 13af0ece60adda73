//! The fake providers started with captures pending (what
//! `DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS=PENDING` asks of `serve`, `demo`
//! and `fake-providers`) hold PayPal's captures until completed; the fakes
//! themselves read no environment.

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    CaptureStatus, CheckoutItem, CheckoutOrder, FakeProviders, PayPalClient,
};
use rust_decimal_macros::dec;

#[tokio::test]
async fn fake_providers_started_with_captures_pending_hold_them_until_completed() {
    let fakes = FakeProviders::start(Money::zero(Currency::Usd), true)
        .await
        .unwrap();
    let fake = &fakes.paypal;
    let client = PayPalClient::new(fake.client_config());
    let order = CheckoutOrder {
        reference_id: "env-1".into(),
        custom_id: None,
        invoice_id: None,
        currency: Currency::Usd,
        items: vec![CheckoutItem {
            name: "Lamp".into(),
            sku: None,
            unit_amount: Money::new(dec!(10), Currency::Usd).unwrap(),
            quantity: 1,
        }],
        shipping: None,
        return_url: "http://shop.test/r".into(),
        cancel_url: "http://shop.test/c".into(),
        brand_name: None,
    };
    let created = client.create_order(&order, "create-env-1").await.unwrap();
    assert!(fake.approve(&created.id));

    let capture = client
        .capture_order(&created.id, "capture-env-1")
        .await
        .unwrap();
    assert_eq!(capture.status, CaptureStatus::Pending);

    fake.complete_capture(&capture.id).await.unwrap();
    assert_eq!(
        client.capture(&capture.id).await.unwrap().status,
        CaptureStatus::Completed
    );
}
