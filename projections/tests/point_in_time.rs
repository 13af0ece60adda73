//! Balances as of a past position equal the books the domain computes from
//! the events up to that position; the trial balance balances at every one.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use dropledger_domain::{Account, Currency};
use dropledger_projections::{
    account_balances, balance_at, general_ledger, trial_balance, working_capital, AsOf, Projection,
};
use rand::{Rng, SeedableRng};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_as_of_a_position_equal_the_books_computed_from_the_events_up_to_it() {
    let (database, store) = database().await;
    append_business(&store, 51, 800).await;
    let head = head(&store).await;
    let (_runner, task) = spawn(&store, Projection::Ledger, 97);
    wait_until_applied(&store, &[Projection::Ledger], head).await;
    task.abort();
    let pool = database.pool();
    let usd = Currency::Usd;

    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut positions: Vec<u64> = (0..12).map(|_| rng.gen_range(1..=head)).collect();
    positions.extend([1, head / 2, head]);
    for position in positions {
        let books = books_at(&store, position).await;
        let accounts: Vec<Account> = books.accounts(usd).collect();
        for &account in accounts
            .iter()
            .chain(&[Account::CashAvailable, Account::SalesRevenue])
        {
            let projected = balance_at(pool, account, usd, AsOf::Position(position))
                .await
                .unwrap();
            assert_eq!(
                projected.totals,
                books.balance(account, usd),
                "{account} at {position}"
            );
        }
        let expected = books.trial_balance(usd).unwrap();
        let projected = trial_balance(pool, usd, AsOf::Position(position))
            .await
            .unwrap();
        assert!(
            projected.is_balanced(),
            "unbalanced at {position}: {projected:?}"
        );
        assert_eq!(projected, expected, "trial balance at {position}");
    }

    // Now, and effective or recorded after everything, is the head's state.
    let books = books_at(&store, head).await;
    let future = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    for as_of in [
        AsOf::Now,
        AsOf::EffectiveAt(future),
        AsOf::RecordedAt(future),
    ] {
        let cash = balance_at(pool, Account::CashAvailable, usd, as_of)
            .await
            .unwrap();
        assert_eq!(
            cash.totals,
            books.balance(Account::CashAvailable, usd),
            "{as_of:?}"
        );
    }
    let past = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let cash = balance_at(pool, Account::CashAvailable, usd, AsOf::EffectiveAt(past))
        .await
        .unwrap();
    assert!(cash.posted.is_zero());

    // Working capital is the cash account seen from the capital side.
    let capital = working_capital(pool, usd).await.unwrap();
    let cash = books.balance(Account::CashAvailable, usd);
    assert_eq!(
        capital.real_balance.amount(),
        cash.posted(Account::CashAvailable)
    );
    assert_eq!(
        capital.free.amount(),
        cash.available(Account::CashAvailable)
    );
    assert_eq!(capital.as_of_position, head);
    let chart = account_balances(pool, usd).await.unwrap();
    assert!(chart.len() >= Account::FIXED.len());

    // The general ledger pages through cash with a running balance that
    // ends at the posted balance.
    let mut after = None;
    let mut last = None;
    loop {
        let page = general_ledger(pool, Account::CashAvailable, usd, 100, after)
            .await
            .unwrap();
        if let Some((cursor, line)) = page.edges.last() {
            after = Some(*cursor);
            last = Some(line.balance);
        }
        if !page.has_next_page {
            break;
        }
    }
    assert_eq!(last.unwrap().amount(), cash.posted(Account::CashAvailable));
}
