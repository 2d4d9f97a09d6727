//! The HTML side of the service: routes that only exist as pages (`/`, `/api`, the classify
//! form, `/static/...`), the page answers of the resources that negotiate (`/types`,
//! `/types/{key}`, `/media-types/{mediaType}`), and the headers every page shares.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{Data, Form, Path, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::shared::{
    Submissions, TypeQuery, catalog, check_definition, page, page_response, split_id,
    store_definition,
};
use crate::catalog::classify::classify;
use crate::catalog::reference::Reference;
use crate::documents::Document;
use crate::http::body::{CachePolicy, respond};
use crate::http::negotiate::prefers_html;
use crate::http::problem::ApiError;
use crate::http::state::State;
use crate::pages::classify::ClassifyForm;
use crate::pages::submission::SubmitForm;
use crate::pages::{self, Paths, assets};
use crate::submission::Format;

/// `GET /`: the catalog, filtered by the same query parameters as `GET /types`, a page at a
/// time (`page`).
pub async fn home(
    request: HttpRequest,
    state: State,
    query: Query<TypeQuery>,
) -> Result<HttpResponse, ApiError> {
    catalog(&request, &state.current(), &query)
}

/// `GET /api`.
pub async fn api(request: HttpRequest, state: State) -> HttpResponse {
    let html = pages::api::render_page(
        &state.current().catalog,
        state.public_url.as_deref(),
        &Paths::server(request.path()),
    );
    page(&request, html)
}

/// `GET /classify`: the form. The JSON API only takes POST here.
pub async fn classify_form(request: HttpRequest, state: State) -> Result<HttpResponse, ApiError> {
    if !prefers_html(&request) {
        return Err(ApiError::MethodNotAllowed(
            "classification takes POST with the manifest as JSON body".into(),
        ));
    }
    let html = pages::classify::render_page(
        &state.current().catalog,
        &ClassifyForm::default(),
        None,
        None,
        &Paths::server(request.path()),
    );
    Ok(page(&request, html))
}

/// `POST /classify` from the HTML form (`application/x-www-form-urlencoded`): the form again,
/// with the classification or why there is none (then with status 422).
pub async fn classify_submit(
    request: HttpRequest,
    state: State,
    form: Form<ClassifyForm>,
) -> HttpResponse {
    let snapshot = state.current();
    let (status, outcome, invalid) = match Reference::parse(&form.reference()) {
        // A refused value: the form shows why beside its field, and nothing is filled.
        Err(invalid) => (StatusCode::BAD_REQUEST, None, Some(invalid)),
        Ok(reference) => {
            let outcome = serde_json::from_str::<serde_json::Value>(&form.manifest)
                .map_err(|error| format!("It is not valid JSON: {error}."))
                .and_then(|document| {
                    classify(&snapshot.catalog, &document, &reference)
                        .map_err(|error| format!("{}.", capitalize(&error.to_string())))
                });
            let status = if outcome.is_ok() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, Some(outcome), None)
        }
    };
    let html = pages::classify::render_page(
        &snapshot.catalog,
        &form,
        outcome,
        invalid.as_ref(),
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
static ASSET_BODIES: LazyLock<Vec<(&'static str, Document)>> = LazyLock::new(|| {
    assets::all()
        .iter()
        .map(|asset| {
            (
                asset.file_name.as_str(),
                Document::new(asset.bytes.to_vec(), asset.content_type),
            )
        })
        .collect()
});

/// `GET /static/{file}`: content-hashed, so cached for a year.
pub async fn asset(request: HttpRequest, file: Path<String>) -> Result<HttpResponse, ApiError> {
    ASSET_BODIES
        .iter()
        .find(|(name, _)| *name == file.as_str())
        .map(|(_, document)| respond(document, &request, CachePolicy::Asset))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no asset `{}`",
                file.chars().take(100).collect::<String>()
            ))
        })
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `GET /submit`: the form to propose a definition.
pub async fn submit_form(request: HttpRequest, state: State) -> HttpResponse {
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
    state: State,
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
        Ok((type_id, body)) => {
            check_definition(&request, &state, type_id, body, Format::Yaml).await
        }
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(error) => actix_web::ResponseError::status_code(error),
    };
    let retry_after = match &outcome {
        Err(ApiError::Busy { retry_after, .. }) => Some(*retry_after),
        _ => None,
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
    if let Some(wait) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
    }
    response
}
