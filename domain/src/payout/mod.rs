//! Payouts of commission to the admin and of net profit to sellers.

mod payee;

pub use payee::Payee;
