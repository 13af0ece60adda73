//! Old payloads are read in the current shape.

use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent, Upcasters};
use std::time::Duration;

use serde_json::{json, Value};

/// Version 1 of `CapitalContributed` carried the amount in cents and the
/// currency beside it; version 2 carries a `Money` object with a decimal
/// string, the shape every money field has now.
fn capital_contributed_v1_to_v2(mut payload: Value) -> Result<Value, String> {
    let object = payload
        .as_object_mut()
        .ok_or("the payload is not an object")?;
    let cents = object
        .remove("amount_cents")
        .and_then(|cents| cents.as_i64())
        .ok_or("amount_cents is missing or not an integer")?;
    let currency = object.remove("currency").ok_or("currency is missing")?;
    let amount = rust_decimal_amount(cents);
    object.insert(
        "amount".into(),
        json!({ "amount": amount, "currency": currency }),
    );
    Ok(payload)
}

/// Cents to a two-place decimal string without floating point.
fn rust_decimal_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

#[tokio::test]
async fn a_version_one_payload_is_read_as_version_two() {
    let db = TestDatabase::new().await;
    let writer = db.store();
    let mut old = NewEvent::new(
        "CapitalContributed",
        json!({ "amount_cents": 125_050, "currency": "USD", "reference": "seed" }),
        Metadata::new("user:admin"),
    );
    old.schema_version = 1;
    writer
        .append("capital-USD", ExpectedVersion::NoStream, &[old])
        .await
        .unwrap();

    let reader = EventStore::with_upcasters(
        db.pool().clone(),
        Upcasters::new().register("CapitalContributed", 1, capital_contributed_v1_to_v2),
    );
    let read = reader
        .read_stream("capital-USD", 1, 10)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(read.schema_version, 2);
    assert_eq!(
        read.payload_value(),
        json!({ "amount": { "amount": "1250.50", "currency": "USD" }, "reference": "seed" })
    );
    reader.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let logged = reader.read_all(0, 10).await.unwrap().remove(0);
    assert_eq!(logged.event.payload_value(), read.payload_value());
}

#[tokio::test]
async fn an_undecodable_old_payload_is_a_typed_read_error() {
    let db = TestDatabase::new().await;
    let mut broken = NewEvent::new(
        "CapitalContributed",
        json!({ "currency": "USD" }),
        Metadata::new("user:admin"),
    );
    broken.schema_version = 1;
    db.store()
        .append("capital-USD", ExpectedVersion::NoStream, &[broken])
        .await
        .unwrap();
    let reader = EventStore::with_upcasters(
        db.pool().clone(),
        Upcasters::new().register("CapitalContributed", 1, capital_contributed_v1_to_v2),
    );
    let error = reader.read_stream("capital-USD", 1, 10).await.unwrap_err();
    assert!(
        error.to_string().contains("amount_cents is missing"),
        "{error}"
    );
}
