//! AliExpress Dropshipping (Open Platform): signing, OAuth, purchases,
//! product and freight queries, tracking, search.

mod client;
mod error;
mod parse;
mod sign;
mod types;

pub use client::{AliExpressClient, AliExpressConfig, ALIEXPRESS_BASE_URL, SEARCH_PAGE_SIZE_MAX};
pub use error::{AliExpressError, AliExpressErrorKind, ErrorCategory};
pub use sign::sign_request;
pub(crate) use sign::signature_matches;
pub use types::{
    AliExpressToken, DeliveryOption, FreightQuery, OrderLine, PlaceOrder, PlacedOrder, Product,
    ProductQuery, SearchHit, Shipment, ShippingAddress, Sku, SupplierOrder, SupplierOrderState,
    TextSearch, TrackingEvent,
};
