//! `/types`, `/types/{key}` and its versions, schema and validation.

use actix_web::http::header;
use actix_web::web::{Bytes, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::shared::{
    DEFAULT_LIMIT, MAX_LIMIT, TypeQuery, catalog, decode_tail, filter, parse_json, require_json,
    type_page,
};
use crate::catalog::definition::Status;
use crate::catalog::{Resolution, TypeEntry, TypeSummary, VersionEntry};
use crate::http::body::{CachePolicy, respond_answer, respond_dynamic, respond_stored};
use crate::http::negotiate::prefers_html;
use crate::http::problem::ApiError;
use crate::http::state::State;
use crate::service::Snapshot;

/// `GET /types`: the latest version of every type, filtered and paged.
pub async fn list(
    request: HttpRequest,
    state: State,
    query: Query<TypeQuery>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    if prefers_html(&request) {
        return catalog(&request, &snapshot, &query);
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let offset = query.offset.unwrap_or(0);
    let matching = filter(&snapshot, &query);
    let total = matching.len();
    let page: Vec<&TypeSummary> = matching.into_iter().skip(offset).take(limit).collect();
    Ok(respond_dynamic(
        &request,
        &json!({"total": total, "offset": offset, "limit": limit, "types": page}),
    ))
}

#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<String>,
}

/// What a path under `/types/` asks for.
enum Target {
    Definition,
    Versions,
    Schema,
    Validate,
    /// `/types/{id}/index.json` and `/types/{id}/{version}.json`: the static site's layout.
    StaticFile(Option<String>),
}

/// `GET /types/{key}[/versions|/schema]`.
pub async fn get(
    request: HttpRequest,
    state: State,
    query: Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let tail = decode_tail(&request, "/types/")?;
    if query.version.is_none() && !prefers_html(&request) {
        // Such a key is an id or a media type, with one `/`: none of the suffixes `locate`
        // tries leaves a key that resolves, so this is the answer `locate` and `select` find.
        if let Some(answer) = snapshot.latest_answer(&tail) {
            return Ok(respond_stored(answer, &request, CachePolicy::Latest));
        }
    }
    let (entry, target) = locate(&snapshot, &tail, &request)?;
    match target {
        Target::Definition => {
            let (version, policy) = select(entry, query.version.as_deref())?;
            if prefers_html(&request) {
                let published = snapshot.catalog.published(version)?;
                return type_page(&request, &snapshot, entry, &published);
            }
            let mut response =
                respond_answer(&snapshot.definition(entry, version)?, &request, policy);
            add_deprecation_headers(&mut response, version);
            Ok(response)
        }
        Target::StaticFile(wanted) => {
            let (version, policy) = select(entry, wanted.as_deref().or(query.version.as_deref()))?;
            Ok(respond_answer(
                &snapshot.definition(entry, version)?,
                &request,
                policy,
            ))
        }
        Target::Versions => Ok(respond_answer(
            &snapshot.versions(entry)?,
            &request,
            CachePolicy::Latest,
        )),
        Target::Schema => {
            let (published, policy) = select(entry, query.version.as_deref())?;
            snapshot
                .schema(entry, published)?
                .map(|answer| respond_answer(&answer, &request, policy))
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "{} {} defines no config schema",
                        entry.id,
                        published.version()
                    ))
                })
        }
        Target::Validate => Err(ApiError::MethodNotAllowed(
            "validation takes POST with the config document as body".into(),
        )),
    }
}

/// `POST /types/{key}/validate`.
pub async fn post(
    request: HttpRequest,
    state: State,
    query: Query<VersionQuery>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let tail = decode_tail(&request, "/types/")?;
    let (entry, target) = locate(&snapshot, &tail, &request)?;
    let Target::Validate = target else {
        return Err(ApiError::MethodNotAllowed(format!(
            "POST is only accepted on /types/{}/validate",
            entry.id
        )));
    };
    require_json(&request)?;
    let document = parse_json(&body)?;
    let (version, _) = select(entry, query.version.as_deref())?;
    let published = snapshot.catalog.published(version)?;
    let schema = published.config_schema.as_ref().ok_or_else(|| {
        ApiError::NotFound(format!(
            "{} {} defines no config schema to validate against",
            entry.id,
            published.version()
        ))
    })?;
    let errors = schema.validate(&document);
    let answer = json!({
        "id": entry.id.to_string(),
        "version": published.version().to_string(),
        "valid": errors.is_empty(),
        "errors": errors,
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer))
}

/// Splits `tail` into a type and what is asked of it; aliases redirect.
fn locate<'s>(
    snapshot: &'s Snapshot,
    tail: &str,
    request: &HttpRequest,
) -> Result<(&'s TypeEntry, Target), ApiError> {
    for suffix in ["/versions", "/schema", "/validate", "/index.json"] {
        let Some(key) = tail.strip_suffix(suffix) else {
            continue;
        };
        if let Some(entry) = resolve(snapshot, key, suffix, request)? {
            let target = match suffix {
                "/versions" => Target::Versions,
                "/schema" => Target::Schema,
                "/validate" => Target::Validate,
                _ => Target::StaticFile(None),
            };
            return Ok((entry, target));
        }
    }
    if let Some((key, file)) = tail.rsplit_once('/') {
        if let Some(version) = file
            .strip_suffix(".json")
            .filter(|v| semver::Version::parse(v).is_ok())
        {
            if let Some(entry) = resolve(snapshot, key, &format!("/{file}"), request)? {
                return Ok((entry, Target::StaticFile(Some(version.to_string()))));
            }
        }
    }
    match resolve(snapshot, tail, "", request)? {
        Some(entry) => Ok((entry, Target::Definition)),
        None => Err(ApiError::NotFound(format!(
            "no type `{}`: use a type id (vendor/name) or an identifying media type",
            tail.chars().take(200).collect::<String>()
        ))),
    }
}

fn resolve<'s>(
    snapshot: &'s Snapshot,
    key: &str,
    suffix: &str,
    request: &HttpRequest,
) -> Result<Option<&'s TypeEntry>, ApiError> {
    match snapshot.catalog.resolve(key) {
        Resolution::Type(entry) => Ok(Some(entry)),
        Resolution::Alias(entry) => {
            let query = request
                .uri()
                .query()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            Err(ApiError::Redirect(format!(
                "/types/{}{suffix}{query}",
                entry.id
            )))
        }
        Resolution::Ambiguous(entries) => {
            let ids: Vec<String> = entries.iter().map(|e| e.id.to_string()).collect();
            Err(ApiError::MultipleChoices(format!(
                "`{key}` identifies several types, told apart by their match conditions: {}; ask for one by id",
                ids.join(", ")
            )))
        }
        Resolution::NotFound => Ok(None),
    }
}

/// The version asked for, and how long its answer may be cached.
fn select<'e>(
    entry: &'e TypeEntry,
    wanted: Option<&str>,
) -> Result<(&'e VersionEntry, CachePolicy), ApiError> {
    let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        return Ok((entry.latest(), CachePolicy::Latest));
    };
    let exact = semver::Version::parse(wanted).is_ok();
    match entry.select(wanted) {
        Ok(Some(published)) => Ok((
            published,
            if exact {
                CachePolicy::Immutable
            } else {
                CachePolicy::Latest
            },
        )),
        Ok(None) => Err(ApiError::NotFound(format!(
            "{} has no version matching `{wanted}`",
            entry.id
        ))),
        Err(error) => Err(ApiError::BadRequest(format!(
            "`{wanted}` is neither a version nor a requirement: {error}"
        ))),
    }
}

fn add_deprecation_headers(response: &mut HttpResponse, definition: &VersionEntry) {
    if definition.status != Status::Deprecated {
        return;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::HeaderName::from_static("deprecation"),
        header::HeaderValue::from_static("true"),
    );
    if let Some(sunset) = definition.sunset.as_deref().and_then(http_date) {
        headers.insert(
            header::HeaderName::from_static("sunset"),
            crate::http::body::header_value(&sunset),
        );
    }
    if let Some(successor) = &definition.deprecated_by {
        let link = format!("</types/{successor}>; rel=\"successor-version\"");
        headers.insert(header::LINK, crate::http::body::header_value(&link));
    }
}

/// `2026-12-31` as an HTTP date (midnight UTC).
fn http_date(date: &str) -> Option<String> {
    let date: jiff::civil::Date = date.parse().ok()?;
    let midnight = jiff::tz::TimeZone::UTC.to_timestamp(date.into()).ok()?;
    Some(httpdate::fmt_http_date(midnight.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sunset_dates_as_http_dates() {
        assert_eq!(
            http_date("1970-01-01").unwrap(),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(
            http_date("2026-12-31").unwrap(),
            "Thu, 31 Dec 2026 00:00:00 GMT"
        );
        assert_eq!(
            http_date("2024-02-29").unwrap(),
            "Thu, 29 Feb 2024 00:00:00 GMT"
        );
        assert!(http_date("soon").is_none());
    }
}
