//! The private cluster that `dropledger` and the tests start when no server
//! is reachable: created, started, used, and stopped cleanly. It listens on a
//! socket in its own folder only, so it runs beside any other server.

use std::time::Duration;

use dropledger_devdb::{DevDatabaseError, PrivateCluster};
use dropledger_eventstore::{connect_and_migrate, EventStore, ExpectedVersion, Metadata, NewEvent};
use serde_json::json;
use sqlx::{Connection, Executor};

#[tokio::test]
async fn a_private_cluster_is_created_started_used_and_stopped() {
    let data_dir =
        std::env::temp_dir().join(format!("dropledger-cluster-test-{}", std::process::id()));
    let cluster = match PrivateCluster::start(data_dir.clone()).await {
        Ok(cluster) => cluster,
        // A machine that reaches its server through DATABASE_URL may have no
        // server programs; there is nothing to start there.
        Err(DevDatabaseError::Unavailable(reason)) => {
            eprintln!("skipped: {reason}");
            return;
        }
        Err(error) => panic!("the cluster does not start: {error}"),
    };
    assert!(cluster.started_here());
    assert!(cluster.is_running().await);
    assert!(data_dir.join("PG_VERSION").exists());

    let mut admin = sqlx::PgConnection::connect_with(&cluster.connect_options())
        .await
        .expect("the cluster accepts connections on its socket");
    admin.execute("CREATE DATABASE ledger").await.unwrap();
    admin.close().await.unwrap();
    let pool = connect_and_migrate(cluster.connect_options().database("ledger"), 2)
        .await
        .unwrap();
    let store = EventStore::new(pool.clone());
    store
        .append(
            "capital-USD",
            ExpectedVersion::NoStream,
            &[NewEvent::new(
                "CapitalContributed",
                json!({}),
                Metadata::new("system:test"),
            )],
        )
        .await
        .unwrap();
    let status = store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    assert_eq!(status.head, 1);
    pool.close().await;

    cluster.stop().await.expect("the cluster stops");
    assert!(!cluster.is_running().await);
    // Started again over the same folder, it keeps what it stored.
    let again = PrivateCluster::start(data_dir.clone()).await.unwrap();
    assert!(again.started_here());
    let pool = connect_and_migrate(again.connect_options().database("ledger"), 2)
        .await
        .unwrap();
    let kept = EventStore::new(pool.clone()).read_all(0, 10).await.unwrap();
    assert_eq!(kept.len(), 1);
    pool.close().await;
    again.stop().await.unwrap();
    std::fs::remove_dir_all(&data_dir).unwrap();
}
