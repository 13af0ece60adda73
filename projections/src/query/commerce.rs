//! Products, orders, sales and payouts, paged in the order they were created.

use dropledger_domain::{OrderId, OrderStatus, PayoutStatus, ProductStatus, UserId};
use serde::de::DeserializeOwned;
use sqlx::{PgPool, Row};

use crate::page::{page_size, Cursor, Page};
use crate::QueryError;

pub use crate::commerce::{OrderView, PayoutView, ProductView, SaleView};

/// Which orders to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders this user sells or bought (None: all, for ADMIN and ACCOUNTANT).
    pub party: Option<UserId>,
}

/// Which products to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilter {
    /// Only products in this status.
    pub status: Option<ProductStatus>,
    /// Only this user's products.
    pub owner: Option<UserId>,
    /// Only PUBLISHED products and this user's own (what a USER may see).
    pub published_or_owned_by: Option<UserId>,
}

/// Which sales to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaleFilter {
    /// Only this seller's sales.
    pub seller: Option<UserId>,
}

/// Which payouts to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutFilter {
    /// Only payouts in this status.
    pub status: Option<PayoutStatus>,
    /// Only payouts to this user.
    pub payee: Option<UserId>,
}

fn documents<T: DeserializeOwned>(
    rows: Vec<sqlx::postgres::PgRow>,
    first: usize,
) -> Result<Page<T>, QueryError> {
    let rows = rows
        .iter()
        .map(|row| {
            let position = row.get::<i64, _>(0) as u64;
            let text: String = row.get(1);
            serde_json::from_str(&text)
                .map(|document| (position, document))
                .map_err(|error| QueryError::Corrupt(error.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, first))
}

/// One order.
pub async fn order(pool: &PgPool, order_id: OrderId) -> Result<Option<OrderView>, QueryError> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT document::text FROM projection_commerce.shop_order WHERE order_id = $1",
    )
    .bind(order_id.as_uuid())
    .fetch_optional(pool)
    .await?;
    text.map(|text| serde_json::from_str(&text).map_err(|e| QueryError::Corrupt(e.to_string())))
        .transpose()
}

/// The orders with these ids that exist, in no particular order (one
/// statement for a whole list's nested reads).
pub async fn orders_by_id(
    pool: &PgPool,
    order_ids: &[OrderId],
) -> Result<Vec<OrderView>, QueryError> {
    let ids: Vec<uuid::Uuid> = order_ids.iter().map(|id| id.as_uuid()).collect();
    let texts: Vec<String> = sqlx::query_scalar(
        "SELECT document::text FROM projection_commerce.shop_order WHERE order_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    texts
        .iter()
        .map(|text| serde_json::from_str(text).map_err(|e| QueryError::Corrupt(e.to_string())))
        .collect()
}

/// Orders matching `filter`, oldest first.
pub async fn orders_page(
    pool: &PgPool,
    filter: &OrderFilter,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<OrderView>, QueryError> {
    let first = page_size(first);
    let rows = sqlx::query(
        "SELECT created_position, document::text FROM projection_commerce.shop_order \
         WHERE created_position > $1 AND ($2::text IS NULL OR status = $2) \
         AND ($3::uuid IS NULL OR seller_id = $3 OR buyer_id = $3) \
         ORDER BY created_position LIMIT $4",
    )
    .bind(after.map_or(0, Cursor::position) as i64)
    .bind(filter.status.map(OrderStatus::as_str))
    .bind(filter.party.map(|user| user.as_uuid()))
    .bind(first as i64 + 1)
    .fetch_all(pool)
    .await?;
    documents(rows, first)
}

/// Products matching `filter`, oldest first.
pub async fn products_page(
    pool: &PgPool,
    filter: &ProductFilter,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<ProductView>, QueryError> {
    let first = page_size(first);
    let status = filter.status.map(|status| match status {
        ProductStatus::Draft => "DRAFT",
        ProductStatus::Published => "PUBLISHED",
        ProductStatus::Unpublished => "UNPUBLISHED",
    });
    let rows = sqlx::query(
        "SELECT created_position, document::text FROM projection_commerce.product \
         WHERE created_position > $1 AND ($2::text IS NULL OR status = $2) \
         AND ($3::uuid IS NULL OR owner_id = $3) \
         AND ($5::uuid IS NULL OR status = 'PUBLISHED' OR owner_id = $5) \
         ORDER BY created_position LIMIT $4",
    )
    .bind(after.map_or(0, Cursor::position) as i64)
    .bind(status)
    .bind(filter.owner.map(|user| user.as_uuid()))
    .bind(first as i64 + 1)
    .bind(filter.published_or_owned_by.map(|user| user.as_uuid()))
    .fetch_all(pool)
    .await?;
    documents(rows, first)
}

/// Sales matching `filter`, oldest first.
pub async fn sales_page(
    pool: &PgPool,
    filter: &SaleFilter,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<SaleView>, QueryError> {
    let first = page_size(first);
    let rows = sqlx::query(
        "SELECT created_position, document::text FROM projection_commerce.sale \
         WHERE created_position > $1 AND ($2::uuid IS NULL OR seller_id = $2) \
         ORDER BY created_position LIMIT $3",
    )
    .bind(after.map_or(0, Cursor::position) as i64)
    .bind(filter.seller.map(|user| user.as_uuid()))
    .bind(first as i64 + 1)
    .fetch_all(pool)
    .await?;
    documents(rows, first)
}

/// Payouts matching `filter`, oldest first.
pub async fn payouts_page(
    pool: &PgPool,
    filter: &PayoutFilter,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<PayoutView>, QueryError> {
    let first = page_size(first);
    let rows = sqlx::query(
        "SELECT created_position, document::text FROM projection_commerce.payout \
         WHERE created_position > $1 AND ($2::text IS NULL OR status = $2) \
         AND ($3::uuid IS NULL OR payee_user_id = $3) ORDER BY created_position LIMIT $4",
    )
    .bind(after.map_or(0, Cursor::position) as i64)
    .bind(filter.status.map(PayoutStatus::as_str))
    .bind(filter.payee.map(|user| user.as_uuid()))
    .bind(first as i64 + 1)
    .fetch_all(pool)
    .await?;
    documents(rows, first)
}

/// What a user still has under way: orders they sell or bought whose money
/// was taken and whose purchase is not settled, and payouts owed to them not
/// yet sent. Erasing their personal data now would leave these half-done
/// (no payout e-mail to pay, no one to answer for the order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenWork {
    /// Orders PAID, PURCHASING, awaiting clearance or with a refund requested.
    pub orders_in_flight: i64,
    /// Payouts PENDING, FAILED (retried) or skipped for want of cash.
    pub payouts_unsent: i64,
}

/// [`OpenWork`] of `user`, from the commerce read model.
pub async fn open_work(pool: &PgPool, user: UserId) -> Result<OpenWork, QueryError> {
    let (orders_in_flight, payouts_unsent): (i64, i64) = sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM projection_commerce.shop_order \
             WHERE (seller_id = $1 OR buyer_id = $1) \
               AND status IN ('AWAITING_PAYMENT_CLEARANCE', 'PAID', 'PURCHASING', 'REFUND_REQUESTED')), \
           (SELECT count(*) FROM projection_commerce.payout \
             WHERE payee_user_id = $1 \
               AND status IN ('PENDING', 'FAILED', 'PAYOUT_SKIPPED_INSUFFICIENT_FUNDS'))",
    )
    .bind(user.as_uuid())
    .fetch_one(pool)
    .await?;
    Ok(OpenWork {
        orders_in_flight,
        payouts_unsent,
    })
}
