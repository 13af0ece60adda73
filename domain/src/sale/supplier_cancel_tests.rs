//! A supplier that cancels a purchase it accepted: what it charged becomes
//! a receivable (out of goods in transit before the sale, out of supplier
//! cost after it), its refund settles the receivable in cash, and a refund
//! of the sale does not charge the seller the cost the supplier gives back.
//! The worked example: 25.00, supplier 10.00, fee 1.20, commission 3.00,
//! net profit 10.80.

use super::*;
use crate::order::{
    cancel_by_supplier, receive_supplier_refund, refund_payment, CancelBySupplier,
    ReceiveSupplierRefund,
};

impl World {
    fn supplier_cancels(&mut self, n: u128) -> Result<(), OrderError> {
        let decision = cancel_by_supplier(
            &self.order,
            &self.capital,
            CancelBySupplier {
                entry_id: entry_id(n),
                supplier_status: "IN_CANCEL".to_owned(),
                cancelled_at: at(8),
            },
        )?;
        self.order = self.order.clone().replay(&decision.order);
        self.capital = self.capital.clone().replay(&decision.capital);
        self.post(&decision.capital);
        Ok(())
    }

    fn supplier_refunds(&mut self, amount: &str, n: u128) -> Result<(), OrderError> {
        let decision = receive_supplier_refund(
            &self.order,
            &self.capital,
            ReceiveSupplierRefund {
                entry_id: entry_id(n),
                amount: usd(amount),
                refunded_at: at(9),
            },
        )?;
        self.order = self.order.clone().replay(&decision.order);
        self.capital = self.capital.clone().replay(&decision.capital);
        self.post(&decision.capital);
        Ok(())
    }
}

/// Owner capital 100 and the order captured and bought (its cash posted),
/// its sale not recorded.
fn bought_not_sold() -> World {
    let mut world = sold();
    world.order = purchased_order("25", "10", "1.20");
    world.sale = Sale::default();
    world.payouts = Vec::new();
    world.books = Balances::default();
    let capital = WorkingCapital::new(Currency::Usd);
    let mut events = capital
        .decide(CapitalCommand::ContributeCapital {
            entry_id: entry_id(9),
            amount: usd("100"),
            reference: Reference::parse("seed").unwrap(),
            effective_at: at(0),
        })
        .unwrap();
    let seeded = capital.replay(&events);
    let paid = seeded
        .decide(CapitalCommand::ReceivePayment {
            entry_id: entry_id(10),
            order_id: crate::testkit::order_id(1),
            capture_id: capture_id("CAP-1"),
            gross: usd("25"),
            fee: usd("1.20"),
            status: crate::capital::CaptureStatus::Completed,
            effective_at: at(1),
        })
        .unwrap();
    let seeded = seeded.replay(&paid);
    events.extend(paid);
    let held = seeded
        .decide(CapitalCommand::PlaceHold {
            hold_id: hold_id(20),
            purpose: crate::capital::HoldPurpose::Purchase {
                order_id: crate::testkit::order_id(1),
            },
            amount: usd("10"),
            effective_at: at(2),
        })
        .unwrap();
    let seeded = seeded.replay(&held);
    events.extend(held);
    let bought = seeded
        .decide(CapitalCommand::PostHold {
            hold_id: hold_id(20),
            entry_id: entry_id(21),
            amount: usd("10"),
            effective_at: at(3),
        })
        .unwrap();
    events.extend(bought);
    world.capital = WorkingCapital::new(Currency::Usd).replay(&events);
    world.post(&events);
    world
}

#[test]
fn a_supplier_cancellation_before_the_sale_turns_goods_in_transit_into_a_receivable_settled_by_its_refund(
) {
    let mut world = bought_not_sold();
    assert_eq!(world.posted(Account::GoodsInTransit), usd("10").amount());
    world.supplier_cancels(30).unwrap();
    assert_eq!(world.order.status(), Some(OrderStatus::SupplierCancelled));
    assert_eq!(world.posted(Account::GoodsInTransit), usd("0").amount());
    assert_eq!(
        world.posted(Account::ReceivableFromSupplier),
        usd("10").amount()
    );
    // Once per order; no shipment of a cancelled purchase; no sale either.
    assert_eq!(
        world.supplier_cancels(31).unwrap_err().code(),
        "INVALID_STATE"
    );
    assert!(world.order.sale_terms().is_err());
    // The supplier gives back what it charged, in full, into PayPal cash.
    assert!(matches!(
        world.supplier_refunds("9.99", 32),
        Err(OrderError::AmountMismatch { .. })
    ));
    world.supplier_refunds("10", 32).unwrap();
    assert!(world.supplier_refunds("10", 33).is_err());
    assert_eq!(world.posted(Account::ReceivableFromSupplier), 0.into());
    // 100 + 23.80 − 10 + 10.
    assert_eq!(world.posted(Account::CashAvailable), usd("123.80").amount());
    assert!(world.balanced());
}

#[test]
fn a_supplier_cancelled_order_never_sold_is_refunded_in_full_in_one_step() {
    let mut world = bought_not_sold();
    world.supplier_cancels(30).unwrap();
    world.supplier_refunds("10", 32).unwrap();
    assert!(matches!(
        world.ask("24"),
        Err(OrderError::AmountMismatch { .. })
    ));
    let asked = world.ask("25").unwrap();
    assert_eq!(asked.status(), Some(OrderStatus::RefundRequested));
    let decision = refund_payment(
        &asked,
        &world.capital,
        RefundPayment {
            refund_id: ProviderRefundId::parse("R1").unwrap(),
            amount: usd("25"),
            fee_returned: usd("0"),
            entry_id: entry_id(40),
            refunded_at: at(10),
        },
    )
    .unwrap();
    world.order = asked.replay(&decision.order);
    world.post(&decision.capital);
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
    // The customer has all 25.00 back; the owner's capital bears PayPal's
    // fee (as for any order never sold); nothing is left in transit or owed.
    assert_eq!(world.posted(Account::CashAvailable), usd("98.80").amount());
    assert_eq!(world.posted(Account::PaymentFees), usd("1.20").amount());
    assert_eq!(world.posted(Account::CustomerPrepayments), 0.into());
    assert_eq!(world.posted(Account::GoodsInTransit), 0.into());
    assert_eq!(world.posted(Account::ReceivableFromSupplier), 0.into());
    assert!(world.balanced());
}

#[test]
fn after_the_payouts_a_supplier_cancellation_and_a_full_refund_charge_the_seller_only_their_profit_and_the_fee_kept(
) {
    let mut world = sold();
    world.send_payouts();
    world.supplier_cancels(30).unwrap();
    assert_eq!(world.order.status(), Some(OrderStatus::SupplierCancelled));
    // Sold: the cost of goods sold shrinks by what the supplier owes back.
    assert_eq!(world.posted(Account::SupplierCost), 0.into());
    assert_eq!(
        world.posted(Account::ReceivableFromSupplier),
        usd("10").amount()
    );
    world.supplier_refunds("10", 32).unwrap();
    let decision = world.refund("25", "R1");
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
    let [SaleEvent::SaleReversed {
        supplier_cost_credited,
        seller_share_reversed,
        commission_reversed,
        ..
    }] = decision.sale.as_slice()
    else {
        panic!("{:?}", decision.sale)
    };
    assert_eq!(*supplier_cost_credited, Some(usd("10")));
    // 25 − 3.00 − 10.00: the seller gives back their 10.80 and the 1.20
    // PayPal kept, not the 10.00 the supplier returned.
    assert_eq!(*seller_share_reversed, usd("12"));
    assert_eq!(*commission_reversed, usd("3"));
    assert_eq!(world.owed(seller()), usd("12"));
    assert_eq!(world.owed(Payee::Admin), usd("3"));
    assert_eq!(world.posted(Account::SellerShare), usd("-1.20").amount());
    assert_eq!(world.posted(Account::CommissionShare), 0.into());
    assert_eq!(world.posted(Account::ReceivableFromSupplier), 0.into());
    assert!(world.balanced());
}

#[test]
fn a_partial_refund_before_the_supplier_cancels_and_the_rest_after_add_up_to_the_same_shares() {
    let mut world = sold();
    world.send_payouts();
    world.refund("10", "R1");
    world.supplier_cancels(30).unwrap();
    assert_eq!(world.order.status(), Some(OrderStatus::SupplierCancelled));
    world.refund("15", "R2");
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
    // Whatever the order of events, the seller owes their profit and the
    // fee PayPal kept, the admin the commission.
    assert_eq!(world.owed(seller()), usd("12"));
    assert_eq!(world.owed(Payee::Admin), usd("3"));
    // The supplier's 10.00 is still owed to the platform, not the seller.
    assert_eq!(
        world.posted(Account::ReceivableFromSupplier),
        usd("10").amount()
    );
    assert!(world.balanced());
}

#[test]
fn a_shipped_order_cannot_be_cancelled_by_the_supplier_nor_a_cancelled_one_shipped() {
    use crate::order::OrderCommand;
    let mut world = sold();
    let shipment = OrderCommand::RecordShipment {
        tracking_number: crate::testkit::sealed(2, "LP00012345"),
        carrier: "Cainiao".to_owned(),
        recorded_at: at(10),
    };
    let cancelled = {
        let mut copy = world.clone();
        copy.supplier_cancels(30).unwrap();
        copy
    };
    assert!(cancelled.order.decide(shipment.clone()).is_err());
    let shipped = world.order.decide(shipment).unwrap();
    world.order = world.order.clone().replay(&shipped);
    assert!(world.supplier_cancels(30).is_err());
}
