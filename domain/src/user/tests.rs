use super::*;
use crate::aggregate::{Aggregate, ErrorCode};
use crate::payout::PayoutDestination;
use crate::testkit::*;

fn register(role: Role) -> UserCommand {
    UserCommand::RegisterUser {
        user_id: user_id(1),
        email: sealed(1, "ana@example.com"),
        role,
        payout_destination: None,
        registered_at: at(0),
    }
}

fn registered() -> User {
    let events = User::default().decide(register(Role::User)).unwrap();
    User::default().replay(&events)
}

fn paypal(email: &str) -> PayoutDestination {
    PayoutDestination::Paypal {
        email: sealed(1, email),
    }
}

#[test]
fn a_registered_user_has_their_role_and_no_payout_destination_yet() {
    let user = registered();
    assert_eq!(user.role(), Some(Role::User));
    assert_eq!(user.email(), Some(&sealed(1, "ana@example.com")));
    assert_eq!(user.payout_destination(), None);
    assert_eq!(User::stream_id(user_id(1)), format!("user-{}", uuid(1)));
}

#[test]
fn a_user_cannot_register_twice() {
    let refusal = registered().decide(register(Role::Admin)).unwrap_err();
    assert_eq!(refusal, UserError::AlreadyRegistered);
    assert_eq!(refusal.code(), "ALREADY_EXISTS");
}

#[test]
fn a_role_change_is_recorded_and_granting_the_same_role_records_nothing() {
    let user = registered();
    let events = user
        .decide(UserCommand::ChangeRole {
            role: Role::Accountant,
            changed_at: at(1),
        })
        .unwrap();
    assert_eq!(user.clone().replay(&events).role(), Some(Role::Accountant));
    let same = user.decide(UserCommand::ChangeRole {
        role: Role::User,
        changed_at: at(1),
    });
    assert_eq!(same, Ok(vec![]));
}

#[test]
fn setting_a_payout_method_replaces_the_previous_one() {
    let user = registered();
    let events = user
        .decide(UserCommand::SetPayoutMethod {
            destination: paypal("ana.pay@example.com"),
            set_at: at(1),
        })
        .unwrap();
    let user = user.replay(&events);
    assert_eq!(
        user.payout_destination(),
        Some(&paypal("ana.pay@example.com"))
    );
    let again = user.decide(UserCommand::SetPayoutMethod {
        destination: paypal("ana.pay@example.com"),
        set_at: at(2),
    });
    assert_eq!(again, Ok(vec![]));
}

#[test]
fn commands_to_an_unregistered_user_are_refused() {
    assert_eq!(
        User::default().decide(UserCommand::ChangeRole {
            role: Role::Admin,
            changed_at: at(1)
        }),
        Err(UserError::NotFound)
    );
    assert_eq!(
        User::default().decide(UserCommand::SetPayoutMethod {
            destination: paypal("a@b.io"),
            set_at: at(1)
        }),
        Err(UserError::NotFound)
    );
}

#[test]
fn erasure_is_recorded_once_drops_the_destination_and_refuses_a_new_one() {
    let user = registered().clone().replay(&[UserEvent::PayoutMethodSet {
        destination: paypal("ana.pay@example.com"),
        set_at: at(1),
    }]);
    let events = user
        .decide(UserCommand::ErasePersonalData { erased_at: at(2) })
        .unwrap();
    assert_eq!(
        events,
        vec![UserEvent::PersonalDataErased { erased_at: at(2) }]
    );
    let erased = user.replay(&events);
    assert!(erased.is_erased());
    assert_eq!(erased.payout_destination(), None);
    assert_eq!(
        erased.decide(UserCommand::ErasePersonalData { erased_at: at(3) }),
        Ok(vec![])
    );
    let refusal = erased
        .decide(UserCommand::SetPayoutMethod {
            destination: paypal("new@example.com"),
            set_at: at(3),
        })
        .unwrap_err();
    assert_eq!(refusal.code(), "ERASED");
}
