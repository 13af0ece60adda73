//! Contract tests of the PayPal client against the fake PayPal.

use std::sync::Arc;
use std::time::Duration;

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    paypal_webhook_router, Capture, CaptureStatus, ChannelWebhookSink, CheckoutItem, CheckoutOrder,
    FakeOperation, FakePayPal, Fault, InMemoryWebhookDedupe, PayPalClient, PayPalError,
    PayPalWebhookEvent, PayPalWebhookReceiver, PayoutProvider, PayoutRequest, PayoutState,
    TrackingInfo,
};
use rust_decimal_macros::dec;
use tokio::sync::mpsc;

/// An amount in US dollars.
fn usd(value: rust_decimal::Decimal) -> Money {
    Money::new(value, Currency::Usd).unwrap()
}

fn checkout(reference: &str, return_url: &str) -> CheckoutOrder {
    CheckoutOrder {
        reference_id: reference.to_owned(),
        custom_id: Some(format!("order-{reference}")),
        invoice_id: None,
        currency: Currency::Usd,
        items: vec![CheckoutItem {
            name: "Adjustable aluminium phone stand".to_owned(),
            sku: Some("1005001000000001".to_owned()),
            unit_amount: usd(dec!(12.50)),
            quantity: 2,
        }],
        shipping: Some(usd(dec!(3.00))),
        return_url: return_url.to_owned(),
        cancel_url: "http://shop.test/cancel".to_owned(),
        brand_name: Some("dropledger".to_owned()),
    }
}

/// Creates an order and approves it by following the approve link, as a
/// browser would.
async fn approved_order(fake: &FakePayPal, client: &PayPalClient, reference: &str) -> String {
    let created = client
        .create_order(
            &checkout(reference, "http://shop.test/return"),
            &format!("create-{reference}"),
        )
        .await
        .expect("order created");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser.get(&created.approve_url).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!(
            "http://shop.test/return?token={}&PayerID=FAKEPAYER1",
            created.id
        )
    );
    assert_eq!(fake.order_status(&created.id).as_deref(), Some("APPROVED"));
    created.id
}

#[tokio::test]
async fn a_checkout_is_created_approved_through_its_url_and_captured_with_fee_and_net() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-1").await;

    let capture = client
        .capture_order(&order_id, "capture-o-1")
        .await
        .unwrap();

    assert_eq!(capture.status, CaptureStatus::Completed);
    assert!(capture.status.is_paid());
    assert_eq!(capture.gross, usd(dec!(28.00)));
    // 3.49 % of 28.00 is 0.9772, plus 0.49: 1.47.
    assert_eq!(capture.paypal_fee, Some(usd(dec!(1.47))));
    assert_eq!(capture.net, Some(usd(dec!(26.53))));
    assert_eq!(capture.order_id.as_deref(), Some(order_id.as_str()));
    assert!(!capture.replayed);
    assert_eq!(fake.available_balance(Currency::Usd), usd(dec!(26.53)));
    let order = client.order(&order_id).await.unwrap();
    assert_eq!(order.status, "COMPLETED");
    assert_eq!(order.captures[0].id, capture.id);
    // The buyer's address on file, chosen at approval.
    let shipping = order.shipping.expect("the buyer's address");
    assert_eq!(
        (
            shipping.full_name.as_str(),
            shipping.city.as_str(),
            shipping.country_code.as_str()
        ),
        ("Ada Lovelace", "Portland", "US")
    );
    assert_eq!(
        shipping.phone.expect("the payer's phone").national_number,
        "5035550100"
    );
    assert_eq!(client.capture(&capture.id).await.unwrap().net, capture.net);
}

#[tokio::test]
async fn capturing_an_order_the_buyer_has_not_approved_is_refused() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let created = client
        .create_order(&checkout("o-2", "http://shop.test/r"), "create-o-2")
        .await
        .unwrap();

    let error = client
        .capture_order(&created.id, "capture-o-2")
        .await
        .unwrap_err();

    assert!(
        matches!(error, PayPalError::OrderNotApproved(_)),
        "{error:?}"
    );
    assert!(error.debug_id().is_some());
    assert_eq!(fake.capture_count(), 0);
}

#[tokio::test]
async fn a_repeated_capture_request_id_returns_the_same_capture_without_a_second_one() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-3").await;

    let first = client
        .capture_order(&order_id, "capture-o-3")
        .await
        .unwrap();
    let second = client
        .capture_order(&order_id, "capture-o-3")
        .await
        .unwrap();

    assert_eq!(first.id, second.id);
    assert!(second.replayed, "a repeat is answered 200, not 201");
    assert_eq!(fake.capture_count(), 1);
    let other_key = client
        .capture_order(&order_id, "another-key")
        .await
        .unwrap_err();
    assert!(
        matches!(other_key, PayPalError::OrderAlreadyCaptured(_)),
        "{other_key:?}"
    );
}

#[tokio::test]
async fn a_declined_instrument_is_a_typed_error_and_not_retried() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-4").await;
    fake.inject(FakeOperation::PayPalCapture, Fault::Declined);

    let error = client
        .capture_order(&order_id, "capture-o-4")
        .await
        .unwrap_err();

    assert!(
        matches!(error, PayPalError::InstrumentDeclined(_)),
        "{error:?}"
    );
    assert_eq!(fake.capture_count(), 0);
    assert_eq!(fake.order_status(&order_id).as_deref(), Some("APPROVED"));
}

#[tokio::test]
async fn a_capture_whose_answer_is_lost_is_retried_with_its_request_id_and_happens_once() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-5").await;
    // The capture is done, but its answer comes after the client's 500 ms.
    fake.inject(
        FakeOperation::PayPalCapture,
        Fault::Delay(Duration::from_millis(900)),
    );

    let capture = client
        .capture_order(&order_id, "capture-o-5")
        .await
        .unwrap();

    assert!(
        capture.replayed,
        "the retry got the first attempt's capture back"
    );
    assert_eq!(fake.capture_count(), 1);
}

#[tokio::test]
async fn a_server_error_then_success_is_retried_to_success() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-6").await;
    fake.inject_times(FakeOperation::PayPalCapture, Fault::ServerError(503), 2);

    let capture = client
        .capture_order(&order_id, "capture-o-6")
        .await
        .unwrap();

    assert_eq!(capture.status, CaptureStatus::Completed);
    assert_eq!(fake.capture_count(), 1);
}

#[tokio::test]
async fn server_errors_beyond_the_attempt_limit_fail_and_open_the_breaker() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let config = fake
        .client_config()
        .with_breaker_policy(dropledger_integrations::BreakerPolicy {
            failures_max: 3,
            open_ms: 60_000,
        });
    let client = PayPalClient::new(config);
    fake.inject_times(FakeOperation::PayPalBalance, Fault::ServerError(500), 3);

    let error = client.balances(Currency::Usd).await.unwrap_err();
    assert!(matches!(error, PayPalError::Unavailable(_)), "{error:?}");
    assert!(client.guard().breaker().is_open());

    let refused = client.balances(Currency::Usd).await.unwrap_err();
    assert_eq!(refused, PayPalError::CircuitOpen);
}

#[tokio::test]
async fn a_token_expired_mid_flow_is_renewed_once_and_the_call_goes_through() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-7").await;

    fake.expire_tokens();
    let capture = client
        .capture_order(&order_id, "capture-o-7")
        .await
        .unwrap();

    assert_eq!(capture.status, CaptureStatus::Completed);
    assert_eq!(fake.tokens_refused(), 1, "one refusal, then a fresh token");
}

#[tokio::test]
async fn a_token_is_refreshed_before_it_expires() {
    let fake = FakePayPal::builder()
        .token_ttl(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = PayPalClient::new(fake.client_config());
    client.balances(Currency::Usd).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // The cached token is past its life: the client fetches a new one
    // instead of sending a dead one and being refused.
    client.balances(Currency::Usd).await.unwrap();
    assert_eq!(fake.tokens_refused(), 0);
}

#[tokio::test]
async fn wrong_client_credentials_are_an_authorisation_error() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let mut config = fake.client_config();
    config.client_secret = "wrong".to_owned().into();
    let client = PayPalClient::new(config);

    let error = client.balances(Currency::Usd).await.unwrap_err();

    let PayPalError::Unauthorized(body) = error else {
        panic!("expected Unauthorized, got {error:?}");
    };
    assert_eq!(body.name, "invalid_client");
}

#[tokio::test]
async fn refunds_tracking_and_balances_follow_the_capture() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-8").await;
    let capture = client
        .capture_order(&order_id, "capture-o-8")
        .await
        .unwrap();

    client
        .add_tracking(
            &order_id,
            &TrackingInfo {
                capture_id: capture.id.clone(),
                tracking_number: "LP00123456789".to_owned(),
                carrier: "OTHER".to_owned(),
                carrier_name_other: Some("Cainiao".to_owned()),
                notify_payer: true,
            },
            "track-o-8",
        )
        .await
        .unwrap();
    assert_eq!(
        fake.trackers(&order_id)[0]["tracking_number"],
        "LP00123456789"
    );

    let refund = client
        .refund_capture(
            &capture.id,
            Some(usd(dec!(10.00))),
            Some("Sorry"),
            "refund-o-8",
        )
        .await
        .unwrap();
    assert_eq!(refund.status, "COMPLETED");
    assert_eq!(refund.net, Some(usd(dec!(10.00))));
    assert_eq!(
        fake.capture_status(&capture.id).as_deref(),
        Some("PARTIALLY_REFUNDED")
    );

    let balances = client.balances(Currency::Usd).await.unwrap();
    assert_eq!(balances.balances[0].available, usd(dec!(16.53)));
    assert!(balances.as_of_time.is_some());

    let too_much = client
        .refund_capture(&capture.id, Some(usd(dec!(100.00))), None, "refund-o-8-b")
        .await
        .unwrap_err();
    assert!(
        matches!(too_much, PayPalError::Rejected(ref body) if body.issue() == "REFUND_AMOUNT_EXCEEDED"),
        "{too_much:?}"
    );
}

#[tokio::test]
async fn a_payout_is_paid_once_per_reference_and_refused_beyond_the_balance() {
    let fake = FakePayPal::builder()
        .opening_balance(usd(dec!(50.00)))
        .start()
        .await
        .unwrap();
    let client = PayPalClient::new(fake.client_config());
    let request = PayoutRequest {
        reference: "payout-1".to_owned(),
        recipient: "seller@example.com".to_owned(),
        amount: usd(dec!(20.00)),
        note: Some("Your profit".to_owned()),
    };

    let receipt = client.send_payout(&request).await.unwrap();
    let again = client.send_payout(&request).await.unwrap();

    assert_eq!(receipt.provider_payout_id, again.provider_payout_id);
    assert_eq!(fake.payout_batch_count(), 1);
    assert_eq!(fake.available_balance(Currency::Usd), usd(dec!(30.00)));
    assert_eq!(
        client
            .payout_state(&receipt.provider_payout_id)
            .await
            .unwrap(),
        PayoutState::Paid
    );
    let batch = client
        .payout_batch(&receipt.provider_payout_id)
        .await
        .unwrap();
    let item = client
        .payout_item(&batch.items[0].payout_item_id)
        .await
        .unwrap();
    assert_eq!(item.sender_item_id.as_deref(), Some("payout-1"));

    let too_much = PayoutRequest {
        reference: "payout-2".to_owned(),
        amount: usd(dec!(31.00)),
        ..request
    };
    let error = client.send_payout(&too_much).await.unwrap_err();
    assert!(error.is_insufficient_funds(), "{error:?}");
}

async fn serve_receiver(client: Arc<PayPalClient>) -> (String, mpsc::Receiver<PayPalWebhookEvent>) {
    let (sender, events) = mpsc::channel(16);
    let router = paypal_webhook_router(PayPalWebhookReceiver {
        verifier: client,
        dedupe: Arc::new(InMemoryWebhookDedupe::default()),
        sink: Arc::new(ChannelWebhookSink(sender)),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/paypal", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, events)
}

#[tokio::test]
async fn a_pending_capture_completes_on_command_and_its_webhook_is_verified_and_delivered() {
    let fake = FakePayPal::builder()
        .capture_pending(true)
        .start()
        .await
        .unwrap();
    let client = Arc::new(PayPalClient::new(fake.client_config()));
    let (url, mut events) = serve_receiver(client.clone()).await;
    fake.set_webhook_url(url);
    let order_id = approved_order(&fake, &client, "o-9").await;

    let capture = client
        .capture_order(&order_id, "capture-o-9")
        .await
        .unwrap();
    assert_eq!(capture.status, CaptureStatus::Pending);
    assert!(capture.status.is_paid(), "held funds still mean paid");
    assert_eq!(capture.pending_reason.as_deref(), Some("PENDING_REVIEW"));
    let held = client.balances(Currency::Usd).await.unwrap();
    assert_eq!(held.balances[0].withheld, usd(dec!(26.53)));

    fake.complete_capture(&capture.id).await.unwrap();

    assert_eq!(
        fake.webhooks_sent(),
        vec![("PAYMENT.CAPTURE.COMPLETED".to_owned(), 200)]
    );
    let event = events.recv().await.unwrap();
    assert_eq!(event.event_type, "PAYMENT.CAPTURE.COMPLETED");
    assert_eq!(event.resource["id"], capture.id.as_str());
    assert_eq!(
        client.capture(&capture.id).await.unwrap().status,
        CaptureStatus::Completed
    );
    assert_eq!(fake.available_balance(Currency::Usd), usd(dec!(26.53)));
}

#[tokio::test]
async fn a_pending_capture_denied_on_command_reads_declined_loses_its_held_funds_and_sends_denied()
{
    let fake = FakePayPal::builder()
        .capture_pending(true)
        .start()
        .await
        .unwrap();
    let client = Arc::new(PayPalClient::new(fake.client_config()));
    let (url, mut events) = serve_receiver(client.clone()).await;
    fake.set_webhook_url(url);
    let order_id = approved_order(&fake, &client, "o-10").await;
    let capture = client
        .capture_order(&order_id, "capture-o-10")
        .await
        .unwrap();
    assert_eq!(capture.status, CaptureStatus::Pending);

    fake.deny_capture(&capture.id).await.unwrap();

    assert_eq!(
        fake.webhooks_sent(),
        vec![("PAYMENT.CAPTURE.DENIED".to_owned(), 200)]
    );
    let event = events.recv().await.unwrap();
    assert_eq!(event.event_type, "PAYMENT.CAPTURE.DENIED");
    assert_eq!(event.resource["id"], capture.id.as_str());
    assert_eq!(event.resource["status"], "DECLINED");
    assert_eq!(
        client.capture(&capture.id).await.unwrap().status,
        CaptureStatus::Declined
    );
    let balances = client.balances(Currency::Usd).await.unwrap();
    assert_eq!(balances.balances[0].withheld, usd(dec!(0)));
    assert_eq!(fake.available_balance(Currency::Usd), usd(dec!(0)));
    // Settled once: neither completed nor denied again.
    assert!(fake.complete_capture(&capture.id).await.is_err());
    assert!(fake.deny_capture(&capture.id).await.is_err());
}

#[tokio::test]
async fn a_duplicate_delivery_is_acknowledged_but_handed_on_once_and_a_bad_signature_is_refused() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = Arc::new(PayPalClient::new(fake.client_config()));
    let (url, mut events) = serve_receiver(client).await;
    let raw = r#"{"id":"WH-1","event_type":"PAYMENT.CAPTURE.REFUNDED","resource_type":"refund","resource":{"id":"R1"}}"#;
    let http = reqwest::Client::new();
    let deliver = |headers: Vec<(&'static str, String)>| {
        let mut request = http
            .post(&url)
            .header("content-type", "application/json")
            .body(raw);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    assert_eq!(
        deliver(fake.sign_delivery(raw)).await.unwrap().status(),
        200
    );
    assert_eq!(
        deliver(fake.sign_delivery(raw)).await.unwrap().status(),
        200
    );
    let mut forged = fake.sign_delivery(raw);
    forged[2].1 = "bm90IGEgc2lnbmF0dXJl".to_owned();
    assert_eq!(deliver(forged).await.unwrap().status(), 400);
    assert_eq!(deliver(Vec::new()).await.unwrap().status(), 400);

    assert_eq!(events.recv().await.unwrap().id, "WH-1");
    assert!(
        events.try_recv().is_err(),
        "the duplicate and the forgery were not handed on"
    );
}

#[tokio::test]
async fn an_order_call_without_a_token_is_refused_by_the_fake() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/v2/checkout/orders", fake.base_url()))
        .header("PayPal-Request-Id", "x")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn an_unclaimed_payout_item_can_be_cancelled_and_the_money_returns() {
    let fake = FakePayPal::builder()
        .opening_balance(usd(dec!(40.00)))
        .start()
        .await
        .unwrap();
    let client = PayPalClient::new(fake.client_config());
    let receipt = client
        .send_payout(&PayoutRequest {
            reference: "payout-u".to_owned(),
            recipient: "unclaimed@example.com".to_owned(),
            amount: usd(dec!(15.00)),
            note: None,
        })
        .await
        .unwrap();
    assert_eq!(
        client
            .payout_state(&receipt.provider_payout_id)
            .await
            .unwrap(),
        PayoutState::Unclaimed
    );
    let batch = client
        .payout_batch(&receipt.provider_payout_id)
        .await
        .unwrap();

    let item = client
        .cancel_payout_item(&batch.items[0].payout_item_id, "cancel-u")
        .await
        .unwrap();

    assert_eq!(
        item.transaction_status,
        dropledger_integrations::PayoutItemStatus::Returned
    );
    assert_eq!(fake.available_balance(Currency::Usd), usd(dec!(40.00)));
}

#[tokio::test]
async fn registering_the_webhook_returns_its_id_and_points_deliveries_at_the_url() {
    let fake = FakePayPal::builder()
        .capture_pending(true)
        .start()
        .await
        .unwrap();
    let client = Arc::new(PayPalClient::new(fake.client_config()));
    let (url, mut events) = serve_receiver(client.clone()).await;

    let webhook_id = client
        .register_webhook(&url, &["PAYMENT.CAPTURE.COMPLETED"])
        .await
        .unwrap();
    assert_eq!(webhook_id, fake.webhook_id());

    let order_id = approved_order(&fake, &client, "o-10").await;
    let capture = client
        .capture_order(&order_id, "capture-o-10")
        .await
        .unwrap();
    fake.complete_capture(&capture.id).await.unwrap();
    assert_eq!(
        events.recv().await.unwrap().resource["id"],
        capture.id.as_str()
    );
}

#[tokio::test]
async fn the_fake_providers_start_together_on_local_ports() {
    let fakes = dropledger_integrations::FakeProviders::start(usd(dec!(100.00)), false)
        .await
        .unwrap();
    for url in [
        fakes.paypal.base_url(),
        fakes.aliexpress.base_url(),
        fakes.payoneer.base_url(),
    ] {
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
    let client = PayPalClient::new(fakes.paypal.client_config());
    let balances = client.balances(Currency::Usd).await.unwrap();
    assert_eq!(balances.balances[0].available, usd(dec!(100.00)));
}

#[tokio::test]
async fn a_buyer_without_an_address_on_file_leaves_the_order_without_shipping() {
    let fake = FakePayPal::builder().start().await.unwrap();
    fake.set_buyers_without_address(true);
    let client = PayPalClient::new(fake.client_config());
    let order_id = approved_order(&fake, &client, "o-no-address").await;

    let order = client.order(&order_id).await.unwrap();

    assert_eq!(order.status, "APPROVED");
    assert_eq!(order.shipping, None);
}

/// A checkout of two units at `unit_price`, created, approved by the buyer
/// and captured at the fake.
async fn captured_at(fake: &FakePayPal, client: &PayPalClient, unit_price: Money) -> Capture {
    let mut order = checkout("o-currency", "http://shop.test/return");
    order.currency = unit_price.currency();
    order.items[0].unit_amount = unit_price;
    order.shipping = None;
    let created = client
        .create_order(&order, "create-o-currency")
        .await
        .unwrap();
    assert!(fake.approve(&created.id));
    client
        .capture_order(&created.id, "capture-o-currency")
        .await
        .unwrap()
}

#[tokio::test]
async fn bahraini_dinars_keep_their_three_decimals_through_the_fake() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let bhd = |value| Money::new(value, Currency::Bhd).unwrap();

    let capture = captured_at(&fake, &client, bhd(dec!(1.505))).await;

    assert_eq!(capture.gross, bhd(dec!(3.010)));
    // 3.49 % of 3.010 is 0.105049, plus 0.49: 0.595 (to the fils, not the cent).
    assert_eq!(capture.paypal_fee, Some(bhd(dec!(0.595))));
    assert_eq!(capture.net, Some(bhd(dec!(2.415))));
    assert_eq!(fake.available_balance(Currency::Bhd), bhd(dec!(2.415)));
}

#[tokio::test]
async fn yen_stay_whole_through_the_fake() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let yen = |value| Money::new(value, Currency::Jpy).unwrap();

    let capture = captured_at(&fake, &client, yen(dec!(1200))).await;

    assert_eq!(capture.gross, yen(dec!(2400)));
    // 3.49 % of 2400 is 83.76, plus 0.49: 84 yen.
    assert_eq!(capture.paypal_fee, Some(yen(dec!(84))));
    assert_eq!(capture.net, Some(yen(dec!(2316))));
}

#[tokio::test]
async fn fifty_concurrent_calls_of_a_fresh_client_ask_for_one_token() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = Arc::new(PayPalClient::new(fake.client_config()));

    let calls = (0..50).map(|_| {
        let client = client.clone();
        async move { client.balances(Currency::Usd).await }
    });
    for answer in futures::future::join_all(calls).await {
        answer.unwrap();
    }

    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(fake.tokens_refused(), 0);
}
