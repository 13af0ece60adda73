//! Relay-style pages over read models ordered by a log position.

/// The most rows one page returns, whatever is asked.
pub const PAGE_SIZE_MAX: usize = 500;

/// An opaque position in a list: the log position of the last row seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor(u64);

impl Cursor {
    /// The cursor after a row created at `position`.
    pub fn after(position: u64) -> Cursor {
        Cursor(position)
    }

    /// The position it stands for.
    pub fn position(self) -> u64 {
        self.0
    }

    /// Parses a cursor as [`Cursor::encode`] wrote it.
    pub fn decode(text: &str) -> Result<Cursor, crate::QueryError> {
        text.strip_prefix("p")
            .and_then(|digits| digits.parse().ok())
            .map(Cursor)
            .ok_or_else(|| crate::QueryError::InvalidCursor(text.to_owned()))
    }

    /// The cursor as text for the API.
    pub fn encode(self) -> String {
        format!("p{}", self.0)
    }
}

/// One page of a list: its rows with their cursors, and whether more follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows with the cursor after each.
    pub edges: Vec<(Cursor, T)>,
    /// True when rows follow the last one.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `first + 1` rows fetched (the extra one only
    /// tells whether another page follows).
    pub(crate) fn from_rows(mut rows: Vec<(u64, T)>, first: usize) -> Page<T> {
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Page {
            edges: rows
                .into_iter()
                .map(|(position, row)| (Cursor(position), row))
                .collect(),
            has_next_page,
        }
    }
}

/// The page size to use for a request of `first`.
pub(crate) fn page_size(first: usize) -> usize {
    first.clamp(1, PAGE_SIZE_MAX)
}
