//! Security headers on every answer of the web app.

use axum::http::{header, HeaderValue};
use axum::response::Response;

/// The Content-Security-Policy of every page and asset.
///
/// - Scripts only from this origin, as files: no inline script, no
///   `eval` (htm compiles templates without it), no third-party code.
/// - `connect-src 'self'`: the app talks to `/graphql` over HTTP and its
///   WebSocket (CSP 3 lets `'self'` match same-origin `ws:`/`wss:`), and to
///   nothing else, so a script that did run could not send a token away.
/// - Trusted Types with no policy: assigning a string to `innerHTML` or
///   another HTML sink throws; Preact and htm build the DOM node by node,
///   so text from the API can never become markup.
/// - No framing (clickjacking), no `<base>`, no plugins; forms post only
///   here (the app posts none: it calls the API with `fetch`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

/// Adds the security headers (kept if a handler set its own).
pub(crate) async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        // Served types are exact: never let a browser guess a script.
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        // `/checkout/return?token=…` carries PayPal's order id: no page of
        // ours tells another site where it came from.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        // For browsers that predate `frame-ancestors`.
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
    ];
    for (name, value) in fixed {
        headers.entry(name).or_insert(value);
    }
    response
}
