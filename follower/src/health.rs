//! How each process manager of this server is doing, for `/healthz`:
//! following the log, standing by for another instance's lock, or being
//! restarted after a failure or a panic — with how often it restarted and
//! its last error. Kept in memory: it describes this process, not the
//! database (whose `process_checkpoint` says where each manager stands).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What a process manager is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerState {
    /// Waiting for its database connection or lock for the first time.
    Starting,
    /// Another instance holds its lock; this one waits to take over.
    Standby,
    /// Holds its lock and works.
    Running,
    /// Stopped by a failure or a panic; starts again after a pause.
    Restarting,
    /// Stopped at shutdown.
    Stopped,
}

impl ManagerState {
    /// The state as `/healthz` shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            ManagerState::Starting => "STARTING",
            ManagerState::Standby => "STANDBY",
            ManagerState::Running => "RUNNING",
            ManagerState::Restarting => "RESTARTING",
            ManagerState::Stopped => "STOPPED",
        }
    }
}

/// One manager's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagerReport {
    /// The manager's name (its checkpoint row and lock).
    pub name: &'static str,
    /// What it is doing.
    pub state: ManagerState,
    /// How often it was restarted after a failure or a panic.
    pub restarts: u64,
    /// The last failure, panic or failed poll, if any.
    pub last_error: Option<String>,
}

/// The reports of every manager of this process, shared by the managers
/// (who write) and `/healthz` (which reads). Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct ManagerHealth {
    reports: Arc<Mutex<BTreeMap<&'static str, ManagerReport>>>,
}

impl ManagerHealth {
    /// No manager yet.
    pub fn new() -> ManagerHealth {
        ManagerHealth::default()
    }

    /// Every manager's report, by name.
    pub fn reports(&self) -> Vec<ManagerReport> {
        self.lock().values().cloned().collect()
    }

    /// `name`'s report, if it ever started.
    pub fn report(&self, name: &str) -> Option<ManagerReport> {
        self.lock().get(name).cloned()
    }

    /// `name` is now in `state`.
    pub fn set_state(&self, name: &'static str, state: ManagerState) {
        self.update(name, |report| report.state = state);
    }

    /// `name` failed (a step, a poll) without stopping.
    pub fn record_error(&self, name: &'static str, error: String) {
        self.update(name, |report| report.last_error = Some(error));
    }

    /// `name` stopped with `error` and is about to start again.
    pub fn record_restart(&self, name: &'static str, error: String) {
        self.update(name, |report| {
            report.restarts += 1;
            report.state = ManagerState::Restarting;
            report.last_error = Some(error);
        });
    }

    fn update(&self, name: &'static str, change: impl FnOnce(&mut ManagerReport)) {
        let mut reports = self.lock();
        let report = reports.entry(name).or_insert(ManagerReport {
            name,
            state: ManagerState::Starting,
            restarts: 0,
            last_error: None,
        });
        change(report);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, ManagerReport>> {
        // A panic while holding this lock leaves plain data behind: still readable.
        self.reports
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a panic carried, as text.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    format!("panicked: {text}")
}
