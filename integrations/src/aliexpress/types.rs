//! What the AliExpress client takes and returns.

use chrono::{DateTime, Utc};
use dropledger_domain::Money;
use secrecy::SecretString;

/// A user's AliExpress OAuth token pair (A2/A3).
#[derive(Debug, Clone)]
pub struct AliExpressToken {
    /// Sent as `session` on business calls.
    pub access_token: SecretString,
    /// Exchanged for a new pair before the access token expires.
    pub refresh_token: SecretString,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
    /// When the refresh token stops working, if the platform said.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// The platform's user id.
    pub user_id: Option<String>,
    /// The seller account name.
    pub account: Option<String>,
}

impl AliExpressToken {
    /// Whether to refresh now: the token expires within `margin` of `now`.
    /// Refreshing before expiry keeps a purchase from failing halfway.
    pub fn needs_refresh(&self, now: DateTime<Utc>, margin: chrono::Duration) -> bool {
        self.expires_at - margin <= now
    }
}

/// Where the supplier ships (A6 `logistics_address`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    /// Recipient name.
    pub contact_person: String,
    /// Street line.
    pub address: String,
    /// Second line, if any.
    pub address2: Option<String>,
    /// City.
    pub city: String,
    /// Province or state.
    pub province: String,
    /// ISO 3166-1 alpha-2 country ("US").
    pub country: String,
    /// Postal code.
    pub zip: String,
    /// Country calling code without "+" ("1").
    pub phone_country: String,
    /// Phone number.
    pub mobile_no: String,
}

/// One line of a supplier order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// The supplier product id.
    pub product_id: String,
    /// How many.
    pub quantity: u32,
    /// The SKU's attribute string (`sku_attr`), which selects the variant.
    pub sku_attr: String,
    /// The delivery method code from the freight quote.
    pub logistics_service_name: Option<String>,
}

/// A purchase from the supplier (A6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrder {
    /// Our order id: the platform dedupes on it for 24 h, which makes the
    /// call safe to retry.
    pub out_order_id: String,
    /// Ship to.
    pub address: ShippingAddress,
    /// What to buy.
    pub lines: Vec<OrderLine>,
    /// Currency the purchase is paid in.
    pub pay_currency: String,
}

/// The supplier's answer to a purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    /// Supplier order ids (one per seller the lines were split across).
    pub order_ids: Vec<String>,
}

/// A supplier order as the platform reports it (A7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupplierOrder {
    /// The supplier order id.
    pub order_id: String,
    /// `order_status` ("PLACE_ORDER_SUCCESS", "WAIT_SELLER_SEND_GOODS", ...).
    pub order_status: String,
    /// `logistics_status`.
    pub logistics_status: Option<String>,
    /// What the order cost.
    pub amount: Option<Money>,
    /// Tracking numbers known so far.
    pub tracking_numbers: Vec<String>,
    /// What the status means for us: still going, being cancelled, or
    /// closed and refunded.
    pub state: SupplierOrderState,
}

/// A supplier order's `order_status` (with `end_reason` once FINISH), read
/// for what it means to the buyer (us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupplierOrderState {
    /// Placed, paid, awaiting shipment, shipped, or in a dispute: it may
    /// still ship.
    Active,
    /// `IN_CANCEL`: the cancellation is agreed and AliExpress is processing
    /// the refund ("wait fund processing"). It will not ship.
    Cancelling,
    /// `FINISH` with a closing `end_reason` (`cancel_order_close_trade`,
    /// `seller_send_goods_timeout`, `risk_reject_closed`, ...): fund
    /// processing is complete, so the order amount is back with the buyer.
    ClosedRefunded {
        /// The `end_reason`.
        end_reason: String,
        /// What came back: the `order_amount`.
        refunded: Money,
    },
    /// `FINISH` after delivery (`buyer_accept_goods`,
    /// `buyer_accept_goods_timeout`).
    Completed,
}

impl SupplierOrderState {
    /// Whether the supplier cancelled or closed the order: it will not ship.
    pub fn is_cancelled(&self) -> bool {
        matches!(
            self,
            SupplierOrderState::Cancelling | SupplierOrderState::ClosedRefunded { .. }
        )
    }
}

/// One scan of a parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingEvent {
    /// When, as the platform wrote it.
    pub time: Option<String>,
    /// Short name of the event.
    pub name: String,
    /// Longer description.
    pub description: Option<String>,
}

/// A parcel and its scans (A8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    /// Tracking number (`mail_no`).
    pub tracking_number: String,
    /// Carrier name.
    pub carrier_name: String,
    /// Scans, as listed.
    pub events: Vec<TrackingEvent>,
}

/// A product's current price and stock per SKU (A4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The supplier product id.
    pub product_id: String,
    /// Title.
    pub title: String,
    /// Variants.
    pub skus: Vec<Sku>,
}

/// One variant of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku {
    /// `sku_id`.
    pub sku_id: String,
    /// `sku_attr`, what an order line names.
    pub sku_attr: String,
    /// `offer_sale_price` in the requested currency.
    pub price: Money,
    /// `sku_available_stock`.
    pub stock: u64,
}

/// Parameters of a product query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductQuery {
    /// The supplier product id.
    pub product_id: String,
    /// ISO country the buyer is in.
    pub ship_to_country: String,
    /// Currency to price in.
    pub currency: String,
    /// Language of titles ("en").
    pub language: String,
}

/// Parameters of a freight quote (A5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreightQuery {
    /// Product.
    pub product_id: String,
    /// Variant.
    pub sku_id: String,
    /// How many.
    pub quantity: u32,
    /// ISO country.
    pub ship_to_country: String,
    /// Currency of the fees.
    pub currency: String,
    /// Language ("en_US").
    pub locale: String,
}

/// One way to ship, with its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOption {
    /// The delivery method code an order line names.
    pub code: String,
    /// Shipping fee.
    pub fee: Money,
    /// Whether shipping is free.
    pub free_shipping: bool,
    /// Fastest delivery in days.
    pub min_delivery_days: Option<u32>,
    /// Slowest delivery in days.
    pub max_delivery_days: Option<u32>,
}

/// Parameters of a text search (A9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSearch {
    /// Search words.
    pub keyword: String,
    /// ISO country of the buyers.
    pub country: String,
    /// Currency of the prices.
    pub currency: String,
    /// Locale ("en_US").
    pub locale: String,
    /// Sort order, e.g. "orders,desc".
    pub sort_by: Option<String>,
    /// 1-based page.
    pub page_index: u32,
    /// Results per page (bounded by [`crate::SEARCH_PAGE_SIZE_MAX`]).
    pub page_size: u32,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// `itemId`.
    pub product_id: String,
    /// Title.
    pub title: String,
    /// How many orders it has had.
    pub orders: u64,
    /// `evaluateRate`, e.g. "96.5%".
    pub evaluate_rate: Option<String>,
    /// `targetSalePrice` in the requested currency.
    pub price: Money,
}
