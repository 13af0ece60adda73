//! The server's limits and switches: rates, intervals, trusted proxies and
//! the schema explorer, each with its default when not given.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use dropledger_graphql::{
    SubscriptionLimits, AUTH_REQUESTS_PER_MINUTE_DEFAULT, CHECKOUTS_PER_MINUTE_DEFAULT,
    WEBHOOKS_PER_MINUTE_DEFAULT,
};

use super::problems::{whole_number_within, Problems};
use super::{
    ServerSettingsInput, RECONCILIATION_INTERVAL_SECS_DEFAULT, RECONCILIATION_INTERVAL_SECS_MAX,
    RECONCILIATION_INTERVAL_SECS_MIN,
};

impl ServerSettingsInput {
    /// Sign-up and sign-in attempts per client address and minute.
    pub(super) fn auth_requests_per_minute(&self, problems: &mut Problems) -> NonZeroU32 {
        problems
            .parse(
                "AUTH_REQUESTS_PER_MINUTE",
                self.auth_requests_per_minute.as_deref(),
                |value| {
                    value
                        .parse::<NonZeroU32>()
                        .map_err(|_| "must be a whole number above zero".to_owned())
                },
            )
            .unwrap_or(NonZeroU32::new(AUTH_REQUESTS_PER_MINUTE_DEFAULT).unwrap_or(NonZeroU32::MIN))
    }

    /// `createCheckout`s per client address and minute.
    pub(super) fn checkouts_per_minute(&self, problems: &mut Problems) -> NonZeroU32 {
        count_above_zero(
            problems,
            "CHECKOUTS_PER_MINUTE",
            self.checkouts_per_minute.as_deref(),
            CHECKOUTS_PER_MINUTE_DEFAULT,
        )
    }

    /// Deliveries to `/webhooks/paypal` per client address and minute.
    pub(super) fn webhooks_per_minute(&self, problems: &mut Problems) -> NonZeroU32 {
        count_above_zero(
            problems,
            "WEBHOOKS_PER_MINUTE",
            self.webhooks_per_minute.as_deref(),
            WEBHOOKS_PER_MINUTE_DEFAULT,
        )
    }

    /// Open GraphQL subscriptions per user and in all.
    pub(super) fn subscription_limits(&self, problems: &mut Problems) -> SubscriptionLimits {
        let defaults = SubscriptionLimits::default();
        SubscriptionLimits {
            per_user_max: count_above_zero(
                problems,
                "SUBSCRIPTIONS_PER_USER_MAX",
                self.subscriptions_per_user_max.as_deref(),
                defaults.per_user_max.get(),
            ),
            total_max: count_above_zero(
                problems,
                "SUBSCRIPTIONS_MAX",
                self.subscriptions_max.as_deref(),
                defaults.total_max.get(),
            ),
        }
    }

    /// How often cash is reconciled.
    pub(super) fn reconciliation_interval(&self, problems: &mut Problems) -> Duration {
        problems
            .parse(
                "RECONCILIATION_INTERVAL_SECS",
                self.reconciliation_interval_secs.as_deref(),
                |value| {
                    whole_number_within(
                        value,
                        RECONCILIATION_INTERVAL_SECS_MIN..=RECONCILIATION_INTERVAL_SECS_MAX,
                    )
                },
            )
            .map_or(
                Duration::from_secs(RECONCILIATION_INTERVAL_SECS_DEFAULT),
                Duration::from_secs,
            )
    }

    /// The reverse proxies trusted to name the client.
    pub(super) fn trusted_proxies(&self, problems: &mut Problems) -> Vec<IpAddr> {
        problems
            .parse("TRUSTED_PROXIES", self.trusted_proxies.as_deref(), |list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(|entry| {
                        entry.parse::<IpAddr>().map_err(|_| {
                            format!("`{entry}` is not an IP address (list the proxies' addresses, comma-separated)")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// GraphiQL and introspection asked for in production.
    pub(super) fn schema_explorer(&self, problems: &mut Problems) -> bool {
        problems
            .parse(
                "DROPLEDGER_GRAPHIQL",
                self.graphiql.as_deref(),
                |value| match value {
                    "on" => Ok(true),
                    "off" => Ok(false),
                    _ => Err("must be on or off".to_owned()),
                },
            )
            .unwrap_or(false)
    }
}

/// A count above zero named `name`, or `default` when not given.
fn count_above_zero(
    problems: &mut Problems,
    name: &str,
    given: Option<&str>,
    default: u32,
) -> NonZeroU32 {
    problems
        .parse(name, given, |value| {
            value
                .parse::<NonZeroU32>()
                .map_err(|_| "must be a whole number above zero".to_owned())
        })
        .unwrap_or(NonZeroU32::new(default).unwrap_or(NonZeroU32::MIN))
}
