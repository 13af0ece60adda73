//! Which provider account a reconciliation stream is about.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::Currency;
use crate::stream::UnknownStream;

/// A payment provider whose balance holds the platform's cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CashProvider {
    /// The PayPal account: the ledger's `cash:paypal:*` accounts.
    #[serde(rename = "PAYPAL")]
    PayPal,
}

impl CashProvider {
    /// Every provider, for parsing.
    pub const ALL: [CashProvider; 1] = [CashProvider::PayPal];

    /// The stable lower-case name used in stream ids, e.g. `paypal`.
    pub fn slug(self) -> &'static str {
        match self {
            CashProvider::PayPal => "paypal",
        }
    }
}

impl fmt::Display for CashProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// The reconciliation stream of one provider account in one currency:
/// `reconciliation-<provider>-<CURRENCY>`, e.g. `reconciliation-paypal-USD`.
///
/// Parsed on its own rather than as a [`crate::StreamKind`] variant for
/// now: adding a variant breaks exhaustive matches elsewhere in the
/// workspace, which the stream kind should absorb in one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReconciliationStream {
    /// The provider.
    pub provider: CashProvider,
    /// The currency of the balance.
    pub currency: Currency,
}

const PREFIX: &str = "reconciliation-";

impl ReconciliationStream {
    /// The stream of `provider`'s balance in `currency`.
    pub fn new(provider: CashProvider, currency: Currency) -> Self {
        Self { provider, currency }
    }

    /// The stream id, e.g. `reconciliation-paypal-USD`.
    pub fn stream_id(&self) -> String {
        format!("{PREFIX}{}-{}", self.provider.slug(), self.currency.code())
    }

    /// Parses a stream id back; only the canonical spelling is accepted.
    pub fn parse(stream_id: &str) -> Result<Self, UnknownStream> {
        let unknown = || UnknownStream(stream_id.to_owned());
        let rest = stream_id.strip_prefix(PREFIX).ok_or_else(unknown)?;
        let (slug, code) = rest.split_once('-').ok_or_else(unknown)?;
        let provider = CashProvider::ALL
            .into_iter()
            .find(|provider| provider.slug() == slug)
            .ok_or_else(unknown)?;
        let currency = Currency::parse(code).map_err(|_| unknown())?;
        let stream = Self::new(provider, currency);
        if stream.stream_id() == stream_id {
            Ok(stream)
        } else {
            Err(unknown())
        }
    }
}

impl fmt::Display for ReconciliationStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream_id())
    }
}
