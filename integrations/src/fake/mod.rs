//! Local fake providers: axum servers on 127.0.0.1 that speak the same
//! HTTP as PayPal, AliExpress and Payoneer, keep state, enforce the rules we
//! rely on, and fail on demand.

// Handlers return an early HTTP answer as `Err(Response)`; boxing it would
// only add noise to a test server that is never on a hot path.
#![allow(clippy::result_large_err)]

mod aliexpress;
mod faults;
mod one_address;
mod payoneer;
mod paypal;

pub use aliexpress::{FakeAliExpress, FakeAliExpressBuilder, SupplierCancelRefused};
pub use faults::{FakeOperation, FakeProvider, Fault};
pub use one_address::{
    FakeProviderServer, FaultKind, FaultRequest, SupplierCancelRequest, FAKE_FAULTS_PATH,
    FAKE_SUMMARY_PATH, FAKE_SUPPLIER_CANCEL_PATH,
};
pub use payoneer::FakePayoneer;
pub use paypal::{FakePayPal, FakePayPalBuilder, FakePayPalWallet};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Binds 127.0.0.1 on a free port and serves `router`; returns the base URL
/// and the server task (aborted when the fake is dropped).
pub(crate) async fn serve(router: axum::Router) -> std::io::Result<(String, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "fake provider server stopped");
        }
    });
    Ok((format!("http://{address}"), task))
}

/// A provider-looking id: `prefix` and 17 upper-case alphanumerics.
pub(crate) fn fake_id(prefix: &str) -> String {
    let raw = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .to_ascii_uppercase();
    format!("{prefix}{}", &raw[..17])
}

/// All three fakes, started together: what `dropledger demo` and
/// `dropledger serve` without provider credentials run on.
#[derive(Debug)]
pub struct FakeProviders {
    /// The fake PayPal (captures completed, or left pending when asked).
    pub paypal: FakePayPal,
    /// The fake AliExpress.
    pub aliexpress: FakeAliExpress,
    /// The fake Payoneer.
    pub payoneer: FakePayoneer,
}

impl FakeProviders {
    /// Starts the three fakes on 127.0.0.1 and warns, loudly, that payments
    /// are simulated; with `capture_pending`, PayPal leaves captures PENDING
    /// until told to complete them.
    pub async fn start(
        paypal_opening_balance: dropledger_domain::Money,
        capture_pending: bool,
    ) -> std::io::Result<Self> {
        let paypal = FakePayPal::builder()
            .capture_pending(capture_pending)
            .opening_balance(paypal_opening_balance)
            .start()
            .await?;
        let aliexpress = FakeAliExpress::start().await?;
        // Our ledger pays supplier purchases from PayPal cash: so does the fake.
        aliexpress.pay_purchases_from(paypal.wallet());
        let payoneer = FakePayoneer::start(rust_decimal::Decimal::ZERO).await?;
        tracing::warn!(
            paypal = paypal.base_url(),
            aliexpress = aliexpress.base_url(),
            payoneer = payoneer.base_url(),
            "no provider credentials configured: payments, purchases and payouts are SIMULATED by local fake providers"
        );
        Ok(Self {
            paypal,
            aliexpress,
            payoneer,
        })
    }
}
