//! The worked example of LEDGER.md, run through the public API from the
//! first contribution to the last payout, so the document cannot drift from
//! the code.

use chrono::{DateTime, TimeZone, Utc};
use dropledger_domain::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

struct Books {
    balances: Balances,
    capital: WorkingCapital,
}

impl Books {
    fn capital(&mut self, events: &[CapitalEvent]) {
        for event in events {
            self.balances.apply(event.ledger_effect().unwrap()).unwrap();
        }
        self.capital = self.capital.clone().replay(events);
    }

    fn posted(&self, account: Account) -> Decimal {
        self.balances
            .balance(account, Currency::Usd)
            .posted(account)
    }
}

#[test]
fn the_worked_example_of_the_ledger_document_holds() {
    let seller = UserId::from_uuid(id(100));
    let buyer = UserId::from_uuid(id(200));
    let mut books = Books {
        balances: Balances::new(),
        capital: WorkingCapital::new(Currency::Usd),
    };

    // The owner contributes 100.
    let events = books
        .capital
        .decide(CapitalCommand::ContributeCapital {
            entry_id: EntryId::from_uuid(id(1)),
            amount: usd("100"),
            reference: Reference::parse("seed capital").unwrap(),
            effective_at: at(0),
        })
        .unwrap();
    books.capital(&events);

    // One unit at 25, supplier quoted 10.
    let terms = CheckoutTerms {
        product_id: ProductId::from_uuid(id(2)),
        seller,
        unit_price: usd("25"),
        unit_supplier_cost: usd("10"),
    };
    let order = Order::default();
    let events = order
        .decide(OrderCommand::CreateOrder {
            order_id: OrderId::from_uuid(id(3)),
            terms,
            quantity: 1,
            provider_order_id: ProviderOrderId::parse("5O190127TN364715T").unwrap(),
            created_at: at(1),
        })
        .unwrap();
    let order = order.replay(&events);

    // Captured and completed at once, 1.20 fee.
    let decision = capture_payment(
        &order,
        &books.capital,
        CapturePayment {
            buyer,
            capture_id: CaptureId::parse("3C679366HH908993F").unwrap(),
            amount: usd("25"),
            fee: usd("1.20"),
            status: CaptureStatus::Completed,
            entry_id: EntryId::from_uuid(id(4)),
            captured_at: at(2),
        },
    )
    .unwrap();
    let order = order.replay(&decision.order);
    books.capital(&decision.capital);
    assert_eq!(books.capital.free(), usd("123.80"));

    // Purchase: hold 10.
    let decision = start_purchase(
        &order,
        &books.capital,
        StartPurchase {
            hold_id: HoldId::from_uuid(id(5)),
            started_at: at(3),
        },
    )
    .unwrap();
    let order = order.replay(&decision.order);
    books.capital(&decision.capital);
    assert_eq!(books.capital.free(), usd("113.80"));

    // The supplier charges 9.50; 0.50 released.
    let decision = confirm_purchase(
        &order,
        &books.capital,
        ConfirmPurchase {
            supplier_order_id: SupplierOrderId::parse("8190000000001").unwrap(),
            supplier_cost: usd("9.50"),
            entry_id: EntryId::from_uuid(id(6)),
            confirmed_at: at(4),
        },
    )
    .unwrap();
    let order = order.replay(&decision.order);
    books.capital(&decision.capital);
    assert_eq!(books.capital.free(), usd("114.30"));
    assert_eq!(order.status(), Some(OrderStatus::Purchased));

    // The sale at 20 % commission.
    let decision = record_sale(
        &order,
        &Sale::default(),
        RecordOrderSale {
            sale_id: SaleId::from_uuid(id(7)),
            commission_rate: Percentage::parse("20").unwrap(),
            entry_id: EntryId::from_uuid(id(8)),
            admin_payout_id: PayoutId::from_uuid(id(9)),
            seller_payout_id: PayoutId::from_uuid(id(10)),
            effective_at: at(5),
        },
    )
    .unwrap();
    for event in &decision.sale {
        books
            .balances
            .apply(event.ledger_effect().unwrap())
            .unwrap();
    }
    let sale = Sale::default().replay(&decision.sale);
    let breakdown = sale.breakdown().unwrap();
    assert_eq!(breakdown.gross_profit(), usd("15.50"));
    assert_eq!(breakdown.commission(), usd("3.10"));
    assert_eq!(breakdown.net_profit(), usd("11.20"));
    assert_eq!(books.posted(Account::PayableToAdmin), Decimal::new(310, 2));
    assert_eq!(
        books.posted(Account::PayableToUser(seller)),
        Decimal::new(1120, 2)
    );
    assert_eq!(books.posted(Account::GoodsInTransit), Decimal::ZERO);
    assert_eq!(books.posted(Account::CustomerPrepayments), Decimal::ZERO);

    // Both payouts reserved and sent.
    let admin_email = PersonalText::sealed(id(98), "sealed-admin".to_owned());
    let seller_email = PersonalText::sealed(id(99), "sealed-seller".to_owned());
    for (n, (payout_id, events)) in decision.payouts.into_iter().enumerate() {
        let payout = Payout::default().replay(&events);
        let email = match payout.payee().unwrap() {
            Payee::Admin => admin_email.clone(),
            Payee::User { .. } => seller_email.clone(),
        };
        let reserved = reserve_payout(
            &payout,
            &books.capital,
            ReservePayout {
                hold_id: HoldId::from_uuid(id(20 + n as u128)),
                fee_allowance: None,
                destination: Some(PayoutDestination::Paypal { email }),
                environment: PayoutEnvironment::Production,
                reserved_at: at(6),
            },
        )
        .unwrap();
        let payout = payout.replay(&reserved.payout);
        books.capital(&reserved.capital);
        let sent = confirm_payout(
            &payout,
            &books.capital,
            ConfirmPayout {
                provider_payout_id: ProviderPayoutId::parse(&format!("PO-{n}")).unwrap(),
                entry_id: EntryId::from_uuid(id(30 + n as u128)),
                fee: usd("0"),
                fee_entry_id: EntryId::from_uuid(id(40 + n as u128)),
                sent_at: at(7),
            },
        )
        .unwrap();
        let payout = payout.replay(&sent.payout);
        books.capital(&sent.capital);
        assert_eq!(payout.status(), Some(PayoutStatus::Sent), "{payout_id}");
    }

    // Cash is back to the owner's capital; every payable is settled.
    assert_eq!(books.capital.available(), usd("100"));
    assert_eq!(books.capital.free(), usd("100"));
    assert_eq!(books.posted(Account::PayableToAdmin), Decimal::ZERO);
    assert_eq!(books.posted(Account::PayableToUser(seller)), Decimal::ZERO);
    let income = books.posted(Account::SalesRevenue)
        - books.posted(Account::SupplierCost)
        - books.posted(Account::PaymentFees)
        - books.posted(Account::CommissionShare)
        - books.posted(Account::SellerShare);
    assert_eq!(income, Decimal::ZERO, "the platform passes every profit on");
    let trial = books.balances.trial_balance(Currency::Usd).unwrap();
    assert!(trial.is_balanced());
    assert_eq!(trial.total_debit, usd("125"));
}
