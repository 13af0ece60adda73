//! The commerce projection: products, orders, sales and payouts.
//!
//! Each read model is a document (a struct serialised as JSON) beside the
//! columns the API filters and pages by. A batch loads the documents it
//! touches, applies its events in memory and writes each table back with one
//! multi-row upsert.

mod evolve;
mod view;

use std::collections::HashMap;

use dropledger_domain::Payee;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::decode::{Decoded, Known};
use crate::projection::ApplyError;
use evolve::{order, payout, product, sale};
pub use view::{OrderView, PayoutView, ProductView, SaleView};

/// Documents kept between batches by a rebuild (the only writer of its
/// shadow tables), so that a batch reads back only what the cache lacks.
/// Dropped whole when it grows past this many documents.
const CACHE_DOCUMENTS_MAX: usize = 500_000;

/// The documents a batch touches, keyed by id; as a rebuild's cache, every
/// document built so far (until it is dropped for size).
#[derive(Default)]
pub(crate) struct Touched {
    products: HashMap<Uuid, ProductView>,
    orders: HashMap<Uuid, OrderView>,
    sales: HashMap<Uuid, SaleView>,
    payouts: HashMap<Uuid, PayoutView>,
    /// A rebuild's documents changed since they were last written: an order
    /// changes in many batches, and is written once, by [`flush`].
    unwritten: Changed,
}

impl Touched {
    fn size(&self) -> usize {
        self.products.len() + self.orders.len() + self.sales.len() + self.payouts.len()
    }
}

/// Documents written per statement when a rebuild's cache is flushed.
const FLUSH_ROWS_MAX: usize = 5_000;

/// Writes the documents a rebuild's cache holds unwritten.
pub(crate) async fn flush(
    connection: &mut PgConnection,
    schema: &str,
    cache: &mut Touched,
) -> Result<(), sqlx::Error> {
    let mut unwritten = std::mem::take(&mut cache.unwritten);
    unwritten.sort();
    while !unwritten.is_empty() {
        unwritten
            .take(FLUSH_ROWS_MAX)
            .write(connection, schema, cache)
            .await?;
    }
    Ok(())
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
    let deferred = cache.is_some();
    let touched = cache.unwrap_or(&mut local);
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
            Known::Capital(..) | Known::Reconciliation(..) | Known::Unused | Known::Foreign => {
                Ok(())
            }
        };
        outcome.map_err(|reason| ApplyError::Event { index, reason })?;
    }
    if !deferred {
        changed.sort();
        return Ok(changed.write(connection, schema, touched).await?);
    }
    touched.unwritten.append(changed);
    if touched.size() > CACHE_DOCUMENTS_MAX {
        // Written before they are dropped: a later batch reads them back.
        flush(connection, schema, touched).await?;
        *touched = Touched::default();
    }
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
    fn tables(&mut self) -> [&mut Vec<Uuid>; 4] {
        [
            &mut self.products,
            &mut self.orders,
            &mut self.sales,
            &mut self.payouts,
        ]
    }

    fn is_empty(&self) -> bool {
        self.products.is_empty()
            && self.orders.is_empty()
            && self.sales.is_empty()
            && self.payouts.is_empty()
    }

    /// Sorts and deduplicates the ids.
    fn sort(&mut self) {
        for ids in self.tables() {
            ids.sort_unstable();
            ids.dedup();
        }
    }

    fn append(&mut self, mut other: Changed) {
        for (ids, more) in self.tables().into_iter().zip(other.tables()) {
            ids.append(more);
        }
    }

    /// Takes up to `count` ids of each table off the end.
    fn take(&mut self, count: usize) -> Changed {
        let mut taken = Changed::default();
        for (ids, into) in self.tables().into_iter().zip(taken.tables()) {
            *into = ids.split_off(ids.len().saturating_sub(count));
        }
        taken
    }

    /// Writes the documents of the (sorted, distinct) ids.
    async fn write(
        self,
        connection: &mut PgConnection,
        schema: &str,
        touched: &Touched,
    ) -> Result<(), sqlx::Error> {
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
