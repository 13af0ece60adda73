//! The web app: served by `dropledger serve` beside the API, and used in a
//! real browser (headless Chromium) the way customers, sellers, admins and
//! accountants use it, against the server on local fake providers.

mod api_support;
mod browser_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use browser_support::Browser;
use cycle::{spawn_on, Fakes};
use serde_json::json;

/// How long an order may take from capture to PURCHASED in the browser.
const FULFILMENT_WAIT_MS: u64 = 30_000;

#[tokio::test]
async fn the_app_is_served_with_a_strict_policy_and_never_shadows_the_api() {
    let app = api_support::spawn_app().await;
    let http = &app.http;

    for path in [
        "/",
        "/products/6a0e6a4c-0000-4000-8000-000000000000",
        "/checkout/return?token=5O190127TN364715T&PayerID=X",
        "/checkout/cancel",
        "/orders/6a0e6a4c-0000-4000-8000-000000000000",
        "/signin",
        "/dashboard",
        "/dashboard/admin/settings",
    ] {
        let response = http
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self';"), "{path}: {policy}");
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(r#"<script type="module" src="/assets/"#),
            "{page}"
        );
    }

    // Assets: versioned URLs cached for a year, typed exactly.
    let page = http
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let script = page
        .split(r#"src=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page names its script")
        .to_owned();
    let response = http
        .get(format!("{}{script}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{script}");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let tag = response.headers()["etag"].clone();
    let revalidated = http
        .get(format!("{}{script}", app.address))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    let unknown = http
        .get(format!("{}/assets/0/app/nothing.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let elsewhere = http
        .get(format!("{}/no-such-page", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);

    // The server's own routes answer as before.
    let graphiql = http
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert!(graphiql.text().await.unwrap().contains("graphiql"));
    let health = http
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert!(health.headers().get("content-security-policy").is_none());
    assert!(app.metrics().await.contains("http_requests_total"));
    let callback = http
        .get(format!(
            "{}/oauth/aliexpress/callback?code=x&state=forged",
            app.address
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(callback.status(), 200);
    assert!(callback.headers().get("content-security-policy").is_none());
    let me = app.graphql(None, "{ me { id } }", json!({})).await;
    assert_eq!(me["data"]["me"], serde_json::Value::Null, "{me}");
}

#[tokio::test]
async fn a_cross_site_post_that_needs_no_preflight_is_refused_before_it_runs() {
    let app = api_support::spawn_app().await;
    let mutation = json!({ "query": "mutation { register(input: {email: \"csrf@example.com\", password: \"correct horse\", paypalPayoutEmail: \"csrf@example.com\"}) { token } }" })
        .to_string();
    // What a form or a no-cors fetch on another site can send.
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = app
            .http
            .post(format!("{}/graphql", app.address))
            .header("origin", "https://evil.example")
            .body(mutation.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
    }
    let login = app.login("csrf@example.com", "correct horse").await;
    assert_eq!(login["token"], serde_json::Value::Null, "{login}");
    // JSON, as the web app sends it, still works.
    app.register("csrf@example.com").await;
}

#[tokio::test]
async fn a_customer_buys_at_paypal_signs_in_on_the_way_back_and_watches_the_order_become_purchased()
{
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    // The buyer has an account (buyer@example.com) but is not signed in.
    let shop = app.shop("100.00", "15.10", "39.99").await;

    Browser::start("customer")
        .await
        .journey(|browser| async move {
            browser.goto(&format!("{}/", app.address)).await;
            browser.click_text(".card a", "LED desk lamp").await;
            browser.find_with_text("h1", "LED desk lamp").await;
            browser.wait_for_text("$39.99").await;
            browser.fill("#field-quantity", "1").await;
            browser.click_text("button", "Buy with PayPal").await;

            // PayPal's approval page sends the buyer back with PayPal's
            // order id, where the storefront asks them to sign in.
            let back = browser
                .wait_for_url("/checkout/return?token=", 15_000)
                .await;
            assert!(!back.contains("eyJ"), "a token in the URL: {back}");
            browser.find_with_text("h1", "Confirm your payment").await;
            browser.fill("#field-email", "buyer@example.com").await;
            browser.fill("#field-password", "wrong password").await;
            browser.click_text("button", "Sign in").await;
            browser.find(".notice.error, .field-error").await;
            browser.fill("#field-password", "correct horse").await;
            browser.click_text("button", "Sign in").await;

            // Captured, then followed live until the supplier has it.
            let order_url = browser.wait_for_url("/orders/", 15_000).await;
            let order_id = order_url.rsplit('/').next().unwrap().to_owned();
            assert!(!order_url.contains("token"), "{order_url}");
            browser
                .find_with_text(".live", "Updates as it happens")
                .await;
            browser
                .find_with_text_within(
                    ".order-status",
                    "Ordered from the supplier",
                    FULFILMENT_WAIT_MS,
                )
                .await;
            let order = app.order(&shop.seller, &order_id).await;
            assert_eq!(order["status"], "PURCHASED", "{order}");
            let buyer = app
                .graphql(Some(&shop.buyer), "{ me { id } }", json!({}))
                .await;
            let captured_by = app
                .graphql(
                    Some(&shop.seller),
                    "query($id: ID!) { order(id: $id) { buyer } }",
                    json!({ "id": order_id }),
                )
                .await;
            assert_eq!(
                captured_by["data"]["order"]["buyer"], buyer["data"]["me"]["id"],
                "{captured_by}"
            );

            // The supplier ships; the tracking poller records it and the
            // page shows the tracking number without a reload.
            let supplier_order = order["supplierOrderId"].as_str().unwrap();
            assert!(fakes.aliexpress.ship(supplier_order, "LP00123456789CN"));
            browser
                .find_with_text_within(".tracking", "LP00123456789CN", FULFILMENT_WAIT_MS)
                .await;
            browser.find_with_text(".order-status", "Shipped").await;
            browser.screenshot_for_readme("order-page").await;

            // A reload keeps the session (sessionStorage), and the token is
            // nowhere in the address or the page.
            browser.goto(&order_url).await;
            browser.find_with_text(".order-status", "Shipped").await;
            let page = browser
                .execute("return document.documentElement.outerHTML", json!([]))
                .await;
            assert!(
                !page.as_str().unwrap().contains("eyJ"),
                "a token in the page"
            );

            browser
                .goto(&format!("{}/checkout/cancel", app.address))
                .await;
            browser.wait_for_text("Nothing was charged").await;
            browser
        })
        .await;
}
