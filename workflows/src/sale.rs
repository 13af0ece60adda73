//! Sales: when an order is PURCHASED, record its sale — price split into
//! supplier cost, fees, commission and net profit, with the two payouts it
//! owes, less what each payee owes back from earlier refunds — or, when the
//! profit guard refuses it, flag the order for review.

use chrono::Utc;
use std::collections::BTreeMap;

use dropledger_domain::{
    record_sale_netting, EntryId, Order, OrderEventType, OrderStatus, Payee, Payout, PayoutId,
    PlatformConfig, Receivable, RecordOrderSale, Sale, SaleId, StreamKind,
};
use dropledger_eventstore::{CommandError, EventStore, LoggedEvent};

use crate::command::{derived_id, metadata};
use crate::current::current;
use crate::error::{split_refusal, StoreFault};
use crate::follow::{event_type, Reaction, Retry, StepError};

/// The actor on the events the sale manager records.
const ACTOR: &str = "system:sale";

/// The sale manager.
pub struct Sales {
    /// The event store.
    pub store: EventStore,
}

/// Why a sale was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum SaleError {
    /// Ours: the store failed. Retried until it passes.
    #[error(transparent)]
    Store(#[from] StoreFault),
    /// The platform's configuration or the order does not allow it (no
    /// commission set, a refusal): left for a person, the order PURCHASED
    /// and unsold.
    #[error("{0}")]
    Refused(String),
}

impl StepError for SaleError {
    fn retry(&self) -> Retry {
        match self {
            SaleError::Store(_) => Retry::UntilDone,
            SaleError::Refused(_) => Retry::Bounded,
        }
    }
}

impl Reaction for Sales {
    type Error = SaleError;

    fn name(&self) -> &'static str {
        "sale"
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        event_type(event) == Some(OrderEventType::OrderPurchased)
    }

    async fn react(&self, event: &LoggedEvent) -> Result<(), SaleError> {
        let Ok(StreamKind::Order(order_id)) = StreamKind::parse(&event.event.stream_id) else {
            return Err(SaleError::Refused(format!(
                "{} is not an order stream",
                event.event.stream_id
            )));
        };
        let config = current(
            &self.store,
            &PlatformConfig::stream_id(),
            PlatformConfig::default(),
        )
        .await?;
        let commission_rate = config
            .commission_rate()
            .map_err(|error| SaleError::Refused(error.to_string()))?;
        // Ids derive from the order, so the sale and its payouts exist once
        // whatever reacts to the purchase, however often.
        let namespace = order_id.as_uuid();
        let command = RecordOrderSale {
            sale_id: SaleId::from_uuid(uuid::Uuid::new_v5(&namespace, b"sale")),
            commission_rate,
            entry_id: EntryId::from_uuid(derived_id(event, "sale-entry")),
            admin_payout_id: PayoutId::from_uuid(uuid::Uuid::new_v5(&namespace, b"payout:admin")),
            seller_payout_id: PayoutId::from_uuid(uuid::Uuid::new_v5(&namespace, b"payout:seller")),
            effective_at: Utc::now(),
        };
        let order_stream = Order::stream_id(order_id);
        let sale_stream = Sale::stream_id(command.sale_id);
        let metadata = metadata(event, ACTOR, "record-sale");
        let store = &self.store;
        let (refused, _) = store
            .execute(|| async {
                let order = store.load(&order_stream, Order::default()).await?;
                // Done before: sold, or flagged by the profit guard.
                if order.state.status() != Some(OrderStatus::Purchased)
                    || order.state.sale_id().is_some()
                    || order.state.review_reason().is_some()
                {
                    return Ok((Vec::new(), None));
                }
                let sale = store.load(&sale_stream, Sale::default()).await?;
                // What the payees owe back is kept from their new payouts;
                // each receivable is appended with its expected version, so
                // a debt is never netted twice.
                let mut receivables = BTreeMap::new();
                if let Some(seller) = order.state.seller() {
                    for payee in [Payee::Admin, Payee::User { user_id: seller }] {
                        let loaded = store
                            .load(&payee.receivable_stream_id(), Receivable::default())
                            .await?;
                        receivables.insert(payee, loaded);
                    }
                }
                let owed: BTreeMap<Payee, Receivable> = receivables
                    .iter()
                    .map(|(payee, loaded)| (*payee, loaded.state.clone()))
                    .collect();
                let decision =
                    record_sale_netting(&order.state, &sale.state, &owed, command.clone())
                        .map_err(CommandError::Refused)?;
                let mut appends = vec![
                    order.append(&decision.order, &metadata),
                    sale.append(&decision.sale, &metadata),
                ];
                for (payout_id, events) in &decision.payouts {
                    let payout = store
                        .load(&Payout::stream_id(*payout_id), Payout::default())
                        .await?;
                    appends.push(payout.append(events, &metadata));
                }
                for (payee, events) in &decision.receivables {
                    if let Some(receivable) = receivables.get(payee) {
                        appends.push(receivable.append(events, &metadata));
                    }
                }
                Ok((appends, decision.refused.map(|refusal| refusal.to_string())))
            })
            .await
            .map_err(|error| match split_refusal(error) {
                Ok(refusal) => {
                    SaleError::Refused(format!("the sale of order {order_id}: {refusal}"))
                }
                Err(fault) => SaleError::Store(fault),
            })?;
        if let Some(refusal) = refused {
            tracing::warn!(%order_id, %refusal, "the profit guard refused the sale: order flagged for review");
        }
        Ok(())
    }

    async fn give_up(&self, event: &LoggedEvent, error: &SaleError) -> Result<(), SaleError> {
        // Nothing to decide on the order: the failure stays visible in
        // `process_checkpoint.last_error` (and the order PURCHASED unsold).
        tracing::error!(stream = %event.event.stream_id, %error, "the sale could not be recorded");
        Ok(())
    }
}
