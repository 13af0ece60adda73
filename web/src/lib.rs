//! The web app of dropledger — the storefront and the dashboard — served by
//! `dropledger serve` from the same origin as `/graphql`.
//!
//! The app is a set of ES modules (Preact and htm, vendored as files) that
//! the browser runs as they are: what is in `static/` is what is served, so
//! there is no build step between an edit and the binary. It talks to the
//! server through the public GraphQL API only; this crate knows nothing of
//! the business and depends on axum alone.
//!
//! [`router`] answers the app's pages with `index.html` and the files under
//! `/assets/<version>/…`, every answer with a strict Content-Security-Policy.

mod assets;
mod headers;

pub use assets::{asset_path, ASSET_VERSION};
pub use headers::CONTENT_SECURITY_POLICY;

use axum::routing::get;
use axum::Router;

/// The paths the app answers with its page (`{…}` is one path segment,
/// `{*…}` any rest); the app's own router shows the right view.
///
/// Explicit paths rather than a fallback, so that the server's other routes
/// (`/graphql`, `/healthz`, `/metrics`, the webhooks, the OAuth callback,
/// `/internal/…`) can never be shadowed, and an unknown path stays a 404.
pub const APP_ROUTES: [&str; 9] = [
    "/",
    "/products/{id}",
    "/checkout/return",
    "/checkout/cancel",
    "/orders/{id}",
    "/signin",
    "/register",
    "/dashboard",
    "/dashboard/{*section}",
];

/// The web app's routes, to be merged into the server's router.
pub fn router() -> Router {
    let mut router = Router::new();
    for path in APP_ROUTES {
        router = router.route(path, get(assets::app_page));
    }
    router
        .route("/assets/{version}/{*path}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
        .layer(axum::middleware::map_response(headers::secure))
}
