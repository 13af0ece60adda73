//! Every provider call is traced with provider, operation, status, latency
//! and debug id, and no secret or token reaches the log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use dropledger_domain::Currency;
use dropledger_integrations::{
    AliExpressClient, ExposeSecret, FakeAliExpress, FakePayPal, PayPalClient, ProductQuery,
};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn provider_calls_are_traced_without_secrets_or_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let paypal = FakePayPal::builder().start().await.unwrap();
    let config = paypal.client_config();
    let client_secret = config.client_secret.expose_secret().to_owned();
    let client = PayPalClient::new(config);
    client.balances(Currency::Usd).await.unwrap();
    let _ = client.capture_order("NO-SUCH-ORDER", "capture-x").await;

    let aliexpress = FakeAliExpress::start().await.unwrap();
    let config = aliexpress.client_config();
    let app_secret = config.app_secret.expose_secret().to_owned();
    let supplier = AliExpressClient::new(config);
    let token = supplier
        .create_token(&aliexpress.issue_code())
        .await
        .unwrap();
    supplier
        .product(
            &token.access_token,
            &ProductQuery {
                product_id: "1005001000000001".into(),
                ship_to_country: "US".into(),
                currency: "USD".into(),
                language: "en".into(),
            },
        )
        .await
        .unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains(r#"provider="paypal""#), "{log}");
    assert!(log.contains(r#"operation="reporting.balances""#), "{log}");
    assert!(
        log.contains("status=404"),
        "the failed capture is traced with its status: {log}"
    );
    assert!(log.contains("debug_id="), "{log}");
    assert!(log.contains("latency_ms="), "{log}");
    assert!(log.contains("aliexpress.ds.product.get"), "{log}");
    for secret in [
        client_secret.as_str(),
        app_secret.as_str(),
        token.access_token.expose_secret(),
        token.refresh_token.expose_secret(),
        "A21AA",
    ] {
        assert!(!log.contains(secret), "a secret reached the log: {secret}");
    }
}
