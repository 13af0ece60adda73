//! `dropledger replay`: rebuild read models from the first event while the
//! live ones keep serving, with progress.

use std::time::Duration;

use dropledger_eventstore::EventStore;
use dropledger_projections::{
    rebuild, ProjectionState, ProjectionStatus, RebuildPhase, RebuildProgress, RebuildReport,
};
use indicatif::{ProgressBar, ProgressStyle};

/// Rebuilds `projection` (or every projection) and swaps the result in.
pub async fn replay(store: &EventStore, projection: Option<&str>) -> anyhow::Result<RebuildReport> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template(
            "{msg:10} {bar:30} position {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("a valid progress template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut show = |progress: &RebuildProgress| {
        bar.set_length(progress.head.max(progress.position));
        bar.set_position(progress.position);
        bar.set_message(match progress.phase {
            RebuildPhase::Loading => "loading",
            RebuildPhase::Indexing => "indexing",
            RebuildPhase::Swapping => "swapping",
            RebuildPhase::Done => "done",
        });
    };
    let report = rebuild(store, projection, &mut show).await;
    bar.finish_and_clear();
    Ok(report?)
}

/// The line to print for a finished rebuild.
pub fn describe(report: &RebuildReport) -> String {
    format!(
        "rebuilt {} from {} events in {:.1}s ({:.0} events/s); swapped in at position {}",
        report.projections.join(", "),
        report.events,
        report.elapsed.as_secs_f64(),
        report.events_per_second,
        report.position
    )
}

/// One line per projection: position, lag and state (with the failing event).
pub fn describe_status(status: &ProjectionStatus) -> String {
    let state = match &status.state {
        ProjectionState::Running => "RUNNING".to_owned(),
        ProjectionState::Failed { position, error } => {
            format!("FAILED at position {position}: {error}")
        }
    };
    format!(
        "{:10} position {:>10}  lag {:>8}  {state}",
        status.name, status.position, status.lag
    )
}
