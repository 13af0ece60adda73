//! Commands the managers issue, with ids derived from the triggering event:
//! deciding the same step again (after a crash, a retry or a redelivery)
//! produces the same command id, hence the same event ids, and the store
//! keeps them once.

use dropledger_domain::{
    Aggregate, Order, OrderDecision, OrderError, OrderStatus, Payout, PayoutDecision, PayoutError,
    PayoutStatus, WorkingCapital,
};
use dropledger_eventstore::{CommandError, EventStore, Loaded, LoggedEvent, Metadata};
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

/// How a decision's working-capital events go onto the capital stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapitalAppend {
    /// Expecting the version the decision saw: for a decision the capital's
    /// state may forbid (placing a hold checks free capital).
    Checked,
    /// Whatever the version by then: for closing the order's own hold,
    /// which no other append to the stream can make wrong; the order's
    /// stream keeps it from happening twice.
    Commuting,
}

/// Decides a fact about an order and its currency's working capital and
/// appends both streams atomically; the order's status after it.
pub async fn decide_order<F>(
    store: &EventStore,
    order_stream: &str,
    metadata: &Metadata,
    capital_append: CapitalAppend,
    decide: F,
) -> Result<OrderStatus, CommandError<OrderError>>
where
    F: Fn(&Order, &WorkingCapital) -> Result<OrderDecision, OrderError>,
{
    let (status, _) = store
        .execute(|| async {
            let order: Loaded<Order> = store.load(order_stream, Order::default()).await?;
            let currency = order
                .state
                .total()
                .ok_or(CommandError::Refused(OrderError::NotFound))?
                .currency();
            let capital = store
                .load(
                    &WorkingCapital::stream_id(currency),
                    WorkingCapital::new(currency),
                )
                .await?;
            let decision = decide(&order.state, &capital.state).map_err(CommandError::Refused)?;
            let status = order.state.clone().replay(&decision.order).status();
            let capital_events = match capital_append {
                CapitalAppend::Checked => capital.append(&decision.capital, metadata),
                CapitalAppend::Commuting => capital.append_commuting(&decision.capital, metadata),
            };
            Ok((
                vec![order.append(&decision.order, metadata), capital_events],
                status,
            ))
        })
        .await?;
    status.ok_or(CommandError::Refused(OrderError::NotFound))
}

/// The same for a payout and working capital.
pub async fn decide_payout<F>(
    store: &EventStore,
    payout_stream: &str,
    metadata: &Metadata,
    decide: F,
) -> Result<PayoutStatus, CommandError<PayoutError>>
where
    F: Fn(&Payout, &WorkingCapital) -> Result<PayoutDecision, PayoutError>,
{
    let (status, _) = store
        .execute(|| async {
            let payout: Loaded<Payout> = store.load(payout_stream, Payout::default()).await?;
            let currency = payout
                .state
                .amount()
                .ok_or(CommandError::Refused(PayoutError::NotFound))?
                .currency();
            let capital = store
                .load(
                    &WorkingCapital::stream_id(currency),
                    WorkingCapital::new(currency),
                )
                .await?;
            let decision = decide(&payout.state, &capital.state).map_err(CommandError::Refused)?;
            let status = payout.state.clone().replay(&decision.payout).status();
            Ok((
                vec![
                    payout.append(&decision.payout, metadata),
                    capital.append(&decision.capital, metadata),
                ],
                status,
            ))
        })
        .await?;
    status.ok_or(CommandError::Refused(PayoutError::NotFound))
}
