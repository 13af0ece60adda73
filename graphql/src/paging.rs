//! Relay connections over the read models: checking `first` and `after`,
//! and turning a projection's page into a connection.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::OutputType;
use dropledger_projections::{Cursor, Page};

use crate::errors::{top_level, UserError};

/// Rows a page returns when `first` is not given.
pub const PAGE_SIZE_DEFAULT: usize = 50;
/// The most rows one page of a read-model connection returns.
pub const PAGE_SIZE_MAX: usize = 200;

/// A connection of read-model rows; cursors are opaque strings.
pub(crate) type ReadConnection<T> = Connection<String, T, EmptyFields, EmptyFields>;

/// A checked page request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    /// Rows wanted, 1 to [`PAGE_SIZE_MAX`].
    pub first: usize,
    /// Rows after this cursor.
    pub after: Option<Cursor>,
}

/// Checks `first` (1 to [`PAGE_SIZE_MAX`]) and `after` (a cursor this API
/// handed out), naming the argument at fault.
pub(crate) fn page_request(
    first: Option<i32>,
    after: Option<&str>,
) -> async_graphql::Result<PageRequest> {
    let first = match first {
        None => PAGE_SIZE_DEFAULT,
        Some(n) if n >= 1 && n as usize <= PAGE_SIZE_MAX => n as usize,
        Some(n) => {
            return Err(top_level(UserError::invalid(
                "first",
                format!("must be between 1 and {PAGE_SIZE_MAX}, got {n}"),
            )))
        }
    };
    let after = after
        .map(|cursor| {
            Cursor::decode(cursor).map_err(|_| {
                top_level(UserError::invalid(
                    "after",
                    "not a cursor of this connection; pass an edge's cursor",
                ))
            })
        })
        .transpose()?;
    Ok(PageRequest { first, after })
}

/// The complexity of a connection field: its page size times its selection.
pub(crate) fn connection_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    first
        .map_or(PAGE_SIZE_DEFAULT, |n| {
            (n.max(1) as usize).min(PAGE_SIZE_MAX)
        })
        .saturating_mul(child_complexity)
}

/// A connection of `page`'s rows, each turned into a node by `node`.
pub(crate) fn connection<T, N: OutputType>(
    request: PageRequest,
    page: Page<T>,
    mut node: impl FnMut(T) -> N,
) -> ReadConnection<N> {
    let mut connection = Connection::new(request.after.is_some(), page.has_next_page);
    connection.edges.extend(
        page.edges
            .into_iter()
            .map(|(cursor, row)| Edge::new(cursor.encode(), node(row))),
    );
    connection
}
