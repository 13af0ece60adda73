//! `spawn_app`: the real `dropledger serve` on port 0 with its own database
//! and the fake providers, and a small GraphQL client over HTTP.

#![allow(dead_code)]

use std::process::Stdio;

use dropledger_devdb::TestDatabase;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running server.
pub struct App {
    pub address: String,
    pub db: TestDatabase,
    pub http: reqwest::Client,
    /// The server process.
    pub server: Child,
}

/// Starts the server; `env` adds environment variables.
pub async fn spawn_app_with(env: &[(&str, &str)]) -> App {
    let db = TestDatabase::new().await;
    let (server, address) = start_server(&db.url(), env).await;
    App {
        address,
        db,
        http: reqwest::Client::new(),
        server,
    }
}

/// Starts `dropledger serve` on `database_url`; the process and its address.
pub async fn start_server(database_url: &str, env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dropledger"));
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .env_remove("JWT_SECRET")
        .env_remove("PAYPAL_CLIENT_ID")
        .env_remove("PAYPAL_CLIENT_SECRET")
        .env_remove("PAYPAL_ENVIRONMENT")
        .env_remove("AUTOPILOT_MODE")
        .env_remove("DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut server = command.spawn().expect("the binary starts");
    let stdout = server.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    let address = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("stdout is readable") {
            if let Some(address) = line.strip_prefix("listening on ") {
                return address.to_owned();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens within a minute");
    (server, address)
}

/// Starts the server with default settings.
pub async fn spawn_app() -> App {
    spawn_app_with(&[]).await
}

/// The environment of a production server: every secret it demands set,
/// provider credentials that no test ever uses against the real providers.
pub const PRODUCTION_ENV: &[(&str, &str)] = &[
    ("AUTOPILOT_MODE", "production"),
    ("PAYPAL_ENVIRONMENT", "production"),
    (
        "JWT_SECRET",
        "a-test-secret-that-is-long-enough-for-hs256-0123456789",
    ),
    (
        "ENCRYPTION_KEY",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ),
    ("PAYPAL_CLIENT_ID", "test-client"),
    ("PAYPAL_CLIENT_SECRET", "test-secret"),
    ("ALIEXPRESS_APP_KEY", "test-app"),
    ("ALIEXPRESS_APP_SECRET", "test-app-secret"),
    (
        "INTERNAL_RUN_SECRET",
        "a-test-internal-run-secret-of-32-bytes-or-more",
    ),
];

/// Starts the server in production mode, with `env` added.
pub async fn spawn_production_app(env: &[(&str, &str)]) -> App {
    let mut all = PRODUCTION_ENV.to_vec();
    all.extend_from_slice(env);
    spawn_app_with(&all).await
}

/// Runs the `dropledger` binary with `args` on `database_url`, `stdin`
/// piped in; its exit success, stdout and stderr.
pub async fn run_command(database_url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

impl App {
    /// Runs a GraphQL operation, with a bearer token if given; the whole response.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        response.json().await.expect("a JSON answer")
    }

    /// Registers a user; their token and id.
    pub async fn register(&self, email: &str) -> (String, String) {
        let response = self
            .graphql(
                None,
                "mutation($input: RegisterInput!) { register(input: $input) { token user { id role } userErrors { code message field } } }",
                json!({ "input": { "email": email, "password": "correct horse", "paypalPayoutEmail": email } }),
            )
            .await;
        let payload = &response["data"]["register"];
        assert_eq!(payload["userErrors"], json!([]), "{response}");
        (
            payload["token"].as_str().unwrap().to_owned(),
            payload["user"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Registers a user and has the admin grant them `role`; a fresh token.
    pub async fn user_with_role(&self, admin: &str, email: &str, role: &str) -> String {
        let (_, id) = self.register(email).await;
        let response = self
            .graphql(
                Some(admin),
                "mutation($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { user { role } userErrors { code } } }",
                json!({ "id": id, "role": role }),
            )
            .await;
        assert_eq!(
            response["data"]["setUserRole"]["user"]["role"], role,
            "{response}"
        );
        self.login(email, "correct horse").await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `login`'s payload.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let response = self
            .graphql(
                None,
                "mutation($input: LoginInput!) { login(input: $input) { token user { id email role } userErrors { code message field } } }",
                json!({ "input": { "email": email, "password": password } }),
            )
            .await;
        response["data"]["login"].clone()
    }

    /// The Prometheus text at `/metrics`.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("the server answers")
            .text()
            .await
            .expect("a text answer")
    }

    /// How many events the log holds.
    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM event")
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// Creates and publishes a product owned by `token`'s user; its id.
    pub async fn published_product(&self, token: &str) -> String {
        let response = self
            .graphql(
                Some(token),
                "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id status } userErrors { code message field } } }",
                json!({ "input": {
                    "title": "Desk lamp",
                    "supplierProductId": "1005001",
                    "supplierCost": { "amount": "12.00", "currency": "USD" },
                    "price": { "amount": "29.99", "currency": "USD" },
                } }),
            )
            .await;
        let id = response["data"]["createProduct"]["product"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned();
        let response = self
            .graphql(
                Some(token),
                "mutation($id: ID!) { publishProduct(id: $id) { product { status } userErrors { code } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            response["data"]["publishProduct"]["product"]["status"], "PUBLISHED",
            "{response}"
        );
        id
    }
}
