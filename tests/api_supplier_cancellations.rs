//! Supplier cancellations end to end, through `serve` with the fakes: the
//! fake AliExpress cancels an order it accepted, then closes it and pays
//! its cost back into the PayPal balance the purchase was paid from; the
//! tracking poller (two servers on one database, polling every 2 s) records
//! the cancellation and the refund once each, and the seller refunds the
//! customer in one `refundOrder`. Each party's account is checked to the
//! cent, the trial balance, and the ledger's PayPal cash against the fake
//! PayPal's balance.
//!
//! The shop sells one lamp at 39.99; the supplier charges 15.10; PayPal's
//! fee is 1.89 (net 38.10); commission 15 % of 24.89 = 3.73; the seller's
//! net profit 19.27.

mod api_support;
#[path = "api_support/books.rs"]
mod books;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::time::Duration;

use api_support::{start_server, App};
use books::{
    assert_account, books, books_balance_and_reconcile, refund_input, seller_id, usd,
    wait_for_count, REFUND,
};
use cycle::{spawn_on, Fakes, Shop};

use dropledger_domain::Currency;
use dropledger_integrations::{FakeOperation, Fault};
use serde_json::json;

/// The seller refunds the whole 39.99 with one `refundOrder`: REFUNDED.
async fn refund_in_one_step(app: &App, shop: &Shop, order_id: &str) {
    let input = refund_input(order_id, "39.99", "the supplier cancelled the order");
    let response = app.graphql(Some(&shop.seller), REFUND, input).await;
    let payload = &response["data"]["refundOrder"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(payload["order"]["status"], "REFUNDED", "{response}");
}

async fn supplier_order_id(app: &App, token: &str, order_id: &str) -> String {
    let order = app.order(token, order_id).await;
    order["supplierOrderId"]
        .as_str()
        .unwrap_or_else(|| panic!("{order}"))
        .to_owned()
}

/// Lets both pollers run a few more rounds (every 2 s).
async fn a_few_more_polls() {
    tokio::time::sleep(Duration::from_millis(5_000)).await;
}

#[tokio::test]
async fn a_supplier_cancellation_after_the_payouts_is_owed_back_refunded_and_refunded_to_the_customer_in_one_step(
) {
    let fakes = Fakes::paying_the_supplier_from_paypal("100.00").await;
    let app = spawn_on(&fakes).await;
    // A second server on the same database: two tracking pollers race.
    let env = fakes.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_second, _) = start_server(&app.db.url(), &env).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = app.buy(&shop).await;
    wait_for_count(&app, "PayoutSent", 2).await;
    let seller = seller_id(&app, &shop, &order_id).await;
    let supplier_order = supplier_order_id(&app, &shop.seller, &order_id).await;

    // The supplier agrees to cancel (IN_CANCEL): nothing ships, its 15.10
    // is owed back; the cost of the sold goods is no longer an expense.
    fakes.aliexpress.cancel(&supplier_order, false).unwrap();
    let order = app
        .wait_for_order(&shop.seller, &order_id, &["SUPPLIER_CANCELLED"])
        .await;
    assert_eq!(order["status"], "SUPPLIER_CANCELLED", "{order}");
    let cancelled = books(&app).await;
    assert_account(&cancelled, "receivable:supplier", "15.10");
    assert_account(&cancelled, "expense:supplier_cost", "0");
    // 100 + 38.10 − 15.10 − 3.73 − 19.27: the refund is still to come.
    assert_account(&cancelled, "cash:paypal:available", "100.00");
    books_balance_and_reconcile(&app, &fakes).await;

    // The supplier closes the order and pays its 15.10 back into PayPal.
    fakes.aliexpress.cancel(&supplier_order, true).unwrap();
    wait_for_count(&app, "OrderSupplierRefunded", 1).await;
    let refunded = books(&app).await;
    assert_account(&refunded, "receivable:supplier", "0");
    assert_account(&refunded, "cash:paypal:available", "115.10");
    books_balance_and_reconcile(&app, &fakes).await;
    assert_eq!(fakes.paypal.available_balance(Currency::Usd), usd("115.10"));

    // One step: the whole 39.99 back to the customer.
    refund_in_one_step(&app, &shop, &order_id).await;

    a_few_more_polls().await;
    // Two pollers, many polls: each fact recorded once.
    for event_type in [
        "OrderSupplierCancelled",
        "SupplierPurchaseCancelled",
        "OrderSupplierRefunded",
        "SupplierRefundReceived",
        "SaleReversed",
    ] {
        assert_eq!(app.count(event_type).await, 1, "{event_type}");
    }
    let books = books(&app).await;
    // Debit-positive. The customer has 39.99 back; the supplier gave back
    // its 15.10; PayPal keeps its 1.89; the admin owes the 3.73 it was
    // paid; the seller owes their 19.27 and the 1.89 PayPal kept (21.16),
    // not the supplier's cost, which the supplier returned.
    assert_account(&books, "revenue:sales", "-39.99");
    assert_account(&books, "revenue:sales_refunds", "39.99");
    assert_account(&books, "expense:supplier_cost", "0");
    assert_account(&books, "expense:payment_fees", "1.89");
    assert_account(&books, "expense:commission_share", "0");
    assert_account(&books, "expense:seller_share", "-1.89");
    assert_account(&books, "receivable:supplier", "0");
    assert_account(&books, "receivable:admin", "3.73");
    assert_account(&books, &format!("receivable:user:{seller}"), "21.16");
    assert_account(&books, "payable:admin", "0");
    assert_account(&books, &format!("payable:user:{seller}"), "0");
    assert_account(&books, "goods_in_transit", "0");
    assert_account(&books, "customer_prepayments", "0");
    // 115.10 − 39.99: the owner's 100 less what the admin and seller owe.
    assert_account(&books, "cash:paypal:available", "75.11");
    assert_account(&books, "equity:owner_capital", "-100.00");
    books_balance_and_reconcile(&app, &fakes).await;
    assert_eq!(fakes.paypal.available_balance(Currency::Usd), usd("75.11"));
}

#[tokio::test]
async fn a_supplier_cancellation_before_the_payouts_takes_the_refund_off_them() {
    let fakes = Fakes::paying_the_supplier_from_paypal("100.00").await;
    // PayPal refuses both payouts for good: they stay unsent (FAILED).
    fakes
        .paypal
        .inject_times(FakeOperation::PayPalPayout, Fault::ServerError(400), 2);
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = app.buy(&shop).await;
    wait_for_count(&app, "PayoutFailed", 2).await;
    let seller = seller_id(&app, &shop, &order_id).await;
    let supplier_order = supplier_order_id(&app, &shop.seller, &order_id).await;

    // Closed and refunded at once: both facts recorded by the same poll.
    fakes.aliexpress.cancel(&supplier_order, true).unwrap();
    wait_for_count(&app, "OrderSupplierRefunded", 1).await;
    let order = app.order(&shop.seller, &order_id).await;
    assert_eq!(order["status"], "SUPPLIER_CANCELLED", "{order}");

    refund_in_one_step(&app, &shop, &order_id).await;
    wait_for_count(&app, "PayoutReduced", 2).await;

    let books = books(&app).await;
    // Nothing was paid out: both payouts come off in full (the admin's
    // 3.73, the seller's 19.27), and the seller still owes the 1.89 PayPal
    // kept — their sale's fee — and nothing of the supplier's cost.
    assert_account(&books, "payable:admin", "0");
    assert_account(&books, &format!("payable:user:{seller}"), "0");
    assert_account(&books, "receivable:admin", "0");
    assert_account(&books, &format!("receivable:user:{seller}"), "1.89");
    assert_account(&books, "receivable:supplier", "0");
    assert_account(&books, "expense:supplier_cost", "0");
    assert_account(&books, "expense:seller_share", "-1.89");
    // 100 + 38.10 − 15.10 + 15.10 − 39.99.
    assert_account(&books, "cash:paypal:available", "98.11");
    books_balance_and_reconcile(&app, &fakes).await;
    assert_eq!(fakes.paypal.available_balance(Currency::Usd), usd("98.11"));
}
