//! Replay equality: read models followed live equal read models rebuilt
//! from scratch, table by table.

mod common;

use common::*;
use dropledger_domain::Currency;
use dropledger_projections::{
    rebuild, rebuild_in_batches, trial_balance, working_capital, AsOf, Projection, RebuildPhase,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projections_followed_live_equal_projections_rebuilt_from_scratch_table_by_table() {
    let (database, store) = database().await;
    // Small and odd batch sizes, so live batches split facts in many places.
    let runners: Vec<_> = [
        (Projection::Ledger, 7),
        (Projection::Commerce, 13),
        (Projection::Audit, 101),
    ]
    .into_iter()
    .map(|(projection, batch)| spawn(&store, projection, batch))
    .collect();
    append_business(&store, 11, 2_000).await;
    let head = head(&store).await;
    assert!(head >= 3_000, "only {head} events generated");
    // The generated business has no autopilot: tests/autopilot.rs covers it.
    let followed = [Projection::Ledger, Projection::Commerce, Projection::Audit];
    wait_until_applied(&store, &followed, head).await;

    let mut live = Vec::new();
    for projection in followed {
        live.push(dump(database.pool(), projection).await);
    }
    let books = trial_balance(database.pool(), Currency::Usd, AsOf::Now)
        .await
        .unwrap();
    assert!(books.is_balanced(), "{books:?}");
    assert!(working_capital(database.pool(), Currency::Usd)
        .await
        .unwrap()
        .real_balance
        .is_positive());

    let mut phases = Vec::new();
    // Small batches, so that what a rebuild keeps between batches is used.
    let report = rebuild_in_batches(&store, None, 97, &mut |progress| {
        phases.push(progress.phase)
    })
    .await
    .unwrap();
    assert_eq!(report.position, head);
    assert_eq!(report.events, head);
    assert_eq!(phases.last(), Some(&RebuildPhase::Done));
    assert!(phases.contains(&RebuildPhase::Loading));

    for (projection, before) in followed.into_iter().zip(live) {
        let after = dump(database.pool(), projection).await;
        for ((table, live_rows), (_, rebuilt_rows)) in before.iter().zip(&after) {
            assert!(!live_rows.is_empty(), "{table} is empty");
            assert_eq!(live_rows.len(), rebuilt_rows.len(), "row count of {table}");
            for (live_row, rebuilt_row) in live_rows.iter().zip(rebuilt_rows) {
                assert_eq!(live_row, rebuilt_row, "a row of {table} differs");
            }
        }
    }
    for (_, task) in runners {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_replaces_a_damaged_read_model_while_a_runner_keeps_following() {
    let (database, store) = database().await;
    let (_runner, task) = spawn(&store, Projection::Commerce, 50);
    let mut log = append_business(&store, 3, 300).await;
    let head = head(&store).await;
    wait_until_applied(&store, &[Projection::Commerce], head).await;
    let before = dump(database.pool(), Projection::Commerce).await;
    // Someone damages the read model by hand.
    sqlx::query("UPDATE projection_commerce.shop_order SET status = 'LOST'")
        .execute(database.pool())
        .await
        .unwrap();
    assert_ne!(dump(database.pool(), Projection::Commerce).await, before);

    rebuild(&store, Some("commerce"), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(dump(database.pool(), Projection::Commerce).await, before);

    // The runner follows on from the swapped-in checkpoint, into the new tables.
    log.more(&store, 50).await;
    let head = common::head(&store).await;
    wait_until_applied(&store, &[Projection::Commerce], head).await;
    let after = dump(database.pool(), Projection::Commerce).await;
    rebuild(&store, Some("commerce"), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(dump(database.pool(), Projection::Commerce).await, after);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_an_unknown_projection_is_refused_by_name() {
    let (_database, store) = database().await;
    let error = rebuild(&store, Some("nope"), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(error, dropledger_projections::ProjectionError::UnknownProjection(name) if name == "nope")
    );
}
