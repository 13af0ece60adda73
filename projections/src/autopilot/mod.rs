//! The autopilot projection: its configuration, its cycles, every
//! opportunity scored, and the users who could be its default seller.
//!
//! The autopilot writes a few events per cycle, so a batch applies them one
//! statement at a time rather than through documents cached in memory.

mod query;
mod view;

use chrono::{DateTime, Utc};
use dropledger_domain::{
    decode_event, AutopilotEvent, CycleId, DomainEvent, FeeRule, Opportunity, PayoutDestination,
    PublishedListing, StreamKind, UserEvent,
};
use dropledger_eventstore::RecordedEvent;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::decode::Decoded;
use crate::projection::ApplyError;
pub use query::{
    autopilot_overview, default_seller, opportunities_page, registered_users_page,
    AutopilotOverview,
};
pub use view::{AutopilotConfigView, CycleStatus, CycleView, OpportunityView};

/// Opportunities one event may carry at most: the factor of `seq` (see the migration).
const RANKS_PER_EVENT: i64 = 1_000;

/// Applies a batch to the autopilot tables in `schema`.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    schema: &str,
    events: &[Decoded],
) -> Result<(), ApplyError> {
    for (index, event) in events.iter().enumerate() {
        let recorded = event.recorded();
        let position = event.position() as i64;
        let outcome = match StreamKind::parse(&recorded.stream_id) {
            Ok(StreamKind::Autopilot) => match typed::<AutopilotEvent>(recorded) {
                Ok(e) => autopilot(connection, schema, position, &e).await,
                Err(reason) => Err(reason),
            },
            Ok(StreamKind::User(user)) => match typed::<UserEvent>(recorded) {
                Ok(e) => seller_candidate(connection, schema, position, user.as_uuid(), &e).await,
                Err(reason) => Err(reason),
            },
            _ => Ok(()),
        };
        outcome.map_err(|reason| match reason {
            Failure::Event(reason) => ApplyError::Event { index, reason },
            Failure::Database(error) => ApplyError::Database(error),
        })?;
    }
    Ok(())
}

enum Failure {
    Event(String),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        Failure::Database(error)
    }
}

fn typed<E: DomainEvent>(recorded: &RecordedEvent) -> Result<E, Failure> {
    decode_event(
        &recorded.event_type,
        recorded.schema_version,
        recorded.payload_value(),
    )
    .map_err(|error| Failure::Event(error.to_string()))
}

fn json<T: Serialize>(document: &T) -> String {
    // Read models are plain structs of strings and numbers: they serialise.
    serde_json::to_string(document).expect("read models serialise to JSON")
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    serde_json::from_str(text).map_err(|error| Failure::Event(format!("stored document: {error}")))
}

async fn autopilot(
    connection: &mut PgConnection,
    schema: &str,
    position: i64,
    event: &AutopilotEvent,
) -> Result<(), Failure> {
    match event {
        AutopilotEvent::AutopilotConfigured {
            settings,
            configured_at,
        } => {
            let document = AutopilotConfigView {
                settings: settings.clone(),
                configured_at: *configured_at,
            };
            sqlx::query(&format!(
                "INSERT INTO {schema}.autopilot_config (id, position, document) VALUES (1, $1, $2::json) \
                 ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, document = EXCLUDED.document"
            ))
            .bind(position)
            .bind(json(&document))
            .execute(&mut *connection)
            .await?;
        }
        AutopilotEvent::AutopilotCycleStarted {
            cycle_id,
            trigger,
            seller,
            started_at,
            ..
        } => {
            let document = CycleView {
                cycle_id: *cycle_id,
                trigger: trigger.clone(),
                seller: *seller,
                status: CycleStatus::Running,
                started_at: *started_at,
                ended_at: None,
                source: None,
                found: 0,
                listed: 0,
                published: Vec::new(),
                failure_reason: None,
            };
            cycle_started(connection, schema, position, &document).await?;
        }
        AutopilotEvent::AutopilotOpportunitiesFound {
            cycle_id,
            source,
            fee,
            opportunities,
            found_at,
        } => {
            let found = Found {
                cycle_id: *cycle_id,
                source,
                fee: *fee,
                found_at: *found_at,
            };
            opportunities_found(connection, schema, position, &found, opportunities).await?;
        }
        AutopilotEvent::AutopilotProductsPublished {
            cycle_id, products, ..
        } => products_published(connection, schema, *cycle_id, products).await?,
        AutopilotEvent::AutopilotCycleFinished {
            cycle_id,
            found,
            listed,
            finished_at,
            ..
        } => {
            update_cycle(connection, schema, cycle_id.as_uuid(), |cycle| {
                cycle.status = CycleStatus::Finished;
                cycle.ended_at = Some(*finished_at);
                cycle.found = *found;
                cycle.listed = *listed;
            })
            .await?;
        }
        AutopilotEvent::AutopilotCycleFailed {
            cycle_id,
            reason,
            failed_at,
        } => {
            update_cycle(connection, schema, cycle_id.as_uuid(), |cycle| {
                cycle.status = CycleStatus::Failed;
                cycle.ended_at = Some(*failed_at);
                cycle.failure_reason = Some(reason.clone());
            })
            .await?;
        }
    }
    Ok(())
}

/// A cycle's row, as it starts.
async fn cycle_started(
    connection: &mut PgConnection,
    schema: &str,
    position: i64,
    document: &CycleView,
) -> Result<(), Failure> {
    sqlx::query(&format!(
        "INSERT INTO {schema}.autopilot_cycle (cycle_id, started_position, status, document) \
         VALUES ($1, $2, $3, $4::json)"
    ))
    .bind(document.cycle_id.as_uuid())
    .bind(position)
    .bind(document.status.as_str())
    .bind(json(document))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// What a cycle's discovery found, apart from the opportunities.
struct Found<'a> {
    cycle_id: CycleId,
    source: &'a str,
    fee: FeeRule,
    found_at: DateTime<Utc>,
}

/// One row per scored candidate, ranked; the cycle counts them.
async fn opportunities_found(
    connection: &mut PgConnection,
    schema: &str,
    position: i64,
    found: &Found<'_>,
    opportunities: &[Opportunity],
) -> Result<(), Failure> {
    let Found {
        cycle_id,
        source,
        fee,
        found_at,
    } = found;
    for (rank, opportunity) in opportunities.iter().enumerate() {
        let document = OpportunityView {
            cycle_id: *cycle_id,
            source: source.to_string(),
            found_at: *found_at,
            fee: *fee,
            opportunity: opportunity.clone(),
            product_id: None,
        };
        let decision = serde_json::to_value(opportunity.decision)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        sqlx::query(&format!(
            "INSERT INTO {schema}.autopilot_opportunity \
             (seq, cycle_id, supplier_product_id, decision, document) VALUES ($1, $2, $3, $4, $5::json)"
        ))
        .bind(position * RANKS_PER_EVENT + (RANKS_PER_EVENT - 1 - rank as i64))
        .bind(cycle_id.as_uuid())
        .bind(opportunity.supplier_product_id.as_str())
        .bind(decision)
        .bind(json(&document))
        .execute(&mut *connection)
        .await?;
    }
    let listed = opportunities
        .iter()
        .filter(|o| o.decision == dropledger_domain::Decision::Listed)
        .count();
    update_cycle(connection, schema, cycle_id.as_uuid(), |cycle| {
        cycle.source = Some(source.to_string());
        cycle.found = u32::try_from(opportunities.len()).unwrap_or(u32::MAX);
        cycle.listed = u32::try_from(listed).unwrap_or(u32::MAX);
    })
    .await?;
    Ok(())
}

/// Each published product on the opportunity that listed it, and on its cycle.
async fn products_published(
    connection: &mut PgConnection,
    schema: &str,
    cycle_id: CycleId,
    products: &[PublishedListing],
) -> Result<(), Failure> {
    for product in products {
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT seq, document::text FROM {schema}.autopilot_opportunity \
             WHERE cycle_id = $1 AND supplier_product_id = $2"
        ))
        .bind(cycle_id.as_uuid())
        .bind(product.supplier_product_id.as_str())
        .fetch_all(&mut *connection)
        .await?;
        for (seq, text) in rows {
            let mut document: OpportunityView = parse(&text)?;
            if document.opportunity.decision != dropledger_domain::Decision::Listed {
                continue;
            }
            document.product_id = Some(product.product_id);
            sqlx::query(&format!(
                "UPDATE {schema}.autopilot_opportunity SET document = $2::json WHERE seq = $1"
            ))
            .bind(seq)
            .bind(json(&document))
            .execute(&mut *connection)
            .await?;
        }
    }
    update_cycle(connection, schema, cycle_id.as_uuid(), |cycle| {
        cycle.published = products.iter().map(|p| p.product_id).collect();
    })
    .await?;
    Ok(())
}

/// Reads a cycle's document, changes it and writes it back.
async fn update_cycle(
    connection: &mut PgConnection,
    schema: &str,
    cycle_id: Uuid,
    change: impl FnOnce(&mut CycleView),
) -> Result<(), Failure> {
    let text: Option<String> = sqlx::query_scalar(&format!(
        "SELECT document::text FROM {schema}.autopilot_cycle WHERE cycle_id = $1"
    ))
    .bind(cycle_id)
    .fetch_optional(&mut *connection)
    .await?;
    let text = text.ok_or_else(|| Failure::Event(format!("cycle {cycle_id} never started")))?;
    let mut cycle: CycleView = parse(&text)?;
    change(&mut cycle);
    sqlx::query(&format!(
        "UPDATE {schema}.autopilot_cycle SET status = $2, document = $3::json WHERE cycle_id = $1"
    ))
    .bind(cycle_id)
    .bind(cycle.status.as_str())
    .bind(json(&cycle))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Keeps the list of users who could be the default seller.
async fn seller_candidate(
    connection: &mut PgConnection,
    schema: &str,
    position: i64,
    user: Uuid,
    event: &UserEvent,
) -> Result<(), Failure> {
    let has_email = |destination: Option<&PayoutDestination>| {
        matches!(destination, Some(PayoutDestination::Paypal { .. }))
    };
    match event {
        UserEvent::UserRegistered {
            payout_destination, ..
        } => {
            sqlx::query(&format!(
                "INSERT INTO {schema}.autopilot_seller_candidate (user_id, registered_position, has_payout_email) \
                 VALUES ($1, $2, $3) ON CONFLICT (user_id) DO NOTHING"
            ))
            .bind(user)
            .bind(position)
            .bind(has_email(payout_destination.as_ref()))
            .execute(&mut *connection)
            .await?;
        }
        UserEvent::PayoutMethodSet { destination, .. } => {
            sqlx::query(&format!(
                "UPDATE {schema}.autopilot_seller_candidate SET has_payout_email = $2 WHERE user_id = $1"
            ))
            .bind(user)
            .bind(has_email(Some(destination)))
            .execute(&mut *connection)
            .await?;
        }
        // An erased user has no payout e-mail any more: never the default
        // seller again.
        UserEvent::PersonalDataErased { .. } => {
            sqlx::query(&format!(
                "UPDATE {schema}.autopilot_seller_candidate SET has_payout_email = false WHERE user_id = $1"
            ))
            .bind(user)
            .execute(&mut *connection)
            .await?;
        }
        UserEvent::UserRoleChanged { .. } => {}
    }
    Ok(())
}
