//! The projection-backed queries end to end: each role's view, pages,
//! the books after a contribution and a paid order, balances as of a past
//! position, the audit trail of one request, read-your-writes and bad input.

mod api_support;

use api_support::{spawn_app, App};
use serde_json::{json, Value};

/// The `position` a mutation returned.
fn position(response: &Value, mutation: &str) -> i64 {
    response["data"][mutation]["position"]
        .as_i64()
        .unwrap_or_else(|| panic!("{mutation} returns its position: {response}"))
}

/// The top-level error's code and field.
fn error(response: &Value) -> (String, String) {
    let error = &response["errors"][0]["extensions"];
    (
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("an error: {response}"))
            .to_owned(),
        error["field"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Contributes `amount` USD of capital; the position of the entry.
async fn contribute(app: &App, admin: &str, amount: &str) -> i64 {
    let response = app
        .graphql(
            Some(admin),
            "mutation($input: RecordCapitalContributionInput!) { recordCapitalContribution(input: $input) { position userErrors { code } } }",
            json!({ "input": { "amount": { "amount": amount, "currency": "USD" }, "reference": format!("bank-{amount}") } }),
        )
        .await;
    assert_eq!(
        response["data"]["recordCapitalContribution"]["userErrors"],
        json!([]),
        "{response}"
    );
    position(&response, "recordCapitalContribution")
}

/// A checkout of `product` approved at the fake PayPal and captured by
/// `buyer`: the order id and the capture's position.
async fn paid_order(app: &App, product: &str, buyer: &str) -> (String, i64) {
    let response = app
        .graphql(
            None,
            "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId approveUrl captureSecret userErrors { code } } }",
            json!({ "input": { "productId": product, "quantity": 1 } }),
        )
        .await;
    let order_id = response["data"]["createCheckout"]["orderId"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned();
    let approve_url = response["data"]["createCheckout"]["approveUrl"]
        .as_str()
        .unwrap();
    let capture_secret = &response["data"]["createCheckout"]["captureSecret"];
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert!(browser
        .get(approve_url)
        .send()
        .await
        .unwrap()
        .status()
        .is_redirection());
    let response = app
        .graphql(
            Some(buyer),
            "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { status } position userErrors { code } } }",
            json!({ "input": { "orderId": order_id, "captureSecret": capture_secret } }),
        )
        .await;
    assert_eq!(
        response["data"]["captureCheckout"]["order"]["status"], "PAID",
        "{response}"
    );
    (order_id, position(&response, "captureCheckout"))
}

/// Creates a DRAFT product of `token`'s user; its id and position.
async fn draft_product(app: &App, token: &str, title: &str) -> (String, i64) {
    let response = app
        .graphql(
            Some(token),
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } position userErrors { code } } }",
            json!({ "input": {
                "title": title,
                "supplierProductId": "1005001",
                "supplierCost": { "amount": "12.00", "currency": "USD" },
                "price": { "amount": "29.99", "currency": "USD" },
            } }),
        )
        .await;
    let id = response["data"]["createProduct"]["product"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned();
    (id, position(&response, "createProduct"))
}

fn node_ids(response: &Value, field: &str) -> Vec<String> {
    response["data"][field]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{field} is a connection: {response}"))
        .iter()
        .map(|edge| edge["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn each_role_sees_the_products_and_orders_api_md_lets_it_see() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let seller = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let buyer = app
        .user_with_role(&admin, "buyer@example.com", "USER")
        .await;
    let stranger = app
        .user_with_role(&admin, "stranger@example.com", "USER")
        .await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let (draft, _) = draft_product(&app, &seller, "Draft lamp").await;
    let published = app.published_product(&seller).await;
    let (order_id, paid_at) = paid_order(&app, &published, &buyer).await;

    let products = "query($after: Int) { products(first: 10, consistentAfter: $after) { edges { node { id status supplierCost { amount } ownerUser { email } } } } }";
    let view = |token: Option<String>| {
        let app = &app;
        async move {
            app.graphql(token.as_deref(), products, json!({ "after": paid_at }))
                .await
        }
    };
    let anonymous = view(None).await;
    assert_eq!(node_ids(&anonymous, "products"), vec![published.clone()]);
    assert!(anonymous["data"]["products"]["edges"][0]["node"]["supplierCost"].is_null());
    // The storefront shows who sells, never their e-mail.
    assert!(
        anonymous["data"]["products"]["edges"][0]["node"]["ownerUser"].is_null(),
        "{anonymous}"
    );
    assert!(!anonymous["data"].to_string().contains('@'), "{anonymous}");
    assert_eq!(error(&anonymous).0, "UNAUTHENTICATED", "{anonymous}");
    let own = view(Some(seller.clone())).await;
    assert_eq!(
        node_ids(&own, "products"),
        vec![draft.clone(), published.clone()]
    );
    assert_eq!(
        own["data"]["products"]["edges"][0]["node"]["supplierCost"]["amount"],
        "12.00"
    );
    assert_eq!(
        own["data"]["products"]["edges"][0]["node"]["ownerUser"]["email"],
        "seller@example.com"
    );
    let other = view(Some(stranger.clone())).await;
    assert_eq!(node_ids(&other, "products"), vec![published.clone()]);
    assert!(other["data"]["products"]["edges"][0]["node"]["supplierCost"].is_null());
    assert!(!other["data"].to_string().contains('@'), "{other}");
    assert_eq!(error(&other).0, "FORBIDDEN", "{other}");
    assert_eq!(
        node_ids(&view(Some(admin.clone())).await, "products").len(),
        2
    );

    let orders = "{ orders(first: 10) { edges { node { id status sellerProfile { displayName } buyerUser { email } history { eventType } } } } }";
    for (token, expected) in [
        (&seller, vec![order_id.clone()]),
        (&buyer, vec![order_id.clone()]),
        (&stranger, vec![]),
        (&accountant, vec![order_id.clone()]),
        (&admin, vec![order_id.clone()]),
    ] {
        let response = app.graphql(Some(token), orders, json!({})).await;
        assert_eq!(node_ids(&response, "orders"), expected, "{response}");
    }
    let response = app.graphql(Some(&buyer), orders, json!({})).await;
    let node = &response["data"]["orders"]["edges"][0]["node"];
    // Paid, then fulfilment takes it on by itself (and, with no capital
    // here, fails it): any state after CREATED is the read model following.
    assert_ne!(node["status"], "CREATED", "{response}");
    // The buyer sees their own account and the seller's public profile.
    assert!(
        node["sellerProfile"]["displayName"].is_string(),
        "{response}"
    );
    assert_eq!(node["buyerUser"]["email"], "buyer@example.com");
    assert_eq!(node["history"][0]["eventType"], "OrderCreated");
    let response = app.graphql(None, orders, json!({})).await;
    assert_eq!(error(&response).0, "UNAUTHENTICATED", "{response}");

    // No sale is recorded yet (that is the sale process's work): each
    // reader sees an empty list, anonymous callers are refused.
    for query in [
        "{ sales { edges { cursor } } }",
        "{ payouts { edges { cursor } } }",
    ] {
        let response = app.graphql(Some(&seller), query, json!({})).await;
        assert!(response["errors"].is_null(), "{response}");
        let response = app.graphql(None, query, json!({})).await;
        assert_eq!(error(&response).0, "UNAUTHENTICATED", "{response}");
    }
}

#[tokio::test]
async fn pages_of_products_follow_one_another_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let mut created = Vec::new();
    let mut last = 0;
    for n in 0..5 {
        let (id, position) = draft_product(&app, &admin, &format!("Lamp {n}")).await;
        created.push(id);
        last = position;
    }
    let query = "query($after: String, $consistent: Int) { products(first: 2, after: $after, consistentAfter: $consistent) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let response = app
            .graphql(
                Some(&admin),
                query,
                json!({ "after": cursor, "consistent": last }),
            )
            .await;
        pages += 1;
        let ids = node_ids(&response, "products");
        assert!(ids.len() <= 2, "{response}");
        seen.extend(ids);
        let info = &response["data"]["products"]["pageInfo"];
        assert_eq!(info["hasPreviousPage"], cursor.is_some());
        if info["hasNextPage"] == false {
            break;
        }
        cursor = Some(info["endCursor"].as_str().unwrap().to_owned());
        assert!(pages < 10, "the pages never end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created);
}

fn amount(value: &Value) -> rust_decimal::Decimal {
    value["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("money: {value}"))
        .parse()
        .unwrap()
}

fn line<'a>(balance: &'a Value, account: &str) -> &'a Value {
    balance["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["account"] == account)
        .unwrap_or_else(|| panic!("{account} in {balance}"))
}

#[tokio::test]
async fn working_capital_and_the_trial_balance_follow_a_contribution_and_a_paid_order() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let contributed_at = contribute(&app, &admin, "500.00").await;
    let capital = "query($after: Int) { workingCapital(consistentAfter: $after) { realBalance { amount currency } committed { amount } free { amount } currency asOfPosition } }";
    let response = app
        .graphql(
            Some(&accountant),
            capital,
            json!({ "after": contributed_at }),
        )
        .await;
    let working = &response["data"]["workingCapital"];
    assert_eq!(
        working["realBalance"],
        json!({ "amount": "500.00", "currency": "USD" }),
        "{response}"
    );
    assert_eq!(amount(&working["free"]), "500.00".parse().unwrap());
    assert_eq!(working["currency"], "USD");
    assert!(working["asOfPosition"].as_i64().unwrap() >= contributed_at);

    let product = app.published_product(&admin).await;
    let (_, paid_at) = paid_order(&app, &product, &admin).await;
    let trial = "query($after: Int) { trialBalance(consistentAfter: $after) { currency lines { account debit { amount } credit { amount } } totalDebit { amount } totalCredit { amount } } }";
    let response = app
        .graphql(Some(&accountant), trial, json!({ "after": paid_at }))
        .await;
    let balance = &response["data"]["trialBalance"];
    assert_eq!(balance["currency"], "USD", "{response}");
    assert_eq!(balance["totalDebit"], balance["totalCredit"]);
    assert_eq!(
        amount(&line(balance, "equity:owner_capital")["credit"]),
        "500.00".parse().unwrap()
    );
    assert_eq!(
        amount(&line(balance, "customer_prepayments")["credit"]),
        "29.99".parse().unwrap()
    );
    // The captured 29.99 is cash plus the fee PayPal kept, whatever the fee.
    let response = app
        .graphql(Some(&accountant), capital, json!({ "after": paid_at }))
        .await;
    let real = amount(&response["data"]["workingCapital"]["realBalance"]);
    let fees = app
        .graphql(Some(&accountant), trial, json!({ "after": paid_at }))
        .await["data"]["trialBalance"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["account"] == "prepaid_payment_fees")
        .map_or(rust_decimal::Decimal::ZERO, |line| amount(&line["debit"]));
    assert_eq!(real + fees, "529.99".parse().unwrap(), "{response}");
}

#[tokio::test]
async fn a_balance_as_of_an_earlier_position_differs_from_the_balance_now() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let first = contribute(&app, &admin, "100.00").await;
    let second = contribute(&app, &admin, "150.00").await;
    assert!(second > first);
    let query = "query($at: Int, $after: Int) { balance(account: \"equity:owner_capital\", asOfPosition: $at, consistentAfter: $after) { account posted { amount currency } } }";
    let then = app
        .graphql(Some(&admin), query, json!({ "at": first, "after": second }))
        .await;
    let now = app
        .graphql(Some(&admin), query, json!({ "at": null, "after": second }))
        .await;
    assert_eq!(
        then["data"]["balance"]["posted"],
        json!({ "amount": "100.00", "currency": "USD" }),
        "{then}"
    );
    assert_eq!(
        now["data"]["balance"]["posted"],
        json!({ "amount": "250.00", "currency": "USD" }),
        "{now}"
    );
    let earlier = app
        .graphql(
            Some(&admin),
            "query($at: Int) { trialBalance(asOfPosition: $at) { totalCredit { amount } } }",
            json!({ "at": first }),
        )
        .await;
    assert_eq!(
        earlier["data"]["trialBalance"]["totalCredit"]["amount"], "100.00",
        "{earlier}"
    );
}

#[tokio::test]
async fn the_audit_trail_filtered_by_correlation_id_holds_exactly_that_requests_events() {
    let app = spawn_app().await;
    let (admin, admin_id) = app.register("admin@example.com").await;
    contribute(&app, &admin, "10.00").await;
    let correlation = uuid::Uuid::new_v4().to_string();
    let response: Value = app
        .http
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&admin)
        .header("X-Correlation-Id", &correlation)
        .json(&json!({ "query": "mutation { recordCapitalContribution(input: {amount: {amount: \"20.00\", currency: \"USD\"}, reference: \"bank-2\"}) { position userErrors { code } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let written = position(&response, "recordCapitalContribution");
    let trail = app
        .graphql(
            Some(&admin),
            "query($id: ID!, $after: Int) { auditTrail(filter: {correlationId: $id}, consistentAfter: $after) { edges { node { position correlationId actorId eventType streamId } } } }",
            json!({ "id": correlation, "after": written }),
        )
        .await;
    let edges = trail["data"]["auditTrail"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{trail}"));
    assert_eq!(edges.len(), 1, "{trail}");
    let node = &edges[0]["node"];
    assert_eq!(node["correlationId"], correlation.as_str());
    assert_eq!(node["position"], written);
    assert_eq!(node["actorId"], admin_id.as_str());
    assert_eq!(node["streamId"], "capital-USD", "{trail}");
}

#[tokio::test]
async fn a_query_with_consistent_after_sees_the_write_that_returned_the_position() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    // Several rounds, each reading right after its own write.
    for round in 0..5 {
        let (id, written) = draft_product(&app, &admin, &format!("Lamp {round}")).await;
        let response = app
            .graphql(
                Some(&admin),
                "query($after: Int) { products(first: 200, consistentAfter: $after) { edges { node { id } } } }",
                json!({ "after": written }),
            )
            .await;
        assert!(
            node_ids(&response, "products").contains(&id),
            "round {round}: {response}"
        );
    }
    // A position beyond the log's end is refused at once, not waited for.
    let started = std::time::Instant::now();
    let response = app
        .graphql(
            Some(&admin),
            "{ products(consistentAfter: 1000000) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error(&response),
        ("INVALID_INPUT".to_owned(), "consistentAfter".to_owned()),
        "{response}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn queries_waiting_for_consistent_after_are_capped_per_client_and_bounded_in_time() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    // Hold the read models' checkpoints: their runners cannot commit. (A
    // table lock takes no transaction id, so the log's sequencer, which
    // waits for older transactions, is not held back by it.)
    let mut blocker = app.db.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE projection_checkpoint IN EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let (_, written) = draft_product(&app, &admin, "Lamp").await;
    let aliases: Vec<String> = (0..10)
        .map(|i| {
            format!("a{i}: products(first: 1, consistentAfter: {written}) {{ edges {{ cursor }} }}")
        })
        .collect();
    let query = format!("{{ {} }}", aliases.join(" "));
    let started = std::time::Instant::now();
    let response = app.graphql(None, &query, json!({})).await;
    let waited = started.elapsed();
    let mut codes: Vec<&str> = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|error| error["extensions"]["code"].as_str().unwrap())
        .collect();
    codes.sort();
    let per_client = dropledger_graphql::CONSISTENT_AFTER_WAITERS_PER_CLIENT_MAX;
    let mut expected = vec!["CONSISTENCY_TIMEOUT"; per_client];
    expected.extend(vec!["RATE_LIMITED"; 10 - per_client]);
    assert_eq!(codes, expected, "{response}");
    assert!(waited >= std::time::Duration::from_secs(4), "{waited:?}");
    assert!(waited < std::time::Duration::from_secs(15), "{waited:?}");

    // Once the read model may move, the same position is reached at once.
    blocker.rollback().await.unwrap();
    let started = std::time::Instant::now();
    let response = app
        .graphql(
            None,
            &format!("{{ products(consistentAfter: {written}) {{ edges {{ cursor }} }} }}"),
            json!({}),
        )
        .await;
    assert!(response["errors"].is_null(), "{response}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bad_arguments_are_refused_naming_the_argument() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    for (query, field) in [
        ("{ workingCapital(currency: \"XXX\") { free { amount } } }", "currency"),
        ("{ trialBalance(currency: \"usdollars\") { currency } }", "currency"),
        ("{ products(first: -1) { edges { cursor } } }", "first"),
        ("{ orders(first: 100000) { edges { cursor } } }", "first"),
        ("{ orders(after: \"not-a-cursor\") { edges { cursor } } }", "after"),
        ("{ balance(account: \"cash:nowhere\") { posted { amount } } }", "account"),
        ("{ balance(account: \"cash:paypal:available\", asOfPosition: -3) { posted { amount } } }", "asOfPosition"),
        ("{ sales(consistentAfter: -1) { edges { cursor } } }", "consistentAfter"),
        ("{ auditTrail(filter: {correlationId: \"nope\"}) { edges { cursor } } }", "filter.correlationId"),
    ] {
        let response = app.graphql(Some(&admin), query, json!({})).await;
        assert_eq!(error(&response), ("INVALID_INPUT".to_owned(), field.to_owned()), "{query}: {response}");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{message}");
        assert!(!message.contains("SELECT") && !message.contains("panicked"), "{message}");
    }
}

#[tokio::test]
async fn healthz_reports_every_process_manager_with_its_state_restarts_and_last_error() {
    let app = spawn_app().await;
    let expected = [
        "disputes",
        "fulfilment",
        "payout",
        "reconciliation",
        "sale",
        "settlement",
        "tracking",
    ];
    // The managers take their locks just after the server listens.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let body = loop {
        let body: Value = app
            .http
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let running = body["processManagers"]
            .as_array()
            .map(|managers| managers.iter().filter(|m| m["state"] == "RUNNING").count())
            .unwrap_or(0);
        // The reconciliation waits one interval before it first runs.
        if running == expected.len() - 1 {
            break body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the managers never all ran: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let managers = body["processManagers"].as_array().unwrap();
    let names: Vec<&str> = managers
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected, "{body}");
    for manager in managers {
        assert_eq!(manager["restarts"], 0, "{body}");
        assert_eq!(manager["lastError"], Value::Null, "{body}");
    }
    let reconciliation = managers
        .iter()
        .find(|m| m["name"] == "reconciliation")
        .unwrap();
    assert_eq!(reconciliation["state"], "STARTING", "{body}");
    assert_eq!(body["projections"].as_array().unwrap().len(), 4, "{body}");
}

#[tokio::test]
async fn healthz_reports_every_projection_running_and_metrics_export_their_lag() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let written = contribute(&app, &admin, "10.00").await;
    let health = app
        .http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let body: Value = health.json().await.unwrap();
    let names: Vec<&str> = body["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["status"], "RUNNING", "{body}");
            p["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names, ["ledger", "commerce", "audit", "autopilot"]);
    // Fields of one query resolve concurrently: wait first, then ask.
    app.graphql(
        Some(&admin),
        "query($after: Int) { workingCapital(consistentAfter: $after) { asOfPosition } }",
        json!({ "after": written }),
    )
    .await;
    let response = app
        .graphql(
            Some(&admin),
            "{ projections { name position lag status } }",
            json!({}),
        )
        .await;
    let projections = response["data"]["projections"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"));
    let ledger = projections.iter().find(|p| p["name"] == "ledger").unwrap();
    assert!(
        ledger["position"].as_i64().unwrap() >= written,
        "{response}"
    );
    // The gauges are refreshed every second.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let metrics = app.metrics().await;
    for name in ["ledger", "commerce", "audit"] {
        assert!(
            metrics.contains(&format!(
                "dropledger_projection_lag_events{{projection=\"{name}\"}}"
            )),
            "{metrics}"
        );
        assert!(metrics.contains(&format!(
            "dropledger_projection_position{{projection=\"{name}\"}}"
        )));
    }
}

#[tokio::test]
async fn a_stopped_server_leaves_its_projections_checkpointed_and_unlocked() {
    let mut app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let written = contribute(&app, &admin, "10.00").await;
    // Every read model applies the write (or passes over it) before the stop.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let response = app
            .graphql(Some(&admin), "{ projections { name position } }", json!({}))
            .await;
        let projections = response["data"]["projections"].as_array().cloned();
        let caught_up = projections.as_ref().is_some_and(|all| {
            !all.is_empty() && all.iter().all(|p| p["position"].as_i64() >= Some(written))
        });
        if caught_up {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the read models never reached {written}: {response}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pid = app.server.id().expect("the server runs").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(30), app.server.wait())
        .await
        .expect("the server stops within 30 s")
        .unwrap();
    assert!(exit.success(), "{exit}");
    let checkpoints: Vec<(String, i64)> =
        sqlx::query_as("SELECT name, position FROM projection_checkpoint ORDER BY name")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    for (name, checkpoint) in &checkpoints {
        assert!(
            *checkpoint >= written,
            "{name} at {checkpoint}, wrote {written}"
        );
    }
    let locks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        locks, 0,
        "no runner holds a projection's lock after shutdown"
    );
}

/// The password `dropledger demo` gives its people.
const DEMO_PASSWORD: &str = "demo-password";

#[tokio::test]
async fn sales_and_payouts_show_a_user_only_their_own_and_bookkeepers_all() {
    // The demo records a whole business (sales and payouts included) into
    // its own database; the server then serves that database.
    let business = dropledger_devdb::TestDatabase::new().await;
    let demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .args(["demo", "--exit", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", business.url())
        .env("RUST_LOG", "warn")
        .env_remove("DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS")
        .output()
        .await
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let app = api_support::spawn_app_with(&[("DATABASE_URL", &business.url())]).await;
    // The demo signed its people up through the API, its admin first.
    let admin = app.login("admin@dropledger.test", DEMO_PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM log_entry")
        .fetch_one(business.pool())
        .await
        .unwrap();
    let sales = "query($after: Int) { sales(first: 200, consistentAfter: $after) { edges { node { id seller netProfit { amount } order { id owner status } } } } }";
    let payouts = "query($after: Int) { payouts(first: 200, consistentAfter: $after) { edges { node { id recipient status amount { amount } recipientUser { id } } } } }";
    let all_sales = app
        .graphql(Some(&accountant), sales, json!({ "after": head }))
        .await;
    let edges = all_sales["data"]["sales"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{all_sales}"));
    assert!(!edges.is_empty(), "{all_sales}");
    for edge in edges {
        // Each sale's order comes through the order loader, and is its seller's.
        assert_eq!(
            edge["node"]["order"]["owner"], edge["node"]["seller"],
            "{edge}"
        );
    }
    let seller = edges[0]["node"]["seller"].as_str().unwrap().to_owned();
    let all_payouts = app
        .graphql(Some(&admin), payouts, json!({ "after": head }))
        .await;
    let payout_edges = all_payouts["data"]["payouts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{all_payouts}"));
    assert!(
        payout_edges
            .iter()
            .any(|edge| edge["node"]["recipient"] == "ADMIN"),
        "{all_payouts}"
    );

    let signed_in = app.login("seller@dropledger.test", DEMO_PASSWORD).await;
    assert_eq!(signed_in["user"]["id"], seller.as_str(), "{signed_in}");
    let seller_token = signed_in["token"].as_str().unwrap().to_owned();
    let own_sales = app.graphql(Some(&seller_token), sales, json!({})).await;
    let own: Vec<_> = own_sales["data"]["sales"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let expected = edges
        .iter()
        .filter(|edge| edge["node"]["seller"] == seller.as_str())
        .count();
    assert_eq!(own.len(), expected, "{own_sales}");
    assert!(own
        .iter()
        .all(|edge| edge["node"]["seller"] == seller.as_str()));
    let own_payouts = app.graphql(Some(&seller_token), payouts, json!({})).await;
    let own: Vec<_> = own_payouts["data"]["payouts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert!(!own.is_empty(), "{own_payouts}");
    assert!(
        own.iter()
            .all(|edge| edge["node"]["recipient"] == seller.as_str()
                && edge["node"]["recipientUser"]["id"] == seller.as_str()),
        "{own_payouts}"
    );
    // Someone else sees none of it.
    let stranger = app
        .user_with_role(&admin, "stranger@example.com", "USER")
        .await;
    for (query, field) in [(sales, "sales"), (payouts, "payouts")] {
        let response = app.graphql(Some(&stranger), query, json!({})).await;
        assert_eq!(response["data"][field]["edges"], json!([]), "{response}");
    }
}

#[tokio::test]
async fn a_flood_of_requests_uses_only_the_api_s_own_connections() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let app = std::sync::Arc::new(app);
    let flood: Vec<_> = (0..40)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let aliases: String = (0..50)
                    .map(|n| format!("a{n}: products(first: 1) {{ edges {{ cursor }} }} "))
                    .collect();
                app.graphql(None, &format!("{{ {aliases} }}"), json!({}))
                    .await
            })
        })
        .collect();
    let mut most_api_connections = 0;
    while flood.iter().any(|request| !request.is_finished()) {
        let api: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'dropledger-api'",
        )
        .bind(app.db.name())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        most_api_connections = most_api_connections.max(api);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for request in flood {
        let answer = request.await.unwrap();
        assert!(answer["errors"].is_null(), "{answer}");
    }
    // The API's pool (src/server.rs: API_POOL_CONNECTIONS_MAX) and no more;
    // the workers' connections are never lent to requests.
    assert!(
        most_api_connections >= 1,
        "the API used no connection of its own"
    );
    assert!(most_api_connections <= 10, "{most_api_connections}");
    // And the server still answers a signed-in user.
    let me = app.graphql(Some(&admin), "{ me { id } }", json!({})).await;
    assert!(me["data"]["me"]["id"].is_string(), "{me}");
}
