//! Stream ids: which aggregate a stream of the event store belongs to.

use std::fmt;

use crate::ids::{OrderId, PayoutId, ProductId, SaleId, UserId};
use crate::money::Currency;
use crate::payout::Payee;
use crate::reconciliation::ReconciliationStream;

/// The aggregate a stream id names. `stream_id()` and [`StreamKind::parse`]
/// are inverse: projections route events by it, and the store may use the
/// prefix as a distribution key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StreamKind {
    /// `user-<uuid>`
    User(UserId),
    /// `product-<uuid>`
    Product(ProductId),
    /// `order-<uuid>`
    Order(OrderId),
    /// `capital-<CURRENCY>`, one working-capital stream per currency.
    Capital(Currency),
    /// `sale-<uuid>`
    Sale(SaleId),
    /// `payout-<uuid>`
    Payout(PayoutId),
    /// `receivable-admin` or `receivable-user-<uuid>`: what a payee owes back.
    Receivable(Payee),
    /// `platform-config`
    PlatformConfig,
    /// `autopilot`: the autopilot's configuration and cycles.
    Autopilot,
    /// `reconciliation-<provider>-<CURRENCY>`: one provider account's cash
    /// checked against the ledger.
    Reconciliation(ReconciliationStream),
}

/// The text is not a stream id of this domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a dropledger stream id")]
pub struct UnknownStream(pub String);

impl StreamKind {
    /// Parses a stream id such as `order-<uuid>` or `capital-USD`.
    pub fn parse(stream_id: &str) -> Result<StreamKind, UnknownStream> {
        let unknown = || UnknownStream(stream_id.to_owned());
        if stream_id == "platform-config" {
            return Ok(StreamKind::PlatformConfig);
        }
        if stream_id == "autopilot" {
            return Ok(StreamKind::Autopilot);
        }
        if stream_id == Payee::Admin.receivable_stream_id() {
            return Ok(StreamKind::Receivable(Payee::Admin));
        }
        if let Ok(stream) = ReconciliationStream::parse(stream_id) {
            return Ok(StreamKind::Reconciliation(stream));
        }
        let (prefix, rest) = stream_id.split_once('-').ok_or_else(unknown)?;
        let kind = match prefix {
            "user" => rest.parse().map(StreamKind::User).ok(),
            "product" => rest.parse().map(StreamKind::Product).ok(),
            "order" => rest.parse().map(StreamKind::Order).ok(),
            "capital" => Currency::parse(rest).map(StreamKind::Capital).ok(),
            "sale" => rest.parse().map(StreamKind::Sale).ok(),
            "payout" => rest.parse().map(StreamKind::Payout).ok(),
            "receivable" => rest
                .strip_prefix("user-")
                .and_then(|user| user.parse().ok())
                .map(|user_id| StreamKind::Receivable(Payee::User { user_id })),
            _ => None,
        };
        let kind = kind.ok_or_else(unknown)?;
        // Only the canonical spelling (lower-case hyphenated UUID) is a stream id.
        if kind.stream_id() == stream_id {
            Ok(kind)
        } else {
            Err(unknown())
        }
    }

    /// The stream id, e.g. `order-<uuid>`.
    pub fn stream_id(&self) -> String {
        match self {
            StreamKind::User(id) => id.stream_id(),
            StreamKind::Product(id) => id.stream_id(),
            StreamKind::Order(id) => id.stream_id(),
            StreamKind::Capital(currency) => format!("capital-{}", currency.code()),
            StreamKind::Sale(id) => id.stream_id(),
            StreamKind::Payout(id) => id.stream_id(),
            StreamKind::Receivable(payee) => payee.receivable_stream_id(),
            StreamKind::PlatformConfig => "platform-config".to_owned(),
            StreamKind::Autopilot => "autopilot".to_owned(),
            StreamKind::Reconciliation(stream) => stream.stream_id(),
        }
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[test]
    fn every_stream_id_parses_back_to_its_kind() {
        for kind in [
            StreamKind::User(user_id(1)),
            StreamKind::Product(ProductId::from_uuid(uuid(2))),
            StreamKind::Order(order_id(3)),
            StreamKind::Capital(Currency::Eur),
            StreamKind::Sale(SaleId::from_uuid(uuid(4))),
            StreamKind::Payout(payout_id(5)),
            StreamKind::Receivable(Payee::Admin),
            StreamKind::Receivable(Payee::User {
                user_id: user_id(6),
            }),
            StreamKind::PlatformConfig,
            StreamKind::Autopilot,
            StreamKind::Reconciliation(ReconciliationStream::new(
                crate::reconciliation::CashProvider::PayPal,
                Currency::Usd,
            )),
        ] {
            assert_eq!(StreamKind::parse(&kind.stream_id()), Ok(kind));
        }
    }

    #[test]
    fn foreign_or_non_canonical_stream_ids_are_refused() {
        let upper = format!("order-{}", uuid(0xabcdef).to_string().to_uppercase());
        for text in [
            "order",
            "order-",
            "order-not-a-uuid",
            "capital-usd",
            "capital-XYZ",
            "invoice-00000000-0000-0000-0000-000000000001",
            "platform-configuration",
            "receivable-user-x",
            "receivable-seller",
            upper.as_str(),
        ] {
            assert!(StreamKind::parse(text).is_err(), "{text:?} was accepted");
        }
    }
}
