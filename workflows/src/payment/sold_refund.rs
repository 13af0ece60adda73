//! Recording a refund of a sold order, made at PayPal: one append to the
//! order, working capital, the sale, the sale's unsent payouts and what its
//! payees owe back (`refund_sold_order` decides them all).

use dropledger_domain::{
    refund_sold_order, request_refund, Aggregate, Order, OrderId, OrderStatus, RefundPayment,
    RequestRefund, SaleError, WorkingCapital,
};
use dropledger_eventstore::{AppendResult, CommandError, EventStore, Loaded, Metadata};
use uuid::Uuid;

use super::sale_parties::SaleParties;
use super::PaymentError;

/// Records `completion` on the sold order `order_id`, once (a refund id
/// recorded before records nothing). When the order has no refund asked
/// for (a refund made in PayPal's dashboard), `intent` is recorded first in
/// the same append.
pub async fn record_sold_refund(
    store: &EventStore,
    order_id: OrderId,
    intent: Option<RequestRefund>,
    completion: RefundPayment,
    metadata: &Metadata,
) -> Result<Vec<AppendResult>, PaymentError> {
    let order_stream = Order::stream_id(order_id);
    // Each attempt is a command of its own: callers finishing one refund at
    // once carry their own times and actors, so their events differ. Which
    // one records it is decided by the order's expected version, and the
    // refund ids the order remembers make every later attempt a no-op.
    let metadata = &Metadata {
        command_id: Some(Uuid::new_v4()),
        ..metadata.clone()
    };
    let (_, appends) = store
        .execute(|| async {
            let order: Loaded<Order> = store.load(&order_stream, Order::default()).await?;
            if order.state.has_refund(&completion.refund_id) {
                return Ok((Vec::new(), ()));
            }
            let (Some(currency), Some(sale_id)) = (
                order.state.total().map(|total| total.currency()),
                order.state.sale_id(),
            ) else {
                return Err(CommandError::Refused(SaleError::NotRecorded));
            };
            // Asked for by us (the intent is there), or made outside: then
            // the intent and its completion are decided together.
            let capital = store
                .load_cached(
                    &WorkingCapital::stream_id(currency),
                    WorkingCapital::new(currency),
                )
                .await?;
            let mut asked = Vec::new();
            if order.state.status() != Some(OrderStatus::RefundRequested) {
                let Some(intent) = intent.clone() else {
                    return Err(CommandError::Refused(SaleError::NotRecorded));
                };
                asked = request_refund(&order.state, &capital.state, intent)
                    .map_err(|error| CommandError::Refused(error.into()))?
                    .order;
            }
            let order_now = order.state.clone().replay(&asked);
            let parties = SaleParties::load(store, sale_id).await?;
            let mut decision = refund_sold_order(
                &order_now,
                &capital.state,
                &parties.sale.state,
                &parties.payout_states(),
                &parties.receivable_states(),
                completion.clone(),
            )
            .map_err(CommandError::Refused)?;
            decision.order.splice(0..0, asked);
            let mut appends = vec![order.append(&decision.order, metadata)];
            appends.extend(parties.appends(&decision, metadata));
            // Capital last, as every command appends it (a payout's
            // reservation: payout, then capital): no one holds the capital
            // stream while waiting for another, so appends cannot deadlock.
            appends.push(capital.append_commuting(&decision.capital, metadata));
            Ok((appends, ()))
        })
        .await?;
    Ok(appends)
}
