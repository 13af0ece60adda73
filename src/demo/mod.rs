//! `dropledger demo`: the whole business cycle, once, in this process —
//! against the real event store and domain rules, and the real provider
//! clients talking HTTP to local fake providers.
//!
//! The flow: platform, people and owner capital ([`setup`]) → discovery and
//! listings ([`catalog`]) → checkouts approved and captured at PayPal
//! ([`checkout`]) → purchases from the supplier against working capital
//! ([`fulfilment`]) → sales ([`sales`]) and payouts ([`payouts`]) → a summary computed
//! from the event log alone ([`summary`]). Every step is a command through
//! [`EventStore::execute`].

mod catalog;
mod checkout;
mod fulfilment;
mod payouts;
mod sales;
mod setup;
mod summary;
mod supplier;

use std::path::Path;

use anyhow::Context;
use dropledger_domain::{Aggregate, Currency, Money, WorkingCapital};
use dropledger_eventstore::{CommandError, EventStore, Loaded, Metadata};
use dropledger_integrations::{
    AliExpressClient, FakeProviders, PayPalClient, SecretString, FAKE_PAYPAL_CAPTURE_STATUS_ENV,
};
use uuid::Uuid;

use crate::local_database::LocalDatabase;

/// The database the demo records into when no URL is given. It is dropped
/// and created again on every run, so the summary describes this run only.
const DEMO_DATABASE: &str = "dropledger_demo";
/// The one currency of the demo's books.
const CURRENCY: Currency = Currency::Usd;
/// What the owner puts into working capital, in [`CURRENCY`].
const OWNER_CAPITAL: &str = "500.00";
/// The actor recorded on events the demo decides by itself.
const SYSTEM_ACTOR: &str = "system:demo";

/// Everything a step of the demo needs: the store and the provider clients.
pub struct Demo {
    store: EventStore,
    fakes: FakeProviders,
    paypal: PayPalClient,
    supplier: AliExpressClient,
    /// The seller's AliExpress access token, from the fake's OAuth flow.
    supplier_session: SecretString,
}

/// Runs the demo and prints its summary; the report says whether the books
/// and the hash chain held.
pub async fn run(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<bool> {
    let database = LocalDatabase::open_fresh(database_url, data_dir, DEMO_DATABASE).await?;
    println!(
        "dropledger demo: recording into database {}",
        database.name()
    );
    let outcome = run_on(EventStore::new(database.pool.clone())).await;
    database.close().await?;
    outcome
}

async fn run_on(store: EventStore) -> anyhow::Result<bool> {
    let opening = wire_money(money(OWNER_CAPITAL)?);
    // The fake PayPal account holds the owner's capital, as the ledger will.
    let fakes = FakeProviders::start(opening).await?;
    println!(
        "WARNING: sandbox mode: payments, supplier purchases and payouts are SIMULATED by local fake providers (PayPal {}, AliExpress {}); no real money moves.",
        fakes.paypal.base_url(),
        fakes.aliexpress.base_url()
    );
    if std::env::var(FAKE_PAYPAL_CAPTURE_STATUS_ENV)
        .is_ok_and(|v| v.eq_ignore_ascii_case("PENDING"))
    {
        println!("the fake PayPal leaves captures PENDING until the demo completes them");
    }
    let paypal = PayPalClient::new(fakes.paypal.client_config());
    let supplier = AliExpressClient::new(fakes.aliexpress.client_config());
    let supplier_session = catalog::connect_supplier(&fakes, &supplier).await?;
    let demo = Demo {
        store,
        fakes,
        paypal,
        supplier,
        supplier_session,
    };
    let people = setup::record(&demo).await?;
    let listings = catalog::list_products(&demo, &people).await?;
    let checkouts = checkout::place_orders(&demo, &people, &listings).await?;
    checkout::complete_pending_captures(&demo, &checkouts).await?;
    let outcomes = fulfilment::fulfil_all(&demo, &listings, &checkouts).await?;
    let owed = sales::record_sales(&demo, &outcomes).await?;
    payouts::pay_all(&demo, &owed).await?;
    let report = summary::compute(&demo.store).await?;
    println!("{report}");
    Ok(report.is_sound())
}

impl Demo {
    /// Metadata of one command: the flow's correlation id, who acted, and a
    /// fresh command id (event ids derive from it, so a retried decision
    /// appends the same events).
    fn metadata(&self, correlation_id: Uuid, actor: &str) -> Metadata {
        Metadata {
            correlation_id,
            causation_id: None,
            actor: actor.to_owned(),
            command_id: Some(Uuid::new_v4()),
        }
    }

    /// The working capital in [`CURRENCY`], for a decision.
    async fn capital<E>(&self) -> Result<Loaded<WorkingCapital>, CommandError<E>> {
        self.store
            .load(
                &WorkingCapital::stream_id(CURRENCY),
                WorkingCapital::new(CURRENCY),
            )
            .await
    }

    /// Decides one command on one stream and appends the events.
    async fn decide<A>(
        &self,
        stream_id: &str,
        initial: A,
        command: A::Command,
        metadata: &Metadata,
    ) -> anyhow::Result<Vec<A::Event>>
    where
        A: Aggregate,
        A::Command: Clone,
        A::Error: Send + Sync + 'static,
    {
        let (events, _) = self
            .store
            .execute(|| async {
                let loaded = self.store.load(stream_id, initial.clone()).await?;
                let events = loaded
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![loaded.append(&events, metadata)], events))
            })
            .await
            .with_context(|| format!("deciding a command on {stream_id}"))?;
        Ok(events)
    }
}

/// Money in the demo's currency from a literal such as `"12.50"`.
fn money(amount: &str) -> anyhow::Result<Money> {
    Ok(Money::parse(amount, CURRENCY.code())?)
}

/// A provider's amount as domain money; refuses other currencies and
/// amounts finer than the currency's minor unit.
fn domain_money(amount: &dropledger_integrations::Money) -> anyhow::Result<Money> {
    let currency = Currency::parse(&amount.currency)?;
    Ok(Money::new(amount.value, currency)?)
}

/// Domain money as a provider's wire amount.
fn wire_money(amount: Money) -> dropledger_integrations::Money {
    dropledger_integrations::Money::new(amount.currency().code(), amount.amount())
}

/// One progress line on standard output.
fn progress(step: &str, message: impl std::fmt::Display) {
    println!("  [{step:<10}] {message}");
}
