//! `products` and `orders`: Relay connections over the commerce read model,
//! each caller seeing what API.md lets them see; and the nested fields of
//! products and orders that go through DataLoaders.

use async_graphql::{ComplexObject, Context, Enum, Object, ID};
use dropledger_domain::{
    OrderId, OrderStatus as DomainOrderStatus, ProductStatus as DomainStatus, UserId,
};
use dropledger_projections::{
    orders_page, products_page, OrderFilter, OrderView as OrderRow, ProductFilter, ProductView,
    Projection,
};

use crate::auth::Role;
use crate::catalog::{Product, ProductStatus};
use crate::checkout::OrderView;
use crate::consistency::wait_for_read_models;
use crate::context::parts;
use crate::errors::{internal, top_level, UserError};
use crate::events::Event;
use crate::history::{buyer_view, open_tracking};
use crate::loaders::loaders;
use crate::paging::{connection, page_request, ReadConnection};
use crate::profile::Profile;
use crate::users::User;

/// An order's status, as a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrderStatus {
    /// Checkout started; nothing paid yet.
    Created,
    /// Payment captured but PENDING at PayPal: nothing is bought until it
    /// clears (COMPLETED); if PayPal denies it the order fails.
    AwaitingPaymentClearance,
    /// Payment captured and COMPLETED.
    Paid,
    /// Capital reserved; buying from the supplier.
    Purchasing,
    /// The supplier confirmed the purchase.
    Purchased,
    /// Fulfilment failed (see `failureReason`).
    Failed,
    /// A refund was asked for and PayPal is being asked; nothing is bought.
    RefundRequested,
    /// The payment was refunded.
    Refunded,
    /// The supplier cancelled (or closed) the purchase after accepting it:
    /// nothing ships, the supplier owes its cost back, and the customer is
    /// to be refunded (`refundOrder`, in one step).
    SupplierCancelled,
}

impl From<OrderStatus> for DomainOrderStatus {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Created => DomainOrderStatus::Created,
            OrderStatus::AwaitingPaymentClearance => DomainOrderStatus::AwaitingPaymentClearance,
            OrderStatus::Paid => DomainOrderStatus::Paid,
            OrderStatus::Purchasing => DomainOrderStatus::Purchasing,
            OrderStatus::Purchased => DomainOrderStatus::Purchased,
            OrderStatus::Failed => DomainOrderStatus::Failed,
            OrderStatus::RefundRequested => DomainOrderStatus::RefundRequested,
            OrderStatus::Refunded => DomainOrderStatus::Refunded,
            OrderStatus::SupplierCancelled => DomainOrderStatus::SupplierCancelled,
        }
    }
}

fn domain_product_status(status: ProductStatus) -> DomainStatus {
    match status {
        ProductStatus::Draft => DomainStatus::Draft,
        ProductStatus::Published => DomainStatus::Published,
        ProductStatus::Unpublished => DomainStatus::Unpublished,
    }
}

/// A product row as the API shows it to `viewer`: the supplier cost only
/// to its owner, ADMIN and ACCOUNTANT.
fn product(row: ProductView, viewer: Option<(UserId, Role)>) -> Product {
    let sees_cost = match viewer {
        Some((_, Role::Admin | Role::Accountant)) => true,
        Some((user, Role::User)) => user == row.owner,
        None => false,
    };
    Product {
        id: ID(row.product_id.to_string()),
        title: row.title,
        supplier_product_id: row.supplier_product_id.as_str().to_owned(),
        supplier_cost: sees_cost.then(|| row.supplier_cost.into()),
        price: row.price.into(),
        status: row.status.into(),
        owner: ID(row.owner.to_string()),
    }
}

/// An order row of the read model as the API's `Order` (its history is
/// read when asked for).
pub(crate) fn order(row: OrderRow) -> OrderView {
    OrderView {
        id: ID(row.order_id.to_string()),
        status: row.status.as_str().to_owned(),
        failure_reason: row
            .failure_reason
            .map(|reason| reason.status_code().to_owned()),
        price: row.price.into(),
        supplier_order_id: row.supplier_order_id.map(|id| id.as_str().to_owned()),
        owner: ID(row.seller.to_string()),
        buyer: row.buyer.map(|buyer| ID(buyer.to_string())),
        history: Vec::new(),
    }
}

/// The account of user `id`, its personal fields narrowed to what the
/// caller may see (see `profile::account_access`).
async fn user(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<User>> {
    let Ok(user_id) = id.parse::<UserId>() else {
        return Ok(None);
    };
    let (_, request) = parts(ctx);
    Ok(loaders(ctx)
        .users
        .load_one(user_id)
        .await
        .map_err(|error| internal(&error))?
        .map(|user| user.for_caller(&request)))
}

/// The public profile of user `id`.
fn profile(id: &ID) -> Option<Profile> {
    id.parse::<UserId>().ok().map(Profile::of)
}

#[ComplexObject]
impl Product {
    /// The seller, as anyone may see them: id and display name.
    async fn seller(&self) -> Option<Profile> {
        profile(&self.owner)
    }

    /// The owning seller's account (read with the other rows' owners in
    /// one batch). Its e-mail, role and payout details resolve only for
    /// the seller, ADMIN and ACCOUNTANT; others ask for `seller`.
    async fn owner_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, &self.owner).await
    }
}

#[ComplexObject]
impl OrderView {
    /// Every event of the order, oldest first. The seller, ADMIN and
    /// ACCOUNTANT see the events as recorded; anyone else (the buyer) sees
    /// the buyer's view: no supplier cost, fees, capital or margins (see
    /// `history::buyer_view`).
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Event>> {
        let Ok(order_id) = self.id.parse::<OrderId>() else {
            return Ok(Vec::new());
        };
        let events = if self.history.is_empty() {
            loaders(ctx)
                .histories
                .load_one(order_id)
                .await
                .map_err(|error| internal(&error))?
                .unwrap_or_default()
        } else {
            self.history.clone()
        };
        let (services, request) = parts(ctx);
        let sees_everything = request.claims.as_ref().is_some_and(|claims| {
            matches!(claims.role, Role::Admin | Role::Accountant)
                || self.owner.parse::<UserId>().ok() == Some(UserId::from_uuid(claims.sub))
        });
        let events = if sees_everything {
            events
        } else {
            buyer_view(events)
        };
        let buyer = self
            .buyer
            .as_ref()
            .and_then(|buyer| buyer.parse::<UserId>().ok());
        open_tracking(services, events, buyer).await
    }

    /// The seller, as the buyer and anyone else who may read the order
    /// sees them: id and display name.
    async fn seller_profile(&self) -> Option<Profile> {
        profile(&self.owner)
    }

    /// The buyer, once captured, as the seller sees them: id and display name.
    async fn buyer_profile(&self) -> Option<Profile> {
        self.buyer.as_ref().and_then(profile)
    }

    /// The seller's account. Its e-mail, role and payout details resolve
    /// only for the seller, ADMIN and ACCOUNTANT; the buyer asks for
    /// `sellerProfile`.
    async fn owner_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        user(ctx, &self.owner).await
    }

    /// The buyer's account, once captured. Its e-mail, role and payout
    /// details resolve only for the buyer, ADMIN and ACCOUNTANT; the seller
    /// asks for `buyerProfile`.
    async fn buyer_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match &self.buyer {
            Some(buyer) => user(ctx, buyer).await,
            None => Ok(None),
        }
    }
}

/// `products` and `orders`.
#[derive(Default)]
pub struct StorefrontQuery;

#[Object]
impl StorefrontQuery {
    /// Products, oldest first. Anyone sees PUBLISHED products; a USER also
    /// sees all of their own; ADMIN and ACCOUNTANT see every product.
    /// `consistentAfter`: wait (up to 5 s) until the read model has applied
    /// this log position, e.g. a mutation's `position`; past that the query
    /// fails with `CONSISTENCY_TIMEOUT` (try again).
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<ProductStatus>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<Product>> {
        let (services, request) = parts(ctx);
        let page = page_request(first, after.as_deref())?;
        let viewer = request
            .claims
            .as_ref()
            .map(|claims| (UserId::from_uuid(claims.sub), claims.role));
        let mut filter = ProductFilter {
            status: status.map(domain_product_status),
            ..ProductFilter::default()
        };
        match viewer {
            Some((_, Role::Admin | Role::Accountant)) => {}
            Some((user, Role::User)) => filter.published_or_owned_by = Some(user),
            None => {
                if status.is_some_and(|status| status != ProductStatus::Published) {
                    // Anonymous callers see nothing but the storefront.
                    return Ok(ReadConnection::new(page.after.is_some(), false));
                }
                filter.status = Some(DomainStatus::Published);
            }
        }
        wait_for_read_models(
            services,
            &request,
            &[Projection::Commerce],
            consistent_after,
        )
        .await?;
        let rows = products_page(services.store.pool(), &filter, page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        Ok(connection(page, rows, |row| product(row, viewer)))
    }

    /// Orders, oldest first: a USER's are those they sell or bought; ADMIN
    /// and ACCOUNTANT see all. Signed-in callers only. `consistentAfter` as
    /// for `products`.
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<OrderStatus>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<OrderView>> {
        let (services, request) = parts(ctx);
        let claims = request
            .require(&[Role::Admin, Role::User, Role::Accountant])
            .map_err(top_level)?;
        let page = page_request(first, after.as_deref())?;
        let filter = OrderFilter {
            status: status.map(Into::into),
            party: (claims.role == Role::User).then(|| UserId::from_uuid(claims.sub)),
        };
        wait_for_read_models(
            services,
            &request,
            &[Projection::Commerce],
            consistent_after,
        )
        .await?;
        let rows = orders_page(services.store.pool(), &filter, page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        Ok(connection(page, rows, order))
    }
}

/// Refuses a caller who is not one of `roles`, as a top-level error.
pub(crate) fn require(
    request: &crate::RequestContext,
    roles: &[Role],
) -> async_graphql::Result<UserId> {
    request
        .require(roles)
        .map(|claims| UserId::from_uuid(claims.sub))
        .map_err(|error: UserError| top_level(error))
}
