//! `dropledger fake-providers`: the local fake PayPal, AliExpress and
//! Payoneer as one long-running process on one address, state in memory,
//! until SIGTERM or Ctrl-C. Servers pointed at it can be killed and
//! restarted while the providers remember what was paid, bought and paid
//! out; tests read that back from its summary and inject faults through it.

use std::net::SocketAddr;

use anyhow::Context;
use dropledger_domain::Money;
use dropledger_integrations::{FakeProviderServer, FAKE_FAULTS_PATH, FAKE_SUMMARY_PATH};

/// Serves the fakes on `listen` until a shutdown signal; PayPal starts with
/// `paypal_balance` USD and with `capture_pending` leaves captures PENDING;
/// `supplier_stock`, when given, is every AliExpress SKU's stock.
pub async fn run(
    listen: SocketAddr,
    paypal_balance: &str,
    capture_pending: bool,
    supplier_stock: Option<u64>,
) -> anyhow::Result<()> {
    let opening = Money::parse(paypal_balance, "USD")
        .map_err(|error| anyhow::anyhow!("--paypal-balance {paypal_balance:?}: {error}"))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let server = FakeProviderServer::serve(listener, opening, capture_pending)
        .context("starting the fakes")?;
    if let Some(stock) = supplier_stock {
        server.providers().aliexpress.set_every_stock(stock);
    }
    tracing::warn!(
        address = server.base_url(),
        "fake providers: payments, purchases and payouts are SIMULATED"
    );
    // Tests and scripts read these lines: the settings for `serve`, one
    // `NAME=value` a line (secrets too: they are the fakes' own, public).
    for (name, value) in server.server_environment() {
        println!("{name}={value}");
        tracing::info!("{name}={value}");
    }
    println!("summary: {}{FAKE_SUMMARY_PATH}", server.base_url());
    println!("faults: {}{FAKE_FAULTS_PATH}", server.base_url());
    println!("fake providers listening on {}", server.base_url());
    crate::serve::shutdown_signal().await;
    tracing::info!("fake providers stopped");
    Ok(())
}
