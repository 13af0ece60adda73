//! `dropledger replay` and `dropledger status`, run as an operator would.

use std::process::Command;

use dropledger_devdb::TestDatabase;

fn dropledger(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the dropledger binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "dropledger {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn replay_builds_every_read_model_from_the_log_and_status_shows_no_lag() {
    let db = TestDatabase::new().await;
    dropledger(&db.url(), &["demo", "--exit", "--listen", "127.0.0.1:0"]);

    let before = dropledger(&db.url(), &["status"]);
    assert!(
        before.contains("ledger") && before.contains("lag"),
        "{before}"
    );
    let report = dropledger(&db.url(), &["replay"]);
    assert!(
        report.contains("rebuilt ledger, commerce, audit, autopilot"),
        "{report}"
    );

    let after = dropledger(&db.url(), &["status"]);
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(lines.len(), 4, "{after}");
    for line in lines {
        assert!(
            line.contains("lag        0") && line.ends_with("RUNNING"),
            "{line}"
        );
    }
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_commerce.shop_order")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(orders, 6, "the demo's six orders are in the read model");

    let one = dropledger(&db.url(), &["replay", "--projection", "audit"]);
    assert!(one.contains("rebuilt audit from"), "{one}");
}
