//! How each step of a scenario is decided and applied.

use chrono::{DateTime, Utc};
use dropledger_domain::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{check_sale_adds_up, usd_cents, Step, World};

impl World {
    /// Decides one step; refusals are fine (random steps are often invalid),
    /// accepted events are booked and applied.
    pub fn run(&mut self, step: Step) {
        let at = self.tick();
        match step {
            Step::Contribute { cents } => self.contribute(cents, at),
            Step::CreateOrder {
                unit_cost_cents,
                margin_cents,
                quantity,
            } => self.create_order(unit_cost_cents, margin_cents, quantity, at),
            Step::Capture {
                order,
                pending,
                fee_per_mille,
            } => self.capture(order, pending, fee_per_mille, at),
            Step::CompleteCapture { order } => self.settle_capture(order, true, at),
            Step::DenyCapture { order } => self.settle_capture(order, false, at),
            Step::StartPurchase { order } => self.start_purchase(order, at),
            Step::ConfirmPurchase {
                order,
                discount_cents,
            } => self.confirm_purchase(order, discount_cents, at),
            Step::FailPurchase { order } => self.fail_purchase(order, at),
            Step::Refund {
                order,
                fee_returned_per_mille,
            } => self.refund(order, fee_returned_per_mille, at),
            Step::RefundSold {
                order,
                per_mille,
                fee_returned_per_mille,
            } => self.refund_sold(order, per_mille, fee_returned_per_mille, at),
            Step::RecordSale {
                order,
                commission_percent,
            } => self.record_sale(order, commission_percent, at),
            Step::ReservePayout {
                payout,
                has_email,
                fee_allowance_cents,
            } => self.reserve_payout(payout, has_email, fee_allowance_cents, at),
            Step::ConfirmPayout { payout, fee_cents } => self.confirm_payout(payout, fee_cents, at),
            Step::FailPayout { payout } => self.fail_payout(payout, at),
            Step::OpenDispute { order, per_mille } => self.open_dispute(order, per_mille, at),
            Step::ResolveDispute {
                order,
                won,
                fee_cents,
            } => self.resolve_dispute(order, won, fee_cents, at),
            Step::SupplierCancel { order, refund } => self.supplier_cancel(order, refund, at),
            Step::SupplierRefund { order } => self.supplier_refund(order, at),
        }
    }

    fn contribute(&mut self, cents: i64, at: DateTime<Utc>) {
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

    fn create_order(
        &mut self,
        unit_cost_cents: i64,
        margin_cents: i64,
        quantity: u32,
        at: DateTime<Utc>,
    ) {
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

    fn capture(&mut self, order: usize, pending: bool, fee_per_mille: i64, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
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
        if let Ok(decision) = capture_payment(&self.orders[index].0, &self.capital, command) {
            self.orders[index].2 = Some(capture_id);
            self.apply_order_decision(index, decision);
        }
    }

    /// PayPal completes (`completed`) or denies the order's pending capture.
    fn settle_capture(&mut self, order: usize, completed: bool, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let command = SettleCapture {
            entry_id: EntryId::from_uuid(self.uuid()),
            effective_at: at,
        };
        let decision = if completed {
            clear_payment(&self.orders[index].0, &self.capital, command)
        } else {
            deny_payment(&self.orders[index].0, &self.capital, command)
        };
        if let Ok(decision) = decision {
            self.apply_order_decision(index, decision);
        }
    }

    fn start_purchase(&mut self, order: usize, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let command = StartPurchase {
            hold_id: HoldId::from_uuid(self.uuid()),
            started_at: at,
        };
        if let Ok(decision) = start_purchase(&self.orders[index].0, &self.capital, command) {
            self.apply_order_decision(index, decision);
        }
    }

    fn confirm_purchase(&mut self, order: usize, discount_cents: i64, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
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
        if let Ok(decision) = confirm_purchase(&self.orders[index].0, &self.capital, command) {
            self.apply_order_decision(index, decision);
        }
    }

    fn fail_purchase(&mut self, order: usize, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let command = FailPurchase {
            reason: FailureReason::OutOfStock,
            failed_at: at,
        };
        if let Ok(decision) = fail_purchase(&self.orders[index].0, &self.capital, command) {
            self.apply_order_decision(index, decision);
        }
    }

    fn refund(&mut self, order: usize, fee_returned_per_mille: i64, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
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
        // The intent first; an order that cannot be refunded stops here.
        if self.orders[index].0.status() != Some(OrderStatus::RefundRequested) {
            let intent = RequestRefund {
                request_id: RefundRequestId::from_uuid(self.uuid()),
                amount: total,
                requested_at: at,
            };
            match request_refund(&self.orders[index].0, &self.capital, intent) {
                Ok(decision) => self.apply_order_decision(index, decision),
                Err(_) => return,
            }
        }
        let command = RefundPayment {
            refund_id: ProviderRefundId::parse("RF").unwrap(),
            amount: total,
            fee_returned: usd_cents(returned_cents),
            entry_id: EntryId::from_uuid(self.uuid()),
            refunded_at: at,
        };
        if let Ok(decision) = refund_payment(&self.orders[index].0, &self.capital, command) {
            self.apply_order_decision(index, decision);
        }
    }

    fn record_sale(&mut self, order: usize, commission_percent: u32, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let command = RecordOrderSale {
            sale_id: SaleId::from_uuid(self.uuid()),
            commission_rate: Percentage::new(Decimal::from(commission_percent)).unwrap(),
            entry_id: EntryId::from_uuid(self.uuid()),
            admin_payout_id: PayoutId::from_uuid(self.uuid()),
            seller_payout_id: PayoutId::from_uuid(self.uuid()),
            effective_at: at,
        };
        let Ok(decision) = record_sale_netting(
            &self.orders[index].0,
            &Sale::default(),
            &self.receivables,
            command,
        ) else {
            return;
        };
        for event in &decision.sale {
            check_sale_adds_up(event);
            if let SaleEvent::SaleRecorded {
                sale_id,
                seller,
                breakdown,
                ..
            } = event
            {
                self.model.sold(*sale_id, *seller, breakdown);
            }
        }
        self.apply_receivables(decision.receivables);
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

    fn reserve_payout(
        &mut self,
        payout: usize,
        has_email: bool,
        fee_allowance_cents: i64,
        at: DateTime<Utc>,
    ) {
        if self.payouts.is_empty() {
            return;
        }
        let index = payout % self.payouts.len();
        let destination = has_email.then(|| PayoutDestination::Paypal {
            email: PersonalText::sealed(uuid::Uuid::nil(), "sealed".to_owned()),
        });
        let fee_allowance = (fee_allowance_cents > 0).then(|| FeeAllowance {
            hold_id: HoldId::from_uuid(self.uuid()),
            amount: usd_cents(fee_allowance_cents),
        });
        let command = ReservePayout {
            hold_id: HoldId::from_uuid(self.uuid()),
            fee_allowance,
            destination,
            environment: PayoutEnvironment::Production,
            reserved_at: at,
        };
        if let Ok(decision) = reserve_payout(&self.payouts[index].0, &self.capital, command) {
            self.apply_payout_decision(index, decision);
        }
    }

    fn confirm_payout(&mut self, payout: usize, fee_cents: i64, at: DateTime<Utc>) {
        if self.payouts.is_empty() {
            return;
        }
        let index = payout % self.payouts.len();
        let command = ConfirmPayout {
            provider_payout_id: ProviderPayoutId::parse("PO").unwrap(),
            entry_id: EntryId::from_uuid(self.uuid()),
            fee: usd_cents(fee_cents),
            fee_entry_id: EntryId::from_uuid(self.uuid()),
            sent_at: at,
        };
        if let Ok(decision) = confirm_payout(&self.payouts[index].0, &self.capital, command) {
            let payout = &self.payouts[index].0;
            if let (Some(payee), Some(amount)) = (payout.payee(), payout.amount()) {
                self.model.paid(payee, amount.amount());
            }
            self.apply_payout_decision(index, decision);
        }
    }

    fn fail_payout(&mut self, payout: usize, at: DateTime<Utc>) {
        if self.payouts.is_empty() {
            return;
        }
        let index = payout % self.payouts.len();
        let command = FailPayout {
            reason: PayoutFailureReason::Returned,
            failed_at: at,
        };
        if let Ok(decision) = fail_payout(&self.payouts[index].0, &self.capital, command) {
            self.apply_payout_decision(index, decision);
        }
    }
}
