//! The summary, computed from the event log alone: every event is read back
//! and decoded, the books are rebuilt from the events' ledger effects, the
//! aggregates are replayed, and the hash chain is recomputed.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Context;
use dropledger_domain::{
    decode_event, Account, Aggregate, Balances, CapitalEvent, Currency, DomainEvent, FailureReason,
    HoldPurpose, Money, Order, OrderEvent, OrderId, OrderStatus, Payout, PayoutEvent, PayoutId,
    PayoutStatus, PlatformEvent, ProductEvent, SaleEvent, StreamKind, TrialBalance, UserEvent,
    WorkingCapital,
};
use dropledger_eventstore::{ChainReport, EventStore, RecordedEvent, READ_EVENTS_MAX};

/// The demo's one currency.
const CURRENCY: Currency = Currency::Usd;

/// How long the summary waits for the log to take in every event of the run.
const LOG_WAIT: std::time::Duration = std::time::Duration::from_secs(120);
/// What the log says happened.
pub struct Report {
    events: u64,
    orders: BTreeMap<OrderId, Order>,
    payouts: BTreeMap<PayoutId, Payout>,
    books: Balances,
    trial: TrialBalance,
    capital: WorkingCapital,
    purchase_holds_voided: usize,
    chain: ChainReport,
}

/// Reads the whole log and builds the report.
pub async fn compute(store: &EventStore) -> anyhow::Result<Report> {
    let mut report = Report {
        events: 0,
        orders: BTreeMap::new(),
        payouts: BTreeMap::new(),
        books: Balances::new(),
        trial: Balances::new().trial_balance(CURRENCY)?,
        capital: WorkingCapital::new(CURRENCY),
        purchase_holds_voided: 0,
        chain: ChainReport {
            verified: 0,
            head_hash: String::new(),
            first_tampered: None,
        },
    };
    // Every event of the run must have its position before the books are
    // summed; a transaction held open elsewhere on the server delays that.
    let status = store.wait_for_log(LOG_WAIT).await?;
    if let Some(blocking) = status.waiting_for {
        anyhow::bail!(
            "the event log is still held back after {}s by {blocking}; end that transaction and run the demo again",
            LOG_WAIT.as_secs()
        );
    }
    let mut position = 0;
    loop {
        let batch = store.read_all(position, READ_EVENTS_MAX).await?;
        for logged in &batch {
            report.apply(&logged.event).with_context(|| {
                format!(
                    "event {} at position {}",
                    logged.event.event_id, logged.position
                )
            })?;
            position = logged.position;
        }
        if batch.is_empty() {
            break;
        }
    }
    report.trial = report.books.trial_balance(CURRENCY)?;
    report.chain = store.verify_chain(|_| {}).await?;
    Ok(report)
}

/// Decodes a stored event and applies its ledger effect to the books.
fn book<E: DomainEvent>(books: &mut Balances, recorded: &RecordedEvent) -> anyhow::Result<E> {
    let event: E = decode_event(
        &recorded.event_type,
        recorded.schema_version,
        recorded.payload_value(),
    )?;
    if let Some(effect) = event.ledger_effect() {
        books.apply(effect)?;
    }
    Ok(event)
}

impl Report {
    fn apply(&mut self, recorded: &RecordedEvent) -> anyhow::Result<()> {
        self.events += 1;
        let books = &mut self.books;
        match StreamKind::parse(&recorded.stream_id)? {
            StreamKind::Order(id) => {
                let event: OrderEvent = book(books, recorded)?;
                let order = self.orders.remove(&id).unwrap_or_default();
                self.orders.insert(id, order.evolve(&event));
            }
            StreamKind::Payout(id) => {
                let event: PayoutEvent = book(books, recorded)?;
                let payout = self.payouts.remove(&id).unwrap_or_default();
                self.payouts.insert(id, payout.evolve(&event));
            }
            StreamKind::Capital(currency) => {
                let event: CapitalEvent = book(books, recorded)?;
                if let CapitalEvent::HoldVoided {
                    purpose: HoldPurpose::Purchase { .. },
                    ..
                } = event
                {
                    self.purchase_holds_voided += 1;
                }
                if currency == CURRENCY {
                    self.capital = self.capital.clone().evolve(&event);
                }
            }
            StreamKind::Sale(_) => {
                book::<SaleEvent>(books, recorded)?;
            }
            StreamKind::User(_) => {
                book::<UserEvent>(books, recorded)?;
            }
            StreamKind::Product(_) => {
                book::<ProductEvent>(books, recorded)?;
            }
            StreamKind::PlatformConfig => {
                book::<PlatformEvent>(books, recorded)?;
            }
            StreamKind::Autopilot => {
                book::<dropledger_domain::AutopilotEvent>(books, recorded)?;
            }
            StreamKind::Reconciliation(_) => {
                book::<dropledger_domain::ReconciliationEvent>(books, recorded)?;
            }
            StreamKind::Receivable(_) => {
                book::<dropledger_domain::ReceivableEvent>(books, recorded)?;
            }
        }
        Ok(())
    }

    /// The books balance and no stored event was changed.
    pub fn is_sound(&self) -> bool {
        self.trial.is_balanced() && self.chain.first_tampered.is_none()
    }

    /// An account's posted balance on its normal side, as money.
    fn posted(&self, account: Account) -> Money {
        let amount = self.books.balance(account, CURRENCY).posted(account);
        Money::new(amount, CURRENCY).unwrap_or(Money::zero(CURRENCY))
    }

    fn orders_by_status(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for order in self.orders.values() {
            let name = match (order.status(), order.failure_reason()) {
                (Some(OrderStatus::Failed), Some(reason)) => failed_name(reason),
                (Some(status), _) => status.as_str().to_owned(),
                (None, _) => "UNKNOWN".to_owned(),
            };
            *counts.entry(name).or_insert(0) += 1;
        }
        counts
    }

    fn payouts_with(&self, status: PayoutStatus) -> (usize, Money) {
        let matching = self.payouts.values().filter(|p| p.status() == Some(status));
        matching.fold((0, Money::zero(CURRENCY)), |(count, total), payout| {
            let amount = payout.amount().unwrap_or(Money::zero(CURRENCY));
            (count + 1, total.checked_add(amount).unwrap_or(total))
        })
    }
}

fn failed_name(reason: FailureReason) -> String {
    format!("FAILED ({})", reason.status_code())
}

/// The money lines of the summary: each is one account of the books.
const MONEY_LINES: [(&str, Account); 6] = [
    ("revenue:", Account::SalesRevenue),
    ("supplier costs:", Account::SupplierCost),
    ("payment fees:", Account::PaymentFees),
    ("commission:", Account::CommissionShare),
    ("net profit:", Account::SellerShare),
    ("payout fees:", Account::PayoutFees),
];

impl Report {
    fn write_orders(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "orders: {}", self.orders.len())?;
        for (status, count) in self.orders_by_status() {
            writeln!(f, "  {status}: {count}")?;
        }
        let supplier_orders = self
            .orders
            .values()
            .filter(|o| o.supplier_order_id().is_some())
            .count();
        writeln!(f, "supplier orders placed: {supplier_orders}")?;
        writeln!(f, "purchase holds voided: {}", self.purchase_holds_voided)
    }

    fn write_money(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (label, account) in MONEY_LINES {
            writeln!(f, "{label:<20}{}", self.posted(account))?;
        }
        // Failed orders are not refunded by the demo: their customers' money
        // stays a liability until a refund is recorded.
        let unsold = self.posted(Account::CustomerPrepayments);
        writeln!(f, "customer money held for unsold orders: {unsold}")?;
        let lines = [
            ("sent", PayoutStatus::Sent),
            (
                "skipped (PAYOUT_SKIPPED_INSUFFICIENT_FUNDS)",
                PayoutStatus::SkippedInsufficientFunds,
            ),
            ("failed", PayoutStatus::Failed),
            ("pending", PayoutStatus::Pending),
        ];
        for (label, status) in lines {
            let (count, total) = self.payouts_with(status);
            writeln!(f, "payouts {label}: {count} ({total})")?;
        }
        Ok(())
    }

    fn write_trial_balance(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trial = &self.trial;
        writeln!(f, "trial balance ({}):", trial.currency)?;
        for line in &trial.lines {
            let (debit, credit) = (line.debit.amount(), line.credit.amount());
            writeln!(
                f,
                "  {:<58} Dr {debit:>12}  Cr {credit:>12}",
                line.account.code()
            )?;
        }
        let difference = match trial.total_debit.checked_sub(trial.total_credit) {
            Ok(difference) => difference.to_string(),
            Err(error) => error.to_string(),
        };
        let verdict = if trial.is_balanced() {
            "balanced"
        } else {
            "NOT BALANCED"
        };
        writeln!(
            f,
            "  total debits {}, total credits {}: difference {difference} ({verdict})",
            trial.total_debit, trial.total_credit
        )
    }

    fn write_capital_and_chain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cash available: {}", self.capital.available())?;
        writeln!(f, "cash pending:   {}", self.capital.pending())?;
        writeln!(f, "committed:      {}", self.capital.committed())?;
        writeln!(f, "free working capital: {}", self.capital.free())?;
        match &self.chain.first_tampered {
            None => write!(
                f,
                "hash chain intact: {} events verified; head hash {}",
                self.chain.verified, self.chain.head_hash
            ),
            Some(tampered) => write!(
                f,
                "hash chain BROKEN at position {} ({}): {}",
                tampered.position, tampered.stream_id, tampered.reason
            ),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let events = self.events;
        writeln!(
            f,
            "\n=== dropledger demo: summary (from {events} events) ==="
        )?;
        self.write_orders(f)?;
        self.write_money(f)?;
        self.write_trial_balance(f)?;
        self.write_capital_and_chain(f)
    }
}
