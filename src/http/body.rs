//! Precomputed response bodies with their strong ETag and gzip variant, and the conditional
//! and compressed answers built from them.
//!
//! The bytes are serialized once, up front. The ETag and the gzip variant are derived from them
//! on first use and kept: a catalog of 10,000 types has some 40,000 bodies, most of which are
//! never asked for compressed, and hashing and compressing them all made start-up take seconds
//! and doubled the memory the answers hold.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use actix_web::body::BoxBody;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
pub use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

pub const JSON: &str = "application/json";
pub const SCHEMA_JSON: &str = "application/schema+json";
pub const PROBLEM_JSON: &str = "application/problem+json";
pub const HTML: &str = "text/html; charset=utf-8";
/// Every kept answer varies by both: HTML or JSON, gzip or not.
const VARY: &str = "Accept, Accept-Encoding";

/// A response body serialized once, served many times.
#[derive(Debug, Clone)]
pub struct Body {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// Shared by clones, so a clone never hashes or compresses again.
    derived: Arc<Derived>,
    /// Kept answers are compressed once and hard; per-request answers quickly.
    compression: Compression,
}

#[derive(Debug, Default)]
struct Derived {
    /// The strong ETag of `bytes` and the one of their gzip variant, as sent.
    etags: OnceLock<(HeaderValue, HeaderValue)>,
    /// Always `Some` once derived; an `Option` for callers that match on it.
    gzip: OnceLock<Option<Bytes>>,
}

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

impl Body {
    pub fn new(bytes: Vec<u8>, content_type: &'static str) -> Self {
        Self {
            bytes: Bytes::from(bytes),
            content_type,
            derived: Arc::default(),
            compression: Compression::best(),
        }
    }

    /// A body built for one answer (a page, a filtered list): if it is compressed at all,
    /// then quickly, since nothing keeps the result.
    pub fn once(bytes: Vec<u8>, content_type: &'static str) -> Self {
        Self {
            compression: Compression::fast(),
            ..Self::new(bytes, content_type)
        }
    }

    /// Derives the ETag and the gzip variant now rather than on first use: for large bodies
    /// (the index) whose first compressed request should not wait for compression.
    pub fn precompute(self) -> Self {
        self.etags();
        self.gzip();
        self
    }

    /// The strong ETag of the exact bytes.
    pub fn etag(&self) -> &str {
        self.etags().0
    }

    /// The ETags of the identity and the gzip variant.
    fn etags(&self) -> (&str, &str) {
        let (identity, gzip) = self.etag_headers();
        // Hex digits and quotes only: always visible ASCII.
        (
            identity.to_str().unwrap_or_default(),
            gzip.to_str().unwrap_or_default(),
        )
    }

    fn etag_headers(&self) -> &(HeaderValue, HeaderValue) {
        self.derived
            .etags
            .get_or_init(|| etag_headers(&strong_etag(&self.bytes)))
    }

    /// The gzip variant.
    pub fn gzip(&self) -> Option<&Bytes> {
        self.derived
            .gzip
            .get_or_init(|| Some(Bytes::from(gzip(&self.bytes, self.compression))))
            .as_ref()
    }

    pub fn json(value: &impl serde::Serialize) -> Self {
        Self::new(
            serde_json::to_vec_pretty(value).expect("response values serialize"),
            JSON,
        )
    }

    /// The answer to `request`: 304 when its `If-None-Match` matches, gzip when accepted.
    pub fn respond(&self, request: &HttpRequest, policy: CachePolicy) -> HttpResponse {
        respond_with(request, policy, self.content_type, self.etags(), |gzip| {
            let bytes = if gzip {
                self.gzip().cloned().unwrap_or_else(|| self.bytes.clone())
            } else {
                self.bytes.clone()
            };
            Ok(BoxBody::new(bytes))
        })
    }
}

/// The ETag headers of an answer's identity and gzip variants, from the identity's ETag.
fn etag_headers(etag: &str) -> (HeaderValue, HeaderValue) {
    (header_value(etag), header_value(&gzip_etag(etag)))
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

/// A strong validator: the first 128 bits of the SHA-256 of the exact bytes.
pub fn strong_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

pub fn gzip_etag(etag: &str) -> String {
    format!("{}-gz\"", etag.trim_end_matches('"'))
}

pub fn gzip(bytes: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), level);
    encoder
        .write_all(bytes)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
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
    Body::once(bytes, JSON).respond(request, CachePolicy::Latest)
}

pub fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
