//! `dropledger demo`: the whole business on local defaults, the way it runs
//! for real — a fresh database, local fake providers, and the server
//! (`serve`'s API, projection runners, process managers and autopilot)
//! driven only through its GraphQL API and the providers' pages.
//!
//! The flow: people, platform and owner capital ([`setup`]) → an
//! autopilot cycle lists products ([`catalog`]) → customers check out and
//! the server's fulfilment buys each item from the supplier ([`checkout`])
//! → sales, payouts and settlement follow by themselves ([`settle`]) → a
//! summary recomputed from the event log alone ([`summary`]). Then the
//! server keeps serving (GraphiQL) until Ctrl-C, or stops with `--exit`.

mod api;
mod catalog;
mod checkout;
mod settle;
mod setup;
mod summary;

use std::net::SocketAddr;
use std::path::Path;

use dropledger_domain::Money;
use dropledger_eventstore::EventStore;
use dropledger_graphql::TokenKeys;
use dropledger_integrations::FakeProviders;

use crate::config::ServerSettings;
use crate::local_database::LocalDatabase;
use crate::providers::Providers;
use crate::server::{self, RunningServer};
use api::Api;

/// The database the demo records into when no URL is given. It is dropped
/// and created again on every run, so the summary describes this run only.
const DEMO_DATABASE: &str = "dropledger_demo";
/// The one currency of the demo's books.
const CURRENCY: &str = "USD";
/// What the owner puts into working capital (and the fake PayPal account
/// holds before the first sale).
const OWNER_CAPITAL: &str = "500.00";

/// How the demo runs.
#[derive(Debug)]
pub struct DemoOptions {
    /// Where the server listens; any free port when this one is taken.
    pub listen: SocketAddr,
    /// Stop after the summary instead of serving until Ctrl-C.
    pub exit: bool,
    /// The server's settings; its providers are the demo's fakes whatever
    /// they say, so production mode is refused.
    pub settings: ServerSettings,
}

/// Runs the demo and prints its summary; the result says whether the books
/// and the hash chain held.
pub async fn run(
    database_url: Option<&str>,
    data_dir: &Path,
    options: DemoOptions,
) -> anyhow::Result<bool> {
    if options.settings.production {
        anyhow::bail!(
            "the demo runs on local fake providers only: unset AUTOPILOT_MODE and PAYPAL_ENVIRONMENT"
        );
    }
    let database = LocalDatabase::open_fresh(database_url, data_dir, DEMO_DATABASE).await?;
    println!(
        "dropledger demo: recording into database {}",
        database.name()
    );
    let outcome = run_on(&database, data_dir, options).await;
    database.close().await?;
    outcome
}

async fn run_on(
    database: &LocalDatabase,
    data_dir: &Path,
    options: DemoOptions,
) -> anyhow::Result<bool> {
    let opening = Money::parse(OWNER_CAPITAL, CURRENCY)?;
    let pending = options.settings.providers.fake_capture_pending;
    let fakes = FakeProviders::start(opening, pending).await?;
    println!(
        "WARNING: sandbox mode: payments, supplier purchases and payouts are SIMULATED by local fake providers (PayPal {}, AliExpress {}); no real money moves.",
        fakes.paypal.base_url(),
        fakes.aliexpress.base_url()
    );
    if pending {
        println!("the fake PayPal leaves captures PENDING: each order waits until the demo, as PayPal, completes its capture (or denies the last one)");
    }
    let server = start_server(database, data_dir, options.listen, fakes, options.settings).await?;
    println!("server listening on http://{}", server.address());
    let api = Api::new(server.graphql_url())?;
    let driven = async {
        let admin_token = drive(&api, &server, pending).await?;
        let report = summary::compute(&EventStore::new(database.pool.clone())).await?;
        anyhow::Ok((admin_token, report))
    };
    let (admin_token, report) = match driven.await {
        Ok(driven) => driven,
        Err(error) => {
            server.stop().await?;
            return Err(error);
        }
    };
    println!("{report}");
    // The browser signs in by itself with nobody: the people's sign-ins are
    // printed, not put in a URL.
    println!("\nStorefront: {}/", server.public_url());
    println!("Dashboard: {}/dashboard", server.public_url());
    println!(
        "  sign in as {} (admin), {} (seller) or {} (customer), password \"{}\"",
        setup::ADMIN_EMAIL,
        setup::SELLER_EMAIL,
        setup::BUYER_EMAIL,
        setup::PASSWORD
    );
    println!("GraphiQL: {}", server.graphql_url());
    println!(
        "  sign in with login(input: {{email: \"{}\", password: \"{}\"}}), or send the admin's token:",
        setup::ADMIN_EMAIL,
        setup::PASSWORD
    );
    println!("  Authorization: Bearer {admin_token}");
    if options.exit {
        server.stop().await?;
    } else {
        println!("serving until Ctrl-C (`dropledger demo --exit` stops after the summary)");
        server.run_until(crate::serve::shutdown_signal()).await?;
    }
    Ok(report.is_sound())
}

/// Starts the server on the demo's fakes, on `listen` or, when that port
/// is taken, on any free one.
async fn start_server(
    database: &LocalDatabase,
    data_dir: &Path,
    listen: SocketAddr,
    fakes: FakeProviders,
    mut settings: ServerSettings,
) -> anyhow::Result<RunningServer> {
    let listen = if std::net::TcpListener::bind(listen).is_ok() {
        listen
    } else {
        println!("{listen} is taken: the demo's server takes any free port");
        SocketAddr::new(listen.ip(), 0)
    };
    server::start(
        &database.pool,
        data_dir,
        listen,
        Providers::simulated(fakes),
        ServerSettings {
            // The demo signs its own people in; a secret of its own is
            // as good as any.
            tokens: Some(settings.tokens.take().unwrap_or_else(TokenKeys::generate)),
            ..settings
        },
    )
    .await
}

/// The business day, through the API; the admin's token.
async fn drive(api: &Api, server: &RunningServer, pending: bool) -> anyhow::Result<String> {
    let fakes = server
        .fakes()
        .ok_or_else(|| anyhow::anyhow!("the demo's server runs on fakes"))?;
    let people = setup::run(api).await?;
    let listings = catalog::run_autopilot(api, &people).await?;
    let purchased = checkout::place_all(api, &people, &listings, fakes, pending).await?;
    settle::run(api, &people, purchased, &fakes.paypal).await?;
    Ok(people.admin.token)
}

/// One progress line on standard output.
fn progress(step: &str, message: impl std::fmt::Display) {
    println!("  [{step:<10}] {message}");
}
