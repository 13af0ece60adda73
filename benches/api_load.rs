//! Does the API keep serving a signed-in user while it is flooded? A
//! bounded load test on loopback against `dropledger serve` (the release
//! build) with its own database and the fake providers.
//!
//! ```text
//! cargo bench --bench api_load             # 5 s quiet, then 30 s under load
//! cargo bench --bench api_load -- --quick  # 2 s quiet, then 8 s under load
//! ```
//!
//! While the load runs:
//! - a signed-in USER asks `{ me products }` every 100 ms (timed; the
//!   target is every answer within 1 s);
//! - an anonymous client floods `products` with `consistentAfter` aliases
//!   ([`FLOOD_CLIENTS`] requests at once, each with [`FLOOD_ALIASES`]
//!   aliases waiting for the newest position the admin's writes returned,
//!   which the read models have usually not applied yet);
//! - eight ACCOUNTANTs open [`SUBSCRIPTIONS`] `events(afterPosition: 0)`
//!   subscriptions between them on eight sockets (the most one address may
//!   hold), each replaying the whole log and then following it;
//! - the ADMIN records a capital contribution every 50 ms, so that the log
//!   grows, the read models have work and the subscriptions have events.
//!
//! The quiet phase times the same query without any of that. Everything
//! comes from 127.0.0.1, so the per-address limits (sockets, waiting
//! queries) bite the flood and the signed-in user alike; sign-in limits are
//! raised so that setting up is not refused.

#[path = "../tests/api_support/mod.rs"]
mod api_support;
mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_support::App;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{millis, percentile};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Subscriptions opened in all.
const SUBSCRIPTIONS: usize = 200;
/// Sockets the subscriptions are spread over (one address's limit).
const SOCKETS: usize = 8;
/// Subscriptions on each socket.
const SUBSCRIPTIONS_PER_SOCKET: usize = SUBSCRIPTIONS / SOCKETS;
const _: () = assert!(SUBSCRIPTIONS % SOCKETS == 0, "an equal share per socket");
/// Flooding requests in flight at once.
const FLOOD_CLIENTS: usize = 16;
/// `consistentAfter` aliases per flooding request.
const FLOOD_ALIASES: usize = 200;
/// The signed-in user's pause between queries.
const PROBE_INTERVAL_MS: u64 = 100;
/// The admin's pause between writes.
const WRITE_INTERVAL_MS: u64 = 50;
/// The answer time the signed-in user must get.
const TARGET_MS: f64 = 1_000.0;

const PROBE: &str = "{ me { id } products(first: 20) { edges { node { id title } } } }";

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (quiet, loaded) = if quick {
        (Duration::from_secs(2), Duration::from_secs(8))
    } else {
        (Duration::from_secs(5), Duration::from_secs(30))
    };
    let app = Arc::new(
        api_support::spawn_app_with(&[
            ("AUTH_REQUESTS_PER_MINUTE", "100000"),
            ("RUST_LOG", "error"),
        ])
        .await,
    );
    let (admin, _) = app.register("admin@example.com").await;
    let (user, _) = app.register("user@example.com").await;
    let mut accountants = Vec::new();
    for n in 0..SOCKETS {
        accountants.push(
            app.user_with_role(&admin, &format!("accountant{n}@example.com"), "ACCOUNTANT")
                .await,
        );
    }
    // Some history for the subscriptions to replay.
    for n in 0..200 {
        contribute(&app, &admin, n).await?;
    }

    println!("quiet: the signed-in user's query alone for {quiet:?}");
    let quiet_latencies = probe(app.clone(), user.clone(), quiet).await?;

    println!("loaded: flood, {SUBSCRIPTIONS} subscriptions and writes for {loaded:?}");
    let stop = Instant::now() + loaded;
    let newest = Arc::new(AtomicU64::new(0));
    let counters = Arc::new(Counters::default());
    let mut load = tokio::task::JoinSet::new();
    load.spawn(write(app.clone(), admin.clone(), newest.clone(), stop));
    for _ in 0..FLOOD_CLIENTS {
        load.spawn(flood(app.clone(), newest.clone(), counters.clone(), stop));
    }
    for token in &accountants {
        load.spawn(subscribe(
            app.clone(),
            token.clone(),
            SUBSCRIPTIONS_PER_SOCKET,
            counters.clone(),
            stop,
        ));
    }
    // Let the subscriptions open and the flood start before timing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let loaded_latencies = probe(app.clone(), user.clone(), stop - Instant::now()).await?;
    while let Some(done) = load.join_next().await {
        done??;
    }
    let lag = projection_lag(&app, &admin).await;

    println!();
    println!("| phase | signed-in queries | p50 | p99 | max | over 1 s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (phase, latencies) in [
        ("quiet", &quiet_latencies),
        ("under load", &loaded_latencies),
    ] {
        let over = latencies
            .iter()
            .filter(|latency| millis(**latency) > TARGET_MS)
            .count();
        println!(
            "| {phase} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {over} |",
            latencies.len(),
            millis(percentile(latencies, 50)),
            millis(percentile(latencies, 99)),
            millis(*latencies.last().unwrap_or(&Duration::ZERO)),
        );
    }
    println!();
    println!(
        "flood: {} requests of {FLOOD_ALIASES} aliases answered ({} with data, {} refused or timed out: {})",
        counters.flood_requests.load(Ordering::Relaxed),
        counters.flood_answered.load(Ordering::Relaxed),
        counters.flood_refused.load(Ordering::Relaxed),
        counters.flood_codes.lock().map(|codes| codes.join(", ")).unwrap_or_default(),
    );
    println!(
        "subscriptions: {} accepted, {} refused, {} events delivered",
        counters.subscriptions_accepted.load(Ordering::Relaxed),
        counters.subscriptions_refused.load(Ordering::Relaxed),
        counters.events_delivered.load(Ordering::Relaxed),
    );
    println!(
        "writes: the log's head reached {}; read models' largest lag at the end: {lag} events",
        newest.load(Ordering::Relaxed)
    );
    let worst = loaded_latencies.last().copied().unwrap_or_default();
    if millis(worst) > TARGET_MS {
        println!(
            "TARGET MISSED: a signed-in query took {:.0} ms",
            millis(worst)
        );
    } else {
        println!("target met: every signed-in query answered within 1 s");
    }
    Ok(())
}

/// What the load saw.
#[derive(Default)]
struct Counters {
    flood_requests: AtomicU64,
    flood_answered: AtomicU64,
    flood_refused: AtomicU64,
    flood_codes: std::sync::Mutex<Vec<String>>,
    subscriptions_accepted: AtomicU64,
    subscriptions_refused: AtomicU64,
    events_delivered: AtomicU64,
}

/// The signed-in user's query, every [`PROBE_INTERVAL_MS`] for `duration`;
/// the answer times, sorted. A query that fails is an error of the run.
async fn probe(app: Arc<App>, token: String, duration: Duration) -> anyhow::Result<Vec<Duration>> {
    let end = Instant::now() + duration;
    let mut latencies = Vec::new();
    while Instant::now() < end {
        let started = Instant::now();
        let answer = app.graphql(Some(&token), PROBE, json!({})).await;
        latencies.push(started.elapsed());
        if answer["data"]["me"]["id"].as_str().is_none() {
            anyhow::bail!("the signed-in user's query failed: {answer}");
        }
        tokio::time::sleep(Duration::from_millis(PROBE_INTERVAL_MS)).await;
    }
    latencies.sort();
    Ok(latencies)
}

async fn contribute(app: &App, admin: &str, n: u64) -> anyhow::Result<Option<u64>> {
    let answer = app
        .graphql(
            Some(admin),
            "mutation($input: RecordCapitalContributionInput!) { recordCapitalContribution(input: $input) { position userErrors { code message } } }",
            json!({ "input": { "amount": { "amount": "1.00", "currency": "USD" }, "reference": format!("load-{n}") } }),
        )
        .await;
    let payload = &answer["data"]["recordCapitalContribution"];
    if payload["userErrors"] != json!([]) {
        anyhow::bail!("a contribution was refused: {answer}");
    }
    Ok(payload["position"].as_u64())
}

/// The admin's writes until `stop`; `newest` is the last position returned.
async fn write(
    app: Arc<App>,
    admin: String,
    newest: Arc<AtomicU64>,
    stop: Instant,
) -> anyhow::Result<()> {
    let mut n = 1_000;
    while Instant::now() < stop {
        if let Some(position) = contribute(&app, &admin, n).await? {
            newest.fetch_max(position, Ordering::Relaxed);
        }
        n += 1;
        tokio::time::sleep(Duration::from_millis(WRITE_INTERVAL_MS)).await;
    }
    Ok(())
}

/// One anonymous flooding client: one request after another until `stop`.
async fn flood(
    app: Arc<App>,
    newest: Arc<AtomicU64>,
    counters: Arc<Counters>,
    stop: Instant,
) -> anyhow::Result<()> {
    while Instant::now() < stop {
        let position = newest.load(Ordering::Relaxed);
        let aliases: String = (0..FLOOD_ALIASES)
            .map(|n| format!("a{n}: products(first: 1, consistentAfter: {position}) {{ edges {{ cursor }} }} "))
            .collect();
        let response = app
            .http
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": format!("{{ {aliases} }}") }))
            .send()
            .await?;
        counters.flood_requests.fetch_add(1, Ordering::Relaxed);
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or_else(
            |_| json!({ "errors": [{ "extensions": { "code": format!("HTTP {status}") } }] }),
        );
        match answer["errors"]
            .as_array()
            .and_then(|errors| errors.first())
        {
            None => {
                counters.flood_answered.fetch_add(1, Ordering::Relaxed);
            }
            Some(error) => {
                counters.flood_refused.fetch_add(1, Ordering::Relaxed);
                let code = error["extensions"]["code"]
                    .as_str()
                    .unwrap_or("(no code)")
                    .to_owned();
                if let Ok(mut codes) = counters.flood_codes.lock() {
                    if !codes.contains(&code) {
                        codes.push(code);
                    }
                }
            }
        }
    }
    Ok(())
}

/// One socket of `token` opening `count` subscriptions to the whole log and
/// reading whatever they send until `stop`.
async fn subscribe(
    app: Arc<App>,
    token: String,
    count: usize,
    counters: Arc<Counters>,
    stop: Instant,
) -> anyhow::Result<()> {
    let url = format!("{}/graphql", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    for id in 0..count {
        let subscribe = json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": "subscription { events(afterPosition: 0) { position eventType } }" } });
        socket
            .send(Message::Text(subscribe.to_string().into()))
            .await?;
    }
    let mut started = std::collections::HashSet::new();
    loop {
        let left = stop.saturating_duration_since(Instant::now());
        let Ok(message) = tokio::time::timeout(left, socket.next()).await else {
            break;
        };
        let Some(Ok(Message::Text(text))) = message else {
            match message {
                Some(Ok(_)) => continue,
                _ => anyhow::bail!("a subscription socket closed under load"),
            }
        };
        let message: Value = serde_json::from_str(&text)?;
        match message["type"].as_str() {
            Some("next") if message["payload"]["errors"].is_array() => {
                counters
                    .subscriptions_refused
                    .fetch_add(1, Ordering::Relaxed);
            }
            Some("next") => {
                if started.insert(message["id"].as_str().unwrap_or_default().to_owned()) {
                    counters
                        .subscriptions_accepted
                        .fetch_add(1, Ordering::Relaxed);
                }
                counters.events_delivered.fetch_add(1, Ordering::Relaxed);
            }
            Some("error") => {
                counters
                    .subscriptions_refused
                    .fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

/// The largest lag of any read model, as `projections` reports it.
async fn projection_lag(app: &App, admin: &str) -> i64 {
    let answer = app
        .graphql(Some(admin), "{ projections { name lag } }", json!({}))
        .await;
    answer["data"]["projections"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|p| p["lag"].as_i64())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(-1)
}
