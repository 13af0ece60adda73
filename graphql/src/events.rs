//! The global log as a query (a Relay connection) and a subscription.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Json, Object, SimpleObject, Subscription, ID};
use dropledger_domain::{Order as OrderState, OrderId, UserId};
use dropledger_eventstore::{LoggedEvent, RecordedEvent};
use futures::Stream;

use crate::auth::Role;
use crate::checkout::{load_order, view, OrderView};
use crate::context::parts;
use crate::errors::{internal, top_level};

/// Events one page of `events` returns at most.
pub const EVENTS_PAGE_MAX: usize = 200;
/// Events one page returns when `first` is not given.
const EVENTS_PAGE_DEFAULT: usize = 50;
/// Who may read the whole log: it holds every user's business.
const LOG_READERS: [Role; 2] = [Role::Admin, Role::Accountant];

/// One stored event with who and what caused it.
#[derive(Debug, Clone, SimpleObject)]
pub struct Event {
    /// Position in the global log, in commit order; absent in a stream's history.
    pub position: Option<i64>,
    /// Unique across the store.
    pub event_id: ID,
    /// The stream, e.g. `order-<uuid>`.
    pub stream_id: String,
    /// Version within the stream, from 1.
    pub stream_version: i64,
    /// Past-tense name, e.g. `OrderPaid`.
    pub event_type: String,
    /// Version of the payload's shape.
    pub schema_version: i32,
    /// The event's data.
    pub payload: Json<serde_json::Value>,
    /// Shared by every event of one flow.
    pub correlation_id: ID,
    /// The event or command that caused this one.
    pub causation_id: Option<ID>,
    /// A user id or `system:<process>`.
    pub actor: String,
    /// The command that decided it.
    pub command_id: Option<ID>,
    /// When the store recorded it (RFC 3339, UTC).
    pub recorded_at: String,
}

impl Event {
    /// An event read from a stream.
    pub(crate) fn recorded(event: &RecordedEvent, position: Option<u64>) -> Self {
        Self {
            position: position.map(|p| p as i64),
            event_id: ID(event.event_id.to_string()),
            stream_id: event.stream_id.clone(),
            stream_version: event.stream_version as i64,
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            payload: Json(hide_legacy_plaintext(event.payload_value())),
            correlation_id: ID(event.metadata.correlation_id.to_string()),
            causation_id: event.metadata.causation_id.map(|id| ID(id.to_string())),
            actor: event.metadata.actor.clone(),
            command_id: event.metadata.command_id.map(|id| ID(id.to_string())),
            recorded_at: event.recorded_at.to_rfc3339(),
        }
    }

    fn logged(event: &LoggedEvent) -> Self {
        Self::recorded(&event.event, Some(event.position))
    }
}

/// Shown in place of a personal value an event stored in plaintext before
/// sealing (schema version 1, read through an upcaster).
const LEGACY_PLAINTEXT_SHOWN: &str = "(hidden)";

/// `payload` with every legacy plaintext personal value hidden: the log's
/// readers (events, audit trail, order history) see personal values only
/// sealed, whether or not their subject is erased yet, so an erasure never
/// has to catch up with what they were shown.
fn hide_legacy_plaintext(mut payload: serde_json::Value) -> serde_json::Value {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(object) => {
                if let Some(plaintext) = object.get_mut("legacy_plaintext") {
                    *plaintext = serde_json::Value::from(LEGACY_PLAINTEXT_SHOWN);
                }
                object.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut payload);
    payload
}

/// Queries of the global log.
#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// The global log after a position (or after the cursor `after`), oldest
    /// first. ADMIN and ACCOUNTANT only. Its complexity is the page size
    /// times the selection's.
    #[graphql(
        complexity = "first.map_or(EVENTS_PAGE_DEFAULT, |n| n.max(0) as usize) * child_complexity"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] after_position: i64,
        after: Option<String>,
        first: Option<i32>,
    ) -> async_graphql::Result<Connection<String, Event, EmptyFields, EmptyFields>> {
        let (services, request) = parts(ctx);
        request.require(&LOG_READERS).map_err(top_level)?;
        let after = match after {
            Some(cursor) => cursor.parse::<u64>().map_err(|_| {
                top_level(crate::UserError::invalid(
                    "after",
                    "not a cursor of this connection",
                ))
            })?,
            None => u64::try_from(after_position).map_err(|_| {
                top_level(crate::UserError::invalid(
                    "afterPosition",
                    "must be 0 or more",
                ))
            })?,
        };
        let first = match first {
            None => EVENTS_PAGE_DEFAULT,
            Some(n) if n >= 0 && n as usize <= EVENTS_PAGE_MAX => n as usize,
            Some(_) => {
                return Err(top_level(crate::UserError::invalid(
                    "first",
                    format!("must be between 0 and {EVENTS_PAGE_MAX}"),
                )))
            }
        };
        // One more than asked tells whether there is a next page.
        let mut events = services
            .store
            .read_all(after, first + 1)
            .await
            .map_err(|error| internal(&error))?;
        let has_next = events.len() > first;
        events.truncate(first);
        let mut connection = Connection::new(after > 0, has_next);
        connection.edges.extend(
            events
                .iter()
                .map(|event| Edge::new(event.position.to_string(), Event::logged(event))),
        );
        Ok(connection)
    }
}

/// Subscriptions.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every event as it commits, after a position (0: from the start).
    /// ADMIN and ACCOUNTANT only; each user may hold a limited number of
    /// subscriptions open (`RATE_LIMITED` beyond it).
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 0)] after_position: i64,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Event>>> {
        let (services, request) = parts(ctx);
        let claims = request.require(&LOG_READERS).map_err(top_level)?;
        let after = u64::try_from(after_position).map_err(|_| {
            top_level(crate::UserError::invalid(
                "afterPosition",
                "must be 0 or more",
            ))
        })?;
        let place = services.subscriptions.acquire(claims)?;
        // The place is held by the stream: it is freed when the client ends
        // the subscription or its socket closes.
        let follower = services.feed.follow(after);
        Ok(futures::stream::unfold(
            (follower, place),
            |(mut follower, place)| async move {
                let next = follower
                    .next()
                    .await
                    .map(|event| Event::logged(&event))
                    .map_err(|error| internal(&error));
                Some((next, (follower, place)))
            },
        ))
    }

    /// The order after each change of its state, from now on, each message
    /// showing it as that change left it: its seller, its buyer, ADMIN and
    /// ACCOUNTANT; counted against the caller's open subscriptions.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OrderView>>> {
        let (services, request) = parts(ctx);
        let claims = request
            .require(&[Role::Admin, Role::User, Role::Accountant])
            .map_err(top_level)?
            .clone();
        let Ok(order_id) = order_id.parse::<OrderId>() else {
            return Err(top_level(crate::UserError::invalid(
                "orderId",
                "not an order id",
            )));
        };
        let loaded = load_order(services, order_id).await?;
        let caller = UserId::from_uuid(claims.sub);
        let involved =
            loaded.state.seller() == Some(caller) || loaded.state.buyer() == Some(caller);
        if loaded.state.id().is_none() {
            return Err(top_level(crate::UserError::new(
                "NOT_FOUND",
                "no such order",
            )));
        }
        if claims.role == Role::User && !involved {
            return Err(top_level(crate::UserError::forbidden()));
        }
        let place = services.subscriptions.acquire(&claims)?;
        let head = services
            .store
            .log_status()
            .await
            .map_err(|error| internal(&error))?
            .head;
        let seen_version = loaded.history.len() as u64;
        let services = services.clone();
        let stream_id = OrderState::stream_id(order_id);
        let follower = services.feed.follow(head);
        Ok(futures::stream::unfold(
            (follower, place),
            move |(mut follower, place)| {
                let services = services.clone();
                let stream_id = stream_id.clone();
                async move {
                    loop {
                        match follower.next().await {
                            // The log's head may lag a commit just made; the
                            // stream version tells what the caller has seen.
                            Ok(event)
                                if event.event.stream_id == stream_id
                                    && event.event.stream_version > seen_version =>
                            {
                                let version = event.event.stream_version;
                                let order = dropledger_workflows::load_order_as_of(
                                    &services.store,
                                    order_id,
                                    version,
                                )
                                .await
                                .map_err(|error| internal(&error))
                                .and_then(|loaded| {
                                    view(loaded).ok_or_else(|| internal(&"the order vanished"))
                                });
                                return Some((order, (follower, place)));
                            }
                            Ok(_) => continue,
                            Err(error) => return Some((Err(internal(&error)), (follower, place))),
                        }
                    }
                }
            },
        ))
    }
}
