//! The GraphQL API of dropledger: the schema (queries, mutations,
//! subscriptions over the event store and the domain), authentication, and
//! the axum router that serves it with `/healthz` and `/metrics`.
//!
//! The server binary is thin: it builds [`Services`], calls [`router`] and
//! serves it. Every mutation is a command through
//! `EventStore::execute`; business refusals come back as typed
//! `userErrors` (see [`UserError`]), never as SQL or stack traces.
//!
//! Where to start: [`build_schema`] (the schema with its depth and
//! complexity limits), [`RequestContext`] (what a request carries: claims,
//! correlation id, client address), [`TokenKeys`] (JWT HS256),
//! [`router`] (the HTTP surface).

mod accounts;
mod admins;
mod audit;
mod auth;
mod auth_limits;
mod autopilot;
mod books;
mod capture_secret;
mod catalog;
mod checkout;
mod client_rate;
mod consistency;
mod context;
mod credentials;
mod disputes;
mod erasure;
mod errors;
mod events;
mod field_concurrency;
mod fulfilment;
mod history;
mod http;
mod loaders;
mod money;
mod orders;
mod paging;
mod payout_changes;
mod payout_method;
mod platform;
mod profile;
mod read_models;
mod reauth;
mod reconciliation;
mod refunds;
mod sales;
mod schema;
mod slots;
mod subscription_limits;
mod supplier_oauth;
mod user_list;
mod users;
mod websocket;

pub use accounts::Accounts;
pub use admins::{create_admin, CreateAdminError};
pub use auth::{Claims, Role, TokenKeys, TOKEN_LIFETIME_SECONDS};
pub use auth_limits::{
    AuthLimits, AuthRefusal, AUTH_REQUESTS_PER_MINUTE_GLOBAL, LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE,
};
pub use autopilot::OPPORTUNITIES_PAGE_MAX;
pub use books::PLATFORM_CURRENCY;
pub use client_rate::{
    limit_per_client, PerClientRate, CHECKOUTS_PER_MINUTE_DEFAULT, WEBHOOKS_PER_MINUTE_DEFAULT,
};
pub use consistency::{
    CONSISTENT_AFTER_TIMEOUT_MS, CONSISTENT_AFTER_WAITERS_MAX,
    CONSISTENT_AFTER_WAITERS_PER_CLIENT_MAX,
};
pub use context::{
    ApiPolicy, CheckoutUrls, RequestContext, Services, SupplierConnection,
    AUTH_REQUESTS_PER_MINUTE_DEFAULT,
};
pub use errors::UserError;
pub use field_concurrency::ROOT_FIELDS_CONCURRENT_MAX;
pub use http::{router, CORRELATION_ID_HEADER, REQUEST_BODY_BYTES_MAX};
pub use paging::{PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX};
pub use schema::{
    build_schema, sdl, ApiSchema, MutationRoot, QueryRoot, SubscriptionRoot, QUERY_COMPLEXITY_MAX,
    QUERY_DEPTH_MAX,
};
pub use subscription_limits::{
    SubscriptionLimits, SUBSCRIPTIONS_MAX_DEFAULT, SUBSCRIPTIONS_PER_USER_MAX_DEFAULT,
};
pub use websocket::{
    SocketRefusal, CLOSE_TOKEN_EXPIRED, WEBSOCKETS_MAX, WEBSOCKETS_PER_CLIENT_MAX,
    WEBSOCKET_MESSAGE_BYTES_MAX,
};
