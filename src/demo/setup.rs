//! The platform before any sale, set up through the API as its people
//! would: the first user (the admin) configures the commission and funds
//! working capital; a seller connects their AliExpress account; a customer
//! signs up.

use serde_json::json;

use super::api::{text, Api};
use super::{progress, CURRENCY, OWNER_CAPITAL};

/// The platform's commission on each sale's gross profit, in percent.
const COMMISSION_PERCENT: &str = "20";
/// The admin: registered first, so ADMIN; commission is paid here.
pub const ADMIN_EMAIL: &str = "admin@dropledger.test";
/// The seller who owns the listings and earns their net profit.
pub const SELLER_EMAIL: &str = "seller@dropledger.test";
/// The signed-in customer who captures the checkouts.
pub const BUYER_EMAIL: &str = "buyer@dropledger.test";
/// Every demo user's password, printed with the GraphiQL URL.
pub const PASSWORD: &str = "demo-password";

/// A signed-in user.
pub struct Person {
    /// Their user id.
    pub id: String,
    /// Their bearer token.
    pub token: String,
}

/// The people who act in the demo.
pub struct People {
    /// The admin.
    pub admin: Person,
    /// The seller.
    pub seller: Person,
    /// The customer.
    pub buyer: Person,
}

/// Registers the people, configures the platform, funds working capital
/// and connects the seller's supplier account.
pub async fn run(api: &Api) -> anyhow::Result<People> {
    let admin = register(api, ADMIN_EMAIL).await?;
    api.mutate(
        Some(&admin.token),
        "setPlatformConfig",
        "mutation($input: SetPlatformConfigInput!) { setPlatformConfig(input: $input) { userErrors { code message } } }",
        json!({ "input": { "commissionPct": COMMISSION_PERCENT, "adminPaypalEmail": ADMIN_EMAIL } }),
    )
    .await?;
    progress(
        "setup",
        format!("platform configured: commission {COMMISSION_PERCENT} %, admin payouts to {ADMIN_EMAIL}"),
    );
    let seller = register(api, SELLER_EMAIL).await?;
    let buyer = register(api, BUYER_EMAIL).await?;
    // The key makes a repeated run of this step record the money once.
    api.mutate(
        Some(&admin.token),
        "recordCapitalContribution",
        "mutation($input: RecordCapitalContributionInput!) { recordCapitalContribution(input: $input) { userErrors { code message } } }",
        json!({ "input": {
            "amount": { "amount": OWNER_CAPITAL, "currency": CURRENCY },
            "reference": "owner transfer (demo)",
            "idempotencyKey": "demo-owner-capital",
        } }),
    )
    .await?;
    progress(
        "setup",
        format!("owner contributed {OWNER_CAPITAL} {CURRENCY} of working capital"),
    );
    connect_supplier(api, &seller).await?;
    Ok(People {
        admin,
        seller,
        buyer,
    })
}

/// Signs up with the sign-in e-mail as the PayPal payout e-mail.
async fn register(api: &Api, email: &str) -> anyhow::Result<Person> {
    let payload = api
        .mutate(
            None,
            "register",
            "mutation($input: RegisterInput!) { register(input: $input) { token user { id role } userErrors { code message } } }",
            json!({ "input": { "email": email, "password": PASSWORD, "paypalPayoutEmail": email } }),
        )
        .await?;
    let user = &payload["user"];
    progress(
        "setup",
        format!(
            "registered {} {email} ({})",
            text(user, "role")?,
            text(user, "id")?
        ),
    );
    Ok(Person {
        id: text(user, "id")?.to_owned(),
        token: text(&payload, "token")?.to_owned(),
    })
}

/// The seller's supplier OAuth, as their browser does it: our authorise
/// URL → AliExpress's consent (the fake grants it) → our callback, which
/// seals the token pair fulfilment buys with.
async fn connect_supplier(api: &Api, seller: &Person) -> anyhow::Result<()> {
    let payload = api
        .mutate(
            Some(&seller.token),
            "connectAliExpress",
            "mutation { connectAliExpress(environment: \"sandbox\") { authorizeUrl userErrors { code message } } }",
            json!({}),
        )
        .await?;
    let callback = api.follow(text(&payload, "authorizeUrl")?).await?;
    api.visit(&callback).await?;
    progress("supplier", "the seller connected their AliExpress account");
    Ok(())
}
