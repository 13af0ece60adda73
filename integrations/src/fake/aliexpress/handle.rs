//! The handle of a running fake AliExpress: its URL, a client
//! configuration, and the knobs tests and the demo turn.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::{issue_code, FakeAliExpressBuilder, Shared};
use crate::aliexpress::AliExpressConfig;
use crate::fake::faults::{FakeOperation, Fault};
use crate::resilience::CallPolicy;

/// A running fake AliExpress. Dropping it stops the server.
pub struct FakeAliExpress {
    base_url: String,
    shared: Arc<Shared>,
    /// The server this fake runs alone; `None` when mounted in a server
    /// the caller runs.
    task: Option<JoinHandle<()>>,
}

impl Drop for FakeAliExpress {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl std::fmt::Debug for FakeAliExpress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeAliExpress")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakeAliExpress {
    pub(super) fn new(base_url: String, shared: Arc<Shared>, task: Option<JoinHandle<()>>) -> Self {
        Self {
            base_url,
            shared,
            task,
        }
    }

    /// A builder with defaults.
    pub fn builder() -> FakeAliExpressBuilder {
        FakeAliExpressBuilder::default()
    }

    /// Starts a fake with defaults.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client configuration pointing at this fake, with short timeouts.
    pub fn client_config(&self) -> AliExpressConfig {
        AliExpressConfig::new(self.shared.app_key.clone(), self.shared.app_secret.clone())
            .with_base_url(&self.base_url)
            .with_call_policy(CallPolicy::fast_for_tests())
    }

    /// An authorisation code, as the OAuth callback would bring.
    pub fn issue_code(&self) -> String {
        issue_code(&self.shared)
    }

    /// Makes `operation` fail once with `fault`.
    pub fn inject(&self, operation: FakeOperation, fault: Fault) {
        self.shared.faults.push(operation, fault, 1);
    }

    /// Makes `operation` fail `times` times with `fault`.
    pub fn inject_times(&self, operation: FakeOperation, fault: Fault, times: usize) {
        self.shared.faults.push(operation, fault, times);
    }

    /// The operations of the injected faults that have not happened yet,
    /// once per fault.
    pub fn pending_faults(&self) -> Vec<FakeOperation> {
        self.shared.faults.pending()
    }

    /// Expires every access token now.
    pub fn expire_tokens(&self) {
        self.shared.state().access_tokens.clear();
    }

    /// Pays every new supplier order from `wallet` (a fake PayPal's), so
    /// that the fake PayPal's balance moves as the ledger's cash does.
    pub fn pay_purchases_from(&self, wallet: crate::fake::FakePayPalWallet) {
        *self.shared.wallet.lock().expect("wallet lock") = Some(wallet);
    }

    /// Sets a SKU's stock.
    pub fn set_stock(&self, product_id: &str, sku_id: &str, stock: u64) {
        let mut state = self.shared.state();
        if let Some(sku) = state
            .products
            .get_mut(product_id)
            .and_then(|p| p.skus.iter_mut().find(|s| s.sku_id == sku_id))
        {
            sku.stock = stock;
        }
    }

    /// Sets the stock of every SKU of a product; `false` if unknown.
    pub fn set_product_stock(&self, product_id: &str, stock: u64) -> bool {
        let mut state = self.shared.state();
        let Some(product) = state.products.get_mut(product_id) else {
            return false;
        };
        for sku in &mut product.skus {
            sku.stock = stock;
        }
        true
    }

    /// Sets the stock of every SKU of every product: a long run buys more
    /// than the catalogue's usual hundred a colour.
    pub fn set_every_stock(&self, stock: u64) {
        let mut state = self.shared.state();
        for sku in state.products.values_mut().flat_map(|p| p.skus.iter_mut()) {
            sku.stock = stock;
        }
    }

    /// Ships a supplier order with a tracking number.
    pub fn ship(&self, order_id: &str, tracking_number: &str) -> bool {
        let mut state = self.shared.state();
        let Some(order) = state.orders.get_mut(order_id) else {
            return false;
        };
        order.status = "WAIT_BUYER_ACCEPT_GOODS".to_owned();
        order.logistics_status = "SELLER_SEND_GOODS".to_owned();
        order.tracking_number = Some(tracking_number.to_owned());
        true
    }

    /// The supplier cancels an accepted, unshipped order, as AliExpress
    /// reports it: `IN_CANCEL` (agreed, the refund being processed); with
    /// `refund`, `FINISH` with `end_reason` `cancel_order_close_trade`, the
    /// order amount paid back into the wallet purchases are paid from (once).
    pub fn cancel(&self, order_id: &str, refund: bool) -> Result<(), SupplierCancelRefused> {
        let mut state = self.shared.state();
        let order = state
            .orders
            .get_mut(order_id)
            .ok_or(SupplierCancelRefused::UnknownOrder)?;
        if order.tracking_number.is_some() {
            return Err(SupplierCancelRefused::Shipped);
        }
        if order.status == "FINISH" {
            return Ok(());
        }
        if !refund {
            order.status = "IN_CANCEL".to_owned();
            return Ok(());
        }
        order.status = "FINISH".to_owned();
        order.end_reason = Some("cancel_order_close_trade".to_owned());
        let amount = order.amount;
        drop(state);
        if let Some(wallet) = self.shared.wallet.lock().expect("wallet lock").as_ref() {
            wallet.receive(
                dropledger_domain::Money::new(amount, dropledger_domain::Currency::Usd)
                    .expect("the fake's prices are whole cents"),
            );
        }
        Ok(())
    }

    /// The `logistics_address` a supplier order was placed with, as sent.
    pub fn ship_to(&self, order_id: &str) -> Option<serde_json::Value> {
        self.shared
            .state()
            .orders
            .get(order_id)
            .map(|order| order.ship_to.clone())
    }

    /// Supplier orders (id, `out_order_id`, status, amount) and the ids
    /// placed per `out_order_id`, as JSON.
    pub fn summary(&self) -> serde_json::Value {
        let state = self.shared.state();
        let mut orders: Vec<serde_json::Value> = state
            .by_out_order_id
            .iter()
            .flat_map(|(out_order_id, ids)| ids.iter().map(move |id| (out_order_id, id)))
            .map(|(out_order_id, id)| {
                let order = state.orders.get(id);
                serde_json::json!({
                    "order_id": id,
                    "out_order_id": out_order_id,
                    "status": order.map(|order| order.status.clone()),
                    "amount": order.map(|order| order.amount.to_string()),
                })
            })
            .collect();
        orders.sort_by_key(|order| order["order_id"].to_string());
        let by_out_order_id: serde_json::Map<String, serde_json::Value> = state
            .by_out_order_id
            .iter()
            .map(|(out_order_id, ids)| (out_order_id.clone(), serde_json::json!(ids)))
            .collect();
        serde_json::json!({ "orders": orders, "orders_by_out_order_id": by_out_order_id })
    }

    /// How many supplier orders exist (idempotency tests count them).
    pub fn order_count(&self) -> usize {
        self.shared.state().orders.len()
    }
}

/// Why the fake supplier would not cancel an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SupplierCancelRefused {
    /// No supplier order has that id.
    #[error("no supplier order has that id")]
    UnknownOrder,
    /// The order shipped: it can no longer be cancelled.
    #[error("the supplier order has shipped and can no longer be cancelled")]
    Shipped,
}
