//! The PostgreSQL event store.
