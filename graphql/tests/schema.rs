//! The checked-in SDL is the schema's: clients diff it to see the contract.

#[test]
fn the_checked_in_schema_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let current = dropledger_graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == current,
        "graphql/schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p dropledger-graphql --test schema` and commit it"
    );
}
