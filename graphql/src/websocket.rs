//! GraphQL over WebSocket (`graphql-transport-ws` and `graphql-ws`), for
//! subscriptions only.
//!
//! A socket outlives the request that opened it, so nothing decided at
//! `connection_init` is trusted later: every operation re-verifies the
//! token given there (signature and expiry) and reloads the caller's role,
//! as an HTTP request does; the socket is closed (4401) when the token
//! expires; queries and mutations are refused (send them as HTTP POST,
//! where the body limit, content-type check and rate limits apply). Each
//! message is limited like an HTTP body, and each client address may keep
//! only a few sockets open.

use std::any::TypeId;
use std::future::{pending, ready};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::WebSocketProtocols;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Data, ErrorExtensions, Executor, Request, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::{header, HeaderMap};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::context::{RequestContext, Services};
use crate::http::{bearer_claims, REQUEST_BODY_BYTES_MAX};
use crate::schema::ApiSchema;
use crate::slots::{ClientSlots, Slot, SlotRefusal};
use crate::Claims;

/// Largest WebSocket message (and frame) accepted: as large as an HTTP body.
pub const WEBSOCKET_MESSAGE_BYTES_MAX: usize = REQUEST_BODY_BYTES_MAX;
/// Sockets one client address may hold open at once.
pub const WEBSOCKETS_PER_CLIENT_MAX: usize = 8;
/// Sockets the server holds open at once, from all clients.
pub const WEBSOCKETS_MAX: usize = 1_024;
/// Close code sent when the token of a socket expires (graphql-ws uses
/// 4401 for "Unauthorized").
pub const CLOSE_TOKEN_EXPIRED: u16 = 4401;

/// Why a socket was not opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SocketRefusal {
    /// The client holds [`WEBSOCKETS_PER_CLIENT_MAX`] sockets already.
    #[error(
        "your address holds {WEBSOCKETS_PER_CLIENT_MAX} WebSockets already; close one \
         (several subscriptions can share one socket) and try again"
    )]
    ClientBusy,
    /// The server holds [`WEBSOCKETS_MAX`] sockets already.
    #[error("the server holds as many WebSockets as it serves; try again shortly")]
    ServerBusy,
}

/// The open sockets per client address, and of all clients.
pub(crate) fn socket_limits() -> Arc<ClientSlots> {
    ClientSlots::new(WEBSOCKETS_PER_CLIENT_MAX, WEBSOCKETS_MAX)
}

/// A place for one more socket of `client`.
pub(crate) fn acquire_socket(
    limits: &Arc<ClientSlots>,
    client: IpAddr,
) -> Result<Slot, SocketRefusal> {
    limits
        .acquire(Some(client))
        .map_err(|refusal| match refusal {
            SlotRefusal::ClientBusy => SocketRefusal::ClientBusy,
            SlotRefusal::ServerBusy => SocketRefusal::ServerBusy,
        })
}

/// What `connection_init` said, kept for every operation to check again.
#[derive(Debug, Clone)]
struct SocketCredentials {
    /// The `Authorization` value given, if any.
    authorization: Option<String>,
}

/// The schema behind one socket: checks each operation as an HTTP request
/// would be checked, now, not at `connection_init`.
#[derive(Clone)]
struct SocketExecutor {
    schema: ApiSchema,
    services: Services,
    client_ip: IpAddr,
}

/// A response that refuses an operation with `code` and `message`.
fn refusal(code: &'static str, message: &str) -> Response {
    let error = async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code));
    Response::from_errors(vec![error.into_server_error(Default::default())])
}

/// Whether the operation `request` selects is a subscription (a document
/// that does not parse is left to the schema to refuse).
fn is_subscription(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return true;
    };
    let operation = match (&document.operations, &request.operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(candidate, _)| candidate.as_str() == name)
            .map(|(_, operation)| operation),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_none_or(|operation| operation.node.ty == OperationType::Subscription)
}

/// How long until `claims` expire, from now (zero when already past).
fn until_expiry(claims: &Claims) -> Duration {
    let left = claims.exp - chrono::Utc::now().timestamp();
    Duration::from_secs(u64::try_from(left).unwrap_or(0))
}

impl Executor for SocketExecutor {
    async fn execute(&self, _request: Request) -> Response {
        refusal(
            "INVALID_INPUT",
            "only subscriptions run over a WebSocket; send queries and mutations as HTTP POST",
        )
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let executor = self.clone();
        futures::stream::once(async move {
            if !is_subscription(&request) {
                return futures::stream::once(ready(refusal(
                    "INVALID_INPUT",
                    "only subscriptions run over a WebSocket; send queries and mutations as HTTP POST",
                )))
                .boxed();
            }
            let session = session_data.unwrap_or_default();
            let authorization = session
                .get(&TypeId::of::<SocketCredentials>())
                .and_then(|value| value.downcast_ref::<SocketCredentials>())
                .and_then(|credentials| credentials.authorization.clone());
            // The token again, now: expired, or its user gone, it signs in
            // nothing; the role is the user's role now.
            let claims = match authorization {
                None => None,
                Some(authorization) => {
                    match bearer_claims(&executor.services, Some(&authorization)).await {
                        Some(claims) => Some(claims),
                        None => {
                            return futures::stream::once(ready(refusal(
                                "UNAUTHENTICATED",
                                "the token of this socket expired or no longer signs anyone in; \
                                 sign in again and open a new socket",
                            )))
                            .boxed()
                        }
                    }
                }
            };
            let expiry = claims.as_ref().map(until_expiry);
            let context = RequestContext {
                claims,
                correlation_id: Uuid::new_v4(),
                client_ip: Some(executor.client_ip),
            };
            let responses = executor
                .schema
                .execute_stream_with_session_data(request.data(context), session);
            match expiry {
                // The subscription ends with its token.
                Some(left) => responses.take_until(tokio::time::sleep(left)).boxed(),
                None => responses,
            }
        })
        .flatten()
        .boxed()
    }
}

/// The GraphQL protocol a WebSocket upgrade asks for
/// (`Sec-WebSocket-Protocol`), if it names one we speak.
pub(crate) fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|protocols| {
            protocols
                .split(',')
                .find_map(|protocol| protocol.trim().parse().ok())
        })
}

/// Serves GraphQL over `socket` for `client_ip` until either side closes it
/// or its token expires; `slot` is freed when it ends.
pub(crate) async fn serve(
    socket: WebSocket,
    schema: ApiSchema,
    services: Services,
    protocol: WebSocketProtocols,
    client_ip: IpAddr,
    slot: Slot,
) {
    let _slot = slot;
    let (expiry_sender, expiry) = oneshot::channel::<Duration>();
    let executor = SocketExecutor {
        schema,
        services: services.clone(),
        client_ip,
    };
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|message| ready(message.is_ok()))
        .filter_map(|message| {
            ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let on_init = move |payload: serde_json::Value| async move {
        let authorization = payload
            .get("Authorization")
            .or_else(|| payload.get("authorization"))
            .and_then(|value| value.as_str())
            .map(str::to_owned);
        if let Some(value) = &authorization {
            let claims = bearer_claims(&services, Some(value)).await.ok_or_else(|| {
                async_graphql::Error::new(
                    "the token is not valid or has expired; sign in again and reconnect",
                )
            })?;
            let _ = expiry_sender.send(until_expiry(&claims));
        }
        let mut data = Data::default();
        data.insert(SocketCredentials { authorization });
        Ok(data)
    };
    let mut outgoing = async_graphql::http::WebSocket::new(executor, input, protocol)
        .on_connection_init(on_init)
        .map(|message| match message {
            async_graphql::http::WsMessage::Text(text) => Message::Text(text.into()),
            async_graphql::http::WsMessage::Close(code, reason) => {
                Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                }))
            }
        });
    let mut expiry = Some(expiry);
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let expired = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => pending().await,
            }
        };
        tokio::select! {
            left = async { expiry.as_mut().expect("polled only while present").await }, if expiry.is_some() => {
                expiry = None;
                if let Ok(left) = left {
                    deadline = Some(tokio::time::Instant::now() + left);
                }
            }
            () = expired => {
                let close = Message::Close(Some(CloseFrame {
                    code: CLOSE_TOKEN_EXPIRED,
                    reason: "the token expired; sign in again and reconnect".into(),
                }));
                let _ = sink.send(close).await;
                break;
            }
            message = outgoing.next() => match message {
                Some(message) => {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_subscriptions_pass_and_a_named_operation_is_the_one_judged() {
        let cases = [
            ("subscription { events { position } }", None, true),
            ("{ me { id } }", None, false),
            ("mutation { login { token } }", None, false),
            (
                "query A { me { id } } subscription B { events { position } }",
                Some("B"),
                true,
            ),
            (
                "query A { me { id } } subscription B { events { position } }",
                Some("A"),
                false,
            ),
        ];
        for (query, name, expected) in cases {
            let mut request = Request::new(query);
            if let Some(name) = name {
                request = request.operation_name(name);
            }
            assert_eq!(is_subscription(&request), expected, "{query} {name:?}");
        }
    }
}
