//! The web app: served by `dropledger serve` beside the API, and used in a
//! real browser (headless Chromium) the way customers, sellers, admins and
//! accountants use it, against the server on local fake providers.

mod api_support;
mod browser_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::time::Duration;

use browser_support::Browser;
use cycle::{spawn_on, Fakes};
use rust_decimal::Decimal;
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
            // On a phone: one column, nothing wider than the screen.
            browser.resize(390, 844).await;
            browser.goto(&format!("{}/", app.address)).await;
            browser.find_with_text(".card a", "LED desk lamp").await;
            assert!(
                !browser.overflows_sideways().await,
                "the storefront scrolls sideways on a phone"
            );
            browser.resize(1280, 900).await;
            browser.click_text(".card a", "LED desk lamp").await;
            browser.find_with_text("h1", "LED desk lamp").await;
            // The new page's heading has the focus: a screen reader says where the user is.
            assert!(
                browser.focused().await.starts_with("H1 LED desk lamp"),
                "{}",
                browser.focused().await
            );
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
            // The server's fulfilment first (its own pace), then the page,
            // loaded before and never reloaded, must show it.
            app.wait_for_order(&shop.seller, &order_id, &["PURCHASED"])
                .await;
            browser
                .find_with_text(".order-status", "Ordered from the supplier")
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
            let live = browser.find(".live").await;
            let pushed: u32 = browser
                .attribute(&live, "data-pushed")
                .await
                .and_then(|count| count.parse().ok())
                .unwrap_or(0);
            assert!(pushed > 0, "no change came through the subscription");
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

/// Signs in through the app's page and waits for the dashboard's nav.
async fn sign_in(browser: &Browser, address: &str, email: &str, next: &str) {
    browser
        .goto(&format!(
            "{address}/signin?next={}",
            next.replace('/', "%2F")
        ))
        .await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-password", "correct horse").await;
    browser.click_text("button", "Sign in").await;
    browser.find("nav.sections").await;
}

/// Clicks the dashboard's link `link` and waits for the page's `heading`.
async fn open_section(browser: &Browser, link: &str, heading: &str) {
    browser.click_text("nav.sections a", link).await;
    browser.find_with_text("h1", heading).await;
}

/// Presses Refresh until the page shows `text` (lists are read on demand).
async fn refresh_until(browser: &Browser, text: &str) {
    let deadline =
        tokio::time::Instant::now() + std::time::Duration::from_millis(FULFILMENT_WAIT_MS);
    loop {
        if browser.page_text().await.contains(text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never showed {text:?}:\n{}",
            browser.page_text().await
        );
        browser.click_text("button", "Refresh").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

/// The platform configured and funded by its admin (the first user), with
/// a buyer; their tokens.
async fn platform(app: &api_support::App) -> (String, String) {
    let (admin, _) = app.register("admin@example.com").await;
    let response = app
        .graphql(
            Some(&admin),
            "mutation { setPlatformConfig(input: {commissionPct: \"15\", adminPaypalEmail: \"admin@example.com\"}) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response["data"]["setPlatformConfig"]["userErrors"],
        json!([])
    );
    app.contribute(&admin, "100.00", "seed").await;
    let (buyer, _) = app.register("buyer@example.com").await;
    (admin, buyer)
}

#[tokio::test]
async fn a_seller_signs_up_connects_aliexpress_lists_a_product_and_follows_sales_payouts_and_a_refund(
) {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let (admin, buyer) = platform(&app).await;

    Browser::start("seller")
        .await
        .journey(|browser| async move {
            let address = &app.address;
            browser
                .goto(&format!("{address}/register?next=%2Fdashboard"))
                .await;
            browser.fill("#field-email", "seller@example.com").await;
            browser.fill("#field-password", "correct horse").await;
            browser.click_text("button", "Create account").await;
            browser.find_with_text("h1", "My products").await;

            // The AliExpress connection, through the supplier's OAuth pages
            // and back; the dashboard lists it by name and expiry only.
            open_section(&browser, "Account", "Account").await;
            browser.click_text("button", "Connect AliExpress").await;
            browser
                .wait_for_text("Your AliExpress account is connected")
                .await;
            browser.click_text("a", "Back to your dashboard").await;
            browser.find_with_text("td", "aliexpress").await;
            browser.find_with_text("td", "sandbox").await;
            browser
                .fill("#field-destination", "seller-payouts@example.com")
                .await;
            browser
                .fill("#field-currentPassword", "correct horse")
                .await;
            browser.click_text("button", "Save payout method").await;
            browser
                .find_with_text(".payout-method", "seller-payouts@example.com")
                .await;

            // A product: the API's refusal shows at the field it names.
            open_section(&browser, "My products", "My products").await;
            browser.fill("#field-supplierProductId", cycle::LAMP).await;
            browser.fill("#field-supplierCost", "15.10").await;
            browser.fill("#field-price", "39.99").await;
            browser.click_text("button", "Create product").await;
            browser.find("#field-title-error").await;
            let invalid = browser.find("#field-title").await;
            assert_eq!(
                browser.attribute(&invalid, "aria-invalid").await.as_deref(),
                Some("true")
            );
            browser.fill("#field-title", "LED desk lamp").await;
            browser.click_text("button", "Create product").await;
            browser.find_with_text("td", "Draft").await;
            browser.click_text("button", "Publish").await;
            browser.find_with_text("td", "Published").await;

            // A new price: one not above the cost is refused at the field.
            browser.fill("#field-newPrice", "15.00").await;
            browser.click_text("button", "Change price").await;
            browser.find("#field-newPrice-error").await;
            browser.fill("#field-newPrice", "41.50").await;
            browser.click_text("button", "Change price").await;
            browser
                .find_with_text(".notice.ok", "LED desk lamp now costs $41.50")
                .await;
            browser.find_with_text("td", "$41.50").await;
            // Off the storefront and back on it.
            browser.click_text("button", "Unpublish").await;
            browser.find_with_text("td", "Unpublished").await;
            browser.click_text("button", "Publish").await;
            browser.find_with_text("td", "Published").await;

            // A customer buys it (through the API): sale and payouts follow.
            let seller = app.login("seller@example.com", "correct horse").await["token"]
                .as_str()
                .unwrap()
                .to_owned();
            let products = app
                .graphql(
                    None,
                    "{ products(status: PUBLISHED) { edges { node { id } } } }",
                    json!({}),
                )
                .await;
            let product = products["data"]["products"]["edges"][0]["node"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let shop = cycle::Shop {
                admin,
                seller,
                buyer,
                product,
            };
            let sold = app.buy(&shop).await;
            app.wait_for_order(&shop.seller, &sold, &["PURCHASED"])
                .await;
            app.wait_for_events("both payouts SENT", |events| {
                events
                    .iter()
                    .filter(|(_, kind)| kind == "PayoutSent")
                    .count()
                    == 2
            })
            .await;
            // A second order the supplier cannot fill: refunded from the page.
            fakes.aliexpress.set_product_stock(cycle::LAMP, 0);
            let failed = app.buy(&shop).await;
            app.wait_for_order(&shop.seller, &failed, &["FAILED"]).await;

            // Lists read the read models, a moment behind the log.
            open_section(&browser, "Sales", "Sales").await;
            refresh_until(&browser, "$41.50").await;
            browser.find("svg.chart rect.bar").await;
            open_section(&browser, "Payouts", "Payouts").await;
            refresh_until(&browser, "Sent").await;
            open_section(&browser, "Orders", "My orders").await;
            refresh_until(&browser, "ran out of stock").await;
            browser
                .find_with_text("td", "Ordered from the supplier")
                .await;
            browser.click_text("button", "Refund").await;
            browser
                .click_text("button", "Confirm refund of $41.50")
                .await;
            browser.find_with_text(".notice.ok", "refunded").await;
            browser.find_with_text("td", "Refunded").await;
            let refunded = app.order(&shop.seller, &failed).await;
            assert_eq!(refunded["status"], "REFUNDED", "{refunded}");
            browser
        })
        .await;
}

#[tokio::test]
async fn an_admin_sets_the_platform_funds_it_runs_the_autopilot_and_retries_a_failed_order() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    // An order the supplier refuses once: the admin retries it.
    fakes.aliexpress.inject(
        dropledger_integrations::FakeOperation::AliExpressPlaceOrder,
        dropledger_integrations::Fault::OutOfStock,
    );
    let failed = app.buy(&shop).await;
    app.wait_for_order(&shop.admin, &failed, &["FAILED"]).await;
    let app = &app;

    Browser::start("admin")
        .await
        .journey(|browser| async move {
            let address = &app.address;
            sign_in(&browser, address, "admin@example.com", "/dashboard").await;
            browser.find_with_text("h1", "Capital").await;

            open_section(&browser, "Settings", "Platform settings").await;
            // The settings in force are read back, and the form starts from them.
            browser
                .find_with_text(".in-force", "15 % commission, paid to admin@example.com")
                .await;
            let prefilled = "return document.getElementById('field-commissionPct').value === '15'";
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while browser.execute(prefilled, json!([])).await != json!(true) {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the form never showed 15 %"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            browser.fill("#field-commissionPct", "twenty").await;
            browser
                .fill("#field-adminPaypalEmail", "owner@example.com")
                .await;
            browser.click_text("button", "Save settings").await;
            browser.find("#field-commissionPct-error").await;
            browser.fill("#field-commissionPct", "20").await;
            browser.click_text("button", "Save settings").await;
            browser
                .find_with_text(".notice.ok", "20 % commission, paid to owner@example.com")
                .await;
            browser
                .find_with_text(".in-force", "20 % commission, paid to owner@example.com")
                .await;

            open_section(&browser, "Capital", "Capital").await;
            browser.fill("#field-amount", "500.00").await;
            browser.fill("#field-reference", "bank transfer 42").await;
            browser.click_text("button", "Record contribution").await;
            browser.find_with_text(".notice.ok", "$500.00").await;
            // 100 + 500 contributed, 39.99 captured less PayPal's 1.89 fee,
            // the failed order's hold voided: read after the write.
            browser.find_with_text(".free-capital", "$638.10").await;
            browser.find("svg.chart rect.bar").await;
            browser.screenshot_for_readme("dashboard-capital").await;

            open_section(&browser, "Autopilot", "Autopilot").await;
            browser.fill("#field-marginThreshold", "10").await;
            browser.click_text("button", "Save autopilot").await;
            browser
                .find_with_text(".notice.ok", "Autopilot saved")
                .await;
            browser.click_text("button", "Run a cycle now").await;
            browser.find_with_text(".autopilot-message", "listed").await;
            browser.find_with_text(".badge", "LISTED").await;
            // The read model's list of cycles follows a moment later.
            refresh_until(&browser, "MANUAL").await;

            open_section(&browser, "Orders", "All orders").await;
            browser.find_with_text("td", "ran out of stock").await;
            browser.click_text("button", "Retry fulfilment").await;
            browser.find_with_text(".notice.ok", "started again").await;
            // No Refresh: the page follows the log (the `events` subscription).
            browser
                .find_with_text("td", "Ordered from the supplier")
                .await;

            open_section(&browser, "Users and roles", "Users and roles").await;
            let choose = browser
                .find("button[aria-label='Choose buyer@example.com']")
                .await;
            browser.click(&choose).await;
            browser.select("#field-role", "ACCOUNTANT").await;
            browser.click_text("button", "Grant role").await;
            browser
                .find_with_text(".notice.ok", "buyer@example.com is now ACCOUNTANT")
                .await;

            open_section(&browser, "Read models", "Read models").await;
            for name in ["ledger", "commerce", "audit"] {
                browser.find_with_text("td", name).await;
            }
            browser.find_with_text("td", "RUNNING").await;
            browser
        })
        .await;
    let order = app.order(&shop.admin, &failed).await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
}

/// Decodes a `data:text/csv;charset=utf-8,…` link's text.
fn data_url_text(url: &str) -> String {
    let encoded = url.split_once(',').expect("a data URL").1.as_bytes();
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut index = 0;
    while index < encoded.len() {
        if encoded[index] == b'%' {
            let hex = std::str::from_utf8(&encoded[index + 1..index + 3]).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).unwrap());
            index += 3;
        } else {
            bytes.push(encoded[index]);
            index += 1;
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[tokio::test]
async fn an_accountant_reads_a_balanced_trial_balance_and_the_audit_trail_of_one_order() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order = app.buy(&shop).await;
    app.wait_for_order(&shop.seller, &order, &["PURCHASED"])
        .await;
    app.user_with_role(&shop.admin, "accountant@example.com", "ACCOUNTANT")
        .await;

    Browser::start("accountant")
        .await
        .journey(|browser| async move {
            sign_in(
                &browser,
                &app.address,
                "accountant@example.com",
                "/dashboard",
            )
            .await;
            browser.find_with_text("h1", "Trial balance").await;
            browser
                .find_with_text(".balanced", "Balanced: debits equal credits")
                .await;
            let debit = browser.text(&browser.find(".total-debit").await).await;
            let credit = browser.text(&browser.find(".total-credit").await).await;
            assert_eq!(debit, credit);
            assert_ne!(debit, "$0.00");
            // Its CSV: exact amounts, debits summing to credits.
            let link = browser.find("a.csv").await;
            assert_eq!(
                browser.attribute(&link, "download").await.as_deref(),
                Some("trial-balance-USD.csv")
            );
            let csv = data_url_text(&browser.attribute(&link, "href").await.unwrap());
            let mut lines = csv.lines();
            assert_eq!(
                lines.next(),
                Some(r#""Account","Name","Debit","Credit","Currency""#),
                "{csv}"
            );
            let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
            for line in lines {
                let cells: Vec<&str> = line.split(',').map(|cell| cell.trim_matches('"')).collect();
                assert_eq!(cells.len(), 5, "{line}");
                debits += cells[2].parse::<Decimal>().unwrap();
                credits += cells[3].parse::<Decimal>().unwrap();
                assert_eq!(cells[4], "USD", "{line}");
            }
            assert_eq!(debits, credits, "{csv}");
            assert!(debits > Decimal::ZERO, "{csv}");
            assert!(csv.contains(r#""cash:paypal:available""#), "{csv}");
            // Selling is not the accountant's: no product section.
            assert!(browser
                .find_all("nav.sections a[href='/dashboard/products']")
                .await
                .is_empty());

            open_section(&browser, "Accounts", "Accounts").await;
            browser.find_with_text("td", "cash:paypal:available").await;
            let link = browser.find("a.csv").await;
            assert_eq!(
                browser.attribute(&link, "download").await.as_deref(),
                Some("accounts.csv")
            );

            open_section(&browser, "General ledger", "General ledger").await;
            browser
                .find_with_text(".ledger-account", "cash:paypal:available")
                .await;
            browser.fill("#field-ledgerAccount", "equity").await;
            browser.find_with_text(".ledger-account", "equity").await;
            for line in browser.find_all(".ledger-account").await {
                assert!(browser.text(&line).await.contains("equity"));
            }

            open_section(&browser, "Audit trail", "Audit trail").await;
            browser.fill("#field-orderId", &order).await;
            browser.click_text("button", "Search").await;
            for event in ["OrderCreated", "OrderPaid", "OrderPurchased"] {
                browser.find_with_text(".event-type", event).await;
            }
            let link = browser.find("a.csv").await;
            assert_eq!(
                browser.attribute(&link, "download").await.as_deref(),
                Some("audit-trail.csv")
            );
            let csv = data_url_text(&browser.attribute(&link, "href").await.unwrap());
            assert!(
                csv.starts_with(r#""position","recordedAt","streamId""#),
                "{csv}"
            );
            assert!(csv.contains(&format!("\"order-{order}\"")), "{csv}");
            assert!(csv.contains("\"OrderPaid\""), "{csv}");
            browser.screenshot_for_readme("dashboard-audit").await;
            browser
        })
        .await;
}

#[tokio::test]
async fn a_user_is_refused_the_admin_and_accountant_pages() {
    let app = api_support::spawn_app().await;
    app.register("admin@example.com").await;
    let (user, _) = app.register("user@example.com").await;
    let app = &app;

    Browser::start("refused")
        .await
        .journey(|browser| async move {
            sign_in(&browser, &app.address, "user@example.com", "/dashboard").await;
            browser.find_with_text("h1", "My products").await;
            assert!(browser
                .find_all("nav.sections a[href='/dashboard/admin/capital']")
                .await
                .is_empty());
            for path in [
                "/dashboard/admin/capital",
                "/dashboard/admin/settings",
                "/dashboard/books/audit",
            ] {
                browser.goto(&format!("{}{path}", app.address)).await;
                browser.find_with_text("h1", "Not for your role").await;
                assert!(!browser.page_text().await.contains("Free capital"));
            }
            browser
        })
        .await;
    // The API refuses too, whatever a page shows.
    let response = app
        .graphql(
            Some(&user),
            "{ workingCapital { free { amount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{response}"
    );
}

#[tokio::test]
async fn a_request_the_server_never_answers_says_so_and_offers_to_try_again() {
    let mut app = api_support::spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let product = app.published_product(&admin).await;
    let address = app.address.clone();
    let app = &mut app;

    Browser::start("network")
        .await
        .journey(|browser| async move {
            browser.goto(&format!("{address}/products/{product}")).await;
            browser.find_with_text("button", "Buy with PayPal").await;
            app.kill().await;
            browser.click_text("button", "Buy with PayPal").await;
            browser
                .find_with_text("[role=alert]", "The server could not be reached")
                .await;
            browser
                .find_with_text("[role=alert] button", "Try again")
                .await;
            assert!(browser
                .url()
                .await
                .ends_with(&format!("/products/{product}")));
            // The failed request is the console's only error.
            let errors = browser.console_errors().await;
            assert!(
                !errors.is_empty()
                    && errors
                        .iter()
                        .all(|error| error.contains("ERR_CONNECTION_REFUSED")),
                "{errors:?}"
            );
            browser
        })
        .await;
}
