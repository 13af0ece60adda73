//! The books after a run, checked beyond the trial balance: the read
//! models rebuilt from the log equal the live ones, and the ledger's cash
//! at PayPal equals what the fake PayPal holds.

use std::collections::BTreeMap;
use std::sync::Arc;

use dropledger_domain::{Currency, ReconciliationEvent};
use dropledger_eventstore::EventStore;
use dropledger_integrations::{PayPalClient, PayPalConfig, PayPalEnvironment, SecretString};
use dropledger_workflows::reconciliation::Outcome;
use dropledger_workflows::Reconciliation;
use sqlx::PgPool;

use super::processes::FakeProcess;

/// Every read-model table's row count and a digest of its rows in a fixed
/// order, by `schema.table`.
pub async fn read_models(pool: &PgPool) -> BTreeMap<String, (i64, String)> {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema::text, table_name::text FROM information_schema.tables \
         WHERE table_schema LIKE 'projection\\_%' AND table_type = 'BASE TABLE' \
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("the read models are listed");
    let mut digests = BTreeMap::new();
    for (schema, table) in tables {
        let name = format!("{schema}.{table}");
        let digest: (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(t::text, E'\\n' ORDER BY t::text)) FROM {name} t"
        ))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|error| panic!("digest of {name}: {error}"));
        digests.insert(name, (digest.0, digest.1.unwrap_or_default()));
    }
    digests
}

/// Rebuilds every read model from the log with `dropledger replay`, as an
/// operator would (no server may be running on the database).
pub async fn replay(database_url: &str) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .arg("replay")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("dropledger replay runs");
    assert!(
        output.status.success(),
        "dropledger replay failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The tables whose rebuilt contents differ from the live ones.
pub fn differences(
    live: &BTreeMap<String, (i64, String)>,
    replayed: &BTreeMap<String, (i64, String)>,
) -> Vec<String> {
    live.keys()
        .chain(replayed.keys())
        .filter(|table| live.get(*table) != replayed.get(*table))
        .map(|table| {
            format!(
                "{table}: live {:?}, replayed {:?}",
                live.get(table).map(|d| d.0),
                replayed.get(table).map(|d| d.0)
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Reconciles the ledger's PayPal cash with the fake PayPal's balance, the
/// way the server's schedule does: the difference (zero when they match).
pub async fn reconcile(store: &EventStore, fakes: &FakeProcess) -> ReconciliationEvent {
    let setting = |name: &str| {
        fakes
            .server_env
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("the fakes print {name}"))
    };
    let paypal = PayPalClient::new(
        PayPalConfig::new(
            PayPalEnvironment::Sandbox,
            setting("PAYPAL_CLIENT_ID"),
            SecretString::from(setting("PAYPAL_CLIENT_SECRET")),
        )
        .with_base_url(setting("PAYPAL_BASE_URL")),
    );
    let reconciliation = Reconciliation {
        store: store.clone(),
        paypal: Arc::new(paypal),
    };
    match reconciliation
        .reconcile(Currency::Usd)
        .await
        .expect("the reconciliation runs")
    {
        Outcome::Recorded(event) => event,
        other => panic!("a new PayPal snapshot was not reconciled: {other:?}"),
    }
}
