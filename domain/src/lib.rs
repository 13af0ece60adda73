//! The business rules of dropledger as pure Rust: money, ids, aggregates with
//! `decide`/`evolve`, and double-entry ledger postings. No I/O lives here.
