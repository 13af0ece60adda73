//! Tracking by polling: for each purchased order the supplier has not yet
//! shipped (parked by fulfilment), ask the supplier for its tracking; once
//! there is a number, give it to PayPal for the capture (our defence against
//! "item not received" disputes) and record `OrderShipped`. Idempotent: the
//! PayPal request id and the command id derive from the order and number,
//! and an order already shipped is not shipped again. The supplier's order
//! is read first: one it cancelled or closed never ships, and is followed
//! until its refund instead (`supplier_cancel`).

use std::sync::Arc;

use chrono::Utc;
use dropledger_domain::{Aggregate, Order, OrderCommand, OrderId};
use dropledger_eventstore::{CommandError, EventStore, Metadata};
use dropledger_integrations::{
    AliExpressClient, CredentialVault, PayPalClient, PersonalData, PgCredentialStore, TrackingInfo,
};
use uuid::Uuid;

use crate::current::current;
use crate::error::{PollError, StoreFault};
use crate::follow::checkpoint;
use crate::fulfilment::tokens;
use crate::supplier_cancel::{self, Followed};
use crate::Mode;

/// The parked-work name of orders awaiting their tracking.
pub const AWAITING_TRACKING: &str = "tracking";
/// How often the supplier is asked.
pub const TRACKING_POLL_INTERVAL_MS: u64 = 2_000;
/// Orders asked about per poll (oldest first): a bound on one poll's work.
const ORDERS_PER_POLL_MAX: usize = 100;

/// What the tracking poller needs.
pub struct Tracking {
    /// The event store.
    pub store: EventStore,
    /// PayPal, for the tracking upload.
    pub paypal: Arc<PayPalClient>,
    /// AliExpress, for the tracking.
    pub supplier: Arc<AliExpressClient>,
    /// Sellers' supplier tokens.
    pub vault: Arc<CredentialVault<PgCredentialStore>>,
    /// Sandbox or production.
    pub mode: Mode,
    /// Seals the tracking number for the buyer before it is recorded.
    pub personal: PersonalData,
}

impl Tracking {
    /// One poll over the orders awaiting tracking.
    pub async fn poll(&self) -> Result<(), PollError> {
        let pool = self.store.pool();
        let keys = checkpoint::parked(pool, AWAITING_TRACKING, ORDERS_PER_POLL_MAX).await?;
        for key in keys {
            let Ok(order_id) = key.parse::<OrderId>() else {
                tracing::error!(%key, "an order awaiting tracking with an unusable id");
                continue;
            };
            if let Err(error) = self.track(order_id).await {
                tracing::warn!(%order_id, %error, "tracking not recorded yet");
            }
        }
        Ok(())
    }

    async fn track(&self, order_id: OrderId) -> Result<(), PollError> {
        let pool = self.store.pool();
        let key = order_id.to_string();
        let stream = Order::stream_id(order_id);
        let order = current(&self.store, &stream, Order::default()).await?;
        let (Some(supplier_order_id), Some(seller), Some(capture_id), Some(provider_order_id)) = (
            order.supplier_order_id(),
            order.seller(),
            order.capture_id(),
            order.provider_order_id(),
        ) else {
            // Not purchased (refunded, say): nothing to track.
            return Ok(checkpoint::unpark(pool, AWAITING_TRACKING, &key).await?);
        };
        if order.tracking_number().is_some() {
            return Ok(checkpoint::unpark(pool, AWAITING_TRACKING, &key).await?);
        }
        let session = tokens::session(&self.supplier, &self.vault, self.mode, seller.as_uuid())
            .await
            .map_err(|error| match error {
                tokens::TokenError::Vault(error) => PollError::Store(error.into()),
                other => PollError::supplier(other),
            })?
            .ok_or_else(|| PollError::supplier("the seller has no supplier token"))?;
        // A supplier may cancel or close an order it accepted: asked first,
        // since such an order never ships.
        let report = self
            .supplier
            .order(&session, supplier_order_id.as_str())
            .await
            .map_err(PollError::supplier)?;
        match supplier_cancel::follow(&self.store, order_id, supplier_order_id, &report).await? {
            Followed::NotCancelled => {}
            Followed::AwaitingRefund => return Ok(()),
            Followed::Settled => {
                return Ok(checkpoint::unpark(pool, AWAITING_TRACKING, &key).await?)
            }
        }
        let shipments = self
            .supplier
            .tracking(&session, supplier_order_id.as_str())
            .await
            .map_err(PollError::supplier)?;
        let Some(shipment) = shipments
            .into_iter()
            .find(|shipment| !shipment.tracking_number.is_empty())
        else {
            return Ok(());
        };
        let number = shipment.tracking_number;
        self.paypal
            .add_tracking(
                provider_order_id.as_str(),
                &TrackingInfo {
                    capture_id: capture_id.as_str().to_owned(),
                    tracking_number: number.clone(),
                    carrier: "OTHER".to_owned(),
                    carrier_name_other: Some(shipment.carrier_name.clone()),
                    notify_payer: true,
                },
                &format!("track-{order_id}-{number}"),
            )
            .await
            .map_err(PollError::paypal)?;
        // A tracking number identifies a delivery to a person: the log
        // holds it sealed for the buyer (the order, should it have none).
        let subject = order
            .buyer()
            .map_or(order_id.as_uuid(), |buyer| buyer.as_uuid());
        let sealed = self
            .personal
            .seal(subject, &number)
            .await
            .map_err(StoreFault::from)?;
        let metadata = Metadata {
            correlation_id: order_id.as_uuid(),
            causation_id: None,
            actor: "system:tracking".to_owned(),
            // One shipment per order is recorded; the id does not derive
            // from the number, which would leak it.
            command_id: Some(Uuid::new_v5(&order_id.as_uuid(), b"shipment")),
        };
        let store = &self.store;
        let outcome = store
            .execute(|| async {
                let order = store.load(&stream, Order::default()).await?;
                let events = order
                    .state
                    .decide(OrderCommand::RecordShipment {
                        tracking_number: sealed.clone(),
                        carrier: shipment.carrier_name.clone(),
                        recorded_at: Utc::now(),
                    })
                    .map_err(CommandError::Refused)?;
                Ok((vec![order.append(&events, &metadata)], ()))
            })
            .await;
        match outcome {
            Ok(_) | Err(CommandError::Refused(_)) => {
                tracing::info!(%order_id, "order shipped; tracking given to PayPal");
                Ok(checkpoint::unpark(pool, AWAITING_TRACKING, &key).await?)
            }
            Err(error) => Err(error.into()),
        }
    }
}
