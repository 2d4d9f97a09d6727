//! The HTML side of the service: routes that only exist as pages (`/`, `/api`, the classify
//! form, `/static/...`), the page answers of the resources that negotiate (`/types`,
//! `/types/{key}`, `/media-types/{mediaType}`), and the headers every page shares.

use std::collections::HashSet;
use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{Data, Form, Path, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::submissions::{Submissions, check_definition, split_id, store_definition};
use super::types::ListQuery;
use crate::catalog::classify::{Reference, classify};
use crate::catalog::{Published, TypeEntry};
use crate::http::body::{Body, CachePolicy, Compression, HTML, accepts_gzip, gzip};
use crate::http::negotiate::prefers_html;
use crate::http::problem::ApiError;
use crate::http::state::{AppState, Snapshot};
use crate::pages::classify::ClassifyForm;
use crate::pages::submission::SubmitForm;
use crate::pages::{self, Paths, assets};
use crate::submission::Format;

/// Pages load only their own stylesheet, script and `data:` icons, and post only to us.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; \
     img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// `GET /`: the catalog, filtered by the same query parameters as `GET /types`.
pub async fn home(
    request: HttpRequest,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> HttpResponse {
    catalog(&request, &state.current(), &query)
}

/// The catalog page for `query`: every card, those the API's filter rejects hidden.
pub fn catalog(request: &HttpRequest, snapshot: &Snapshot, query: &ListQuery) -> HttpResponse {
    let visible: HashSet<String> = super::types::filter(snapshot, query)
        .into_iter()
        .map(|summary| summary.id.clone())
        .collect();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let search = pages::catalog::Search {
        q: text(&query.q),
        vendor: text(&query.vendor),
        status: text(&query.status),
        tag: text(&query.tag),
    };
    page(
        request,
        pages::catalog::render_page(
            &snapshot.catalog,
            &search,
            &|id| visible.contains(id.as_str()),
            &Paths::server(request.path()),
        ),
    )
}

/// The type page of one version; the query's `registry`, `repository`, `tag` and `digest`
/// fill the action commands.
pub fn type_page(
    request: &HttpRequest,
    snapshot: &Snapshot,
    entry: &TypeEntry,
    published: &Published,
) -> Result<HttpResponse, ApiError> {
    let reference = Query::<Reference>::from_query(request.query_string())
        .map(Query::into_inner)
        .unwrap_or_default();
    let html = pages::type_page::render_page(
        &snapshot.catalog,
        entry,
        published,
        &reference,
        &Paths::server(request.path()),
    )?;
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

/// `GET /api`.
pub async fn api(request: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let info = request.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let html = pages::api::render_page(
        &state.current().catalog,
        Some(&base),
        &Paths::server(request.path()),
    );
    page(&request, html)
}

/// `GET /classify`: the form. The JSON API only takes POST here.
pub async fn classify_form(
    request: HttpRequest,
    state: Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !prefers_html(&request) {
        return Err(ApiError::MethodNotAllowed(
            "classification takes POST with the manifest as JSON body".into(),
        ));
    }
    let html = pages::classify::render_page(
        &state.current().catalog,
        &ClassifyForm::default(),
        None,
        &Paths::server(request.path()),
    );
    Ok(page(&request, html))
}

/// `POST /classify` from the HTML form (`application/x-www-form-urlencoded`): the form again,
/// with the classification or why there is none (then with status 422).
pub async fn classify_submit(
    request: HttpRequest,
    state: Data<AppState>,
    form: Form<ClassifyForm>,
) -> HttpResponse {
    let snapshot = state.current();
    let outcome = serde_json::from_str::<serde_json::Value>(&form.manifest)
        .map_err(|error| format!("It is not valid JSON: {error}."))
        .and_then(|document| {
            classify(&snapshot.catalog, &document, &form.reference())
                .map_err(|error| format!("{}.", capitalize(&error.to_string())))
        });
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let html = pages::classify::render_page(
        &snapshot.catalog,
        &form,
        Some(outcome),
        &Paths::server(request.path()),
    );
    let mut response = page_response(&request, status, html);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Assets, precomputed with their ETag and gzip variant.
static ASSET_BODIES: LazyLock<Vec<(&'static str, Body)>> = LazyLock::new(|| {
    assets::all()
        .iter()
        .map(|asset| {
            (
                asset.file_name.as_str(),
                Body::new(asset.bytes.to_vec(), asset.content_type),
            )
        })
        .collect()
});

/// `GET /static/{file}`: content-hashed, so cached for a year.
pub async fn asset(request: HttpRequest, file: Path<String>) -> Result<HttpResponse, ApiError> {
    ASSET_BODIES
        .iter()
        .find(|(name, _)| *name == file.as_str())
        .map(|(_, body)| body.respond(&request, CachePolicy::Asset))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no asset `{}`",
                file.chars().take(100).collect::<String>()
            ))
        })
}

/// A page answer: strong ETags (one per content coding), `304`, gzip when the client takes
/// it, short caching, and the page's security headers.
pub fn page(request: &HttpRequest, html: String) -> HttpResponse {
    let mut response = Body::once(html.into_bytes(), HTML).respond(request, CachePolicy::Latest);
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
        .app_data::<Data<AppState>>()
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

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `GET /submit`: the form to propose a definition.
pub async fn submit_form(request: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let html = pages::submission::render_submit_page(
        Some(&state.current().catalog.meta),
        &SubmitForm::default(),
        None,
        &Paths::server(request.path()),
    );
    let mut response = page_response(&request, StatusCode::OK, html);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// `POST /submit` from the form: `action=check` answers the form again with the diagnostics
/// (nothing is stored); `action=submit` stores the submission as `POST /submissions` does and
/// sends the browser to its status page (303). Problems show on the form, with their status.
pub async fn submit_form_post(
    request: HttpRequest,
    state: Data<AppState>,
    store: Data<Submissions>,
    form: Form<SubmitForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let paths = Paths::server(request.path());
    let definition = form.definition.replace("\r\n", "\n").into_bytes();
    let outcome = match split_id(Some(form.id.trim().to_string()), Format::Yaml, &definition) {
        Err(error) => Err(error),
        Ok((type_id, body)) if form.action == "submit" => {
            match store_definition(&request, &state, &store, type_id, body, Format::Yaml).await {
                Ok(inserted) => {
                    return HttpResponse::SeeOther()
                        .insert_header((
                            header::LOCATION,
                            paths.submission(&inserted.submission.id.to_string()),
                        ))
                        .insert_header((header::CACHE_CONTROL, "no-store"))
                        .finish();
                }
                Err(error) => Err(error),
            }
        }
        Ok((type_id, body)) => check_definition(&state, type_id, body, Format::Yaml).await,
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(error) => actix_web::ResponseError::status_code(error),
    };
    let outcome = outcome.map_err(|error| capitalize(&error.to_string()));
    let html = pages::submission::render_submit_page(
        Some(&state.current().catalog.meta),
        &form,
        Some(outcome),
        &paths,
    );
    let mut response = page_response(&request, status, html);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
