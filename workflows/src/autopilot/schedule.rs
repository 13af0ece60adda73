//! The schedule: while the autopilot is enabled, a cycle every interval.
//!
//! Every server runs this loop; the autopilot stream's expected version
//! decides which one starts a due cycle (the others' starts conflict, are
//! decided again, and are refused as in progress or not due), so one cycle
//! runs at a time across processes.

use std::sync::Arc;
use std::time::Duration;

use super::runner::AutopilotRunError;
use chrono::Utc;
use dropledger_domain::{AutopilotError, CycleTrigger};
use tokio::sync::watch;
use uuid::Uuid;

use super::cycle::CycleRunner;

/// How often the schedule looks whether a cycle is due; a changed
/// configuration applies within this.
pub const SCHEDULE_TICK_MS: u64 = 1_000;

/// Runs due cycles until `shutdown` turns true; a cycle in flight finishes first.
pub async fn run(runner: Arc<CycleRunner>, mut shutdown: watch::Receiver<bool>) {
    // A misconfiguration (no seller) would otherwise be logged every tick.
    let mut last_warning = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        match runner.load().await {
            Ok(autopilot) if autopilot.state.is_due(Utc::now()) => {
                let correlation_id = Uuid::new_v4();
                match runner
                    .run(CycleTrigger::Schedule, correlation_id, None)
                    .await
                {
                    Ok(report) => {
                        last_warning = None;
                        tracing::debug!(cycle_id = %report.cycle_id, "scheduled cycle ran");
                    }
                    // Another server started it first, or it stopped being due.
                    Err(AutopilotRunError::Refused(
                        AutopilotError::CycleInProgress(_)
                        | AutopilotError::NotDue
                        | AutopilotError::Disabled,
                    )) => {}
                    Err(error) => {
                        let warning = error.to_string();
                        if last_warning.as_ref() != Some(&warning) {
                            tracing::warn!(%error, "the scheduled autopilot cycle did not run");
                            last_warning = Some(warning);
                        }
                    }
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not read the autopilot's schedule"),
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(SCHEDULE_TICK_MS)) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("autopilot schedule stopped");
}
