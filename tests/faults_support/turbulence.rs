//! What goes wrong during a run, from outside the servers: SIGKILLs of
//! servers at seeded random moments, and the database restarted (fast
//! shutdown) and paused — one of these at a time, so that a server is
//! never started while the database is away (its start-up migration would
//! fail, which is not what the run is testing).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Mutex;

use super::database::FaultDatabase;
use super::processes::{FakeHook, Servers};
use super::provider_faults::{self, SLOW_PURCHASE};

/// What was done to the run, counted.
#[derive(Default)]
pub struct Turbulence {
    /// Servers SIGKILLed.
    pub kills: AtomicUsize,
    /// Fast-shutdown restarts of PostgreSQL.
    pub database_restarts: AtomicUsize,
    /// Restarts that came while a supplier order was placed and its
    /// answer (and so our record of it) still outstanding.
    pub restarts_in_purchase_window: AtomicUsize,
    /// Pauses of PostgreSQL (every process SIGSTOPped).
    pub database_pauses: AtomicUsize,
    /// Provider faults queued at the fakes.
    pub provider_faults: AtomicUsize,
    one_at_a_time: Mutex<()>,
}

/// How long the purchase window is waited for before the restart goes
/// ahead anyway (no purchase came: counted as not in the window).
const PURCHASE_WINDOW_WAIT: Duration = Duration::from_secs(60);

/// SIGKILLs a random server every 1 to 3 s and starts it again, until
/// `done` and at least `kills_min` kills happened; then leaves every
/// server running.
pub async fn kill_servers(
    servers: Arc<Servers>,
    kills_min: usize,
    seed: u64,
    done: Arc<AtomicBool>,
    turbulence: Arc<Turbulence>,
) {
    let mut random = StdRng::seed_from_u64(seed);
    while !(done.load(Ordering::SeqCst) && turbulence.kills.load(Ordering::SeqCst) >= kills_min) {
        tokio::time::sleep(Duration::from_millis(random.gen_range(1_000..3_000))).await;
        let slot = random.gen_range(0..servers.count());
        let _alone = turbulence.one_at_a_time.lock().await;
        servers.kill(slot).await;
        turbulence.kills.fetch_add(1, Ordering::SeqCst);
        // Down for a moment: the others carry the customers.
        tokio::time::sleep(Duration::from_millis(random.gen_range(100..1_000))).await;
        servers.restart(slot).await;
    }
}

/// The database's faults of a run: `restarts` fast restarts — the first
/// aimed between "purchase sent" and "purchase recorded" — then one pause
/// of `pause`, spread evenly over the `orders` as `bought` counts them
/// (all at once if the customers are `done` first).
#[allow(clippy::too_many_arguments)]
pub async fn database_faults(
    database: Arc<FaultDatabase>,
    hook: FakeHook,
    restarts: usize,
    pause: Duration,
    orders: usize,
    bought: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
    turbulence: Arc<Turbulence>,
) {
    let faults = restarts + 1;
    for fault in 0..faults {
        let due = orders * (fault + 1) / (faults + 1);
        while bought.load(Ordering::SeqCst) < due && !done.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _alone = turbulence.one_at_a_time.lock().await;
        if fault == 0 {
            provider_faults::inject(&hook, &turbulence.provider_faults, &[SLOW_PURCHASE]).await;
            if wait_for_purchase_window(&hook).await {
                turbulence
                    .restarts_in_purchase_window
                    .fetch_add(1, Ordering::SeqCst);
            }
        }
        if fault < restarts {
            database.restart_fast().await;
            turbulence.database_restarts.fetch_add(1, Ordering::SeqCst);
        } else {
            database.pause(pause).await;
            turbulence.database_pauses.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Waits until the slow purchase queued last has been taken by a server
/// (no purchase fault left pending: the fakes take them in order): the
/// supplier order is placed and its answer held back. True when that
/// happened within [`PURCHASE_WINDOW_WAIT`].
async fn wait_for_purchase_window(hook: &FakeHook) -> bool {
    let started = Instant::now();
    while started.elapsed() < PURCHASE_WINDOW_WAIT {
        let summary = hook.summary().await;
        let purchase_pending = summary["pending_faults"]
            .as_array()
            .is_some_and(|pending| pending.iter().any(|f| f == "AliExpressPlaceOrder"));
        if !purchase_pending {
            // The order is placed a moment after the fault is taken.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}
