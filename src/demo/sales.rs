//! Sales: each purchased order's price split into supplier cost, fees,
//! commission and net profit, with the payouts it owes.

use anyhow::Context;
use chrono::Utc;
use dropledger_domain::{
    record_sale, EntryId, Order, OrderStatus, Payout, PayoutId, PlatformConfig, RecordOrderSale,
    Sale, SaleEvent, SaleId,
};
use dropledger_eventstore::CommandError;
use uuid::Uuid;

use super::fulfilment::Fulfilled;
use super::{progress, Demo, SYSTEM_ACTOR};

/// A payout a sale requested, with the flow it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct OwedPayout {
    /// The payout.
    pub payout_id: PayoutId,
    /// The order's correlation id.
    pub correlation_id: Uuid,
}

/// Records the sale of every purchased order; returns the payouts owed.
pub async fn record_sales(demo: &Demo, fulfilled: &[Fulfilled]) -> anyhow::Result<Vec<OwedPayout>> {
    // The commission rate in force is the platform's, as the store has it.
    let config = demo
        .store
        .load::<_, std::convert::Infallible>(
            &PlatformConfig::stream_id(),
            PlatformConfig::default(),
        )
        .await?;
    let commission_rate = config.state.commission_rate()?;
    let mut owed = Vec::new();
    for order in fulfilled
        .iter()
        .filter(|o| o.status == OrderStatus::Purchased)
    {
        let command = RecordOrderSale {
            sale_id: SaleId::from_uuid(Uuid::new_v4()),
            commission_rate,
            entry_id: EntryId::from_uuid(Uuid::new_v4()),
            admin_payout_id: PayoutId::from_uuid(Uuid::new_v4()),
            seller_payout_id: PayoutId::from_uuid(Uuid::new_v4()),
            effective_at: Utc::now(),
        };
        let payouts = record_one(demo, order, command).await?;
        owed.extend(payouts.into_iter().map(|payout_id| OwedPayout {
            payout_id,
            correlation_id: order.checkout.correlation_id,
        }));
    }
    Ok(owed)
}

/// The sale, the order's mark and the new payouts are one atomic append.
async fn record_one(
    demo: &Demo,
    fulfilled: &Fulfilled,
    command: RecordOrderSale,
) -> anyhow::Result<Vec<PayoutId>> {
    let order_id = fulfilled.checkout.order_id;
    let order_stream = Order::stream_id(order_id);
    let sale_stream = Sale::stream_id(command.sale_id);
    let metadata = demo.metadata(fulfilled.checkout.correlation_id, SYSTEM_ACTOR);
    let (decision, _) = demo
        .store
        .execute(|| async {
            let order = demo.store.load(&order_stream, Order::default()).await?;
            let sale = demo.store.load(&sale_stream, Sale::default()).await?;
            let decision = record_sale(&order.state, &sale.state, command.clone())
                .map_err(CommandError::Refused)?;
            let mut appends = vec![
                order.append(&decision.order, &metadata),
                sale.append(&decision.sale, &metadata),
            ];
            for (payout_id, events) in &decision.payouts {
                let payout = demo
                    .store
                    .load(&Payout::stream_id(*payout_id), Payout::default())
                    .await?;
                appends.push(payout.append(events, &metadata));
            }
            Ok((appends, decision))
        })
        .await
        .with_context(|| format!("recording the sale of order {order_id}"))?;
    if let Some(refused) = &decision.refused {
        progress(
            "sale",
            format!("order {order_id}: flagged for review: {refused}"),
        );
        return Ok(Vec::new());
    }
    for SaleEvent::SaleRecorded { breakdown, .. } in &decision.sale {
        progress(
            "sale",
            format!(
                "order {order_id}: sold {} = supplier {} + fees {} + commission {} + net profit {}",
                breakdown.sale_price(),
                breakdown.supplier_cost(),
                breakdown.fees(),
                breakdown.commission(),
                breakdown.net_profit()
            ),
        );
    }
    Ok(decision
        .payouts
        .iter()
        .map(|(payout_id, _)| *payout_id)
        .collect())
}
