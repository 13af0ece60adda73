//! Refunds of sold orders end to end, through `serve` with the fakes: the
//! sale reversed in proportion, unsent payouts reduced or cancelled, what
//! was already paid out owed back and kept from the payee's next payouts.
//! Each test checks the amounts of every party to the cent, the trial
//! balance, and the ledger's PayPal cash against the fake PayPal's balance
//! (the supplier is paid from that balance, as the ledger says).
//!
//! The shop sells one lamp at 39.99; the supplier charges 15.10; PayPal's
//! fee is 3.49 % + 0.49 = 1.89 (net 38.10); gross profit 24.89, commission
//! 15 % = 3.73, the seller's net profit 24.89 − 3.73 − 1.89 = 19.27.

mod api_support;
#[path = "api_support/books.rs"]
mod books;
#[path = "api_support/cycle.rs"]
mod cycle;

use api_support::App;
use books::{
    assert_account, books, books_balance_and_reconcile, refund_input, seller_id, usd,
    wait_for_count, REFUND,
};
use cycle::{spawn_on, Fakes, Shop};

use dropledger_domain::Currency;
use dropledger_integrations::{FakeOperation, Fault};
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn refund(order_id: &str, amount: &str) -> Value {
    refund_input(order_id, amount, "the lamp arrived broken")
}

async fn fakes_paying_the_supplier_from_paypal() -> Fakes {
    Fakes::paying_the_supplier_from_paypal("100.00").await
}

async fn shop(app: &App) -> Shop {
    app.shop("100.00", "15.10", "39.99").await
}

/// Payouts as `(recipient, amount, status)`, oldest first.
async fn payouts(app: &App, admin: &str) -> Vec<(String, String, String)> {
    let response = app
        .graphql(
            Some(admin),
            "{ payouts(first: 50) { edges { node { recipient amount { amount } status } } } }",
            json!({}),
        )
        .await;
    let mut payouts: Vec<(String, String, String)> = response["data"]["payouts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            (
                node["recipient"].as_str().unwrap().to_owned(),
                node["amount"]["amount"].as_str().unwrap().to_owned(),
                node["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    payouts.sort();
    payouts
}

/// Waits (up to 30 s) until the payouts read model shows what `check` wants.
async fn wait_for_payouts(
    app: &App,
    admin: &str,
    check: impl Fn(&[(String, String, String)]) -> bool,
) -> Vec<(String, String, String)> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let paid = payouts(app, admin).await;
        if check(&paid) {
            return paid;
        }
        assert!(tokio::time::Instant::now() < deadline, "payouts: {paid:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_full_refund_after_the_sale_before_the_payouts_cancels_them_and_the_seller_owes_the_rest()
{
    let fakes = fakes_paying_the_supplier_from_paypal().await;
    // PayPal refuses both payouts for good: they stay unsent (FAILED).
    fakes
        .paypal
        .inject_times(FakeOperation::PayPalPayout, Fault::ServerError(400), 2);
    let app = spawn_on(&fakes).await;
    let shop = shop(&app).await;
    let order_id = app.buy(&shop).await;
    app.wait_for_order(&shop.seller, &order_id, &["PURCHASED"])
        .await;
    wait_for_count(&app, "PayoutFailed", 2).await;

    let response = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "39.99"))
        .await;
    let payload = &response["data"]["refundOrder"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(payload["order"]["status"], "REFUNDED", "{response}");

    // Nothing was paid out, so nothing is sent now: both payouts cancelled.
    let seller = seller_id(&app, &shop, &order_id).await;
    wait_for_count(&app, "PayoutReduced", 2).await;
    let paid = wait_for_payouts(&app, &shop.admin, |paid| {
        paid.iter().all(|(_, _, status)| status == "CANCELLED")
    })
    .await;
    assert!(
        paid.iter().all(|(_, amount, _)| amount == "0.00"),
        "{paid:?}"
    );
    let books = books(&app).await;
    // Debit-positive: the customer has all 39.99 back; the admin gives back
    // the 3.73 of commission never paid; the seller's 19.27 was never paid,
    // and they owe the 15.10 the supplier kept and the 1.89 PayPal kept.
    assert_account(&books, "revenue:sales", "-39.99");
    assert_account(&books, "revenue:sales_refunds", "39.99");
    assert_account(&books, "expense:commission_share", "0");
    assert_account(&books, "expense:seller_share", "-16.99");
    assert_account(&books, "expense:supplier_cost", "15.10");
    assert_account(&books, "expense:payment_fees", "1.89");
    assert_account(&books, "payable:admin", "0");
    assert_account(&books, &format!("payable:user:{seller}"), "0");
    assert_account(&books, "receivable:admin", "0");
    assert_account(&books, &format!("receivable:user:{seller}"), "16.99");
    // 100 + 38.10 − 15.10 − 39.99: the owner's 100 less what the seller owes.
    assert_account(&books, "cash:paypal:available", "83.01");
    books_balance_and_reconcile(&app, &fakes).await;
    assert_eq!(fakes.paypal.available_balance(Currency::Usd), usd("83.01"));
}

#[tokio::test]
async fn a_partial_refund_after_the_payouts_is_owed_back_and_kept_from_the_next_payouts() {
    let fakes = fakes_paying_the_supplier_from_paypal().await;
    let app = spawn_on(&fakes).await;
    let shop = shop(&app).await;
    let first = app.buy(&shop).await;
    wait_for_count(&app, "PayoutSent", 2).await;
    let seller = seller_id(&app, &shop, &first).await;

    // Another seller (or the buyer) may not refund it; more than the price
    // is refused at the amount; neither asks PayPal or records anything.
    let stranger = app
        .user_with_role(&shop.admin, "other-seller@example.com", "USER")
        .await;
    let events_before = app.event_count().await;
    for token in [&stranger, &shop.buyer] {
        let denied = app
            .graphql(Some(token), REFUND, refund(&first, "10.00"))
            .await;
        assert_eq!(
            denied["data"]["refundOrder"]["userErrors"][0]["code"], "FORBIDDEN",
            "{denied}"
        );
    }
    let too_much = app
        .graphql(Some(&shop.admin), REFUND, refund(&first, "40.00"))
        .await;
    let refused = &too_much["data"]["refundOrder"]["userErrors"][0];
    assert_eq!(refused["code"], "REFUND_EXCEEDS_REFUNDABLE", "{too_much}");
    assert_eq!(refused["field"], "input.amount", "{too_much}");
    assert_eq!(app.event_count().await, events_before);

    let response = app
        .graphql(Some(&shop.admin), REFUND, refund(&first, "10.00"))
        .await;
    let payload = &response["data"]["refundOrder"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(
        payload["order"]["status"], "PURCHASED",
        "partly refunded, still sold"
    );
    // 29.99 is left: 30.00 is refused.
    let beyond = app
        .graphql(Some(&shop.seller), REFUND, refund(&first, "30.00"))
        .await;
    assert_eq!(
        beyond["data"]["refundOrder"]["userErrors"][0]["field"], "input.amount",
        "{beyond}"
    );

    // Both payouts were sent: the commission on 10.00 (3.73 × 10 / 39.99 =
    // 0.93) is owed back by the admin, the rest of the 10.00 (9.07) by the
    // seller.
    let after_first = books(&app).await;
    assert_account(&after_first, "receivable:admin", "0.93");
    assert_account(&after_first, &format!("receivable:user:{seller}"), "9.07");
    assert_account(&after_first, "revenue:sales_refunds", "10.00");
    books_balance_and_reconcile(&app, &fakes).await;

    // The next sale pays each of them less by what they owe: the admin
    // 3.73 − 0.93 = 2.80, the seller 19.27 − 9.07 = 10.20.
    let second = app.buy(&shop).await;
    app.wait_for_order(&shop.seller, &second, &["PURCHASED"])
        .await;
    wait_for_count(&app, "PayoutSent", 4).await;
    let paid = wait_for_payouts(&app, &shop.admin, |paid| {
        paid.iter()
            .filter(|(_, _, status)| status == "SENT")
            .count()
            == 4
    })
    .await;
    let amounts = |recipient: &str| -> Vec<String> {
        paid.iter()
            .filter(|(to, _, status)| to == recipient && status == "SENT")
            .map(|(_, amount, _)| amount.clone())
            .collect()
    };
    let mut admin = amounts("ADMIN");
    admin.sort();
    let mut seller_paid = amounts(&seller);
    seller_paid.sort();
    assert_eq!(admin, ["2.80", "3.73"], "{paid:?}");
    assert_eq!(seller_paid, ["10.20", "19.27"], "{paid:?}");
    let after_second = books(&app).await;
    assert_account(&after_second, "receivable:admin", "0");
    assert_account(&after_second, &format!("receivable:user:{seller}"), "0");
    // Each party's total: the admin earned 2 × 3.73 − 0.93 = 6.53 and was
    // paid exactly that; the seller 2 × 19.27 − 9.07 = 29.47, paid that.
    assert_account(&after_second, "expense:commission_share", "6.53");
    assert_account(&after_second, "expense:seller_share", "29.47");
    assert_account(&after_second, "payable:admin", "0");
    assert_account(&after_second, &format!("payable:user:{seller}"), "0");
    assert_account(&after_second, "revenue:sales", "-79.98");
    assert_account(&after_second, "expense:supplier_cost", "30.20");
    assert_account(&after_second, "expense:payment_fees", "3.78");
    books_balance_and_reconcile(&app, &fakes).await;

    // The rest of the first order, 29.99, refunds it in full.
    let rest = app
        .graphql(Some(&shop.seller), REFUND, refund(&first, "29.99"))
        .await;
    assert_eq!(
        rest["data"]["refundOrder"]["order"]["status"], "REFUNDED",
        "{rest}"
    );
    let after_all = books(&app).await;
    // The whole commission of the first sale (3.73) reversed in two parts.
    assert_account(&after_all, "receivable:admin", "2.80");
    assert_account(&after_all, "expense:commission_share", "3.73");
    // The seller owes the rest of the first refund: 29.99 − 2.80.
    assert_account(&after_all, &format!("receivable:user:{seller}"), "27.19");
    books_balance_and_reconcile(&app, &fakes).await;
}

#[tokio::test]
async fn a_refund_of_a_sold_order_made_in_paypals_dashboard_reverses_the_sale_once() {
    let fakes = fakes_paying_the_supplier_from_paypal().await;
    let app = fakes.spawn_app_receiving_webhooks().await;
    let shop = shop(&app).await;
    let order_id = app.buy(&shop).await;
    wait_for_count(&app, "PayoutSent", 2).await;
    let seller = seller_id(&app, &shop, &order_id).await;
    let capture_id = app.only_capture_id().await;

    fakes
        .paypal
        .refund_from_dashboard(&capture_id)
        .await
        .unwrap();

    assert_eq!(
        fakes.paypal.webhooks_sent(),
        vec![("PAYMENT.CAPTURE.REFUNDED".to_owned(), 200)]
    );
    let order = app
        .wait_for_order(&shop.seller, &order_id, &["REFUNDED"])
        .await;
    assert_eq!(order["status"], "REFUNDED", "{order}");
    assert_eq!(app.count("SaleRefunded").await, 1);
    assert_eq!(app.count("SaleReversed").await, 1);
    // Both were paid: the admin owes the 3.73, the seller the rest of the
    // 39.99 (36.26: their 19.27, the supplier's 15.10, PayPal's 1.89).
    let books = books(&app).await;
    assert_account(&books, "receivable:admin", "3.73");
    assert_account(&books, &format!("receivable:user:{seller}"), "36.26");
    assert_account(&books, "revenue:sales_refunds", "39.99");
    // Nothing is left to refund: ours is refused, nothing recorded twice.
    let again = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "39.99"))
        .await;
    assert_eq!(
        again["data"]["refundOrder"]["userErrors"][0]["code"], "INVALID_STATE",
        "{again}"
    );
    assert_eq!(app.count("SaleRefunded").await, 1);
    books_balance_and_reconcile(&app, &fakes).await;
}

#[tokio::test]
async fn partial_refunds_sent_many_times_at_once_never_refund_more_than_the_price() {
    let fakes = fakes_paying_the_supplier_from_paypal().await;
    let app = spawn_on(&fakes).await;
    let shop = shop(&app).await;
    let order_id = app.buy(&shop).await;
    wait_for_count(&app, "PayoutSent", 2).await;

    // Eight refunds of 10.00 at once, by the seller and the admin: at most
    // three fit in 39.99. Two callers that meet on one intent finish the
    // same PayPal refund; nothing is refunded twice.
    let tries = 8;
    let responses = futures::future::join_all((0..tries).map(|number| {
        let token = if number % 2 == 0 {
            &shop.seller
        } else {
            &shop.admin
        };
        app.graphql(Some(token), REFUND, refund(&order_id, "10.00"))
    }))
    .await;
    let mut refund_ids: Vec<String> = responses
        .iter()
        .filter_map(|response| {
            response["data"]["refundOrder"]["providerRefundId"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    refund_ids.sort();
    refund_ids.dedup();
    for response in &responses {
        let errors = &response["data"]["refundOrder"]["userErrors"];
        if errors != &json!([]) {
            assert!(
                matches!(
                    errors[0]["code"].as_str(),
                    Some("INVALID_STATE" | "REFUND_EXCEEDS_REFUNDABLE" | "VERSION_CONFLICT")
                ),
                "{response}"
            );
        }
    }
    let recorded = app.count("SaleRefunded").await;
    assert_eq!(recorded, refund_ids.len(), "{responses:?}");
    assert!((1..=3).contains(&recorded), "{recorded} refunds of 10.00");
    // PayPal refunded exactly what the ledger recorded.
    let refunded = Decimal::from(10 * recorded as i64);
    let books = books(&app).await;
    assert_account(&books, "revenue:sales_refunds", &refunded.to_string());
    books_balance_and_reconcile(&app, &fakes).await;
    eprintln!("{tries} concurrent refunds of 10.00: {recorded} made");
}
