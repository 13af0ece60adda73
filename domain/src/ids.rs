//! Typed identifiers: our own (UUIDs chosen by the caller) and the
//! providers' (opaque text such as a PayPal capture id).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID chosen by the caller (the domain never generates ids).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// The event-store stream id of the aggregate this id names,
            /// e.g. `order-<uuid>`.
            pub fn stream_id(&self) -> String {
                format!("{}-{}", $prefix, self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }
    };
}

uuid_id!(
    /// Identifies a user (buyer, seller, admin or accountant).
    UserId, "user"
);
uuid_id!(
    /// Identifies an order.
    OrderId, "order"
);
uuid_id!(
    /// Identifies a product listing.
    ProductId, "product"
);
uuid_id!(
    /// Identifies a recorded sale.
    SaleId, "sale"
);
uuid_id!(
    /// Identifies a payout to the admin or a user.
    PayoutId, "payout"
);
uuid_id!(
    /// Identifies a hold (a two-phase, pending transfer) on working capital.
    HoldId, "hold"
);
uuid_id!(
    /// Identifies a journal entry; corrections point at it.
    EntryId, "entry"
);
uuid_id!(
    /// Identifies a refund asked for (its intent, appended before PayPal is
    /// asked): PayPal's request id for the refund derives from it.
    RefundRequestId, "refund"
);

/// Why a provider reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Empty or only whitespace.
    #[error("a provider reference cannot be empty")]
    Empty,
    /// Longer than [`REFERENCE_CHARS_MAX`].
    #[error("a provider reference has at most {REFERENCE_CHARS_MAX} characters, got {0}")]
    TooLong(usize),
}

/// Longest provider reference accepted; PayPal and AliExpress ids are far shorter.
pub const REFERENCE_CHARS_MAX: usize = 128;

macro_rules! reference {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses a provider reference: trimmed, non-empty, bounded length.
            pub fn parse(text: &str) -> Result<Self, ReferenceError> {
                let text = text.trim();
                let chars = text.chars().count();
                if chars == 0 {
                    Err(ReferenceError::Empty)
                } else if chars > REFERENCE_CHARS_MAX {
                    Err(ReferenceError::TooLong(chars))
                } else {
                    Ok(Self(text.to_owned()))
                }
            }

            /// The reference as the provider wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ReferenceError;

            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(reference: $name) -> String {
                reference.0
            }
        }
    };
}

reference!(
    /// PayPal's id of a checkout order (`id` of the Orders v2 response).
    ProviderOrderId
);
reference!(
    /// PayPal's id of a captured payment (`purchase_units[].payments.captures[].id`).
    CaptureId
);
reference!(
    /// PayPal's id of a refund (`id` of the refund response).
    ProviderRefundId
);
reference!(
    /// PayPal's id of a customer dispute or chargeback (`dispute_id` of the
    /// Disputes API, e.g. `PP-D-27803`).
    ProviderDisputeId
);
reference!(
    /// The supplier's (AliExpress) order id.
    SupplierOrderId
);
reference!(
    /// The supplier's product id.
    SupplierProductId
);
reference!(
    /// The payout provider's id of a payout item (PayPal `payout_item_id`).
    ProviderPayoutId
);
reference!(
    /// A free-text reference a person gave, e.g. a bank transfer reference.
    Reference
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_are_prefixed_by_the_aggregate_name() {
        let uuid = Uuid::from_u128(1);
        assert_eq!(
            OrderId::from_uuid(uuid).stream_id(),
            "order-00000000-0000-0000-0000-000000000001"
        );
        assert!(UserId::from_uuid(uuid).stream_id().starts_with("user-"));
        assert!(PayoutId::from_uuid(uuid).stream_id().starts_with("payout-"));
    }

    #[test]
    fn ids_serialise_as_bare_uuid_strings() {
        let id = SaleId::from_uuid(Uuid::from_u128(2));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"00000000-0000-0000-0000-000000000002\"");
        assert_eq!(serde_json::from_str::<SaleId>(&json).unwrap(), id);
        assert_eq!(id.to_string().parse::<SaleId>().unwrap(), id);
    }

    #[test]
    fn empty_or_overlong_provider_references_are_refused() {
        assert_eq!(CaptureId::parse("  "), Err(ReferenceError::Empty));
        assert_eq!(
            CaptureId::parse(&"x".repeat(129)),
            Err(ReferenceError::TooLong(129))
        );
        assert_eq!(CaptureId::parse(" 3C6 ").unwrap().as_str(), "3C6");
        assert!(serde_json::from_str::<CaptureId>("\"\"").is_err());
    }
}
