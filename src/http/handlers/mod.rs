//! Request handlers, one module per resource.

pub mod classify;
pub mod media_types;
pub mod meta;
pub mod pages;
pub mod submissions;
pub mod types;

use std::borrow::Cow;

use actix_web::HttpRequest;

use super::problem::ApiError;

/// Decodes a path tail that may hold a media type written as is or percent-encoded.
pub fn decode_tail<'r>(request: &'r HttpRequest, prefix: &str) -> Result<Cow<'r, str>, ApiError> {
    let raw = request
        .uri()
        .path()
        .strip_prefix(prefix)
        .unwrap_or_default();
    // Most keys have no escapes: borrow them rather than check and copy them again.
    let decoded = if raw.contains('%') {
        percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| {
                ApiError::BadRequest("the path is not valid UTF-8 once percent-decoded".into())
            })?
    } else {
        Cow::Borrowed(raw)
    };
    if decoded.len() > 600 {
        return Err(ApiError::NotFound(
            "no such key: keys are at most 600 characters".into(),
        ));
    }
    if decoded.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "the key contains control characters".into(),
        ));
    }
    Ok(decoded)
}

/// Rejects bodies that say they are not JSON; a missing `Content-Type` is read as JSON.
pub fn require_json(request: &HttpRequest) -> Result<(), ApiError> {
    let Some(value) = request.headers().get(actix_web::http::header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "send JSON (`Content-Type: application/json`), not `{}`",
            essence.chars().take(100).collect::<String>()
        )))
    }
}

/// Parses a JSON body with serde_json's nesting limit; errors name the position.
pub fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::BadRequest(
            "the body is empty; send a JSON document".into(),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|error| ApiError::BadRequest(format!("the body is not valid JSON: {error}")))
}
