//! A seller's listings after they are published: a new price (for new
//! checkouts only), taking a product off the storefront and putting it
//! back, and every refusal; and the ADMIN's list of users.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use api_support::App;
use cycle::{spawn_on, Fakes, Shop};
use serde_json::{json, Value};

const CHANGE_PRICE: &str = "mutation($id: ID!, $price: MoneyInput!) { changeProductPrice(id: $id, price: $price) { product { price { amount currency } supplierCost { amount } status } position userErrors { code message field } } }";
const UNPUBLISH: &str = "mutation($id: ID!) { unpublishProduct(id: $id) { product { status } position userErrors { code message field } } }";
const PUBLISH: &str = "mutation($id: ID!) { publishProduct(id: $id) { product { status } position userErrors { code message field } } }";
const CHECKOUT: &str = "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId userErrors { code message } } }";

async fn change_price(
    app: &App,
    token: &str,
    product: &str,
    amount: &str,
    currency: &str,
) -> Value {
    let response = app
        .graphql(
            Some(token),
            CHANGE_PRICE,
            json!({ "id": product, "price": { "amount": amount, "currency": currency } }),
        )
        .await;
    response["data"]["changeProductPrice"].clone()
}

async fn unpublish(app: &App, token: Option<&str>, product: &str) -> Value {
    mutate(app, token, UNPUBLISH, "unpublishProduct", product).await
}

async fn publish(app: &App, token: Option<&str>, product: &str) -> Value {
    mutate(app, token, PUBLISH, "publishProduct", product).await
}

async fn mutate(
    app: &App,
    token: Option<&str>,
    operation: &str,
    field: &str,
    product: &str,
) -> Value {
    let response = app
        .graphql(token, operation, json!({ "id": product }))
        .await;
    response["data"][field].clone()
}

/// A checkout of one unit of the shop's product: its order id, or the refusal.
async fn check_out(app: &App, shop: &Shop) -> Result<String, Value> {
    let response = app
        .graphql(
            None,
            CHECKOUT,
            json!({ "input": { "productId": shop.product, "quantity": 1 } }),
        )
        .await;
    let payload = &response["data"]["createCheckout"];
    match payload["orderId"].as_str() {
        Some(order_id) => Ok(order_id.to_owned()),
        None => Err(payload["userErrors"].clone()),
    }
}

/// The order's price as its seller reads it.
async fn order_price(app: &App, shop: &Shop, order_id: &str) -> Value {
    let response = app
        .graphql(
            Some(&shop.seller),
            "query($id: ID!) { order(id: $id) { price { amount currency } } }",
            json!({ "id": order_id }),
        )
        .await;
    response["data"]["order"]["price"].clone()
}

/// The storefront's product ids, as anyone sees them after `position`.
async fn storefront(app: &App, position: &Value) -> Vec<String> {
    let response = app
        .graphql(
            None,
            "query($after: Int) { products(first: 50, consistentAfter: $after) { nodes { id } } }",
            json!({ "after": position }),
        )
        .await;
    response["data"]["products"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_new_price_applies_to_checkouts_started_after_it_and_the_supplier_cost_stays() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let before = check_out(&app, &shop).await.unwrap();

    let changed = change_price(&app, &shop.seller, &shop.product, "44.50", "USD").await;

    assert_eq!(changed["userErrors"], json!([]), "{changed}");
    assert_eq!(
        changed["product"]["price"],
        json!({ "amount": "44.50", "currency": "USD" })
    );
    assert_eq!(changed["product"]["supplierCost"]["amount"], "15.10");
    assert_eq!(changed["product"]["status"], "PUBLISHED");
    let after = check_out(&app, &shop).await.unwrap();
    assert_eq!(order_price(&app, &shop, &before).await["amount"], "39.99");
    assert_eq!(order_price(&app, &shop, &after).await["amount"], "44.50");
}

#[tokio::test]
async fn a_price_not_above_the_supplier_cost_or_in_another_currency_is_refused_at_the_price() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;

    for (amount, currency) in [
        ("15.10", "USD"),
        ("15.09", "USD"),
        ("50.00", "EUR"),
        ("0", "USD"),
        ("-1", "USD"),
    ] {
        let refused = change_price(&app, &shop.seller, &shop.product, amount, currency).await;
        let errors = refused["userErrors"]
            .as_array()
            .unwrap_or_else(|| panic!("{refused}"));
        assert_eq!(errors.len(), 1, "{amount} {currency}: {refused}");
        assert_eq!(
            errors[0]["code"], "INVALID_INPUT",
            "{amount} {currency}: {refused}"
        );
        assert!(
            errors[0]["field"]
                .as_str()
                .is_some_and(|field| field.starts_with("price")),
            "{amount} {currency}: {refused}"
        );
        assert!(refused["product"].is_null(), "{refused}");
    }
    let order_id = check_out(&app, &shop).await.unwrap();
    assert_eq!(order_price(&app, &shop, &order_id).await["amount"], "39.99");
}

#[tokio::test]
async fn only_the_owner_changes_or_unpublishes_a_product_and_an_unknown_one_is_not_found() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let (other_seller, _) = app.register("other@example.com").await;

    // Another seller, and the ADMIN too: a listing is its owner's.
    for token in [&other_seller, &shop.admin] {
        let refused = change_price(&app, token, &shop.product, "45.00", "USD").await;
        assert_eq!(refused["userErrors"][0]["code"], "FORBIDDEN", "{refused}");
        let refused = unpublish(&app, Some(token), &shop.product).await;
        assert_eq!(refused["userErrors"][0]["code"], "FORBIDDEN", "{refused}");
    }
    // The buyer has no listings and a visitor is not signed in.
    let refused = unpublish(&app, None, &shop.product).await;
    assert_eq!(
        refused["userErrors"][0]["code"], "UNAUTHENTICATED",
        "{refused}"
    );
    let unknown = "00000000-0000-4000-8000-000000000000";
    let refused = change_price(&app, &shop.seller, unknown, "45.00", "USD").await;
    assert_eq!(refused["userErrors"][0]["code"], "NOT_FOUND", "{refused}");
    let refused = unpublish(&app, Some(&shop.seller), "not-an-id").await;
    assert_eq!(refused["userErrors"][0]["field"], "id", "{refused}");

    let order_id = check_out(&app, &shop).await.unwrap();
    assert_eq!(order_price(&app, &shop, &order_id).await["amount"], "39.99");
}

#[tokio::test]
async fn an_unpublished_product_leaves_the_storefront_refuses_checkouts_and_can_come_back() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    // Started and approved at PayPal before the product is taken off.
    let started = app.check_out(&shop).await;

    let unpublished = unpublish(&app, Some(&shop.seller), &shop.product).await;

    assert_eq!(
        unpublished["product"]["status"], "UNPUBLISHED",
        "{unpublished}"
    );
    assert!(!storefront(&app, &unpublished["position"])
        .await
        .contains(&shop.product));
    let refused = check_out(&app, &shop).await.unwrap_err();
    assert_eq!(refused[0]["code"], "INVALID_STATE", "{refused}");
    let again = unpublish(&app, Some(&shop.seller), &shop.product).await;
    assert_eq!(again["userErrors"][0]["code"], "INVALID_STATE", "{again}");
    // A checkout started before still completes: the buyer agreed to it.
    app.capture(&shop, &started).await;
    app.wait_for_order(&shop.seller, &started.order_id, &["PURCHASED"])
        .await;

    let republished = publish(&app, Some(&shop.seller), &shop.product).await;
    assert_eq!(
        republished["product"]["status"], "PUBLISHED",
        "{republished}"
    );
    assert!(storefront(&app, &republished["position"])
        .await
        .contains(&shop.product));
    assert!(check_out(&app, &shop).await.is_ok());
}

const USERS: &str = "query($first: Int, $after: String, $position: Int) { users(first: $first, after: $after, consistentAfter: $position) { edges { cursor node { id email role } } pageInfo { hasNextPage } } }";

#[tokio::test]
async fn an_admin_lists_every_user_in_registration_order_with_their_role_page_by_page() {
    let app = api_support::spawn_app().await;
    let (admin, admin_id) = app.register("admin@example.com").await;
    let (_, seller_id) = app.register("seller@example.com").await;
    let (_, buyer_id) = app.register("buyer@example.com").await;
    let accountant = app
        .user_with_role(&admin, "accountant@example.com", "ACCOUNTANT")
        .await;
    let position = app.event_count().await;

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let response = app
            .graphql(
                Some(&admin),
                USERS,
                json!({ "first": 3, "after": after, "position": position }),
            )
            .await;
        let page = &response["data"]["users"];
        let edges = page["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"));
        for edge in edges {
            seen.push((
                edge["node"]["email"].as_str().unwrap().to_owned(),
                edge["node"]["role"].as_str().unwrap().to_owned(),
                edge["node"]["id"].as_str().unwrap().to_owned(),
            ));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = edges.last().unwrap()["cursor"].clone();
    }

    let emails: Vec<(&str, &str)> = seen
        .iter()
        .map(|(email, role, _)| (email.as_str(), role.as_str()))
        .collect();
    assert_eq!(
        emails,
        [
            ("admin@example.com", "ADMIN"),
            ("seller@example.com", "USER"),
            ("buyer@example.com", "USER"),
            ("accountant@example.com", "ACCOUNTANT"),
        ]
    );
    let ids: Vec<&str> = seen.iter().take(3).map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(
        ids,
        [admin_id.as_str(), seller_id.as_str(), buyer_id.as_str()]
    );

    // Nobody else lists people, the accountant included.
    for token in [Some(accountant.as_str()), None] {
        let response = app.graphql(token, USERS, json!({ "first": 3 })).await;
        assert!(response["data"]["users"].is_null(), "{response}");
        let code = &response["errors"][0]["extensions"]["code"];
        assert!(
            code == "FORBIDDEN" || code == "UNAUTHENTICATED",
            "{response}"
        );
    }
}
