//! Rate limits per client address for requests that cost us more than they
//! cost the caller: `createCheckout` (a PayPal order and a permanent event
//! each) and `POST /webhooks/paypal` (a call to PayPal each). The client is
//! the one `TRUSTED_PROXIES` names, an IPv6 address by its /64.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::auth_limits::client_key;
use crate::http::client_address;

/// `createCheckout`s one client address may start per minute, by default.
pub const CHECKOUTS_PER_MINUTE_DEFAULT: u32 = 30;
/// Webhook deliveries one address may post per minute, by default (PayPal
/// sends from a few addresses, and redelivers what we refused).
pub const WEBHOOKS_PER_MINUTE_DEFAULT: u32 = 300;
/// Addresses a limiter keeps before it forgets those back at full allowance.
const KEYS_PRUNE_AT: usize = 10_000;

/// A per-minute allowance per client address.
pub struct PerClientRate {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for PerClientRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerClientRate")
            .field("clients", &self.limiter.len())
            .finish()
    }
}

impl PerClientRate {
    /// `count` requests per client address and minute (a burst of `count`).
    pub fn per_minute(count: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(count)),
        }
    }

    /// Counts one request of `client`; `false` when its allowance is spent.
    pub fn allows(&self, client: IpAddr) -> bool {
        if self.limiter.len() > KEYS_PRUNE_AT {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&client_key(client)).is_ok()
    }
}

#[derive(Clone)]
struct Limited {
    /// What is limited, as the metric's label.
    name: &'static str,
    rate: Arc<PerClientRate>,
    trusted: Arc<[IpAddr]>,
}

/// `router` (`name` in metrics) with every request counted against its
/// client's `rate` (429 with `Retry-After` past it); `trusted` are the
/// reverse proxies whose `X-Forwarded-For` names the client.
pub fn limit_per_client(
    router: Router,
    name: &'static str,
    rate: Arc<PerClientRate>,
    trusted: Arc<[IpAddr]>,
) -> Router {
    router.layer(middleware::from_fn_with_state(
        Limited {
            name,
            rate,
            trusted,
        },
        refuse_past_rate,
    ))
}

async fn refuse_past_rate(
    State(limited): State<Limited>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let client = client_address(peer.ip(), request.headers(), &limited.trusted);
    if limited.rate.allows(client) {
        return next.run(request).await;
    }
    metrics::counter!("dropledger_requests_rate_limited_total", "what" => limited.name)
        .increment(1);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "60")],
        "too many requests from your address; wait a minute",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_allowance_and_a_64_shares_one() {
        let rate = PerClientRate::per_minute(NonZeroU32::new(2).unwrap());
        let one: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::2".parse().unwrap();
        let other: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(rate.allows(one));
        assert!(rate.allows(same_64));
        assert!(!rate.allows(one));
        assert!(rate.allows(other));
    }
}
