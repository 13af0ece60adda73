//! `dropledger verify`: recompute the hash chain and name the first changed event.

use dropledger_eventstore::{ChainReport, EventStore};
use indicatif::{ProgressBar, ProgressStyle};

/// Verifies the chain with a progress bar; the report says whether it held.
pub async fn verify(store: &EventStore) -> anyhow::Result<ChainReport> {
    let progress = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} verified {pos} log entries ({per_sec})")
            .expect("a valid progress template"),
    );
    let report = store
        .verify_chain(|verified| progress.set_position(verified))
        .await?;
    progress.finish_and_clear();
    Ok(report)
}

/// The lines to print for a report.
pub fn describe(report: &ChainReport) -> String {
    match &report.first_tampered {
        None => format!(
            "hash chain intact: {} events verified; head hash {}",
            report.verified, report.head_hash
        ),
        Some(tampered) => format!(
            "hash chain BROKEN at position {}: event {} (stream {}, version {}): {}.\n\
             {} events before it verified; last good hash {}",
            tampered.position,
            tampered.event_id,
            tampered.stream_id,
            tampered.stream_version,
            tampered.reason,
            report.verified,
            report.head_hash
        ),
    }
}
