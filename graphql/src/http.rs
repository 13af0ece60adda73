//! The HTTP surface: `/graphql` (POST, GraphiQL on GET, WebSocket
//! subscriptions), `/healthz`, `/metrics`, with correlation ids, request
//! metrics, tracing and a body size limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequest, MatchedPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::context::{RequestContext, Services};
use crate::schema::{build_schema, ApiSchema};
use crate::slots::ClientSlots;
use crate::supplier_oauth;
use crate::websocket::{self, WEBSOCKET_MESSAGE_BYTES_MAX};
use dropledger_domain::{User, UserId};

/// Header carrying the flow's correlation id, in and out.
pub const CORRELATION_ID_HEADER: &str = "x-correlation-id";
/// Header in which trusted reverse proxies name the client.
const FORWARDED_FOR_HEADER: &str = "x-forwarded-for";
/// Largest request body accepted.
pub const REQUEST_BODY_BYTES_MAX: usize = 256 * 1024;

#[derive(Clone)]
struct AppState {
    schema: ApiSchema,
    services: Services,
    metrics: PrometheusHandle,
    sockets: Arc<ClientSlots>,
}

/// The correlation id of a request, from [`CORRELATION_ID_HEADER`] or new.
#[derive(Debug, Clone, Copy)]
struct CorrelationId(Uuid);

/// The application's routes over `services`; `metrics` renders `/metrics`.
pub fn router(services: Services, metrics: PrometheusHandle) -> Router {
    let state = AppState {
        schema: build_schema(services.clone()),
        services,
        metrics,
        sockets: websocket::socket_limits(),
    };
    Router::new()
        .route(
            "/graphql",
            get(graphql_get).post(graphql_post),
        )
        .route("/oauth/aliexpress/callback", get(aliexpress_callback))
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .layer(RequestBodyLimitLayer::new(REQUEST_BODY_BYTES_MAX))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let correlation_id = request
                .extensions()
                .get::<CorrelationId>()
                .map(|id| id.0.to_string())
                .unwrap_or_default();
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), %correlation_id)
        }))
        .layer(middleware::from_fn(correlate_and_measure))
        .with_state(state)
}

/// The `method` label of a request's metrics: one of the methods HTTP
/// defines, or `OTHER`. A client may send any token as the method, and each
/// distinct label value would be a new time series kept for ever.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("OTHER", Method::as_str)
}

/// Reads or makes the correlation id, echoes it, and counts and times the request.
async fn correlate_and_measure(mut request: Request, next: Next) -> Response {
    let correlation_id = request
        .headers()
        .get(CORRELATION_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Uuid::parse_str(value.trim()).ok())
        .unwrap_or_else(Uuid::new_v4);
    request
        .extensions_mut()
        .insert(CorrelationId(correlation_id));
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method, "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "path" => path)
        .record(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&correlation_id.to_string()) {
        response.headers_mut().insert(CORRELATION_ID_HEADER, value);
    }
    response
}

/// The claims of a valid bearer token, with the role the user has now: a
/// role changed by `setUserRole` applies from the next request, not from
/// the token's expiry. A token of a user the store does not know is anonymous.
pub(crate) async fn bearer_claims(
    services: &Services,
    value: Option<&str>,
) -> Option<crate::Claims> {
    let token = value?.trim().strip_prefix("Bearer ")?;
    let mut claims = services.tokens.verify(token.trim())?;
    let user = UserId::from_uuid(claims.sub);
    match services
        .store
        .load::<_, std::convert::Infallible>(&User::stream_id(user), User::default())
        .await
    {
        Ok(loaded) => {
            claims.role = loaded.state.role()?.into();
            Some(claims)
        }
        Err(error) => {
            tracing::error!(%error, "could not load the caller's user; treating the request as anonymous");
            None
        }
    }
}

/// The client of a request from `peer`: `peer` itself, unless it is one
/// of `trusted` proxies, in which case the right-most address of
/// `X-Forwarded-For` that is not a trusted proxy (left of it, the client
/// could have written anything).
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR_HEADER)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(hop) if trusted.contains(&hop) => continue,
            Ok(hop) => return hop,
            // A hop no proxy of ours would write: count the proxy itself.
            Err(_) => return peer,
        }
    }
    peer
}

/// Whether `headers` declare a JSON body (`application/json`, any
/// parameters). GraphQL over HTTP is JSON only: async-graphql would also
/// read `text/plain` and form bodies, which a page of any other site can
/// make a browser send (with the user's cookies, without a CORS
/// preflight); a JSON content type always needs the preflight.
fn declares_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

async fn graphql_post(
    State(state): State<AppState>,
    Extension(correlation): Extension<CorrelationId>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if !declares_json(request.headers()) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send GraphQL requests as a JSON body with Content-Type: application/json",
        )
            .into_response();
    }
    let client = client_address(
        peer.ip(),
        request.headers(),
        &state.services.trusted_proxies,
    );
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let graphql = match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await {
        Ok(graphql) => graphql,
        Err(rejection) => return rejection.into_response(),
    };
    let context = RequestContext {
        claims: bearer_claims(&state.services, authorization.as_deref()).await,
        correlation_id: correlation.0,
        client_ip: Some(client),
    };
    GraphQLResponse::from(
        state
            .schema
            .execute(graphql.into_inner().data(context))
            .await,
    )
    .into_response()
}

/// GraphiQL in a browser, or a WebSocket for subscriptions
/// (`graphql-transport-ws`; the token goes in the connection_init payload
/// as `{"Authorization": "Bearer …"}`; see `websocket.rs` for its checks).
async fn graphql_get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let (Some(protocol), Ok(upgrade)) = (websocket::protocol(&headers), upgrade) else {
        if !state.services.policy.schema_explorer {
            return (
                StatusCode::NOT_FOUND,
                "GraphiQL is off in production; POST GraphQL as JSON here, or start the \
                 server with DROPLEDGER_GRAPHIQL=on to serve GraphiQL and introspection",
            )
                .into_response();
        }
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response();
    };
    let client = client_address(peer.ip(), &headers, &state.services.trusted_proxies);
    let slot = match websocket::acquire_socket(&state.sockets, client) {
        Ok(slot) => slot,
        Err(refusal) => {
            metrics::counter!("dropledger_websockets_refused_total").increment(1);
            return (StatusCode::TOO_MANY_REQUESTS, refusal.to_string()).into_response();
        }
    };
    let schema = state.schema.clone();
    let services = state.services.clone();
    upgrade
        .max_message_size(WEBSOCKET_MESSAGE_BYTES_MAX)
        .max_frame_size(WEBSOCKET_MESSAGE_BYTES_MAX)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            websocket::serve(socket, schema, services, protocol, client, slot)
        })
}

async fn aliexpress_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(parameters): Query<supplier_oauth::CallbackParameters>,
) -> Response {
    supplier_oauth::callback(&state.services, &headers, parameters).await
}

/// 200 when the database answers and every read model is RUNNING, 503
/// otherwise; the body says per read model (see `audit::read_model_statuses`).
async fn healthz(State(state): State<AppState>) -> Response {
    let managers = manager_reports(&state.services.managers);
    match crate::audit::read_model_statuses(&state.services).await {
        Ok(projections) => {
            let healthy = projections.iter().all(|p| p.status == "RUNNING");
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let body = serde_json::json!({
                "status": if healthy { "ok" } else { "degraded" },
                "database": "reachable",
                "projections": projections,
                "processManagers": managers,
            });
            (status, axum::Json(body)).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            let body = serde_json::json!({
                "status": "down",
                "database": "unreachable",
                "processManagers": managers,
            });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

/// Every process manager of this server: its state (`RUNNING`, `STANDBY`
/// while another server holds its lock, `RESTARTING`, …), how often it
/// was restarted after a failure or a panic, and its last error. A
/// restarting manager does not make the server unhealthy: it recovers on
/// its own, and the counts tell an operator that it had to.
fn manager_reports(managers: &dropledger_workflows::follow::ManagerHealth) -> serde_json::Value {
    managers
        .reports()
        .iter()
        .map(|report| {
            serde_json::json!({
                "name": report.name,
                "state": report.state.as_str(),
                "restarts": report.restarts,
                "lastError": report.last_error,
            })
        })
        .collect()
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_names_the_client_and_only_right_of_what_the_client_wrote() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let inner: IpAddr = "10.0.0.2".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        for (peer, forwarded, trusted, expected) in [
            (client, Some("198.51.100.1"), vec![proxy], client),
            (proxy, Some("203.0.113.9"), vec![proxy], client),
            (
                proxy,
                Some("198.51.100.1, 203.0.113.9"),
                vec![proxy],
                client,
            ),
            (
                proxy,
                Some("203.0.113.9, 10.0.0.2"),
                vec![proxy, inner],
                client,
            ),
            (proxy, None, vec![proxy], proxy),
            (proxy, Some("not an address"), vec![proxy], proxy),
            (proxy, Some("203.0.113.9, junk"), vec![proxy], proxy),
            (proxy, Some("junk, 203.0.113.9"), vec![proxy], client),
            (proxy, Some("203.0.113.9"), vec![], proxy),
        ] {
            let mut headers = HeaderMap::new();
            if let Some(value) = forwarded {
                headers.insert(FORWARDED_FOR_HEADER, HeaderValue::from_static(value));
            }
            assert_eq!(
                client_address(peer, &headers, &trusted),
                expected,
                "{peer} {forwarded:?} {trusted:?}"
            );
        }
    }
}
