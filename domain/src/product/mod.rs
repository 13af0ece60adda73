//! Product listings: created as drafts (by a person or from a discovered
//! opportunity), published to the storefront, unpublished.

mod state;
#[cfg(test)]
mod tests;
mod types;

pub use state::{Product, ProductCommand, ProductEvent};
pub use types::{CheckoutTerms, ProductError, ProductOrigin, ProductStatus, ProductTitle};
