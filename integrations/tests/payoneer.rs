//! Payoneer payouts behind the payout trait, against the fake Payoneer.

use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    FakeOperation, FakePayoneer, Fault, PayoneerClient, PayoutProvider, PayoutRequest, PayoutState,
};
use rust_decimal_macros::dec;

fn request(reference: &str, value: rust_decimal::Decimal) -> PayoutRequest {
    PayoutRequest {
        reference: reference.to_owned(),
        recipient: "payee-42".to_owned(),
        amount: Money::new(value, Currency::Usd).unwrap(),
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
async fn fifty_concurrent_payouts_of_a_fresh_client_ask_for_one_token() {
    let fake = FakePayoneer::start(dec!(100)).await.unwrap();
    let client = std::sync::Arc::new(PayoneerClient::new(fake.client_config()));

    let payouts = (0..50).map(|n| {
        let client = client.clone();
        async move {
            client
                .send_payout(&request(&format!("p-{n}"), dec!(1)))
                .await
        }
    });
    for receipt in futures::future::join_all(payouts).await {
        receipt.unwrap();
    }

    assert_eq!(fake.payout_count(), 50);
    assert_eq!(fake.tokens_issued(), 1);
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

mod against_stubs {
    use dropledger_domain::{Currency, Money};
    use dropledger_integrations::{
        CallPolicy, PayoneerClient, PayoneerConfig, PayoneerError, PayoutError, PayoutProvider,
        PayoutRequest, SecretString,
    };
    use rust_decimal_macros::dec;
    use serde_json::{json, Value};
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    async fn server() -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/oauth2/token"))
            // base64("id:secret")
            .and(header("authorization", "Basic aWQ6c2VjcmV0"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "tok-1", "token_type": "Bearer", "expires_in": 2592000}),
            ))
            .mount(&server)
            .await;
        server
    }

    fn client(server: &MockServer) -> PayoneerClient {
        PayoneerClient::new(
            PayoneerConfig::new(server.uri(), "100086", "id", SecretString::from("secret"))
                .with_call_policy(CallPolicy::fast_for_tests()),
        )
    }

    #[tokio::test]
    async fn a_mass_payout_names_our_reference_the_payee_and_a_string_amount() {
        let server = server().await;
        Mock::given(method("POST"))
            .and(path("/v4/programs/100086/masspayouts"))
            .and(header("authorization", "Bearer tok-1"))
            .and(|request: &Request| {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                body == json!({"Payments": [{
                    "client_reference_id": "payout-9",
                    "payee_id": "payee-42",
                    "amount": "12.50",
                    "currency": "USD",
                    "description": "Net profit",
                }]})
            })
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"result": "Payments Created"})),
            )
            .expect(1)
            .mount(&server)
            .await;

        let receipt = client(&server)
            .send_payout(&PayoutRequest {
                reference: "payout-9".into(),
                recipient: "payee-42".into(),
                amount: Money::new(dec!(12.5), Currency::Usd).unwrap(),
                note: Some("Net profit".into()),
            })
            .await
            .unwrap();

        assert_eq!(receipt.provider_payout_id, "payout-9");
    }

    #[tokio::test]
    async fn a_payoneer_refusal_is_typed_and_not_retried() {
        let server = server().await;
        Mock::given(method("POST"))
            .and(path("/v4/programs/100086/masspayouts"))
            .respond_with(ResponseTemplate::new(400).set_body_json(
                json!({"error": "invalid_payee", "error_description": "Payee is not active"}),
            ))
            .expect(1)
            .mount(&server)
            .await;

        let error = client(&server)
            .send_payout(&PayoutRequest {
                reference: "payout-10".into(),
                recipient: "payee-0".into(),
                amount: Money::new(dec!(1), Currency::Usd).unwrap(),
                note: None,
            })
            .await
            .unwrap_err();

        assert!(
            matches!(&error, PayoutError::Payoneer(PayoneerError::Rejected { code, .. }) if code == "invalid_payee"),
            "{error:?}"
        );
        assert!(!error.is_retryable());
    }
}
