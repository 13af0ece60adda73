//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!`
//! embeds `../migrations` at compile time, and without this an incremental
//! build would keep serving the old set.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
