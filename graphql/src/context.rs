//! What the schema is given once (services) and per request (context).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use async_graphql::Context;
use dropledger_eventstore::{AppendResult, EventStore, FeedOptions, LogFeed, Metadata};
use dropledger_integrations::{
    AliExpressClient, CredentialVault, EncryptionKey, Keyring, PayPalClient, PersonalData,
    PgCredentialStore,
};
use uuid::Uuid;

pub use dropledger_workflows::payment::CheckoutUrls;

use crate::accounts::Accounts;
use crate::auth::{Claims, Role, TokenKeys};
use crate::auth_limits::AuthLimits;
use crate::client_rate::{PerClientRate, CHECKOUTS_PER_MINUTE_DEFAULT};
use crate::errors::UserError;
use crate::slots::ClientSlots;
use crate::subscription_limits::{SubscriptionLimits, SubscriptionSlots};

/// Sign-in and registration attempts one client address may make per minute.
pub const AUTH_REQUESTS_PER_MINUTE_DEFAULT: u32 = 20;

/// The AliExpress app users connect their supplier accounts to.
#[derive(Clone)]
pub struct SupplierConnection {
    /// The AliExpress client (or the local fake's).
    pub client: Arc<AliExpressClient>,
    /// "sandbox" or "production": which of a user's tokens this app makes.
    pub environment: String,
    /// Where AliExpress sends the user back: `/oauth/aliexpress/callback`.
    pub callback_url: String,
}

/// How open the API is. Production mode closes what only helps on a
/// machine of one's own: the first sign-up does not become ADMIN, and
/// GraphiQL and introspection are off unless the operator asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiPolicy {
    /// The first user to register becomes ADMIN (local and sandbox runs).
    pub first_user_becomes_admin: bool,
    /// GraphiQL at `GET /graphql` and schema introspection.
    pub schema_explorer: bool,
}

impl ApiPolicy {
    /// Local and sandbox runs: the first user becomes ADMIN, GraphiQL and
    /// introspection are on.
    pub const LOCAL: ApiPolicy = ApiPolicy {
        first_user_becomes_admin: true,
        schema_explorer: true,
    };

    /// The policy of a server in `production` (or not); `schema_explorer`:
    /// whether the operator asked for GraphiQL and introspection in
    /// production (`DROPLEDGER_GRAPHIQL=on`).
    pub fn for_mode(production: bool, schema_explorer: bool) -> Self {
        if production {
            Self {
                first_user_becomes_admin: false,
                schema_explorer,
            }
        } else {
            Self::LOCAL
        }
    }
}

/// Everything the resolvers use, shared by every request.
#[derive(Clone)]
pub struct Services {
    /// The event store: every mutation is a command through it.
    pub store: EventStore,
    /// Sign-in credentials (password hashes), outside the event log.
    pub accounts: Accounts,
    /// PayPal (or the local fake).
    pub paypal: Arc<PayPalClient>,
    /// Signs and checks the bearer tokens.
    pub tokens: TokenKeys,
    /// Return and cancel URLs of checkouts.
    pub checkout_urls: CheckoutUrls,
    /// Limits on `login` and `register`: per address, per account, in all,
    /// and on concurrent password hashing.
    pub auth_limits: Arc<AuthLimits>,
    /// Users' sealed provider credentials (supplier tokens, API keys).
    pub credentials: Option<Arc<CredentialVault<PgCredentialStore>>>,
    /// Seals the personal values events carry and opens them (under the
    /// credential keyring once [`Services::with_credentials`] gave one).
    pub personal: PersonalData,
    /// The supplier app, for `connectAliExpress` and its callback.
    pub supplier: Option<SupplierConnection>,
    /// Runs autopilot cycles (`runAutopilotCycle`); `None`: no autopilot.
    pub autopilot: Option<Arc<dyn dropledger_workflows::autopilot::AutopilotRunner>>,
    /// How open the API is; [`ApiPolicy::LOCAL`] unless set.
    pub policy: ApiPolicy,
    /// `createCheckout`s per client address and minute: each starts a
    /// PayPal order and records an event for good.
    pub checkouts: Arc<PerClientRate>,
    /// Places of queries waiting for `consistentAfter`.
    pub(crate) consistency_waiters: Arc<ClientSlots>,
    /// Places of open subscriptions, per user and in all.
    pub(crate) subscriptions: SubscriptionSlots,
    /// The one reader of the log that every subscription follows.
    pub(crate) feed: LogFeed,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from
    /// anyone else the header is ignored (anyone can send it).
    pub trusted_proxies: Arc<[IpAddr]>,
    /// How this server's process managers are doing, for `/healthz`.
    pub managers: dropledger_workflows::follow::ManagerHealth,
}

impl Services {
    /// Services with a per-address limit of `auth_requests_per_minute`
    /// sign-in and registration attempts.
    pub fn new(
        store: EventStore,
        paypal: Arc<PayPalClient>,
        tokens: TokenKeys,
        checkout_urls: CheckoutUrls,
        auth_requests_per_minute: u32,
    ) -> Self {
        // Until `with_credentials`: a key of this process only, so values
        // sealed now do not open after a restart (tests; the server always
        // passes its vault).
        let personal = PersonalData::new(Arc::new(CredentialVault::new(
            Keyring::new(EncryptionKey::generate("process")),
            PgCredentialStore::new(store.pool().clone()),
        )));
        Self {
            feed: LogFeed::new(store.clone(), FeedOptions::default()),
            accounts: Accounts::new(store.pool().clone()),
            store,
            paypal,
            tokens,
            checkout_urls,
            auth_limits: Arc::new(AuthLimits::with_per_client(auth_requests_per_minute)),
            checkouts: Arc::new(PerClientRate::per_minute(
                NonZeroU32::new(CHECKOUTS_PER_MINUTE_DEFAULT).unwrap_or(NonZeroU32::MIN),
            )),
            credentials: None,
            personal,
            supplier: None,
            autopilot: None,
            policy: ApiPolicy::LOCAL,
            consistency_waiters: crate::consistency::waiter_slots(),
            subscriptions: SubscriptionSlots::new(SubscriptionLimits::default()),
            trusted_proxies: Arc::from(Vec::new()),
            managers: dropledger_workflows::follow::ManagerHealth::new(),
        }
    }

    /// These services reporting `managers` at `/healthz`.
    pub fn with_managers(mut self, managers: dropledger_workflows::follow::ManagerHealth) -> Self {
        self.managers = managers;
        self
    }

    /// These services behind `proxies`: requests from them are counted
    /// against the client their `X-Forwarded-For` names.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Self {
        self.trusted_proxies = Arc::from(proxies);
        self
    }

    /// These services allowing `per_minute` `createCheckout`s per client
    /// address.
    pub fn with_checkouts_per_minute(mut self, per_minute: NonZeroU32) -> Self {
        self.checkouts = Arc::new(PerClientRate::per_minute(per_minute));
        self
    }

    /// These services allowing open subscriptions up to `limits`.
    pub fn with_subscription_limits(mut self, limits: SubscriptionLimits) -> Self {
        self.subscriptions = SubscriptionSlots::new(limits);
        self
    }

    /// These services under `policy` (production: see [`ApiPolicy::for_mode`]).
    pub fn with_policy(mut self, policy: ApiPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// These services with a credential vault, for the mutations that store
    /// provider credentials and the supplier's OAuth callback.
    pub fn with_credentials(mut self, vault: Arc<CredentialVault<PgCredentialStore>>) -> Self {
        self.personal = PersonalData::new(vault.clone());
        self.credentials = Some(vault);
        self
    }

    /// These services with the supplier app users connect to.
    pub fn with_supplier(mut self, supplier: SupplierConnection) -> Self {
        self.supplier = Some(supplier);
        self
    }

    /// These services with `runner` running `runAutopilotCycle`.
    pub fn with_autopilot(
        mut self,
        runner: Arc<dyn dropledger_workflows::autopilot::AutopilotRunner>,
    ) -> Self {
        self.autopilot = Some(runner);
        self
    }
}

/// What one request carries into the schema.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The verified token's claims; `None` for an anonymous caller.
    pub claims: Option<Claims>,
    /// Shared by every event this request causes.
    pub correlation_id: Uuid,
    /// The client's address, for rate limits.
    pub client_ip: Option<IpAddr>,
}

impl RequestContext {
    /// An anonymous request with a fresh correlation id.
    pub fn anonymous() -> Self {
        Self {
            claims: None,
            correlation_id: Uuid::new_v4(),
            client_ip: None,
        }
    }

    /// The caller's claims if their role is one of `allowed`: otherwise
    /// `UNAUTHENTICATED` (no token) or `FORBIDDEN`.
    pub(crate) fn require(&self, allowed: &[Role]) -> Result<&Claims, UserError> {
        let claims = self
            .claims
            .as_ref()
            .ok_or_else(UserError::unauthenticated)?;
        if allowed.contains(&claims.role) {
            Ok(claims)
        } else {
            Err(UserError::forbidden())
        }
    }

    /// Metadata of one command of this request: its correlation id, the
    /// caller as actor (or `anonymous`) and `command_id`.
    pub(crate) fn metadata(&self, command_id: Uuid) -> Metadata {
        Metadata {
            correlation_id: self.correlation_id,
            causation_id: None,
            actor: self
                .claims
                .as_ref()
                .map(|claims| claims.sub.to_string())
                .unwrap_or_else(|| "anonymous".to_owned()),
            command_id: Some(command_id),
        }
    }
}

/// The services and request context of a resolver.
pub(crate) fn parts<'a>(ctx: &Context<'a>) -> (&'a Services, RequestContext) {
    let services = ctx
        .data::<Services>()
        .expect("the schema is built with its services");
    let request = ctx
        .data_opt::<RequestContext>()
        .cloned()
        .unwrap_or_else(RequestContext::anonymous);
    (services, request)
}

/// Counts the events a command appended (`dropledger_events_appended_total`)
/// and passes its outcome on.
pub(crate) fn count_appends<T>(outcome: (T, Vec<AppendResult>)) -> (T, Vec<AppendResult>) {
    let appended: u64 = outcome
        .1
        .iter()
        .filter(|append| !append.already_stored)
        .map(|append| append.last_version + 1 - append.first_version)
        .sum();
    metrics::counter!("dropledger_events_appended_total").increment(appended);
    outcome
}
