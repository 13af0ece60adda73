//! Provider credentials and payout methods through the API: secrets go in
//! sealed and never come back out; the AliExpress OAuth flow ends with the
//! user's token stored; payout methods are validated.

mod api_support;

use api_support::spawn_app;
use serde_json::{json, Value};

const SAVE: &str = "mutation($input: SaveApiCredentialInput!) { saveApiCredential(input: $input) { credential { provider environment names expiresAt } userErrors { code message field } } }";
const LIST: &str = "{ apiCredentials { provider environment names updatedAt expiresAt } }";
const CONNECT: &str = "mutation($environment: String!) { connectAliExpress(environment: $environment) { authorizeUrl userErrors { code message field } } }";
const SET_PAYOUT: &str = "mutation($input: SetPayoutMethodInput!) { setPayoutMethod(input: $input) { user { payoutMethod paypalPayoutEmail } userErrors { code message field } } }";

const SECRET: &str = "sk-live-very-secret-0123456789";

fn paypal_keys() -> Value {
    json!({ "input": {
        "provider": "paypal",
        "environment": "sandbox",
        "values": [
            { "name": "client_id", "value": "client-abc" },
            { "name": "client_secret", "value": SECRET },
        ],
    } })
}

#[tokio::test]
async fn a_saved_credential_is_listed_by_name_and_its_secret_never_leaves_the_server() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let user = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;

    let response = app.graphql(Some(&user), SAVE, paypal_keys()).await;
    let payload = &response["data"]["saveApiCredential"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(
        payload["credential"]["names"],
        json!(["client_id", "client_secret"])
    );
    assert!(!response.to_string().contains(SECRET));

    let listed = app.graphql(Some(&user), LIST, json!({})).await;
    let credentials = listed["data"]["apiCredentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1, "{listed}");
    assert_eq!(credentials[0]["provider"], "paypal");
    assert_eq!(credentials[0]["environment"], "sandbox");
    assert!(!listed.to_string().contains(SECRET));

    // Sealed at rest: the plaintext is nowhere in the table.
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM credential")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for sealed in rows {
        assert!(!sealed
            .windows(SECRET.len())
            .any(|window| window == SECRET.as_bytes()));
    }

    // Another user sees none of it.
    let other = app
        .user_with_role(&admin, "other@example.com", "USER")
        .await;
    let theirs = app.graphql(Some(&other), LIST, json!({})).await;
    assert_eq!(theirs["data"]["apiCredentials"], json!([]), "{theirs}");
}

#[tokio::test]
async fn saving_credentials_refuses_bad_input_and_the_wrong_roles_storing_nothing() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let user = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let accountant = app
        .user_with_role(&admin, "books@example.com", "ACCOUNTANT")
        .await;

    let cases = [
        (
            Some(user.as_str()),
            json!({ "input": { "provider": "stripe", "environment": "sandbox", "values": [{ "name": "k", "value": "v" }] } }),
            "INVALID_INPUT",
            Some("input.provider"),
        ),
        (
            Some(user.as_str()),
            json!({ "input": { "provider": "paypal", "environment": "live", "values": [{ "name": "k", "value": "v" }] } }),
            "INVALID_INPUT",
            Some("input.environment"),
        ),
        (
            Some(user.as_str()),
            json!({ "input": { "provider": "paypal", "environment": "sandbox", "values": [] } }),
            "INVALID_INPUT",
            Some("input.values"),
        ),
        (
            Some(user.as_str()),
            json!({ "input": { "provider": "aliexpress", "environment": "sandbox", "values": [{ "name": "oauth_token", "value": "planted" }] } }),
            "INVALID_INPUT",
            Some("input.values[0].name"),
        ),
        (
            Some(user.as_str()),
            json!({ "input": { "provider": "paypal", "environment": "sandbox", "values": [{ "name": "Client Secret", "value": "v" }] } }),
            "INVALID_INPUT",
            Some("input.values[0].name"),
        ),
        (
            Some(user.as_str()),
            json!({ "input": { "provider": "paypal", "environment": "sandbox", "values": [{ "name": "k", "value": "x".repeat(8_193) }] } }),
            "INVALID_INPUT",
            Some("input.values[0].value"),
        ),
        (Some(accountant.as_str()), paypal_keys(), "FORBIDDEN", None),
        (None, paypal_keys(), "UNAUTHENTICATED", None),
    ];
    for (token, variables, code, field) in cases {
        let response = app.graphql(token, SAVE, variables.clone()).await;
        let errors = &response["data"]["saveApiCredential"]["userErrors"];
        assert_eq!(errors[0]["code"], code, "{variables}: {response}");
        assert_eq!(errors[0]["field"], json!(field), "{variables}: {response}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM credential")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn connecting_aliexpress_stores_the_users_token_and_the_callback_works_once() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let user = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;

    let wrong = app
        .graphql(Some(&user), CONNECT, json!({ "environment": "production" }))
        .await;
    assert_eq!(
        wrong["data"]["connectAliExpress"]["userErrors"][0]["field"], "environment",
        "{wrong}"
    );

    let (authorize_url, cookie) = connect(&app, &user).await;
    assert!(cookie.starts_with("dropledger_oauth_"), "{cookie}");

    // The user grants access at (fake) AliExpress, which sends them back.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = grant(&browser, &authorize_url).await;
    assert!(
        callback.starts_with(&format!("{}/oauth/aliexpress/callback", app.address)),
        "{callback}"
    );
    let landed = browser
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(landed.status(), 200);
    assert!(landed.text().await.unwrap().contains("connected"));

    let listed = app.graphql(Some(&user), LIST, json!({})).await;
    let credentials = listed["data"]["apiCredentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1, "{listed}");
    assert_eq!(credentials[0]["provider"], "aliexpress");
    assert_eq!(credentials[0]["names"], json!(["oauth_token"]));
    assert!(credentials[0]["expiresAt"].is_string(), "{listed}");

    // The state was used up: a replayed callback stores nothing new.
    let replayed = browser
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 400);
    let forged = browser
        .get(format!(
            "{}/oauth/aliexpress/callback?code=abc&state=not-a-state",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
}

/// `connectAliExpress` as `token`'s browser: the authorisation URL and the
/// `name=value` of the cookie the response set.
async fn connect(app: &api_support::App, token: &str) -> (String, String) {
    let response = app
        .http
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": CONNECT, "variables": { "environment": "sandbox" } }))
        .send()
        .await
        .unwrap();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap();
    let payload = &body["data"]["connectAliExpress"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/oauth/aliexpress/callback",
    ] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    (payload["authorizeUrl"].as_str().unwrap().to_owned(), cookie)
}

/// The grant at the fake AliExpress: the callback URL it redirects to.
async fn grant(browser: &reqwest::Client, authorize_url: &str) -> String {
    let granted = browser.get(authorize_url).send().await.unwrap();
    assert!(granted.status().is_redirection(), "{}", granted.status());
    granted.headers()["location"].to_str().unwrap().to_owned()
}

// Issue 15, item 14: an attacker starts the flow and sends the victim the
// authorisation URL; the victim's grant must not link the victim's
// supplier account to the attacker's user.
#[tokio::test]
async fn an_oauth_callback_is_accepted_only_from_the_browser_that_started_the_flow() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let attacker = app
        .user_with_role(&admin, "attacker@example.com", "USER")
        .await;
    let (authorize_url, cookie) = connect(&app, &attacker).await;

    // The victim's browser: no cookie, or another flow's.
    let victim = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = grant(&victim, &authorize_url).await;
    let refused = victim.get(&callback).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("another browser"));
    let (name, _) = cookie.split_once('=').unwrap();
    let forged = victim
        .get(&callback)
        .header("cookie", format!("{name}=guessed-nonce"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let (_, other_cookie) = connect(&app, &attacker).await;
    let (_, other_nonce) = other_cookie.split_once('=').unwrap();
    let swapped = victim
        .get(&callback)
        .header("cookie", format!("{name}={other_nonce}"))
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), 400);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM credential")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing is linked to anyone");

    // The browser that started it still can (a refused callback does not
    // use the state up).
    let landed = victim
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(landed.status(), 200);
}

#[tokio::test]
async fn a_payout_method_is_set_validated_and_refused_to_strangers() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let user = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;

    let response = app
        .graphql(
            Some(&user),
            SET_PAYOUT,
            json!({ "input": { "method": "PAYONEER", "destination": "payee-4711", "currentPassword": "correct horse" } }),
        )
        .await;
    let payload = &response["data"]["setPayoutMethod"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(payload["user"]["payoutMethod"], "PAYONEER");
    assert_eq!(payload["user"]["paypalPayoutEmail"], Value::Null);

    let me = app
        .graphql(Some(&user), "{ me { payoutMethod } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["payoutMethod"], "PAYONEER", "{me}");

    let events_before = app.event_count().await;
    let bad = app
        .graphql(
            Some(&user),
            SET_PAYOUT,
            json!({ "input": { "method": "PAYPAL", "destination": "not an e-mail", "currentPassword": "correct horse" } }),
        )
        .await;
    assert_eq!(
        bad["data"]["setPayoutMethod"]["userErrors"][0]["field"], "input.destination",
        "{bad}"
    );
    let anonymous = app
        .graphql(
            None,
            SET_PAYOUT,
            json!({ "input": { "method": "PAYPAL", "destination": "me@example.com", "currentPassword": "correct horse" } }),
        )
        .await;
    assert_eq!(
        anonymous["data"]["setPayoutMethod"]["userErrors"][0]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );
    assert_eq!(app.event_count().await, events_before);
}

// Issue 15, item 16: a stolen session alone cannot redirect a user's
// money, and a change is announced to the account's owner.
#[tokio::test]
async fn a_payout_destination_change_needs_the_password_and_is_announced() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let user = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let events_before = app.event_count().await;
    for wrong in ["", "correct horse!", "Correct horse"] {
        let refused = app
            .graphql(
                Some(&user),
                SET_PAYOUT,
                json!({ "input": { "method": "PAYPAL", "destination": "thief@example.net", "currentPassword": wrong } }),
            )
            .await;
        let error = &refused["data"]["setPayoutMethod"]["userErrors"][0];
        assert_eq!(error["code"], "WRONG_PASSWORD", "{refused}");
        assert_eq!(error["field"], "input.currentPassword", "{refused}");
    }
    assert_eq!(app.event_count().await, events_before, "nothing changed");
    let changes = "{ me { paypalPayoutEmail payoutMethodChanges { at method destinationHint } } }";
    let me = app.graphql(Some(&user), changes, json!({})).await;
    assert_eq!(me["data"]["me"]["paypalPayoutEmail"], "seller@example.com");
    assert_eq!(me["data"]["me"]["payoutMethodChanges"], json!([]), "{me}");

    let changed = app
        .graphql(
            Some(&user),
            SET_PAYOUT,
            json!({ "input": { "method": "PAYPAL", "destination": "new-wallet@example.net", "currentPassword": "correct horse" } }),
        )
        .await;
    assert_eq!(
        changed["data"]["setPayoutMethod"]["userErrors"],
        json!([]),
        "{changed}"
    );
    let me = app.graphql(Some(&user), changes, json!({})).await;
    let listed = me["data"]["me"]["payoutMethodChanges"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{me}");
    assert_eq!(listed[0]["method"], "PAYPAL");
    assert_eq!(listed[0]["destinationHint"], "n•••@example.net");
    assert!(listed[0]["at"].is_string());
}

/// A key as `ENCRYPTION_KEY` takes it: `id:` and 32 bytes of base64.
fn key(id: &str, byte: u8) -> String {
    use base64::Engine;
    format!(
        "{id}:{}",
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    )
}

/// The ids of the keys that sealed the stored credentials.
async fn sealing_key_ids(app: &api_support::App) -> Vec<String> {
    let sealed: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sealed FROM credential ORDER BY name")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    // Format 1: version, key id length, key id, nonce, ciphertext.
    sealed
        .iter()
        .map(|bytes| String::from_utf8(bytes[2..2 + bytes[1] as usize].to_vec()).unwrap())
        .collect()
}

// Issue 15, item 17: credentials sealed under an old key are re-sealed by
// `dropledger rotate-credentials`, and open with the new key alone.
#[tokio::test]
async fn rotate_credentials_reseals_under_the_new_key_so_the_old_one_can_go() {
    let (old, new) = (key("k1", 1), key("k2", 2));
    let app = api_support::spawn_app_with(&[("ENCRYPTION_KEY", &old)]).await;
    let (admin, _) = app.register("admin@example.com").await;
    let saved = app.graphql(Some(&admin), SAVE, paypal_keys()).await;
    assert_eq!(
        saved["data"]["saveApiCredential"]["userErrors"],
        json!([]),
        "{saved}"
    );
    assert_eq!(sealing_key_ids(&app).await, ["k1", "k1"]);
    let url = app.db.url();
    let rotate = |env: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            api_support::run_command_with(&url, &["rotate-credentials"], "", &env).await
        }
    };

    // The old key not given: nothing moves, and the command says what it cannot open.
    let (ok, stdout, _) = rotate(vec![("ENCRYPTION_KEY", new.clone())]).await;
    assert!(!ok, "{stdout}");
    assert!(
        stdout.contains("2 credential(s) were sealed by a key you did not give"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(key k1)") && !stdout.contains(SECRET),
        "{stdout}"
    );
    assert_eq!(sealing_key_ids(&app).await, ["k1", "k1"]);

    let (ok, stdout, stderr) = rotate(vec![
        ("ENCRYPTION_KEY", new.clone()),
        ("ENCRYPTION_KEYS_RETIRED", old.clone()),
    ])
    .await;
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("re-sealed 2 credential(s) under key \"k2\""),
        "{stdout}"
    );
    assert_eq!(sealing_key_ids(&app).await, ["k2", "k2"]);

    // The old key gone: the values still open, with the new key alone.
    let vault = dropledger_integrations::CredentialVault::new(
        dropledger_integrations::Keyring::new(
            dropledger_integrations::EncryptionKey::parse(&new).unwrap(),
        ),
        dropledger_integrations::PgCredentialStore::new(app.db.pool().clone()),
    );
    let admin_id = app.graphql(Some(&admin), "{ me { id } }", json!({})).await["data"]["me"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let opened = vault
        .load(&dropledger_integrations::CredentialKey {
            user_id: admin_id,
            provider: "paypal".into(),
            environment: "sandbox".into(),
            name: "client_secret".into(),
        })
        .await
        .unwrap()
        .unwrap();
    use dropledger_integrations::ExposeSecret;
    assert_eq!(opened.expose_secret(), SECRET);
}
