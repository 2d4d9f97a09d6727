//! Every error the API answers, rendered as `application/problem+json` (RFC 9457).
//!
//! Handlers return [`ApiError`]; this is the one place that maps errors to statuses. A 5xx
//! body says nothing internal: the cause is logged once, here.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::body::PROBLEM_JSON;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Unavailable(String),
    /// Not now: 429 when this client is over its limit, 503 when the service is (`full`); either
    /// way with `Retry-After`.
    #[error("{detail}")]
    Busy {
        detail: String,
        retry_after: u64,
        full: bool,
    },
    /// Several types share the key; `detail` lists them.
    /// A registry the service lists failed to answer, or answered something unusable.
    #[error("{0}")]
    BadGateway(String),
    #[error("{0}")]
    MultipleChoices(String),
    /// An alias: answer with a redirect to the canonical URL (not an error, but an early exit).
    #[error("moved to {0}")]
    Redirect(String),
    #[error("internal error")]
    Internal(String),
}

impl From<crate::catalog::DefinitionReadError> for ApiError {
    fn from(error: crate::catalog::DefinitionReadError) -> Self {
        Self::Internal(error.to_string())
    }
}

/// The problem document.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl ApiError {
    /// A short, stable slug for the problem `type` URI.
    fn slug(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not-found",
            Self::BadRequest(_) => "bad-request",
            Self::Unprocessable(_) => "unprocessable",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::NotAcceptable(_) => "not-acceptable",
            Self::MethodNotAllowed(_) => "method-not-allowed",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) => "conflict",
            Self::TooManyRequests(_) => "too-many-requests",
            Self::Unavailable(_) | Self::Busy { full: true, .. } => "unavailable",
            Self::Busy { full: false, .. } => "too-many-requests",
            Self::BadGateway(_) => "bad-gateway",
            Self::MultipleChoices(_) => "multiple-choices",
            Self::Redirect(_) => "redirect",
            Self::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            Self::Internal(_) => {
                "the server failed to answer; the cause has been logged".to_string()
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("https://typehouse.dev/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy { full: true, .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Busy { full: false, .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::MultipleChoices(_) => StatusCode::MULTIPLE_CHOICES,
            Self::Redirect(_) => StatusCode::PERMANENT_REDIRECT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Redirect(location) = self {
            return HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, location.as_str()))
                .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
                .finish();
        }
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Self::Busy { retry_after, .. } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if let Self::Unauthorized(_) = self {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"typehouse review\"",
            ));
        }
        response.body(serde_json::to_vec(&self.problem()).expect("problems serialize"))
    }
}

/// A problem body for a status actix produced itself (unknown route, payload limits, ...).
pub fn problem_for_status(status: StatusCode, detail: &str) -> Vec<u8> {
    let problem = Problem {
        kind: format!(
            "https://typehouse.dev/problems/{}",
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_ascii_lowercase()
                .replace(' ', "-")
        ),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.to_string(),
    };
    serde_json::to_vec(&problem).expect("problems serialize")
}
