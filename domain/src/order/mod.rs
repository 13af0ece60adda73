//! Orders: checkout, capture, purchase from the supplier, failure, sale.

mod clearance;
mod command;
mod dispute;
mod error;
mod event;
mod fulfilment;
mod refund;
mod rules;
mod state;
mod status;
mod supplier_cancel;
#[cfg(test)]
mod tests;

pub use clearance::{clear_payment, deny_payment, SettleCapture};
pub use command::{
    CapturePayment, ConfirmPurchase, FailPurchase, OrderCommand, RefundPayment, StartPurchase,
};
pub use dispute::{
    DisputeAnswer, DisputeOutcome, OpenDispute, OrderDispute, ResolveDispute,
    DISPUTE_REASON_CHARS_MAX,
};
pub use error::OrderError;
pub use event::{OrderEvent, OrderEventType};
pub use fulfilment::{
    capture_payment, confirm_purchase, fail_purchase, refund_payment, start_purchase, OrderDecision,
};
pub use refund::{fail_refund_request, request_refund, RequestRefund};
pub use state::Order;
pub use status::{FailureReason, OrderStatus, ReviewReason};
pub use supplier_cancel::{
    cancel_by_supplier, receive_supplier_refund, CancelBySupplier, ReceiveSupplierRefund,
};

/// Most units one order may have; a guard against typos and abuse.
pub const QUANTITY_MAX: u32 = 100;
