//! The audit projection: every event's metadata, one row per position.

use sqlx::PgConnection;

use crate::copy::CopyRows;
use crate::decode::Decoded;
use crate::projection::ApplyError;

/// Appends one audit record per event with a single COPY.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    schema: &str,
    events: &[Decoded],
) -> Result<(), ApplyError> {
    let mut rows = CopyRows::new(10);
    for event in events {
        let e = event.recorded();
        rows.row();
        rows.int8(event.position() as i64);
        rows.uuid(e.event_id);
        rows.text(&e.stream_id);
        rows.int8(e.stream_version as i64);
        rows.text(&e.event_type);
        rows.uuid(e.metadata.correlation_id);
        rows.optional_uuid(e.metadata.causation_id);
        rows.text(&e.metadata.actor);
        rows.optional_uuid(e.metadata.command_id);
        rows.time(e.recorded_at);
    }
    rows.copy_into(
        connection,
        &format!(
            "{schema}.audit_record (position, event_id, stream_id, stream_version, event_type, \
             correlation_id, causation_id, actor, command_id, recorded_at)"
        ),
    )
    .await?;
    Ok(())
}
