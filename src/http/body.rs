//! Documents as HTTP answers: conditional (`ETag`, `If-None-Match`), compressed when the client
//! accepts gzip, with their caching headers; stored documents sent from the catalog image.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::documents::{Document, JSON};
use crate::image::StoredDocument;
use crate::service::Answer;

pub const PROBLEM_JSON: &str = "application/problem+json";
/// Every kept answer varies by both: HTML or JSON, gzip or not.
const VARY: &str = "Accept, Accept-Encoding";

/// How long clients and CDNs may keep an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Answers that change when the catalog does (latest versions, lists, the index).
    Latest,
    /// An exact published version: never changes.
    Immutable,
    /// Content-hashed static assets.
    Asset,
}

impl CachePolicy {
    /// Static, so that no request copies it into a header value of its own.
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Latest => "public, max-age=60",
            Self::Immutable | Self::Asset => "public, max-age=31536000, immutable",
        })
    }
}

/// The answer to `request` with `document`: 304 when its `If-None-Match` matches, gzip when
/// accepted.
pub fn respond(document: &Document, request: &HttpRequest, policy: CachePolicy) -> HttpResponse {
    respond_with(
        request,
        policy,
        document.content_type,
        document.etags(),
        |gzip| {
            let bytes = if gzip {
                document.gzip().clone()
            } else {
                document.bytes.clone()
            };
            Ok(BoxBody::new(bytes))
        },
    )
}

/// The same for a document kept in the catalog image, a slice of its map: small ones are sent
/// whole, larger ones (the index) in chunks as the connection takes them. Either is checked
/// against its digest before it is first sent (see [`StoredDocument::verify`]).
pub fn respond_stored(
    stored: &StoredDocument,
    request: &HttpRequest,
    policy: CachePolicy,
) -> HttpResponse {
    let etags = stored.etags();
    respond_with(
        request,
        policy,
        stored.content_type,
        (etags.identity(), etags.gzip()),
        |gzip| {
            let len = stored.len(gzip);
            if len <= CHUNK {
                return stored.read(gzip).map(BoxBody::new);
            }
            // Checked whole before the status line goes out: a damaged answer is a 500, not
            // a 200 cut short.
            stored.verify(gzip)?;
            Ok(BoxBody::new(StoredRange {
                stored: stored.clone(),
                gzip,
                sent: 0,
                len,
            }))
        },
    )
}

/// The answer to `request` with an answer of a snapshot.
pub fn respond_answer(answer: &Answer, request: &HttpRequest, policy: CachePolicy) -> HttpResponse {
    match answer {
        Answer::Document(document) => respond(document, request, policy),
        Answer::Stored(stored) => respond_stored(stored, request, policy),
    }
}

/// Larger stored documents (the index) are sent in chunks of this size as the connection
/// takes them: actix-web copies a body into each connection's write buffer, so a hundred
/// clients fetching an 8 MB index hold a chunk or two each, not a hundred copies of it.
const CHUNK: u64 = 64 * 1024;

/// A stored document as a response body, a chunk at a time.
struct StoredRange {
    stored: StoredDocument,
    gzip: bool,
    sent: u64,
    len: u64,
}

impl MessageBody for StoredRange {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.len)
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if self.sent == self.len {
            return Poll::Ready(None);
        }
        let len = (self.len - self.sent).min(CHUNK);
        // A slice of the mapped image: neither a read nor a copy of its own.
        let chunk = self.stored.read_range(self.gzip, self.sent, len);
        self.sent = if chunk.is_ok() {
            self.sent + len
        } else {
            self.len
        };
        Poll::Ready(Some(chunk))
    }
}

/// The answer to `request` of a body with both variants: 304 when its `If-None-Match`
/// matches either ETag, else the gzip variant when accepted. `read(gzip)` gives the body of
/// the chosen variant, only when it is sent; a failure to read it is the server's.
pub fn respond_with(
    request: &HttpRequest,
    policy: CachePolicy,
    content_type: &'static str,
    (identity_etag, gzip_etag): (&str, &str),
    read: impl FnOnce(bool) -> std::io::Result<BoxBody>,
) -> HttpResponse {
    let gzip = accepts_gzip(request);
    let etag = header_value(if gzip { gzip_etag } else { identity_etag });
    let not_modified = if_none_match(request, &[identity_etag, gzip_etag]);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, policy.header()))
        .insert_header((header::VARY, HeaderValue::from_static(VARY)));
    if not_modified {
        return response.finish();
    }
    let bytes = match read(gzip) {
        Ok(bytes) => bytes,
        Err(error) => {
            return actix_web::ResponseError::error_response(&super::problem::ApiError::Internal(
                format!("cannot read a stored answer: {error}"),
            ));
        }
    };
    // Static values: a &str would be checked and copied into a new header value per request.
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
    if gzip {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
    }
    response.body(bytes)
}

/// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored.
pub fn if_none_match(request: &HttpRequest, etags: &[&str]) -> bool {
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .any(|value| {
            value.split(',').map(str::trim).any(|candidate| {
                candidate == "*" || etags.contains(&candidate.trim_start_matches("W/"))
            })
        })
}

pub fn accepts_gzip(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .any(|value| {
            value.split(',').any(|coding| {
                let mut parts = coding.split(';').map(str::trim);
                let name = parts.next().unwrap_or_default();
                let q = parts
                    .find_map(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                    .unwrap_or(1.0);
                (name.eq_ignore_ascii_case("gzip") || name == "*") && q > 0.0
            })
        })
}

/// An answer computed per request (filtered lists): still gets an ETag and 304.
pub fn respond_dynamic(request: &HttpRequest, value: &impl serde::Serialize) -> HttpResponse {
    let bytes = serde_json::to_vec_pretty(value).expect("response values serialize");
    respond(&Document::once(bytes, JSON), request, CachePolicy::Latest)
}

pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
