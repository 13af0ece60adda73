//! Registration, sign-in, roles, refusals and input validation, end to end.

mod api_support;

use api_support::{spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn the_first_user_becomes_admin_and_later_ones_are_users() {
    let app = spawn_app().await;
    let (admin, _) = app.register("owner@example.com").await;
    let (user, _) = app.register("seller@example.com").await;
    let me = "{ me { email role paypalPayoutEmail } }";
    let response = app.graphql(Some(&admin), me, json!({})).await;
    assert_eq!(response["data"]["me"]["role"], "ADMIN", "{response}");
    let response = app.graphql(Some(&user), me, json!({})).await;
    assert_eq!(response["data"]["me"]["role"], "USER");
    assert_eq!(
        response["data"]["me"]["paypalPayoutEmail"],
        "seller@example.com"
    );
    let response = app.graphql(None, me, json!({})).await;
    assert_eq!(response["data"]["me"], json!(null));
}

#[tokio::test]
async fn login_returns_a_token_and_a_wrong_password_is_refused() {
    let app = spawn_app().await;
    app.register("ana@example.com").await;
    let payload = app.login("ana@example.com", "correct horse").await;
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(payload["user"]["email"], "ana@example.com");
    let token = payload["token"].as_str().unwrap();
    let response = app
        .graphql(Some(token), "{ me { email } }", json!({}))
        .await;
    assert_eq!(response["data"]["me"]["email"], "ana@example.com");

    let payload = app.login("ana@example.com", "wrong horse").await;
    assert_eq!(payload["token"], json!(null));
    assert_eq!(payload["userErrors"][0]["code"], "UNAUTHENTICATED");
    let payload = app.login("nobody@example.com", "correct horse").await;
    assert_eq!(payload["userErrors"][0]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn registering_the_same_email_twice_is_refused_and_records_nothing() {
    let app = spawn_app().await;
    app.register("ana@example.com").await;
    let before = app.event_count().await;
    let response = app
        .graphql(
            None,
            "mutation { register(input: {email: \"ANA@example.com\", password: \"another one\", paypalPayoutEmail: \"ana@example.com\"}) { token userErrors { code field } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response["data"]["register"]["userErrors"],
        json!([{ "code": "ALREADY_EXISTS", "field": "input.email" }])
    );
    assert_eq!(app.event_count().await, before);
}

/// Each mutation, and the roles that must be refused it.
#[tokio::test]
async fn every_mutation_refuses_the_roles_that_may_not_use_it() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let user = app.user_with_role(&admin, "user@example.com", "USER").await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let other = app
        .user_with_role(&admin, "other@example.com", "USER")
        .await;
    let product = app.published_product(&user).await;
    let (_, some_user) = app.register("target@example.com").await;

    let set_config = "mutation { setPlatformConfig(input: {commissionPct: \"20\", adminPaypalEmail: \"admin@example.com\"}) { userErrors { code } } }";
    let contribute = "mutation { recordCapitalContribution(input: {amount: {amount: \"100.00\", currency: \"USD\"}, reference: \"seed\"}) { userErrors { code } } }";
    let create_product = "mutation { createProduct(input: {title: \"Lamp\", supplierProductId: \"1\", supplierCost: {amount: \"1.00\", currency: \"USD\"}, price: {amount: \"2.00\", currency: \"USD\"}}) { userErrors { code } } }";
    let publish =
        format!("mutation {{ publishProduct(id: \"{product}\") {{ userErrors {{ code }} }} }}");
    let set_role = format!("mutation {{ setUserRole(userId: \"{some_user}\", role: ADMIN) {{ userErrors {{ code }} }} }}");
    let capture = format!(
        "mutation {{ captureCheckout(input: {{orderId: \"{}\"}}) {{ userErrors {{ code }} }} }}",
        uuid::Uuid::new_v4()
    );

    let cases: Vec<(&str, &str, Option<&str>, &str)> = vec![
        ("setPlatformConfig", set_config, None, "UNAUTHENTICATED"),
        ("setPlatformConfig", set_config, Some(&user), "FORBIDDEN"),
        (
            "setPlatformConfig",
            set_config,
            Some(&accountant),
            "FORBIDDEN",
        ),
        (
            "recordCapitalContribution",
            contribute,
            None,
            "UNAUTHENTICATED",
        ),
        (
            "recordCapitalContribution",
            contribute,
            Some(&user),
            "FORBIDDEN",
        ),
        (
            "recordCapitalContribution",
            contribute,
            Some(&accountant),
            "FORBIDDEN",
        ),
        ("createProduct", create_product, None, "UNAUTHENTICATED"),
        (
            "createProduct",
            create_product,
            Some(&accountant),
            "FORBIDDEN",
        ),
        ("publishProduct", &publish, None, "UNAUTHENTICATED"),
        ("publishProduct", &publish, Some(&accountant), "FORBIDDEN"),
        ("publishProduct", &publish, Some(&other), "FORBIDDEN"),
        ("setUserRole", &set_role, None, "UNAUTHENTICATED"),
        ("setUserRole", &set_role, Some(&user), "FORBIDDEN"),
        ("setUserRole", &set_role, Some(&accountant), "FORBIDDEN"),
        ("captureCheckout", &capture, None, "UNAUTHENTICATED"),
        ("captureCheckout", &capture, Some(&accountant), "FORBIDDEN"),
    ];
    let before = app.event_count().await;
    for (mutation, query, token, code) in cases {
        let response = app.graphql(token, query, json!({})).await;
        assert_eq!(
            response["data"][mutation]["userErrors"][0]["code"], code,
            "{mutation} as {token:?}: {response}"
        );
    }
    assert_eq!(
        app.event_count().await,
        before,
        "a refusal recorded something"
    );

    // And the queries that are not for everyone.
    let events = "{ events(first: 5) { edges { node { eventType } } } }";
    for token in [None, Some(user.as_str())] {
        let response = app.graphql(token, events, json!({})).await;
        let code = &response["errors"][0]["extensions"]["code"];
        assert!(
            code == "UNAUTHENTICATED" || code == "FORBIDDEN",
            "{response}"
        );
    }
    let response = app.graphql(Some(&accountant), events, json!({})).await;
    assert!(response["errors"].is_null(), "{response}");

    // The permitted callers succeed.
    for (mutation, query) in [
        ("setPlatformConfig", set_config),
        ("recordCapitalContribution", contribute),
    ] {
        let response = app.graphql(Some(&admin), query, json!({})).await;
        assert_eq!(
            response["data"][mutation]["userErrors"],
            json!([]),
            "{response}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let product = app.published_product(&admin).await;
    let before = app.event_count().await;
    let long_title = "x".repeat(500);
    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code message field } } }";
    let money = |amount: &str, currency: &str| json!({ "amount": amount, "currency": currency });
    let cases = [
        (
            json!({ "title": "Lamp", "supplierProductId": "1", "supplierCost": money("1.00", "XXX"), "price": money("2.00", "USD") }),
            "input.supplierCost.currency",
        ),
        (
            json!({ "title": "Lamp", "supplierProductId": "1", "supplierCost": money("1.001", "USD"), "price": money("2.00", "USD") }),
            "input.supplierCost.amount",
        ),
        (
            json!({ "title": "Lamp", "supplierProductId": "1", "supplierCost": money("1.00", "USD"), "price": money("-2.00", "USD") }),
            "input.price.amount",
        ),
        (
            json!({ "title": long_title, "supplierProductId": "1", "supplierCost": money("1.00", "USD"), "price": money("2.00", "USD") }),
            "input.title",
        ),
    ];
    for (input, field) in cases {
        let response = app
            .graphql(Some(&admin), create, json!({ "input": input }))
            .await;
        let errors = &response["data"]["createProduct"]["userErrors"];
        assert_eq!(errors[0]["code"], "INVALID_INPUT", "{response}");
        assert_eq!(errors[0]["field"], field, "{response}");
    }
    let response = app
        .graphql(
            Some(&admin),
            create,
            json!({ "input": { "title": "Lamp", "supplierProductId": "1", "supplierCost": money("one", "USD"), "price": money("2.00", "USD") } }),
        )
        .await;
    let error = &response["data"]["createProduct"]["userErrors"][0];
    assert_eq!(error["field"], "input.supplierCost.amount", "{response}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("\"one\" is not a decimal number"),
        "{response}"
    );
    // A float is a malformed request: a top-level error.
    let response = app
        .graphql(
            Some(&admin),
            create,
            json!({ "input": { "title": "Lamp", "supplierProductId": "1", "supplierCost": { "amount": 1.5, "currency": "USD" }, "price": money("2.00", "USD") } }),
        )
        .await;
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("never a float"),
        "{response}"
    );

    let checkout = "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId userErrors { code field } } }";
    for quantity in [-1, 0] {
        let response = app
            .graphql(
                None,
                checkout,
                json!({ "input": { "productId": product, "quantity": quantity } }),
            )
            .await;
        assert_eq!(
            response["data"]["createCheckout"]["userErrors"],
            json!([{ "code": "INVALID_INPUT", "field": "input.quantity" }]),
            "{response}"
        );
    }
    let response = app
        .graphql(
            None,
            "mutation { register(input: {email: \"not-an-email\", password: \"correct horse\", paypalPayoutEmail: \"a@example.com\"}) { userErrors { code field } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response["data"]["register"]["userErrors"][0]["field"],
        "input.email"
    );
    assert_eq!(
        app.event_count().await,
        before,
        "bad input recorded something"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_address() {
    let app = spawn_app_with(&[("AUTH_REQUESTS_PER_MINUTE", "3")]).await;
    let mut codes = Vec::new();
    for _ in 0..4 {
        let payload = app.login("nobody@example.com", "whatever1").await;
        codes.push(
            payload["userErrors"][0]["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        codes,
        [
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "UNAUTHENTICATED",
            "RATE_LIMITED"
        ]
    );
}

#[tokio::test]
async fn health_metrics_graphiql_and_correlation_ids_are_served() {
    let app = spawn_app().await;
    let health = app
        .http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let correlation = uuid::Uuid::new_v4().to_string();
    let response = app
        .http
        .post(format!("{}/graphql", app.address))
        .header("X-Correlation-Id", &correlation)
        .json(&json!({ "query": "mutation { register(input: {email: \"a@example.com\", password: \"correct horse\", paypalPayoutEmail: \"a@example.com\"}) { userErrors { code } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-correlation-id"], correlation.as_str());
    let stored: String =
        sqlx::query_scalar("SELECT metadata->>'correlation_id' FROM event LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        stored, correlation,
        "the event carries the request's correlation id"
    );
    let graphiql = app
        .http
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    let text = app.metrics().await;
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("http_request_duration_seconds"), "{text}");
    assert!(
        text.contains("dropledger_events_appended_total 1"),
        "{text}"
    );
    // A body over the limit is refused on its declared length, before it is
    // read: the request head alone gets the 413 (a client still writing a
    // megabyte would see its connection closed under it instead).
    let status_line = {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let host = app.address.trim_start_matches("http://");
        let mut connection = tokio::net::TcpStream::connect(host).await.unwrap();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            1024 * 1024
        );
        connection.write_all(head.as_bytes()).await.unwrap();
        let mut line = String::new();
        let answered = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio::io::BufReader::new(connection).read_line(&mut line),
        )
        .await;
        assert!(
            answered.is_ok(),
            "the server waited for the body instead of refusing it"
        );
        line
    };
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
}

#[tokio::test]
async fn too_deep_a_query_is_refused_before_it_runs() {
    let app = spawn_app().await;
    let mut selection = String::from("name");
    for _ in 0..15 {
        selection = format!("ofType {{ {selection} }}");
    }
    let query = format!("{{ __schema {{ types {{ fields {{ type {{ {selection} }} }} }} }} }}");
    let response = app.graphql(None, &query, json!({})).await;
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("nested too deep") || message.contains("too complex"),
        "{response}"
    );
}

#[tokio::test]
async fn a_role_taken_away_applies_to_the_next_request_of_an_old_token() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let (second, second_id) = app.register("second@example.com").await;
    let set_role = "mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { user { role } userErrors { code } } }";
    let response = app
        .graphql(
            Some(&admin),
            set_role,
            json!({ "id": second_id, "role": "ADMIN" }),
        )
        .await;
    assert_eq!(
        response["data"]["setUserRole"]["user"]["role"], "ADMIN",
        "{response}"
    );
    // The token issued while USER now acts as ADMIN, and back.
    let events = "{ events(first: 1) { edges { cursor } } }";
    let response = app.graphql(Some(&second), events, json!({})).await;
    assert!(response["errors"].is_null(), "{response}");
    app.graphql(
        Some(&admin),
        set_role,
        json!({ "id": second_id, "role": "USER" }),
    )
    .await;
    let response = app.graphql(Some(&second), events, json!({})).await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{response}"
    );
}

#[tokio::test]
async fn production_mode_refuses_to_start_without_its_secrets() {
    let db = dropledger_devdb::TestDatabase::new().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .arg("serve")
        .env("DATABASE_URL", db.url())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("AUTOPILOT_MODE", "production")
        .env_remove("JWT_SECRET")
        .env_remove("ENCRYPTION_KEY")
        .env_remove("PAYPAL_CLIENT_ID")
        .env_remove("PAYPAL_CLIENT_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in [
        "JWT_SECRET",
        "ENCRYPTION_KEY",
        "PAYPAL_CLIENT_ID",
        "PAYPAL_CLIENT_SECRET",
    ] {
        assert!(stderr.contains(name), "{stderr}");
    }
}

#[tokio::test]
async fn sigterm_shuts_the_server_down_cleanly() {
    let mut app = spawn_app().await;
    app.register("admin@example.com").await;
    let pid = app.server.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(20), app.server.wait())
        .await
        .expect("the server stops within 20 s")
        .unwrap();
    assert!(exit.success(), "{exit}");
}

#[tokio::test]
async fn too_complex_a_query_is_refused_before_it_runs() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let everything = "position eventId streamId streamVersion eventType schemaVersion payload correlationId causationId actor commandId recordedAt";
    let query =
        format!("{{ events(first: 200) {{ edges {{ cursor node {{ {everything} }} }} }} }}");
    let response = app.graphql(Some(&admin), &query, json!({})).await;
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("too complex"), "{response}");
    let query = format!("{{ events(first: 20) {{ edges {{ cursor node {{ {everything} }} }} }} }}");
    let response = app.graphql(Some(&admin), &query, json!({})).await;
    assert!(response["errors"].is_null(), "{response}");
}

#[tokio::test]
async fn graphql_posts_are_accepted_only_as_json() {
    let app = spawn_app().await;
    let body = json!({ "query": "{ me { id } }" }).to_string();
    for (content_type, expected) in [
        (Some("text/plain"), 415),
        (Some("text/plain; charset=utf-8"), 415),
        (Some("application/x-www-form-urlencoded"), 415),
        (Some("multipart/form-data; boundary=x"), 415),
        (None, 415),
        (Some("application/json"), 200),
        (Some("application/json; charset=utf-8"), 200),
        (Some("Application/JSON"), 200),
    ] {
        let mut request = app
            .http
            .post(format!("{}/graphql", app.address))
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), expected, "{content_type:?}");
    }
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_and_one_of_two_can() {
    let app = spawn_app().await;
    let (admin, admin_id) = app.register("admin@example.com").await;
    let (_, second_id) = app.register("second@example.com").await;
    let set_role = "mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { user { role } userErrors { code message field } } }";
    // (who is changed, to what, the refusal code if any), in order.
    for (target, role, refusal) in [
        (&admin_id, "USER", Some("LAST_ADMIN")),
        (&admin_id, "ACCOUNTANT", Some("LAST_ADMIN")),
        (&second_id, "ADMIN", None),
        (&admin_id, "USER", None),
    ] {
        let token = if refusal.is_none() && target == &admin_id {
            // The second ADMIN demotes the first.
            app.login("second@example.com", "correct horse").await["token"]
                .as_str()
                .unwrap()
                .to_owned()
        } else {
            admin.clone()
        };
        let response = app
            .graphql(
                Some(&token),
                set_role,
                json!({ "id": target, "role": role }),
            )
            .await;
        let payload = &response["data"]["setUserRole"];
        match refusal {
            Some(code) => {
                assert_eq!(payload["userErrors"][0]["code"], code, "{response}");
                assert!(
                    payload["userErrors"][0]["message"]
                        .as_str()
                        .unwrap()
                        .contains("grant ADMIN to someone else first"),
                    "{response}"
                );
            }
            None => assert_eq!(payload["user"]["role"], role, "{response}"),
        }
    }
    // Now the second is the last ADMIN, and keeps it.
    let second = app.login("second@example.com", "correct horse").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .graphql(
            Some(&second),
            set_role,
            json!({ "id": second_id, "role": "USER" }),
        )
        .await;
    assert_eq!(
        response["data"]["setUserRole"]["userErrors"][0]["code"], "LAST_ADMIN",
        "{response}"
    );
}

#[tokio::test]
async fn in_production_registering_never_makes_an_admin_and_the_first_comes_from_the_command_line()
{
    let app = api_support::spawn_production_app(&[]).await;
    let (first, _) = app.register("early-bird@example.com").await;
    let response = app
        .graphql(Some(&first), "{ me { role } }", json!({}))
        .await;
    assert_eq!(response["data"]["me"]["role"], "USER", "{response}");

    let create = |email: &'static str, stdin: &'static str| {
        let url = app.db.url();
        async move {
            api_support::run_command(
                &url,
                &["admin", "create", "--email", email, "--password-stdin"],
                stdin,
            )
            .await
        }
    };
    let (ok, _, stderr) = create("owner@example.com", "short\n").await;
    assert!(!ok && stderr.contains("8 to 128 characters"), "{stderr}");
    let (ok, _, stderr) = create("early-bird@example.com", "correct horse battery\n").await;
    assert!(
        !ok && stderr.contains("an account with this e-mail exists"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = create("owner@example.com", "correct horse battery\n").await;
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("created ADMIN owner@example.com"),
        "{stdout}"
    );
    let payload = app
        .login("owner@example.com", "correct horse battery")
        .await;
    assert_eq!(payload["user"]["role"], "ADMIN", "{payload}");
    let (ok, _, stderr) = create("another@example.com", "correct horse battery\n").await;
    assert!(
        !ok && stderr.contains("an ADMIN exists already"),
        "{stderr}"
    );
}

#[tokio::test]
async fn metrics_label_requests_by_known_methods_only() {
    let app = spawn_app().await;
    for method in ["FOOBAR", "X-RANDOM-1", "PATCH"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.http
            .request(method, format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
    }
    let text = app.metrics().await;
    let methods: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .filter_map(|line| line.split("method=\"").nth(1)?.split('"').next())
        .collect();
    for (label, present) in [
        ("OTHER", true),
        ("PATCH", true),
        ("FOOBAR", false),
        ("X-RANDOM-1", false),
    ] {
        assert_eq!(methods.contains(label), present, "{label}: {methods:?}");
    }
}

#[tokio::test]
async fn migrate_reports_the_database_without_its_password() {
    let db = dropledger_devdb::TestDatabase::new().await;
    // The test server trusts local connections, so any password signs in.
    let url = db.url();
    let with_password = url.replacen("://postgres@", "://postgres:s3cret-pass@", 1);
    assert_ne!(
        with_password, url,
        "the test URL names the postgres user: {url}"
    );
    let (ok, stdout, stderr) = api_support::run_command(&with_password, &["migrate"], "").await;
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("database migrated"), "{stdout}");
    assert!(
        !stdout.contains("s3cret-pass") && !stderr.contains("s3cret-pass"),
        "{stdout}{stderr}"
    );
}

#[tokio::test]
async fn graphiql_and_introspection_are_off_in_production_unless_asked_for() {
    let introspection = "{ __schema { queryType { name } } }";
    for (graphiql, served) in [(None, false), (Some("off"), false), (Some("on"), true)] {
        let env: Vec<(&str, &str)> = graphiql
            .map(|value| vec![("DROPLEDGER_GRAPHIQL", value)])
            .unwrap_or_default();
        let app = api_support::spawn_production_app(&env).await;
        let page = app
            .http
            .get(format!("{}/graphql", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().is_success(), served, "{graphiql:?}");
        let response = app.graphql(None, introspection, json!({})).await;
        assert_eq!(
            response["data"]["__schema"]["queryType"]["name"] == "Query",
            served,
            "{graphiql:?}: {response}"
        );
    }
    // Locally both stay on.
    let app = spawn_app().await;
    let response = app.graphql(None, introspection, json!({})).await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn sign_in_attempts_at_one_account_are_limited_and_other_accounts_are_not_held_back() {
    let app = spawn_app().await;
    app.register("ana@example.com").await;
    app.register("bob@example.com").await;
    let per_account = dropledger_graphql::LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE as usize;
    let mut codes = Vec::new();
    for _ in 0..=per_account {
        let payload = app.login("ana@example.com", "wrong horse").await;
        codes.push(
            payload["userErrors"][0]["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut expected = vec!["UNAUTHENTICATED".to_owned(); per_account];
    expected.push("RATE_LIMITED".to_owned());
    assert_eq!(codes, expected);
    // The right password does not get past the limit either.
    let payload = app.login("ANA@example.com", "correct horse").await;
    assert_eq!(
        payload["userErrors"][0]["code"], "RATE_LIMITED",
        "{payload}"
    );
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("for this account"),
        "{payload}"
    );
    let payload = app.login("bob@example.com", "correct horse").await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
}

#[tokio::test]
async fn x_forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let login = json!({ "query": "mutation { login(input: {email: \"nobody@example.com\", password: \"whatever1\"}) { userErrors { code } } }" });
    // (trusted proxies, then the forwarded address of each attempt and the
    // code of the last).
    for (trusted, forwarded, last) in [
        // Behind a trusted proxy each forwarded client has its own allowance.
        (
            Some("127.0.0.1"),
            ["203.0.113.1", "203.0.113.1", "203.0.113.2"],
            "UNAUTHENTICATED",
        ),
        (
            Some("127.0.0.1"),
            ["203.0.113.1", "203.0.113.1", "203.0.113.1"],
            "RATE_LIMITED",
        ),
        // Without, the header is anyone's to write and counts for nothing.
        (
            None,
            ["203.0.113.1", "203.0.113.1", "203.0.113.2"],
            "RATE_LIMITED",
        ),
    ] {
        let mut env = vec![("AUTH_REQUESTS_PER_MINUTE", "2")];
        if let Some(trusted) = trusted {
            env.push(("TRUSTED_PROXIES", trusted));
        }
        let app = spawn_app_with(&env).await;
        let mut code = String::new();
        for address in forwarded {
            let response: serde_json::Value = app
                .http
                .post(format!("{}/graphql", app.address))
                .header("x-forwarded-for", address)
                .json(&login)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            code = response["data"]["login"]["userErrors"][0]["code"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        assert_eq!(code, last, "{trusted:?} {forwarded:?}");
    }
}
