//! The projection runners of `dropledger serve`: one background task per
//! read model (ledger, commerce, audit), restarted after a database failure,
//! left stopped at an event it cannot apply (the status says which), and
//! stopped between batches on shutdown so that each has checkpointed what
//! it applied. A second task exports their position and lag as gauges.

use std::time::Duration;

use dropledger_eventstore::EventStore;
use dropledger_follower::{shutdown_asked as stopped, supervise, AfterFailure, Backoff, Failure};
use dropledger_projections::{
    projection_status, Projection, ProjectionError, ProjectionState, Runner, RunnerOptions,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long `start` waits for each runner to take its projection's lock
/// (a runner of another process may hold it; then this one is a standby).
const RUNNER_START_TIMEOUT_MS: u64 = 5_000;
/// First pause before restarting a runner after a database failure; it
/// doubles up to [`RUNNER_RESTART_DELAY_MS_MAX`].
const RUNNER_RESTART_DELAY_MS: u64 = 500;
/// Longest pause between restarts.
const RUNNER_RESTART_DELAY_MS_MAX: u64 = 30_000;
/// How often the projection gauges are refreshed.
const GAUGE_INTERVAL_MS: u64 = 1_000;
/// How long `stop` waits for the runners to finish their batch.
const STOP_TIMEOUT_MS: u64 = 10_000;

/// The running projection tasks.
pub struct ProjectionWorkers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts a runner for every projection and the gauge exporter; returns
/// once each runner holds its lock (or after a bounded wait).
pub async fn start(store: &EventStore) -> ProjectionWorkers {
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut runners = Vec::new();
    for projection in Projection::ALL {
        let runner = Runner::new(store.clone(), projection, RunnerOptions::default());
        runners.push(runner.clone());
        tasks.push(tokio::spawn(keep_running(
            runner,
            projection,
            stopped.clone(),
        )));
    }
    tasks.push(tokio::spawn(export_gauges(store.clone(), stopped)));
    let deadline = tokio::time::Instant::now() + Duration::from_millis(RUNNER_START_TIMEOUT_MS);
    while !runners.iter().all(Runner::is_active) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if !runners.iter().all(Runner::is_active) {
        tracing::warn!(
            "not every projection runner holds its lock yet: another process may be running it"
        );
    }
    ProjectionWorkers { stop, tasks }
}

impl ProjectionWorkers {
    /// Stops the runners between batches and waits for them (bounded).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let all = async {
            for task in self.tasks {
                let _ = task.await;
            }
        };
        if tokio::time::timeout(Duration::from_millis(STOP_TIMEOUT_MS), all)
            .await
            .is_err()
        {
            tracing::warn!("projection runners did not stop in time; their last batch rolls back");
        }
        tracing::info!("projection runners stopped");
    }
}

/// Runs `runner` until shutdown; restarts it after a database failure,
/// leaves it stopped at an event it cannot apply.
async fn keep_running(runner: Runner, projection: Projection, stop: watch::Receiver<bool>) {
    let name = projection.name();
    let backoff = Backoff {
        first: Duration::from_millis(RUNNER_RESTART_DELAY_MS),
        max: Duration::from_millis(RUNNER_RESTART_DELAY_MS_MAX),
    };
    supervise(
        backoff,
        stop.clone(),
        || runner.run_until(stopped(stop.clone())),
        |failure, pause| match failure {
            Failure::Error(error @ ProjectionError::EventFailed { .. }) => {
                // Recorded in the status; `/healthz` and `projections` say so.
                tracing::error!(projection = name, %error, "projection stopped; fix the cause and restart the server");
                AfterFailure::Stop
            }
            Failure::Error(error) => {
                let delay_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX);
                tracing::warn!(projection = name, %error, delay_ms, "projection runner failed; restarting");
                AfterFailure::Restart
            }
            Failure::Panic(error) => {
                // As before the supervisor caught panics: a bug in a
                // projection stops its runner; the status keeps its position.
                tracing::error!(projection = name, %error, "projection runner panicked; restart the server once fixed");
                AfterFailure::Stop
            }
        },
    )
    .await;
}

/// Keeps `dropledger_projection_position`, `dropledger_projection_lag_events`
/// and `dropledger_projection_failed` (per `projection`) current.
async fn export_gauges(store: EventStore, stop: watch::Receiver<bool>) {
    loop {
        match projection_status(&store).await {
            Ok(statuses) => {
                for status in statuses {
                    let label = ("projection", status.name);
                    metrics::gauge!("dropledger_projection_position", &[label])
                        .set(status.position as f64);
                    metrics::gauge!("dropledger_projection_lag_events", &[label])
                        .set(status.lag as f64);
                    let failed = matches!(status.state, ProjectionState::Failed { .. });
                    metrics::gauge!("dropledger_projection_failed", &[label]).set(if failed {
                        1.0
                    } else {
                        0.0
                    });
                }
            }
            Err(error) => tracing::warn!(%error, "could not read the projections' status"),
        }
        tokio::select! {
            () = stopped(stop.clone()) => return,
            () = tokio::time::sleep(Duration::from_millis(GAUGE_INTERVAL_MS)) => {}
        }
    }
}
