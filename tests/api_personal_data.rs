//! Personal data stays out of the permanent log (issue 15, item 3): events
//! carry it sealed under a per-user key, `deleteMyData` destroys the key,
//! and events stored in plaintext by earlier versions are read through
//! upcasters and hidden once their user is erased.

mod api_support;

use std::time::Duration;

use api_support::{run_command, spawn_app, App};
use dropledger_eventstore::{EventStore, ExpectedVersion, Metadata, NewEvent};
use serde_json::{json, Value};
use uuid::Uuid;

const PASSWORD: &str = "correct horse";

/// Every event payload of the log, as stored.
async fn stored_payloads(app: &App) -> String {
    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload::text FROM event")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    payloads.join("\n")
}

/// Registers `email` paid at `payout`; token and id.
async fn register(app: &App, email: &str, payout: &str) -> (String, String) {
    let response = app
        .graphql(
            None,
            "mutation($input: RegisterInput!) { register(input: $input) { token user { id } userErrors { code message } } }",
            json!({ "input": { "email": email, "password": PASSWORD, "paypalPayoutEmail": payout } }),
        )
        .await;
    let payload = &response["data"]["register"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    (
        payload["token"].as_str().unwrap().to_owned(),
        payload["user"]["id"].as_str().unwrap().to_owned(),
    )
}

async fn set_payout_email(app: &App, token: &str, email: &str) {
    let response = app
        .graphql(
            Some(token),
            "mutation($input: SetPayoutMethodInput!) { setPayoutMethod(input: $input) { userErrors { code message } } }",
            json!({ "input": { "method": "PAYPAL", "destination": email, "currentPassword": PASSWORD } }),
        )
        .await;
    assert_eq!(
        response["data"]["setPayoutMethod"]["userErrors"],
        json!([]),
        "{response}"
    );
}

async fn delete_my_data(app: &App, token: Option<&str>, password: &str) -> Value {
    let response = app
        .graphql(
            token,
            "mutation($input: DeleteMyDataInput!) { deleteMyData(input: $input) { erased position userErrors { code message field } } }",
            json!({ "input": { "currentPassword": password } }),
        )
        .await;
    response["data"]["deleteMyData"].clone()
}

/// The `users` list as an ADMIN reads it, by id.
async fn users(app: &App, admin: &str) -> Vec<Value> {
    let response = app
        .graphql(
            Some(admin),
            "{ users(first: 50) { edges { node { id email erased paypalPayoutEmail payoutMethodChanges { destinationHint } } } } }",
            json!({}),
        )
        .await;
    response["data"]["users"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// `id`'s node in the `users` list, once the read model lists them.
async fn user_node(app: &App, admin: &str, id: &str) -> Value {
    for _ in 0..50 {
        if let Some(user) = users(app, admin)
            .await
            .into_iter()
            .find(|user| user["id"] == id)
        {
            return user;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("user {id} is not listed")
}

/// The whole log as ADMIN reads it through `events`.
async fn events_as_read(app: &App, admin: &str) -> String {
    let response = app
        .graphql(
            Some(admin),
            "{ events(first: 200) { edges { node { eventType payload } } } }",
            json!({}),
        )
        .await;
    assert!(response["errors"].is_null(), "{response}");
    response["data"]["events"].to_string()
}

#[tokio::test]
async fn no_event_payload_holds_the_e_mails_given_at_registration_payout_change_or_platform_config()
{
    let app = spawn_app().await;
    let (admin, _) = register(&app, "owner.signin@example.com", "owner.payout@example.com").await;
    let (ana, _) = register(&app, "ana.signin@example.com", "ana.payout@example.com").await;
    set_payout_email(&app, &ana, "ana.newpayout@example.com").await;
    let configured = app
        .graphql(
            Some(&admin),
            "mutation { setPlatformConfig(input: { commissionPct: \"10\", adminPaypalEmail: \"platform.commission@example.com\" }) { userErrors { code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        configured["data"]["setPlatformConfig"]["userErrors"],
        json!([]),
        "{configured}"
    );

    let payloads = stored_payloads(&app).await;
    assert!(payloads.contains("UserRegistered") && payloads.contains("PlatformConfigured"));
    for plaintext in [
        "owner.signin@",
        "owner.payout@",
        "ana.signin@",
        "ana.payout@",
        "ana.newpayout@",
        "platform.commission@",
    ] {
        assert!(
            !payloads.contains(plaintext),
            "{plaintext} is in the log in plaintext:\n{payloads}"
        );
    }

    // The owner and the ADMIN still read them through the API.
    let me = app
        .graphql(Some(&ana), "{ me { email paypalPayoutEmail } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"],
        json!({ "email": "ana.signin@example.com", "paypalPayoutEmail": "ana.newpayout@example.com" }),
        "{me}"
    );
    let config = app
        .graphql(
            Some(&admin),
            "{ platformConfig { adminPaypalEmail } }",
            json!({}),
        )
        .await;
    assert_eq!(
        config["data"]["platformConfig"]["adminPaypalEmail"], "platform.commission@example.com",
        "{config}"
    );
}

#[tokio::test]
async fn delete_my_data_erases_the_user_everywhere_and_leaves_the_log_and_books_intact() {
    let app = spawn_app().await;
    let (admin, _) = register(&app, "owner@example.com", "owner@example.com").await;
    let (ana, ana_id) = register(&app, "ana@example.com", "ana.pay@example.com").await;
    set_payout_email(&app, &ana, "ana.new@example.com").await;
    let before = user_node(&app, &admin, &ana_id).await;
    assert_eq!(before["email"], "ana@example.com");
    assert_eq!(before["erased"], false);

    let erased = delete_my_data(&app, Some(&ana), PASSWORD).await;
    assert_eq!(erased["userErrors"], json!([]), "{erased}");
    assert_eq!(erased["erased"], true);

    // Nobody signs in to it again.
    let login = app.login("ana@example.com", PASSWORD).await;
    assert!(login["token"].is_null(), "{login}");
    assert_eq!(login["userErrors"][0]["code"], "UNAUTHENTICATED");

    // Every read path shows it as erased.
    let after = user_node(&app, &admin, &ana_id).await;
    assert_eq!(after["erased"], true, "{after}");
    assert!(after["email"].is_null(), "{after}");
    assert!(after["paypalPayoutEmail"].is_null(), "{after}");
    let hints = after["payoutMethodChanges"].to_string();
    assert!(
        hints.contains("erased") && !hints.contains("example.com"),
        "{hints}"
    );
    let log = events_as_read(&app, &admin).await;
    assert!(log.contains("PersonalDataErased"), "{log}");
    assert!(!log.contains("@example.com"), "{log}");
    let me = app
        .graphql(Some(&ana), "{ me { email erased } }", json!({}))
        .await;
    assert_eq!(
        me["data"]["me"],
        json!({ "email": null, "erased": true }),
        "{me}"
    );
    let account: String = sqlx::query_scalar("SELECT email FROM account WHERE user_id = $1::uuid")
        .bind(&ana_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(!account.contains("ana"), "{account}");

    // Setting a payout e-mail again is refused: the data key is gone.
    let again = app
        .graphql(
            Some(&ana),
            "mutation { setPayoutMethod(input: { method: PAYPAL, destination: \"x@example.com\", currentPassword: \"correct horse\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_ne!(
        again["data"]["setPayoutMethod"]["userErrors"],
        json!([]),
        "{again}"
    );

    // The hash chain holds, the books balance, and a replay rebuilds the
    // same read models.
    let (verified, stdout, stderr) = run_command(&app.db.url(), &["verify"], "").await;
    assert!(verified, "{stdout}{stderr}");
    let live = read_models(&app).await;
    let store = EventStore::new(app.db.pool().clone());
    store.wait_for_log(Duration::from_secs(10)).await.unwrap();
    dropledger_projections::rebuild(&store, None, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(read_models(&app).await, live);
    let trial = app
        .graphql(
            Some(&admin),
            "{ trialBalance { totalDebit { amount } totalCredit { amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        trial["data"]["trialBalance"]["totalDebit"], trial["data"]["trialBalance"]["totalCredit"],
        "{trial}"
    );

    // The address may register again, as somebody new.
    let (_, new_id) = register(&app, "ana@example.com", "ana@example.com").await;
    assert_ne!(new_id, ana_id);
}

/// The read models a replay must rebuild the same: the autopilot's seller
/// candidates (from user events) and the audit trail.
async fn read_models(app: &App) -> (Vec<(Uuid, bool)>, i64) {
    let candidates = sqlx::query_as(
        "SELECT user_id, has_payout_email FROM projection_autopilot.autopilot_seller_candidate ORDER BY user_id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM projection_audit.audit_record")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    (candidates, audit)
}

#[tokio::test]
async fn delete_my_data_is_refused_for_a_wrong_password_anonymously_the_last_admin_and_unsent_payouts(
) {
    let app = spawn_app().await;
    let (admin, admin_id) = register(&app, "owner@example.com", "owner@example.com").await;
    let (ana, ana_id) = register(&app, "ana@example.com", "ana@example.com").await;

    let wrong = delete_my_data(&app, Some(&ana), "not my password").await;
    assert_eq!(wrong["userErrors"][0]["code"], "WRONG_PASSWORD", "{wrong}");
    let anonymous = delete_my_data(&app, None, PASSWORD).await;
    assert_eq!(
        anonymous["userErrors"][0]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );
    let last_admin = delete_my_data(&app, Some(&admin), PASSWORD).await;
    assert_eq!(
        last_admin["userErrors"][0]["code"], "LAST_ADMIN",
        "{last_admin}"
    );

    // The mutation takes no user: it cannot name anyone but the caller.
    let other = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { deleteMyData(input: { currentPassword: \"correct horse\" }, userId: $id) { erased } }",
            json!({ "id": ana_id }),
        )
        .await;
    assert!(other["errors"].is_array(), "{other}");

    // A payout owed to Ana and not yet sent (as the payout read model
    // records one) keeps her data: erasing it would leave the money nowhere
    // to go.
    sqlx::query(
        "INSERT INTO projection_commerce.payout (payout_id, sale_id, payee_user_id, status, created_position, document) \
         VALUES ($1, $2, $3::uuid, 'PAYOUT_SKIPPED_INSUFFICIENT_FUNDS', 0, '{}')",
    )
    .bind(Uuid::new_v4())
    .bind(Uuid::new_v4())
    .bind(&ana_id)
    .execute(app.db.pool())
    .await
    .unwrap();
    let unsent = delete_my_data(&app, Some(&ana), PASSWORD).await;
    assert_eq!(
        unsent["userErrors"][0]["code"], "PAYOUTS_UNSENT",
        "{unsent}"
    );

    // Nothing was erased by any of these.
    for (id, email) in [
        (&admin_id, "owner@example.com"),
        (&ana_id, "ana@example.com"),
    ] {
        assert_eq!(user_node(&app, &admin, id).await["email"], email);
    }
    assert!(app.login("ana@example.com", PASSWORD).await["token"].is_string());
}

#[tokio::test]
async fn events_stored_in_plaintext_by_an_earlier_version_are_read_sealed_and_hidden_after_erasure()
{
    let app = spawn_app().await;
    let (admin, _) = register(&app, "owner@example.com", "owner@example.com").await;
    register(&app, "helper@example.com", "helper@example.com").await;
    // A user as version 1 stored them: plaintext e-mails in the payload, and
    // their account (with the helper's hash of the same password).
    let legacy = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO account (user_id, email, password_hash) \
         SELECT $1, 'legacy@example.com', password_hash FROM account WHERE email = 'helper@example.com'",
    )
    .bind(legacy)
    .execute(app.db.pool())
    .await
    .unwrap();
    let store = EventStore::new(app.db.pool().clone());
    let stream = format!("user-{legacy}");
    let v1 = |event_type: &str, payload: Value| {
        NewEvent::new(event_type, payload, Metadata::new("system:v1"))
    };
    store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            &[
                v1(
                    "UserRegistered",
                    json!({ "type": "UserRegistered", "user_id": legacy, "email": "legacy@example.com", "role": "USER",
                            "payout_destination": { "method": "PAYPAL", "email": "legacy.pay@example.com" },
                            "registered_at": "2026-01-01T00:00:00Z" }),
                ),
                v1(
                    "PayoutMethodSet",
                    json!({ "type": "PayoutMethodSet", "destination": { "method": "PAYPAL", "email": "legacy.new@example.com" },
                            "set_at": "2026-01-02T00:00:00Z" }),
                ),
            ],
        )
        .await
        .unwrap();
    assert!(stored_payloads(&app)
        .await
        .contains("legacy.new@example.com"));

    // Read in the new shape: the owner sees their values, the log does not.
    let login = app.login("legacy@example.com", PASSWORD).await;
    let token = login["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{login}"))
        .to_owned();
    let me = app
        .graphql(
            Some(&token),
            "{ me { email paypalPayoutEmail payoutMethodChanges { destinationHint } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["me"]["email"], "legacy@example.com", "{me}");
    assert_eq!(
        me["data"]["me"]["paypalPayoutEmail"], "legacy.new@example.com",
        "{me}"
    );
    assert_eq!(
        me["data"]["me"]["payoutMethodChanges"][0]["destinationHint"],
        "l•••@example.com"
    );
    let log = events_as_read(&app, &admin).await;
    assert!(
        !log.contains("legacy@") && !log.contains("legacy.new@"),
        "{log}"
    );

    // Erased: every read path hides the legacy plaintext too.
    let erased = delete_my_data(&app, Some(&token), PASSWORD).await;
    assert_eq!(erased["userErrors"], json!([]), "{erased}");
    let after = user_node(&app, &admin, &legacy.to_string()).await;
    assert!(after["email"].is_null(), "{after}");
    assert!(!after.to_string().contains("legacy"), "{after}");
    let log = events_as_read(&app, &admin).await;
    assert!(
        !log.contains("legacy@") && !log.contains("legacy.new@"),
        "{log}"
    );
    // The stored row itself is never rewritten (and still verifies).
    assert!(stored_payloads(&app)
        .await
        .contains("legacy.new@example.com"));
    let (verified, stdout, stderr) = run_command(&app.db.url(), &["verify"], "").await;
    assert!(verified, "{stdout}{stderr}");
}
