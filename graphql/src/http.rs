//! The HTTP surface: `/graphql` (POST, GraphiQL on GET, WebSocket
//! subscriptions), `/healthz`, `/metrics`, with correlation ids, request
//! metrics, tracing and a body size limit.

use std::net::SocketAddr;
use std::time::Instant;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, MatchedPath, Query, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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
use crate::supplier_oauth;
use dropledger_domain::{User, UserId};

/// Header carrying the flow's correlation id, in and out.
pub const CORRELATION_ID_HEADER: &str = "x-correlation-id";
/// Largest request body accepted.
pub const REQUEST_BODY_BYTES_MAX: usize = 256 * 1024;

#[derive(Clone)]
struct AppState {
    schema: ApiSchema,
    services: Services,
    metrics: PrometheusHandle,
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
    };
    Router::new()
        .route(
            "/graphql",
            get(graphql_get).post(graphql_post.layer(middleware::from_fn(require_json))),
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
    let method = request.method().to_string();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status)
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
async fn bearer_claims(services: &Services, value: Option<&str>) -> Option<crate::Claims> {
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

/// Refuses a POST whose body is not declared JSON (415), before anything
/// reads it.
///
/// A page on another site can make a browser POST here without asking
/// first (no CORS preflight) only with a "simple" content type —
/// `text/plain`, a form encoding, or none — and async-graphql would parse
/// such a body as JSON all the same. Requiring `application/json` makes
/// every cross-site request a preflighted one, which this server never
/// approves; the web app and every client send JSON anyway.
async fn require_json(request: Request, next: Next) -> Response {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| {
            let essence = essence.trim();
            essence.eq_ignore_ascii_case("application/json")
                || essence.eq_ignore_ascii_case("application/graphql-response+json")
        })
        .unwrap_or(false);
    if json {
        return next.run(request).await;
    }
    let body = serde_json::json!({ "errors": [{
        "message": "send the request as application/json",
        "extensions": { "code": "UNSUPPORTED_MEDIA_TYPE" },
    }] });
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, axum::Json(body)).into_response()
}

async fn graphql_post(
    State(state): State<AppState>,
    Extension(correlation): Extension<CorrelationId>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let context = RequestContext {
        claims: bearer_claims(&state.services, authorization).await,
        correlation_id: correlation.0,
        client_ip: Some(peer.ip()),
    };
    state
        .schema
        .execute(request.into_inner().data(context))
        .await
        .into()
}

/// GraphiQL in a browser, or a WebSocket for subscriptions
/// (`graphql-transport-ws`; the token goes in the connection_init payload
/// as `{"Authorization": "Bearer …"}`).
async fn graphql_get(
    State(state): State<AppState>,
    Extension(correlation): Extension<CorrelationId>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    protocol: Result<
        GraphQLProtocol,
        <GraphQLProtocol as axum::extract::FromRequestParts<AppState>>::Rejection,
    >,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let (Ok(protocol), Ok(upgrade)) = (protocol, upgrade) else {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response();
    };
    let schema = state.schema.clone();
    let services = state.services.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload: serde_json::Value| async move {
                    let services = services;
                    let authorization = payload
                        .get("Authorization")
                        .or_else(|| payload.get("authorization"))
                        .and_then(|value| value.as_str());
                    let mut data = Data::default();
                    data.insert(RequestContext {
                        claims: bearer_claims(&services, authorization).await,
                        correlation_id: correlation.0,
                        client_ip: Some(peer.ip()),
                    });
                    Ok(data)
                })
                .serve()
        })
}

async fn aliexpress_callback(
    State(state): State<AppState>,
    Query(parameters): Query<supplier_oauth::CallbackParameters>,
) -> Response {
    supplier_oauth::callback(&state.services, parameters).await
}

/// 200 when the database answers and every read model is RUNNING, 503
/// otherwise; the body says per read model (see `audit::read_model_statuses`).
async fn healthz(State(state): State<AppState>) -> Response {
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
            });
            (status, axum::Json(body)).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            let body = serde_json::json!({ "status": "down", "database": "unreachable" });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}
