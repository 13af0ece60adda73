//! Reading the autopilot's read model: the only way other crates do.

use dropledger_domain::UserId;
use sqlx::PgPool;

use super::view::{AutopilotConfigView, CycleView, OpportunityView};
use super::RANKS_PER_EVENT;
use crate::page::{page_size, Cursor, Page};
use crate::QueryError;

/// The autopilot's configuration and its latest cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutopilotOverview {
    /// The configuration, if set.
    pub config: Option<AutopilotConfigView>,
    /// The latest cycles, newest first.
    pub cycles: Vec<CycleView>,
}

fn document<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, QueryError> {
    serde_json::from_str(text).map_err(|error| QueryError::Corrupt(error.to_string()))
}

/// The configuration and the latest `cycles_max` cycles (capped at
/// [`crate::PAGE_SIZE_MAX`]), newest first.
pub async fn autopilot_overview(
    pool: &PgPool,
    cycles_max: usize,
) -> Result<AutopilotOverview, QueryError> {
    let config: Option<String> = sqlx::query_scalar(
        "SELECT document::text FROM projection_autopilot.autopilot_config WHERE id = 1",
    )
    .fetch_optional(pool)
    .await?;
    let cycles: Vec<String> = sqlx::query_scalar(
        "SELECT document::text FROM projection_autopilot.autopilot_cycle \
         ORDER BY started_position DESC LIMIT $1",
    )
    .bind(page_size(cycles_max) as i64)
    .fetch_all(pool)
    .await?;
    Ok(AutopilotOverview {
        config: config.as_deref().map(document).transpose()?,
        cycles: cycles
            .iter()
            .map(|text| document(text))
            .collect::<Result<_, _>>()?,
    })
}

/// Opportunities, newest first (within a cycle, best score first), `first`
/// at a time after `after`.
pub async fn opportunities_page(
    pool: &PgPool,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<OpportunityView>, QueryError> {
    let size = page_size(first);
    let before = match after {
        Some(cursor) => i64::try_from(cursor.position())
            .map_err(|_| QueryError::InvalidCursor(cursor.encode()))?,
        None => i64::MAX,
    };
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT seq, document::text FROM projection_autopilot.autopilot_opportunity \
         WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
    )
    .bind(before)
    .bind(size as i64 + 1)
    .fetch_all(pool)
    .await?;
    let rows = rows
        .iter()
        .map(|(seq, text)| Ok((*seq as u64, document(text)?)))
        .collect::<Result<Vec<_>, QueryError>>()?;
    Ok(Page::from_rows(rows, size))
}

/// The default seller: the first registered user whose payouts go to a
/// PayPal e-mail, as the original system chose.
pub async fn default_seller(pool: &PgPool) -> Result<Option<UserId>, QueryError> {
    let user: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT user_id FROM projection_autopilot.autopilot_seller_candidate \
         WHERE has_payout_email ORDER BY registered_position LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(user.map(UserId::from_uuid))
}

/// Every registered user, in registration order, `first` at a time after
/// `after`: the seller-candidate list holds each user from their
/// registration on (the autopilot picks its default seller from it).
pub async fn registered_users_page(
    pool: &PgPool,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<UserId>, QueryError> {
    let size = page_size(first);
    let after = match after {
        Some(cursor) => i64::try_from(cursor.position())
            .map_err(|_| QueryError::InvalidCursor(cursor.encode()))?,
        None => 0,
    };
    let rows: Vec<(i64, uuid::Uuid)> = sqlx::query_as(
        "SELECT registered_position, user_id FROM projection_autopilot.autopilot_seller_candidate \
         WHERE registered_position > $1 ORDER BY registered_position LIMIT $2",
    )
    .bind(after)
    .bind(size as i64 + 1)
    .fetch_all(pool)
    .await?;
    let rows = rows
        .into_iter()
        .map(|(position, user)| (position as u64, UserId::from_uuid(user)))
        .collect();
    Ok(Page::from_rows(rows, size))
}

// `seq` packs a position and a rank; the factor is fixed by the migration.
const _: () = assert!(RANKS_PER_EVENT > dropledger_domain::CANDIDATES_MAX as i64);
