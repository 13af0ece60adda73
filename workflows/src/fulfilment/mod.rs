//! Fulfilment: when an order is PAID (captured COMPLETED, cleared after
//! PENDING, or a retry was asked for — an order awaiting clearance waits),
//! check the supplier's price and stock, read the buyer's shipping address
//! from PayPal, reserve working capital, buy with the seller's AliExpress
//! token, and record PURCHASED or FAILED.
//!
//! Each step is idempotent: the hold id and command ids derive from the
//! triggering event, and the supplier order is keyed by `out_order_id` =
//! our order id, so a crash between buying and recording buys once.
//!
//! Whose fault a failure is decides what happens to the order
//! ([`FulfilmentError`]): only the business's refusal (no capital, sold
//! out, price rose) or the supplier's definite answer fails it. Our own
//! faults (the database) are retried until they pass, and once a purchase
//! may have been sent, nothing but the supplier's definite refusal fails
//! the order: a lost answer is asked again under the same `out_order_id`,
//! which returns the order already placed instead of buying twice.

mod shipping;
mod supplier;
pub(crate) mod tokens;

use std::sync::Arc;

use chrono::Utc;
use dropledger_domain::{
    confirm_purchase, fail_purchase, start_purchase, ConfirmPurchase, EntryId, FailPurchase,
    FailureReason, HoldId, Order, OrderEventType, OrderId, OrderStatus, Product, StartPurchase,
    StreamKind, SupplierOrderId,
};
use dropledger_eventstore::{CommandError, EventStore, LoggedEvent};
use dropledger_integrations::{
    AliExpressClient, CredentialVault, PayPalClient, PgCredentialStore, SecretString,
};

use crate::command::{decide_order, derived_id, metadata};
use crate::current::current;
use crate::error::{split_refusal, StoreFault};
use crate::follow::{event_type, Reaction, Retry, StepError};
use crate::Mode;
use shipping::buyer_address;
use supplier::{buy, check_offer, SupplierError, Wanted};
use tokens::TokenError;

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
/// PayPal; the holds still serialise on the capital stream's budget, so
/// several orders never spend the same money. Eight drained captures more
/// slowly than sixteen clients made them (the cycle benchmark's queue).
const FULFILMENT_CONCURRENCY: usize = 32;

/// Why a fulfilment step did not end in PURCHASED.
#[derive(Debug, thiserror::Error)]
pub enum FulfilmentError {
    /// The supplier (or PayPal, for the address) refused or failed before
    /// anything was bought: a definite refusal fails the order at once, a
    /// transient fault after the retry budget.
    #[error(transparent)]
    Supplier(#[from] SupplierError),
    /// The purchase may have been sent and its answer is not known: asked
    /// again (the same `out_order_id`) until the supplier answers.
    #[error("the purchase may have been placed; its outcome is not known yet: {0}")]
    OutcomeUnknown(SupplierError),
    /// Ours: the store failed. Retried until it passes, never recorded as
    /// the supplier's answer.
    #[error(transparent)]
    Store(#[from] StoreFault),
    /// The order or its product lacks what a paid order always has: a bug
    /// or damaged data, left for a person (retryFulfilment), not failed.
    #[error("the order cannot be fulfilled: {0}")]
    Incomplete(&'static str),
}

impl StepError for FulfilmentError {
    fn retry(&self) -> Retry {
        match self {
            FulfilmentError::Supplier(_) | FulfilmentError::Incomplete(_) => Retry::Bounded,
            FulfilmentError::OutcomeUnknown(_) | FulfilmentError::Store(_) => Retry::UntilDone,
        }
    }
}

impl From<CommandError<dropledger_domain::OrderError>> for FulfilmentError {
    fn from(error: CommandError<dropledger_domain::OrderError>) -> Self {
        match split_refusal(error) {
            Ok(refusal) => {
                tracing::error!(%refusal, "the domain refused a fulfilment step");
                FulfilmentError::Incomplete("a step the domain refused")
            }
            Err(fault) => FulfilmentError::Store(fault),
        }
    }
}

impl Reaction for Fulfilment {
    type Error = FulfilmentError;

    fn name(&self) -> &'static str {
        "fulfilment"
    }

    fn concurrency(&self) -> usize {
        FULFILMENT_CONCURRENCY
    }

    fn wants(&self, event: &LoggedEvent) -> bool {
        matches!(
            event_type(event),
            Some(
                OrderEventType::OrderPaid
                    | OrderEventType::OrderPaymentCleared
                    | OrderEventType::OrderRetryRequested
            )
        )
    }

    async fn react(&self, event: &LoggedEvent) -> Result<(), FulfilmentError> {
        let order_id = order_id(event)?;
        let stream = Order::stream_id(order_id);
        let order = current(&self.store, &stream, Order::default()).await?;
        // The order's status says which step is next; any other status means
        // this event's work is done (or was superseded by a later one).
        match order.status() {
            Some(OrderStatus::Paid) | Some(OrderStatus::Purchasing) => {}
            _ => return Ok(()),
        }
        match self.fulfil(event, &stream, &order).await {
            Err(FulfilmentError::Supplier(error)) if !error.is_retryable() => {
                self.fail(event, &stream, error.failure_reason()).await
            }
            outcome => outcome,
        }
    }

    async fn give_up(
        &self,
        event: &LoggedEvent,
        error: &FulfilmentError,
    ) -> Result<(), FulfilmentError> {
        match error {
            // Nothing was bought: the supplier stayed unreachable.
            FulfilmentError::Supplier(error) => {
                self.fail(
                    event,
                    &Order::stream_id(order_id(event)?),
                    error.failure_reason(),
                )
                .await
            }
            // Visible in the manager's last error; the order stays as it is.
            other => {
                tracing::error!(error = %other, "fulfilment left for a person");
                Ok(())
            }
        }
    }
}

impl Fulfilment {
    /// Check, reserve, buy, confirm — resuming at whichever step the order is.
    async fn fulfil(
        &self,
        event: &LoggedEvent,
        stream: &str,
        order: &Order,
    ) -> Result<(), FulfilmentError> {
        // Once PURCHASING, the purchase may have been sent: every failure
        // but the supplier's definite refusal of it leaves the outcome open.
        let resuming = order.status() == Some(OrderStatus::Purchasing);
        let unknown_when_resuming = |error: FulfilmentError| match error {
            FulfilmentError::Supplier(error) if resuming => FulfilmentError::OutcomeUnknown(error),
            other => other,
        };
        let wanted = self.wanted(order).await?;
        let seller = order
            .seller()
            .ok_or(FulfilmentError::Incomplete("no seller"))?;
        let prepared = async {
            let session = self.session(seller.as_uuid()).await?;
            let offer = check_offer(&self.supplier, &session, &wanted).await?;
            // Nowhere to ship is found out before any capital is held.
            let address = buyer_address(&self.paypal, order).await?;
            Ok::<_, FulfilmentError>((session, offer, address))
        };
        let (session, offer, address) = prepared.await.map_err(unknown_when_resuming)?;
        if !resuming {
            let command = StartPurchase {
                hold_id: HoldId::from_uuid(derived_id(event, "hold")),
                started_at: Utc::now(),
            };
            let status = decide_order(
                &self.store,
                stream,
                &metadata(event, ACTOR, "start"),
                |order, capital| start_purchase(order, capital, command.clone()),
            )
            .await;
            let status = match status {
                // The order moved on while we checked the offer: a refund
                // was asked for first, so nothing may be bought.
                Err(CommandError::Refused(dropledger_domain::OrderError::InvalidTransition {
                    status,
                    ..
                })) => {
                    tracing::info!(
                        status = status.as_str(),
                        "the order left PAID before its purchase started: nothing bought"
                    );
                    return Ok(());
                }
                status => status?,
            };
            if status != OrderStatus::Purchasing {
                tracing::info!(
                    status = status.as_str(),
                    "free capital does not cover the purchase"
                );
                return Ok(());
            }
        }
        let out_order_id = order
            .id()
            .ok_or(FulfilmentError::Incomplete("no id"))?
            .to_string();
        // From here the purchase may be sent: a definite refusal fails the
        // order (the supplier keeps one order per out_order_id, so a refusal
        // means there is none); anything else is asked again.
        let (supplier_order_id, cost) = buy(
            &self.supplier,
            &session,
            &out_order_id,
            &wanted,
            &offer,
            address,
        )
        .await
        .map_err(|error| match error.is_retryable() {
            true => FulfilmentError::OutcomeUnknown(error),
            false => FulfilmentError::Supplier(error),
        })?;
        let command = ConfirmPurchase {
            supplier_order_id: SupplierOrderId::parse(&supplier_order_id).map_err(|_| {
                FulfilmentError::OutcomeUnknown(SupplierError::Answer(
                    "an unusable supplier order id",
                ))
            })?,
            supplier_cost: cost,
            entry_id: EntryId::from_uuid(derived_id(event, "purchase-entry")),
            confirmed_at: Utc::now(),
        };
        decide_order(
            &self.store,
            stream,
            &metadata(event, ACTOR, "confirm"),
            |order, capital| confirm_purchase(order, capital, command.clone()),
        )
        .await?;
        tracing::info!(%supplier_order_id, %cost, quoted = %offer.landed_cost, "order PURCHASED");
        // The tracking poller asks the supplier until it ships.
        crate::follow::checkpoint::park(
            self.store.pool(),
            crate::tracking::AWAITING_TRACKING,
            &out_order_id,
            "PURCHASED: awaiting the supplier's tracking",
        )
        .await
        .map_err(StoreFault::from)?;
        Ok(())
    }

    /// The supplier product, units and reservation of the order.
    async fn wanted(&self, order: &Order) -> Result<Wanted, FulfilmentError> {
        let incomplete = FulfilmentError::Incomplete;
        let product_id = order.product_id().ok_or(incomplete("no product"))?;
        let product = current(
            &self.store,
            &Product::stream_id(product_id),
            Product::default(),
        )
        .await?;
        Ok(Wanted {
            product_id: product
                .supplier_product_id()
                .ok_or(incomplete("a product without a supplier product id"))?
                .as_str()
                .to_owned(),
            sku_id: None,
            quantity: order.quantity().ok_or(incomplete("no quantity"))?,
            reserved: order
                .supplier_cost_quoted()
                .ok_or(incomplete("no supplier cost"))?,
            resuming: order.status() == Some(OrderStatus::Purchasing),
        })
    }

    async fn session(&self, seller: uuid::Uuid) -> Result<SecretString, FulfilmentError> {
        match tokens::session(&self.supplier, &self.vault, self.mode, seller).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => {
                tracing::warn!(%seller, "the seller has not connected AliExpress: the order fails");
                Err(SupplierError::Refused(FailureReason::SupplierNotConnected).into())
            }
            Err(TokenError::Supplier(error)) => Err(SupplierError::Supplier(error).into()),
            Err(TokenError::Connect(reason)) => {
                tracing::warn!(%reason, "connecting the seller to the (fake) supplier");
                Err(SupplierError::Answer("no way to connect the seller").into())
            }
            // A token that cannot be opened is ours to fix (the key), not
            // the supplier's answer.
            Err(TokenError::Vault(error)) => Err(StoreFault::Credentials(error).into()),
        }
    }

    /// The order FAILS with `reason`, its hold (if any) voided; nothing if
    /// it is no longer PAID or PURCHASING.
    async fn fail(
        &self,
        event: &LoggedEvent,
        stream: &str,
        reason: FailureReason,
    ) -> Result<(), FulfilmentError> {
        let command = FailPurchase {
            reason,
            failed_at: Utc::now(),
        };
        let outcome = decide_order(
            &self.store,
            stream,
            &metadata(event, ACTOR, "fail"),
            |order, capital| fail_purchase(order, capital, command.clone()),
        )
        .await;
        match outcome {
            Ok(_) => {
                tracing::warn!(reason = reason.status_code(), "order FAILED");
                Ok(())
            }
            Err(CommandError::Refused(dropledger_domain::OrderError::InvalidTransition {
                ..
            })) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// The order of an event of an order stream.
fn order_id(event: &LoggedEvent) -> Result<OrderId, FulfilmentError> {
    match StreamKind::parse(&event.event.stream_id) {
        Ok(StreamKind::Order(order_id)) => Ok(order_id),
        _ => Err(FulfilmentError::Incomplete("an event of another stream")),
    }
}
