//! The books, for ADMIN and ACCOUNTANT: `workingCapital`, `accounts`,
//! `balance` (now or as of a past moment) and `trialBalance`, all read from
//! the ledger read model.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use dropledger_domain::{Account, AccountKind as DomainKind, Currency};
use dropledger_projections::{
    account_balances, balance_at, trial_balance, working_capital, AsOf, BalanceView, Projection,
};

use crate::auth::Role;
use crate::consistency::wait_for_read_models;
use crate::context::parts;
use crate::errors::{internal, top_level, UserError};
use crate::money::Money;
use crate::orders::require;

/// The platform's currency: what `currency` means when a ledger query is
/// not given one. The fake providers and the demo run in it too.
pub const PLATFORM_CURRENCY: Currency = Currency::Usd;
/// Who reads the books.
const BOOKKEEPERS: [Role; 2] = [Role::Admin, Role::Accountant];

/// The currency asked for, or the platform's; an unknown code is an
/// `INVALID_INPUT` naming `currency`.
fn currency(currency: Option<&str>) -> async_graphql::Result<Currency> {
    match currency {
        None => Ok(PLATFORM_CURRENCY),
        Some(code) => {
            Currency::parse(code).map_err(|error| top_level(UserError::invalid("currency", error)))
        }
    }
}

/// The moment of `asOf` / `asOfPosition` (at most one of them).
fn moment(at: Option<DateTime<Utc>>, position: Option<i64>) -> async_graphql::Result<AsOf> {
    match (at, position) {
        (Some(_), Some(_)) => Err(top_level(UserError::invalid(
            "asOfPosition",
            "give asOf or asOfPosition, not both",
        ))),
        (Some(at), None) => Ok(AsOf::RecordedAt(at)),
        (None, Some(position)) => u64::try_from(position)
            .map(AsOf::Position)
            .map_err(|_| top_level(UserError::invalid("asOfPosition", "must be 0 or more"))),
        (None, None) => Ok(AsOf::Now),
    }
}

/// Working capital in one currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct WorkingCapital {
    /// Posted cash at PayPal that can be spent.
    pub real_balance: Money,
    /// Open holds on it: capital committed to purchases and payouts.
    pub committed: Money,
    /// Real balance minus committed: what a new purchase may use.
    pub free: Money,
    /// Captured cash whose capture is still pending at PayPal.
    pub pending_cash: Money,
    /// The currency.
    pub currency: String,
    /// The log position the ledger read model had applied for these amounts.
    pub as_of_position: i64,
}

/// The five kinds of account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum AccountKind {
    /// Grows with debits: what the platform holds.
    Asset,
    /// Grows with credits: what the platform owes.
    Liability,
    /// Grows with credits: what the owner put in.
    Equity,
    /// Grows with credits: what the platform earned.
    Revenue,
    /// Grows with debits: what the platform spent or distributed.
    Expense,
}

impl From<DomainKind> for AccountKind {
    fn from(kind: DomainKind) -> Self {
        match kind {
            DomainKind::Asset => Self::Asset,
            DomainKind::Liability => Self::Liability,
            DomainKind::Equity => Self::Equity,
            DomainKind::Revenue => Self::Revenue,
            DomainKind::Expense => Self::Expense,
        }
    }
}

/// An account of the chart with its balance in one currency (amounts on
/// the account's normal side).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "LedgerAccount")]
pub struct LedgerAccount {
    /// The stable code, e.g. `cash:paypal:available`.
    pub code: String,
    /// A name for people.
    pub name: String,
    /// Asset, liability, equity, revenue or expense.
    pub kind: AccountKind,
    /// Posted balance.
    pub posted: Money,
    /// Pending change from open holds.
    pub pending: Money,
    /// Posted plus pending.
    pub available: Money,
}

impl From<BalanceView> for LedgerAccount {
    fn from(view: BalanceView) -> Self {
        Self {
            code: view.account.code(),
            name: view.account.name(),
            kind: view.account.kind().into(),
            posted: view.posted.into(),
            pending: view.pending.into(),
            available: view.available.into(),
        }
    }
}

/// One account's balance at a moment.
#[derive(Debug, Clone, SimpleObject)]
pub struct Balance {
    /// The account's code.
    pub account: String,
    /// Posted balance.
    pub posted: Money,
    /// Pending change from open holds.
    pub pending: Money,
    /// Posted plus pending.
    pub available: Money,
}

/// One account's line of the trial balance.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrialBalanceLine {
    /// The account's code.
    pub account: String,
    /// A name for people.
    pub name: String,
    /// Net debit balance (zero when the account is net credit).
    pub debit: Money,
    /// Net credit balance (zero when the account is net debit).
    pub credit: Money,
}

/// Posted balances of every account that had seen a posting by then; the
/// totals are equal at every position.
#[derive(Debug, Clone, SimpleObject)]
pub struct TrialBalance {
    /// The currency.
    pub currency: String,
    /// One line per account, in chart order.
    pub lines: Vec<TrialBalanceLine>,
    /// Sum of the debit column.
    pub total_debit: Money,
    /// Sum of the credit column.
    pub total_credit: Money,
}

/// The books.
#[derive(Default)]
pub struct BooksQuery;

#[Object]
impl BooksQuery {
    /// Working capital in `currency` (default: the platform's). ADMIN and
    /// ACCOUNTANT. `consistentAfter`: wait (up to 5 s) until the ledger read
    /// model has applied this log position, e.g. a mutation's `position`.
    async fn working_capital(
        &self,
        ctx: &Context<'_>,
        currency: Option<String>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<WorkingCapital> {
        let (services, request) = parts(ctx);
        require(&request, &BOOKKEEPERS)?;
        let currency = self::currency(currency.as_deref())?;
        wait_for_read_models(services, &request, &[Projection::Ledger], consistent_after).await?;
        let view = working_capital(services.store.pool(), currency)
            .await
            .map_err(|error| internal(&error))?;
        Ok(WorkingCapital {
            real_balance: view.real_balance.into(),
            committed: view.committed.into(),
            free: view.free.into(),
            pending_cash: view.pending_cash.into(),
            currency: view.currency.code().to_owned(),
            as_of_position: view.as_of_position as i64,
        })
    }

    /// The chart of accounts with balances in `currency` (default: the
    /// platform's). ADMIN and ACCOUNTANT. `consistentAfter` as above.
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        currency: Option<String>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<Vec<LedgerAccount>> {
        let (services, request) = parts(ctx);
        require(&request, &BOOKKEEPERS)?;
        let currency = self::currency(currency.as_deref())?;
        wait_for_read_models(services, &request, &[Projection::Ledger], consistent_after).await?;
        let accounts = account_balances(services.store.pool(), currency)
            .await
            .map_err(|error| internal(&error))?;
        Ok(accounts.into_iter().map(Into::into).collect())
    }

    /// One account (`account`: its code, e.g. `cash:paypal:available`, as
    /// `accounts` lists them) and its balance now, as of a recorded time
    /// (`asOf`: what the books said then) or as of a log position
    /// (`asOfPosition`). ADMIN and ACCOUNTANT. `consistentAfter` as above.
    async fn balance(
        &self,
        ctx: &Context<'_>,
        account: String,
        currency: Option<String>,
        as_of: Option<DateTime<Utc>>,
        as_of_position: Option<i64>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<Balance> {
        let (services, request) = parts(ctx);
        require(&request, &BOOKKEEPERS)?;
        let account = Account::parse(account.trim()).map_err(|error| {
            top_level(UserError::invalid(
                "account",
                format!("{error}; see `accounts` for the codes"),
            ))
        })?;
        let currency = self::currency(currency.as_deref())?;
        let moment = moment(as_of, as_of_position)?;
        wait_for_read_models(services, &request, &[Projection::Ledger], consistent_after).await?;
        let view = balance_at(services.store.pool(), account, currency, moment)
            .await
            .map_err(|error| internal(&error))?;
        Ok(Balance {
            account: view.account.code(),
            posted: view.posted.into(),
            pending: view.pending.into(),
            available: view.available.into(),
        })
    }

    /// The trial balance of posted amounts in `currency` (default: the
    /// platform's), now, as of a recorded time or a log position. ADMIN and
    /// ACCOUNTANT. `consistentAfter` as above.
    async fn trial_balance(
        &self,
        ctx: &Context<'_>,
        currency: Option<String>,
        as_of: Option<DateTime<Utc>>,
        as_of_position: Option<i64>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<TrialBalance> {
        let (services, request) = parts(ctx);
        require(&request, &BOOKKEEPERS)?;
        let currency = self::currency(currency.as_deref())?;
        let moment = moment(as_of, as_of_position)?;
        wait_for_read_models(services, &request, &[Projection::Ledger], consistent_after).await?;
        let balance = trial_balance(services.store.pool(), currency, moment)
            .await
            .map_err(|error| internal(&error))?;
        Ok(TrialBalance {
            currency: balance.currency.code().to_owned(),
            lines: balance
                .lines
                .into_iter()
                .map(|line| TrialBalanceLine {
                    account: line.account.code(),
                    name: line.account.name(),
                    debit: line.debit.into(),
                    credit: line.credit.into(),
                })
                .collect(),
            total_debit: balance.total_debit.into(),
            total_credit: balance.total_credit.into(),
        })
    }
}
