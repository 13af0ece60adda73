//! The product aggregate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::types::{CheckoutTerms, ProductError, ProductOrigin, ProductStatus, ProductTitle};
use crate::aggregate::{Aggregate, DomainEvent};
use crate::ids::{ProductId, SupplierProductId, UserId};
use crate::money::{Money, MoneyError};

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
    /// Change our price; the supplier cost stays. Checkouts started
    /// before keep the price they agreed to.
    ChangePrice {
        /// Our new price of one unit.
        price: Money,
        /// When.
        changed_at: DateTime<Utc>,
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
            ProductCommand::ChangePrice { price, changed_at } => {
                let supplier_cost = self.existing()?.supplier_cost;
                check_pricing(supplier_cost, price)?;
                ProductEvent::ProductRepriced {
                    supplier_cost,
                    price,
                    repriced_at: changed_at,
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
