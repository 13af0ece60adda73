//! The business rules of dropledger as pure Rust: money, ids, aggregates with
//! `decide`/`evolve`, and double-entry ledger postings. No I/O lives here:
//! time, ids and provider results come in as command data.
//!
//! Streams and their aggregates:
//!
//! | stream id | aggregate | events |
//! |---|---|---|
//! | `user-<uuid>` | [`User`] | [`UserEvent`] |
//! | `product-<uuid>` | [`Product`] | [`ProductEvent`] |
//! | `order-<uuid>` | [`Order`] | [`OrderEvent`] |
//! | `capital-<CURRENCY>` | [`WorkingCapital`] | [`CapitalEvent`] |
//! | `sale-<uuid>` | [`Sale`] | [`SaleEvent`] |
//! | `payout-<uuid>` | [`Payout`] | [`PayoutEvent`] |
//! | `receivable-admin`, `receivable-user-<uuid>` | [`Receivable`] | [`ReceivableEvent`] |
//! | `platform-config` | [`PlatformConfig`] | [`PlatformEvent`] |
//! | `autopilot` | [`Autopilot`] | [`AutopilotEvent`] |
//! | `reconciliation-<provider>-<CURRENCY>` | [`CashReconciliation`] | [`ReconciliationEvent`] |
//!
//! Facts that touch two streams are decided by one function returning the
//! events of both, to be appended atomically: [`capture_payment`],
//! [`start_purchase`], [`confirm_purchase`], [`fail_purchase`],
//! [`refund_payment`], [`record_sale`], [`record_sale_netting`],
//! [`refund_sold_order`], [`open_dispute`], [`resolve_dispute`], [`reserve_payout`], [`confirm_payout`], [`fail_payout`].
//! [`StreamKind`] parses a stream id back to its aggregate (reconciliation
//! streams: [`ReconciliationStream`]); [`encode_event`]
//! and [`decode_event`] map events to and from the store's `event_type`,
//! `schema_version` and `payload` columns, re-checking every invariant on
//! the way back. The ledger — accounts and postings of every money event —
//! is described in `LEDGER.md`.

mod aggregate;
mod autopilot;
mod capital;
mod codec;
mod email;
mod ids;
mod ledger;
mod money;
mod order;
mod payout;
mod personal;
mod platform;
mod product;
mod receivable;
mod reconciliation;
mod sale;
mod stream;
#[cfg(test)]
mod testkit;
mod upcast;
mod user;

pub use aggregate::{Aggregate, DomainEvent, ErrorCode};
pub use autopilot::{
    quote, score_candidates, Autopilot, AutopilotCommand, AutopilotError, AutopilotEvent,
    AutopilotSettings, Candidate, CycleId, CycleTrigger, Decision, FeeRule, Markup, MarkupRule,
    Opportunity, PriceRounding, PublishedListing, Quote, RunningCycle, CANDIDATES_MAX,
    CYCLE_LEASE_SECONDS, INTERVAL_SECONDS_MAX, INTERVAL_SECONDS_MIN, LISTINGS_PER_CYCLE_MAX,
    MARKUP_PERCENT_MAX,
};
pub use capital::{
    CapitalCommand, CapitalError, CapitalEvent, CapitalEventType, CaptureStatus, HoldPurpose,
    WorkingCapital,
};
pub use codec::{decode_event, encode_event, DecodeError, EncodedEvent};
pub use email::{EmailAddress, InvalidEmail};
pub use ids::{
    CaptureId, EntryId, HoldId, OrderId, PayoutId, ProductId, ProviderDisputeId, ProviderOrderId,
    ProviderPayoutId, ProviderRefundId, Reference, ReferenceError, RefundRequestId, SaleId,
    SupplierOrderId, SupplierProductId, UserId, REFERENCE_CHARS_MAX,
};
pub use ledger::{
    Account, AccountBalance, AccountKind, Balances, Hold, JournalEntry, LedgerEffect, LedgerError,
    PostedHold, Posting, Side, TrialBalance, TrialBalanceLine, UnknownAccount,
};
pub use money::{Currency, Money, MoneyError, Percentage, PercentageError, UnknownCurrency};
pub use order::{
    cancel_by_supplier, capture_payment, clear_payment, confirm_purchase, deny_payment,
    fail_purchase, fail_refund_request, receive_supplier_refund, refund_payment, request_refund,
    start_purchase, CancelBySupplier, CapturePayment, ConfirmPurchase, DisputeAnswer,
    DisputeOutcome, FailPurchase, FailureReason, OpenDispute, Order, OrderCommand, OrderDecision,
    OrderDispute, OrderError, OrderEvent, OrderEventType, OrderStatus, ReceiveSupplierRefund,
    RefundPayment, RequestRefund, ResolveDispute, ReviewReason, SettleCapture, StartPurchase,
    DISPUTE_REASON_CHARS_MAX, QUANTITY_MAX,
};
pub use payout::{
    confirm_payout, fail_payout, reserve_payout, ConfirmPayout, FailPayout, FeeAllowance, Payee,
    Payout, PayoutCommand, PayoutDecision, PayoutDestination, PayoutEnvironment, PayoutError,
    PayoutEvent, PayoutEventType, PayoutFailureReason, PayoutReduction, PayoutStatus,
    ReservePayout,
};
pub use personal::{PersonalForm, PersonalText};
pub use platform::{PlatformCommand, PlatformConfig, PlatformError, PlatformEvent};
pub use product::{
    CheckoutTerms, Product, ProductCommand, ProductError, ProductEvent, ProductOrigin,
    ProductStatus, ProductTitle,
};
pub use receivable::{
    Receivable, ReceivableCommand, ReceivableError, ReceivableEvent, ReceivableEventType,
};
pub use reconciliation::{
    CashDifference, CashProvider, CashReconciliation, LedgerCash, ProviderCashBalance,
    ReconciliationCommand, ReconciliationError, ReconciliationEvent, ReconciliationStream,
};
pub use sale::{
    open_dispute, record_sale, record_sale_netting, refund_sold_order, resolve_dispute,
    DisputeDecision, RecordOrderSale, RecordSale, ReverseSale, Sale, SaleBreakdown, SaleCommand,
    SaleDecision, SaleError, SaleEvent, SaleTerms, ShareReversal, SoldRefundDecision,
};
pub use stream::{StreamKind, UnknownStream};
pub use upcast::{upcasts, Upcast};
pub use user::{Role, User, UserCommand, UserError, UserEvent};
