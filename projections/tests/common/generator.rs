//! A seeded, realistic business: products, orders from checkout to sale,
//! payouts, capital contributions, now and then a cash reconciliation —
//! every event decided by the domain's own rules, so the log is one the
//! real system could have written.
//!
//! Shared by the projection tests and `benches/projections.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use dropledger_domain::*;
use dropledger_eventstore::{Metadata, NewEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use uuid::Uuid;

/// One business fact: the events of each stream it touches, appended atomically.
pub type Fact = Vec<(String, Vec<NewEvent>)>;

struct InFlightOrder {
    order: Order,
    correlation: Uuid,
}

/// The simulated business.
pub struct Business {
    rng: StdRng,
    clock: DateTime<Utc>,
    capital: WorkingCapital,
    sellers: Vec<UserId>,
    buyers: Vec<UserId>,
    products: Vec<Product>,
    orders: Vec<InFlightOrder>,
    payouts: Vec<(Payout, Uuid)>,
    commission: Percentage,
    /// Orders the business keeps in flight at once.
    in_flight_orders: usize,
    /// Steps taken, for the cash reconciliation every
    /// [`RECONCILIATION_EVERY_STEPS`].
    steps: u64,
    reconciliation: CashReconciliation,
}

/// A cash reconciliation every this many steps; its ids are derived from
/// the step, not drawn from the seeded generator, so every other fact of a
/// seed stays what it was before reconciliations were generated.
const RECONCILIATION_EVERY_STEPS: u64 = 400;
/// Namespace of the reconciliations' ids.
const RECONCILIATION_NAMESPACE: Uuid = Uuid::from_u128(0x5d0c_9a41_7e2b_4c18_8f36_1b7a_e2d4_60c9);

fn usd(cents: i64) -> Money {
    Money::from_minor_units(cents, Currency::Usd).expect("cents are valid USD")
}

fn new_events<E: DomainEvent>(
    rng: &mut StdRng,
    events: &[E],
    metadata: &Metadata,
) -> Vec<NewEvent> {
    events
        .iter()
        .map(|event| {
            let encoded = encode_event(event);
            NewEvent {
                event_id: Uuid::from_u128(rng.gen()),
                event_type: encoded.event_type.to_owned(),
                schema_version: encoded.schema_version,
                payload: encoded.payload,
                metadata: metadata.clone(),
            }
        })
        .collect()
}

impl Business {
    /// A business whose every choice follows from `seed`.
    pub fn new(seed: u64) -> Business {
        Business {
            rng: StdRng::seed_from_u64(seed),
            clock: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            capital: WorkingCapital::new(Currency::Usd),
            sellers: Vec::new(),
            buyers: Vec::new(),
            products: Vec::new(),
            orders: Vec::new(),
            payouts: Vec::new(),
            commission: Percentage::new(Decimal::from(20)).unwrap(),
            in_flight_orders: 64,
            steps: 0,
            reconciliation: CashReconciliation::new(ReconciliationStream::new(
                CashProvider::PayPal,
                Currency::Usd,
            )),
        }
    }

    /// Keeps about this many orders in flight (more interleaving).
    pub fn with_orders_in_flight(mut self, orders: usize) -> Business {
        self.in_flight_orders = orders.max(1);
        self
    }

    fn id(&mut self) -> Uuid {
        Uuid::from_u128(self.rng.gen())
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::seconds(self.rng.gen_range(1..90));
        self.clock
    }

    fn metadata(&mut self, correlation: Uuid, actor: &str) -> Metadata {
        Metadata {
            correlation_id: correlation,
            causation_id: None,
            actor: actor.to_owned(),
            command_id: Some(self.id()),
        }
    }

    fn fact<E: DomainEvent>(
        &mut self,
        stream: String,
        events: &[E],
        metadata: &Metadata,
    ) -> (String, Vec<NewEvent>) {
        (stream, new_events(&mut self.rng, events, metadata))
    }

    /// Working capital after `events` (moved, not cloned: it holds every open hold).
    fn replay_capital(&mut self, events: &[CapitalEvent]) {
        let capital = std::mem::replace(&mut self.capital, WorkingCapital::new(Currency::Usd));
        self.capital = capital.replay(events);
    }

    /// The platform's configuration, its users, published products and a
    /// first capital contribution.
    pub fn setup(&mut self) -> Vec<Fact> {
        let mut facts = Vec::new();
        let correlation = self.id();
        let admin = self.metadata(correlation, "system:setup");
        let at = self.tick();
        let configured = PlatformConfig::default()
            .decide(PlatformCommand::Configure {
                commission_rate: self.commission,
                admin_paypal_email: PersonalText::sealed(Uuid::nil(), "c2VhbGVk".to_owned()),
                configured_at: at,
            })
            .unwrap();
        facts.push(vec![self.fact(
            "platform-config".into(),
            &configured,
            &admin,
        )]);
        for n in 0..12 {
            let user_id = UserId::from_uuid(self.id());
            // The API seals personal values; the read models only carry them.
            let email = PersonalText::sealed(user_id.as_uuid(), format!("c2VhbGVk{n}"));
            let at = self.tick();
            let events = User::default()
                .decide(UserCommand::RegisterUser {
                    user_id,
                    email: email.clone(),
                    role: Role::User,
                    payout_destination: Some(PayoutDestination::Paypal { email }),
                    registered_at: at,
                })
                .unwrap();
            facts.push(vec![self.fact(user_id.stream_id(), &events, &admin)]);
            if n < 4 {
                self.sellers.push(user_id);
            } else {
                self.buyers.push(user_id);
            }
        }
        for n in 0..20 {
            let product_id = ProductId::from_uuid(self.id());
            let owner = self.sellers[n % self.sellers.len()];
            let cost = self.rng.gen_range(300..6_000);
            let price = cost + self.rng.gen_range(200..4_000);
            let at = self.tick();
            let mut product = Product::default();
            let mut events = product
                .decide(ProductCommand::CreateProduct {
                    product_id,
                    owner,
                    title: ProductTitle::parse(&format!("Trending gadget {n}")).unwrap(),
                    supplier_product_id: SupplierProductId::parse(&format!("AE-{n}")).unwrap(),
                    supplier_cost: usd(cost),
                    price: usd(price),
                    origin: ProductOrigin::Manual,
                    created_at: at,
                })
                .unwrap();
            product = product.replay(&events);
            let published = product
                .decide(ProductCommand::Publish { published_at: at })
                .unwrap();
            product = product.replay(&published);
            events.extend(published);
            let metadata = self.metadata(correlation, &owner.as_uuid().to_string());
            facts.push(vec![self.fact(product_id.stream_id(), &events, &metadata)]);
            self.products.push(product);
        }
        facts.push(self.contribute(5_000_000));
        facts
    }

    fn contribute(&mut self, cents: i64) -> Fact {
        let at = self.tick();
        let entry_id = EntryId::from_uuid(self.id());
        let events = self
            .capital
            .decide(CapitalCommand::ContributeCapital {
                entry_id,
                amount: usd(cents),
                reference: Reference::parse("owner transfer").unwrap(),
                effective_at: at,
            })
            .unwrap();
        self.replay_capital(&events);
        let correlation = self.id();
        let metadata = self.metadata(correlation, "system:owner");
        vec![self.fact("capital-USD".into(), &events, &metadata)]
    }

    /// PayPal's balance compared with the books as of now: every other one
    /// matches, the others find a fee of 1.25 the books do not know.
    fn reconcile(&mut self) -> Fact {
        let ledger = LedgerCash {
            available: self.capital.available(),
            pending: self.capital.pending(),
            position: 0,
        };
        let unknown_fee = if self.steps % (2 * RECONCILIATION_EVERY_STEPS) == 0 {
            usd(125)
        } else {
            usd(0)
        };
        let available = ledger.available.checked_sub(unknown_fee).unwrap();
        let reported = ProviderCashBalance {
            as_of_time: self.clock,
            total: available.checked_add(ledger.pending).unwrap(),
            available,
            withheld: ledger.pending,
        };
        let events = self
            .reconciliation
            .decide(ReconciliationCommand::ReconcileCash {
                reported,
                ledger,
                checked_at: self.clock,
            })
            .unwrap();
        self.reconciliation = self.reconciliation.clone().replay(&events);
        let id = |name: &str| {
            Uuid::new_v5(
                &RECONCILIATION_NAMESPACE,
                format!("{name}-{}", self.steps).as_bytes(),
            )
        };
        let metadata = Metadata {
            correlation_id: id("correlation"),
            causation_id: None,
            actor: "system:reconciliation".to_owned(),
            command_id: Some(id("command")),
        };
        let new_events = events
            .iter()
            .enumerate()
            .map(|(index, event)| {
                let encoded = encode_event(event);
                NewEvent {
                    event_id: id(&format!("event-{index}")),
                    event_type: encoded.event_type.to_owned(),
                    schema_version: encoded.schema_version,
                    payload: encoded.payload,
                    metadata: metadata.clone(),
                }
            })
            .collect();
        vec![(self.reconciliation.stream().stream_id(), new_events)]
    }

    /// The next business fact.
    pub fn step(&mut self) -> Fact {
        self.steps += 1;
        if self.steps % RECONCILIATION_EVERY_STEPS == 0 {
            return self.reconcile();
        }
        loop {
            if self.capital.free().amount() < Decimal::from(5_000) && self.rng.gen_bool(0.5) {
                let cents = self.rng.gen_range(1_000_000..3_000_000);
                return self.contribute(cents);
            }
            let new_order = self.orders.len() < self.in_flight_orders && self.rng.gen_bool(0.3);
            let fact = if new_order || (self.orders.is_empty() && self.payouts.is_empty()) {
                Some(self.create_order())
            } else if self
                .rng
                .gen_range(0..self.orders.len() + self.payouts.len())
                >= self.orders.len()
            {
                // Orders and payouts advance in proportion to how many wait,
                // so that neither piles up.
                let index = self.rng.gen_range(0..self.payouts.len());
                self.advance_payout(index)
            } else if !self.orders.is_empty() {
                let index = self.rng.gen_range(0..self.orders.len());
                self.advance_order(index)
            } else {
                None
            };
            if let Some(fact) = fact {
                return fact;
            }
        }
    }

    fn create_order(&mut self) -> Fact {
        let product = self.products[self.rng.gen_range(0..self.products.len())].clone();
        let terms = product.checkout_terms().unwrap();
        let order_id = OrderId::from_uuid(self.id());
        let at = self.tick();
        let quantity = self.rng.gen_range(1..4);
        let events = Order::default()
            .decide(OrderCommand::CreateOrder {
                order_id,
                terms,
                quantity,
                provider_order_id: ProviderOrderId::parse(&format!("PP-{}", self.id())).unwrap(),
                created_at: at,
            })
            .unwrap();
        let correlation = self.id();
        let metadata = self.metadata(correlation, "anonymous");
        let fact = vec![self.fact(order_id.stream_id(), &events, &metadata)];
        self.orders.push(InFlightOrder {
            order: Order::default().replay(&events),
            correlation,
        });
        fact
    }

    fn order_fact(&mut self, index: usize, decision: OrderDecision, actor: &str) -> Fact {
        let correlation = self.orders[index].correlation;
        let metadata = self.metadata(correlation, actor);
        let order_id = self.orders[index].order.id().unwrap();
        let mut fact = vec![self.fact(order_id.stream_id(), &decision.order, &metadata)];
        if !decision.capital.is_empty() {
            fact.push(self.fact("capital-USD".into(), &decision.capital, &metadata));
        }
        let flight = &mut self.orders[index];
        flight.order = flight.order.clone().replay(&decision.order);
        self.replay_capital(&decision.capital);
        fact
    }

    fn advance_order(&mut self, index: usize) -> Option<Fact> {
        let at = self.tick();
        let status = self.orders[index].order.status()?;
        match status {
            OrderStatus::Created => {
                let total = self.orders[index].order.total()?;
                let fee = usd((total.amount() * Decimal::new(3, 2) * Decimal::ONE_HUNDRED)
                    .trunc()
                    .try_into()
                    .unwrap_or(0));
                let pending = self.rng.gen_bool(0.2);
                let capture_id = CaptureId::parse(&format!("CAP-{}", self.id())).unwrap();
                let buyer = self.buyers[self.rng.gen_range(0..self.buyers.len())];
                let command = CapturePayment {
                    buyer,
                    capture_id: capture_id.clone(),
                    amount: total,
                    fee,
                    status: if pending {
                        CaptureStatus::Pending
                    } else {
                        CaptureStatus::Completed
                    },
                    entry_id: EntryId::from_uuid(self.id()),
                    captured_at: at,
                };
                let decision =
                    capture_payment(&self.orders[index].order, &self.capital, command).ok()?;
                Some(self.order_fact(index, decision, &buyer.as_uuid().to_string()))
            }
            OrderStatus::AwaitingPaymentClearance => {
                let command = SettleCapture {
                    entry_id: EntryId::from_uuid(self.id()),
                    effective_at: at,
                };
                let order = &self.orders[index].order;
                if self.rng.gen_bool(0.8) {
                    let decision = clear_payment(order, &self.capital, command).ok()?;
                    Some(self.order_fact(index, decision, "system:paypal-webhook"))
                } else {
                    let decision = deny_payment(order, &self.capital, command).ok()?;
                    let fact = self.order_fact(index, decision, "system:settlement");
                    self.orders.swap_remove(index);
                    Some(fact)
                }
            }
            OrderStatus::Paid | OrderStatus::Failed => {
                if status == OrderStatus::Failed && self.rng.gen_bool(0.5) {
                    let command = RequestRefund {
                        request_id: RefundRequestId::from_uuid(self.id()),
                        amount: self.orders[index].order.total()?,
                        requested_at: at,
                    };
                    let decision =
                        request_refund(&self.orders[index].order, &self.capital, command).ok()?;
                    return Some(self.order_fact(index, decision, "system:refunds"));
                }
                let command = StartPurchase {
                    hold_id: HoldId::from_uuid(self.id()),
                    started_at: at,
                };
                let decision =
                    start_purchase(&self.orders[index].order, &self.capital, command).ok()?;
                Some(self.order_fact(index, decision, "system:fulfilment"))
            }
            OrderStatus::Purchasing => {
                let decision = if self.rng.gen_bool(0.9) {
                    let quoted = self.orders[index].order.supplier_cost_quoted()?;
                    let discount = usd(self.rng.gen_range(0..50));
                    let cost = quoted
                        .checked_sub(discount)
                        .ok()
                        .filter(|c| c.is_positive())
                        .unwrap_or(quoted);
                    let command = ConfirmPurchase {
                        supplier_order_id: SupplierOrderId::parse(&format!("AE-{}", self.id()))
                            .unwrap(),
                        supplier_cost: cost,
                        entry_id: EntryId::from_uuid(self.id()),
                        confirmed_at: at,
                    };
                    confirm_purchase(&self.orders[index].order, &self.capital, command).ok()?
                } else {
                    let command = FailPurchase {
                        reason: FailureReason::OutOfStock,
                        failed_at: at,
                    };
                    fail_purchase(&self.orders[index].order, &self.capital, command).ok()?
                };
                Some(self.order_fact(index, decision, "system:fulfilment"))
            }
            OrderStatus::Purchased => {
                let sale_id = SaleId::from_uuid(self.id());
                let command = RecordOrderSale {
                    sale_id,
                    commission_rate: self.commission,
                    entry_id: EntryId::from_uuid(self.id()),
                    admin_payout_id: PayoutId::from_uuid(self.id()),
                    seller_payout_id: PayoutId::from_uuid(self.id()),
                    effective_at: at,
                };
                let flight = self.orders.swap_remove(index);
                let decision = record_sale(&flight.order, &Sale::default(), command).ok()?;
                let metadata = self.metadata(flight.correlation, "system:sales");
                let order_id = flight.order.id()?;
                let mut fact = vec![self.fact(order_id.stream_id(), &decision.order, &metadata)];
                if !decision.sale.is_empty() {
                    fact.push(self.fact(sale_id.stream_id(), &decision.sale, &metadata));
                }
                for (payout_id, events) in &decision.payouts {
                    fact.push(self.fact(payout_id.stream_id(), events, &metadata));
                    self.payouts
                        .push((Payout::default().replay(events), flight.correlation));
                }
                Some(fact)
            }
            OrderStatus::RefundRequested => {
                if self.rng.gen_bool(0.2) {
                    let decision = fail_refund_request(&self.orders[index].order, at).ok()?;
                    return Some(self.order_fact(index, decision, "system:refunds"));
                }
                let total = self.orders[index].order.total()?;
                let command = RefundPayment {
                    refund_id: ProviderRefundId::parse(&format!("RF-{}", self.id())).unwrap(),
                    amount: total,
                    fee_returned: usd(0),
                    entry_id: EntryId::from_uuid(self.id()),
                    refunded_at: at,
                };
                let decision =
                    refund_payment(&self.orders[index].order, &self.capital, command).ok()?;
                let fact = self.order_fact(index, decision, "system:refunds");
                self.orders.swap_remove(index);
                Some(fact)
            }
            // The generated history has no supplier cancellations; an order
            // at either end is done.
            OrderStatus::Refunded | OrderStatus::SupplierCancelled => {
                self.orders.swap_remove(index);
                None
            }
        }
    }

    fn payout_fact(&mut self, index: usize, decision: PayoutDecision) -> Fact {
        let (payout, correlation) = &self.payouts[index];
        let (payout_id, correlation) = (payout.id().unwrap(), *correlation);
        let metadata = self.metadata(correlation, "system:payouts");
        let mut fact = vec![self.fact(payout_id.stream_id(), &decision.payout, &metadata)];
        if !decision.capital.is_empty() {
            fact.push(self.fact("capital-USD".into(), &decision.capital, &metadata));
        }
        let payout = &mut self.payouts[index].0;
        *payout = payout.clone().replay(&decision.payout);
        self.replay_capital(&decision.capital);
        fact
    }

    fn advance_payout(&mut self, index: usize) -> Option<Fact> {
        let at = self.tick();
        let payout = self.payouts[index].0.clone();
        match payout.status()? {
            PayoutStatus::Sent => {
                self.payouts.swap_remove(index);
                None
            }
            _ if payout.hold_in_flight().is_some() => {
                let decision = if self.rng.gen_bool(0.95) {
                    let command = ConfirmPayout {
                        provider_payout_id: ProviderPayoutId::parse(&format!("PO-{}", self.id()))
                            .unwrap(),
                        entry_id: EntryId::from_uuid(self.id()),
                        fee: usd(self.rng.gen_range(0..26)),
                        fee_entry_id: EntryId::from_uuid(self.id()),
                        sent_at: at,
                    };
                    confirm_payout(&payout, &self.capital, command).ok()?
                } else {
                    let command = FailPayout {
                        reason: PayoutFailureReason::ProviderRejected,
                        failed_at: at,
                    };
                    fail_payout(&payout, &self.capital, command).ok()?
                };
                let fact = self.payout_fact(index, decision);
                if self.payouts[index].0.status() == Some(PayoutStatus::Sent) {
                    self.payouts.swap_remove(index);
                }
                Some(fact)
            }
            _ => {
                let command = ReservePayout {
                    hold_id: HoldId::from_uuid(self.id()),
                    fee_allowance: Some(FeeAllowance {
                        hold_id: HoldId::from_uuid(self.id()),
                        amount: usd(25),
                    }),
                    destination: Some(PayoutDestination::Paypal {
                        email: PersonalText::sealed(Uuid::nil(), "c2VhbGVk".to_owned()),
                    }),
                    environment: PayoutEnvironment::Sandbox,
                    reserved_at: at,
                };
                let decision = reserve_payout(&payout, &self.capital, command).ok()?;
                Some(self.payout_fact(index, decision))
            }
        }
    }
}

/// The expected version of each stream, as the appender last left it.
#[derive(Default)]
pub struct Versions(HashMap<String, u64>);

impl Versions {
    fn expected(&self, stream: &str) -> dropledger_eventstore::ExpectedVersion {
        match self.0.get(stream) {
            Some(version) => dropledger_eventstore::ExpectedVersion::Exact(*version),
            None => dropledger_eventstore::ExpectedVersion::NoStream,
        }
    }

    /// Appends one fact atomically, with every stream's exact expected version.
    pub async fn append_fact(
        &mut self,
        store: &dropledger_eventstore::EventStore,
        fact: Fact,
    ) -> anyhow::Result<usize> {
        let appends: Vec<_> = fact
            .into_iter()
            .map(|(stream_id, events)| {
                let expected = self.expected(&stream_id);
                dropledger_eventstore::StreamAppend::new(stream_id, expected, events)
            })
            .collect();
        let results = store.append_all(&appends).await?;
        let mut count = 0;
        for (append, result) in appends.iter().zip(results) {
            count += append.events.len();
            self.0.insert(append.stream_id.clone(), result.last_version);
        }
        Ok(count)
    }

    /// Appends many facts in one transaction, one append per stream (the
    /// facts' events in order): fast generation of a large log.
    pub async fn append_wave(
        &mut self,
        store: &dropledger_eventstore::EventStore,
        facts: Vec<Fact>,
    ) -> anyhow::Result<usize> {
        let mut order: Vec<String> = Vec::new();
        let mut streams: HashMap<String, Vec<NewEvent>> = HashMap::new();
        for fact in facts {
            for (stream_id, events) in fact {
                let entry = streams.entry(stream_id.clone()).or_insert_with(|| {
                    order.push(stream_id);
                    Vec::new()
                });
                entry.extend(events);
            }
        }
        let mut transaction = store.begin().await?;
        let mut count = 0;
        for stream_id in order {
            let events = &streams[&stream_id];
            let result = transaction
                .append(&stream_id, self.expected(&stream_id), events)
                .await?;
            count += events.len();
            self.0.insert(stream_id, result.last_version);
        }
        transaction.commit().await?;
        Ok(count)
    }
}
