//! Reading provider answers under a size limit: an answer bigger than any
//! documented one is refused instead of buffered.

use crate::aliexpress::AliExpressError;
use crate::payoneer::PayoneerError;
use crate::paypal::PayPalError;

/// Largest answer body read from a provider (the biggest documented
/// answers, order details and search pages, are tens of kilobytes).
pub const RESPONSE_BYTES_MAX: usize = 2 * 1024 * 1024;

/// Why an answer body could not be read.
pub(crate) enum BodyError {
    Transport(String),
    TooLarge,
}

/// The body as text, at most [`RESPONSE_BYTES_MAX`] bytes.
pub(crate) async fn read_body(mut response: reqwest::Response) -> Result<String, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > RESPONSE_BYTES_MAX as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| BodyError::Transport(error.without_url().to_string()))?
    {
        if bytes.len() + chunk.len() > RESPONSE_BYTES_MAX {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

const TOO_LARGE: &str = "answer larger than RESPONSE_BYTES_MAX";

impl From<BodyError> for PayPalError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Transport(message) => Self::Transport(message),
            BodyError::TooLarge => Self::Decode(TOO_LARGE.to_owned()),
        }
    }
}

impl From<BodyError> for AliExpressError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Transport(message) => Self::Transport(message),
            BodyError::TooLarge => Self::Decode(TOO_LARGE.to_owned()),
        }
    }
}

impl From<BodyError> for PayoneerError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Transport(message) => Self::Transport(message),
            BodyError::TooLarge => Self::Decode(TOO_LARGE.to_owned()),
        }
    }
}
