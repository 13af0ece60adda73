//! The commerce projection: products, orders, sales and payouts.
//!
//! Each read model is a document (a struct serialised as JSON) beside the
//! columns the API filters and pages by. A batch loads the documents it
//! touches, applies its events in memory and writes each table back with one
//! multi-row upsert.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dropledger_domain::{
    CaptureId, CaptureStatus, FailureReason, HoldId, Money, OrderEvent, OrderId, OrderStatus,
    Payee, PayoutDestination, PayoutEvent, PayoutFailureReason, PayoutId, PayoutStatus, Percentage,
    ProductEvent, ProductId, ProductOrigin, ProductStatus, ProviderOrderId, ProviderPayoutId,
    ReviewReason, SaleEvent, SaleId, SupplierOrderId, SupplierProductId, UserId,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::decode::{Decoded, Known};
use crate::projection::ApplyError;

/// A product listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductView {
    /// The product.
    pub product_id: ProductId,
    /// Its owner, who earns the net profit of its sales.
    pub owner: UserId,
    /// Title.
    pub title: String,
    /// The supplier's product.
    pub supplier_product_id: SupplierProductId,
    /// Supplier cost of one unit.
    pub supplier_cost: Money,
    /// Price of one unit.
    pub price: Money,
    /// DRAFT, PUBLISHED or UNPUBLISHED.
    pub status: ProductStatus,
    /// Where it came from.
    pub origin: ProductOrigin,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The log position of its creation (the list order).
    pub created_position: u64,
    /// The log position of its last change.
    pub last_position: u64,
}

/// An order, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    /// The order.
    pub order_id: OrderId,
    /// The product bought.
    pub product_id: ProductId,
    /// The seller (the product's owner).
    pub seller: UserId,
    /// The signed-in user who captured the payment.
    pub buyer: Option<UserId>,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// The order total.
    pub price: Money,
    /// Supplier cost of one unit at checkout.
    pub unit_supplier_cost: Money,
    /// CREATED, PAID, PURCHASING, PURCHASED, FAILED or REFUNDED.
    pub status: OrderStatus,
    /// Why it failed, while FAILED.
    pub failure_reason: Option<FailureReason>,
    /// PayPal's checkout order id.
    pub provider_order_id: ProviderOrderId,
    /// PayPal's capture id, once paid.
    pub capture_id: Option<CaptureId>,
    /// The capture's status at capture time.
    pub capture_status: Option<CaptureStatus>,
    /// PayPal's fee on the capture.
    pub payment_fee: Option<Money>,
    /// The hold reserving the purchase, while purchasing.
    pub hold_id: Option<HoldId>,
    /// The supplier's order id, once purchased.
    pub supplier_order_id: Option<SupplierOrderId>,
    /// What the supplier charged.
    pub supplier_cost: Option<Money>,
    /// The amount refunded, if refunded.
    pub refunded: Option<Money>,
    /// Why it was flagged for review, if it was.
    pub review_reason: Option<ReviewReason>,
    /// The sale, once recorded.
    pub sale_id: Option<SaleId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (the event's business time).
    pub updated_at: DateTime<Utc>,
    /// The log position of its creation (the list order).
    pub created_position: u64,
    /// The log position of its last change.
    pub last_position: u64,
}

/// A recorded sale with every amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaleView {
    /// The sale.
    pub sale_id: SaleId,
    /// The order sold.
    pub order_id: OrderId,
    /// The seller.
    pub seller: UserId,
    /// What the buyer paid.
    pub sale_price: Money,
    /// What the supplier charged.
    pub supplier_cost: Money,
    /// Sale price − supplier cost.
    pub gross_profit: Money,
    /// The commission rate applied.
    pub commission_rate: Percentage,
    /// The platform's commission.
    pub commission: Money,
    /// Payment fees.
    pub fees: Money,
    /// What the seller earns.
    pub net_profit: Money,
    /// The admin's commission payout, if any.
    pub admin_payout_id: Option<PayoutId>,
    /// The seller's payout.
    pub seller_payout_id: PayoutId,
    /// When it took effect.
    pub recorded_at: DateTime<Utc>,
    /// Its log position (the list order).
    pub created_position: u64,
}

/// A payout of commission or net profit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayoutView {
    /// The payout.
    pub payout_id: PayoutId,
    /// The sale it comes from.
    pub sale_id: SaleId,
    /// Who is paid.
    pub payee: Payee,
    /// How much.
    pub amount: Money,
    /// PENDING, SENT, FAILED or PAYOUT_SKIPPED_INSUFFICIENT_FUNDS.
    pub status: PayoutStatus,
    /// Where it was sent, once reserved.
    pub destination: Option<PayoutDestination>,
    /// The provider's payout id, once sent.
    pub provider_payout_id: Option<ProviderPayoutId>,
    /// What the provider charged, once sent.
    pub fee: Option<Money>,
    /// Why it failed, if it did.
    pub failure_reason: Option<PayoutFailureReason>,
    /// Free capital when it was last skipped, if it was.
    pub skipped_free_capital: Option<Money>,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The log position of its request (the list order).
    pub created_position: u64,
    /// The log position of its last change.
    pub last_position: u64,
}

/// Documents kept between batches by a rebuild (the only writer of its
/// shadow tables), so that a batch reads back only what the cache lacks.
/// Dropped whole when it grows past this many documents.
const CACHE_DOCUMENTS_MAX: usize = 500_000;

/// The documents a batch touches, keyed by id; as a rebuild's cache, every
/// document written so far (until it is dropped for size).
#[derive(Default)]
pub(crate) struct Touched {
    products: HashMap<Uuid, ProductView>,
    orders: HashMap<Uuid, OrderView>,
    sales: HashMap<Uuid, SaleView>,
    payouts: HashMap<Uuid, PayoutView>,
}

/// Applies a batch to the commerce tables in `schema`.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    schema: &str,
    events: &[Decoded],
    cache: Option<&mut Touched>,
) -> Result<(), ApplyError> {
    let (mut products, mut orders, mut sales, mut payouts) = (vec![], vec![], vec![], vec![]);
    for event in events {
        match &event.known {
            Ok(Known::Product(id, _)) => products.push(id.as_uuid()),
            Ok(Known::Order(id, _)) => orders.push(id.as_uuid()),
            Ok(Known::Sale(id, _)) => sales.push(id.as_uuid()),
            Ok(Known::Payout(id, _)) => payouts.push(id.as_uuid()),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let mut local = Touched::default();
    let touched = match cache {
        Some(cache) => {
            let size =
                cache.products.len() + cache.orders.len() + cache.sales.len() + cache.payouts.len();
            if size > CACHE_DOCUMENTS_MAX {
                *cache = Touched::default();
            }
            cache
        }
        None => &mut local,
    };
    load(
        connection,
        schema,
        "product",
        "product_id",
        &products,
        &mut touched.products,
    )
    .await?;
    load(
        connection,
        schema,
        "shop_order",
        "order_id",
        &orders,
        &mut touched.orders,
    )
    .await?;
    load(
        connection,
        schema,
        "sale",
        "sale_id",
        &sales,
        &mut touched.sales,
    )
    .await?;
    load(
        connection,
        schema,
        "payout",
        "payout_id",
        &payouts,
        &mut touched.payouts,
    )
    .await?;
    let mut changed = Changed::default();
    for (index, event) in events.iter().enumerate() {
        let known = event.known.as_ref().map_err(|reason| ApplyError::Event {
            index,
            reason: reason.clone(),
        })?;
        let position = event.position();
        let outcome = match known {
            Known::Product(id, e) => {
                changed.products.push(id.as_uuid());
                product(&mut touched.products, *id, e, position)
            }
            Known::Order(id, e) => {
                changed.orders.push(id.as_uuid());
                order(&mut touched.orders, *id, e, position)
            }
            Known::Sale(id, e) => {
                changed.sales.push(id.as_uuid());
                sale(&mut touched.sales, *id, e, position)
            }
            Known::Payout(id, e) => {
                changed.payouts.push(id.as_uuid());
                payout(&mut touched.payouts, *id, e, position)
            }
            Known::Capital(..) | Known::Unused | Known::Foreign => Ok(()),
        };
        outcome.map_err(|reason| ApplyError::Event { index, reason })?;
    }
    changed.write(connection, schema, touched).await?;
    Ok(())
}

/// Ids whose documents the batch changed, per table.
#[derive(Default)]
struct Changed {
    products: Vec<Uuid>,
    orders: Vec<Uuid>,
    sales: Vec<Uuid>,
    payouts: Vec<Uuid>,
}

impl Changed {
    async fn write(
        mut self,
        connection: &mut PgConnection,
        schema: &str,
        touched: &Touched,
    ) -> Result<(), sqlx::Error> {
        for ids in [
            &mut self.products,
            &mut self.orders,
            &mut self.sales,
            &mut self.payouts,
        ] {
            ids.sort();
            ids.dedup();
        }
        let products = rows(&self.products, &touched.products);
        upsert(
            connection,
            schema,
            "product (product_id, owner_id, status, created_position, document)",
            "product_id",
            "owner_id = EXCLUDED.owner_id, status = EXCLUDED.status",
            &products,
            |id| {
                let p = &touched.products[id];
                (
                    Some(p.owner.as_uuid()),
                    None,
                    json_name(&p.status),
                    p.created_position,
                    p,
                )
            },
        )
        .await?;
        let orders = rows(&self.orders, &touched.orders);
        upsert(
            connection,
            schema,
            "shop_order (order_id, seller_id, buyer_id, status, created_position, document)",
            "order_id",
            "seller_id = EXCLUDED.seller_id, buyer_id = EXCLUDED.buyer_id, status = EXCLUDED.status",
            &orders,
            |id| {
                let o = &touched.orders[id];
                (
                    Some(o.seller.as_uuid()),
                    Some(o.buyer.map(|b| b.as_uuid())),
                    o.status.as_str().to_owned(),
                    o.created_position,
                    o,
                )
            },
        )
        .await?;
        let sales = rows(&self.sales, &touched.sales);
        upsert(
            connection,
            schema,
            "sale (sale_id, order_id, seller_id, created_position, document)",
            "sale_id",
            "order_id = EXCLUDED.order_id, seller_id = EXCLUDED.seller_id",
            &sales,
            |id| {
                let s = &touched.sales[id];
                (
                    Some(s.order_id.as_uuid()),
                    Some(Some(s.seller.as_uuid())),
                    String::new(),
                    s.created_position,
                    s,
                )
            },
        )
        .await?;
        let payouts = rows(&self.payouts, &touched.payouts);
        upsert(
            connection,
            schema,
            "payout (payout_id, sale_id, payee_user_id, status, created_position, document)",
            "payout_id",
            "payee_user_id = EXCLUDED.payee_user_id, status = EXCLUDED.status",
            &payouts,
            |id| {
                let p = &touched.payouts[id];
                let payee = match p.payee {
                    Payee::Admin => None,
                    Payee::User { user_id } => Some(user_id.as_uuid()),
                };
                (
                    Some(p.sale_id.as_uuid()),
                    Some(payee),
                    p.status.as_str().to_owned(),
                    p.created_position,
                    p,
                )
            },
        )
        .await?;
        Ok(())
    }
}

/// The ids of `ids` that have a document in `map`.
fn rows<T>(ids: &[Uuid], map: &HashMap<Uuid, T>) -> Vec<Uuid> {
    ids.iter()
        .copied()
        .filter(|id| map.contains_key(id))
        .collect()
}

/// The API name of a unit enum serialised as a JSON string.
fn json_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Loads the documents of `ids` from `table` that `found` does not hold yet.
async fn load<T: DeserializeOwned>(
    connection: &mut PgConnection,
    schema: &str,
    table: &str,
    key: &str,
    ids: &[Uuid],
    found: &mut HashMap<Uuid, T>,
) -> Result<(), ApplyError> {
    let mut ids: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !found.contains_key(id))
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query(&format!(
        "SELECT {key}, document::text FROM {schema}.{table} WHERE {key} = ANY($1)"
    ))
    .bind(&ids)
    .fetch_all(&mut *connection)
    .await?;
    for row in rows {
        let text: String = row.get(1);
        let document = serde_json::from_str(&text).map_err(|error| {
            ApplyError::Database(sqlx::Error::Decode(
                format!("stored {table} document: {error}").into(),
            ))
        })?;
        found.insert(row.get(0), document);
    }
    Ok(())
}

/// Upserts rows of (first key column, optional second uuid column, status,
/// created position, document) for `ids`. Tables without a status column
/// or a second uuid column get the values the column list leaves out.
async fn upsert<'a, T: Serialize + 'a>(
    connection: &mut PgConnection,
    schema: &str,
    table_and_columns: &str,
    key: &str,
    update: &str,
    ids: &[Uuid],
    row: impl Fn(&Uuid) -> (Option<Uuid>, Option<Option<Uuid>>, String, u64, &'a T),
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut firsts = Vec::with_capacity(ids.len());
    let mut seconds = Vec::with_capacity(ids.len());
    let mut statuses = Vec::with_capacity(ids.len());
    let mut positions = Vec::with_capacity(ids.len());
    let mut documents = Vec::with_capacity(ids.len());
    for id in ids {
        let (first, second, status, position, document) = row(id);
        firsts.push(first);
        seconds.push(second.flatten());
        statuses.push(status);
        positions.push(position as i64);
        documents.push(serde_json::to_string(document).expect("read models serialise to JSON"));
    }
    // Every table has the key, one uuid column, then up to one more uuid
    // column and a status; the statement names only the ones it has.
    let columns = table_and_columns.matches(',').count() + 1;
    let select = match columns {
        5 if table_and_columns.contains("status") => "$1, $2, $4, $5, $6",
        5 => "$1, $2, $3, $5, $6",
        _ => "$1, $2, $3, $4, $5, $6",
    };
    let select = select
        .replace("$1", "k")
        .replace("$2", "a")
        .replace("$3", "b")
        .replace("$4", "s")
        .replace("$5", "p")
        .replace("$6", "d");
    sqlx::query(&format!(
        "INSERT INTO {schema}.{table_and_columns} \
         SELECT {select} FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], \
         $5::int8[], $6::json[]) AS r(k, a, b, s, p, d) \
         ON CONFLICT ({key}) DO UPDATE SET {update}, document = EXCLUDED.document"
    ))
    .bind(ids)
    .bind(&firsts)
    .bind(&seconds)
    .bind(&statuses)
    .bind(&positions)
    .bind(&documents)
    .execute(connection)
    .await?;
    Ok(())
}

fn missing(kind: &str, id: Uuid, event: &str) -> String {
    format!("{event} for {kind} {id}, which was never created")
}

fn product(
    products: &mut HashMap<Uuid, ProductView>,
    id: ProductId,
    event: &ProductEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    if let ProductEvent::ProductCreated {
        product_id,
        owner,
        title,
        supplier_product_id,
        supplier_cost,
        price,
        origin,
        created_at,
    } = event
    {
        if products.contains_key(&key) {
            return Err(format!("product {key} is created twice"));
        }
        products.insert(
            key,
            ProductView {
                product_id: *product_id,
                owner: *owner,
                title: title.as_str().to_owned(),
                supplier_product_id: supplier_product_id.clone(),
                supplier_cost: *supplier_cost,
                price: *price,
                status: ProductStatus::Draft,
                origin: origin.clone(),
                created_at: *created_at,
                updated_at: *created_at,
                created_position: position,
                last_position: position,
            },
        );
        return Ok(());
    }
    let view = products
        .get_mut(&key)
        .ok_or_else(|| missing("product", key, event.event_type_name()))?;
    view.last_position = position;
    match event {
        ProductEvent::ProductCreated { .. } => {}
        ProductEvent::ProductRepriced {
            supplier_cost,
            price,
            repriced_at,
        } => {
            view.supplier_cost = *supplier_cost;
            view.price = *price;
            view.updated_at = *repriced_at;
        }
        ProductEvent::ProductPublished { published_at } => {
            view.status = ProductStatus::Published;
            view.updated_at = *published_at;
        }
        ProductEvent::ProductUnpublished { unpublished_at } => {
            view.status = ProductStatus::Unpublished;
            view.updated_at = *unpublished_at;
        }
    }
    Ok(())
}

/// The type name of a domain event, for messages.
trait EventTypeName {
    fn event_type_name(&self) -> &'static str;
}

impl<E: dropledger_domain::DomainEvent> EventTypeName for E {
    fn event_type_name(&self) -> &'static str {
        self.event_type()
    }
}

fn order(
    orders: &mut HashMap<Uuid, OrderView>,
    id: OrderId,
    event: &OrderEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    if let OrderEvent::OrderCreated {
        order_id,
        product_id,
        seller,
        quantity,
        unit_price,
        unit_supplier_cost,
        provider_order_id,
        created_at,
    } = event
    {
        if orders.contains_key(&key) {
            return Err(format!("order {key} is created twice"));
        }
        let price = unit_price
            .checked_mul(*quantity)
            .map_err(|error| format!("order {key} total: {error}"))?;
        orders.insert(
            key,
            OrderView {
                order_id: *order_id,
                product_id: *product_id,
                seller: *seller,
                buyer: None,
                quantity: *quantity,
                unit_price: *unit_price,
                price,
                unit_supplier_cost: *unit_supplier_cost,
                status: OrderStatus::Created,
                failure_reason: None,
                provider_order_id: provider_order_id.clone(),
                capture_id: None,
                capture_status: None,
                payment_fee: None,
                hold_id: None,
                supplier_order_id: None,
                supplier_cost: None,
                refunded: None,
                review_reason: None,
                sale_id: None,
                created_at: *created_at,
                updated_at: *created_at,
                created_position: position,
                last_position: position,
            },
        );
        return Ok(());
    }
    let view = orders
        .get_mut(&key)
        .ok_or_else(|| missing("order", key, event.event_type_name()))?;
    view.last_position = position;
    match event {
        OrderEvent::OrderCreated { .. } => {}
        OrderEvent::OrderPaid {
            buyer,
            capture_id,
            fee,
            capture_status,
            paid_at,
            ..
        } => {
            view.status = OrderStatus::Paid;
            view.buyer = Some(*buyer);
            view.capture_id = Some(capture_id.clone());
            view.capture_status = Some(*capture_status);
            view.payment_fee = Some(*fee);
            view.updated_at = *paid_at;
        }
        OrderEvent::OrderPurchaseStarted {
            hold_id,
            started_at,
            ..
        } => {
            view.status = OrderStatus::Purchasing;
            view.failure_reason = None;
            view.hold_id = Some(*hold_id);
            view.updated_at = *started_at;
        }
        OrderEvent::OrderPurchased {
            supplier_order_id,
            supplier_cost,
            purchased_at,
        } => {
            view.status = OrderStatus::Purchased;
            view.hold_id = None;
            view.supplier_order_id = Some(supplier_order_id.clone());
            view.supplier_cost = Some(*supplier_cost);
            view.updated_at = *purchased_at;
        }
        OrderEvent::OrderFailed {
            reason, failed_at, ..
        } => {
            view.status = OrderStatus::Failed;
            view.failure_reason = Some(*reason);
            view.hold_id = None;
            view.updated_at = *failed_at;
        }
        OrderEvent::OrderRefunded {
            amount,
            refunded_at,
            ..
        } => {
            view.status = OrderStatus::Refunded;
            view.refunded = Some(*amount);
            view.updated_at = *refunded_at;
        }
        OrderEvent::OrderFlaggedForReview { reason, flagged_at } => {
            view.review_reason = Some(*reason);
            view.updated_at = *flagged_at;
        }
        OrderEvent::OrderSaleRecorded {
            sale_id,
            recorded_at,
        } => {
            view.sale_id = Some(*sale_id);
            view.updated_at = *recorded_at;
        }
    }
    Ok(())
}

fn sale(
    sales: &mut HashMap<Uuid, SaleView>,
    id: SaleId,
    event: &SaleEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    let SaleEvent::SaleRecorded {
        sale_id,
        order_id,
        seller,
        breakdown,
        admin_payout_id,
        seller_payout_id,
        entry,
    } = event;
    if sales.contains_key(&key) {
        return Err(format!("sale {key} is recorded twice"));
    }
    sales.insert(
        key,
        SaleView {
            sale_id: *sale_id,
            order_id: *order_id,
            seller: *seller,
            sale_price: breakdown.sale_price(),
            supplier_cost: breakdown.supplier_cost(),
            gross_profit: breakdown.gross_profit(),
            commission_rate: breakdown.commission_rate(),
            commission: breakdown.commission(),
            fees: breakdown.fees(),
            net_profit: breakdown.net_profit(),
            admin_payout_id: *admin_payout_id,
            seller_payout_id: *seller_payout_id,
            recorded_at: entry.effective_at(),
            created_position: position,
        },
    );
    Ok(())
}

fn payout(
    payouts: &mut HashMap<Uuid, PayoutView>,
    id: PayoutId,
    event: &PayoutEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    if let PayoutEvent::PayoutRequested {
        payout_id,
        sale_id,
        payee,
        amount,
        requested_at,
    } = event
    {
        if payouts.contains_key(&key) {
            return Err(format!("payout {key} is requested twice"));
        }
        payouts.insert(
            key,
            PayoutView {
                payout_id: *payout_id,
                sale_id: *sale_id,
                payee: *payee,
                amount: *amount,
                status: PayoutStatus::Pending,
                destination: None,
                provider_payout_id: None,
                fee: None,
                failure_reason: None,
                skipped_free_capital: None,
                requested_at: *requested_at,
                updated_at: *requested_at,
                created_position: position,
                last_position: position,
            },
        );
        return Ok(());
    }
    let view = payouts
        .get_mut(&key)
        .ok_or_else(|| missing("payout", key, event.event_type_name()))?;
    view.last_position = position;
    match event {
        PayoutEvent::PayoutRequested { .. } => {}
        PayoutEvent::PayoutReserved {
            destination,
            reserved_at,
            ..
        } => {
            view.status = PayoutStatus::Pending;
            view.destination = Some(destination.clone());
            view.failure_reason = None;
            view.updated_at = *reserved_at;
        }
        PayoutEvent::PayoutSkippedInsufficientFunds { free, skipped_at } => {
            view.status = PayoutStatus::SkippedInsufficientFunds;
            view.skipped_free_capital = Some(*free);
            view.updated_at = *skipped_at;
        }
        PayoutEvent::PayoutSent {
            provider_payout_id,
            fee,
            sent_at,
        } => {
            view.status = PayoutStatus::Sent;
            view.provider_payout_id = Some(provider_payout_id.clone());
            view.fee = Some(*fee);
            view.updated_at = *sent_at;
        }
        PayoutEvent::PayoutFailed {
            reason, failed_at, ..
        } => {
            view.status = PayoutStatus::Failed;
            view.failure_reason = Some(*reason);
            view.updated_at = *failed_at;
        }
    }
    Ok(())
}
