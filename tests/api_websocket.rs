//! GraphQL over WebSocket: each operation checked as it comes (the token's
//! expiry and the role now), subscriptions only, the socket closed when its
//! token expires, messages limited like HTTP bodies, a few sockets per client.

mod api_support;

use std::time::Duration;

use api_support::{spawn_app, spawn_app_with, App};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const JWT_SECRET: &str = "a-test-secret-that-is-long-enough-for-hs256-0123456789";

/// Opens a `graphql-transport-ws` socket (not yet initialised).
async fn open(app: &App) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// The next message: a JSON text, or the close frame's code.
async fn next(socket: &mut Socket) -> Result<Value, Option<u16>> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s");
        match message {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// An initialised socket signed in with `token`.
async fn signed_in(app: &App, token: &str) -> Socket {
    let mut socket = open(app).await.expect("the socket opens");
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "connection_ack");
    socket
}

/// Sends `query` as operation `id`; the first answer to it.
async fn operation(socket: &mut Socket, id: &str, query: &str) -> Value {
    let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    loop {
        let message = next(socket).await.expect("the socket stays open");
        if message["id"] == id {
            return message;
        }
    }
}

#[tokio::test]
async fn a_socket_runs_subscriptions_only_and_refuses_queries_and_mutations() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let mut socket = signed_in(&app, &admin).await;
    for (id, query) in [
        ("1", "{ me { id } }"),
        (
            "2",
            r#"mutation { setUserRole(userId: "00000000-0000-4000-8000-000000000000", role: USER) { userErrors { code } } }"#,
        ),
    ] {
        let answer = operation(&mut socket, id, query).await;
        assert!(
            answer
                .to_string()
                .contains("only subscriptions run over a WebSocket"),
            "{query}: {answer}"
        );
        assert!(answer["payload"]["data"].is_null(), "{answer}");
    }
    let answer = operation(&mut socket, "3", "subscription { events { eventType } }").await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert!(
        answer["payload"]["data"]["events"]["eventType"].is_string(),
        "{answer}"
    );
}

#[tokio::test]
async fn a_role_taken_away_applies_to_the_next_subscription_on_an_open_socket() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let mut socket = signed_in(&app, &accountant).await;
    let events = "subscription { events { eventType } }";
    let answer = operation(&mut socket, "1", events).await;
    assert_eq!(answer["type"], "next", "{answer}");

    let me = app
        .graphql(Some(&accountant), "{ me { id } }", json!({}))
        .await;
    let id = me["data"]["me"]["id"].as_str().unwrap();
    let response = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { setUserRole(userId: $id, role: USER) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(response["data"]["setUserRole"]["userErrors"], json!([]));

    let answer = operation(&mut socket, "2", events).await;
    assert!(answer.to_string().contains("FORBIDDEN"), "{answer}");
}

#[tokio::test]
async fn a_socket_is_closed_when_its_token_expires() {
    let app = spawn_app_with(&[("JWT_SECRET", JWT_SECRET)]).await;
    let (_, admin_id) = app.register("admin@example.com").await;
    let now = chrono::Utc::now().timestamp();
    let claims = dropledger_graphql::Claims {
        sub: admin_id.parse().unwrap(),
        role: dropledger_graphql::Role::Admin,
        iat: now,
        exp: now + 2,
    };
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let mut socket = signed_in(&app, &token).await;
    let answer = operation(&mut socket, "1", "subscription { events { eventType } }").await;
    assert_eq!(answer["type"], "next", "{answer}");
    let closed = loop {
        match next(&mut socket).await {
            Ok(_) => continue,
            Err(code) => break code,
        }
    };
    assert_eq!(closed, Some(dropledger_graphql::CLOSE_TOKEN_EXPIRED));
}

#[tokio::test]
async fn a_message_larger_than_an_http_body_closes_the_socket() {
    let app = spawn_app().await;
    let mut socket = open(&app).await.unwrap();
    let padding = "x".repeat(dropledger_graphql::WEBSOCKET_MESSAGE_BYTES_MAX + 1);
    let init = json!({ "type": "connection_init", "payload": { "padding": padding } });
    let _ = socket.send(Message::Text(init.to_string().into())).await;
    match next(&mut socket).await {
        Err(code) => assert_ne!(code, Some(u16::from(CloseCode::Normal))),
        Ok(message) => panic!("an oversized message was answered: {message}"),
    }
}

#[tokio::test]
async fn a_client_may_hold_only_a_few_sockets_open() {
    let app = spawn_app().await;
    let mut held = Vec::new();
    for _ in 0..dropledger_graphql::WEBSOCKETS_PER_CLIENT_MAX {
        held.push(open(&app).await.expect("a socket within the limit opens"));
    }
    match open(&app).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
        }
        other => panic!("one socket too many was not refused with 429: {other:?}"),
    }
    // A closed socket frees its place.
    let mut first = held.remove(0);
    first.close(None).await.unwrap();
    while first.next().await.is_some() {}
    tokio::time::sleep(Duration::from_millis(200)).await;
    open(&app).await.expect("a freed place can be taken again");
}

/// Ends operation `id` on `socket` (graphql-transport-ws `complete`).
async fn complete(socket: &mut Socket, id: &str) {
    let complete = json!({ "id": id, "type": "complete" });
    socket
        .send(Message::Text(complete.to_string().into()))
        .await
        .unwrap();
}

/// Connections of the app's database that are listening for notifications.
async fn listening_connections(app: &App) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'",
    )
    .bind(app.db.name())
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

const EVENTS: &str = "subscription { events { position } }";

#[tokio::test]
async fn a_user_may_hold_only_so_many_subscriptions_open_and_an_ended_one_frees_its_place() {
    let app = spawn_app_with(&[("SUBSCRIPTIONS_PER_USER_MAX", "2")]).await;
    let (admin, _) = app.register("admin@example.com").await;
    let mut socket = signed_in(&app, &admin).await;
    for id in ["1", "2"] {
        let answer = operation(&mut socket, id, EVENTS).await;
        assert_eq!(answer["type"], "next", "{answer}");
    }
    let refused = operation(&mut socket, "3", EVENTS).await;
    let text = refused.to_string();
    assert!(text.contains("RATE_LIMITED"), "{refused}");
    assert!(
        text.contains("you have 2 subscriptions open already"),
        "{refused}"
    );
    // Another socket does not escape the limit: it is the user's.
    let mut other = signed_in(&app, &admin).await;
    let refused = operation(&mut other, "1", EVENTS).await;
    assert!(refused.to_string().contains("RATE_LIMITED"), "{refused}");

    complete(&mut socket, "1").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = operation(&mut other, "2", EVENTS).await;
    assert_eq!(answer["type"], "next", "{answer}");
}

#[tokio::test]
async fn the_server_holds_only_so_many_subscriptions_from_all_users() {
    let app = spawn_app_with(&[("SUBSCRIPTIONS_MAX", "2")]).await;
    let (admin, _) = app.register("admin@example.com").await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let mut admin_socket = signed_in(&app, &admin).await;
    let answer = operation(&mut admin_socket, "1", EVENTS).await;
    assert_eq!(answer["type"], "next", "{answer}");
    let mut accountant_socket = signed_in(&app, &accountant).await;
    let answer = operation(&mut accountant_socket, "1", EVENTS).await;
    assert_eq!(answer["type"], "next", "{answer}");
    let refused = operation(&mut accountant_socket, "2", EVENTS).await;
    let text = refused.to_string();
    assert!(text.contains("RATE_LIMITED"), "{refused}");
    assert!(
        text.contains("the server holds as many subscriptions as it serves"),
        "{refused}"
    );
}

#[tokio::test]
async fn many_subscriptions_share_one_listening_connection_and_each_gets_new_events() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let head = app
        .graphql(
            Some(&admin),
            "{ events(first: 200) { edges { node { position } } } }",
            json!({}),
        )
        .await;
    let head = head["data"]["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|edge| edge["node"]["position"].as_i64())
        .max()
        .unwrap_or(0);
    let query =
        format!("subscription {{ events(afterPosition: {head}) {{ position eventType }} }}");
    let subscriptions_per_socket = 10;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let mut socket = signed_in(&app, &admin).await;
        for id in 0..subscriptions_per_socket {
            let subscribe =
                json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": query } });
            socket
                .send(Message::Text(subscribe.to_string().into()))
                .await
                .unwrap();
        }
        sockets.push(socket);
    }
    // Every subscription (and every worker of the server) waits on one
    // listening connection.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(listening_connections(&app).await, 1);

    // A new event reaches all thirty.
    app.register("someone@example.com").await;
    for socket in &mut sockets {
        let mut delivered = std::collections::BTreeSet::new();
        while delivered.len() < subscriptions_per_socket {
            let message = next(socket).await.expect("the socket stays open");
            assert_eq!(message["type"], "next", "{message}");
            let position = message["payload"]["data"]["events"]["position"]
                .as_i64()
                .unwrap();
            assert!(position > head, "{message}");
            delivered.insert(message["id"].as_str().unwrap().to_owned());
        }
    }
}
