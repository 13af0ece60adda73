//! The product aggregate.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::ids::{ProductId, SupplierProductId, UserId};
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

/// What may be asked of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductCommand {
    /// Create a draft listing.
    CreateProduct {
        /// Its id.
        product_id: ProductId,
        /// The owner.
        owner: UserId,
        /// Title.
        title: ProductTitle,
        /// The supplier's product.
        supplier_product_id: SupplierProductId,
        /// Supplier cost of one unit.
        supplier_cost: Money,
        /// Our price of one unit.
        price: Money,
        /// Where it came from.
        origin: ProductOrigin,
        /// When.
        created_at: DateTime<Utc>,
    },
    /// Change the supplier cost and price.
    Reprice {
        /// Supplier cost of one unit.
        supplier_cost: Money,
        /// Our price of one unit.
        price: Money,
        /// When.
        repriced_at: DateTime<Utc>,
    },
    /// Put it on the storefront.
    Publish {
        /// When.
        published_at: DateTime<Utc>,
    },
    /// Take it off the storefront.
    Unpublish {
        /// When.
        unpublished_at: DateTime<Utc>,
    },
}

/// Something that happened to a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ProductEvent {
    /// A draft listing was created.
    #[serde(rename = "ProductCreated")]
    ProductCreated {
        /// Its id.
        product_id: ProductId,
        /// The owner.
        owner: UserId,
        /// Title.
        title: ProductTitle,
        /// The supplier's product.
        supplier_product_id: SupplierProductId,
        /// Supplier cost of one unit.
        supplier_cost: Money,
        /// Price of one unit.
        price: Money,
        /// Where it came from.
        origin: ProductOrigin,
        /// When.
        created_at: DateTime<Utc>,
    },
    /// The supplier cost and price changed.
    #[serde(rename = "ProductRepriced")]
    ProductRepriced {
        /// Supplier cost of one unit.
        supplier_cost: Money,
        /// Price of one unit.
        price: Money,
        /// When.
        repriced_at: DateTime<Utc>,
    },
    /// The listing went on the storefront.
    #[serde(rename = "ProductPublished")]
    ProductPublished {
        /// When.
        published_at: DateTime<Utc>,
    },
    /// The listing was taken off the storefront.
    #[serde(rename = "ProductUnpublished")]
    ProductUnpublished {
        /// When.
        unpublished_at: DateTime<Utc>,
    },
}

impl DomainEvent for ProductEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            ProductEvent::ProductCreated { .. } => "ProductCreated",
            ProductEvent::ProductRepriced { .. } => "ProductRepriced",
            ProductEvent::ProductPublished { .. } => "ProductPublished",
            ProductEvent::ProductUnpublished { .. } => "ProductUnpublished",
        }
    }
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

/// A listing as its events describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Product {
    listing: Option<Listing>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Listing {
    product_id: ProductId,
    owner: UserId,
    title: ProductTitle,
    supplier_product_id: SupplierProductId,
    supplier_cost: Money,
    price: Money,
    status: ProductStatus,
}

fn check_pricing(supplier_cost: Money, price: Money) -> Result<(), ProductError> {
    let margin = price
        .checked_sub(supplier_cost)
        .map_err(ProductError::InvalidPricing)?;
    if !supplier_cost.is_positive() {
        return Err(ProductError::InvalidPricing(MoneyError::OutOfRange(
            supplier_cost.amount(),
        )));
    }
    if !margin.is_positive() {
        return Err(ProductError::PriceNotAboveCost {
            price,
            supplier_cost,
        });
    }
    Ok(())
}

impl Product {
    /// The stream id of a product, `product-<uuid>`.
    pub fn stream_id(product_id: ProductId) -> String {
        product_id.stream_id()
    }

    /// The status, or `None` before creation.
    pub fn status(&self) -> Option<ProductStatus> {
        self.listing.as_ref().map(|listing| listing.status)
    }

    /// The owner, or `None` before creation.
    pub fn owner(&self) -> Option<UserId> {
        self.listing.as_ref().map(|listing| listing.owner)
    }

    /// The title, or `None` before creation.
    pub fn title(&self) -> Option<&ProductTitle> {
        self.listing.as_ref().map(|listing| &listing.title)
    }

    /// The supplier's product id, or `None` before creation.
    pub fn supplier_product_id(&self) -> Option<&SupplierProductId> {
        self.listing
            .as_ref()
            .map(|listing| &listing.supplier_product_id)
    }

    /// What a checkout of this product agrees to; only a published product
    /// can be checked out.
    pub fn checkout_terms(&self) -> Result<CheckoutTerms, ProductError> {
        let listing = self.listing.as_ref().ok_or(ProductError::NotFound)?;
        if listing.status != ProductStatus::Published {
            return Err(ProductError::NotPublished);
        }
        Ok(CheckoutTerms {
            product_id: listing.product_id,
            seller: listing.owner,
            unit_price: listing.price,
            unit_supplier_cost: listing.supplier_cost,
        })
    }

    fn existing(&self) -> Result<&Listing, ProductError> {
        self.listing.as_ref().ok_or(ProductError::NotFound)
    }
}

impl Aggregate for Product {
    type Command = ProductCommand;
    type Event = ProductEvent;
    type Error = ProductError;

    fn decide(&self, command: ProductCommand) -> Result<Vec<ProductEvent>, ProductError> {
        let event = match command {
            ProductCommand::CreateProduct {
                product_id,
                owner,
                title,
                supplier_product_id,
                supplier_cost,
                price,
                origin,
                created_at,
            } => {
                if self.listing.is_some() {
                    return Err(ProductError::AlreadyExists);
                }
                check_pricing(supplier_cost, price)?;
                ProductEvent::ProductCreated {
                    product_id,
                    owner,
                    title,
                    supplier_product_id,
                    supplier_cost,
                    price,
                    origin,
                    created_at,
                }
            }
            ProductCommand::Reprice {
                supplier_cost,
                price,
                repriced_at,
            } => {
                self.existing()?;
                check_pricing(supplier_cost, price)?;
                ProductEvent::ProductRepriced {
                    supplier_cost,
                    price,
                    repriced_at,
                }
            }
            ProductCommand::Publish { published_at } => {
                let status = self.existing()?.status;
                if status == ProductStatus::Published {
                    return Err(ProductError::InvalidTransition {
                        action: "publish",
                        status,
                    });
                }
                ProductEvent::ProductPublished { published_at }
            }
            ProductCommand::Unpublish { unpublished_at } => {
                let status = self.existing()?.status;
                if status != ProductStatus::Published {
                    return Err(ProductError::InvalidTransition {
                        action: "unpublish",
                        status,
                    });
                }
                ProductEvent::ProductUnpublished { unpublished_at }
            }
        };
        Ok(vec![event])
    }

    fn evolve(mut self, event: &ProductEvent) -> Product {
        match event {
            ProductEvent::ProductCreated {
                product_id,
                owner,
                title,
                supplier_product_id,
                supplier_cost,
                price,
                ..
            } => {
                self.listing = Some(Listing {
                    product_id: *product_id,
                    owner: *owner,
                    title: title.clone(),
                    supplier_product_id: supplier_product_id.clone(),
                    supplier_cost: *supplier_cost,
                    price: *price,
                    status: ProductStatus::Draft,
                });
            }
            ProductEvent::ProductRepriced {
                supplier_cost,
                price,
                ..
            } => {
                if let Some(listing) = self.listing.as_mut() {
                    listing.supplier_cost = *supplier_cost;
                    listing.price = *price;
                }
            }
            ProductEvent::ProductPublished { .. } => {
                if let Some(listing) = self.listing.as_mut() {
                    listing.status = ProductStatus::Published;
                }
            }
            ProductEvent::ProductUnpublished { .. } => {
                if let Some(listing) = self.listing.as_mut() {
                    listing.status = ProductStatus::Unpublished;
                }
            }
        }
        self
    }
}
