//! The audit projection: every event's metadata, one row per position.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::decode::Decoded;
use crate::projection::ApplyError;

/// Writes one audit record per event with a single multi-row insert.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    schema: &str,
    events: &[Decoded],
) -> Result<(), ApplyError> {
    let count = events.len();
    let mut positions = Vec::with_capacity(count);
    let mut event_ids = Vec::with_capacity(count);
    let mut stream_ids = Vec::with_capacity(count);
    let mut versions = Vec::with_capacity(count);
    let mut types = Vec::with_capacity(count);
    let mut correlations = Vec::with_capacity(count);
    let mut causations: Vec<Option<Uuid>> = Vec::with_capacity(count);
    let mut actors = Vec::with_capacity(count);
    let mut commands: Vec<Option<Uuid>> = Vec::with_capacity(count);
    let mut recorded = Vec::with_capacity(count);
    for event in events {
        let e = event.recorded();
        positions.push(event.position() as i64);
        event_ids.push(e.event_id);
        stream_ids.push(e.stream_id.as_str());
        versions.push(e.stream_version as i64);
        types.push(e.event_type.as_str());
        correlations.push(e.metadata.correlation_id);
        causations.push(e.metadata.causation_id);
        actors.push(e.metadata.actor.as_str());
        commands.push(e.metadata.command_id);
        recorded.push(e.recorded_at);
    }
    sqlx::query(&format!(
        "INSERT INTO {schema}.audit_record (position, event_id, stream_id, stream_version, \
         event_type, correlation_id, causation_id, actor, command_id, recorded_at) \
         SELECT * FROM unnest($1::int8[], $2::uuid[], $3::text[], $4::int8[], $5::text[], \
         $6::uuid[], $7::uuid[], $8::text[], $9::uuid[], $10::timestamptz[])"
    ))
    .bind(&positions)
    .bind(&event_ids)
    .bind(&stream_ids)
    .bind(&versions)
    .bind(&types)
    .bind(&correlations)
    .bind(&causations)
    .bind(&actors)
    .bind(&commands)
    .bind(&recorded)
    .execute(connection)
    .await?;
    Ok(())
}
