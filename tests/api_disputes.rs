//! Customers' disputes end to end, through `serve` with the fakes: PayPal
//! opens a dispute by webhook (the amount held from the balance), the
//! seller answers through `respondToDispute`, and PayPal's outcome by
//! webhook releases the hold (won) or refunds the sale with the chargeback
//! fee borne by the seller (lost). Each test checks every party's amounts
//! to the cent, the trial balance, and the ledger's PayPal cash against the
//! fake PayPal's balance.
//!
//! The shop sells one lamp at 39.99; the supplier charges 15.10; PayPal's
//! fee is 1.89; commission 15 % = 3.73; the seller's net profit 19.27.

mod api_support;
#[path = "api_support/books.rs"]
mod books;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::collections::HashMap;

use api_support::App;
use books::{assert_account, books, books_balance_and_reconcile, seller_id, usd, wait_for_count};
use cycle::{Fakes, Shop};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const RESPOND: &str = "mutation($input: RespondToDisputeInput!) { respondToDispute(input: $input) { disputeId orderId userErrors { code message field } } }";
const DISPUTES: &str =
    "{ disputes { id orderId amount { amount currency } reason stage status answer outcome } }";

fn respond(dispute_id: &str, action: &str) -> Value {
    json!({ "input": { "disputeId": dispute_id, "action": action, "note": "see the tracking" } })
}

/// Fakes whose supplier is paid from PayPal's balance (opening at the
/// owner's 100.00), a server PayPal's webhooks reach, and one lamp sold
/// with both payouts sent; the order id.
async fn sold_and_paid_out() -> (Fakes, App, Shop, String) {
    let fakes = Fakes::paying_the_supplier_from_paypal("100.00").await;
    let app = fakes.spawn_app_receiving_webhooks().await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = app.buy(&shop).await;
    wait_for_count(&app, "PayoutSent", 2).await;
    (fakes, app, shop, order_id)
}

/// Each account's balance (trial balance zero after a rebuild), with the
/// ledger's PayPal cash checked against the fake PayPal's.
async fn books_reconciled(app: &App, fakes: &Fakes) -> HashMap<String, Decimal> {
    books_balance_and_reconcile(app, fakes).await;
    books(app).await
}

async fn disputes(app: &App, token: &str) -> Vec<Value> {
    let response = app.graphql(Some(token), DISPUTES, json!({})).await;
    response["data"]["disputes"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"))
        .clone()
}

fn first_error_code(response: &Value) -> String {
    response["data"]["respondToDispute"]["userErrors"][0]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned()
}

#[tokio::test]
async fn a_dispute_won_with_the_tracking_as_evidence_holds_the_amount_then_releases_it() {
    let (fakes, app, shop, order_id) = sold_and_paid_out().await;
    let seller = seller_id(&app, &shop, &order_id).await;
    // Evidence is the tracking number uploaded: the supplier ships.
    let order = app.order(&shop.seller, &order_id).await;
    let supplier_order_id = order["supplierOrderId"].as_str().unwrap();
    assert!(fakes.aliexpress.ship(supplier_order_id, "LP00123456789CN"));
    wait_for_count(&app, "OrderShipped", 1).await;
    let capture_id = app.only_capture_id().await;
    let dispute_id = fakes
        .paypal
        .open_dispute(
            &capture_id,
            usd("39.99"),
            "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
        )
        .await
        .unwrap();
    wait_for_count(&app, "DisputedFundsHeld", 1).await;

    // PayPal holds the whole price: it left available cash for disputed.
    let held = books_reconciled(&app, &fakes).await;
    assert_account(&held, "cash:paypal:disputed", "39.99");
    let listed = disputes(&app, &shop.seller).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], dispute_id.as_str());
    assert_eq!(listed[0]["orderId"], order_id.as_str());
    assert_eq!(listed[0]["amount"]["amount"], "39.99");
    assert_eq!(listed[0]["answer"], Value::Null);
    // Another seller sees none of it, and may not answer it.
    let stranger = app
        .user_with_role(&shop.admin, "other-seller@example.com", "USER")
        .await;
    assert!(disputes(&app, &stranger).await.is_empty());
    let denied = app
        .graphql(
            Some(&stranger),
            RESPOND,
            respond(&dispute_id, "PROVIDE_EVIDENCE"),
        )
        .await;
    assert_eq!(first_error_code(&denied), "FORBIDDEN");
    let unknown = app
        .graphql(
            Some(&shop.seller),
            RESPOND,
            respond("PP-D-NOSUCH", "ACCEPT"),
        )
        .await;
    assert_eq!(first_error_code(&unknown), "NOT_FOUND");

    let answered = app
        .graphql(
            Some(&shop.seller),
            RESPOND,
            respond(&dispute_id, "PROVIDE_EVIDENCE"),
        )
        .await;
    assert_eq!(
        answered["data"]["respondToDispute"]["userErrors"],
        json!([]),
        "{answered}"
    );
    let evidence = fakes.paypal.dispute_evidence(&dispute_id);
    assert_eq!(evidence[0]["evidence_type"], "PROOF_OF_FULFILLMENT");
    assert_eq!(
        evidence[0]["evidence_info"]["tracking_info"][0]["tracking_number"],
        "LP00123456789CN"
    );
    let twice = app
        .graphql(Some(&shop.seller), RESPOND, respond(&dispute_id, "ACCEPT"))
        .await;
    assert_eq!(first_error_code(&twice), "DISPUTE_ALREADY_ANSWERED");

    fakes
        .paypal
        .resolve_dispute(&dispute_id, true, usd("0"))
        .await
        .unwrap();
    wait_for_count(&app, "DisputedFundsReleased", 1).await;
    let resolved = app
        .graphql(Some(&shop.admin), RESPOND, respond(&dispute_id, "ACCEPT"))
        .await;
    assert_eq!(first_error_code(&resolved), "DISPUTE_RESOLVED");

    // Won: nothing left held, every party as after the sale.
    let books = books_reconciled(&app, &fakes).await;
    assert_account(&books, "cash:paypal:disputed", "0");
    assert_account(&books, "revenue:sales_refunds", "0");
    assert_account(&books, "expense:chargeback_fees", "0");
    assert_account(&books, "expense:commission_share", "3.73");
    assert_account(&books, "expense:seller_share", "19.27");
    assert_account(&books, "receivable:admin", "0");
    assert_account(&books, &format!("receivable:user:{seller}"), "0");
    let listed = disputes(&app, &shop.admin).await;
    assert_eq!(listed[0]["outcome"], "WON", "{listed:?}");
    assert_eq!(listed[0]["answer"], "PROVIDE_EVIDENCE", "{listed:?}");
}

#[tokio::test]
async fn a_chargeback_lost_after_the_payouts_refunds_the_sale_and_the_seller_owes_it_and_the_fee() {
    let (fakes, app, shop, order_id) = sold_and_paid_out().await;
    let seller = seller_id(&app, &shop, &order_id).await;
    let capture_id = app.only_capture_id().await;
    let dispute_id = fakes
        .paypal
        .open_dispute(&capture_id, usd("39.99"), "UNAUTHORISED")
        .await
        .unwrap();
    wait_for_count(&app, "DisputedFundsHeld", 1).await;
    fakes.paypal.escalate_dispute(&dispute_id).await.unwrap();
    fakes
        .paypal
        .resolve_dispute(&dispute_id, false, usd("20.00"))
        .await
        .unwrap();
    wait_for_count(&app, "DisputeLost", 1).await;

    // The customer has the 39.99 back and PayPal charged 20.00. The admin
    // owes back the commission paid out (3.73); the seller the rest of the
    // price and the fee: 39.99 − 3.73 + 20.00 = 56.26.
    let books = books_reconciled(&app, &fakes).await;
    assert_account(&books, "cash:paypal:disputed", "0");
    assert_account(&books, "revenue:sales_refunds", "39.99");
    assert_account(&books, "expense:chargeback_fees", "20.00");
    assert_account(&books, "expense:commission_share", "0");
    assert_account(&books, "expense:seller_share", "-36.99");
    assert_account(&books, "receivable:admin", "3.73");
    assert_account(&books, &format!("receivable:user:{seller}"), "56.26");
    let order = app.order(&shop.seller, &order_id).await;
    assert_eq!(order["status"], "REFUNDED", "{order}");
    let listed = disputes(&app, &shop.admin).await;
    assert_eq!(listed[0]["outcome"], "LOST", "{listed:?}");
    assert_eq!(listed[0]["stage"], "CHARGEBACK", "{listed:?}");
}

#[tokio::test]
async fn a_dispute_whose_webhooks_never_arrive_is_found_by_the_poll_and_recorded_once() {
    let fakes = Fakes::paying_the_supplier_from_paypal("100.00").await;
    // No webhook reaches this server: only the poll can learn of it.
    let app = cycle::spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = app.buy(&shop).await;
    wait_for_count(&app, "PayoutSent", 2).await;
    let seller = seller_id(&app, &shop, &order_id).await;
    let capture_id = app.only_capture_id().await;
    let dispute_id = fakes
        .paypal
        .open_dispute(
            &capture_id,
            usd("10.00"),
            "MERCHANDISE_OR_SERVICE_NOT_AS_DESCRIBED",
        )
        .await
        .unwrap();
    wait_for_count(&app, "OrderDisputeOpened", 1).await;
    fakes
        .paypal
        .resolve_dispute(&dispute_id, false, usd("0"))
        .await
        .unwrap();
    wait_for_count(&app, "DisputeLost", 1).await;
    // Polled again and again: recorded once.
    wait_for_count(&app, "OrderDisputeResolved", 1).await;
    assert_eq!(app.count("OrderDisputeOpened").await, 1);
    assert_eq!(app.count("DisputedFundsHeld").await, 1);
    // 3.73 × 10 / 39.99 = 0.93 from the admin, 9.07 from the seller.
    let books = books_reconciled(&app, &fakes).await;
    assert_account(&books, "receivable:admin", "0.93");
    assert_account(&books, &format!("receivable:user:{seller}"), "9.07");
    assert_account(&books, "revenue:sales_refunds", "10.00");
    assert_account(&books, "cash:paypal:disputed", "0");
}
