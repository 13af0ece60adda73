//! The autopilot end to end: `setAutopilot`, `runAutopilotCycle`, the
//! `autopilot` and `opportunities` queries, the internal HTTP trigger and the
//! schedule, against the real server, PostgreSQL and the fake AliExpress.

mod api_support;

use std::time::Duration;

use api_support::{spawn_app, spawn_app_with, App};
use dropledger_domain::{Product, ProductId, ProductStatus, UserId};
use dropledger_eventstore::EventStore;
use serde_json::{json, Value};

const SET: &str = "mutation($input: SetAutopilotInput!) { setAutopilot(input: $input) { autopilot { enabled intervalSeconds marginThreshold markupPct maxListingsPerCycle sellerId } userErrors { code message field } } }";
const RUN: &str = "mutation { runAutopilotCycle { cycle { id status trigger sellerId found listed productIds failureReason } opportunities { supplierProductId decision reason productId proposedPrice { amount } } userErrors { code message field } } }";
const OPPORTUNITIES: &str = "query($first: Int, $after: String) { opportunities(first: $first, after: $after) { edges { cursor node { cycleId supplierProductId title supplierCost { amount currency } shipping { amount } stock estimatedFee { amount } proposedPrice { amount } expectedMargin { amount } expectedMarginPct decision reason productId } } pageInfo { hasNextPage endCursor } } }";
const SECRET: &str = "a-long-internal-run-secret-for-tests";

/// The fake's catalogue, landed cost = price + 2.35 shipping, at a 100 %
/// markup and PayPal's 3.49 % + 0.49: margins 44.90 % (lamp, …003),
/// 44.35 % (utensils, …004), 42.29 % (stand, …001), 40.89 % (organiser, …002).
const LAMP: &str = "1005001000000003";
const UTENSILS: &str = "1005001000000004";
const STAND: &str = "1005001000000001";
const ORGANISER: &str = "1005001000000002";

fn settings(enabled: bool, interval: i64, seller: Option<&str>) -> Value {
    json!({
        "enabled": enabled,
        "intervalSeconds": interval,
        "marginThreshold": "42",
        "markupPct": "100",
        "maxListingsPerCycle": 2,
        "sellerId": seller,
    })
}

async fn configure(app: &App, admin: &str, input: Value) -> Value {
    let response = app
        .graphql(Some(admin), SET, json!({ "input": input }))
        .await;
    response["data"]["setAutopilot"].clone()
}

fn decisions(payload: &Value) -> Vec<(String, String)> {
    payload["opportunities"]
        .as_array()
        .unwrap_or_else(|| panic!("{payload}"))
        .iter()
        .map(|o| {
            (
                o["supplierProductId"].as_str().unwrap().to_owned(),
                o["decision"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(id: &str, decision: &str) -> (String, String) {
    (id.to_owned(), decision.to_owned())
}

/// Polls `opportunities` until the projection shows `count` of them, each
/// listed one with its published product.
async fn opportunities(app: &App, token: &str, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let response = app
            .graphql(Some(token), OPPORTUNITIES, json!({ "first": 50 }))
            .await;
        let edges = response["data"]["opportunities"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"))
            .clone();
        let published = edges.iter().all(|edge| {
            edge["node"]["decision"] != "LISTED" || edge["node"]["productId"].is_string()
        });
        if edges.len() >= count && published {
            return edges.into_iter().map(|edge| edge["node"].clone()).collect();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the opportunities projection never showed {count} opportunities");
}

async fn product(app: &App, id: &str) -> Product {
    let store = EventStore::new(app.db.pool().clone());
    let id = ProductId::from_uuid(id.parse().unwrap());
    store
        .load::<_, std::convert::Infallible>(&Product::stream_id(id), Product::default())
        .await
        .unwrap()
        .state
}

#[tokio::test]
async fn a_cycle_publishes_the_best_opportunities_for_the_seller_and_a_second_does_not_list_them_again(
) {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let (user, seller) = app.register("seller@example.com").await;
    let accountant = app
        .user_with_role(&admin, "books@example.com", "ACCOUNTANT")
        .await;
    let set = configure(&app, &admin, settings(false, 60, Some(&seller))).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    assert_eq!(set["autopilot"]["sellerId"], seller);

    let first = app.graphql(Some(&admin), RUN, json!({})).await;
    let first = &first["data"]["runAutopilotCycle"];
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_eq!(first["cycle"]["status"], "FINISHED", "{first}");
    assert_eq!(first["cycle"]["trigger"], "MANUAL");
    assert_eq!(first["cycle"]["sellerId"], seller);
    assert_eq!(
        (
            first["cycle"]["found"].clone(),
            first["cycle"]["listed"].clone()
        ),
        (json!(4), json!(2))
    );
    assert_eq!(
        decisions(first),
        vec![
            pair(LAMP, "LISTED"),
            pair(UTENSILS, "LISTED"),
            pair(STAND, "OVER_CYCLE_LIMIT"),
            pair(ORGANISER, "BELOW_MARGIN_THRESHOLD"),
        ]
    );
    // Each listed opportunity is a product PUBLISHED for the seller at the proposed price.
    let product_ids = first["cycle"]["productIds"].as_array().unwrap();
    assert_eq!(product_ids.len(), 2);
    for opportunity in first["opportunities"].as_array().unwrap().iter().take(2) {
        let id = opportunity["productId"].as_str().unwrap();
        assert!(product_ids.contains(&json!(id)));
        let product = product(&app, id).await;
        assert_eq!(product.status(), Some(ProductStatus::Published));
        assert_eq!(
            product.owner(),
            Some(UserId::from_uuid(seller.parse().unwrap()))
        );
        assert_eq!(
            product.supplier_product_id().unwrap().as_str(),
            opportunity["supplierProductId"].as_str().unwrap()
        );
        let terms = product.checkout_terms().unwrap();
        assert_eq!(
            terms.unit_price.amount().to_string(),
            opportunity["proposedPrice"]["amount"].as_str().unwrap()
        );
    }

    // The read model explains every decision with its inputs, to the cent.
    let found = opportunities(&app, &admin, 4).await;
    let lamp = found
        .iter()
        .find(|o| o["supplierProductId"] == LAMP)
        .unwrap();
    assert_eq!(
        lamp["supplierCost"],
        json!({ "amount": "12.75", "currency": "USD" })
    );
    assert_eq!(lamp["shipping"]["amount"], "2.35");
    assert_eq!(lamp["proposedPrice"]["amount"], "30.20");
    assert_eq!(lamp["estimatedFee"]["amount"], "1.54");
    assert_eq!(lamp["expectedMargin"]["amount"], "13.56");
    assert_eq!(lamp["expectedMarginPct"], "44.90");
    assert_eq!(lamp["stock"], 100);
    assert!(lamp["productId"].is_string(), "{lamp}");
    let organiser = found
        .iter()
        .find(|o| o["supplierProductId"] == ORGANISER)
        .unwrap();
    assert_eq!(organiser["decision"], "BELOW_MARGIN_THRESHOLD");
    assert_eq!(
        organiser["reason"],
        "expected margin 40.89 % is below the threshold of 42 %"
    );
    assert!(organiser["productId"].is_null());
    // The accountant reads them too, a page at a time.
    let page = app
        .graphql(Some(&accountant), OPPORTUNITIES, json!({ "first": 3 }))
        .await;
    let connection = &page["data"]["opportunities"];
    assert_eq!(connection["edges"].as_array().unwrap().len(), 3, "{page}");
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    let rest = app
        .graphql(
            Some(&accountant),
            OPPORTUNITIES,
            json!({ "first": 3, "after": connection["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(
        rest["data"]["opportunities"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{rest}"
    );

    // A second cycle lists the next best and never a supplier product twice.
    let second = app.graphql(Some(&admin), RUN, json!({})).await;
    let second = &second["data"]["runAutopilotCycle"];
    assert_eq!(second["cycle"]["status"], "FINISHED", "{second}");
    assert_eq!(
        decisions(second),
        vec![
            pair(LAMP, "ALREADY_LISTED"),
            pair(UTENSILS, "ALREADY_LISTED"),
            pair(STAND, "LISTED"),
            pair(ORGANISER, "BELOW_MARGIN_THRESHOLD"),
        ]
    );
    let created: Vec<(String, i64)> = sqlx::query_as(
        "SELECT payload->>'supplier_product_id', count(*) FROM event \
         WHERE event_type = 'ProductCreated' GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        created,
        vec![
            (STAND.to_owned(), 1),
            (LAMP.to_owned(), 1),
            (UTENSILS.to_owned(), 1)
        ]
    );

    // `autopilot` shows the configuration and both cycles, newest first.
    let mut overview = Value::Null;
    for _ in 0..100 {
        overview = app
            .graphql(
                Some(&accountant),
                "{ autopilot { config { enabled intervalSeconds marginThreshold markupPct priceRounding maxListingsPerCycle sellerId } cycles { id status found listed productIds } } }",
                json!({}),
            )
            .await;
        // The projection applies the log in order: the newest cycle finished last.
        let cycles = &overview["data"]["autopilot"]["cycles"];
        if cycles[1].is_object() && cycles[0]["status"] == "FINISHED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let autopilot = &overview["data"]["autopilot"];
    assert_eq!(
        autopilot["config"],
        json!({ "enabled": false, "intervalSeconds": 60, "marginThreshold": "42", "markupPct": "100", "priceRounding": "UP_TO_MINOR_UNIT", "maxListingsPerCycle": 2, "sellerId": seller }),
        "{overview}"
    );
    let cycles = autopilot["cycles"].as_array().unwrap();
    assert_eq!(cycles.len(), 2, "{overview}");
    assert_eq!(cycles[0]["id"], second["cycle"]["id"]);
    assert_eq!(cycles[0]["listed"], 1);
    assert_eq!(cycles[1]["productIds"].as_array().unwrap().len(), 2);

    // Only ADMIN runs cycles; USER and anonymous callers are refused.
    let refused = app.graphql(Some(&user), RUN, json!({})).await;
    assert_eq!(
        refused["data"]["runAutopilotCycle"]["userErrors"][0]["code"], "FORBIDDEN",
        "{refused}"
    );
    let refused = app.graphql(None, RUN, json!({})).await;
    assert_eq!(
        refused["data"]["runAutopilotCycle"]["userErrors"][0]["code"],
        "UNAUTHENTICATED"
    );
    let refused = app
        .graphql(Some(&user), OPPORTUNITIES, json!({ "first": 5 }))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_runs_one_cycle_and_returns_it_again() {
    let app = spawn_app().await;
    let (admin, seller) = app.register("admin@example.com").await;
    let set = configure(&app, &admin, settings(false, 60, Some(&seller))).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    let keyed = "mutation($key: String) { runAutopilotCycle(idempotencyKey: $key) { cycle { id status productIds } opportunities { supplierProductId decision } userErrors { code field } } }";
    let first = app
        .graphql(Some(&admin), keyed, json!({ "key": "nightly-1" }))
        .await;
    let again = app
        .graphql(Some(&admin), keyed, json!({ "key": "nightly-1" }))
        .await;
    let first = &first["data"]["runAutopilotCycle"];
    assert_eq!(first["cycle"]["status"], "FINISHED", "{first}");
    assert_eq!(first["cycle"]["productIds"].as_array().unwrap().len(), 2);
    assert_eq!(again["data"]["runAutopilotCycle"], *first);
    let starts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event WHERE event_type = 'AutopilotCycleStarted'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(starts, 1, "the key ran one cycle");
    let other = app
        .graphql(Some(&admin), keyed, json!({ "key": "nightly-2" }))
        .await;
    assert_ne!(
        other["data"]["runAutopilotCycle"]["cycle"]["id"],
        first["cycle"]["id"]
    );
    let empty = app.graphql(Some(&admin), keyed, json!({ "key": "" })).await;
    assert_eq!(
        empty["data"]["runAutopilotCycle"]["userErrors"][0]["field"], "idempotencyKey",
        "{empty}"
    );
}

#[tokio::test]
async fn without_a_seller_id_the_first_user_with_a_payout_email_sells_and_without_a_configuration_nothing_runs(
) {
    let app = spawn_app().await;
    let (admin, admin_id) = app.register("admin@example.com").await;
    let refused = app.graphql(Some(&admin), RUN, json!({})).await;
    assert_eq!(
        refused["data"]["runAutopilotCycle"]["userErrors"][0]["code"], "NOT_CONFIGURED",
        "{refused}"
    );
    let set = configure(&app, &admin, settings(false, 60, None)).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    // The admin registered first, with a PayPal payout e-mail; the read
    // model may need a moment to see them.
    let mut run = Value::Null;
    for _ in 0..50 {
        run = app.graphql(Some(&admin), RUN, json!({})).await;
        if run["data"]["runAutopilotCycle"]["userErrors"] == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        run["data"]["runAutopilotCycle"]["cycle"]["sellerId"], admin_id,
        "{run}"
    );
}

#[tokio::test]
async fn set_autopilot_names_the_field_at_fault_and_is_for_admins_only() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let (user, _) = app.register("user@example.com").await;
    let cases = [
        ("intervalSeconds", json!(-1), "input.intervalSeconds"),
        ("intervalSeconds", json!(1), "input.intervalSeconds"),
        ("marginThreshold", json!("100.5"), "input.marginThreshold"),
        ("marginThreshold", json!("ten"), "input.marginThreshold"),
        ("markupPct", json!("0"), "input.markupPct"),
        ("maxListingsPerCycle", json!(0), "input.maxListingsPerCycle"),
        (
            "maxListingsPerCycle",
            json!(1000),
            "input.maxListingsPerCycle",
        ),
        ("sellerId", json!("not-a-user"), "input.sellerId"),
    ];
    for (field, value, expected) in cases {
        let mut input = settings(true, 60, None);
        input[field] = value.clone();
        let payload = configure(&app, &admin, input).await;
        assert_eq!(
            payload["userErrors"][0]["field"], expected,
            "{field} = {value}: {payload}"
        );
        assert_eq!(payload["userErrors"][0]["code"], "INVALID_INPUT");
        assert!(payload["autopilot"].is_null());
    }
    let unknown = configure(
        &app,
        &admin,
        settings(true, 60, Some("00000000-0000-0000-0000-000000000001")),
    )
    .await;
    assert_eq!(unknown["userErrors"][0]["code"], "NOT_FOUND", "{unknown}");
    let payload = configure(&app, &user, settings(true, 60, None)).await;
    assert_eq!(payload["userErrors"][0]["code"], "FORBIDDEN", "{payload}");
    let configured: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event WHERE stream_id = 'autopilot'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(configured, 0, "a refused configuration records nothing");
}

async fn trigger(app: &App, authorization: Option<&str>) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/internal/autopilot/run", app.address));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_internal_trigger_runs_a_cycle_only_with_the_right_secret() {
    let app = spawn_app_with(&[("INTERNAL_RUN_SECRET", SECRET)]).await;
    let (admin, seller) = app.register("admin@example.com").await;
    let set = configure(&app, &admin, settings(false, 60, Some(&seller))).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    assert_eq!(trigger(&app, None).await.0, 401);
    assert_eq!(trigger(&app, Some("Bearer wrong-secret")).await.0, 401);
    assert_eq!(trigger(&app, Some(SECRET)).await.0, 401, "no Bearer scheme");
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event WHERE stream_id = 'autopilot'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(before, 1, "refused triggers record nothing");
    let (status, body) = trigger(&app, Some(&format!("Bearer {SECRET}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "FINISHED", "{body}");
    assert_eq!(body["listed"], 2);
    assert_eq!(body["productIds"].as_array().unwrap().len(), 2);
    let trigger_kind: String = sqlx::query_scalar(
        "SELECT payload->'trigger'->>'kind' FROM event WHERE event_type = 'AutopilotCycleStarted'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(trigger_kind, "EXTERNAL");

    let without = spawn_app().await;
    let (status, body) = trigger(&without, Some(&format!("Bearer {SECRET}"))).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("INTERNAL_RUN_SECRET is not set"),
        "{body}"
    );
}

#[tokio::test]
async fn the_schedule_runs_cycles_on_its_own_while_enabled() {
    let app = spawn_app().await;
    let (admin, seller) = app.register("admin@example.com").await;
    let set = configure(&app, &admin, settings(true, 5, Some(&seller))).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    let finished = || async {
        let kinds: Vec<String> = sqlx::query_scalar(
            "SELECT s.payload->'trigger'->>'kind' FROM event s \
             JOIN event f ON f.event_type = 'AutopilotCycleFinished' \
             AND f.payload->>'cycle_id' = s.payload->>'cycle_id' \
             WHERE s.event_type = 'AutopilotCycleStarted'",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        kinds
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut kinds = finished().await;
    while kinds.len() < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        kinds = finished().await;
    }
    assert!(
        kinds.len() >= 2,
        "two scheduled cycles within 30 s: {kinds:?}"
    );
    assert!(kinds.iter().all(|kind| kind == "SCHEDULE"), "{kinds:?}");
    // Disabled, the schedule starts nothing more.
    let set = configure(&app, &admin, settings(false, 5, Some(&seller))).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = finished().await.len();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(finished().await.len(), settled, "no cycle after disabling");
}

#[tokio::test]
async fn production_mode_refuses_to_start_without_an_internal_run_secret() {
    let db = dropledger_devdb::TestDatabase::new().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .arg("serve")
        .env("DATABASE_URL", db.url())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("AUTOPILOT_MODE", "production")
        .env("JWT_SECRET", "a-jwt-secret-that-is-long-enough-for-hs256")
        .env("PAYPAL_CLIENT_ID", "id")
        .env("PAYPAL_CLIENT_SECRET", "secret")
        .env_remove("INTERNAL_RUN_SECRET")
        .env_remove("ENCRYPTION_KEY")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INTERNAL_RUN_SECRET"), "{stderr}");
}

/// Another `dropledger serve` on `app`'s database, as a second server would be.
async fn second_server(app: &App) -> tokio::process::Child {
    use tokio::io::AsyncBufReadExt;
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .arg("serve")
        .env("DATABASE_URL", app.db.url())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env_remove("AUTOPILOT_MODE")
        .env_remove("PAYPAL_CLIENT_ID")
        .env_remove("PAYPAL_CLIENT_SECRET")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("listening on ") {
                return;
            }
        }
        panic!("the second server exited before listening");
    })
    .await
    .unwrap();
    server
}

#[tokio::test]
async fn two_servers_on_one_database_never_run_cycles_at_once_nor_list_a_product_twice() {
    let app = spawn_app().await;
    let _second = second_server(&app).await;
    let (admin, seller) = app.register("admin@example.com").await;
    // Both servers' schedules and several manual runs compete for cycles.
    let mut input = settings(true, 5, Some(&seller));
    input["maxListingsPerCycle"] = json!(1);
    let set = configure(&app, &admin, input).await;
    assert_eq!(set["userErrors"], json!([]), "{set}");
    let runs =
        futures::future::join_all((0..4).map(|_| app.graphql(Some(&admin), RUN, json!({})))).await;
    for run in &runs {
        let payload = &run["data"]["runAutopilotCycle"];
        let ran = payload["cycle"]["status"] == "FINISHED";
        let refused = payload["userErrors"][0]["code"] == "CYCLE_IN_PROGRESS";
        assert!(ran || refused, "{run}");
    }
    tokio::time::sleep(Duration::from_secs(12)).await;
    let log: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_type, payload->>'cycle_id' FROM event \
         WHERE stream_id = 'autopilot' AND event_type IN \
         ('AutopilotCycleStarted', 'AutopilotCycleFinished', 'AutopilotCycleFailed') \
         ORDER BY stream_version",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert!(log.len() >= 4, "at least two cycles ran: {log:?}");
    // Strictly one at a time: every start is followed by its own end.
    for pair in log.chunks(2) {
        assert_eq!(pair[0].0, "AutopilotCycleStarted", "{log:?}");
        if let Some(end) = pair.get(1) {
            assert_eq!(end.0, "AutopilotCycleFinished", "{log:?}");
            assert_eq!(end.1, pair[0].1, "{log:?}");
        }
    }
    let most: i64 = sqlx::query_scalar(
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM event \
         WHERE event_type = 'ProductCreated' GROUP BY payload->>'supplier_product_id') listed",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(most, 1, "a supplier product was listed twice");
}
