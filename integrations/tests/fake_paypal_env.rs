//! `DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS=PENDING` holds captures. In its own
//! test binary because it sets a process-wide environment variable.

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    CaptureStatus, CheckoutItem, CheckoutOrder, FakePayPal, PayPalClient,
    FAKE_PAYPAL_CAPTURE_STATUS_ENV,
};
use rust_decimal_macros::dec;

#[tokio::test]
async fn the_environment_variable_makes_the_fake_hold_captures_pending() {
    std::env::set_var(FAKE_PAYPAL_CAPTURE_STATUS_ENV, "PENDING");
    let fake = FakePayPal::start().await.unwrap();
    std::env::remove_var(FAKE_PAYPAL_CAPTURE_STATUS_ENV);
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
