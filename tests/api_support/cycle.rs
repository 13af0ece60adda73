//! The autonomous cycle under test: fake providers in the test's own
//! process (so a test can set stock and prices, inject faults and count
//! supplier orders), a server pointed at them, and helpers that drive an
//! order from checkout to capture and read the books back.

// Each test binary uses the helpers it needs.
#![allow(dead_code)]

use std::time::Duration;

use dropledger_domain::{decode_event, Aggregate, CapitalEvent, Currency, Money, WorkingCapital};
use dropledger_eventstore::{EventStore, READ_EVENTS_MAX};
use dropledger_integrations::{ExposeSecret, FakeAliExpress, FakePayPal};
use dropledger_projections::{rebuild, trial_balance, AsOf};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::api_support::{spawn_app_with, start_server, App};

/// The fake catalogue's LED desk lamp: 12.75 a unit, 2.35 shipping.
pub const LAMP: &str = "1005001000000003";

/// Fakes running in the test's process.
pub struct Fakes {
    /// PayPal.
    pub paypal: FakePayPal,
    /// AliExpress.
    pub aliexpress: FakeAliExpress,
}

impl Fakes {
    /// Starts the fakes; `pending` leaves captures PENDING; PayPal holds
    /// `balance` USD before any sale (what payouts are paid from).
    pub async fn start(pending: bool, balance: &str) -> Fakes {
        let paypal = FakePayPal::builder()
            .capture_pending(pending)
            .opening_balance(Money::parse(balance, "USD").unwrap())
            .start()
            .await
            .unwrap();
        let aliexpress = FakeAliExpress::start().await.unwrap();
        Fakes { paypal, aliexpress }
    }

    /// Fakes whose supplier is paid from (and refunds into) PayPal's
    /// balance, which opens at `balance` (the owner's capital): the ledger's
    /// PayPal cash must then equal PayPal's.
    pub async fn paying_the_supplier_from_paypal(balance: &str) -> Fakes {
        let fakes = Fakes::start(false, balance).await;
        fakes.aliexpress.pay_purchases_from(fakes.paypal.wallet());
        fakes
    }

    /// Waits (up to 30 s, checking every 5 ms) until the supplier holds an
    /// order: the moment a purchase was sent, for faults aimed after it.
    pub async fn wait_until_the_supplier_is_asked(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.aliexpress.order_count() == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the supplier was never asked"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Starts a server on these fakes that PayPal's webhooks reach: the
    /// fake PayPal posts its events to it, signed for its webhook id.
    pub async fn spawn_app_receiving_webhooks(&self) -> App {
        let mut env = self.env();
        env.push((
            "PAYPAL_WEBHOOK_ID".into(),
            self.paypal.webhook_id().to_owned(),
        ));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let app = spawn_app_with(&env).await;
        self.paypal
            .set_webhook_url(format!("{}/webhooks/paypal", app.address));
        app
    }

    /// The server's environment pointing at these fakes.
    pub fn env(&self) -> Vec<(String, String)> {
        let paypal = self.paypal.client_config();
        let supplier = self.aliexpress.client_config();
        vec![
            ("PAYPAL_CLIENT_ID".into(), paypal.client_id.clone()),
            (
                "PAYPAL_CLIENT_SECRET".into(),
                paypal.client_secret.expose_secret().to_owned(),
            ),
            ("PAYPAL_BASE_URL".into(), self.paypal.base_url().to_owned()),
            ("ALIEXPRESS_APP_KEY".into(), supplier.app_key.clone()),
            (
                "ALIEXPRESS_APP_SECRET".into(),
                supplier.app_secret.expose_secret().to_owned(),
            ),
            (
                "ALIEXPRESS_BASE_URL".into(),
                self.aliexpress.base_url().to_owned(),
            ),
            ("PROVIDER_ATTEMPT_TIMEOUT_MS".into(), "1000".into()),
            // Fixed, so that tokens outlive a restart.
            (
                "JWT_SECRET".into(),
                "a-test-secret-that-is-long-enough-for-hs256-0123456789".into(),
            ),
        ]
    }
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A server on the fakes.
pub async fn spawn_on(fakes: &Fakes) -> App {
    let env = fakes.env();
    spawn_app_with(&borrowed(&env)).await
}

/// People and a listing, ready to sell.
pub struct Shop {
    pub admin: String,
    pub seller: String,

    pub buyer: String,
    pub product: String,
}

/// A checkout approved at PayPal, not captured yet.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub order_id: String,
    /// `createCheckout`'s proof that the capture comes from its client.
    pub capture_secret: String,
}

impl App {
    /// Kills the server: SIGKILL, no shutdown, nothing flushed.
    pub async fn kill(&mut self) {
        self.server.start_kill().unwrap();
        self.server.wait().await.unwrap();
    }

    /// Starts the server again on the same database and fakes.
    pub async fn start_again(&mut self, fakes: &Fakes) {
        let env = fakes.env();
        let (server, address) = start_server(&self.db.url(), &borrowed(&env)).await;
        self.server = server;
        self.address = address;
    }

    /// Platform config (15 % commission), owner capital, a seller with a
    /// published lamp at `price` reserving `supplier_cost`, and a buyer.
    pub async fn shop(&self, capital: &str, supplier_cost: &str, price: &str) -> Shop {
        let (admin, _) = self.register("admin@example.com").await;
        let response = self
            .graphql(
                Some(&admin),
                "mutation { setPlatformConfig(input: {commissionPct: \"15\", adminPaypalEmail: \"admin@example.com\"}) { userErrors { code } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            response["data"]["setPlatformConfig"]["userErrors"],
            json!([]),
            "{response}"
        );
        self.contribute(&admin, capital, "seed").await;
        let (seller, _) = self.register("seller@example.com").await;
        let (buyer, _) = self.register("buyer@example.com").await;
        let response = self
            .graphql(
                Some(&seller),
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code message } } }",
                json!({ "input": {
                    "title": "LED desk lamp",
                    "supplierProductId": LAMP,
                    "supplierCost": { "amount": supplier_cost, "currency": "USD" },
                    "price": { "amount": price, "currency": "USD" },
                } }),
            )
            .await;
        let product = response["data"]["createProduct"]["product"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned();
        let response = self
            .graphql(
                Some(&seller),
                "mutation($id: ID!) { publishProduct(id: $id) { userErrors { code } } }",
                json!({ "id": product }),
            )
            .await;
        assert_eq!(
            response["data"]["publishProduct"]["userErrors"],
            json!([]),
            "{response}"
        );
        Shop {
            admin,
            seller,

            buyer,
            product,
        }
    }

    /// The admin records an owner contribution.
    pub async fn contribute(&self, admin: &str, amount: &str, reference: &str) {
        let response = self
            .graphql(
                Some(admin),
                "mutation($input: RecordCapitalContributionInput!) { recordCapitalContribution(input: $input) { userErrors { code message } } }",
                json!({ "input": { "amount": { "amount": amount, "currency": "USD" }, "reference": reference } }),
            )
            .await;
        assert_eq!(
            response["data"]["recordCapitalContribution"]["userErrors"],
            json!([]),
            "{response}"
        );
    }

    /// Checkout → approval at PayPal → capture by the buyer; the order id.
    pub async fn buy(&self, shop: &Shop) -> String {
        let checkout = self.check_out(shop).await;
        self.capture(shop, &checkout).await;
        checkout.order_id
    }

    /// A checkout of one unit, approved at PayPal.
    pub async fn check_out(&self, shop: &Shop) -> Checkout {
        let response = self
            .graphql(
                None,
                "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId approveUrl captureSecret userErrors { code message } } }",
                json!({ "input": { "productId": shop.product, "quantity": 1 } }),
            )
            .await;
        let checkout = &response["data"]["createCheckout"];
        assert_eq!(checkout["userErrors"], json!([]), "{response}");
        let order_id = checkout["orderId"].as_str().unwrap().to_owned();
        let capture_secret = checkout["captureSecret"].as_str().unwrap().to_owned();
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let approval = browser
            .get(checkout["approveUrl"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert!(approval.status().is_redirection(), "{}", approval.status());
        Checkout {
            order_id,
            capture_secret,
        }
    }

    /// The buyer captures the approved `checkout`.
    pub async fn capture(&self, shop: &Shop, checkout: &Checkout) {
        let response = self
            .graphql(
                Some(&shop.buyer),
                "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { status } userErrors { code message } } }",
                json!({ "input": { "orderId": checkout.order_id, "captureSecret": checkout.capture_secret } }),
            )
            .await;
        assert_eq!(
            response["data"]["captureCheckout"]["userErrors"],
            json!([]),
            "{response}"
        );
    }

    /// The order as `token` reads it.
    pub async fn order(&self, token: &str, order_id: &str) -> Value {
        let response = self
            .graphql(
                Some(token),
                "query($id: ID!) { order(id: $id) { status failureReason supplierOrderId history { eventType } } }",
                json!({ "id": order_id }),
            )
            .await;
        response["data"]["order"].clone()
    }

    /// Waits (up to 30 s) until the order's status is one of `statuses`.
    pub async fn wait_for_order(&self, token: &str, order_id: &str, statuses: &[&str]) -> Value {
        self.wait_for_order_within(token, order_id, statuses, Duration::from_secs(30))
            .await
    }

    /// Waits (up to `limit`) until the order's status is one of `statuses`.
    pub async fn wait_for_order_within(
        &self,
        token: &str,
        order_id: &str,
        statuses: &[&str],
        limit: Duration,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let order = self.order(token, order_id).await;
            if statuses.iter().any(|status| order["status"] == *status) {
                return order;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "order {order_id} never reached {statuses:?}: {order}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 30 s) until `check` holds for the events of the log
    /// (`(stream_id, event_type)` in log order).
    pub async fn wait_for_events(&self, what: &str, check: impl Fn(&[(String, String)]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let events = self.events().await;
            if check(&events) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never: {what}; log: {events:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every event's stream and type, in insertion order.
    pub async fn events(&self) -> Vec<(String, String)> {
        sqlx::query_as("SELECT stream_id, event_type FROM event ORDER BY append_id")
            .fetch_all(self.db.pool())
            .await
            .unwrap()
    }

    /// How many events of `event_type` the log holds.
    /// The PayPal capture id of the one paid order in the log.
    pub async fn only_capture_id(&self) -> String {
        sqlx::query_scalar(
            "SELECT payload->>'capture_id' FROM event WHERE event_type = 'OrderPaid'",
        )
        .fetch_one(self.db.pool())
        .await
        .unwrap()
    }

    pub async fn count(&self, event_type: &str) -> usize {
        self.events()
            .await
            .iter()
            .filter(|(_, kind)| kind == event_type)
            .count()
    }

    /// Rebuilds the read models from the log (in this process) and checks
    /// that the trial balance is zero.
    pub async fn rebuild_and_check_books(&self) -> EventStore {
        let store = EventStore::new(self.db.pool().clone());
        store.wait_for_log(Duration::from_secs(10)).await.unwrap();
        rebuild(&store, None, &mut |_| {}).await.unwrap();
        let trial = trial_balance(self.db.pool(), Currency::Usd, AsOf::Now)
            .await
            .unwrap();
        assert!(trial.is_balanced(), "{trial:?}");
        assert_eq!(trial.total_debit, trial.total_credit);
        store
    }

    /// Free capital after every event of the capital stream, in order.
    pub async fn free_capital_history(&self) -> Vec<Decimal> {
        let store = EventStore::new(self.db.pool().clone());
        let stream = WorkingCapital::stream_id(Currency::Usd);
        let recorded = store
            .read_stream(&stream, 1, READ_EVENTS_MAX)
            .await
            .unwrap();
        let mut capital = WorkingCapital::new(Currency::Usd);
        let mut history = Vec::new();
        for event in &recorded {
            let decoded: CapitalEvent = decode_event(
                &event.event_type,
                event.schema_version,
                event.payload_value(),
            )
            .unwrap();
            capital = capital.evolve(&decoded);
            history.push(capital.free().amount());
        }
        history
    }
}
