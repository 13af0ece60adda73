//! The handle of a running fake PayPal: its URL, a client configuration,
//! and the knobs tests and the demo turn.

use std::sync::Arc;

use dropledger_domain::{Currency, Money};
use secrecy::SecretString;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::{
    captures, dashboard, disputes, orders, total_money, webhooks, FakePayPalBuilder, Shared,
};
use crate::fake::faults::{FakeOperation, Fault};
use crate::paypal::PayPalConfig;
use crate::resilience::CallPolicy;

/// A running fake PayPal. Dropping it stops the server.
pub struct FakePayPal {
    base_url: String,
    shared: Arc<Shared>,
    /// The server this fake runs alone; `None` when mounted in a server
    /// the caller runs.
    task: Option<JoinHandle<()>>,
}

impl Drop for FakePayPal {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl std::fmt::Debug for FakePayPal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePayPal")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl FakePayPal {
    pub(super) fn new(base_url: String, shared: Arc<Shared>, task: Option<JoinHandle<()>>) -> Self {
        Self {
            base_url,
            shared,
            task,
        }
    }

    /// A builder with defaults: captures COMPLETED, 9 h tokens, no webhooks.
    pub fn builder() -> FakePayPalBuilder {
        FakePayPalBuilder::default()
    }

    /// Starts a fake with defaults, reading the capture status from the
    /// environment.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The webhook id the fake signs for.
    pub fn webhook_id(&self) -> &str {
        &self.shared.config.webhook_id
    }

    /// A client configuration pointing at this fake, with short timeouts.
    pub fn client_config(&self) -> PayPalConfig {
        PayPalConfig::new(
            crate::paypal::PayPalEnvironment::Sandbox,
            self.shared.config.client_id.clone(),
            SecretString::from(self.shared.config.client_secret.clone()),
        )
        .with_base_url(&self.base_url)
        .with_webhook_id(self.webhook_id())
        .with_call_policy(CallPolicy::fast_for_tests())
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

    /// Answers every read of `capture_id` with a 500 from now on: a capture
    /// PayPal keeps refusing to show.
    pub fn keep_refusing_capture_reads(&self, capture_id: &str) {
        self.shared
            .state()
            .refused_capture_reads
            .insert(capture_id.to_owned());
    }

    /// Answers every read of `capture_id` with a 404 from now on: a capture
    /// PayPal does not know.
    pub fn forget_capture(&self, capture_id: &str) {
        self.shared
            .state()
            .forgotten_captures
            .insert(capture_id.to_owned());
    }

    /// How often `capture_id` was read, answered or refused.
    pub fn capture_reads(&self, capture_id: &str) -> usize {
        self.shared
            .state()
            .capture_reads
            .get(capture_id)
            .copied()
            .unwrap_or(0)
    }

    /// Answers every payout batch to `receiver` with a 500 from now on: a
    /// payout PayPal keeps refusing.
    pub fn keep_refusing_payouts_to(&self, receiver: &str) {
        self.shared
            .state()
            .refused_payout_receivers
            .insert(receiver.to_owned());
    }

    /// Forgets injected faults not yet used.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Expires every access token now, as PayPal may before `expires_in`.
    pub fn expire_tokens(&self) {
        self.shared.state().tokens.clear();
    }

    /// Where webhooks go from now on.
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        *self.shared.webhook_url.lock().expect("lock") = Some(url.into());
    }

    /// Approves an order as the buyer would; `false` if unknown.
    pub fn approve(&self, order_id: &str) -> bool {
        orders::approve_order(&self.shared, order_id).is_some()
    }

    /// Whether buyers approve without a shipping address on file (PayPal
    /// then reports none for their orders).
    pub fn set_buyers_without_address(&self, without: bool) {
        self.shared.state().buyers_without_address = without;
    }

    /// An order's status.
    pub fn order_status(&self, order_id: &str) -> Option<String> {
        self.shared
            .state()
            .orders
            .get(order_id)
            .map(|o| o.status.clone())
    }

    /// A capture's status.
    pub fn capture_status(&self, capture_id: &str) -> Option<String> {
        self.shared
            .state()
            .captures
            .get(capture_id)
            .map(|c| c.status.clone())
    }

    /// The ids of the captures still PENDING, in no particular order.
    pub fn pending_captures(&self) -> Vec<String> {
        self.shared
            .state()
            .captures
            .iter()
            .filter(|(_, capture)| capture.status == "PENDING")
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// How many captures exist (idempotency tests count them).
    pub fn capture_count(&self) -> usize {
        self.shared.state().captures.len()
    }

    /// How many calls were refused for a missing, unknown or expired token.
    pub fn tokens_refused(&self) -> usize {
        self.shared.state().tokens_refused
    }

    /// How many access tokens the fake has issued (P1 answers).
    pub fn tokens_issued(&self) -> usize {
        self.shared.state().tokens_issued
    }

    /// How many payout batches exist.
    pub fn payout_batch_count(&self) -> usize {
        self.shared.state().batches.len()
    }

    /// Trackers uploaded for an order.
    pub fn trackers(&self, order_id: &str) -> Vec<Value> {
        self.shared
            .state()
            .orders
            .get(order_id)
            .map(|o| o.trackers.clone())
            .unwrap_or_default()
    }

    /// Captures (id, order, status, amount), refunds, payout batches per
    /// `sender_batch_id` with their items, and balances, as JSON.
    pub fn summary(&self) -> Value {
        super::summary::of(&self.shared)
    }

    /// A handle on this account's balance, for a fake supplier that is paid
    /// from it (as our ledger pays purchases from PayPal cash).
    pub fn wallet(&self) -> FakePayPalWallet {
        FakePayPalWallet {
            shared: self.shared.clone(),
        }
    }

    /// The available balance in `currency`.
    pub fn available_balance(&self, currency: Currency) -> Money {
        let available = self
            .shared
            .state()
            .balances
            .get(&currency)
            .map(|b| b.available)
            .unwrap_or_default();
        total_money(currency, available)
    }

    /// Sets the available balance (withheld funds stay).
    pub fn set_available_balance(&self, balance: Money) {
        self.shared
            .state()
            .balances
            .entry(balance.currency())
            .or_default()
            .available = balance.amount();
    }

    /// Sets the withheld balance (available funds stay), e.g. funds PayPal
    /// holds for review that no capture explains.
    pub fn set_withheld_balance(&self, balance: Money) {
        self.shared
            .state()
            .balances
            .entry(balance.currency())
            .or_default()
            .withheld = balance.amount();
    }

    /// Fixes the reporting balance's `as_of_time` (PayPal's reporting lags:
    /// the same snapshot is served for a while); `None` goes back to the
    /// moment of each request.
    pub fn set_balance_as_of(&self, as_of_time: Option<chrono::DateTime<chrono::Utc>>) {
        self.shared.state().balance_as_of = as_of_time;
    }

    /// Webhooks delivered so far: event type and the receiver's status.
    pub fn webhooks_sent(&self) -> Vec<(String, u16)> {
        self.shared.state().webhooks_sent.clone()
    }

    /// Headers that make `raw_event` a genuine delivery from this fake, to
    /// replay or forge deliveries in tests.
    pub fn sign_delivery(&self, raw_event: &str) -> Vec<(&'static str, String)> {
        webhooks::delivery_headers(&self.shared, raw_event)
    }

    /// Completes a PENDING capture: funds move from withheld to available
    /// and PAYMENT.CAPTURE.COMPLETED is delivered to the webhook URL.
    pub async fn complete_capture(&self, capture_id: &str) -> Result<(), String> {
        let event = captures::complete_pending_capture(&self.shared, capture_id)?;
        webhooks::deliver(&self.shared, event).await;
        Ok(())
    }

    /// A refund made in PayPal's dashboard, not through our API: the rest
    /// of a COMPLETED capture goes back to the buyer and
    /// PAYMENT.CAPTURE.REFUNDED is delivered to the webhook URL.
    pub async fn refund_from_dashboard(&self, capture_id: &str) -> Result<(), String> {
        let event = dashboard::refund_capture(&self.shared, capture_id)?;
        webhooks::deliver(&self.shared, event).await;
        Ok(())
    }

    /// A customer opens a dispute of `amount` on a COMPLETED capture: the
    /// amount moves from the available to the withheld balance and
    /// CUSTOMER.DISPUTE.CREATED is delivered; the dispute's id.
    pub async fn open_dispute(
        &self,
        capture_id: &str,
        amount: Money,
        reason: &str,
    ) -> Result<String, String> {
        let (dispute_id, event) = disputes::open(&self.shared, capture_id, amount, reason)?;
        webhooks::deliver(&self.shared, event).await;
        Ok(dispute_id)
    }

    /// The inquiry becomes a claim (stage CHARGEBACK, status UNDER_REVIEW);
    /// CUSTOMER.DISPUTE.UPDATED is delivered.
    pub async fn escalate_dispute(&self, dispute_id: &str) -> Result<(), String> {
        let event = disputes::escalate(&self.shared, dispute_id)?;
        webhooks::deliver(&self.shared, event).await;
        Ok(())
    }

    /// PayPal decides the dispute: for the seller (the withheld amount
    /// returns to the available balance) or for the customer (it is
    /// refunded and `fee` charged from the available balance);
    /// CUSTOMER.DISPUTE.RESOLVED is delivered.
    pub async fn resolve_dispute(
        &self,
        dispute_id: &str,
        seller_wins: bool,
        fee: Money,
    ) -> Result<(), String> {
        let event = disputes::resolve(&self.shared, dispute_id, seller_wins, fee)?;
        webhooks::deliver(&self.shared, event).await;
        Ok(())
    }

    /// The evidence given for a dispute (the `evidences` sent).
    pub fn dispute_evidence(&self, dispute_id: &str) -> Vec<Value> {
        self.shared
            .state()
            .disputes
            .get(dispute_id)
            .map(|dispute| dispute.evidence.clone())
            .unwrap_or_default()
    }

    /// Denies a PENDING capture (its status becomes DECLINED, as a GET of
    /// the capture shows): the withheld funds leave the balance and
    /// PAYMENT.CAPTURE.DENIED is delivered to the webhook URL.
    pub async fn deny_capture(&self, capture_id: &str) -> Result<(), String> {
        let event = captures::deny_pending_capture(&self.shared, capture_id)?;
        webhooks::deliver(&self.shared, event).await;
        Ok(())
    }
}

/// Pays from a fake PayPal account's available balance.
#[derive(Clone)]
pub struct FakePayPalWallet {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FakePayPalWallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePayPalWallet").finish_non_exhaustive()
    }
}

impl FakePayPalWallet {
    /// Takes `amount` out of the available balance (it may go negative, as
    /// a real account's would not: the fake records, it does not refuse).
    pub fn pay(&self, amount: Money) {
        self.shared
            .state()
            .balances
            .entry(amount.currency())
            .or_default()
            .available -= amount.amount();
    }

    /// Puts `amount` into the available balance: a supplier's refund of a
    /// purchase paid from it.
    pub fn receive(&self, amount: Money) {
        self.shared
            .state()
            .balances
            .entry(amount.currency())
            .or_default()
            .available += amount.amount();
    }
}
