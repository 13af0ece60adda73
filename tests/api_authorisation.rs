//! Who may call what: a table with one entry per query and mutation of the
//! schema, run against the real server for anonymous callers and each role,
//! and a check that no field of the schema is missing from the table.
//!
//! Adding a field to the schema means adding one line to `TABLE`; a field
//! that returns a user's account (personal data) also needs a line in
//! `PERSONAL`, checked against a real sale between two users.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

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
    entry("query", "disputes", "{ disputes { id } }", SIGNED_IN),
    entry("query", "balance", r#"{ balance(account: "cash:paypal:available") { posted { amount } } }"#, BOOKKEEPERS),
    entry("query", "trialBalance", "{ trialBalance { currency } }", BOOKKEEPERS),
    entry("query", "auditTrail", "{ auditTrail(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    entry("query", "projections", "{ projections { name } }", BOOKKEEPERS),
    entry("query", "apiCredentials", "{ apiCredentials { provider } }", SIGNED_IN),
    entry("query", "autopilot", "{ autopilot { cycles { id } } }", BOOKKEEPERS),
    entry("query", "opportunities", "{ opportunities(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    entry("query", "platformConfig", "{ platformConfig { commissionPct } }", BOOKKEEPERS),
    entry("query", "users", "{ users(first: 1) { edges { cursor } } }", ADMIN_ONLY),
    entry("query", "reconciliations", "{ reconciliations(first: 1) { edges { cursor } } }", BOOKKEEPERS),
    // Mutations.
    entry("mutation", "register", r#"mutation { register(input: {email: "{UNIQUE}@example.com", password: "correct horse", paypalPayoutEmail: "{UNIQUE}@example.com"}) { userErrors { code } } }"#, EVERYONE),
    entry("mutation", "login", r#"mutation { login(input: {email: "user@example.com", password: "correct horse"}) { userErrors { code } } }"#, EVERYONE),
    entry("mutation", "setUserRole", r#"mutation { setUserRole(userId: "{TARGET}", role: USER) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "setPlatformConfig", r#"mutation { setPlatformConfig(input: {commissionPct: "10", adminPaypalEmail: "admin@example.com"}) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "recordCapitalContribution", r#"mutation { recordCapitalContribution(input: {amount: {amount: "1.00", currency: "USD"}, reference: "{UNIQUE}"}) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "createProduct", r#"mutation { createProduct(input: {title: "Lamp", supplierProductId: "1005001", supplierCost: {amount: "1.00", currency: "USD"}, price: {amount: "2.00", currency: "USD"}}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "publishProduct", r#"mutation { publishProduct(id: "{NONE}") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "unpublishProduct", r#"mutation { unpublishProduct(id: "{NONE}") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "changeProductPrice", r#"mutation { changeProductPrice(id: "{NONE}", price: {amount: "3.00", currency: "USD"}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "createCheckout", r#"mutation { createCheckout(input: {productId: "{NONE}", quantity: 1}) { userErrors { code } } }"#, EVERYONE),
    entry("mutation", "captureCheckout", r#"mutation { captureCheckout(input: {orderId: "{NONE}", captureSecret: "x"}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "saveApiCredential", r#"mutation { saveApiCredential(input: {provider: "paypal", environment: "sandbox", values: [{name: "client_id", value: "x"}]}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "connectAliExpress", r#"mutation { connectAliExpress(environment: "sandbox") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "setPayoutMethod", r#"mutation { setPayoutMethod(input: {method: PAYPAL, destination: "{UNIQUE}@example.com", currentPassword: "correct horse"}) { userErrors { code } } }"#, SELLERS),
    // A wrong password: an allowed caller is answered (WRONG_PASSWORD) and
    // keeps their data for the next entries.
    entry("mutation", "deleteMyData", r#"mutation { deleteMyData(input: {currentPassword: "not the password"}) { erased userErrors { code } } }"#, SIGNED_IN),
    entry("mutation", "retryFulfilment", r#"mutation { retryFulfilment(orderId: "{NONE}") { userErrors { code } } }"#, SELLERS),
    entry("mutation", "setAutopilot", r#"mutation { setAutopilot(input: {enabled: false, intervalSeconds: 3600, marginThreshold: "20", markupPct: "50", maxListingsPerCycle: 3}) { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "runAutopilotCycle", r#"mutation { runAutopilotCycle { userErrors { code } } }"#, ADMIN_ONLY),
    entry("mutation", "refundOrder", r#"mutation { refundOrder(input: {orderId: "{NONE}", amount: {amount: "1.00", currency: "USD"}, reason: "test"}) { userErrors { code } } }"#, SELLERS),
    entry("mutation", "respondToDispute", r#"mutation { respondToDispute(input: {disputeId: "PP-D-NONE", action: ACCEPT}) { userErrors { code } } }"#, SELLERS),
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

/// Who looks at a sale between two users: anonymous, its buyer, its
/// seller, or a bookkeeper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Nobody,
    Buyer,
    Seller,
    Bookkeeper,
    Administrator,
}

/// Everyone.
const ALL_PARTIES: &[Party] = &[
    Party::Nobody,
    Party::Buyer,
    Party::Seller,
    Party::Bookkeeper,
    Party::Administrator,
];

/// One field that returns a user's account (`Type.field`), an operation
/// that reads its personal fields (`{ORDER}` is the sale's order id), the
/// root field whose `userErrors` may refuse it, and who may read it.
struct Personal {
    field: &'static str,
    root: &'static str,
    operation: &'static str,
    allowed: &'static [Party],
}

const ACCOUNT: &str = "email role paypalPayoutEmail payoutMethod payoutMethodChanges { method }";

// One line per field of the schema whose type is `User`.
#[rustfmt::skip]
const PERSONAL: &[Personal] = &[
    Personal { field: "Query.me", root: "me", operation: "{ me { ACCOUNT } }", allowed: ALL_PARTIES },
    Personal { field: "Product.ownerUser", root: "products", operation: "{ products(first: 10) { edges { node { seller { displayName } ownerUser { ACCOUNT } } } } }", allowed: &[Party::Seller, Party::Bookkeeper, Party::Administrator] },
    Personal { field: "Order.ownerUser", root: "order", operation: r#"{ order(id: "{ORDER}") { sellerProfile { displayName } ownerUser { ACCOUNT } } }"#, allowed: &[Party::Seller, Party::Bookkeeper, Party::Administrator] },
    Personal { field: "Order.buyerUser", root: "order", operation: r#"{ order(id: "{ORDER}") { buyerProfile { displayName } buyerUser { ACCOUNT } } }"#, allowed: &[Party::Buyer, Party::Bookkeeper, Party::Administrator] },
    Personal { field: "Payout.recipientUser", root: "payouts", operation: "{ payouts(first: 10) { edges { node { recipientUser { ACCOUNT } } } } }", allowed: &[Party::Buyer, Party::Seller, Party::Bookkeeper, Party::Administrator] },
    Personal { field: "UserEdge.node", root: "users", operation: "{ users(first: 10) { edges { node { ACCOUNT } } } }", allowed: &[Party::Administrator] },
    Personal { field: "AuthPayload.user", root: "login", operation: r#"mutation { login(input: {email: "seller@example.com", password: "correct horse"}) { user { ACCOUNT } } }"#, allowed: ALL_PARTIES },
    Personal { field: "SetUserRolePayload.user", root: "setUserRole", operation: r#"mutation { setUserRole(userId: "{SELLER}", role: USER) { user { ACCOUNT } userErrors { code } } }"#, allowed: &[Party::Administrator] },
    Personal { field: "SetPayoutMethodPayload.user", root: "setPayoutMethod", operation: "mutation { setPayoutMethod(input: {method: PAYONEER, destination: \"payee-1\", currentPassword: \"correct horse\"}) { user { ACCOUNT } userErrors { code } } }", allowed: &[Party::Buyer, Party::Seller, Party::Administrator] },
];

/// A shop with one order sold, fulfilled and paid out; the callers, the
/// order id and the seller's id.
async fn sold_order(app: &App) -> (Vec<(Party, Option<String>)>, String, String) {
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = app.buy(&shop).await;
    app.wait_for_events("both payouts sent", |events| {
        events
            .iter()
            .filter(|(_, kind)| kind == "PayoutSent")
            .count()
            == 2
    })
    .await;
    let accountant = app
        .user_with_role(&shop.admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let seller_id = app
        .graphql(Some(&shop.seller), "{ me { id } }", json!({}))
        .await["data"]["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (
        vec![
            (Party::Nobody, None),
            (Party::Buyer, Some(shop.buyer)),
            (Party::Seller, Some(shop.seller)),
            (Party::Bookkeeper, Some(accountant)),
            (Party::Administrator, Some(shop.admin)),
        ],
        order_id,
        seller_id,
    )
}

#[tokio::test]
async fn every_field_that_returns_personal_data_shows_it_only_to_the_user_admin_and_accountant() {
    let fakes = cycle::Fakes::start(false, "0.00").await;
    let app = cycle::spawn_on(&fakes).await;
    let (callers, order_id, seller_id) = sold_order(&app).await;
    let mut wrong = Vec::new();
    for entry in PERSONAL {
        for (caller, token) in &callers {
            let operation = entry
                .operation
                .replace("ACCOUNT", ACCOUNT)
                .replace("{ORDER}", &order_id)
                .replace("{SELLER}", &seller_id);
            let response = app.graphql(token.as_deref(), &operation, json!({})).await;
            let refused = denial(&response, entry.root);
            let leaked = response["data"].to_string().contains("@example.com");
            match (entry.allowed.contains(caller), refused) {
                (true, None) if response["errors"].is_null() => {}
                (false, Some(code)) if !leaked => {
                    let expected = if *caller == Party::Nobody {
                        "UNAUTHENTICATED"
                    } else {
                        "FORBIDDEN"
                    };
                    if code != expected {
                        wrong.push(format!(
                            "{} as {caller:?}: {code}, expected {expected}",
                            entry.field
                        ));
                    }
                }
                (true, _) => wrong.push(format!(
                    "{} as {caller:?} was refused or failed: {response}",
                    entry.field
                )),
                (false, _) => wrong.push(format!(
                    "{} as {caller:?} was not refused or leaked an e-mail: {response}",
                    entry.field
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The public profile is what a buyer and a seller see of each other.
    let (_, buyer) = &callers[1];
    let response = app
        .graphql(
            buyer.as_deref(),
            r#"query($id: ID!) { order(id: $id) { sellerProfile { id displayName } } }"#,
            json!({ "id": order_id }),
        )
        .await;
    let profile = &response["data"]["order"]["sellerProfile"];
    assert_eq!(profile["id"], seller_id.as_str(), "{response}");
    assert!(
        profile["displayName"]
            .as_str()
            .is_some_and(|name| !name.contains('@')),
        "{response}"
    );
}

#[tokio::test]
async fn every_field_whose_type_is_a_user_account_has_an_entry_in_the_personal_table() {
    let app = spawn_app().await;
    let response = app
        .graphql(
            None,
            "{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }",
            json!({}),
        )
        .await;
    let mut returning_users = BTreeSet::new();
    for object in response["data"]["__schema"]["types"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
    {
        for field in object["fields"].as_array().into_iter().flatten() {
            let kind = &field["type"];
            let names = [
                &kind["name"],
                &kind["ofType"]["name"],
                &kind["ofType"]["ofType"]["name"],
            ];
            if names.iter().any(|name| *name == "User") {
                returning_users.insert(format!(
                    "{}.{}",
                    object["name"].as_str().unwrap(),
                    field["name"].as_str().unwrap()
                ));
            }
        }
    }
    let table: BTreeSet<String> = PERSONAL
        .iter()
        .map(|entry| entry.field.to_owned())
        .collect();
    assert_eq!(
        returning_users, table,
        "fields returning a User vs the PERSONAL table"
    );
}

#[tokio::test]
async fn the_buyer_reads_an_order_history_without_supplier_cost_fees_capital_or_sale() {
    let fakes = cycle::Fakes::start(false, "0.00").await;
    let app = cycle::spawn_on(&fakes).await;
    let (callers, order_id, _) = sold_order(&app).await;
    let single = "query($id: ID!) { order(id: $id) { history { eventType payload } } }";
    let listed = "{ orders(first: 10) { edges { node { history { eventType payload } } } } }";
    // The seller's own records, never the buyer's business.
    let hidden_types = [
        "OrderPurchaseStarted",
        "OrderSaleRecorded",
        "OrderFlaggedForReview",
    ];
    let hidden_fields = [
        "unit_supplier_cost",
        "supplier_cost",
        "fee",
        "reserved",
        "entry_id",
    ];
    for (party, token) in &callers[1..] {
        for (query, path) in [
            (single, "/data/order/history"),
            (listed, "/data/orders/edges/0/node/history"),
        ] {
            let response = app
                .graphql(token.as_deref(), query, json!({ "id": order_id }))
                .await;
            let history = response
                .pointer(path)
                .unwrap_or_else(|| panic!("{response}"));
            let types: Vec<&str> = history
                .as_array()
                .unwrap_or_else(|| panic!("{response}"))
                .iter()
                .map(|event| event["eventType"].as_str().unwrap())
                .collect();
            let payloads: Vec<&Value> = history
                .as_array()
                .unwrap()
                .iter()
                .map(|e| &e["payload"])
                .collect();
            let shows_cost = types.iter().any(|t| hidden_types.contains(t))
                || payloads
                    .iter()
                    .any(|payload| hidden_fields.iter().any(|field| !payload[field].is_null()))
                || history.to_string().contains("15.10");
            assert!(types.contains(&"OrderPaid"), "{party:?}: {response}");
            assert_eq!(
                shows_cost,
                *party != Party::Buyer,
                "{party:?} sees the seller's costs: {shows_cost}; {response}"
            );
        }
    }
}
