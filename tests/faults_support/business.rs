//! The business as its users drive it over GraphQL, against whichever
//! server is up: a shop set up once, then customers buying, each request
//! retried on another server when the one it went to was killed.

use std::time::Duration;

use serde_json::{json, Value};

use super::processes::Servers;

/// The fake catalogue's LED desk lamp: 12.75 a unit, 2.35 shipping.
pub const LAMP: &str = "1005001000000003";
/// How long one request keeps being retried across servers.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one HTTP request may take before it counts as lost.
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// A GraphQL client that goes to any running server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// Picks the server: clients spread over them.
    pub turn: usize,
}

impl Client {
    /// A client that starts on server `turn` (modulo the running ones).
    pub fn new(turn: usize) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(HTTP_TIMEOUT)
                .build()
                .expect("an HTTP client"),
            turn,
        }
    }

    /// Runs `query` on a running server; a transport failure (a killed
    /// server) moves to the next one, for up to [`REQUEST_TIMEOUT`].
    pub async fn graphql(
        &mut self,
        servers: &Servers,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
        loop {
            let addresses = servers.addresses();
            if !addresses.is_empty() {
                let address = &addresses[self.turn % addresses.len()];
                let mut request = self
                    .http
                    .post(format!("{address}/graphql"))
                    .json(&json!({ "query": query, "variables": variables }));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                if let Ok(response) = request.send().await {
                    if let Ok(body) = response.json::<Value>().await {
                        return body;
                    }
                }
            }
            self.turn += 1;
            assert!(
                tokio::time::Instant::now() < deadline,
                "no server answered within {REQUEST_TIMEOUT:?}: {query}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Registers `email`; their token.
    pub async fn register(&mut self, servers: &Servers, email: &str) -> String {
        let response = self
            .graphql(
                servers,
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { token userErrors { code message } } }",
                json!({ "input": { "email": email, "password": "correct horse", "paypalPayoutEmail": email } }),
            )
            .await;
        let payload = &response["data"]["register"];
        assert_eq!(payload["userErrors"], json!([]), "{response}");
        payload["token"].as_str().expect("a token").to_owned()
    }

    /// Runs a mutation named `name` and checks it has no `userErrors`.
    pub async fn mutate(
        &mut self,
        servers: &Servers,
        token: &str,
        name: &str,
        query: &str,
        variables: Value,
    ) -> Value {
        let response = self.graphql(servers, Some(token), query, variables).await;
        assert_eq!(
            response["data"][name]["userErrors"],
            json!([]),
            "{response}"
        );
        response["data"][name].clone()
    }
}

/// The people and the listing.
pub struct Shop {
    /// The ADMIN (first user).
    pub admin: String,
    /// The seller who owns the lamp.
    pub seller: String,
    /// The published lamp.
    pub product: String,
}

/// 15 % commission, `capital` of owner money, a seller with a published
/// lamp at 39.99 reserving its cost of 15.10.
pub async fn open_shop(client: &mut Client, servers: &Servers, capital: &str) -> Shop {
    let admin = client.register(servers, "admin@example.com").await;
    client
        .mutate(servers, &admin, "setPlatformConfig",
            "mutation { setPlatformConfig(input: {commissionPct: \"15\", adminPaypalEmail: \"admin@example.com\"}) { userErrors { code } } }",
            json!({}))
        .await;
    client
        .mutate(servers, &admin, "recordCapitalContribution",
            "mutation($input: RecordCapitalContributionInput!) { recordCapitalContribution(input: $input) { userErrors { code message } } }",
            json!({ "input": { "amount": { "amount": capital, "currency": "USD" }, "reference": "seed" } }))
        .await;
    let seller = client.register(servers, "seller@example.com").await;
    let created = client
        .mutate(servers, &seller, "createProduct",
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code message } } }",
            json!({ "input": {
                "title": "LED desk lamp",
                "supplierProductId": LAMP,
                "supplierCost": { "amount": "15.10", "currency": "USD" },
                "price": { "amount": "39.99", "currency": "USD" },
            } }))
        .await;
    let product = created["product"]["id"]
        .as_str()
        .expect("a product id")
        .to_owned();
    client
        .mutate(
            servers,
            &seller,
            "publishProduct",
            "mutation($id: ID!) { publishProduct(id: $id) { userErrors { code } } }",
            json!({ "id": product }),
        )
        .await;
    Shop {
        admin,
        seller,
        product,
    }
}

/// One customer's purchase: checkout, approval at the fake PayPal, capture
/// (asked again while the order is still CREATED: a capture whose answer
/// was lost with its server, or that a provider fault refused, is retried,
/// and PayPal's request id makes the repeat harmless). The order id.
pub async fn buy(client: &mut Client, servers: &Servers, buyer: &str, product: &str) -> String {
    let checkout = loop {
        let response = client
            .graphql(servers, None,
                "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId approveUrl captureSecret userErrors { code message } } }",
                json!({ "input": { "productId": product, "quantity": 1 } }))
            .await;
        let checkout = response["data"]["createCheckout"].clone();
        if checkout["orderId"].is_string() {
            break checkout;
        }
        // A provider fault on PayPal's create order: a new checkout.
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let order_id = checkout["orderId"]
        .as_str()
        .expect("an order id")
        .to_owned();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let approval = browser
        .get(checkout["approveUrl"].as_str().expect("an approval URL"))
        .send()
        .await
        .expect("the fake PayPal answers");
    assert!(approval.status().is_redirection(), "{}", approval.status());
    let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
    loop {
        let response = client
            .graphql(servers, Some(buyer),
                "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { status } userErrors { code message } } }",
                json!({ "input": { "orderId": order_id, "captureSecret": checkout["captureSecret"] } }))
            .await;
        if response["data"]["captureCheckout"]["order"]["status"].is_string()
            && response["data"]["captureCheckout"]["userErrors"] == json!([])
        {
            return order_id;
        }
        // Captured by an attempt whose answer was lost; an empty status is
        // a read that failed (the database away), not a capture.
        let status = order_status(client, servers, buyer, &order_id).await;
        if !status.is_empty() && status != "CREATED" {
            return order_id;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {order_id} was never captured: {response}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The order's status as `token` reads it.
pub async fn order_status(
    client: &mut Client,
    servers: &Servers,
    token: &str,
    order_id: &str,
) -> String {
    order(client, servers, token, order_id).await["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The order as `token` reads it.
pub async fn order(client: &mut Client, servers: &Servers, token: &str, order_id: &str) -> Value {
    let response = client
        .graphql(
            servers,
            Some(token),
            "query($id: ID!) { order(id: $id) { status failureReason supplierOrderId } }",
            json!({ "id": order_id }),
        )
        .await;
    response["data"]["order"].clone()
}

/// Every payout as the ADMIN reads it: id, sale, recipient, status (page
/// after page: a page holds 200 at most).
pub async fn payouts(client: &mut Client, servers: &Servers, admin: &str) -> Vec<Value> {
    let mut payouts = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = client
            .graphql(
                servers,
                Some(admin),
                "query($after: String) { payouts(first: 200, after: $after) { nodes { id saleId recipient status } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after }),
            )
            .await;
        let page = &response["data"]["payouts"];
        payouts.extend(
            page["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("payouts: {response}"))
                .iter()
                .cloned(),
        );
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return payouts;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}
