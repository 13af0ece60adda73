//! The platform before any sale: its configuration, its people, and the
//! owner's working capital.

use chrono::Utc;
use dropledger_domain::{
    CapitalCommand, EmailAddress, EntryId, PayoutDestination, Percentage, PlatformCommand,
    PlatformConfig, Reference, Role, User, UserCommand, UserId, WorkingCapital,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{money, progress, Demo, CURRENCY, OWNER_CAPITAL, SYSTEM_ACTOR};

/// The platform's commission on each sale's gross profit, in percent.
const COMMISSION_PERCENT: i64 = 20;
/// Where the admin's commission is paid.
const ADMIN_EMAIL: &str = "admin@dropledger.test";
/// The seller who owns the listings and earns their net profit.
const SELLER_EMAIL: &str = "seller@dropledger.test";
/// The signed-in customer who captures the checkouts.
const BUYER_EMAIL: &str = "buyer@dropledger.test";

/// The people who act in the demo after setup.
#[derive(Debug, Clone)]
pub struct People {
    /// The seller.
    pub seller: UserId,
    /// The customer.
    pub buyer: UserId,
}

/// Records the platform configuration, the admin, seller and buyer, and the
/// owner's capital contribution.
pub async fn record(demo: &Demo) -> anyhow::Result<People> {
    let flow = Uuid::new_v4();
    let commission_rate = Percentage::new(Decimal::from(COMMISSION_PERCENT))?;
    let admin_email = EmailAddress::parse(ADMIN_EMAIL)?;
    demo.decide(
        &PlatformConfig::stream_id(),
        PlatformConfig::default(),
        PlatformCommand::Configure {
            commission_rate,
            admin_paypal_email: admin_email.clone(),
            configured_at: Utc::now(),
        },
        &demo.metadata(flow, SYSTEM_ACTOR),
    )
    .await?;
    progress(
        "setup",
        format!(
            "platform configured: commission {commission_rate}, admin payouts to {admin_email}"
        ),
    );
    let admin = register(demo, flow, ADMIN_EMAIL, Role::Admin).await?;
    let seller = register(demo, flow, SELLER_EMAIL, Role::User).await?;
    let buyer = register(demo, flow, BUYER_EMAIL, Role::User).await?;
    contribute_capital(demo, flow, admin).await?;
    Ok(People { seller, buyer })
}

/// Registers a user whose PayPal payout e-mail is their sign-in e-mail.
async fn register(demo: &Demo, flow: Uuid, email: &str, role: Role) -> anyhow::Result<UserId> {
    let user_id = UserId::from_uuid(Uuid::new_v4());
    let email = EmailAddress::parse(email)?;
    demo.decide(
        &User::stream_id(user_id),
        User::default(),
        UserCommand::RegisterUser {
            user_id,
            email: email.clone(),
            role,
            payout_destination: Some(PayoutDestination::Paypal {
                email: email.clone(),
            }),
            registered_at: Utc::now(),
        },
        &demo.metadata(flow, SYSTEM_ACTOR),
    )
    .await?;
    progress("setup", format!("registered {role:?} {email} ({user_id})"));
    Ok(user_id)
}

/// The admin records the owner's transfer into the PayPal balance.
async fn contribute_capital(demo: &Demo, flow: Uuid, admin: UserId) -> anyhow::Result<()> {
    let amount = money(OWNER_CAPITAL)?;
    demo.decide(
        &WorkingCapital::stream_id(CURRENCY),
        WorkingCapital::new(CURRENCY),
        CapitalCommand::ContributeCapital {
            entry_id: EntryId::from_uuid(Uuid::new_v4()),
            amount,
            reference: Reference::parse("owner transfer (demo)")?,
            effective_at: Utc::now(),
        },
        &demo.metadata(flow, &admin.to_string()),
    )
    .await?;
    progress(
        "setup",
        format!("owner contributed {amount} of working capital"),
    );
    Ok(())
}
