//! Products: created by their owner (a USER), published, unpublished and
//! repriced by them.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use dropledger_domain::{
    Aggregate, Money as DomainMoney, Product as ProductState, ProductCommand, ProductError,
    ProductEvent, ProductId, ProductOrigin, ProductStatus as DomainStatus, ProductTitle,
    SupplierProductId, UserId,
};
use dropledger_eventstore::CommandError;
use uuid::Uuid;

use crate::auth::Role;
use crate::consistency::position_of;
use crate::context::count_appends;
use crate::context::parts;
use crate::errors::{command_failure, UserError};
use crate::money::{Money, MoneyInput};

/// Namespace of ids derived from idempotency keys of `createProduct`.
const PRODUCT_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_54d2_8c3e_4a1b_9f0d_2e7c_5a4b_1d01);
/// Longest idempotency key accepted, in characters.
pub(crate) const IDEMPOTENCY_KEY_CHARS_MAX: usize = 200;

/// A listing's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ProductStatus {
    /// Not yet on the storefront.
    Draft,
    /// Can be bought.
    Published,
    /// Taken off the storefront.
    Unpublished,
}

impl From<DomainStatus> for ProductStatus {
    fn from(status: DomainStatus) -> Self {
        match status {
            DomainStatus::Draft => Self::Draft,
            DomainStatus::Published => Self::Published,
            DomainStatus::Unpublished => Self::Unpublished,
        }
    }
}

/// A product listing.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Product {
    /// The product id.
    pub id: ID,
    /// Title.
    pub title: String,
    /// The supplier's product id.
    pub supplier_product_id: String,
    /// What one unit costs us; shown to its owner only.
    pub supplier_cost: Option<Money>,
    /// Price of one unit.
    pub price: Money,
    /// Status.
    pub status: ProductStatus,
    /// The owning seller's user id.
    pub owner: ID,
}

/// `createProduct`'s input.
#[derive(Debug, InputObject)]
pub struct CreateProductInput {
    /// 1 to `ProductTitle::CHARS_MAX` characters.
    pub title: String,
    /// The supplier's product id.
    pub supplier_product_id: String,
    /// What one unit costs at the supplier; above zero.
    pub supplier_cost: MoneyInput,
    /// Our price; above the supplier cost, in the same currency.
    pub price: MoneyInput,
    /// Sending the same key again creates the product once.
    pub idempotency_key: Option<String>,
}

/// The result of a product mutation.
#[derive(Debug, Default, SimpleObject)]
pub struct ProductPayload {
    /// The product as now.
    pub product: Option<Product>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

impl ProductPayload {
    fn refused(error: UserError) -> Self {
        Self {
            user_errors: vec![error],
            ..Self::default()
        }
    }
}

/// What a product's events say; the aggregate keeps prices private.
fn product_of(product_id: ProductId, events: &[ProductEvent]) -> Option<Product> {
    let mut product: Option<Product> = None;
    for event in events {
        match event {
            ProductEvent::ProductCreated {
                owner,
                title,
                supplier_product_id,
                supplier_cost,
                price,
                ..
            } => {
                product = Some(Product {
                    id: ID(product_id.to_string()),
                    title: title.as_str().to_owned(),
                    supplier_product_id: supplier_product_id.as_str().to_owned(),
                    supplier_cost: Some((*supplier_cost).into()),
                    price: (*price).into(),
                    status: ProductStatus::Draft,
                    owner: ID(owner.to_string()),
                })
            }
            ProductEvent::ProductRepriced {
                supplier_cost,
                price,
                ..
            } => {
                if let Some(product) = product.as_mut() {
                    product.supplier_cost = Some((*supplier_cost).into());
                    product.price = (*price).into();
                }
            }
            ProductEvent::ProductPublished { .. } => {
                if let Some(product) = product.as_mut() {
                    product.status = ProductStatus::Published;
                }
            }
            ProductEvent::ProductUnpublished { .. } => {
                if let Some(product) = product.as_mut() {
                    product.status = ProductStatus::Unpublished;
                }
            }
        }
    }
    product
}

/// The product's events, decoded.
async fn product_events(
    services: &crate::Services,
    product_id: ProductId,
) -> async_graphql::Result<Vec<ProductEvent>> {
    let stream = ProductState::stream_id(product_id);
    let recorded = services
        .store
        .read_stream(&stream, 1, dropledger_eventstore::READ_EVENTS_MAX)
        .await
        .map_err(|error| crate::errors::internal(&error))?;
    recorded
        .iter()
        .map(|event| {
            dropledger_domain::decode_event(
                &event.event_type,
                event.schema_version,
                event.payload_value(),
            )
            .map_err(|error| crate::errors::internal(&error))
        })
        .collect()
}

struct NewProduct {
    title: ProductTitle,
    supplier_product_id: SupplierProductId,
    supplier_cost: DomainMoney,
    price: DomainMoney,
}

fn parse_new_product(input: &CreateProductInput) -> Result<NewProduct, UserError> {
    let title = ProductTitle::parse(&input.title)
        .map_err(|error| UserError::invalid("input.title", error))?;
    let supplier_product_id = SupplierProductId::parse(&input.supplier_product_id)
        .map_err(|error| UserError::invalid("input.supplierProductId", error))?;
    let supplier_cost = input.supplier_cost.parse_positive("input.supplierCost")?;
    let price = input.price.parse_positive("input.price")?;
    if let Some(key) = &input.idempotency_key {
        check_idempotency_key(key, "input.idempotencyKey")?;
    }
    Ok(NewProduct {
        title,
        supplier_product_id,
        supplier_cost,
        price,
    })
}

/// A key of 1 to [`IDEMPOTENCY_KEY_CHARS_MAX`] characters.
pub(crate) fn check_idempotency_key(key: &str, field: &str) -> Result<(), UserError> {
    let count = key.chars().count();
    if count == 0 || count > IDEMPOTENCY_KEY_CHARS_MAX {
        return Err(UserError::invalid(
            field,
            format!("must have 1 to {IDEMPOTENCY_KEY_CHARS_MAX} characters"),
        ));
    }
    Ok(())
}

/// Product mutations.
#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    /// Creates a DRAFT product owned by the caller. USER or ADMIN.
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<ProductPayload> {
        let (services, request) = parts(ctx);
        let owner = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => UserId::from_uuid(claims.sub),
            Err(error) => return Ok(ProductPayload::refused(error)),
        };
        let new = match parse_new_product(&input) {
            Ok(new) => new,
            Err(error) => return Ok(ProductPayload::refused(error)),
        };
        // A key names the product: the same key from the same owner is the same product.
        let product_id = ProductId::from_uuid(match &input.idempotency_key {
            Some(key) => Uuid::new_v5(&PRODUCT_KEY_NAMESPACE, format!("{owner}:{key}").as_bytes()),
            None => Uuid::new_v4(),
        });
        let command = ProductCommand::CreateProduct {
            product_id,
            owner,
            title: new.title,
            supplier_product_id: new.supplier_product_id,
            supplier_cost: new.supplier_cost,
            price: new.price,
            origin: ProductOrigin::Manual,
            created_at: Utc::now(),
        };
        let stream = ProductState::stream_id(product_id);
        let metadata = request.metadata(product_id.as_uuid());
        let outcome = services
            .store
            .execute(|| async {
                let product = services
                    .store
                    .load(&stream, ProductState::default())
                    .await?;
                if input.idempotency_key.is_some() && product.state.owner() == Some(owner) {
                    return Ok((Vec::new(), ()));
                }
                let events = product
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![product.append(&events, &metadata)], ()))
            })
            .await
            .map(count_appends);
        let appends = match outcome {
            Ok((_, appends)) => appends,
            Err(error) => return Ok(ProductPayload::refused(command_failure(error)?)),
        };
        Ok(ProductPayload {
            product: product_of(product_id, &product_events(services, product_id).await?),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }

    /// Makes a product purchasable. Its owner only.
    async fn publish_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ProductPayload> {
        change_listing(ctx, &id, |now| {
            Ok(ProductCommand::Publish { published_at: now })
        })
        .await
    }

    /// Takes a PUBLISHED product off the storefront: nobody can start a
    /// checkout of it; checkouts started before still complete. Its owner
    /// only; `publishProduct` puts it back.
    async fn unpublish_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ProductPayload> {
        change_listing(ctx, &id, |now| {
            Ok(ProductCommand::Unpublish {
                unpublished_at: now,
            })
        })
        .await
    }

    /// Sets the product's price; the supplier cost stays, and the price must
    /// stay above it, in the same currency. Checkouts started before keep
    /// the price they agreed to. Its owner only.
    async fn change_product_price(
        &self,
        ctx: &Context<'_>,
        id: ID,
        price: MoneyInput,
    ) -> async_graphql::Result<ProductPayload> {
        let mut payload = change_listing(ctx, &id, |now| {
            Ok(ProductCommand::ChangePrice {
                price: price.parse_positive("price")?,
                changed_at: now,
            })
        })
        .await?;
        // The domain's pricing refusals (not above the supplier cost, another
        // currency) are about the one input there is.
        for error in &mut payload.user_errors {
            if error.code == "INVALID_INPUT" && error.field.is_none() {
                error.field = Some("price".to_owned());
            }
        }
        Ok(payload)
    }
}

/// Decides `command` (made from the time now) on the product `id` for its
/// owner, and answers with the product as it then is.
async fn change_listing(
    ctx: &Context<'_>,
    id: &ID,
    command: impl FnOnce(DateTime<Utc>) -> Result<ProductCommand, UserError>,
) -> async_graphql::Result<ProductPayload> {
    let (services, request) = parts(ctx);
    let caller = match request.require(&[Role::User, Role::Admin]) {
        Ok(claims) => UserId::from_uuid(claims.sub),
        Err(error) => return Ok(ProductPayload::refused(error)),
    };
    let Ok(product_id) = id.parse::<ProductId>() else {
        return Ok(ProductPayload::refused(UserError::invalid(
            "id",
            "not a product id",
        )));
    };
    let command = match command(Utc::now()) {
        Ok(command) => command,
        Err(error) => return Ok(ProductPayload::refused(error)),
    };
    let stream = ProductState::stream_id(product_id);
    let metadata = request.metadata(Uuid::new_v4());
    let outcome = services
        .store
        .execute(|| async {
            let product = services
                .store
                .load(&stream, ProductState::default())
                .await?;
            match product.state.owner() {
                None => return Err(CommandError::Refused(ProductError::NotFound)),
                Some(owner) if owner != caller => return Ok((Vec::new(), false)),
                Some(_) => {}
            }
            let events = product
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            Ok((vec![product.append(&events, &metadata)], true))
        })
        .await
        .map(count_appends);
    match outcome {
        Ok((true, appends)) => Ok(ProductPayload {
            product: product_of(product_id, &product_events(services, product_id).await?),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        }),
        Ok((false, _)) => Ok(ProductPayload::refused(UserError::forbidden())),
        Err(error) => Ok(ProductPayload::refused(command_failure(error)?)),
    }
}
