//! Cash reconciliation through `dropledger serve`: the server's schedule
//! asks the fake PayPal (in this test's process) for its balance, compares
//! it with the ledger, and the outcome shows in the audit trail and in
//! `/metrics`.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::time::Duration;

use api_support::spawn_app_with;
use cycle::Fakes;
use dropledger_domain::Money;
use serde_json::{json, Value};

const STREAM: &str = "reconciliation-paypal-USD";

/// The payloads of the reconciliation events of `event_type`, oldest first.
async fn recorded(app: &api_support::App, event_type: &str) -> Vec<Value> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT payload::text FROM event WHERE stream_id = $1 AND event_type = $2 ORDER BY append_id",
    )
    .bind(STREAM)
    .bind(event_type)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|(text,)| serde_json::from_str(text).unwrap())
        .collect()
}

/// Waits (bounded) until `check` holds for the events of `event_type`.
async fn wait_for(
    app: &api_support::App,
    event_type: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let events = recorded(app, event_type).await;
        if check(&events) {
            return events;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never: {event_type} as expected; recorded: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn serve_reconciles_paypal_cash_on_its_schedule_and_records_a_difference_for_review() {
    let fakes = Fakes::start(false, "100.00").await;
    let mut env = fakes.env();
    env.push(("RECONCILIATION_INTERVAL_SECS".into(), "1".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&env).await;
    let (admin, _) = app.register("admin@example.com").await;
    // The owner's 100.00 is what the fake PayPal holds.
    app.contribute(&admin, "100.00", "seed").await;

    let matched = wait_for(&app, "CashReconciled", |events| {
        events
            .iter()
            .any(|event| event["ledger"]["available"]["amount"] == "100.00")
    })
    .await;
    assert_eq!(matched[0]["reported"]["total"]["amount"], "100.00");

    // PayPal takes a fee the ledger does not know of.
    fakes
        .paypal
        .set_available_balance(Money::parse("98.75", "USD").unwrap());
    let found = wait_for(&app, "CashDifferenceFound", |events| {
        events.iter().any(|event| {
            event["reported"]["available"]["amount"] == "98.75"
                && event["ledger"]["available"]["amount"] == "100.00"
        })
    })
    .await;
    let difference = &found
        .iter()
        .find(|event| event["reported"]["available"]["amount"] == "98.75")
        .unwrap()["difference"];
    assert_eq!(
        difference,
        &json!({
            "total": {"amount": "-1.25", "currency": "USD"},
            "available": {"amount": "-1.25", "currency": "USD"},
            "pending": {"amount": "0.00", "currency": "USD"},
        })
    );

    // Accountants see both in the audit trail, under the job's name.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let response = app
            .graphql(
                Some(&admin),
                "query($stream: String!) { auditTrail(filter: {streamId: $stream}, first: 200) { edges { node { eventType actorId } } } }",
                json!({ "stream": STREAM }),
            )
            .await;
        let edges = response["data"]["auditTrail"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .clone();
        let types: Vec<&str> = edges
            .iter()
            .filter_map(|edge| edge["node"]["eventType"].as_str())
            .collect();
        if types.contains(&"CashReconciled") && types.contains(&"CashDifferenceFound") {
            assert!(edges
                .iter()
                .all(|edge| edge["node"]["actorId"] == "system:reconciliation"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the audit trail never showed both: {response}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // And page through them, newest first, read from the ledger read model.
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let response = app
        .graphql(
            Some(&accountant),
            "{ reconciliations(first: 20) { edges { node { provider currency outcome asOfTime correlationId reported { available { amount } } difference { total { amount currency } available { amount } pending { amount } } } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<&Value> = response["data"]["reconciliations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    let newest_difference = nodes
        .iter()
        .find(|node| node["outcome"] == "DIFFERENCE")
        .unwrap_or_else(|| panic!("no DIFFERENCE in {response}"));
    assert_eq!(newest_difference["provider"], "PAYPAL");
    assert_eq!(newest_difference["currency"], "USD");
    assert_eq!(
        newest_difference["difference"],
        json!({
            "total": {"amount": "-1.25", "currency": "USD"},
            "available": {"amount": "-1.25"},
            "pending": {"amount": "0.00"},
        })
    );
    assert!(nodes.iter().any(|node| node["outcome"] == "MATCHED"));
    let times: Vec<&str> = nodes
        .iter()
        .map(|node| node["asOfTime"].as_str().unwrap())
        .collect();
    let mut newest_first = times.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first, "not newest first");

    let metrics = app.metrics().await;
    let gauge = metrics
        .lines()
        .find(|line| line.starts_with("dropledger_reconciliation_difference{"))
        .unwrap_or_else(|| panic!("no difference gauge in {metrics}"));
    assert!(gauge.contains("provider=\"paypal\"") && gauge.contains("currency=\"USD\""));
    assert!(gauge.ends_with(" -1.25"), "{gauge}");
}
