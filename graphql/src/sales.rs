//! `sales` and `payouts`: Relay connections over the commerce read model.
//! A USER sees their own; ADMIN and ACCOUNTANT see all.

use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject, ID};
use dropledger_domain::{Payee, PayoutStatus as DomainPayoutStatus, UserId};
use dropledger_projections::{
    payouts_page, sales_page, PayoutFilter, PayoutView, Projection, SaleFilter, SaleView,
};

use crate::auth::Role;
use crate::checkout::OrderView;
use crate::consistency::wait_for_read_models;
use crate::context::parts;
use crate::errors::internal;
use crate::loaders::loaders;
use crate::money::{Decimal, Money};
use crate::orders::{order, require};
use crate::paging::{connection, page_request, ReadConnection};
use crate::users::User;

/// Who may read sales and payouts (a USER only their own).
const READERS: [Role; 3] = [Role::Admin, Role::User, Role::Accountant];

/// A recorded sale with every amount.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Sale {
    /// The sale id.
    pub id: ID,
    /// The order sold.
    pub order_id: ID,
    /// The seller (the product's owner).
    pub seller: ID,
    /// What the buyer paid.
    pub sale_price: Money,
    /// What the supplier charged.
    pub supplier_cost: Money,
    /// Sale price − supplier cost.
    pub gross_profit: Money,
    /// The commission rate applied, in percent.
    pub commission_rate: Decimal,
    /// The platform's commission.
    pub commission: Money,
    /// Payment fees.
    pub fees: Money,
    /// What the seller earns.
    pub net_profit: Money,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

impl From<SaleView> for Sale {
    fn from(sale: SaleView) -> Self {
        Self {
            id: ID(sale.sale_id.to_string()),
            order_id: ID(sale.order_id.to_string()),
            seller: ID(sale.seller.to_string()),
            sale_price: sale.sale_price.into(),
            supplier_cost: sale.supplier_cost.into(),
            gross_profit: sale.gross_profit.into(),
            commission_rate: Decimal::new(sale.commission_rate.value()),
            commission: sale.commission.into(),
            fees: sale.fees.into(),
            net_profit: sale.net_profit.into(),
            recorded_at: sale.recorded_at.to_rfc3339(),
        }
    }
}

#[ComplexObject]
impl Sale {
    /// The order sold (read with the other rows' orders in one statement).
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrderView>> {
        let Ok(order_id) = self.order_id.parse() else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .orders
            .load_one(order_id)
            .await
            .map_err(|error| internal(&error))?
            .map(order))
    }
}

/// A payout's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PayoutStatus {
    /// Requested, or in flight at the provider.
    Pending,
    /// The provider confirmed it.
    Sent,
    /// It failed; it can be retried.
    Failed,
    /// Available cash did not cover it; it is retried later.
    #[graphql(name = "PAYOUT_SKIPPED_INSUFFICIENT_FUNDS")]
    PayoutSkippedInsufficientFunds,
    /// Reduced to nothing before it was sent (its sale refunded, or what
    /// the payee owed kept from it): never paid.
    Cancelled,
}

impl From<DomainPayoutStatus> for PayoutStatus {
    fn from(status: DomainPayoutStatus) -> Self {
        match status {
            DomainPayoutStatus::Pending => Self::Pending,
            DomainPayoutStatus::Sent => Self::Sent,
            DomainPayoutStatus::Failed => Self::Failed,
            DomainPayoutStatus::SkippedInsufficientFunds => Self::PayoutSkippedInsufficientFunds,
            DomainPayoutStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// A payout of the admin's commission or a seller's net profit.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct Payout {
    /// The payout id.
    pub id: ID,
    /// The sale it comes from.
    pub sale_id: ID,
    /// `ADMIN` for the commission, or the seller's user id.
    pub recipient: String,
    /// How much.
    pub amount: Money,
    /// Its status.
    pub status: PayoutStatus,
    /// The provider's payout id, once sent.
    pub provider_payout_id: Option<String>,
    /// What the provider charged, once sent.
    pub fee: Option<Money>,
    /// When it was requested (RFC 3339, UTC).
    pub requested_at: String,
    #[graphql(skip)]
    recipient_user_id: Option<UserId>,
}

impl From<PayoutView> for Payout {
    fn from(payout: PayoutView) -> Self {
        let recipient_user_id = match payout.payee {
            Payee::Admin => None,
            Payee::User { user_id } => Some(user_id),
        };
        Self {
            id: ID(payout.payout_id.to_string()),
            sale_id: ID(payout.sale_id.to_string()),
            recipient: recipient_user_id.map_or_else(|| "ADMIN".to_owned(), |id| id.to_string()),
            amount: payout.amount.into(),
            status: payout.status.into(),
            provider_payout_id: payout.provider_payout_id.map(|id| id.as_str().to_owned()),
            fee: payout.fee.map(Into::into),
            requested_at: payout.requested_at.to_rfc3339(),
            recipient_user_id,
        }
    }
}

#[ComplexObject]
impl Payout {
    /// The seller paid, as a user; null for the admin's commission. Its
    /// e-mail, role and payout details resolve only for that seller, ADMIN
    /// and ACCOUNTANT.
    async fn recipient_user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.recipient_user_id else {
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
}

/// `sales` and `payouts`.
#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    /// Recorded sales, oldest first: a USER's own (as seller); ADMIN and
    /// ACCOUNTANT all. `consistentAfter`: wait (up to 5 s) until the read
    /// model has applied this log position.
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn sales(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<Sale>> {
        let (services, request) = parts(ctx);
        let caller = require(&request, &READERS)?;
        let page = page_request(first, after.as_deref())?;
        let is_user = request
            .claims
            .as_ref()
            .is_some_and(|c| c.role == Role::User);
        let filter = SaleFilter {
            seller: is_user.then_some(caller),
        };
        wait_for_read_models(
            services,
            &request,
            &[Projection::Commerce],
            consistent_after,
        )
        .await?;
        let rows = sales_page(services.store.pool(), &filter, page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        Ok(connection(page, rows, Sale::from))
    }

    /// Payouts, oldest first: a USER's own; ADMIN and ACCOUNTANT all.
    /// `consistentAfter` as for `sales`.
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn payouts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<PayoutStatus>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<Payout>> {
        let (services, request) = parts(ctx);
        let caller = require(&request, &READERS)?;
        let page = page_request(first, after.as_deref())?;
        let is_user = request
            .claims
            .as_ref()
            .is_some_and(|c| c.role == Role::User);
        let filter = PayoutFilter {
            status: status.map(|status| match status {
                PayoutStatus::Pending => DomainPayoutStatus::Pending,
                PayoutStatus::Sent => DomainPayoutStatus::Sent,
                PayoutStatus::Failed => DomainPayoutStatus::Failed,
                PayoutStatus::PayoutSkippedInsufficientFunds => {
                    DomainPayoutStatus::SkippedInsufficientFunds
                }
                PayoutStatus::Cancelled => DomainPayoutStatus::Cancelled,
            }),
            payee: is_user.then_some(caller),
        };
        wait_for_read_models(
            services,
            &request,
            &[Projection::Commerce],
            consistent_after,
        )
        .await?;
        let rows = payouts_page(services.store.pool(), &filter, page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        Ok(connection(page, rows, Payout::from))
    }
}
