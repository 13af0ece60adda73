//! Failure injection shared by the fakes.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// An operation of a fake provider that can be told to fail (named as in
/// Rust on the wire of the fakes' fault endpoint: `"AliExpressPlaceOrder"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FakeOperation {
    /// PayPal `POST /v1/oauth2/token`.
    PayPalToken,
    /// PayPal `POST /v2/checkout/orders`.
    PayPalCreateOrder,
    /// PayPal `GET /v2/checkout/orders/{id}`.
    PayPalGetOrder,
    /// PayPal `POST /v2/checkout/orders/{id}/capture`.
    PayPalCapture,
    /// PayPal `POST /v2/payments/captures/{id}/refund`.
    PayPalRefund,
    /// PayPal `POST /v2/checkout/orders/{id}/track`.
    PayPalTracking,
    /// PayPal `POST /v1/payments/payouts`.
    PayPalPayout,
    /// PayPal `GET /v1/reporting/balances`.
    PayPalBalance,
    /// AliExpress `/rest/auth/token/*`.
    AliExpressToken,
    /// `aliexpress.ds.order.create`.
    AliExpressPlaceOrder,
    /// `aliexpress.trade.ds.order.get`.
    AliExpressGetOrder,
    /// `aliexpress.ds.product.get`.
    AliExpressProduct,
    /// `aliexpress.ds.freight.query`.
    AliExpressFreight,
    /// `aliexpress.ds.text.search`.
    AliExpressSearch,
    /// `aliexpress.ds.order.tracking.get`.
    AliExpressTracking,
    /// Payoneer mass payout.
    PayoneerPayout,
    /// Payoneer payout status.
    PayoneerStatus,
}

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer late: the work is done, the answer comes after `Duration`,
    /// so a client with a shorter timeout sees a timeout (a lost answer).
    Delay(Duration),
    /// Answer this 5xx status without doing the work.
    ServerError(u16),
    /// Decline: PayPal capture `INSTRUMENT_DECLINED`, AliExpress purchase
    /// payment failure, payout item FAILED.
    Declined,
    /// AliExpress purchase `INVENTORY_HOLD_ERROR`.
    OutOfStock,
}

impl FakeOperation {
    /// The provider whose fake performs this operation.
    pub fn provider(self) -> FakeProvider {
        use FakeOperation::*;
        match self {
            PayPalToken | PayPalCreateOrder | PayPalGetOrder | PayPalCapture | PayPalRefund
            | PayPalTracking | PayPalPayout | PayPalBalance => FakeProvider::PayPal,
            AliExpressToken | AliExpressPlaceOrder | AliExpressGetOrder | AliExpressProduct
            | AliExpressFreight | AliExpressSearch | AliExpressTracking => FakeProvider::AliExpress,
            PayoneerPayout | PayoneerStatus => FakeProvider::Payoneer,
        }
    }
}

/// One of the faked providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeProvider {
    /// PayPal.
    PayPal,
    /// AliExpress.
    AliExpress,
    /// Payoneer.
    Payoneer,
}

/// Faults waiting to happen, per operation, each used once.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    queued: Mutex<HashMap<FakeOperation, VecDeque<Fault>>>,
}

impl Faults {
    pub(crate) fn push(&self, operation: FakeOperation, fault: Fault, times: usize) {
        let mut queued = self.queued.lock().expect("faults lock");
        let queue = queued.entry(operation).or_default();
        for _ in 0..times {
            queue.push_back(fault);
        }
    }

    /// The operations whose queued faults have not happened yet, once per
    /// fault.
    pub(crate) fn pending(&self) -> Vec<FakeOperation> {
        let queued = self.queued.lock().expect("faults lock");
        queued
            .iter()
            .flat_map(|(operation, faults)| std::iter::repeat_n(*operation, faults.len()))
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.queued.lock().expect("faults lock").clear();
    }

    /// The next fault of `operation`. A [`Fault::Delay`] is returned for
    /// the handler to apply after doing the work (see [`late`]).
    pub(crate) fn next(&self, operation: FakeOperation) -> Option<Fault> {
        self.queued
            .lock()
            .expect("faults lock")
            .get_mut(&operation)
            .and_then(VecDeque::pop_front)
    }
}

/// Holds a finished answer back for a delay fault: the work is done, the
/// client sees a timeout, and a retry meets the idempotency rules.
pub(crate) async fn late<T>(fault: Option<Fault>, response: T) -> T {
    if let Some(Fault::Delay(duration)) = fault {
        tokio::time::sleep(duration).await;
    }
    response
}
