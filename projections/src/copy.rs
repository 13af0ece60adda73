//! Rows for `COPY ... FROM STDIN` in PostgreSQL's text format: the cheapest
//! way to append many rows, for the tables that are only appended to.

use std::fmt::Display;
use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgConnection;

/// A buffer of rows in COPY text format.
#[derive(Default)]
pub(crate) struct CopyRows {
    text: String,
    at_row_start: bool,
}

impl CopyRows {
    pub(crate) fn new() -> CopyRows {
        CopyRows {
            text: String::new(),
            at_row_start: true,
        }
    }

    fn separate(&mut self) {
        if !self.at_row_start {
            self.text.push('\t');
        }
        self.at_row_start = false;
    }

    /// A text value, escaped (backslash, tab, newline, carriage return).
    pub(crate) fn text(&mut self, value: &str) {
        self.separate();
        for c in value.chars() {
            match c {
                '\\' => self.text.push_str("\\\\"),
                '\t' => self.text.push_str("\\t"),
                '\n' => self.text.push_str("\\n"),
                '\r' => self.text.push_str("\\r"),
                c => self.text.push(c),
            }
        }
    }

    /// A value whose text needs no escaping: numbers, UUIDs.
    pub(crate) fn plain(&mut self, value: impl Display) {
        self.separate();
        let _ = write!(self.text, "{value}");
    }

    /// A value or NULL.
    pub(crate) fn optional(&mut self, value: Option<impl Display>) {
        match value {
            Some(value) => self.plain(value),
            None => {
                self.separate();
                self.text.push_str("\\N");
            }
        }
    }

    /// A timestamp in ISO 8601 with its offset.
    pub(crate) fn time(&mut self, value: DateTime<Utc>) {
        self.plain(value.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }

    /// Ends the current row.
    pub(crate) fn end_row(&mut self) {
        self.text.push('\n');
        self.at_row_start = true;
    }

    /// Copies the rows into `table (columns)`.
    pub(crate) async fn copy_into(
        self,
        connection: &mut PgConnection,
        table_and_columns: &str,
    ) -> Result<(), sqlx::Error> {
        if self.text.is_empty() {
            return Ok(());
        }
        let mut copy = connection
            .copy_in_raw(&format!("COPY {table_and_columns} FROM STDIN"))
            .await?;
        copy.send(self.text.into_bytes()).await?;
        copy.finish().await?;
        Ok(())
    }
}
