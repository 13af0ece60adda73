//! Properties of the whole domain over random command sequences: the books
//! always balance, capital and cash never go negative, sales add up to the
//! cent, and replaying the events gives back the state decisions were made on.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dropledger_domain::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

/// One step a random scenario may take; indices pick among existing orders
/// or payouts (modulo their count).
#[derive(Debug, Clone)]
enum Step {
    Contribute {
        cents: i64,
    },
    CreateOrder {
        unit_cost_cents: i64,
        margin_cents: i64,
        quantity: u32,
    },
    Capture {
        order: usize,
        pending: bool,
        fee_per_mille: i64,
    },
    CompleteCapture {
        order: usize,
    },
    StartPurchase {
        order: usize,
    },
    ConfirmPurchase {
        order: usize,
        discount_cents: i64,
    },
    FailPurchase {
        order: usize,
    },
    Refund {
        order: usize,
        fee_returned_per_mille: i64,
    },
    RecordSale {
        order: usize,
        commission_percent: u32,
    },
    ReservePayout {
        payout: usize,
        has_email: bool,
    },
    ConfirmPayout {
        payout: usize,
    },
    FailPayout {
        payout: usize,
    },
}

/// Steps are weighted and indices small so that most scenarios carry some
/// orders all the way to sent payouts, and some run out of capital.
fn step() -> impl Strategy<Value = Step> {
    let pick = || 0usize..4;
    prop_oneof![
        2 => (1i64..8_000).prop_map(|cents| Step::Contribute { cents }),
        1 => (100i64..5_000, 1i64..3_000, 1u32..4).prop_map(
            |(unit_cost_cents, margin_cents, quantity)| Step::CreateOrder {
                unit_cost_cents,
                margin_cents,
                quantity,
            }
        ),
        3 => (pick(), prop::bool::weighted(0.7), 0i64..120).prop_map(|(order, pending, fee_per_mille)| {
            Step::Capture { order, pending, fee_per_mille }
        }),
        1 => pick().prop_map(|order| Step::CompleteCapture { order }),
        3 => pick().prop_map(|order| Step::StartPurchase { order }),
        3 => (pick(), 0i64..500)
            .prop_map(|(order, discount_cents)| Step::ConfirmPurchase { order, discount_cents }),
        1 => pick().prop_map(|order| Step::FailPurchase { order }),
        1 => (pick(), 0i64..1_000).prop_map(|(order, fee_returned_per_mille)| Step::Refund {
            order,
            fee_returned_per_mille
        }),
        3 => (pick(), 0u32..60)
            .prop_map(|(order, commission_percent)| Step::RecordSale { order, commission_percent }),
        3 => (0usize..8, prop::bool::weighted(0.9))
            .prop_map(|(payout, has_email)| Step::ReservePayout { payout, has_email }),
        3 => (0usize..8).prop_map(|payout| Step::ConfirmPayout { payout }),
        1 => (0usize..8).prop_map(|payout| Step::FailPayout { payout }),
    ]
}

/// Everything decided so far, per stream, and the books built from it.
struct World {
    next_id: u128,
    clock: DateTime<Utc>,
    capital: WorkingCapital,
    capital_events: Vec<CapitalEvent>,
    orders: Vec<(Order, Vec<OrderEvent>, Option<CaptureId>)>,
    sales: Vec<(Sale, Vec<SaleEvent>)>,
    payouts: Vec<(Payout, Vec<PayoutEvent>)>,
    books: Balances,
}

fn usd_cents(cents: i64) -> Money {
    Money::from_minor_units(cents, Currency::Usd).unwrap()
}

impl World {
    fn new() -> World {
        World {
            next_id: 1,
            clock: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            capital: WorkingCapital::new(Currency::Usd),
            capital_events: Vec::new(),
            orders: Vec::new(),
            sales: Vec::new(),
            payouts: Vec::new(),
            books: Balances::new(),
        }
    }

    fn uuid(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::minutes(1);
        self.clock
    }

    fn book<E: DomainEvent>(&mut self, events: &[E]) {
        for event in events {
            check_event(event);
            if let Some(effect) = event.ledger_effect() {
                self.books
                    .apply(effect)
                    .expect("every ledger effect applies");
            }
        }
    }

    fn apply_capital(&mut self, events: Vec<CapitalEvent>) {
        self.book(&events);
        self.capital = self.capital.clone().replay(&events);
        self.capital_events.extend(events);
    }

    fn apply_order(&mut self, index: usize, events: Vec<OrderEvent>) {
        self.book(&events);
        let (order, log, _) = &mut self.orders[index];
        *order = order.clone().replay(&events);
        log.extend(events);
    }

    fn apply_payout(&mut self, index: usize, events: Vec<PayoutEvent>) {
        self.book(&events);
        let (payout, log) = &mut self.payouts[index];
        *payout = payout.clone().replay(&events);
        log.extend(events);
    }

    fn apply_order_decision(&mut self, index: usize, decision: OrderDecision) {
        self.apply_order(index, decision.order);
        self.apply_capital(decision.capital);
    }

    fn apply_payout_decision(&mut self, index: usize, decision: PayoutDecision) {
        self.apply_payout(index, decision.payout);
        self.apply_capital(decision.capital);
    }

    fn run(&mut self, step: Step) {
        let at = self.tick();
        let orders = self.orders.len().max(1);
        let payouts = self.payouts.len().max(1);
        match step {
            Step::Contribute { cents } => {
                let command = CapitalCommand::ContributeCapital {
                    entry_id: EntryId::from_uuid(self.uuid()),
                    amount: usd_cents(cents),
                    reference: Reference::parse("owner transfer").unwrap(),
                    effective_at: at,
                };
                let events = self
                    .capital
                    .decide(command)
                    .expect("a contribution is accepted");
                self.apply_capital(events);
            }
            Step::CreateOrder {
                unit_cost_cents,
                margin_cents,
                quantity,
            } => {
                let terms = CheckoutTerms {
                    product_id: ProductId::from_uuid(self.uuid()),
                    seller: UserId::from_uuid(Uuid::from_u128(1 + (self.next_id % 3))),
                    unit_price: usd_cents(unit_cost_cents + margin_cents),
                    unit_supplier_cost: usd_cents(unit_cost_cents),
                };
                let command = OrderCommand::CreateOrder {
                    order_id: OrderId::from_uuid(self.uuid()),
                    terms,
                    quantity,
                    provider_order_id: ProviderOrderId::parse("PP").unwrap(),
                    created_at: at,
                };
                let events = Order::default()
                    .decide(command)
                    .expect("an order is created");
                self.orders.push((Order::default(), Vec::new(), None));
                self.apply_order(self.orders.len() - 1, events);
            }
            Step::Capture {
                order,
                pending,
                fee_per_mille,
            } if !self.orders.is_empty() => {
                let index = order % orders;
                let Some(total) = self.orders[index].0.total() else {
                    return;
                };
                let fee_cents = (total.amount() * Decimal::from(fee_per_mille) / Decimal::from(10))
                    .trunc()
                    .try_into()
                    .unwrap_or(0i64);
                let capture_id = CaptureId::parse(&format!("CAP-{}", self.uuid())).unwrap();
                let command = CapturePayment {
                    buyer: UserId::from_uuid(Uuid::from_u128(9)),
                    capture_id: capture_id.clone(),
                    amount: total,
                    fee: usd_cents(fee_cents),
                    status: if pending {
                        CaptureStatus::Pending
                    } else {
                        CaptureStatus::Completed
                    },
                    entry_id: EntryId::from_uuid(self.uuid()),
                    captured_at: at,
                };
                if let Ok(decision) = capture_payment(&self.orders[index].0, &self.capital, command)
                {
                    self.orders[index].2 = Some(capture_id);
                    self.apply_order_decision(index, decision);
                }
            }
            Step::CompleteCapture { order } if !self.orders.is_empty() => {
                let Some(capture_id) = self.orders[order % orders].2.clone() else {
                    return;
                };
                let command = CapitalCommand::CompleteCapture {
                    entry_id: EntryId::from_uuid(self.uuid()),
                    capture_id,
                    effective_at: at,
                };
                if let Ok(events) = self.capital.decide(command) {
                    self.apply_capital(events);
                }
            }
            Step::StartPurchase { order } if !self.orders.is_empty() => {
                let index = order % orders;
                let command = StartPurchase {
                    hold_id: HoldId::from_uuid(self.uuid()),
                    started_at: at,
                };
                if let Ok(decision) = start_purchase(&self.orders[index].0, &self.capital, command)
                {
                    self.apply_order_decision(index, decision);
                }
            }
            Step::ConfirmPurchase {
                order,
                discount_cents,
            } if !self.orders.is_empty() => {
                let index = order % orders;
                let Some(quoted) = self.orders[index].0.supplier_cost_quoted() else {
                    return;
                };
                let cost = quoted.checked_sub(usd_cents(discount_cents)).unwrap();
                let command = ConfirmPurchase {
                    supplier_order_id: SupplierOrderId::parse("AE").unwrap(),
                    supplier_cost: if cost.is_positive() { cost } else { quoted },
                    entry_id: EntryId::from_uuid(self.uuid()),
                    confirmed_at: at,
                };
                if let Ok(decision) =
                    confirm_purchase(&self.orders[index].0, &self.capital, command)
                {
                    self.apply_order_decision(index, decision);
                }
            }
            Step::FailPurchase { order } if !self.orders.is_empty() => {
                let index = order % orders;
                let command = FailPurchase {
                    reason: FailureReason::OutOfStock,
                    failed_at: at,
                };
                if let Ok(decision) = fail_purchase(&self.orders[index].0, &self.capital, command) {
                    self.apply_order_decision(index, decision);
                }
            }
            Step::Refund {
                order,
                fee_returned_per_mille,
            } if !self.orders.is_empty() => {
                let index = order % orders;
                let Some(total) = self.orders[index].0.total() else {
                    return;
                };
                let fee = self.orders[index].1.iter().find_map(|event| match event {
                    OrderEvent::OrderPaid { fee, .. } => Some(*fee),
                    _ => None,
                });
                let Some(fee) = fee else { return };
                let returned_cents: i64 = (fee.amount() * Decimal::from(fee_returned_per_mille)
                    / Decimal::from(10))
                .trunc()
                .try_into()
                .unwrap_or(0);
                let command = RefundPayment {
                    refund_id: ProviderRefundId::parse("RF").unwrap(),
                    amount: total,
                    fee_returned: usd_cents(returned_cents),
                    entry_id: EntryId::from_uuid(self.uuid()),
                    refunded_at: at,
                };
                if let Ok(decision) = refund_payment(&self.orders[index].0, &self.capital, command)
                {
                    self.apply_order_decision(index, decision);
                }
            }
            Step::RecordSale {
                order,
                commission_percent,
            } if !self.orders.is_empty() => {
                let index = order % orders;
                let command = RecordOrderSale {
                    sale_id: SaleId::from_uuid(self.uuid()),
                    commission_rate: Percentage::new(Decimal::from(commission_percent)).unwrap(),
                    entry_id: EntryId::from_uuid(self.uuid()),
                    admin_payout_id: PayoutId::from_uuid(self.uuid()),
                    seller_payout_id: PayoutId::from_uuid(self.uuid()),
                    effective_at: at,
                };
                let Ok(decision) = record_sale(&self.orders[index].0, &Sale::default(), command)
                else {
                    return;
                };
                for event in &decision.sale {
                    check_sale_adds_up(event);
                }
                self.apply_order(index, decision.order);
                if !decision.sale.is_empty() {
                    self.book(&decision.sale);
                    let sale = Sale::default().replay(&decision.sale);
                    self.sales.push((sale, decision.sale));
                }
                for (_, events) in decision.payouts {
                    self.payouts.push((Payout::default(), Vec::new()));
                    self.apply_payout(self.payouts.len() - 1, events);
                }
            }
            Step::ReservePayout { payout, has_email } if !self.payouts.is_empty() => {
                let index = payout % payouts;
                let destination = has_email.then(|| PayoutDestination::Paypal {
                    email: EmailAddress::parse("payee@example.com").unwrap(),
                });
                let command = ReservePayout {
                    hold_id: HoldId::from_uuid(self.uuid()),
                    destination,
                    environment: PayoutEnvironment::Production,
                    reserved_at: at,
                };
                if let Ok(decision) = reserve_payout(&self.payouts[index].0, &self.capital, command)
                {
                    self.apply_payout_decision(index, decision);
                }
            }
            Step::ConfirmPayout { payout } if !self.payouts.is_empty() => {
                let index = payout % payouts;
                let command = ConfirmPayout {
                    provider_payout_id: ProviderPayoutId::parse("PO").unwrap(),
                    entry_id: EntryId::from_uuid(self.uuid()),
                    sent_at: at,
                };
                if let Ok(decision) = confirm_payout(&self.payouts[index].0, &self.capital, command)
                {
                    self.apply_payout_decision(index, decision);
                }
            }
            Step::FailPayout { payout } if !self.payouts.is_empty() => {
                let index = payout % payouts;
                let command = FailPayout {
                    reason: PayoutFailureReason::Returned,
                    failed_at: at,
                };
                if let Ok(decision) = fail_payout(&self.payouts[index].0, &self.capital, command) {
                    self.apply_payout_decision(index, decision);
                }
            }
            _ => {}
        }
    }

    fn check_invariants(&self) {
        let usd = Currency::Usd;
        let trial = self.books.trial_balance(usd).unwrap();
        assert!(trial.is_balanced(), "trial balance off: {trial:?}");
        assert!(
            !self.capital.free().is_negative(),
            "free capital {}",
            self.capital.free()
        );
        assert!(
            !self.capital.available().is_negative(),
            "cash {}",
            self.capital.available()
        );
        assert!(
            !self.capital.pending().is_negative(),
            "pending cash {}",
            self.capital.pending()
        );
        // The aggregate and the books built from postings alone agree.
        let cash = self.books.balance(Account::CashAvailable, usd);
        assert_eq!(
            cash.posted(Account::CashAvailable),
            self.capital.available().amount()
        );
        assert_eq!(
            cash.available(Account::CashAvailable),
            self.capital.free().amount()
        );
        let pending = self.books.balance(Account::CashPending, usd);
        assert_eq!(
            pending.posted(Account::CashPending),
            self.capital.pending().amount()
        );
        // No asset or liability account ever goes below zero on its normal side.
        for account in self.books.accounts(usd) {
            let balance = self.books.balance(account, usd);
            let kind = account.kind();
            if matches!(kind, AccountKind::Asset | AccountKind::Liability) {
                assert!(
                    balance.posted(account) >= Decimal::ZERO,
                    "{account} is {balance:?}"
                );
            }
        }
    }

    fn check_replay(&self) {
        let replayed = WorkingCapital::new(Currency::Usd).replay(&self.capital_events);
        assert_eq!(replayed, self.capital);
        let stored: Vec<CapitalEvent> = self.capital_events.iter().map(round_trip).collect();
        assert_eq!(
            WorkingCapital::new(Currency::Usd).replay(&stored),
            self.capital
        );
        for (order, events, _) in &self.orders {
            let stored: Vec<OrderEvent> = events.iter().map(round_trip).collect();
            assert_eq!(&Order::default().replay(&stored), order);
        }
        for (sale, events) in &self.sales {
            assert_eq!(&Sale::default().replay(events), sale);
        }
        for (payout, events) in &self.payouts {
            let stored: Vec<PayoutEvent> = events.iter().map(round_trip).collect();
            assert_eq!(&Payout::default().replay(&stored), payout);
        }
    }
}

fn round_trip<E: DomainEvent>(event: &E) -> E {
    let json = serde_json::to_value(event).unwrap();
    assert_eq!(
        json["type"],
        event.event_type(),
        "the tag is the event type"
    );
    serde_json::from_value(json).expect("a stored event reads back")
}

/// Every posting set balances per currency, counted independently of the
/// constructor that already refuses unbalanced entries.
fn check_event<E: DomainEvent>(event: &E) {
    assert_eq!(&round_trip(event), event);
    let entry = match event.ledger_effect() {
        Some(LedgerEffect::Entry(entry)) | Some(LedgerEffect::HoldPosted { entry, .. }) => entry,
        Some(LedgerEffect::HoldPlaced(hold)) | Some(LedgerEffect::HoldVoided(hold)) => {
            assert!(hold.amount().is_positive());
            assert_ne!(hold.debit(), hold.credit());
            return;
        }
        None => return,
    };
    let mut sums = std::collections::BTreeMap::new();
    for posting in entry.postings() {
        assert!(posting.amount().is_positive());
        *sums
            .entry(posting.amount().currency())
            .or_insert(Decimal::ZERO) += posting.signed_amount();
    }
    for (currency, sum) in sums {
        assert_eq!(sum, Decimal::ZERO, "{currency} postings of {event:?}");
    }
}

fn check_sale_adds_up(event: &SaleEvent) {
    let SaleEvent::SaleRecorded { breakdown, .. } = event;
    let sum = breakdown
        .supplier_cost()
        .checked_add(breakdown.fees())
        .and_then(|sum| sum.checked_add(breakdown.commission()))
        .and_then(|sum| sum.checked_add(breakdown.net_profit()))
        .unwrap();
    assert_eq!(sum, breakdown.sale_price());
    assert!(breakdown.net_profit().is_positive(), "profit guard");
    assert!(!breakdown.commission().is_negative());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn books_balance_capital_stays_non_negative_and_replay_gives_the_same_state(
        steps in prop::collection::vec(step(), 1..120)
    ) {
        let mut world = World::new();
        for step in steps {
            world.run(step);
            world.check_invariants();
        }
        world.check_replay();
    }

    #[test]
    fn a_sale_splits_its_price_exactly_for_any_amounts_and_rate(
        price_cents in 1i64..10_000_000,
        cost_cents in 1i64..10_000_000,
        fee_cents in 0i64..1_000_000,
        rate_hundredths in 0u32..=10_000,
    ) {
        let rate = Percentage::new(Decimal::new(rate_hundredths.into(), 2)).unwrap();
        let sale = SaleBreakdown::compute(
            usd_cents(price_cents), usd_cents(cost_cents), usd_cents(fee_cents), rate,
        ).unwrap();
        let sum = sale.supplier_cost()
            .checked_add(sale.fees()).unwrap()
            .checked_add(sale.commission()).unwrap()
            .checked_add(sale.net_profit()).unwrap();
        prop_assert_eq!(sum, sale.sale_price());
        prop_assert_eq!(sale.gross_profit(), usd_cents(price_cents - cost_cents));
        // The commission is within half a cent of the exact share.
        if sale.gross_profit().is_positive() {
            let exact = sale.gross_profit().amount() * rate.value() / Decimal::ONE_HUNDRED;
            prop_assert!((sale.commission().amount() - exact).abs() <= Decimal::new(5, 3));
        }
    }
}
