//! The commerce read models as the API shows them, stored as JSON documents.

use chrono::{DateTime, Utc};
use dropledger_domain::{
    CaptureId, CaptureStatus, FailureReason, HoldId, Money, OrderId, OrderStatus, Payee,
    PayoutDestination, PayoutFailureReason, PayoutId, PayoutStatus, Percentage, ProductId,
    ProductOrigin, ProductStatus, ProviderOrderId, ProviderPayoutId, ReviewReason, SaleId,
    SupplierOrderId, SupplierProductId, UserId,
};
use serde::{Deserialize, Serialize};

/// A product listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductView {
    /// The product.
    pub product_id: ProductId,
    /// Its owner, who earns the net profit of its sales.
    pub owner: UserId,
    /// Title.
    pub title: String,
    /// The supplier's product.
    pub supplier_product_id: SupplierProductId,
    /// Supplier cost of one unit.
    pub supplier_cost: Money,
    /// Price of one unit.
    pub price: Money,
    /// DRAFT, PUBLISHED or UNPUBLISHED.
    pub status: ProductStatus,
    /// Where it came from.
    pub origin: ProductOrigin,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The log position of its creation (the list order).
    pub created_position: u64,
    /// The log position of its last change.
    pub last_position: u64,
}

/// An order, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    /// The order.
    pub order_id: OrderId,
    /// The product bought.
    pub product_id: ProductId,
    /// The seller (the product's owner).
    pub seller: UserId,
    /// The signed-in user who captured the payment.
    pub buyer: Option<UserId>,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// The order total.
    pub price: Money,
    /// Supplier cost of one unit at checkout.
    pub unit_supplier_cost: Money,
    /// CREATED, PAID, PURCHASING, PURCHASED, FAILED or REFUNDED.
    pub status: OrderStatus,
    /// Why it failed, while FAILED.
    pub failure_reason: Option<FailureReason>,
    /// PayPal's checkout order id.
    pub provider_order_id: ProviderOrderId,
    /// PayPal's capture id, once paid.
    pub capture_id: Option<CaptureId>,
    /// The capture's status at capture time.
    pub capture_status: Option<CaptureStatus>,
    /// PayPal's fee on the capture.
    pub payment_fee: Option<Money>,
    /// The hold reserving the purchase, while purchasing.
    pub hold_id: Option<HoldId>,
    /// The supplier's order id, once purchased.
    pub supplier_order_id: Option<SupplierOrderId>,
    /// What the supplier charged.
    pub supplier_cost: Option<Money>,
    /// The amount refunded, if refunded.
    pub refunded: Option<Money>,
    /// Why it was flagged for review, if it was.
    pub review_reason: Option<ReviewReason>,
    /// The sale, once recorded.
    pub sale_id: Option<SaleId>,
    /// Whether the supplier cancelled or closed the purchase (documents
    /// written before supplier cancellations existed read as `false`).
    #[serde(default)]
    pub supplier_cancelled: bool,
    /// What the supplier refunded of a cancelled purchase, once it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_refunded: Option<Money>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (the event's business time).
    pub updated_at: DateTime<Utc>,
    /// The log position of its creation (the list order).
    pub created_position: u64,
    /// The log position of its last change.
    pub last_position: u64,
}

/// A recorded sale with every amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleView {
    /// The sale.
    pub sale_id: SaleId,
    /// The order sold.
    pub order_id: OrderId,
    /// The seller.
    pub seller: UserId,
    /// What the buyer paid.
    pub sale_price: Money,
    /// What the supplier charged.
    pub supplier_cost: Money,
    /// Sale price − supplier cost.
    pub gross_profit: Money,
    /// The commission rate applied.
    pub commission_rate: Percentage,
    /// The platform's commission.
    pub commission: Money,
    /// Payment fees.
    pub fees: Money,
    /// What the seller earns.
    pub net_profit: Money,
    /// The admin's commission payout, if any.
    pub admin_payout_id: Option<PayoutId>,
    /// The seller's payout.
    pub seller_payout_id: PayoutId,
    /// When it took effect.
    pub recorded_at: DateTime<Utc>,
    /// Its log position (the list order).
    pub created_position: u64,
}

/// A payout of commission or net profit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayoutView {
    /// The payout.
    pub payout_id: PayoutId,
    /// The sale it comes from.
    pub sale_id: SaleId,
    /// Who is paid.
    pub payee: Payee,
    /// How much.
    pub amount: Money,
    /// PENDING, SENT, FAILED or PAYOUT_SKIPPED_INSUFFICIENT_FUNDS.
    pub status: PayoutStatus,
    /// Where it was sent, once reserved.
    pub destination: Option<PayoutDestination>,
    /// The provider's payout id, once sent.
    pub provider_payout_id: Option<ProviderPayoutId>,
    /// What the provider charged, once sent.
    pub fee: Option<Money>,
    /// Why it failed, if it did.
    pub failure_reason: Option<PayoutFailureReason>,
    /// Free capital when it was last skipped, if it was.
    pub skipped_free_capital: Option<Money>,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The log position of its request (the list order).
    pub created_position: u64,
    /// The log position of its last change.
    pub last_position: u64,
}
