//! How many subscriptions may be open: per user and in all.
//!
//! Subscriptions are cheap now (they share one listening connection and one
//! reader of the log, see `LogFeed`), but each still holds memory and may
//! read the store to catch up, and a socket can carry any number of them.
//! So each user gets a share and the server a ceiling; a subscription over
//! either is refused at once with `RATE_LIMITED`, saying which.

use std::num::NonZeroU32;
use std::sync::Arc;

use uuid::Uuid;

use crate::auth::Claims;
use crate::errors::{top_level, UserError};
use crate::slots::{ClientSlots, Slot, SlotRefusal};

/// Subscriptions one user may hold open at once, unless configured.
pub const SUBSCRIPTIONS_PER_USER_MAX_DEFAULT: u32 = 32;
/// Subscriptions the server holds open at once, unless configured.
pub const SUBSCRIPTIONS_MAX_DEFAULT: u32 = 512;

/// Open subscriptions allowed per user and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionLimits {
    /// Per signed-in user (every subscription needs one).
    pub per_user_max: NonZeroU32,
    /// From all users.
    pub total_max: NonZeroU32,
}

impl Default for SubscriptionLimits {
    fn default() -> Self {
        Self {
            per_user_max: NonZeroU32::new(SUBSCRIPTIONS_PER_USER_MAX_DEFAULT)
                .unwrap_or(NonZeroU32::MIN),
            total_max: NonZeroU32::new(SUBSCRIPTIONS_MAX_DEFAULT).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// The places of open subscriptions under `limits`, keyed by user.
#[derive(Debug, Clone)]
pub(crate) struct SubscriptionSlots {
    limits: SubscriptionLimits,
    slots: Arc<ClientSlots<Uuid>>,
}

impl SubscriptionSlots {
    pub(crate) fn new(limits: SubscriptionLimits) -> Self {
        Self {
            limits,
            slots: ClientSlots::new(
                limits.per_user_max.get() as usize,
                limits.total_max.get() as usize,
            ),
        }
    }

    /// A place for one more subscription of the user `claims` sign in,
    /// held for as long as the subscription runs.
    pub(crate) fn acquire(&self, claims: &Claims) -> async_graphql::Result<Slot<Uuid>> {
        self.slots.acquire(Some(claims.sub)).map_err(|refusal| {
            metrics::counter!("dropledger_subscriptions_refused_total").increment(1);
            let message = match refusal {
                SlotRefusal::ClientBusy => format!(
                    "you have {} subscriptions open already; end one before starting another",
                    self.limits.per_user_max
                ),
                SlotRefusal::ServerBusy => format!(
                    "the server holds as many subscriptions as it serves ({}); try again shortly",
                    self.limits.total_max
                ),
            };
            top_level(UserError {
                code: "RATE_LIMITED".to_owned(),
                message,
                field: None,
            })
        })
    }
}
