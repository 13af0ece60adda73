//! Values of the product aggregate: title, origin, status, checkout terms, errors.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::aggregate::ErrorCode;
use crate::ids::{ProductId, UserId};
use crate::money::{Money, MoneyError};

/// A listing's title: trimmed, 1 to [`ProductTitle::CHARS_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProductTitle(String);

impl ProductTitle {
    /// Longest title accepted.
    pub const CHARS_MAX: usize = 200;

    /// Parses a title.
    pub fn parse(text: &str) -> Result<ProductTitle, ProductError> {
        let text = text.trim();
        let chars = text.chars().count();
        if chars == 0 || chars > ProductTitle::CHARS_MAX {
            return Err(ProductError::InvalidTitle(chars));
        }
        Ok(ProductTitle(text.to_owned()))
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProductTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ProductTitle {
    type Error = ProductError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ProductTitle::parse(&text)
    }
}

impl From<ProductTitle> for String {
    fn from(title: ProductTitle) -> String {
        title.0
    }
}

/// Where a listing came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductOrigin {
    /// A person created it.
    Manual,
    /// Discovery scored a trending product as an opportunity.
    Opportunity {
        /// The opportunity's score as discovery computed it.
        score: Decimal,
    },
}

/// A listing's status, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductStatus {
    /// Created, not yet on the storefront.
    Draft,
    /// On the storefront: can be bought.
    Published,
    /// Taken off the storefront.
    Unpublished,
}

/// What a checkout needs to know of a published product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutTerms {
    /// The product.
    pub product_id: ProductId,
    /// The owner, who earns the net profit.
    pub seller: UserId,
    /// Price of one unit.
    pub unit_price: Money,
    /// Supplier cost of one unit at listing time.
    pub unit_supplier_cost: Money,
}

/// Why a product command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// The product does not exist.
    #[error("no such product")]
    NotFound,
    /// The product already exists.
    #[error("the product already exists")]
    AlreadyExists,
    /// The title is empty or too long.
    #[error("a title has 1 to {max} characters, got {count}", max = ProductTitle::CHARS_MAX, count = .0)]
    InvalidTitle(usize),
    /// Price or cost are not positive, or in different currencies.
    #[error("price and supplier cost must be above zero and in one currency: {0}")]
    InvalidPricing(MoneyError),
    /// The price does not exceed the supplier cost: every sale would lose money.
    #[error("price {price} does not exceed supplier cost {supplier_cost}")]
    PriceNotAboveCost {
        /// The price.
        price: Money,
        /// The supplier cost.
        supplier_cost: Money,
    },
    /// The command does not apply in the product's status.
    #[error("cannot {action} a {status:?} product")]
    InvalidTransition {
        /// What was asked.
        action: &'static str,
        /// The product's status.
        status: ProductStatus,
    },
    /// Checkout of a product that is not published.
    #[error("the product is not published")]
    NotPublished,
}

impl ErrorCode for ProductError {
    fn code(&self) -> &'static str {
        match self {
            ProductError::NotFound => "NOT_FOUND",
            ProductError::AlreadyExists => "ALREADY_EXISTS",
            ProductError::InvalidTitle(_)
            | ProductError::InvalidPricing(_)
            | ProductError::PriceNotAboveCost { .. } => "INVALID_INPUT",
            ProductError::InvalidTransition { .. } | ProductError::NotPublished => "INVALID_STATE",
        }
    }
}
