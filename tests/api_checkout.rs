//! Checkout → approval at (fake) PayPal → capture → PAID, idempotent
//! retries, and the event subscription over WebSocket, end to end.

mod api_support;

use api_support::spawn_app;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const CREATE_CHECKOUT: &str = "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId providerOrderId approveUrl captureSecret userErrors { code message field } } }";
const CAPTURE: &str = "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { status } userErrors { code message field } } }";

#[tokio::test]
async fn a_checkout_approved_at_paypal_and_captured_makes_the_order_paid() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let seller = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let buyer = app
        .user_with_role(&admin, "buyer@example.com", "USER")
        .await;
    let product = app.published_product(&seller).await;

    let response = app
        .graphql(
            None,
            CREATE_CHECKOUT,
            json!({ "input": { "productId": product, "quantity": 2 } }),
        )
        .await;
    let checkout = &response["data"]["createCheckout"];
    assert_eq!(checkout["userErrors"], json!([]), "{response}");
    let order_id = checkout["orderId"].as_str().unwrap();
    let approve_url = checkout["approveUrl"].as_str().unwrap();
    let capture_secret = checkout["captureSecret"].as_str().unwrap();

    // The buyer approves at PayPal, which redirects back to us.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let approval = browser.get(approve_url).send().await.unwrap();
    assert!(approval.status().is_redirection(), "{}", approval.status());

    let capture = "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { id status price { amount currency } owner buyer history { eventType actor } } userErrors { code message } } }";
    let response = app
        .graphql(
            Some(&buyer),
            capture,
            json!({ "input": { "orderId": order_id, "captureSecret": capture_secret } }),
        )
        .await;
    let payload = &response["data"]["captureCheckout"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    let order = &payload["order"];
    assert_eq!(order["status"], "PAID");
    assert_eq!(
        order["price"],
        json!({ "amount": "59.98", "currency": "USD" })
    );
    let history: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(history.first(), Some(&"OrderCreated"));
    assert!(history.len() >= 2, "{history:?}");

    // The seller reads the order; an unrelated user may not.
    let read = "query($id: ID!) { order(id: $id) { status buyer } }";
    let response = app
        .graphql(Some(&seller), read, json!({ "id": order_id }))
        .await;
    // Fulfilment starts on its own once the order is PAID, so the status
    // may already have moved on; the buyer is recorded either way.
    assert!(response["data"]["order"]["buyer"].is_string(), "{response}");
    let stranger = app
        .user_with_role(&admin, "stranger@example.com", "USER")
        .await;
    let response = app
        .graphql(Some(&stranger), read, json!({ "id": order_id }))
        .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{response}"
    );

    // Capturing again records no second payment (fulfilment may meanwhile
    // record its own events, so count the payment's).
    let payments = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM event WHERE event_type IN ('OrderPaid', 'PaymentReceived')",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap()
    };
    assert_eq!(payments().await, 2);
    let response = app
        .graphql(
            Some(&buyer),
            capture,
            json!({ "input": { "orderId": order_id, "captureSecret": capture_secret } }),
        )
        .await;
    assert!(
        response["data"]["captureCheckout"]["order"]["buyer"].is_string(),
        "{response}"
    );
    assert_eq!(payments().await, 2);
}

#[tokio::test]
async fn a_checkout_retried_with_its_idempotency_key_is_created_once() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let product = app.published_product(&admin).await;
    let input =
        json!({ "input": { "productId": product, "quantity": 1, "idempotencyKey": "cart-42" } });
    let first = app.graphql(None, CREATE_CHECKOUT, input.clone()).await;
    let events_after_first = app.event_count().await;
    let second = app.graphql(None, CREATE_CHECKOUT, input).await;
    assert_eq!(
        first["data"]["createCheckout"]["userErrors"],
        json!([]),
        "{first}"
    );
    assert_eq!(first, second);
    assert_eq!(app.event_count().await, events_after_first);
    let orders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM event WHERE event_type = 'OrderCreated'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(orders, 1);
    let other = app
        .graphql(None, CREATE_CHECKOUT, json!({ "input": { "productId": product, "quantity": 1, "idempotencyKey": "cart-43" } }))
        .await;
    assert_ne!(
        other["data"]["createCheckout"]["orderId"],
        first["data"]["createCheckout"]["orderId"]
    );
}

/// Approves `checkout` at the fake PayPal, as the buyer's browser would.
async fn approve(checkout: &Value) {
    let approval = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(checkout["approveUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(approval.status().is_redirection(), "{}", approval.status());
}

// Issue 15, item 13: a signed-in user who learns an order id (or guesses
// an idempotency key) cannot capture someone else's checkout.
#[tokio::test]
async fn a_checkout_is_captured_only_with_the_secret_its_creator_was_given() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let buyer = app
        .user_with_role(&admin, "buyer@example.com", "USER")
        .await;
    let product = app.published_product(&admin).await;
    let input = json!({ "input": { "productId": product, "quantity": 1 } });
    let mine = app.graphql(None, CREATE_CHECKOUT, input.clone()).await;
    let theirs = app.graphql(None, CREATE_CHECKOUT, input).await;
    let (mine, theirs) = (
        &mine["data"]["createCheckout"],
        &theirs["data"]["createCheckout"],
    );
    approve(mine).await;
    let secret = mine["captureSecret"].as_str().unwrap();
    assert_eq!(secret.len(), 43, "{mine}");
    assert_ne!(mine["captureSecret"], theirs["captureSecret"]);

    for wrong in [
        theirs["captureSecret"].as_str().unwrap(),
        "",
        "AAAA",
        &secret[1..],
    ] {
        let response = app
            .graphql(
                Some(&buyer),
                CAPTURE,
                json!({ "input": { "orderId": mine["orderId"], "captureSecret": wrong } }),
            )
            .await;
        let errors = &response["data"]["captureCheckout"]["userErrors"];
        assert_eq!(errors[0]["code"], "CAPTURE_SECRET_MISMATCH", "{response}");
        assert_eq!(errors[0]["field"], "input.captureSecret", "{response}");
    }
    let paid: i64 = sqlx::query_scalar("SELECT count(*) FROM event WHERE event_type = 'OrderPaid'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(paid, 0, "a refused capture records nothing");

    let response = app
        .graphql(
            Some(&buyer),
            CAPTURE,
            json!({ "input": { "orderId": mine["orderId"], "captureSecret": secret } }),
        )
        .await;
    assert_eq!(
        response["data"]["captureCheckout"]["order"]["status"], "PAID",
        "{response}"
    );
}

// Issue 15, item 13: an anonymous idempotency key is the caller's address's
// own: the same key sent from elsewhere starts another checkout, and does
// not return the first one's order, approval URL or secret.
#[tokio::test]
async fn anonymous_idempotency_keys_of_different_addresses_reach_different_checkouts() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let product = app.published_product(&admin).await;
    let input =
        json!({ "input": { "productId": product, "quantity": 1, "idempotencyKey": "cart-1" } });
    let victim = app.graphql(None, CREATE_CHECKOUT, input.clone()).await;
    // Another machine: the same loopback server, reached from 127.0.0.2.
    let elsewhere = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let attacker: Value = elsewhere
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": CREATE_CHECKOUT, "variables": input }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (victim, attacker) = (
        &victim["data"]["createCheckout"],
        &attacker["data"]["createCheckout"],
    );
    assert_eq!(attacker["userErrors"], json!([]), "{attacker}");
    for field in ["orderId", "providerOrderId", "approveUrl", "captureSecret"] {
        assert!(victim[field].is_string(), "{victim}");
        assert_ne!(victim[field], attacker[field], "{field}");
    }
    // The victim's own retry still reaches the victim's checkout.
    let retried = app.graphql(None, CREATE_CHECKOUT, input).await;
    assert_eq!(&retried["data"]["createCheckout"], victim);
}

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(20), socket.next())
            .await
            .expect("a message within 20 s")
            .expect("the socket is open")
            .expect("a readable message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` connection signed in with `token`, subscribed to `query`.
async fn subscribe(app: &api_support::App, token: &str, query: &str, variables: Value) -> Socket {
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["type"], "connection_ack");
    socket
        .send(Message::Text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": variables } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    // Give the subscription time to start before anything is committed.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    socket
}

#[tokio::test]
async fn the_seller_sees_their_order_become_paid_through_order_updated() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let seller = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let buyer = app
        .user_with_role(&admin, "buyer@example.com", "USER")
        .await;
    let product = app.published_product(&seller).await;
    let response = app
        .graphql(
            None,
            CREATE_CHECKOUT,
            json!({ "input": { "productId": product, "quantity": 1 } }),
        )
        .await;
    let order_id = response["data"]["createCheckout"]["orderId"]
        .as_str()
        .unwrap()
        .to_owned();
    let approve_url = response["data"]["createCheckout"]["approveUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let capture_secret = response["data"]["createCheckout"]["captureSecret"].clone();
    let mut socket = subscribe(
        &app,
        &seller,
        "subscription($id: ID!) { orderUpdated(orderId: $id) { id status buyer } }",
        json!({ "id": order_id }),
    )
    .await;
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(approve_url)
        .send()
        .await
        .unwrap();
    let response = app
        .graphql(
            Some(&buyer),
            "mutation($id: ID!, $secret: String!) { captureCheckout(input: {orderId: $id, captureSecret: $secret}) { userErrors { code } } }",
            json!({ "id": order_id, "secret": capture_secret }),
        )
        .await;
    assert_eq!(
        response["data"]["captureCheckout"]["userErrors"],
        json!([]),
        "{response}"
    );
    let message = next_json(&mut socket).await;
    assert_eq!(
        message["payload"]["data"]["orderUpdated"]["status"], "PAID",
        "{message}"
    );
    assert_eq!(
        message["payload"]["data"]["orderUpdated"]["id"],
        order_id.as_str()
    );
}

#[tokio::test]
async fn a_subscription_receives_an_event_committed_after_it_subscribed() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let head: i64 = sqlx::query_scalar("SELECT count(*) FROM event")
        .fetch_one(app.db.pool())
        .await
        .unwrap();

    let mut socket = subscribe(
        &app,
        &admin,
        "subscription($after: Int!) { events(afterPosition: $after) { position eventType streamId correlationId } }",
        json!({ "after": head }),
    )
    .await;
    let response = app
        .graphql(
            Some(&admin),
            "mutation { setPlatformConfig(input: {commissionPct: \"15\", adminPaypalEmail: \"admin@example.com\"}) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response["data"]["setPlatformConfig"]["userErrors"],
        json!([]),
        "{response}"
    );
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    let event = &message["payload"]["data"]["events"];
    assert_eq!(event["eventType"], "PlatformConfigured", "{message}");
    assert_eq!(event["position"], head + 1);
    assert_eq!(event["streamId"], "platform-config");
}

#[tokio::test]
async fn the_log_reads_as_a_connection_in_commit_order() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    app.register("user@example.com").await;
    // An event gets its position once every older transaction on the
    // server has ended: wait for both registrations to be in the log.
    let status = app
        .db
        .store()
        .wait_for_log(std::time::Duration::from_secs(30))
        .await
        .expect("the log status reads");
    assert!(status.waiting_for.is_none(), "{status:?}");
    let query = "query($after: String) { events(first: 1, after: $after) { edges { cursor node { position eventType } } pageInfo { hasNextPage endCursor } } }";
    let page = app.graphql(Some(&admin), query, json!({})).await;
    let events = &page["data"]["events"];
    assert_eq!(events["edges"][0]["node"]["position"], 1, "{page}");
    assert_eq!(events["pageInfo"]["hasNextPage"], true);
    let cursor = events["pageInfo"]["endCursor"].as_str().unwrap();
    let page = app
        .graphql(Some(&admin), query, json!({ "after": cursor }))
        .await;
    assert_eq!(
        page["data"]["events"]["edges"][0]["node"]["position"], 2,
        "{page}"
    );
    assert_eq!(page["data"]["events"]["pageInfo"]["hasNextPage"], false);
}
