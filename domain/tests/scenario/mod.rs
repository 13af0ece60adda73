//! A random scenario: steps, the world they act on, and the checks after each.

mod after_sale;
mod disputes;
mod steps;
mod supplier;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use dropledger_domain::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

/// One step a random scenario may take; indices pick among existing orders
/// or payouts (modulo their count).
#[derive(Debug, Clone)]
pub enum Step {
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
    DenyCapture {
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
    RefundSold {
        order: usize,
        per_mille: i64,
        fee_returned_per_mille: i64,
    },
    RecordSale {
        order: usize,
        commission_percent: u32,
    },
    ReservePayout {
        payout: usize,
        has_email: bool,
        fee_allowance_cents: i64,
    },
    ConfirmPayout {
        payout: usize,
        fee_cents: i64,
    },
    FailPayout {
        payout: usize,
    },
    OpenDispute {
        order: usize,
        per_mille: i64,
    },
    ResolveDispute {
        order: usize,
        won: bool,
        fee_cents: i64,
    },
    /// The supplier cancels the order's purchase (and, with `refund`,
    /// refunds it at once; otherwise a later `SupplierRefund` does).
    SupplierCancel {
        order: usize,
        refund: bool,
    },
    SupplierRefund {
        order: usize,
    },
}

/// Steps are weighted and indices small so that most scenarios carry some
/// orders all the way to sent payouts, and some run out of capital.
pub fn step() -> impl Strategy<Value = Step> {
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
        2 => pick().prop_map(|order| Step::CompleteCapture { order }),
        1 => pick().prop_map(|order| Step::DenyCapture { order }),
        3 => pick().prop_map(|order| Step::StartPurchase { order }),
        3 => (pick(), 0i64..500)
            .prop_map(|(order, discount_cents)| Step::ConfirmPurchase { order, discount_cents }),
        1 => pick().prop_map(|order| Step::FailPurchase { order }),
        1 => (pick(), 0i64..1_000).prop_map(|(order, fee_returned_per_mille)| Step::Refund {
            order,
            fee_returned_per_mille
        }),
        3 => (pick(), 1i64..=1_000, prop_oneof![Just(0i64), 0i64..=1_000]).prop_map(
            |(order, per_mille, fee_returned_per_mille)| Step::RefundSold {
                order,
                per_mille,
                fee_returned_per_mille,
            }
        ),
        3 => (pick(), 0u32..60)
            .prop_map(|(order, commission_percent)| Step::RecordSale { order, commission_percent }),
        3 => (0usize..8, prop::bool::weighted(0.9), 0i64..200).prop_map(
            |(payout, has_email, fee_allowance_cents)| Step::ReservePayout {
                payout,
                has_email,
                fee_allowance_cents
            }
        ),
        3 => (0usize..8, 0i64..250)
            .prop_map(|(payout, fee_cents)| Step::ConfirmPayout { payout, fee_cents }),
        1 => (0usize..8).prop_map(|payout| Step::FailPayout { payout }),
        2 => (pick(), 1i64..=1_000).prop_map(|(order, per_mille)| Step::OpenDispute { order, per_mille }),
        2 => (pick(), prop::bool::ANY, 0i64..3_000)
            .prop_map(|(order, won, fee_cents)| Step::ResolveDispute { order, won, fee_cents }),
        1 => (pick(), prop::bool::ANY).prop_map(|(order, refund)| Step::SupplierCancel { order, refund }),
        1 => pick().prop_map(|order| Step::SupplierRefund { order }),
    ]
}

/// Everything decided so far, per stream, and the books built from it.
pub struct World {
    pub(crate) next_id: u128,
    pub(crate) clock: DateTime<Utc>,
    pub(crate) capital: WorkingCapital,
    pub(crate) capital_events: Vec<CapitalEvent>,
    pub(crate) orders: Vec<(Order, Vec<OrderEvent>, Option<CaptureId>)>,
    pub(crate) sales: Vec<(Sale, Vec<SaleEvent>)>,
    pub(crate) payouts: Vec<(Payout, Vec<PayoutEvent>)>,
    pub(crate) receivables: BTreeMap<Payee, Receivable>,
    pub(crate) fees_returned: BTreeMap<SaleId, Decimal>,
    pub(crate) model: after_sale::Model,
    pub(crate) books: Balances,
}

pub fn usd_cents(cents: i64) -> Money {
    Money::from_minor_units(cents, Currency::Usd).unwrap()
}

impl World {
    pub fn new() -> World {
        World {
            next_id: 1,
            clock: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            capital: WorkingCapital::new(Currency::Usd),
            capital_events: Vec::new(),
            orders: Vec::new(),
            sales: Vec::new(),
            payouts: Vec::new(),
            receivables: BTreeMap::new(),
            fees_returned: BTreeMap::new(),
            model: after_sale::Model::default(),
            books: Balances::new(),
        }
    }

    pub(crate) fn uuid(&mut self) -> Uuid {
        self.next_id += 1;
        Uuid::from_u128(self.next_id)
    }

    pub(crate) fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::minutes(1);
        self.clock
    }

    pub(crate) fn book<E: DomainEvent>(&mut self, events: &[E]) {
        for event in events {
            check_event(event);
            if let Some(effect) = event.ledger_effect() {
                self.books
                    .apply(effect)
                    .expect("every ledger effect applies");
            }
        }
    }

    pub(crate) fn apply_capital(&mut self, events: Vec<CapitalEvent>) {
        self.book(&events);
        self.capital = self.capital.clone().replay(&events);
        self.capital_events.extend(events);
    }

    pub(crate) fn apply_order(&mut self, index: usize, events: Vec<OrderEvent>) {
        self.book(&events);
        let (order, log, _) = &mut self.orders[index];
        *order = order.clone().replay(&events);
        log.extend(events);
    }

    pub(crate) fn apply_payout(&mut self, index: usize, events: Vec<PayoutEvent>) {
        self.book(&events);
        let (payout, log) = &mut self.payouts[index];
        *payout = payout.clone().replay(&events);
        log.extend(events);
    }

    pub(crate) fn apply_order_decision(&mut self, index: usize, decision: OrderDecision) {
        self.apply_order(index, decision.order);
        self.apply_capital(decision.capital);
    }

    pub(crate) fn apply_payout_decision(&mut self, index: usize, decision: PayoutDecision) {
        self.apply_payout(index, decision.payout);
        self.apply_capital(decision.capital);
    }

    pub fn check_invariants(&self) {
        let usd = Currency::Usd;
        for (order, events, _) in &self.orders {
            let happened = |wanted: &str| events.iter().any(|event| event.event_type() == wanted);
            let first = |wanted: &str| events.iter().position(|event| event.event_type() == wanted);
            // A bought order is refunded only as a sale (reversed), or once
            // its supplier cancelled (nothing ships), never as an order
            // nothing was bought for; nothing is bought after a refund.
            if let (Some(bought), Some(refunded)) =
                (first("OrderPurchased"), first("OrderRefunded"))
            {
                assert!(bought < refunded, "bought after a refund: {order:?}");
                assert!(
                    first("OrderSaleRecorded")
                        .or(first("OrderSupplierCancelled"))
                        .is_some_and(|sold| sold < refunded),
                    "a bought order refunded before its sale: {order:?}"
                );
            }
            // The supplier refunds only what it cancelled, once.
            if let Some(refund) = first("OrderSupplierRefunded") {
                assert!(first("OrderSupplierCancelled").is_some_and(|cancel| cancel < refund));
            }
            if happened("OrderPurchaseStarted") {
                assert!(
                    !events.iter().any(|event| matches!(
                        event,
                        OrderEvent::OrderPaid {
                            capture_status: CaptureStatus::Pending,
                            ..
                        }
                    )) || happened("OrderPaymentCleared"),
                    "bought from a capture that never cleared: {order:?}"
                );
            }
        }
        let trial = self.books.trial_balance(usd).unwrap();
        assert!(trial.is_balanced(), "trial balance off: {trial:?}");
        self.check_parties();
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
        // The budget the store keeps for the capital stream (the sum of the
        // events' changes) is free capital, so the store's limit is the
        // domain's.
        let budget: Decimal = self
            .capital_events
            .iter()
            .map(|event| {
                event
                    .budget_change()
                    .expect("capital events move the budget")
            })
            .sum();
        assert_eq!(budget, self.capital.free().amount());
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

    pub fn check_replay(&self) {
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

pub(crate) fn check_sale_adds_up(event: &SaleEvent) {
    let SaleEvent::SaleRecorded { breakdown, .. } = event else {
        return;
    };
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
