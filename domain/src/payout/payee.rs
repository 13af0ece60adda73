//! Who a payout goes to.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::ledger::Account;

/// The recipient of a payout: the platform admin (commission) or a user
/// (net profit of the sales of their products).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Payee {
    /// The platform admin, paid the commission.
    Admin,
    /// A seller, paid their net profit.
    User {
        /// The seller.
        user_id: UserId,
    },
}

impl Payee {
    /// The liability account that records what is owed to this payee.
    pub fn payable_account(&self) -> Account {
        match self {
            Payee::Admin => Account::PayableToAdmin,
            Payee::User { user_id } => Account::PayableToUser(*user_id),
        }
    }

    /// The asset account that records what this payee owes back (a refund
    /// after their payout was sent), until netted against their payouts.
    pub fn receivable_account(&self) -> Account {
        match self {
            Payee::Admin => Account::ReceivableFromAdmin,
            Payee::User { user_id } => Account::ReceivableFromUser(*user_id),
        }
    }

    /// The stream of what this payee owes back: `receivable-admin` or
    /// `receivable-user-<uuid>`.
    pub fn receivable_stream_id(&self) -> String {
        match self {
            Payee::Admin => "receivable-admin".to_owned(),
            Payee::User { user_id } => format!("receivable-{}", user_id.stream_id()),
        }
    }
}
