//! The processes of a fault run: `dropledger fake-providers` and several
//! `dropledger serve` on one database, each started from the real binary,
//! each killed when the run ends or panics.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a process may take to print that it listens.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A fixed token key: bearer tokens outlive restarts and work on every
/// server of the run.
const JWT_SECRET: &str = "a-test-secret-that-is-long-enough-for-hs256-0123456789";
/// A fixed sealing key: every server reads the credentials the others stored.
const ENCRYPTION_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// Reads `child`'s stdout until a line starts with `marker`; the lines
/// before it and the rest of that line. Panics, naming `what`, when the
/// process exits first or takes longer than [`START_TIMEOUT`].
async fn read_until(child: &mut Child, marker: &str, what: &str) -> (Vec<String>, String) {
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut before = Vec::new();
    let found = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.expect("stdout is readable") {
            if let Some(rest) = line.strip_prefix(marker) {
                return rest.to_owned();
            }
            before.push(line);
        }
        panic!("{what} exited before printing {marker:?}");
    })
    .await
    .unwrap_or_else(|_| panic!("{what} did not print {marker:?} within {START_TIMEOUT:?}"));
    (before, found)
}

/// `dropledger fake-providers` on a free port; killed when dropped.
pub struct FakeProcess {
    child: Child,
    /// Its summary and fault hook.
    pub hook: FakeHook,
    /// What it printed for `serve`: `NAME=value`.
    pub server_env: Vec<(String, String)>,
}

impl FakeProcess {
    /// Starts the fakes; PayPal holds `paypal_balance` USD and, when given,
    /// every AliExpress SKU has `supplier_stock` units.
    pub async fn start_stocked(paypal_balance: &str, supplier_stock: Option<u64>) -> FakeProcess {
        let stock: Vec<String> = supplier_stock
            .map(|units| vec!["--supplier-stock".to_owned(), units.to_string()])
            .unwrap_or_default();
        let mut child = Command::new(env!("CARGO_BIN_EXE_dropledger"))
            .args(["fake-providers", "--listen", "127.0.0.1:0"])
            .args(["--paypal-balance", paypal_balance])
            .args(stock)
            .env("RUST_LOG", "warn")
            .env_remove("DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let (lines, base_url) =
            read_until(&mut child, "fake providers listening on ", "fake-providers").await;
        let server_env = lines
            .iter()
            .filter_map(|line| line.split_once('='))
            .filter(|(name, _)| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        FakeProcess {
            child,
            hook: FakeHook {
                base_url,
                http: reqwest::Client::new(),
            },
            server_env,
        }
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// The fakes' read-only summary and fault hook, over HTTP.
#[derive(Clone)]
pub struct FakeHook {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    http: reqwest::Client,
}

impl FakeHook {
    /// What the fakes hold (`GET /__fake/summary`).
    pub async fn summary(&self) -> Value {
        self.http
            .get(format!("{}/__fake/summary", self.base_url))
            .send()
            .await
            .expect("the fakes answer")
            .json()
            .await
            .expect("a JSON summary")
    }

    /// Queues `fault` for the next `times` calls of `operation`.
    pub async fn inject(&self, operation: &str, fault: Value, times: usize) {
        let response = self
            .http
            .post(format!("{}/__fake/faults", self.base_url))
            .json(&json!({ "operation": operation, "fault": fault, "times": times }))
            .send()
            .await
            .expect("the fakes answer");
        assert!(
            response.status().is_success(),
            "fault refused: {}",
            response.text().await.unwrap_or_default()
        );
    }
}

/// Several `dropledger serve` on one database, any of which may be killed
/// and started again. Every one still running is killed on drop.
pub struct Servers {
    database_url: String,
    env: Vec<(String, String)>,
    slots: Mutex<Vec<Option<(Child, String)>>>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (child, _) in slots.iter_mut().flatten() {
            let _ = child.start_kill();
        }
    }
}

impl Servers {
    /// `count` servers on `database_url`, pointed at `fakes`.
    pub async fn start(database_url: &str, fakes: &FakeProcess, count: usize) -> Servers {
        let mut env = fakes.server_env.clone();
        env.extend(
            [
                ("PROVIDER_ATTEMPT_TIMEOUT_MS", "1000"),
                ("JWT_SECRET", JWT_SECRET),
                ("ENCRYPTION_KEY", ENCRYPTION_KEY),
                // Every customer is on loopback: one address's allowance.
                ("CHECKOUTS_PER_MINUTE", "100000"),
            ]
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
        );
        let servers = Servers {
            database_url: database_url.to_owned(),
            env,
            slots: Mutex::new((0..count).map(|_| None).collect()),
        };
        for slot in 0..count {
            servers.restart(slot).await;
        }
        servers
    }

    /// The addresses of the servers running now.
    pub fn addresses(&self) -> Vec<String> {
        let slots = self.slots.lock().expect("servers lock");
        slots
            .iter()
            .flatten()
            .map(|(_, address)| address.clone())
            .collect()
    }

    /// The state of each process manager of the server in `slot`
    /// (`RUNNING`, `STANDBY`, …) as its `/healthz` reports it; empty when
    /// it does not run or does not answer.
    pub async fn manager_states(&self, slot: usize) -> HashMap<String, String> {
        let address = self.slots.lock().expect("servers lock")[slot]
            .as_ref()
            .map(|(_, address)| address.clone());
        let Some(address) = address else {
            return HashMap::new();
        };
        let health: Value = match reqwest::get(format!("{address}/healthz")).await {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => return HashMap::new(),
        };
        health["processManagers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|manager| {
                Some((
                    manager["name"].as_str()?.to_owned(),
                    manager["state"].as_str()?.to_owned(),
                ))
            })
            .collect()
    }

    /// How many servers the run has (running or not).
    pub fn count(&self) -> usize {
        self.slots.lock().expect("servers lock").len()
    }

    /// The slots whose server has exited on its own (a crash the run did
    /// not cause).
    pub fn exited_on_their_own(&self) -> Vec<usize> {
        let mut slots = self.slots.lock().expect("servers lock");
        slots
            .iter_mut()
            .enumerate()
            .filter_map(|(number, slot)| {
                let (child, _) = slot.as_mut()?;
                (!matches!(child.try_wait(), Ok(None))).then_some(number)
            })
            .collect()
    }

    /// Sends SIGTERM to the server in `slot` and waits (bounded by
    /// `within`) for it to exit: how it exited.
    pub async fn terminate(&self, slot: usize, within: Duration) -> std::process::ExitStatus {
        let taken = self.slots.lock().expect("servers lock")[slot].take();
        let (mut child, _) = taken.expect("the server runs");
        let pid = child.id().expect("a running server has a pid");
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM to {pid}");
        tokio::time::timeout(within, child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {within:?} of SIGTERM"))
            .expect("the server's exit is known")
    }

    /// SIGKILLs the server in `slot` (no shutdown, nothing flushed).
    pub async fn kill(&self, slot: usize) {
        let taken = self.slots.lock().expect("servers lock")[slot].take();
        if let Some((mut child, _)) = taken {
            child.start_kill().expect("the server can be killed");
            let _ = child.wait().await;
        }
    }

    /// Starts the server of `slot` (again).
    pub async fn restart(&self, slot: usize) {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let (child, address) = crate::api_support::start_server(&self.database_url, &env).await;
        self.slots.lock().expect("servers lock")[slot] = Some((child, address));
    }
}
