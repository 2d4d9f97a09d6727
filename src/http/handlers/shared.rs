//! What several handlers share: reading a request's path and body, the type list's filters,
//! checking and storing a submitted definition, and HTML answers (the pages that JSON
//! resources also answer by negotiation, error pages, the pages' security headers).

use std::borrow::Cow;

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use arc_swap::Guard;
use serde::Deserialize;

use crate::catalog::reference::ReferenceInput;
use crate::catalog::{Published, TypeEntry, TypeSummary};
use crate::documents::{Compression, Document, HTML, gzip};
use crate::http::access::{RateLimiter, Refusal, ReviewTokens};
use crate::http::body::{CachePolicy, accepts_gzip, respond};
use crate::http::problem::ApiError;
use crate::http::state::{AppState, State};
use crate::pages::{self, Paths};
use crate::service::Snapshot;
use crate::store::{Inserted, Store, StoreError};
use crate::submission::{self, Evaluated, Format, SubmissionError, Timestamp, evaluate};

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

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;

#[derive(Debug, Deserialize)]
pub struct TypeQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub vendor: Option<String>,
    pub tag: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// The types that pass every filter of `query`, in id order. An empty value filters nothing,
/// as an HTML form sends its "any" choices (`vendor=&status=`).
pub fn filter<'s>(snapshot: &'s Snapshot, query: &TypeQuery) -> Vec<&'s TypeSummary> {
    let q = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_ascii_lowercase);
    fn given(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|v| !v.is_empty())
    }
    let (status, vendor, tag) = (
        given(&query.status),
        given(&query.vendor),
        given(&query.tag),
    );
    snapshot
        .summaries()
        .filter(|s| q.as_deref().is_none_or(|q| s.matches_text(q)))
        .filter(|s| status.is_none_or(|status| s.status.as_str() == status))
        .filter(|s| vendor.is_none_or(|vendor| s.id.split('/').next() == Some(vendor)))
        .filter(|s| tag.is_none_or(|tag| s.tags.iter().any(|t| t == tag)))
        .collect()
}

/// What the submission handlers share: the store, the review tokens and the rate limit.
pub struct Submissions {
    pub store: Store,
    pub tokens: ReviewTokens,
    pub limiter: RateLimiter,
}

/// Waits in the check queue (see [`crate::http::access::CheckQueue`]) for a slot, counting
/// against `client`, then runs `work` off the async workers. Every check of a definition
/// comes through here.
pub async fn run_check<T: Send + 'static>(
    state: &AppState,
    client: Option<std::net::IpAddr>,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let admitted = state
        .checks
        .admit(client)
        .await
        .map_err(|refusal| match refusal {
            Refusal::RateLimited(wait) => ApiError::Busy {
                detail: format!("too many checks from this address; try again in {wait} s"),
                retry_after: wait,
                full: false,
            },
            Refusal::Full(wait) => ApiError::Busy {
                detail: format!(
                    "every check slot is busy and the queue is full; try again in {wait} s"
                ),
                retry_after: wait,
                full: true,
            },
        })?;
    let outcome = web::block(work)
        .await
        .map_err(|error| ApiError::Internal(error.to_string()));
    drop(admitted);
    outcome?
}

/// Evaluates a definition against the catalog as it is now, without storing it.
pub async fn check_definition(
    request: &HttpRequest,
    state: &AppState,
    type_id: String,
    body: Vec<u8>,
    format: Format,
) -> Result<Evaluated, ApiError> {
    // Moved to the check's thread: an `Arc`, not a guard.
    let catalog = Guard::into_inner(state.current());
    run_check(state, state.client(request), move || {
        evaluate(&catalog.catalog, &type_id, &body, format).map_err(submission_error)
    })
    .await
}

/// What `POST /submissions` and the submit page share: the client's rate limit, the check
/// against the current catalog and the durable write (or the existing submission of the same
/// content).
pub async fn store_definition(
    request: &HttpRequest,
    state: &AppState,
    submissions: &Data<Submissions>,
    type_id: String,
    body: Vec<u8>,
    format: Format,
) -> Result<Inserted, ApiError> {
    let client = state.client(request);
    if let Some(client) = client {
        if let Err(wait) = submissions.limiter.check(client) {
            return Err(ApiError::Busy {
                detail: format!("too many submissions from this address; try again in {wait} s"),
                retry_after: wait,
                full: false,
            });
        }
    }
    // Moved to the check's thread: an `Arc`, not a guard.
    let catalog = Guard::into_inner(state.current());
    let submissions = submissions.clone().into_inner();
    run_check(state, client, move || {
        let evaluated =
            evaluate(&catalog.catalog, &type_id, &body, format).map_err(submission_error)?;
        submissions
            .store
            .insert(&evaluated, Timestamp::now())
            .map_err(store_error)
    })
    .await
}

/// The type id from `?id=`, or from a top-level `id` field, which is then removed.
pub fn split_id(
    query_id: Option<String>,
    format: Format,
    body: &[u8],
) -> Result<(String, Vec<u8>), ApiError> {
    if let Some(id) = query_id.filter(|id| !id.is_empty()) {
        return Ok((id, body.to_vec()));
    }
    let missing = || {
        ApiError::BadRequest(
            "name the type: `?id=<vendor>/<name>` or a top-level `id` field".into(),
        )
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))?;
    let mut document = submission::parse(text, format).map_err(|(message, _, _)| {
        ApiError::BadRequest(format!(
            "name the type with `?id=<vendor>/<name>`: the body cannot be read for an `id` field ({})",
            message.chars().take(300).collect::<String>()
        ))
    })?;
    let id = document
        .as_object_mut()
        .and_then(|fields| fields.shift_remove("id"))
        .and_then(|id| id.as_str().map(String::from))
        .ok_or_else(missing)?;
    let rewritten = match format {
        Format::Json => serde_json::to_vec(&document).expect("values serialize"),
        Format::Yaml => serde_yaml::to_string(&document)
            .map_err(|e| ApiError::Unprocessable(e.to_string()))?
            .into_bytes(),
    };
    Ok((id, rewritten))
}

pub fn submission_error(error: SubmissionError) -> ApiError {
    match error {
        SubmissionError::TooLarge { .. } => ApiError::PayloadTooLarge(error.to_string()),
        SubmissionError::Empty | SubmissionError::NotUtf8 => {
            ApiError::BadRequest(error.to_string())
        }
        SubmissionError::Catalog(error) => ApiError::from(error),
        other => ApiError::Unprocessable(other.to_string()),
    }
}

/// The store's errors as answers: a full or read-only disk is 503, reads keep working.
pub fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::TooManyPending { .. } => ApiError::TooManyRequests(error.to_string()),
        StoreError::NotDurable(_) => ApiError::Busy {
            detail: error.to_string(),
            retry_after: 5,
            full: true,
        },
        StoreError::NotFound(_) => ApiError::NotFound(error.to_string()),
        StoreError::Review(_) | StoreError::PathTaken { .. } => {
            ApiError::Conflict(error.to_string())
        }
        StoreError::DiskFull(_) | StoreError::ReadOnly(_) | StoreError::Locked(_) => {
            tracing::error!(%error, "submission store refused a write");
            // The cause, with paths and OS errors, is for the log; the client learns what to do.
            let why = match error {
                StoreError::DiskFull(_) => "the disk is full",
                StoreError::ReadOnly(_) => "the data directory is read-only",
                _ => "the data directory is in use by another process",
            };
            ApiError::Unavailable(format!(
                "submissions cannot be stored right now ({why}); reads keep working, try again later"
            ))
        }
        other => ApiError::Internal(other.to_string()),
    }
}

/// Pages load only their own stylesheet, script, `data:` icons and the search index, and post
/// only to us.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The catalog page for `query`: the page the `page` parameter names of the types the API's
/// filter lets through; 400 for a `page` that is not a whole number from 1, 404 past the last.
pub fn catalog(
    request: &HttpRequest,
    snapshot: &Snapshot,
    query: &TypeQuery,
) -> Result<HttpResponse, ApiError> {
    let number = catalog_page_number(request)?;
    let matching = filter(snapshot, query);
    let pages = pages::catalog::page_count(matching.len());
    if number > pages {
        return Err(ApiError::NotFound(format!(
            "page {number} is past the last page of these types, {pages}"
        )));
    }
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let search = pages::catalog::Search {
        q: text(&query.q),
        vendor: text(&query.vendor),
        status: text(&query.status),
        tag: text(&query.tag),
    };
    Ok(page(
        request,
        pages::catalog::render_page(
            &snapshot.catalog,
            &search,
            &matching,
            number,
            &Paths::server(request.path()),
        ),
    ))
}

/// The catalog page's `page` parameter: a whole number from 1, 1 when absent or empty.
fn catalog_page_number(request: &HttpRequest) -> Result<usize, ApiError> {
    #[derive(Deserialize)]
    struct PageQuery {
        page: Option<String>,
    }
    let given = Query::<PageQuery>::from_query(request.query_string())
        .ok()
        .and_then(|query| query.into_inner().page);
    match given.as_deref().map(str::trim) {
        None | Some("") => Ok(1),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "page must be a whole number from 1, not `{}`",
                    text.chars().take(40).collect::<String>()
                ))
            }),
    }
}

/// The type page of one version; the query's `registry`, `repository`, `tag` and `digest`
/// fill the action commands.
pub fn type_page(
    request: &HttpRequest,
    snapshot: &Snapshot,
    entry: &TypeEntry,
    published: &Published,
) -> Result<HttpResponse, ApiError> {
    let input = Query::<ReferenceInput>::from_query(request.query_string())
        .map(Query::into_inner)
        .unwrap_or_default();
    let form = pages::type_page::ActionForm::new(input);
    let html = pages::type_page::render_page(
        &snapshot.catalog,
        entry,
        published,
        &form,
        &Paths::server(request.path()),
    )?;
    if !form.is_valid() {
        // The page with the refusal beside its fields, as the API answers 400.
        let mut response = page_response(request, StatusCode::BAD_REQUEST, html);
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        return Ok(response);
    }
    Ok(page(request, html))
}

/// The media type page; `None` when no type uses `key`.
pub fn media_type_page(
    request: &HttpRequest,
    snapshot: &Snapshot,
    key: &str,
) -> Option<HttpResponse> {
    pages::media_type::render_page(&snapshot.catalog, key, &Paths::server(request.path()))
        .map(|html| page(request, html))
}

/// A page answer: strong ETags (one per content coding), `304`, gzip when the client takes
/// it, short caching, and the page's security headers.
pub fn page(request: &HttpRequest, html: String) -> HttpResponse {
    let mut response = respond(
        &Document::once(html.into_bytes(), HTML),
        request,
        CachePolicy::Latest,
    );
    add_page_headers(response.headers_mut());
    response
}

/// An HTML answer with any status (forms, error pages), gzipped when the client takes it.
pub fn page_response(request: &HttpRequest, status: StatusCode, html: String) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::CONTENT_TYPE, HTML))
        .insert_header((header::VARY, "Accept, Accept-Encoding"));
    let mut response = if accepts_gzip(request) {
        response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(gzip(html.as_bytes(), Compression::fast()))
    } else {
        response.body(html)
    };
    add_page_headers(response.headers_mut());
    response
}

fn add_page_headers(headers: &mut header::HeaderMap) {
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
}

/// The error page for `status`, for clients that prefer HTML.
pub fn error_page(request: &HttpRequest, status: StatusCode, detail: &str) -> HttpResponse {
    let meta = request
        .app_data::<State>()
        .map(|state| state.current().catalog.meta.clone());
    let html = pages::error::render_page(
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        detail,
        meta.as_ref(),
        &Paths::server(request.path()),
    );
    page_response(request, status, html)
}
