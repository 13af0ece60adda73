use super::*;
use crate::aggregate::{Aggregate, ErrorCode};
use crate::ids::{ProductId, SupplierProductId};
use crate::money::MoneyError;
use crate::testkit::*;

fn create(cost: &str, price: &str) -> ProductCommand {
    ProductCommand::CreateProduct {
        product_id: ProductId::from_uuid(uuid(1)),
        owner: user_id(2),
        title: ProductTitle::parse("LED desk lamp").unwrap(),
        supplier_product_id: SupplierProductId::parse("1005001").unwrap(),
        supplier_cost: usd(cost),
        price: usd(price),
        origin: ProductOrigin::Manual,
        created_at: at(0),
    }
}

fn draft() -> Product {
    let events = Product::default().decide(create("10", "25")).unwrap();
    Product::default().replay(&events)
}

fn published() -> Product {
    let product = draft();
    let events = product
        .decide(ProductCommand::Publish {
            published_at: at(1),
        })
        .unwrap();
    product.replay(&events)
}

#[test]
fn a_created_product_is_a_draft_owned_by_its_creator() {
    let product = draft();
    assert_eq!(product.status(), Some(ProductStatus::Draft));
    assert_eq!(product.owner(), Some(user_id(2)));
    assert_eq!(
        Product::stream_id(ProductId::from_uuid(uuid(1))),
        format!("product-{}", uuid(1))
    );
}

#[test]
fn a_product_cannot_be_created_twice() {
    assert_eq!(
        draft().decide(create("10", "25")),
        Err(ProductError::AlreadyExists)
    );
}

#[test]
fn a_price_not_above_the_supplier_cost_is_refused() {
    let refusal = Product::default().decide(create("10", "10")).unwrap_err();
    assert_eq!(
        refusal,
        ProductError::PriceNotAboveCost {
            price: usd("10"),
            supplier_cost: usd("10")
        }
    );
    assert_eq!(refusal.code(), "INVALID_INPUT");
}

#[test]
fn pricing_in_two_currencies_or_at_zero_cost_is_refused() {
    let mut command = create("10", "25");
    if let ProductCommand::CreateProduct { price, .. } = &mut command {
        *price = crate::money::Money::parse("25", "EUR").unwrap();
    }
    assert!(matches!(
        Product::default().decide(command),
        Err(ProductError::InvalidPricing(
            MoneyError::CurrencyMismatch { .. }
        ))
    ));
    assert!(matches!(
        Product::default().decide(create("0", "25")),
        Err(ProductError::InvalidPricing(_))
    ));
}

#[test]
fn titles_must_be_present_and_bounded() {
    assert_eq!(
        ProductTitle::parse("  "),
        Err(ProductError::InvalidTitle(0))
    );
    assert_eq!(
        ProductTitle::parse(&"x".repeat(201)),
        Err(ProductError::InvalidTitle(201))
    );
}

#[test]
fn only_a_published_product_can_be_checked_out() {
    assert_eq!(
        Product::default().checkout_terms(),
        Err(ProductError::NotFound)
    );
    assert_eq!(draft().checkout_terms(), Err(ProductError::NotPublished));
    let terms = published().checkout_terms().unwrap();
    assert_eq!(terms.seller, user_id(2));
    assert_eq!(terms.unit_price, usd("25"));
    assert_eq!(terms.unit_supplier_cost, usd("10"));
}

#[test]
fn publishing_twice_or_unpublishing_a_draft_is_an_invalid_transition() {
    assert_eq!(
        published().decide(ProductCommand::Publish {
            published_at: at(2)
        }),
        Err(ProductError::InvalidTransition {
            action: "publish",
            status: ProductStatus::Published
        })
    );
    assert_eq!(
        draft().decide(ProductCommand::Unpublish {
            unpublished_at: at(2)
        }),
        Err(ProductError::InvalidTransition {
            action: "unpublish",
            status: ProductStatus::Draft
        })
    );
}

#[test]
fn an_unpublished_product_can_be_published_again() {
    let product = published();
    let events = product
        .decide(ProductCommand::Unpublish {
            unpublished_at: at(2),
        })
        .unwrap();
    let product = product.replay(&events);
    assert_eq!(product.status(), Some(ProductStatus::Unpublished));
    assert_eq!(product.checkout_terms(), Err(ProductError::NotPublished));
    assert!(product
        .decide(ProductCommand::Publish {
            published_at: at(3)
        })
        .is_ok());
}

#[test]
fn repricing_changes_what_a_checkout_agrees_to() {
    let product = published();
    let events = product
        .decide(ProductCommand::Reprice {
            supplier_cost: usd("12"),
            price: usd("30"),
            repriced_at: at(2),
        })
        .unwrap();
    let terms = product.replay(&events).checkout_terms().unwrap();
    assert_eq!(terms.unit_price, usd("30"));
    assert_eq!(
        Product::default().decide(ProductCommand::Reprice {
            supplier_cost: usd("12"),
            price: usd("30"),
            repriced_at: at(2),
        }),
        Err(ProductError::NotFound)
    );
}

#[test]
fn a_new_price_keeps_the_supplier_cost_and_must_stay_above_it() {
    let product = published();
    let events = product
        .decide(ProductCommand::ChangePrice {
            price: usd("44.50"),
            changed_at: at(2),
        })
        .unwrap();
    let terms = product.clone().replay(&events).checkout_terms().unwrap();
    assert_eq!(terms.unit_price, usd("44.50"));
    assert_eq!(
        terms.unit_supplier_cost,
        published().checkout_terms().unwrap().unit_supplier_cost
    );

    let at_cost = terms.unit_supplier_cost;
    assert!(matches!(
        product.decide(ProductCommand::ChangePrice {
            price: at_cost,
            changed_at: at(3),
        }),
        Err(ProductError::PriceNotAboveCost { .. })
    ));
    assert_eq!(
        Product::default().decide(ProductCommand::ChangePrice {
            price: usd("30"),
            changed_at: at(2),
        }),
        Err(ProductError::NotFound)
    );
}
