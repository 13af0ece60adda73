//! The ADMIN's platform settings and capital: `recordCapitalContribution`
//! with an idempotency key (a retried request records the contribution
//! once; the key reused for another amount is refused), and the settings in
//! force read back with `platformConfig`.

mod api_support;

use api_support::spawn_app;
use serde_json::{json, Value};

const CONTRIBUTE: &str = "mutation($input: RecordCapitalContributionInput!) { recordCapitalContribution(input: $input) { entryId amount { amount currency } userErrors { code message field } } }";

#[tokio::test]
async fn a_contribution_sent_twice_with_one_key_is_recorded_once() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let input = |amount: &str| {
        json!({ "input": {
            "amount": { "amount": amount, "currency": "USD" },
            "reference": "wire 2026-11-25",
            "idempotencyKey": "wire-2026-11-25",
        } })
    };
    let contributions = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM event WHERE event_type = 'CapitalContributed'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap()
    };

    let first = app.graphql(Some(&admin), CONTRIBUTE, input("250.00")).await;
    let second = app.graphql(Some(&admin), CONTRIBUTE, input("250.00")).await;

    let first = &first["data"]["recordCapitalContribution"];
    assert_eq!(first["userErrors"], json!([]), "{first}");
    assert_eq!(second["data"]["recordCapitalContribution"], *first);
    assert_eq!(contributions().await, 1);

    let reused = app.graphql(Some(&admin), CONTRIBUTE, input("999.00")).await;
    assert_eq!(
        reused["data"]["recordCapitalContribution"]["userErrors"][0]["code"],
        "IDEMPOTENCY_KEY_REUSED",
        "{reused}"
    );
    assert_eq!(contributions().await, 1);

    let bad_key = json!({ "input": {
        "amount": { "amount": "1.00", "currency": "USD" },
        "reference": "x",
        "idempotencyKey": "",
    } });
    let refused = app.graphql(Some(&admin), CONTRIBUTE, bad_key).await;
    assert_eq!(
        refused["data"]["recordCapitalContribution"]["userErrors"][0]["field"],
        "input.idempotencyKey",
        "{refused}"
    );
}

#[tokio::test]
async fn the_platform_settings_in_force_are_read_back_and_null_until_first_saved() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let read = "{ platformConfig { commissionPct adminPaypalEmail } }";
    let response = app.graphql(Some(&admin), read, json!({})).await;
    assert_eq!(
        response["data"]["platformConfig"],
        Value::Null,
        "{response}"
    );

    for (pct, email) in [("20", "owner@example.com"), ("12.5", "books@example.com")] {
        let saved = app
            .graphql(
                Some(&admin),
                "mutation($input: SetPlatformConfigInput!) { setPlatformConfig(input: $input) { userErrors { code } } }",
                json!({ "input": { "commissionPct": pct, "adminPaypalEmail": email } }),
            )
            .await;
        assert_eq!(
            saved["data"]["setPlatformConfig"]["userErrors"],
            json!([]),
            "{saved}"
        );
        let response = app.graphql(Some(&admin), read, json!({})).await;
        assert_eq!(
            response["data"]["platformConfig"],
            json!({ "commissionPct": pct, "adminPaypalEmail": email }),
            "{response}"
        );
    }
}
