//! Balances now and as of any past moment, the trial balance, the general
//! ledger and working capital.

use chrono::{DateTime, Utc};
use dropledger_domain::{Account, AccountBalance, Currency, Money, TrialBalance, TrialBalanceLine};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::page::{page_size, Cursor, Page};
use crate::QueryError;

/// The moment a balance is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// What the ledger projection has applied so far.
    Now,
    /// After the event at this global position (and every one before it).
    Position(u64),
    /// After every event the store had recorded by this time: the last
    /// ledger line recorded at or before it, by recorded time then position.
    RecordedAt(DateTime<Utc>),
    /// Counting every posting and hold movement that took effect (provider
    /// time) at or before this time, whenever it was recorded.
    EffectiveAt(DateTime<Utc>),
}

/// One account's balance in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceView {
    /// The account.
    pub account: Account,
    /// The currency.
    pub currency: Currency,
    /// The four totals (posted and pending debits and credits).
    pub totals: AccountBalance,
    /// Posted balance on the account's normal side.
    pub posted: Money,
    /// Pending change from open holds, on the normal side.
    pub pending: Money,
    /// Posted plus pending.
    pub available: Money,
}

/// An account of the chart with its balance (the API's `accounts`).
pub type AccountView = BalanceView;

/// One posting line of an account, with the balance after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneralLedgerLine {
    /// The event's global position.
    pub position: u64,
    /// The event's type.
    pub event_type: String,
    /// The journal entry.
    pub entry_id: Option<Uuid>,
    /// When the money moved.
    pub effective_at: DateTime<Utc>,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Debited to the account.
    pub debit: Money,
    /// Credited to the account.
    pub credit: Money,
    /// Posted balance after the line, on the account's normal side.
    pub balance: Money,
}

/// Working capital in one currency (all amounts in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCapitalView {
    /// The currency.
    pub currency: Currency,
    /// Posted cash at PayPal that can be spent.
    pub real_balance: Money,
    /// Open holds on it: capital committed to purchases and payouts.
    pub committed: Money,
    /// Real balance minus committed.
    pub free: Money,
    /// Captured cash whose capture is still pending at PayPal.
    pub pending_cash: Money,
    /// The ledger projection's position these amounts are at.
    pub as_of_position: u64,
}

fn money(amount: Decimal, currency: Currency) -> Result<Money, QueryError> {
    Money::new(amount, currency).map_err(|error| QueryError::Corrupt(error.to_string()))
}

fn view(
    account: Account,
    currency: Currency,
    totals: AccountBalance,
) -> Result<BalanceView, QueryError> {
    Ok(BalanceView {
        account,
        currency,
        totals,
        posted: money(totals.posted(account), currency)?,
        pending: money(totals.pending(account), currency)?,
        available: money(totals.available(account), currency)?,
    })
}

fn totals(row: &PgRow, first: usize) -> AccountBalance {
    let get = |i: usize| row.get::<Option<Decimal>, _>(first + i).unwrap_or_default();
    AccountBalance {
        debits_posted: get(0),
        credits_posted: get(1),
        debits_pending: get(2),
        credits_pending: get(3),
    }
}

/// Totals of the accounts of `currency` (or only `account`) as of `as_of`.
async fn totals_as_of(
    pool: &PgPool,
    currency: Currency,
    account: Option<Account>,
    as_of: AsOf,
) -> Result<Vec<(Account, AccountBalance)>, QueryError> {
    let code = account.map(|account| account.code());
    let position = match as_of {
        AsOf::Position(position) => Some(position as i64),
        AsOf::RecordedAt(time) => Some(
            sqlx::query_scalar::<_, i64>(
                "SELECT position FROM projection_ledger.ledger_recorded WHERE recorded_at <= $1 \
                 ORDER BY recorded_at DESC LIMIT 1",
            )
            .bind(time)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0),
        ),
        AsOf::Now | AsOf::EffectiveAt(_) => None,
    };
    let query = match (as_of, position) {
        (_, Some(position)) => sqlx::query(
            "SELECT b.account, l.running_debits_posted, l.running_credits_posted, \
             l.running_debits_pending, l.running_credits_pending \
             FROM projection_ledger.account_balance b CROSS JOIN LATERAL ( \
               SELECT * FROM projection_ledger.ledger_line l \
               WHERE l.account = b.account AND l.currency = b.currency AND l.position <= $3 \
               ORDER BY l.position DESC LIMIT 1) l \
             WHERE b.currency = $1 AND ($2::text IS NULL OR b.account = $2) ORDER BY b.account",
        )
        .bind(currency.code())
        .bind(&code)
        .bind(position),
        (AsOf::EffectiveAt(time), None) => sqlx::query(
            "SELECT account, sum(debit_posted), sum(credit_posted), sum(debit_pending), \
             sum(credit_pending) FROM projection_ledger.ledger_line \
             WHERE currency = $1 AND ($2::text IS NULL OR account = $2) AND effective_at <= $3 \
             GROUP BY account ORDER BY account",
        )
        .bind(currency.code())
        .bind(&code)
        .bind(time),
        _ => sqlx::query(
            "SELECT account, debits_posted, credits_posted, debits_pending, credits_pending \
             FROM projection_ledger.account_balance \
             WHERE currency = $1 AND ($2::text IS NULL OR account = $2) ORDER BY account",
        )
        .bind(currency.code())
        .bind(&code),
    };
    let rows = query.fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            let code: String = row.get(0);
            let account = Account::parse(&code).map_err(|e| QueryError::Corrupt(e.to_string()))?;
            Ok((account, totals(row, 1)))
        })
        .collect()
}

/// Every account of the chart in `currency` (the fixed accounts, and every
/// per-user payable that has seen a posting or a hold) with its balance now.
pub async fn account_balances(
    pool: &PgPool,
    currency: Currency,
) -> Result<Vec<AccountView>, QueryError> {
    let touched = totals_as_of(pool, currency, None, AsOf::Now).await?;
    let mut accounts: Vec<(Account, AccountBalance)> = Account::FIXED
        .into_iter()
        .map(|account| {
            let found = touched.iter().find(|(a, _)| *a == account);
            (account, found.map(|(_, t)| *t).unwrap_or_default())
        })
        .collect();
    accounts.extend(
        touched
            .iter()
            .filter(|(account, _)| !Account::FIXED.contains(account))
            .copied(),
    );
    accounts
        .into_iter()
        .map(|(account, totals)| view(account, currency, totals))
        .collect()
}

/// One account's balance in `currency` as of a moment (zero if untouched by then).
pub async fn balance_at(
    pool: &PgPool,
    account: Account,
    currency: Currency,
    as_of: AsOf,
) -> Result<BalanceView, QueryError> {
    let found = totals_as_of(pool, currency, Some(account), as_of).await?;
    let totals = found.first().map(|(_, t)| *t).unwrap_or_default();
    view(account, currency, totals)
}

/// The trial balance of posted amounts in `currency` as of a moment: one
/// line per account that had seen a posting or a hold by then.
pub async fn trial_balance(
    pool: &PgPool,
    currency: Currency,
    as_of: AsOf,
) -> Result<TrialBalance, QueryError> {
    let mut accounts = totals_as_of(pool, currency, None, as_of).await?;
    // In chart order, as the domain's trial balance lists them.
    accounts.sort_by_key(|(account, _)| *account);
    let mut lines = Vec::with_capacity(accounts.len());
    let (mut total_debit, mut total_credit) = (Decimal::ZERO, Decimal::ZERO);
    for (account, totals) in accounts {
        let net = totals.debits_posted - totals.credits_posted;
        let (debit, credit) = (net.max(Decimal::ZERO), (-net).max(Decimal::ZERO));
        total_debit += debit;
        total_credit += credit;
        lines.push(TrialBalanceLine {
            account,
            debit: money(debit, currency)?,
            credit: money(credit, currency)?,
        });
    }
    Ok(TrialBalance {
        currency,
        lines,
        total_debit: money(total_debit, currency)?,
        total_credit: money(total_credit, currency)?,
    })
}

/// An account's posted lines in `currency`, oldest first, each with the
/// posted balance after it (the general ledger, for accountants).
pub async fn general_ledger(
    pool: &PgPool,
    account: Account,
    currency: Currency,
    first: usize,
    after: Option<Cursor>,
) -> Result<Page<GeneralLedgerLine>, QueryError> {
    let first = page_size(first);
    let rows = sqlx::query(
        "SELECT position, event_type, entry_id, effective_at, recorded_at, debit_posted, \
         credit_posted, running_debits_posted, running_credits_posted \
         FROM projection_ledger.ledger_line \
         WHERE account = $1 AND currency = $2 AND position > $3 \
         AND (debit_posted <> 0 OR credit_posted <> 0) ORDER BY position LIMIT $4",
    )
    .bind(account.code())
    .bind(currency.code())
    .bind(after.map_or(0, Cursor::position) as i64)
    .bind(first as i64 + 1)
    .fetch_all(pool)
    .await?;
    let debit_normal = account.kind().is_debit_normal();
    let lines = rows
        .iter()
        .map(|row| {
            let position = row.get::<i64, _>(0) as u64;
            let (debits, credits): (Decimal, Decimal) = (row.get(7), row.get(8));
            let balance = if debit_normal {
                debits - credits
            } else {
                credits - debits
            };
            Ok((
                position,
                GeneralLedgerLine {
                    position,
                    event_type: row.get(1),
                    entry_id: row.get(2),
                    effective_at: row.get(3),
                    recorded_at: row.get(4),
                    debit: money(row.get(5), currency)?,
                    credit: money(row.get(6), currency)?,
                    balance: money(balance, currency)?,
                },
            ))
        })
        .collect::<Result<Vec<_>, QueryError>>()?;
    Ok(Page::from_rows(lines, first))
}

/// Working capital in `currency`: real balance, committed, free.
pub async fn working_capital(
    pool: &PgPool,
    currency: Currency,
) -> Result<WorkingCapitalView, QueryError> {
    // One statement, so that the balances and the position are of one snapshot.
    let row = sqlx::query(
        "SELECT (SELECT position FROM projection_checkpoint WHERE name = 'ledger'), \
         a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending, \
         p.debits_posted, p.credits_posted \
         FROM (SELECT 1) one \
         LEFT JOIN projection_ledger.account_balance a \
           ON a.account = $1 AND a.currency = $3 \
         LEFT JOIN projection_ledger.account_balance p \
           ON p.account = $2 AND p.currency = $3",
    )
    .bind(Account::CashAvailable.code())
    .bind(Account::CashPending.code())
    .bind(currency.code())
    .fetch_one(pool)
    .await?;
    let position: Option<i64> = row.get(0);
    let cash = totals(&row, 1);
    let get = |i: usize| row.get::<Option<Decimal>, _>(i).unwrap_or_default();
    let real = cash.posted(Account::CashAvailable);
    let committed = -cash.pending(Account::CashAvailable);
    Ok(WorkingCapitalView {
        currency,
        real_balance: money(real, currency)?,
        committed: money(committed, currency)?,
        free: money(real - committed, currency)?,
        pending_cash: money(get(5) - get(6), currency)?,
        as_of_position: position.unwrap_or(0) as u64,
    })
}
