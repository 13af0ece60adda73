//! Refunds after the sale: the sale reversed in proportion, the shares
//! taken off unsent payouts or owed back, and debts netted against the
//! payee's next payouts. The sale of the worked example: 25.00, supplier
//! 10.00, fee 1.20, commission 20 % = 3.00, net profit 10.80.

use std::collections::BTreeMap;

use super::*;
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::capital::{CapitalCommand, CapitalEvent, WorkingCapital};
use crate::ids::{ProviderPayoutId, ProviderRefundId, Reference, RefundRequestId};
use crate::ledger::{Account, Balances};
use crate::money::{Currency, Percentage};
use crate::order::{request_refund, Order, OrderError, OrderStatus, RefundPayment, RequestRefund};
use crate::payout::{Payee, Payout, PayoutDestination, PayoutEvent, PayoutStatus};
use crate::receivable::{Receivable, ReceivableEvent};
use crate::testkit::*;

fn seller() -> Payee {
    Payee::User {
        user_id: user_id(100),
    }
}

/// The books and every stream of one sold order.
#[derive(Clone)]
struct World {
    order: Order,
    capital: WorkingCapital,
    sale: Sale,
    payouts: Vec<Payout>,
    receivables: BTreeMap<Payee, Receivable>,
    books: Balances,
    refunds: u128,
}

impl World {
    fn post<E: DomainEvent>(&mut self, events: &[E]) {
        for event in events {
            if let Some(effect) = event.ledger_effect() {
                self.books.apply(effect).unwrap();
            }
        }
    }

    /// Posted debits − credits: what each party's account shows, debit-positive.
    fn posted(&self, account: Account) -> rust_decimal::Decimal {
        let balance = self.books.balance(account, Currency::Usd);
        balance.debits_posted - balance.credits_posted
    }

    fn balanced(&self) -> bool {
        self.books
            .trial_balance(Currency::Usd)
            .unwrap()
            .is_balanced()
    }
}

/// Owner capital 100, the order captured (23.80 net) and bought for 10,
/// its sale recorded with its two payouts requested.
fn sold() -> World {
    let order = purchased_order("25", "10", "1.20");
    let empty = WorkingCapital::new(Currency::Usd);
    let seed = empty
        .decide(CapitalCommand::ContributeCapital {
            entry_id: entry_id(9),
            amount: usd("100"),
            reference: Reference::parse("seed").unwrap(),
            effective_at: at(0),
        })
        .unwrap();
    let mut world = World {
        order,
        capital: empty.replay(&seed),
        sale: Sale::default(),
        payouts: Vec::new(),
        receivables: BTreeMap::new(),
        books: Balances::default(),
        refunds: 0,
    };
    world.post(&seed);
    world.record_sale(40);
    world
}

impl World {
    fn record_sale(&mut self, n: u128) {
        let decision = record_sale_netting(
            &self.order,
            &Sale::default(),
            &self.receivables,
            RecordOrderSale {
                sale_id: SaleId::from_uuid(uuid(n)),
                commission_rate: Percentage::parse("20").unwrap(),
                entry_id: entry_id(n + 1),
                admin_payout_id: payout_id(n + 2),
                seller_payout_id: payout_id(n + 3),
                effective_at: at(5),
            },
        )
        .unwrap();
        self.order = self.order.clone().replay(&decision.order);
        self.sale = Sale::default().replay(&decision.sale);
        self.post(&decision.sale);
        self.payouts = decision
            .payouts
            .iter()
            .map(|(_, events)| Payout::default().replay(events))
            .collect();
        self.owe(&decision.receivables);
    }

    fn owe(&mut self, receivables: &[(Payee, Vec<ReceivableEvent>)]) {
        for (payee, events) in receivables {
            let now = self.receivables.remove(payee).unwrap_or_default();
            self.receivables.insert(*payee, now.replay(events));
        }
    }

    /// The payouts are sent (state only: their cash is not the point here).
    fn send_payouts(&mut self) {
        for payout in &mut self.payouts {
            let events = [
                PayoutEvent::PayoutReserved {
                    hold_id: hold_id(70),
                    fee_allowance: None,
                    destination: PayoutDestination::Paypal {
                        email: sealed(70, "payee@example.com"),
                    },
                    reserved_at: at(6),
                },
                PayoutEvent::PayoutSent {
                    provider_payout_id: ProviderPayoutId::parse("PO-1").unwrap(),
                    fee: usd("0"),
                    sent_at: at(7),
                },
            ];
            *payout = payout.clone().replay(&events);
        }
    }

    fn ask(&self, amount: &str) -> Result<Order, OrderError> {
        let decision = request_refund(
            &self.order,
            &self.capital,
            RequestRefund {
                request_id: RefundRequestId::from_uuid(uuid(90)),
                amount: usd(amount),
                requested_at: at(8),
            },
        )?;
        Ok(self.order.clone().replay(&decision.order))
    }

    /// Asks for and records a refund of `amount`, PayPal keeping its fee.
    fn refund(&mut self, amount: &str, refund: &str) -> SoldRefundDecision {
        let asked = self.ask(amount).unwrap();
        self.refunds += 1;
        let decision = refund_sold_order(
            &asked,
            &self.capital,
            &self.sale,
            &self.payouts,
            &self.receivables,
            RefundPayment {
                refund_id: ProviderRefundId::parse(refund).unwrap(),
                amount: usd(amount),
                fee_returned: usd("0"),
                entry_id: entry_id(600 + self.refunds),
                refunded_at: at(9),
            },
        )
        .unwrap();
        self.order = asked;
        self.apply(&decision);
        decision
    }

    /// Every stream and the books after `decision`.
    fn apply(&mut self, decision: &SoldRefundDecision) {
        self.order = self.order.clone().replay(&decision.order);
        self.capital = self.capital.clone().replay(&decision.capital);
        self.sale = self.sale.clone().replay(&decision.sale);
        self.post(&decision.capital);
        self.post(&decision.sale);
        for (payout_id, events) in &decision.payouts {
            let payout = self
                .payouts
                .iter_mut()
                .find(|payout| payout.id() == Some(*payout_id))
                .unwrap();
            *payout = payout.clone().replay(events);
        }
        self.owe(&decision.receivables);
    }

    fn payout(&self, payee: Payee) -> &Payout {
        self.payouts
            .iter()
            .find(|payout| payout.payee() == Some(payee))
            .unwrap()
    }

    fn owed(&self, payee: Payee) -> Money {
        self.receivables
            .get(&payee)
            .cloned()
            .unwrap_or_default()
            .owed(Currency::Usd)
    }
}

#[test]
fn a_full_refund_before_the_payouts_cancels_them_and_the_seller_owes_the_supplier_cost_and_fee() {
    let mut world = sold();
    world.refund("25", "R1");
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
    // Both payouts were unsent: cancelled, nothing paid.
    assert_eq!(
        world.payout(Payee::Admin).status(),
        Some(PayoutStatus::Cancelled)
    );
    assert_eq!(
        world.payout(seller()).status(),
        Some(PayoutStatus::Cancelled)
    );
    // The seller bears the rest: the 10.00 the supplier kept and the 1.20
    // PayPal kept are owed back; the admin owes nothing (3.00 came off).
    assert_eq!(world.owed(seller()), usd("11.20"));
    assert_eq!(world.owed(Payee::Admin), usd("0"));
    assert_eq!(world.posted(Account::SalesRefunds), usd("25").amount());
    assert_eq!(world.posted(Account::CommissionShare), usd("0").amount());
    // Seller share 10.80 − 22.00: the seller bears 11.20 beyond their profit.
    assert_eq!(world.posted(Account::SellerShare), usd("-11.20").amount());
    assert_eq!(world.posted(Account::PayableToAdmin), usd("0").amount());
    assert_eq!(
        world.posted(Account::PayableToUser(user_id(100))),
        usd("0").amount()
    );
    assert_eq!(
        world.posted(Account::ReceivableFromUser(user_id(100))),
        usd("11.20").amount()
    );
    // The whole 25.00 left cash (these books hold the seed, not the
    // capture and purchase: with them, 100 + 23.80 − 10 − 25 = 88.80, the
    // 100 less the 11.20 owed).
    assert_eq!(world.posted(Account::CashAvailable), usd("75").amount());
    assert!(world.balanced());
}

#[test]
fn partial_refunds_after_the_payouts_add_up_and_are_owed_back_to_the_cent() {
    let mut world = sold();
    world.send_payouts();
    let first = world.refund("10", "R1");
    let [SaleEvent::SaleReversed {
        commission_reversed,
        seller_share_reversed,
        ..
    }] = first.sale.as_slice()
    else {
        panic!("{first:?}")
    };
    // 3.00 × 10 / 25 = 1.20; the seller's share: 10 − 1.20 = 8.80.
    assert_eq!(*commission_reversed, usd("1.20"));
    assert_eq!(*seller_share_reversed, usd("8.80"));
    assert_eq!(world.order.status(), Some(OrderStatus::Purchased));
    assert_eq!(world.owed(Payee::Admin), usd("1.20"));
    assert_eq!(world.owed(seller()), usd("8.80"));
    // More than the 15.00 left is refused at the field of the amount.
    assert!(matches!(
        world.ask("15.01"),
        Err(OrderError::RefundExceedsRefundable { refundable, .. }) if refundable == usd("15")
    ));
    world.refund("15", "R2");
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
    // The whole commission and the seller's 10.80 + 10.00 + 1.20 back.
    assert_eq!(world.owed(Payee::Admin), usd("3.00"));
    assert_eq!(world.owed(seller()), usd("22.00"));
    assert!(world.ask("0.01").is_err(), "nothing is left to refund");
    assert!(world.balanced());
}

#[test]
fn a_commission_reversed_in_parts_adds_up_to_the_commission_charged() {
    // 3.00 × 1/3 = 1.00 each time; 7 parts of 25 round differently but
    // always add up, because each part is the rounded cumulative share.
    let mut world = sold();
    world.send_payouts();
    let mut reversed = usd("0");
    for (index, part) in ["3.57", "3.57", "3.57", "3.57", "3.57", "3.57", "3.58"]
        .into_iter()
        .enumerate()
    {
        let decision = world.refund(part, &format!("R{index}"));
        let SaleEvent::SaleReversed {
            commission_reversed,
            ..
        } = &decision.sale[0]
        else {
            panic!("{decision:?}")
        };
        reversed = reversed.checked_add(*commission_reversed).unwrap();
    }
    assert_eq!(reversed, usd("3.00"));
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
}

#[test]
fn what_a_payee_owes_is_kept_from_their_next_payout_and_the_rest_carries_over() {
    let mut world = sold();
    world.send_payouts();
    world.refund("25", "R1");
    assert_eq!(world.owed(seller()), usd("22.00"));
    // The next sale owes the seller 10.80: all of it is kept, the payout
    // cancelled, 11.20 still owed; the admin's 3.00 settles their 3.00.
    world.order = purchased_order("25", "10", "1.20");
    world.record_sale(140);
    assert_eq!(
        world.payout(seller()).status(),
        Some(PayoutStatus::Cancelled)
    );
    assert_eq!(world.owed(seller()), usd("11.20"));
    assert_eq!(
        world.payout(Payee::Admin).status(),
        Some(PayoutStatus::Cancelled)
    );
    assert_eq!(world.owed(Payee::Admin), usd("0"));
    assert_eq!(
        world.posted(Account::ReceivableFromUser(user_id(100))),
        usd("11.20").amount()
    );
    world.order = purchased_order("25", "10", "1.20");
    world.record_sale(240);
    // The third: 11.20 owed is more than its 10.80, so cancelled again and
    // 0.40 carried over.
    assert_eq!(world.owed(seller()), usd("0.40"));
    world.order = purchased_order("25", "10", "1.20");
    world.record_sale(340);
    // The fourth pays 10.80 − 0.40 = 10.40: less, never negative.
    assert_eq!(world.payout(seller()).amount(), Some(usd("10.40")));
    assert_eq!(world.payout(seller()).status(), Some(PayoutStatus::Pending));
    assert_eq!(world.owed(seller()), usd("0"));
    assert_eq!(
        world.posted(Account::ReceivableFromUser(user_id(100))),
        usd("0").amount()
    );
    assert!(world.balanced());
}

#[test]
fn a_sold_order_is_refundable_only_once_its_sale_is_recorded() {
    let world = sold();
    let unsold = World {
        order: purchased_order("25", "10", "1.20"),
        ..world.clone()
    };
    assert_eq!(unsold.ask("25").unwrap_err(), OrderError::SaleNotRecorded);
    assert!(matches!(
        world.ask("25.01"),
        Err(OrderError::RefundExceedsRefundable { .. })
    ));
    assert!(matches!(
        world.ask("0"),
        Err(OrderError::RefundExceedsRefundable { .. })
    ));
    assert!(world.ask("25").is_ok());
}

#[test]
fn a_sale_refund_the_free_capital_cannot_cover_is_refused_before_paypal_is_asked() {
    let mut world = sold();
    world.capital = WorkingCapital::new(Currency::Usd);
    let refused = world.ask("25").unwrap_err();
    assert_eq!(refused.code(), "INSUFFICIENT_FUNDS");
}

#[test]
fn the_cash_of_a_sale_refund_leaves_available_cash_less_any_fee_returned() {
    let world = sold();
    let events = world
        .capital
        .decide(CapitalCommand::RefundSale {
            entry_id: entry_id(77),
            order_id: order_id(1),
            capture_id: capture_id("CAP-1"),
            refund_id: ProviderRefundId::parse("R9").unwrap(),
            gross: usd("10"),
            fee_returned: usd("0.40"),
            effective_at: at(9),
        })
        .unwrap();
    let [CapitalEvent::SaleRefunded { entry, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let net = |account| entry.net_for(account, Currency::Usd);
    assert_eq!(net(Account::SalesRefunds), usd("10").amount());
    assert_eq!(net(Account::CashAvailable), usd("-9.60").amount());
    assert_eq!(net(Account::PaymentFees), usd("-0.40").amount());
}

#[test]
fn a_sold_order_refunded_still_records_the_shipment_of_its_parcel() {
    use crate::order::{OrderCommand, OrderEvent};
    let mut world = sold();
    world.refund("25", "R1");
    let shipped = world
        .order
        .decide(OrderCommand::RecordShipment {
            tracking_number: sealed(2, "LP00012345"),
            carrier: "Cainiao".to_owned(),
            recorded_at: at(10),
        })
        .unwrap();
    assert!(matches!(
        shipped.as_slice(),
        [OrderEvent::OrderShipped { .. }]
    ));
}

#[path = "dispute_tests.rs"]
mod disputes;

#[path = "supplier_cancel_tests.rs"]
mod supplier_cancellations;
