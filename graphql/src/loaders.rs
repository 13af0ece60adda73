//! DataLoaders: a list's nested fields (a row's owner, buyer, order or
//! history) are gathered for the whole list and read once per distinct key,
//! not once per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use dropledger_domain::{OrderId, User as UserState, UserId};
use dropledger_eventstore::{EventStore, READ_EVENTS_MAX};
use dropledger_projections::OrderView;
use futures::future::try_join_all;

use crate::context::Services;
use crate::events::Event;
use crate::users::User;

/// Distinct keys one batch loads at most.
const LOADER_BATCH_KEYS_MAX: usize = 200;

/// Why a loader failed; shown to callers only as an internal error.
pub(crate) type LoadError = Arc<String>;

/// Users by id. Users live in their own streams (there is no user read
/// model), so a batch reads each distinct user's stream, concurrently.
pub(crate) struct UserLoader(EventStore);

impl Loader<UserId> for UserLoader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, User>, LoadError> {
        let loads = keys.iter().map(|user_id| async move {
            let loaded = self
                .0
                .load::<_, std::convert::Infallible>(
                    &UserState::stream_id(*user_id),
                    UserState::default(),
                )
                .await
                .map_err(|error| Arc::new(error.to_string()))?;
            Ok::<_, LoadError>((*user_id, User::loaded(&loaded.state)))
        });
        Ok(try_join_all(loads)
            .await?
            .into_iter()
            .filter_map(|(id, user)| Some((id, user?)))
            .collect())
    }
}

/// Orders by id from the commerce read model, one statement per batch.
pub(crate) struct OrderLoader(EventStore);

impl Loader<OrderId> for OrderLoader {
    type Value = OrderView;
    type Error = LoadError;

    async fn load(&self, keys: &[OrderId]) -> Result<HashMap<OrderId, OrderView>, LoadError> {
        let orders = dropledger_projections::orders_by_id(self.0.pool(), keys)
            .await
            .map_err(|error| Arc::new(error.to_string()))?;
        Ok(orders
            .into_iter()
            .map(|order| (order.order_id, order))
            .collect())
    }
}

/// Orders' histories (their streams' events), read concurrently per batch.
pub(crate) struct HistoryLoader(EventStore);

impl Loader<OrderId> for HistoryLoader {
    type Value = Vec<Event>;
    type Error = LoadError;

    async fn load(&self, keys: &[OrderId]) -> Result<HashMap<OrderId, Vec<Event>>, LoadError> {
        let reads = keys.iter().map(|order_id| async move {
            let stream = dropledger_domain::Order::stream_id(*order_id);
            let events = self
                .0
                .read_stream(&stream, 1, READ_EVENTS_MAX)
                .await
                .map_err(|error| Arc::new(error.to_string()))?;
            Ok::<_, LoadError>((
                *order_id,
                events
                    .iter()
                    .map(|event| Event::recorded(event, None))
                    .collect(),
            ))
        });
        Ok(try_join_all(reads).await?.into_iter().collect())
    }
}

/// The loaders of the schema.
pub(crate) struct Loaders {
    pub(crate) users: DataLoader<UserLoader>,
    pub(crate) orders: DataLoader<OrderLoader>,
    pub(crate) histories: DataLoader<HistoryLoader>,
}

impl Loaders {
    /// Loaders over `services`' store.
    pub(crate) fn new(services: &Services) -> Self {
        let store = &services.store;
        Self {
            users: DataLoader::new(UserLoader(store.clone()), tokio::spawn)
                .max_batch_size(LOADER_BATCH_KEYS_MAX),
            orders: DataLoader::new(OrderLoader(store.clone()), tokio::spawn)
                .max_batch_size(LOADER_BATCH_KEYS_MAX),
            histories: DataLoader::new(HistoryLoader(store.clone()), tokio::spawn)
                .max_batch_size(LOADER_BATCH_KEYS_MAX),
        }
    }
}

/// The schema's loaders.
pub(crate) fn loaders<'a>(ctx: &async_graphql::Context<'a>) -> &'a Loaders {
    ctx.data::<Loaders>()
        .expect("the schema is built with its loaders")
}
