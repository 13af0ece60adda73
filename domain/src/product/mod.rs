//! Product listings: created as drafts (by a person or from a discovered
//! opportunity), published to the storefront, unpublished.

mod state;
#[cfg(test)]
mod tests;

pub use state::{
    CheckoutTerms, Product, ProductCommand, ProductError, ProductEvent, ProductOrigin,
    ProductStatus, ProductTitle,
};
