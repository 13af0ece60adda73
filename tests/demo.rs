//! `dropledger demo` end to end: the built binary starts its server on a
//! test database and the fake providers, drives the whole cycle through
//! GraphQL, and prints a summary; the summary is checked, and the database
//! is checked again independently with SQL.

use std::process::Output;

use dropledger_devdb::TestDatabase;
use rust_decimal::Decimal;
use sqlx::PgPool;

/// What the demo's scenario produces: six checkouts, two of which the
/// supplier cannot fill (one sold out before the stock check, one refused
/// at purchase after capital was reserved).
const ORDERS: usize = 6;
const PURCHASED: usize = 4;
const FAILED: usize = 2;

async fn run_demo(db: &TestDatabase, capture_status: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"));
    command
        .args(["demo", "--exit", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .env_remove("DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS");
    if let Some(status) = capture_status {
        command.env("DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS", status);
    }
    command.output().await.expect("the binary runs")
}

fn stdout_of(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "demo failed with {}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn count_events(pool: &PgPool, event_type: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM event WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Net debit of every posting in the log, per (currency, account), straight
/// from the stored JSON: no domain code involved.
async fn postings_by_account(pool: &PgPool) -> Vec<(String, String, Decimal)> {
    sqlx::query_as(
        "SELECT p->'amount'->>'currency', p->>'account', \
                SUM(CASE WHEN p->>'side' = 'DEBIT' THEN 1 ELSE -1 END \
                    * (p->'amount'->>'amount')::numeric) \
         FROM event e, json_array_elements(e.payload->'entry'->'postings') p \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// `denied`: checkouts whose pending capture PayPal denied (PENDING mode).
fn summary_states_the_scenario(stdout: &str, db: &TestDatabase, denied: usize) {
    for fact in [
        format!("recording into database {}", db.name()),
        format!("orders: {}", ORDERS + denied),
        format!("PURCHASED: {PURCHASED}"),
        format!("FAILED (FAILED_OUT_OF_STOCK): {FAILED}"),
        format!("supplier orders placed: {PURCHASED}"),
        "purchase holds voided: 1".to_owned(),
        format!("payouts sent: {}", 2 * PURCHASED),
        "payouts skipped (PAYOUT_SKIPPED_INSUFFICIENT_FUNDS): 0".to_owned(),
        "difference 0.00 USD (balanced)".to_owned(),
        "hash chain intact".to_owned(),
        "SIMULATED".to_owned(),
        "[autopilot ] cycle found".to_owned(),
        "the seller connected their AliExpress account".to_owned(),
        "GraphiQL: http://127.0.0.1:".to_owned(),
        "Storefront: http://127.0.0.1:".to_owned(),
        "Dashboard: http://127.0.0.1:".to_owned(),
    ] {
        assert!(stdout.contains(&fact), "missing {fact:?} in:\n{stdout}");
    }
}

async fn database_agrees(pool: &PgPool, stdout: &str, denied: usize) {
    let postings = postings_by_account(pool).await;
    let mut per_currency = std::collections::BTreeMap::new();
    for (currency, _, net) in &postings {
        *per_currency
            .entry(currency.clone())
            .or_insert(Decimal::ZERO) += net;
    }
    assert_eq!(per_currency.len(), 1, "{per_currency:?}");
    assert_eq!(
        per_currency["USD"],
        Decimal::ZERO,
        "postings do not balance"
    );
    let cash = postings
        .iter()
        .find(|(_, account, _)| account == "cash:paypal:available")
        .map(|(_, _, net)| *net)
        .unwrap();
    assert!(
        stdout.contains(&format!("cash available: {cash} USD")),
        "cash {cash} from SQL is not the summary's:\n{stdout}"
    );
    let revenue: Decimal = sqlx::query_scalar(
        "SELECT SUM((payload->'breakdown'->'sale_price'->>'amount')::numeric) \
         FROM event WHERE event_type = 'SaleRecorded'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(stdout.contains(&format!("revenue:            {revenue} USD")));
    assert_eq!(count_events(pool, "OrderPurchased").await, PURCHASED as i64);
    assert_eq!(
        count_events(pool, "OrderFailed").await,
        (FAILED + denied) as i64
    );
    assert_eq!(count_events(pool, "CaptureDenied").await, denied as i64);
    assert_eq!(count_events(pool, "SaleRecorded").await, PURCHASED as i64);
    assert_eq!(count_events(pool, "PayoutSent").await, 2 * PURCHASED as i64);
    let voided = |kind: &'static str| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM event WHERE event_type = 'HoldVoided' \
             AND payload->'purpose'->>'kind' = $1",
        )
        .bind(kind)
        .fetch_one(pool)
    };
    // One purchase failed after its capital was held; the fake PayPal charges
    // no payout fee, so every fee allowance is released.
    assert_eq!(voided("PURCHASE").await.unwrap(), 1);
    assert_eq!(voided("PAYOUT_FEE").await.unwrap(), 2 * PURCHASED as i64);
    let open_holds: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM event WHERE event_type = 'HoldPlaced') \
              - (SELECT count(*) FROM event WHERE event_type IN ('HoldPosted', 'HoldVoided'))",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(open_holds, 0, "every hold was posted or voided");
    let unattributed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event WHERE metadata->>'command_id' IS NULL \
         OR metadata->>'correlation_id' IS NULL OR metadata->>'actor' IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        unattributed, 0,
        "every event names its command, flow and actor"
    );
}

#[tokio::test]
async fn the_demo_runs_the_whole_cycle_on_the_given_database_and_its_books_balance() {
    let db = TestDatabase::new().await;
    let output = run_demo(&db, None).await;
    let stdout = stdout_of(&output);
    summary_states_the_scenario(&stdout, &db, 0);
    database_agrees(db.pool(), &stdout, 0).await;
    assert_eq!(count_events(db.pool(), "CaptureCompleted").await, 0);
}

#[tokio::test]
async fn with_pending_captures_orders_wait_then_are_bought_or_denied_and_the_books_balance() {
    let db = TestDatabase::new().await;
    let output = run_demo(&db, Some("PENDING")).await;
    let stdout = stdout_of(&output);
    // Every order waited for clearance; one more checkout's capture was denied.
    summary_states_the_scenario(&stdout, &db, 1);
    database_agrees(db.pool(), &stdout, 1).await;
    assert!(
        stdout.contains("captured: the order is AWAITING_PAYMENT_CLEARANCE"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAILED (FAILED_PAYMENT_DENIED): 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("order 7: FAILED: FAILED_PAYMENT_DENIED"),
        "{stdout}"
    );
    assert_eq!(
        count_events(db.pool(), "CaptureCompleted").await,
        ORDERS as i64
    );
    assert!(stdout.contains("cash pending:   0.00 USD"), "{stdout}");
}

/// Without `--exit` the demo keeps its server up after the summary, for
/// GraphiQL, and stops cleanly on Ctrl-C.
#[tokio::test]
async fn the_demo_keeps_serving_after_its_summary_until_interrupted() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let db = TestDatabase::new().await;
    let mut demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .env("RECONCILIATION_INTERVAL_SECS", "1")
        .env_remove("DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary runs");
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut graphql_url = None;
    let waited = tokio::time::timeout(std::time::Duration::from_secs(180), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("GraphiQL: ") {
                graphql_url = Some(url.to_owned());
            }
            if line.starts_with("serving until Ctrl-C") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(waited, Ok(true), "the demo never said it keeps serving");
    let graphql_url = graphql_url.expect("the GraphiQL URL is printed");
    let answer: serde_json::Value = reqwest::Client::new()
        .post(&graphql_url)
        .json(&serde_json::json!({ "query": "{ products(first: 10) { edges { node { status } } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let products = answer["data"]["products"]["edges"].as_array().unwrap();
    assert!(!products.is_empty(), "{answer}");
    // Once the business has settled, the reconciliation job finds PayPal's
    // balance equal to the ledger's cash: the fake PayPal paid the supplier's
    // orders, as the ledger did. (Runs during the business may catch a step
    // half-recorded, so only one after the summary counts.)
    let settled: i64 = sqlx::query_scalar("SELECT max(append_id) FROM event")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let outcome = loop {
        let outcome: Option<String> = sqlx::query_scalar(
            "SELECT event_type FROM event WHERE stream_id = 'reconciliation-paypal-USD' \
             AND append_id > $1 ORDER BY append_id LIMIT 1",
        )
        .bind(settled)
        .fetch_optional(db.pool())
        .await
        .unwrap();
        if let Some(outcome) = outcome {
            break outcome;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconciliation ran"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(outcome, "CashReconciled");
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &demo.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), demo.wait())
        .await
        .expect("the demo stops within 30 s of Ctrl-C")
        .unwrap();
    assert!(status.success(), "{status}");
}
