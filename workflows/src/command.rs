//! The one command path for decisions about an aggregate and its
//! currency's working capital (an order's purchase, capture or refund; a
//! payout's reservation): load both, let the domain decide, append both
//! streams atomically, retry on a conflict. The API and the process
//! managers both go through [`decide_with_capital`].
//!
//! Commands a reaction issues carry ids derived from the triggering event
//! ([`derived_id`], [`metadata`]): deciding the same step again (after a
//! crash, a retry or a redelivery) produces the same command id, hence the
//! same event ids, and the store keeps them once.

use dropledger_domain::{
    Aggregate, CapitalEvent, Currency, Order, OrderDecision, OrderError, OrderStatus, Payout,
    PayoutDecision, PayoutError, PayoutStatus, WorkingCapital,
};
use dropledger_eventstore::{AppendResult, CommandError, EventStore, LoggedEvent, Metadata};
use uuid::Uuid;

/// An id for `step` of the reaction to `event`: the same every time.
pub fn derived_id(event: &LoggedEvent, step: &str) -> Uuid {
    Uuid::new_v5(&event.event.event_id, step.as_bytes())
}

/// Metadata of `step` caused by `event`: its flow's correlation id, the
/// event as cause, the manager as actor, and a derived command id.
pub fn metadata(event: &LoggedEvent, actor: &str, step: &str) -> Metadata {
    Metadata {
        correlation_id: event.event.metadata.correlation_id,
        causation_id: Some(event.event.event_id),
        actor: actor.to_owned(),
        command_id: Some(derived_id(event, step)),
    }
}

/// An aggregate whose decisions may move working capital.
pub trait WithCapital: Aggregate + Default + Clone + Send + Sync {
    /// The domain's decision: events for this aggregate and for capital.
    type Decision;
    /// The currency whose capital the aggregate's decisions move; `None`
    /// before the aggregate exists (the command is then refused with
    /// [`WithCapital::not_found`]).
    fn currency(&self) -> Option<Currency>;
    /// The refusal for an aggregate that does not exist.
    fn not_found() -> Self::Error;
    /// The decision's events, for this aggregate and for capital.
    fn split(decision: Self::Decision) -> (Vec<Self::Event>, Vec<CapitalEvent>);
}

impl WithCapital for Order {
    type Decision = OrderDecision;
    fn currency(&self) -> Option<Currency> {
        self.total().map(|total| total.currency())
    }
    fn not_found() -> OrderError {
        OrderError::NotFound
    }
    fn split(decision: OrderDecision) -> (Vec<Self::Event>, Vec<CapitalEvent>) {
        (decision.order, decision.capital)
    }
}

impl WithCapital for Payout {
    type Decision = PayoutDecision;
    fn currency(&self) -> Option<Currency> {
        self.amount().map(|amount| amount.currency())
    }
    fn not_found() -> PayoutError {
        PayoutError::NotFound
    }
    fn split(decision: PayoutDecision) -> (Vec<Self::Event>, Vec<CapitalEvent>) {
        (decision.payout, decision.capital)
    }
}

/// Decides a fact about the aggregate of `stream` and its currency's working
/// capital and appends both atomically; the aggregate as it is after it,
/// and what was appended. A decision with no events appends nothing (the
/// store skips empty appends): that is how a command says "recorded before".
///
/// The aggregate's stream is appended at the version the decision saw, so
/// each step of an order or a payout happens once. The capital stream is
/// not: what a decision relies on there that others can change is free
/// capital, and the store checks that at the write (its budget). So cash
/// coming in never makes a hold decide again, holds wait only for each
/// other's row lock, and a hold that no longer fits is decided again and
/// refused by the domain. Capital is loaded from this process's last view
/// of it, so a command reads only what is new, however long the history.
pub async fn decide_with_capital<A, F>(
    store: &EventStore,
    stream: &str,
    metadata: &Metadata,
    decide: F,
) -> Result<(A, Vec<AppendResult>), CommandError<A::Error>>
where
    A: WithCapital,
    F: Fn(&A, &WorkingCapital) -> Result<A::Decision, A::Error>,
{
    store
        .execute(|| async {
            let aggregate: dropledger_eventstore::Loaded<A> =
                store.load(stream, A::default()).await?;
            let currency = aggregate
                .state
                .currency()
                .ok_or(CommandError::Refused(A::not_found()))?;
            let capital = store
                .load_cached(
                    &WorkingCapital::stream_id(currency),
                    WorkingCapital::new(currency),
                )
                .await?;
            let decision =
                decide(&aggregate.state, &capital.state).map_err(CommandError::Refused)?;
            let (events, capital_events) = A::split(decision);
            let after = aggregate.state.clone().replay(&events);
            Ok((
                vec![
                    aggregate.append(&events, metadata),
                    capital.append_commuting(&capital_events, metadata),
                ],
                after,
            ))
        })
        .await
}

/// [`decide_with_capital`] for an order; its status after the decision.
pub async fn decide_order<F>(
    store: &EventStore,
    order_stream: &str,
    metadata: &Metadata,
    decide: F,
) -> Result<OrderStatus, CommandError<OrderError>>
where
    F: Fn(&Order, &WorkingCapital) -> Result<OrderDecision, OrderError>,
{
    let (order, _) = decide_with_capital(store, order_stream, metadata, decide).await?;
    order
        .status()
        .ok_or(CommandError::Refused(OrderError::NotFound))
}

/// [`decide_with_capital`] for a payout; its status after the decision.
pub async fn decide_payout<F>(
    store: &EventStore,
    payout_stream: &str,
    metadata: &Metadata,
    decide: F,
) -> Result<PayoutStatus, CommandError<PayoutError>>
where
    F: Fn(&Payout, &WorkingCapital) -> Result<PayoutDecision, PayoutError>,
{
    let (payout, _) = decide_with_capital(store, payout_stream, metadata, decide).await?;
    payout
        .status()
        .ok_or(CommandError::Refused(PayoutError::NotFound))
}
