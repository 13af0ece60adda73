//! Fulfilment: when an order is PAID (captured, or a retry was asked for),
//! check the supplier's price and stock, read the buyer's shipping address
//! from PayPal, reserve working capital, buy with the seller's AliExpress
//! token, and record PURCHASED or FAILED.
//!
//! Each step is idempotent: the hold id and command ids derive from the
//! triggering event, and the supplier order is keyed by `out_order_id` =
//! our order id, so a crash between buying and recording buys once.

mod shipping;
pub mod supplier;
pub mod tokens;

use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use dropledger_domain::{
    confirm_purchase, fail_purchase, start_purchase, ConfirmPurchase, EntryId, FailPurchase,
    FailureReason, HoldId, Order, OrderId, OrderStatus, Product, StartPurchase, StreamKind,
    SupplierOrderId,
};
use dropledger_eventstore::{EventStore, LoggedEvent};
use dropledger_integrations::{
    AliExpressClient, CredentialVault, PayPalClient, PgCredentialStore, SecretString,
};

use crate::automation::commands::{decide_order, derived_id, metadata, CapitalAppend};
use crate::automation::runner::Reaction;
use crate::providers::Mode;
use shipping::buyer_address;
use supplier::{buy, check_offer, SupplierError, Wanted};

/// The actor on the events fulfilment records.
const ACTOR: &str = "system:fulfilment";

/// The fulfilment manager.
pub struct Fulfilment {
    /// The event store.
    pub store: EventStore,
    /// AliExpress.
    pub supplier: Arc<AliExpressClient>,
    /// PayPal: where each buyer wants their goods.
    pub paypal: Arc<PayPalClient>,
    /// Sellers' sealed supplier tokens.
    pub vault: Arc<CredentialVault<PgCredentialStore>>,
    /// Sandbox or production.
    pub mode: Mode,
}

/// Orders fulfilled at once. Each step mostly waits on the supplier and
/// PayPal; the holds still serialise on the capital stream, so several
/// orders never spend the same money.
const FULFILMENT_CONCURRENCY: usize = 8;

impl Reaction for Fulfilment {
    fn name(&self) -> &'static str {
        "fulfilment"
    }

    fn concurrency(&self) -> usize {
        FULFILMENT_CONCURRENCY
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        matches!(
            event.event.event_type.as_str(),
            "OrderPaid" | "OrderRetryRequested"
        )
    }

    async fn react(&self, event: &LoggedEvent) -> anyhow::Result<()> {
        let order_id = order_id(event)?;
        let stream = Order::stream_id(order_id);
        let order = self
            .store
            .load::<_, std::convert::Infallible>(&stream, Order::default())
            .await?
            .state;
        // The order's status says which step is next; any other status means
        // this event's work is done (or was superseded by a later one).
        match order.status() {
            Some(OrderStatus::Paid) | Some(OrderStatus::Purchasing) => {}
            _ => return Ok(()),
        }
        match self.fulfil(event, &stream, &order).await {
            Ok(()) => Ok(()),
            Err(error) if !error.is_retryable() => {
                self.fail(event, &stream, error.failure_reason()).await
            }
            Err(error) => {
                Err(anyhow::Error::new(error).context(format!("fulfilling order {order_id}")))
            }
        }
    }

    async fn give_up(&self, event: &LoggedEvent, error: &anyhow::Error) -> anyhow::Result<()> {
        let reason = error.downcast_ref::<SupplierError>().map_or(
            FailureReason::SupplierUnavailable,
            SupplierError::failure_reason,
        );
        self.fail(event, &Order::stream_id(order_id(event)?), reason)
            .await
    }
}

impl Fulfilment {
    /// Check, reserve, buy, confirm — resuming at whichever step the order is.
    async fn fulfil(
        &self,
        event: &LoggedEvent,
        stream: &str,
        order: &Order,
    ) -> Result<(), SupplierError> {
        let wanted = self.wanted(order).await.map_err(|error| {
            tracing::error!(error = %format!("{error:#}"), "reading the order's product");
            SupplierError::Answer("no product for the order")
        })?;
        let seller = order.seller().expect("a paid order has a seller");
        let session = self.session(seller.as_uuid()).await?;
        let offer = check_offer(&self.supplier, &session, &wanted).await?;
        // Nowhere to ship is found out before any capital is held.
        let address = buyer_address(&self.paypal, order).await?;
        if order.status() == Some(OrderStatus::Paid) {
            let command = StartPurchase {
                hold_id: HoldId::from_uuid(derived_id(event, "hold")),
                started_at: Utc::now(),
            };
            let status = decide_order(
                &self.store,
                stream,
                &metadata(event, ACTOR, "start"),
                CapitalAppend::Checked,
                |order, capital| start_purchase(order, capital, command.clone()),
            )
            .await
            .map_err(store_failure)?;
            if status != OrderStatus::Purchasing {
                tracing::info!(
                    status = status.as_str(),
                    "free capital does not cover the purchase"
                );
                return Ok(());
            }
        }
        let out_order_id = order.id().expect("a paid order has an id").to_string();
        let (supplier_order_id, cost) = buy(
            &self.supplier,
            &session,
            &out_order_id,
            &wanted,
            &offer,
            address,
        )
        .await?;
        let command = ConfirmPurchase {
            supplier_order_id: SupplierOrderId::parse(&supplier_order_id)
                .map_err(|_| SupplierError::Answer("an unusable supplier order id"))?,
            supplier_cost: cost,
            entry_id: EntryId::from_uuid(derived_id(event, "purchase-entry")),
            confirmed_at: Utc::now(),
        };
        decide_order(
            &self.store,
            stream,
            &metadata(event, ACTOR, "confirm"),
            CapitalAppend::Commuting,
            |order, capital| confirm_purchase(order, capital, command.clone()),
        )
        .await
        .map_err(store_failure)?;
        tracing::info!(%supplier_order_id, %cost, quoted = %offer.landed_cost, "order PURCHASED");
        // The tracking poller asks the supplier until it ships.
        crate::automation::checkpoint::park(
            self.store.pool(),
            crate::tracking::AWAITING_TRACKING,
            &out_order_id,
            "PURCHASED: awaiting the supplier's tracking",
        )
        .await
        .map_err(|error| {
            tracing::warn!(%error, "parking the order for tracking");
            SupplierError::Answer("a step the store could not record")
        })?;
        Ok(())
    }

    /// The supplier product, units and reservation of the order.
    async fn wanted(&self, order: &Order) -> anyhow::Result<Wanted> {
        let product_id = order.product_id().context("no product")?;
        let product = self
            .store
            .load::<_, std::convert::Infallible>(
                &Product::stream_id(product_id),
                Product::default(),
            )
            .await?
            .state;
        Ok(Wanted {
            product_id: product
                .supplier_product_id()
                .context("the product has no supplier product id")?
                .as_str()
                .to_owned(),
            sku_id: None,
            quantity: order.quantity().context("no quantity")?,
            reserved: order.supplier_cost_quoted().context("no supplier cost")?,
            resuming: order.status() == Some(OrderStatus::Purchasing),
        })
    }

    async fn session(&self, seller: uuid::Uuid) -> Result<SecretString, SupplierError> {
        match tokens::session(&self.supplier, &self.vault, self.mode, seller).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => {
                tracing::warn!(%seller, "the seller has not connected AliExpress: the order fails");
                Err(SupplierError::Refused(FailureReason::SupplierNotConnected))
            }
            Err(error) => match error.downcast::<dropledger_integrations::AliExpressError>() {
                Ok(supplier) => Err(SupplierError::Supplier(supplier)),
                Err(other) => {
                    tracing::error!(error = %format!("{other:#}"), "loading the seller's token");
                    Err(SupplierError::Answer("no usable seller token"))
                }
            },
        }
    }

    /// The order FAILS with `reason`, its hold (if any) voided; nothing if
    /// it is no longer PAID or PURCHASING.
    async fn fail(
        &self,
        event: &LoggedEvent,
        stream: &str,
        reason: FailureReason,
    ) -> anyhow::Result<()> {
        let command = FailPurchase {
            reason,
            failed_at: Utc::now(),
        };
        let outcome = decide_order(
            &self.store,
            stream,
            &metadata(event, ACTOR, "fail"),
            CapitalAppend::Commuting,
            |order, capital| fail_purchase(order, capital, command.clone()),
        )
        .await;
        match outcome {
            Ok(_) => {
                tracing::warn!(reason = reason.status_code(), "order FAILED");
                Ok(())
            }
            Err(dropledger_eventstore::CommandError::Refused(
                dropledger_domain::OrderError::InvalidTransition { .. },
            )) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// A store failure while recording a step: retried like a supplier outage.
fn store_failure(
    error: dropledger_eventstore::CommandError<dropledger_domain::OrderError>,
) -> SupplierError {
    tracing::warn!(%error, "recording a fulfilment step failed");
    SupplierError::Answer("a step the store could not record")
}

/// The order of an event of an order stream.
fn order_id(event: &LoggedEvent) -> anyhow::Result<OrderId> {
    match StreamKind::parse(&event.event.stream_id) {
        Ok(StreamKind::Order(order_id)) => Ok(order_id),
        _ => anyhow::bail!("{} is not an order stream", event.event.stream_id),
    }
}
