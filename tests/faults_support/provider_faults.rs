//! The provider faults of a run, queued through the fakes' hook: 5xx and
//! 429 answers, and answers lost after the work was done.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

use super::processes::FakeHook;

/// Answers held back past the servers' 1 s attempt timeout: the work is
/// done, the answer lost.
fn lost() -> Value {
    json!({"kind": "delay", "ms": 1500})
}

fn status(status: u16) -> Value {
    json!({"kind": "status", "status": status})
}

/// A fault of the run: the operation, and the fault's JSON as the hook takes it.
pub type PlannedFault = (&'static str, fn() -> Value);

/// Faults queued before the customers come: each hits the first call of
/// its kind.
pub const BEFORE_THE_RUSH: &[PlannedFault] = &[
    ("PayPalCreateOrder", || status(503)),
    ("PayPalCapture", || status(503)),
    ("PayPalCapture", || status(429)),
    ("AliExpressPlaceOrder", lost),
    ("AliExpressPlaceOrder", || status(502)),
    ("AliExpressGetOrder", || status(503)),
    ("PayPalPayout", lost),
    ("PayPalPayout", || status(500)),
    ("PayPalPayout", || json!({"kind": "delay", "ms": 400})),
];

/// Faults queued in the middle of the run, while servers are being killed.
pub const MID_RUN: &[PlannedFault] = &[
    ("AliExpressPlaceOrder", lost),
    ("PayPalCapture", lost),
    ("PayPalPayout", lost),
    ("PayPalPayout", || status(429)),
];

/// The purchase's answer held back 700 ms (inside the 1 s attempt
/// timeout): the supplier order exists, ours is not recorded yet — the
/// window a database fault is aimed at.
pub const SLOW_PURCHASE: PlannedFault = (
    "AliExpressPlaceOrder",
    || json!({"kind": "delay", "ms": 700}),
);

/// Queues `faults`; counts them into `injected`.
pub async fn inject(hook: &FakeHook, injected: &AtomicUsize, faults: &[PlannedFault]) {
    for (operation, fault) in faults {
        hook.inject(operation, fault(), 1).await;
        injected.fetch_add(1, Ordering::SeqCst);
    }
}
