//! Cash reconciliations in the ledger's schema: one row per
//! `CashReconciled` / `CashDifferenceFound`, written beside the ledger's
//! rows in the same transaction (and rebuilt with them).

use dropledger_domain::ReconciliationEvent;
use sqlx::PgConnection;

use crate::decode::{Decoded, Known};
use crate::projection::ApplyError;

/// Writes a row per reconciliation event of the batch. The ledger's own
/// apply ran first and refused a batch with an undecodable event, so every
/// event here decoded.
pub(crate) async fn apply(
    connection: &mut PgConnection,
    schema: &str,
    events: &[Decoded],
) -> Result<(), ApplyError> {
    for event in events {
        let Ok(Known::Reconciliation(reconciliation)) = &event.known else {
            continue;
        };
        let outcome = match reconciliation {
            ReconciliationEvent::CashReconciled { .. } => "MATCHED",
            ReconciliationEvent::CashDifferenceFound { .. } => "DIFFERENCE",
        };
        let recorded = event.recorded();
        sqlx::query(&format!(
            "INSERT INTO {schema}.cash_reconciliation \
             (position, stream_id, outcome, as_of_time, correlation_id, recorded_at, document) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::json)"
        ))
        .bind(event.position() as i64)
        .bind(&recorded.stream_id)
        .bind(outcome)
        .bind(reconciliation.reported().as_of_time)
        .bind(recorded.metadata.correlation_id)
        .bind(recorded.recorded_at)
        .bind(recorded.payload.get())
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}
