//! The top-level fields of one request run a few at a time.
//!
//! async-graphql resolves a query's top-level fields concurrently, and
//! aliases make as many of them as the complexity limit allows: one
//! anonymous request of 200 `products(consistentAfter: …)` aliases asked
//! the database 400 things at once, and sixteen such requests queued 6,400
//! connection requests ahead of every other client's. Letting each request
//! run [`ROOT_FIELDS_CONCURRENT_MAX`] top-level fields at a time bounds what
//! one request can ask of the pool at once, so a flood of aliases waits
//! behind itself rather than in front of everyone else. Nested fields are
//! not held back: they are batched by the DataLoaders. The number is above
//! the per-client cap of queries waiting for `consistentAfter`, so that
//! aliases beyond that cap are still refused at once (`RATE_LIMITED`)
//! rather than queued behind it.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use tokio::sync::Semaphore;

/// Top-level fields one request resolves at once.
pub const ROOT_FIELDS_CONCURRENT_MAX: usize = 8;

/// Gives each request its own [`ROOT_FIELDS_CONCURRENT_MAX`] places.
pub(crate) struct RootFieldConcurrency;

impl ExtensionFactory for RootFieldConcurrency {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RootFieldPlaces(Semaphore::new(ROOT_FIELDS_CONCURRENT_MAX)))
    }
}

/// One request's places.
struct RootFieldPlaces(Semaphore);

#[async_trait::async_trait]
impl Extension for RootFieldPlaces {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        // Never closed: the semaphore lives as long as the request.
        let _place = self.0.acquire().await;
        next.run(ctx, info).await
    }
}

// Aliases beyond the per-client cap of waiting queries must reach it to be
// refused; with fewer places they would queue behind the waiting ones.
const _: () = assert!(
    ROOT_FIELDS_CONCURRENT_MAX > crate::consistency::CONSISTENT_AFTER_WAITERS_PER_CLIENT_MAX
);
