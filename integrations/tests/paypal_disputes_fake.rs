//! Contract tests of the PayPal client's Disputes API against the fake
//! PayPal: a dispute opened by a customer is listed and shown with our
//! capture and checkout, answered with the tracking number (multipart
//! evidence) or accepted, and its outcome moves the balance as PayPal does.

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{CheckoutItem, CheckoutOrder, FakePayPal, PayPalClient, PayPalError};
use rust_decimal_macros::dec;

fn usd(value: rust_decimal::Decimal) -> Money {
    Money::new(value, Currency::Usd).unwrap()
}

/// A captured checkout of 25.00; the capture id.
async fn captured(fake: &FakePayPal, client: &PayPalClient, reference: &str) -> String {
    let created = client
        .create_order(
            &CheckoutOrder {
                reference_id: reference.to_owned(),
                custom_id: Some(format!("order-{reference}")),
                invoice_id: None,
                currency: Currency::Usd,
                items: vec![CheckoutItem {
                    name: "Phone stand".to_owned(),
                    sku: None,
                    unit_amount: usd(dec!(25.00)),
                    quantity: 1,
                }],
                shipping: None,
                return_url: "http://shop.test/return".to_owned(),
                cancel_url: "http://shop.test/cancel".to_owned(),
                brand_name: None,
            },
            &format!("create-{reference}"),
        )
        .await
        .unwrap();
    assert!(fake.approve(&created.id));
    client
        .capture_order(&created.id, &format!("capture-{reference}"))
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn an_opened_dispute_is_listed_and_shown_with_our_capture_and_holds_the_amount() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let capture_id = captured(&fake, &client, "d-1").await;
    let before = client.balances(Currency::Usd).await.unwrap();

    let dispute_id = fake
        .open_dispute(
            &capture_id,
            usd(dec!(25.00)),
            "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        )
        .await
        .unwrap();

    let listed = client.list_disputes(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    let shown = client.show_dispute(&dispute_id).await.unwrap();
    assert_eq!(listed[0], shown);
    assert_eq!(shown.amount, usd(dec!(25.00)));
    assert_eq!(shown.capture_id.as_deref(), Some(capture_id.as_str()));
    assert_eq!(shown.custom.as_deref(), Some("order-d-1"));
    assert_eq!(shown.reason, "MERCHANDISE_OR_SERVICE_NOT_RECEIVED");
    assert!(!shown.won() && !shown.lost());
    let after = client.balances(Currency::Usd).await.unwrap();
    let (before, after) = (&before.balances[0], &after.balances[0]);
    assert_eq!(
        after.available,
        before.available.checked_sub(usd(dec!(25.00))).unwrap()
    );
    assert_eq!(
        after.withheld,
        before.withheld.checked_add(usd(dec!(25.00))).unwrap()
    );
}

#[tokio::test]
async fn evidence_is_the_tracking_number_sent_as_multipart_and_a_win_returns_the_hold() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let capture_id = captured(&fake, &client, "d-2").await;
    let before = fake.available_balance(Currency::Usd);
    let dispute_id = fake
        .open_dispute(
            &capture_id,
            usd(dec!(10.00)),
            "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        )
        .await
        .unwrap();

    client
        .provide_evidence(
            &dispute_id,
            "Cainiao",
            "LP00123456789",
            "shipped",
            "evidence-d-2",
        )
        .await
        .unwrap();

    let evidence = fake.dispute_evidence(&dispute_id);
    assert_eq!(evidence[0]["evidence_type"], "PROOF_OF_FULFILLMENT");
    assert_eq!(
        evidence[0]["evidence_info"]["tracking_info"][0]["tracking_number"],
        "LP00123456789"
    );
    fake.resolve_dispute(&dispute_id, true, usd(dec!(0)))
        .await
        .unwrap();
    let shown = client.show_dispute(&dispute_id).await.unwrap();
    assert!(shown.won());
    assert_eq!(shown.fee, None);
    assert_eq!(fake.available_balance(Currency::Usd), before);
}

#[tokio::test]
async fn a_lost_chargeback_keeps_the_amount_and_charges_its_fee() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let capture_id = captured(&fake, &client, "d-3").await;
    let before = fake.available_balance(Currency::Usd);
    let dispute_id = fake
        .open_dispute(&capture_id, usd(dec!(25.00)), "UNAUTHORISED")
        .await
        .unwrap();
    fake.escalate_dispute(&dispute_id).await.unwrap();
    assert_eq!(
        client.show_dispute(&dispute_id).await.unwrap().stage,
        "CHARGEBACK"
    );

    fake.resolve_dispute(&dispute_id, false, usd(dec!(20.00)))
        .await
        .unwrap();

    let shown = client.show_dispute(&dispute_id).await.unwrap();
    assert!(shown.lost());
    assert_eq!(shown.fee, Some(usd(dec!(20.00))));
    assert_eq!(
        fake.available_balance(Currency::Usd),
        before.checked_sub(usd(dec!(45.00))).unwrap()
    );
}

#[tokio::test]
async fn accepting_a_claim_resolves_it_for_the_customer_and_a_resolved_dispute_takes_no_answer() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let capture_id = captured(&fake, &client, "d-4").await;
    let dispute_id = fake
        .open_dispute(
            &capture_id,
            usd(dec!(25.00)),
            "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED",
        )
        .await
        .unwrap();

    client
        .accept_claim(&dispute_id, "sorry", "accept-d-4")
        .await
        .unwrap();
    assert!(client.show_dispute(&dispute_id).await.unwrap().lost());

    let refused = client
        .provide_evidence(&dispute_id, "Cainiao", "LP1", "late", "evidence-d-4")
        .await;
    assert!(
        matches!(&refused, Err(PayPalError::Rejected(body)) if body.issue() == "DISPUTE_ALREADY_RESOLVED"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_unknown_dispute_is_not_found() {
    let fake = FakePayPal::builder().start().await.unwrap();
    let client = PayPalClient::new(fake.client_config());
    let refused = client.show_dispute("PP-D-NOSUCH").await;
    assert!(
        matches!(refused, Err(PayPalError::NotFound(_))),
        "{refused:?}"
    );
}
