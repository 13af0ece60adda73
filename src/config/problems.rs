//! Collecting every problem with the settings, and the parsers of values
//! several settings share.

use reqwest::Url;

/// Everything wrong with the settings, one problem a line.
#[derive(Debug, thiserror::Error)]
#[error("the configuration has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

/// Collects problems while the settings are parsed.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<String>);

impl Problems {
    pub(super) fn add(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// `value` parsed by `parse`, or the problem noted and `None`.
    pub(super) fn parse<T>(
        &mut self,
        name: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = value?;
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(reason) => {
                self.add(format!("{name}={value:?}: {reason}"));
                None
            }
        }
    }
}

/// An absolute http(s) URL.
pub(super) fn http_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| error.to_string())?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err("must be an http:// or https:// URL with a host".to_owned()),
    }
}

/// A whole number within `range`.
pub(super) fn whole_number_within(
    value: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(format!(
            "must be a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}
