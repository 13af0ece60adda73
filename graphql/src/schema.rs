//! The schema: roots, limits and SDL.

use async_graphql::{MergedObject, Schema};

use crate::autopilot::{AutopilotMutation, AutopilotQuery};
use crate::catalog::CatalogMutation;
use crate::checkout::{CheckoutMutation, OrderQuery};
use crate::context::Services;
use crate::credentials::{CredentialMutation, CredentialQuery};
use crate::disputes::{DisputeMutation, DisputeQuery};
use crate::erasure::ErasureMutation;
use crate::events::EventQuery;
pub use crate::events::SubscriptionRoot;
use crate::payout_method::PayoutMethodMutation;
use crate::platform::{PlatformMutation, PlatformQuery};
use crate::read_models::ReadModelQuery;
use crate::refunds::RefundMutation;
use crate::user_list::UserListQuery;
use crate::users::{UserMutation, UserQuery};

/// Deepest selection accepted: deeper queries are refused before they run.
pub const QUERY_DEPTH_MAX: usize = 12;
/// Most fields (weighted by list sizes) one query may select.
pub const QUERY_COMPLEXITY_MAX: usize = 2_000;

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    UserQuery,
    UserListQuery,
    OrderQuery,
    EventQuery,
    ReadModelQuery,
    CredentialQuery,
    AutopilotQuery,
    DisputeQuery,
    PlatformQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    UserMutation,
    PlatformMutation,
    CatalogMutation,
    CheckoutMutation,
    CredentialMutation,
    PayoutMethodMutation,
    ErasureMutation,
    RefundMutation,
    DisputeMutation,
    AutopilotMutation,
    crate::fulfilment::FulfilmentMutation,
);

/// The API's schema.
pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema over `services`, with depth and complexity limits.
/// Introspection only when the services' policy allows it (production:
/// only when asked for).
pub fn build_schema(services: Services) -> ApiSchema {
    let explorer = services.policy.schema_explorer;
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .data(crate::loaders::Loaders::new(&services))
    .data(services)
    .limit_depth(QUERY_DEPTH_MAX)
    .limit_complexity(QUERY_COMPLEXITY_MAX)
    .extension(crate::field_concurrency::RootFieldConcurrency);
    if explorer {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The schema's SDL, as checked in at `graphql/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot,
    )
    .finish()
    .sdl()
}
