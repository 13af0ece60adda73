//! A sold order's other parties, loaded for one decision: its sale, the
//! sale's payouts and what its payees owe. A refund of a sold order and a
//! dispute's outcome both decide over them and append to each.

use std::collections::BTreeMap;

use dropledger_domain::{Payee, Payout, Receivable, Sale, SaleError, SaleId, SoldRefundDecision};
use dropledger_eventstore::{CommandError, EventStore, Loaded, Metadata, StreamAppend};

/// The sale, its payouts and its payees' receivables, as loaded.
pub(crate) struct SaleParties {
    pub(crate) sale: Loaded<Sale>,
    payouts: Vec<Loaded<Payout>>,
    receivables: BTreeMap<Payee, Loaded<Receivable>>,
}

impl SaleParties {
    /// Loads the sale `sale_id`, its payouts and what the admin and its
    /// seller owe.
    pub(crate) async fn load(
        store: &EventStore,
        sale_id: SaleId,
    ) -> Result<SaleParties, CommandError<SaleError>> {
        let sale: Loaded<Sale> = store
            .load(&Sale::stream_id(sale_id), Sale::default())
            .await?;
        let mut payouts = Vec::new();
        for payout_id in sale.state.payout_ids() {
            payouts.push(
                store
                    .load(&Payout::stream_id(payout_id), Payout::default())
                    .await?,
            );
        }
        let seller = sale
            .state
            .seller()
            .ok_or(CommandError::Refused(SaleError::NotRecorded))?;
        let mut receivables = BTreeMap::new();
        for payee in [Payee::Admin, Payee::User { user_id: seller }] {
            let loaded: Loaded<Receivable> = store
                .load(&payee.receivable_stream_id(), Receivable::default())
                .await?;
            receivables.insert(payee, loaded);
        }
        Ok(SaleParties {
            sale,
            payouts,
            receivables,
        })
    }

    /// The payouts as they are.
    pub(crate) fn payout_states(&self) -> Vec<Payout> {
        self.payouts.iter().map(|p| p.state.clone()).collect()
    }

    /// What each payee owes now.
    pub(crate) fn receivable_states(&self) -> BTreeMap<Payee, Receivable> {
        self.receivables
            .iter()
            .map(|(payee, loaded)| (*payee, loaded.state.clone()))
            .collect()
    }

    /// The appends of `decision` to the sale, its payouts and receivables
    /// (not the order's, nor capital's: the caller orders those).
    pub(crate) fn appends(
        &self,
        decision: &SoldRefundDecision,
        metadata: &Metadata,
    ) -> Vec<StreamAppend> {
        let mut appends = vec![self.sale.append(&decision.sale, metadata)];
        for (payout_id, events) in &decision.payouts {
            if let Some(payout) = self
                .payouts
                .iter()
                .find(|p| p.state.id() == Some(*payout_id))
            {
                appends.push(payout.append(events, metadata));
            }
        }
        for (payee, events) in &decision.receivables {
            if let Some(receivable) = self.receivables.get(payee) {
                appends.push(receivable.append(events, metadata));
            }
        }
        appends
    }
}
