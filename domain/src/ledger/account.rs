//! The chart of accounts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// The five kinds of account of double-entry bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountKind {
    /// What the platform holds: cash, goods bought for customers.
    Asset,
    /// What the platform owes: customers' prepayments, payouts due.
    Liability,
    /// What the owner put in.
    Equity,
    /// What the platform earned.
    Revenue,
    /// What the platform spent or distributed.
    Expense,
}

impl AccountKind {
    /// Assets and expenses grow with debits; the others grow with credits.
    pub fn is_debit_normal(self) -> bool {
        matches!(self, AccountKind::Asset | AccountKind::Expense)
    }
}

/// An account of the platform's books. One set of accounts per currency:
/// a balance is always asked for an (account, currency) pair.
///
/// Serialised as its code, e.g. `"cash:paypal:available"` or
/// `"payable:user:<uuid>"`; codes are part of the public record and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Account {
    /// Cash in the platform's PayPal balance that can be spent.
    CashAvailable,
    /// Cash captured at PayPal whose capture is not yet COMPLETED.
    CashPending,
    /// Cash PayPal holds back while a customer's dispute or chargeback is
    /// open: still the platform's until the dispute is lost.
    CashDisputed,
    /// Goods bought from the supplier for orders not yet recorded as sales.
    GoodsInTransit,
    /// PayPal fees withheld on captures of orders not yet recorded as sales.
    PrepaidPaymentFees,
    /// Customers' money captured for orders not yet recorded as sales.
    CustomerPrepayments,
    /// Commission owed to the platform admin.
    PayableToAdmin,
    /// Net profit owed to one user (a seller).
    PayableToUser(UserId),
    /// What the admin owes back: commission reversed by a refund after its
    /// payout was sent, until netted against the admin's next payouts.
    ReceivableFromAdmin,
    /// What one seller owes back: their share of a refund after their
    /// payout was sent, until netted against their next payouts.
    ReceivableFromUser(UserId),
    /// What the supplier owes back: the cost of purchases it cancelled or
    /// closed after accepting them, until its refund arrives.
    ReceivableFromSupplier,
    /// Money the owner contributed as working capital.
    OwnerCapital,
    /// Sales price of recorded sales.
    SalesRevenue,
    /// Refunds of recorded sales: a contra-revenue account (its balance is
    /// a debit), so revenue keeps the sales as made and refunds show apart.
    SalesRefunds,
    /// Supplier cost of goods sold.
    SupplierCost,
    /// Payment provider fees of sold orders, and fees lost on refunds.
    PaymentFees,
    /// The platform commission, distributed to the admin.
    CommissionShare,
    /// The sellers' net profit, distributed to the sellers.
    SellerShare,
    /// Fees the payout provider charges the platform for sending payouts.
    PayoutFees,
    /// Fees PayPal charges for a dispute or chargeback the platform lost.
    ChargebackFees,
}

/// The text is not the code of an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an account code")]
pub struct UnknownAccount(pub String);

const USER_PAYABLE_PREFIX: &str = "payable:user:";
const USER_RECEIVABLE_PREFIX: &str = "receivable:user:";

impl Account {
    /// Every fixed account (all but the per-user payables), in chart order.
    pub const FIXED: [Account; 18] = [
        Account::CashAvailable,
        Account::CashPending,
        Account::CashDisputed,
        Account::GoodsInTransit,
        Account::PrepaidPaymentFees,
        Account::CustomerPrepayments,
        Account::PayableToAdmin,
        Account::ReceivableFromAdmin,
        Account::ReceivableFromSupplier,
        Account::OwnerCapital,
        Account::SalesRevenue,
        Account::SalesRefunds,
        Account::SupplierCost,
        Account::PaymentFees,
        Account::CommissionShare,
        Account::SellerShare,
        Account::PayoutFees,
        Account::ChargebackFees,
    ];

    /// The stable code, e.g. `"cash:paypal:available"`.
    pub fn code(&self) -> String {
        let code = match self {
            Account::CashAvailable => "cash:paypal:available",
            Account::CashPending => "cash:paypal:pending",
            Account::CashDisputed => "cash:paypal:disputed",
            Account::GoodsInTransit => "goods_in_transit",
            Account::PrepaidPaymentFees => "prepaid_payment_fees",
            Account::CustomerPrepayments => "customer_prepayments",
            Account::PayableToAdmin => "payable:admin",
            Account::PayableToUser(user) => return format!("{USER_PAYABLE_PREFIX}{user}"),
            Account::ReceivableFromAdmin => "receivable:admin",
            Account::ReceivableFromUser(user) => return format!("{USER_RECEIVABLE_PREFIX}{user}"),
            Account::ReceivableFromSupplier => "receivable:supplier",
            Account::OwnerCapital => "equity:owner_capital",
            Account::SalesRevenue => "revenue:sales",
            Account::SalesRefunds => "revenue:sales_refunds",
            Account::SupplierCost => "expense:supplier_cost",
            Account::PaymentFees => "expense:payment_fees",
            Account::CommissionShare => "expense:commission_share",
            Account::SellerShare => "expense:seller_share",
            Account::PayoutFees => "expense:payout_fees",
            Account::ChargebackFees => "expense:chargeback_fees",
        };
        code.to_owned()
    }

    /// Parses an account code.
    pub fn parse(code: &str) -> Result<Account, UnknownAccount> {
        if let Some(user) = code.strip_prefix(USER_PAYABLE_PREFIX) {
            return user
                .parse()
                .map(Account::PayableToUser)
                .map_err(|_| UnknownAccount(code.to_owned()));
        }
        if let Some(user) = code.strip_prefix(USER_RECEIVABLE_PREFIX) {
            return user
                .parse()
                .map(Account::ReceivableFromUser)
                .map_err(|_| UnknownAccount(code.to_owned()));
        }
        Account::FIXED
            .into_iter()
            .find(|account| account.code() == code)
            .ok_or_else(|| UnknownAccount(code.to_owned()))
    }

    /// A name for people, e.g. in a trial balance.
    pub fn name(&self) -> String {
        let name = match self {
            Account::CashAvailable => "Cash at PayPal — available",
            Account::CashPending => "Cash at PayPal — pending",
            Account::CashDisputed => "Cash at PayPal — held for disputes",
            Account::GoodsInTransit => "Goods in transit",
            Account::PrepaidPaymentFees => "Prepaid payment fees",
            Account::CustomerPrepayments => "Customer prepayments",
            Account::PayableToAdmin => "Payable to admin (commission)",
            Account::PayableToUser(user) => return format!("Payable to user {user}"),
            Account::ReceivableFromAdmin => "Receivable from admin (commission reversed)",
            Account::ReceivableFromUser(user) => return format!("Receivable from user {user}"),
            Account::ReceivableFromSupplier => "Receivable from supplier (cancelled purchases)",
            Account::OwnerCapital => "Owner's capital",
            Account::SalesRevenue => "Sales revenue",
            Account::SalesRefunds => "Sales refunds (contra revenue)",
            Account::SupplierCost => "Supplier cost (cost of goods sold)",
            Account::PaymentFees => "Payment fees",
            Account::CommissionShare => "Commission share",
            Account::SellerShare => "Seller profit share",
            Account::PayoutFees => "Payout fees",
            Account::ChargebackFees => "Chargeback fees",
        };
        name.to_owned()
    }

    /// Which kind of account this is.
    pub fn kind(&self) -> AccountKind {
        match self {
            Account::CashAvailable
            | Account::CashPending
            | Account::CashDisputed
            | Account::GoodsInTransit
            | Account::PrepaidPaymentFees
            | Account::ReceivableFromAdmin
            | Account::ReceivableFromUser(_)
            | Account::ReceivableFromSupplier => AccountKind::Asset,
            Account::CustomerPrepayments | Account::PayableToAdmin | Account::PayableToUser(_) => {
                AccountKind::Liability
            }
            Account::OwnerCapital => AccountKind::Equity,
            Account::SalesRevenue | Account::SalesRefunds => AccountKind::Revenue,
            Account::SupplierCost
            | Account::PaymentFees
            | Account::CommissionShare
            | Account::SellerShare
            | Account::PayoutFees
            | Account::ChargebackFees => AccountKind::Expense,
        }
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl TryFrom<String> for Account {
    type Error = UnknownAccount;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Account::parse(&code)
    }
}

impl From<Account> for String {
    fn from(account: Account) -> String {
        account.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn every_account_code_parses_back_to_the_account() {
        let user = Account::PayableToUser(UserId::from_uuid(Uuid::from_u128(7)));
        let owes = Account::ReceivableFromUser(UserId::from_uuid(Uuid::from_u128(7)));
        for account in Account::FIXED.into_iter().chain([user, owes]) {
            assert_eq!(Account::parse(&account.code()), Ok(account));
        }
        assert_eq!(
            user.code(),
            "payable:user:00000000-0000-0000-0000-000000000007"
        );
    }

    #[test]
    fn unknown_account_codes_are_refused() {
        assert!(Account::parse("cash").is_err());
        assert!(Account::parse("payable:user:not-a-uuid").is_err());
    }

    #[test]
    fn assets_and_expenses_are_debit_normal() {
        assert!(Account::CashAvailable.kind().is_debit_normal());
        assert!(Account::SellerShare.kind().is_debit_normal());
        assert!(!Account::OwnerCapital.kind().is_debit_normal());
        assert!(!Account::PayableToAdmin.kind().is_debit_normal());
        assert!(!Account::SalesRevenue.kind().is_debit_normal());
    }
}
