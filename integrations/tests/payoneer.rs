//! Payoneer payouts behind the payout trait, against the fake Payoneer.

use dropledger_integrations::{
    FakeOperation, FakePayoneer, Fault, Money, PayoneerClient, PayoutProvider, PayoutRequest,
    PayoutState,
};
use rust_decimal_macros::dec;

fn request(reference: &str, value: rust_decimal::Decimal) -> PayoutRequest {
    PayoutRequest {
        reference: reference.to_owned(),
        recipient: "payee-42".to_owned(),
        amount: Money::new("USD", value),
        note: Some("Net profit".to_owned()),
    }
}

#[tokio::test]
async fn a_payoneer_payout_is_paid_once_per_reference() {
    let fake = FakePayoneer::start(dec!(100)).await.unwrap();
    let provider: Box<dyn PayoutProvider> = Box::new(PayoneerClient::new(fake.client_config()));

    let receipt = provider
        .send_payout(&request("p-1", dec!(30)))
        .await
        .unwrap();
    provider
        .send_payout(&request("p-1", dec!(30)))
        .await
        .unwrap();

    assert_eq!(provider.provider_name(), "payoneer");
    assert_eq!(fake.payout_count(), 1);
    assert_eq!(fake.balance(), dec!(70));
    assert_eq!(
        provider
            .payout_state(&receipt.provider_payout_id)
            .await
            .unwrap(),
        PayoutState::Paid
    );
}

#[tokio::test]
async fn a_payoneer_5xx_is_retried_and_insufficient_funds_is_not() {
    let fake = FakePayoneer::start(dec!(10)).await.unwrap();
    let client = PayoneerClient::new(fake.client_config());
    fake.inject(FakeOperation::PayoneerPayout, Fault::ServerError(503));

    client.send_payout(&request("p-2", dec!(5))).await.unwrap();
    let error = client
        .send_payout(&request("p-3", dec!(50)))
        .await
        .unwrap_err();

    assert!(error.is_insufficient_funds(), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(fake.payout_count(), 1);
}

#[tokio::test]
async fn a_declined_payoneer_payout_reports_failed() {
    let fake = FakePayoneer::start(dec!(10)).await.unwrap();
    let client = PayoneerClient::new(fake.client_config());
    fake.inject(FakeOperation::PayoneerPayout, Fault::Declined);

    let receipt = client.send_payout(&request("p-4", dec!(5))).await.unwrap();

    assert!(matches!(
        client
            .payout_state(&receipt.provider_payout_id)
            .await
            .unwrap(),
        PayoutState::Failed(_)
    ));
}
