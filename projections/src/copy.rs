//! Rows for `COPY ... FROM STDIN (FORMAT binary)`: the cheapest way to
//! append many rows, for the tables that are only appended to. Binary,
//! because the server then takes numbers, UUIDs and timestamps as they are
//! instead of parsing their text (a rebuild copies millions of them), and
//! text needs no escaping.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

/// The binary COPY header: signature, flags, header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800 * 1_000_000;

/// A buffer of rows in COPY binary format; every row has the same columns.
pub(crate) struct CopyRows {
    bytes: Vec<u8>,
    columns: i16,
    rows: usize,
}

impl CopyRows {
    /// An empty buffer of rows of `columns` columns.
    pub(crate) fn new(columns: i16) -> CopyRows {
        CopyRows {
            bytes: HEADER.to_vec(),
            columns,
            rows: 0,
        }
    }

    /// The rows so far.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Starts a row; its values follow in column order.
    pub(crate) fn row(&mut self) {
        self.bytes.extend_from_slice(&self.columns.to_be_bytes());
        self.rows += 1;
    }

    fn field(&mut self, value: &[u8]) {
        self.bytes
            .extend_from_slice(&(value.len() as i32).to_be_bytes());
        self.bytes.extend_from_slice(value);
    }

    /// A `text` value.
    pub(crate) fn text(&mut self, value: &str) {
        self.field(value.as_bytes());
    }

    /// A `bigint` value.
    pub(crate) fn int8(&mut self, value: i64) {
        self.field(&value.to_be_bytes());
    }

    /// A `bigint` value or NULL.
    pub(crate) fn optional_int8(&mut self, value: Option<i64>) {
        match value {
            Some(value) => self.int8(value),
            None => self.null(),
        }
    }

    /// A `uuid` value.
    pub(crate) fn uuid(&mut self, value: Uuid) {
        self.field(value.as_bytes());
    }

    /// A `uuid` value or NULL.
    pub(crate) fn optional_uuid(&mut self, value: Option<Uuid>) {
        match value {
            Some(value) => self.uuid(value),
            None => self.null(),
        }
    }

    /// NULL.
    pub(crate) fn null(&mut self) {
        self.bytes.extend_from_slice(&(-1_i32).to_be_bytes());
    }

    /// A `timestamptz` value, rounded to the microsecond as the server
    /// rounds a time it parses.
    pub(crate) fn time(&mut self, value: DateTime<Utc>) {
        let micros = value.timestamp() * 1_000_000
            + (i64::from(value.timestamp_subsec_nanos()) + 500) / 1_000
            - POSTGRES_EPOCH_MICROS;
        self.int8(micros);
    }

    /// A `timestamptz` value truncated to the microsecond, as sqlx encodes
    /// a bound time: for a column the runner writes with bound parameters,
    /// so that a rebuild writes the same value.
    pub(crate) fn time_truncated(&mut self, value: DateTime<Utc>) {
        let micros = value.timestamp() * 1_000_000 + i64::from(value.timestamp_subsec_micros())
            - POSTGRES_EPOCH_MICROS;
        self.int8(micros);
    }

    /// A `numeric` value with the decimal's scale (so that `12.50` stays
    /// `12.50`, zero included, as the text form would have it).
    pub(crate) fn numeric(&mut self, value: Decimal) {
        let scale = value.scale() as u16;
        // Base-10000 digits with the decimal point between two of them:
        // pad the fraction to a multiple of four decimal digits.
        let mut mantissa =
            value.mantissa().unsigned_abs() * 10_u128.pow(u32::from((4 - scale % 4) % 4));
        let mut digits = [0_i16; 10];
        let mut count = 0;
        while mantissa != 0 {
            digits[count] = (mantissa % 10_000) as i16;
            mantissa /= 10_000;
            count += 1;
        }
        digits[..count].reverse();
        let weight = if count == 0 {
            0
        } else {
            count as i16 - scale.div_ceil(4) as i16 - 1
        };
        // Trailing zero digits are implied by the scale.
        while count > 0 && digits[count - 1] == 0 {
            count -= 1;
        }
        let sign: u16 = if count > 0 && value.is_sign_negative() {
            0x4000
        } else {
            0
        };
        self.bytes
            .extend_from_slice(&(8 + 2 * count as i32).to_be_bytes());
        self.bytes.extend_from_slice(&(count as i16).to_be_bytes());
        self.bytes.extend_from_slice(&weight.to_be_bytes());
        self.bytes.extend_from_slice(&sign.to_be_bytes());
        self.bytes.extend_from_slice(&scale.to_be_bytes());
        for digit in &digits[..count] {
            self.bytes.extend_from_slice(&digit.to_be_bytes());
        }
    }

    /// Copies the rows into `table (columns)`.
    pub(crate) async fn copy_into(
        mut self,
        connection: &mut PgConnection,
        table_and_columns: &str,
    ) -> Result<(), sqlx::Error> {
        if self.rows == 0 {
            return Ok(());
        }
        // The trailer: a row of -1 columns.
        self.bytes.extend_from_slice(&(-1_i16).to_be_bytes());
        let mut copy = connection
            .copy_in_raw(&format!(
                "COPY {table_and_columns} FROM STDIN (FORMAT binary)"
            ))
            .await?;
        copy.send(self.bytes).await?;
        copy.finish().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    /// The numeric field of one value: (ndigits, weight, sign, dscale, digits).
    fn numeric(text: &str) -> (i16, i16, u16, u16, Vec<i16>) {
        let mut rows = CopyRows::new(1);
        rows.numeric(Decimal::from_str(text).unwrap());
        let b = &rows.bytes[HEADER.len()..];
        let word = |i: usize| [b[4 + 2 * i], b[5 + 2 * i]];
        let count = i16::from_be_bytes(word(0));
        let digits = (0..count as usize)
            .map(|i| i16::from_be_bytes(word(4 + i)))
            .collect();
        assert_eq!(
            i32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            8 + 2 * i32::from(count)
        );
        (
            count,
            i16::from_be_bytes(word(1)),
            u16::from_be_bytes(word(2)),
            u16::from_be_bytes(word(3)),
            digits,
        )
    }

    #[test]
    fn numerics_are_encoded_in_base_10000_digits_around_the_decimal_point_with_their_scale() {
        assert_eq!(numeric("12.5"), (2, 0, 0, 1, vec![12, 5000]));
        assert_eq!(numeric("-0.05"), (1, -1, 0x4000, 2, vec![500]));
        assert_eq!(numeric("10000"), (1, 1, 0, 0, vec![1]));
        assert_eq!(
            numeric("123456789.0001"),
            (4, 2, 0, 4, vec![1, 2345, 6789, 1])
        );
        assert_eq!(numeric("0.00001"), (1, -2, 0, 5, vec![1000]));
        assert_eq!(numeric("0.00"), (0, 0, 0, 2, vec![]));
        assert_eq!(numeric("-0.00"), (0, 0, 0, 2, vec![]));
    }
}
