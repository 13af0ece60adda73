//! Who may call what: a table with one entry per query and mutation of the
//! schema, run against the real server for anonymous callers and each role,
//! and a check that no field of the schema is missing from the table.
//!
//! Adding a field to the schema means adding one line to `TABLE`.

mod api_support;

use std::collections::BTreeSet;

use api_support::{spawn_app, App};
use serde_json::{json, Value};

/// A caller: anonymous or signed in with a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    User,
    Accountant,
    Admin,
}

use Caller::{Accountant, Admin, Anonymous, User};

const EVERYONE: &[Caller] = &[Anonymous, User, Accountant, Admin];
const SIGNED_IN: &[Caller] = &[User, Accountant, Admin];
const BOOKKEEPERS: &[Caller] = &[Accountant, Admin];
const SELLERS: &[Caller] = &[User, Admin];
const ADMIN_ONLY: &[Caller] = &[Admin];

/// An id no record has.
const NO_SUCH_ID: &str = "00000000-0000-4000-8000-000000000000";

/// One field: whether it is a `query` or a `mutation`, its name, an
/// operation that calls it (`{NONE}` is an id of nothing, `{UNIQUE}` a fresh
/// string, `{TARGET}` a throwaway user's id), and who may call it.
struct Entry {
    kind: &'static str,
    field: &'static str,
    operation: &'static str,
    allowed: &'static [Caller],
}

const fn entry(
    kind: &'static str,
    field: &'static str,
    operation: &'static str,
    allowed: &'static [Caller],
) -> Entry {
    Entry {
        kind,
        field,
        operation,
        allowed,
    }
}

// One line per field, so that adding a field is adding a line.
#[rustfmt::skip]
const TABLE: &[Entry] = &[
    // Queries.
    entry("query", "me", "{ me { id } }", EVERYONE),
    entry("query", "order", r#"{ order(id: "{NONE}") { id } }"#, SIGNED_IN),
    entry("query", "events", "{ events(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    entry("query", "products", "{ products(first: 1) { edges { cursor } } }", EVERYONE),
    entry("query", "orders", "{ orders(first: 1) { edges { cursor } } }", SIGNED_IN),
    entry("query", "sales", "{ sales(first: 1) { edges { cursor } } }", SIGNED_IN),
    entry("query", "payouts", "{ payouts(first: 1) { edges { cursor } } }", SIGNED_IN),
    entry("query", "workingCapital", "{ workingCapital { free { amount } } }", BOOKKEEPERS),
    entry("query", "accounts", "{ accounts { code } }", BOOKKEEPERS),
    entry("query", "balance", r#"{ balance(account: "cash:paypal:available") { posted { amount } } }"#, BOOKKEEPERS),
    entry("query", "trialBalance", "{ trialBalance { currency } }", BOOKKEEPERS),
    entry("query", "auditTrail", "{ auditTrail(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    entry("query", "projections", "{ projections { name } }", BOOKKEEPERS),
    entry("query", "apiCredentials", "{ apiCredentials { provider } }", SIGNED_IN),
    entry("query", "autopilot", "{ autopilot { cycles { id } } }", BOOKKEEPERS),
    entry("query", "opportunities", "{ opportunities(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    entry("query", "reconciliations", "{ reconciliations(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    // Mutations.
    entry("mutation", "register", r#"mutation { register(input: {email: "{UNIQUE}@example.com", password: "correct horse", paypalPayoutEmail: "{UNIQUE}@example.com"}) { userErrors { code } } }"#, EVERYONE),
    entry("mutation", "login", r#"mutation { login(input: {email: "user@example.com", password: "correct horse"}) { userErrors { code } } }"#, EVERYONE),
    entry("mutation", "setUserRole", r#"mutation { setUserRole(userId: "{TARGET}", role: USER) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "setPlatformConfig", r#"mutation { setPlatformConfig(input: {commissionPct: "10", adminPaypalEmail: "admin@example.com"}) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "recordCapitalContribution", r#"mutation { recordCapitalContribution(input: {amount: {amount: "1.00", currency: "USD"}, reference: "{UNIQUE}"}) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "createProduct", r#"mutation { createProduct(input: {title: "Lamp", supplierProductId: "1005001", supplierCost: {amount: "1.00", currency: "USD"}, price: {amount: "2.00", currency: "USD"}}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "publishProduct", r#"mutation { publishProduct(id: "{NONE}") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "createCheckout", r#"mutation { createCheckout(input: {productId: "{NONE}", quantity: 1}) { userErrors { code } } }"#, EVERYONE),
    entry("mutation", "captureCheckout", r#"mutation { captureCheckout(input: {orderId: "{NONE}"}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "saveApiCredential", r#"mutation { saveApiCredential(input: {provider: "paypal", environment: "sandbox", values: [{name: "client_id", value: "x"}]}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "connectAliExpress", r#"mutation { connectAliExpress(environment: "sandbox") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "setPayoutMethod", r#"mutation { setPayoutMethod(input: {method: PAYPAL, destination: "{UNIQUE}@example.com"}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "retryFulfilment", r#"mutation { retryFulfilment(orderId: "{NONE}") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "setAutopilot", r#"mutation { setAutopilot(input: {enabled: false, intervalSeconds: 3600, marginThreshold: "20", markupPct: "50", maxListingsPerCycle: 3}) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "runAutopilotCycle", r#"mutation { runAutopilotCycle { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "refundOrder", r#"mutation { refundOrder(input: {orderId: "{NONE}", amount: {amount: "1.00", currency: "USD"}, reason: "test"}) { userErrors { code } } }"#, SELLERS),
];

/// Codes that mean "not you".
const DENIALS: [&str; 2] = ["UNAUTHENTICATED", "FORBIDDEN"];

/// The denial code of a response, if it was refused for who the caller is:
/// a top-level error or a `userErrors` entry with a denial code.
fn denial(response: &Value, field: &str) -> Option<String> {
    let top = response["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|error| error["extensions"]["code"].as_str());
    let user_errors = response["data"][field]["userErrors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|error| error["code"].as_str());
    top.chain(user_errors)
        .find(|code| DENIALS.contains(code))
        .map(str::to_owned)
}

async fn tokens(app: &App) -> (Vec<(Caller, Option<String>)>, String) {
    let (admin, _) = app.register("admin@example.com").await;
    let user = app.user_with_role(&admin, "user@example.com", "USER").await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let (_, target) = app.register("target@example.com").await;
    (
        vec![
            (Anonymous, None),
            (User, Some(user)),
            (Accountant, Some(accountant)),
            (Admin, Some(admin)),
        ],
        target,
    )
}

#[tokio::test]
async fn every_query_and_mutation_refuses_exactly_the_callers_the_table_refuses() {
    let app = spawn_app().await;
    let (callers, target) = tokens(&app).await;
    let mut wrong = Vec::new();
    for entry in TABLE {
        for (caller, token) in &callers {
            let operation = entry
                .operation
                .replace("{NONE}", NO_SUCH_ID)
                .replace("{TARGET}", &target)
                .replace("{UNIQUE}", &uuid::Uuid::new_v4().simple().to_string());
            let response = app.graphql(token.as_deref(), &operation, json!({})).await;
            let refused = denial(&response, entry.field);
            let allowed = entry.allowed.contains(caller);
            match (allowed, refused) {
                // An allowed caller gets an answer: no top-level error at all.
                (true, None) if response["errors"].is_null() => {}
                (false, Some(code)) => {
                    let expected = if *caller == Anonymous {
                        "UNAUTHENTICATED"
                    } else {
                        "FORBIDDEN"
                    };
                    if code != expected {
                        wrong.push(format!(
                            "{} {} as {caller:?}: {code}, expected {expected}",
                            entry.kind, entry.field
                        ));
                    }
                }
                (true, _) => wrong.push(format!(
                    "{} {} as {caller:?} was refused or failed: {response}",
                    entry.kind, entry.field
                )),
                (false, None) => wrong.push(format!(
                    "{} {} as {caller:?} was not refused: {response}",
                    entry.kind, entry.field
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_query_and_mutation_of_the_schema_has_an_entry_in_the_table() {
    let app = spawn_app().await;
    let response = app
        .graphql(
            None,
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let schema: BTreeSet<(String, String)> = [("query", "queryType"), ("mutation", "mutationType")]
        .into_iter()
        .flat_map(|(kind, root)| {
            response["data"]["__schema"][root]["fields"]
                .as_array()
                .unwrap_or_else(|| panic!("{response}"))
                .iter()
                .map(move |field| (kind.to_owned(), field["name"].as_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let table: BTreeSet<(String, String)> = TABLE
        .iter()
        .map(|entry| (entry.kind.to_owned(), entry.field.to_owned()))
        .collect();
    let missing: Vec<_> = schema.difference(&table).collect();
    let stale: Vec<_> = table.difference(&schema).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "fields without an authorisation entry: {missing:?}; entries of no field: {stale:?}"
    );
}
