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
}
