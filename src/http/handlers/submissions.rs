//! `/submissions`: propose a definition, review it, take the approved file to a pull request.

use actix_web::http::header;
use actix_web::web::{self, Bytes, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use arc_swap::Guard;
use serde::Deserialize;
use serde_json::{Value, json};

use super::shared::{
    Submissions, check_definition, page_response, parse_json, require_json, run_check, split_id,
    store_definition, store_error, submission_error,
};
use crate::catalog::files::folder_of;
use crate::http::negotiate::prefers_html;
use crate::http::problem::ApiError;
use crate::http::state::State;
use crate::submission::{
    self, Format, Review, ReviewState, Submission, SubmissionId, Timestamp, evaluate_over,
};

#[derive(Debug, Deserialize)]
pub struct CreateQuery {
    id: Option<String>,
}

/// `POST /submissions?id=<vendor>/<name>`: YAML or JSON; the id may also be a top-level `id`.
pub async fn create(
    request: HttpRequest,
    state: State,
    submissions: Data<Submissions>,
    query: Query<CreateQuery>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let format = body_format(&request)?;
    let (type_id, body) = split_id(query.into_inner().id, format, &body)?;
    let inserted = store_definition(&request, &state, &submissions, type_id, body, format).await?;
    let location = format!("/submissions/{}", inserted.submission.id);
    let mut response = if inserted.created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view(&inserted.submission)))
}

/// `POST /submissions/check?id=<vendor>/<name>`: the same check as `POST /submissions`, a dry
/// run that stores nothing.
pub async fn check(
    request: HttpRequest,
    state: State,
    query: Query<CreateQuery>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let format = body_format(&request)?;
    let (type_id, body) = split_id(query.into_inner().id, format, &body)?;
    let evaluated = check_definition(&request, &state, type_id, body, format).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "status": evaluated.status,
            "path": evaluated.path,
            "diagnostics": evaluated.diagnostics,
        })))
}

#[derive(Debug, Deserialize)]
pub struct SubmissionQuery {
    status: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// `GET /submissions?status=&limit=&offset=`
pub async fn list(
    submissions: Data<Submissions>,
    query: Query<SubmissionQuery>,
) -> Result<HttpResponse, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<ReviewState>()
                .map_err(|error| ApiError::BadRequest(error.to_string()))?,
        ),
    };
    let limit = query.limit.unwrap_or(50);
    if limit == 0 || limit > 500 {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    let offset = query.offset.unwrap_or(0);
    let submissions = submissions.into_inner();
    let page = web::block(move || submissions.store.list(status, offset, limit))
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?
        .map_err(store_error)?;
    let items: Vec<Value> = page.items.iter().map(view).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"total": page.total, "offset": offset, "limit": limit, "submissions": items})))
}

/// `GET /submissions/{id}`: the JSON document, or the status page for browsers.
pub async fn get(
    request: HttpRequest,
    state: State,
    submissions: Data<Submissions>,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let submission = load(&submissions, &id).await?;
    if prefers_html(&request) {
        let html = crate::pages::submission::render_status_page(
            Some(&state.current().catalog.meta),
            &submission,
            &crate::pages::Paths::server(request.path()),
        );
        let mut response = page_response(&request, actix_web::http::StatusCode::OK, html);
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        return Ok(response);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept"))
        .json(view(&submission)))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReviewBody {
    reason: Option<String>,
}

/// `POST /submissions/{id}/approve`: re-checked against the catalog as it is now.
pub async fn approve(
    request: HttpRequest,
    state: State,
    submissions: Data<Submissions>,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let reviewer = authorize(&request, &submissions)?;
    let reason = review_body(&request, &body)?.reason;
    let current = load(&submissions, &id).await?;
    // Moved to the check's thread: an `Arc`, not a guard.
    let catalog = Guard::into_inner(state.current());
    let submissions = submissions.into_inner();
    let client = state.client(&request);
    let updated = run_check(&state, client, move || {
        // The catalog may have changed since the submission was checked, and the approved
        // submissions not exported yet are written with this one: checked together, an
        // export never writes a catalog that fails `check`.
        let approved = submissions
            .store
            .list(Some(ReviewState::Approved), 0, usize::MAX)
            .map_err(store_error)?
            .items;
        let files = catalog.catalog.files_in(
            approved
                .iter()
                .filter_map(|s| s.path.as_deref().map(folder_of)),
        )?;
        let not_exported: Vec<&Submission> = approved
            .iter()
            .filter(|s| s.id != current.id)
            .filter(|s| {
                s.path
                    .as_deref()
                    .is_some_and(|path| files.get(path).is_none())
            })
            .collect();
        let recheck = evaluate_over(
            &catalog.catalog,
            &not_exported,
            current.type_id.as_str(),
            current.content.as_bytes(),
            current.format,
        )
        .map_err(submission_error)?;
        if recheck.status == ReviewState::Invalid {
            let problems: Vec<String> = recheck
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| format!("{}: {}", d.rule, d.message))
                .collect();
            return Err(ApiError::Conflict(format!(
                "the submission no longer passes against the current catalog: {}",
                problems.join("; ")
            )));
        }
        let review = Review::approve(reviewer, reason.as_deref(), Timestamp::now())
            .map_err(|error| ApiError::Unprocessable(error.to_string()))?;
        submissions
            .store
            .update_status(current.id, &review)
            .map_err(store_error)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view(&updated)))
}

/// The optional body of a review: nothing, or a JSON object with a string `reason`. A body that
/// is something else is refused, never ignored: a reason sent as a form must not be dropped.
fn review_body(request: &HttpRequest, body: &[u8]) -> Result<ReviewBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ReviewBody::default());
    }
    require_json(request)?;
    let refused = |why: String| {
        ApiError::Unprocessable(format!("send `{{\"reason\": \"...\"}}` or no body: {why}"))
    };
    let document = parse_json(body)?;
    if !document.is_object() {
        // serde would read a struct from an array too.
        return Err(refused("the body is not a JSON object".into()));
    }
    serde_json::from_value(document).map_err(|error| refused(error.to_string()))
}

/// `POST /submissions/{id}/reject` with `{"reason": "..."}`.
pub async fn reject(
    request: HttpRequest,
    submissions: Data<Submissions>,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let reviewer = authorize(&request, &submissions)?;
    let reason = review_body(&request, &body)?.reason.unwrap_or_default();
    let id = parse_id(&id)?;
    let review = Review::reject(reviewer, &reason, Timestamp::now())
        .map_err(|error| ApiError::Unprocessable(error.to_string()))?;
    let submissions = submissions.into_inner();
    let updated = web::block(move || submissions.store.update_status(id, &review))
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?
        .map_err(store_error)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view(&updated)))
}

/// `GET /submissions/{id}/file`: the YAML file to commit (approved submissions only).
pub async fn file(
    submissions: Data<Submissions>,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let submission = load(&submissions, &id).await?;
    let text = approved_output(&submission, submission::render_file)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/yaml; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file_name(&submission)),
        ))
        .body(text))
}

/// `GET /submissions/{id}/patch`: a unified diff that `git apply` accepts on a catalog checkout.
pub async fn patch(
    submissions: Data<Submissions>,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let submission = load(&submissions, &id).await?;
    let text = approved_output(&submission, submission::render_patch)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/x-diff; charset=utf-8"))
        .body(text))
}

/// The JSON view of a submission, with the URLs a client follows next.
pub fn view(submission: &Submission) -> Value {
    let mut value = serde_json::to_value(submission).expect("submissions serialize");
    if let Value::Object(fields) = &mut value {
        let base = format!("/submissions/{}", submission.id);
        let mut links = serde_json::Map::new();
        links.insert("self".into(), json!(base));
        if submission.status == ReviewState::Approved {
            links.insert("file".into(), json!(format!("{base}/file")));
            links.insert("patch".into(), json!(format!("{base}/patch")));
        }
        fields.insert("links".into(), Value::Object(links));
    }
    value
}

fn approved_output(
    submission: &Submission,
    render: fn(&Submission) -> Option<String>,
) -> Result<String, ApiError> {
    if submission.status != ReviewState::Approved {
        return Err(ApiError::Conflict(format!(
            "submission {} is {}; only approved submissions have a file to commit",
            submission.id, submission.status
        )));
    }
    render(submission).ok_or_else(|| {
        ApiError::Internal(format!(
            "approved submission {} has no renderable file",
            submission.id
        ))
    })
}

fn file_name(submission: &Submission) -> String {
    submission
        .path
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("definition.yaml")
        .to_string()
}

async fn load(submissions: &Data<Submissions>, id: &str) -> Result<Submission, ApiError> {
    let id = parse_id(id)?;
    let submissions = submissions.clone().into_inner();
    web::block(move || submissions.store.get(id))
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?
        .map_err(store_error)?
        .ok_or_else(|| ApiError::NotFound(format!("no submission {id}")))
}

fn parse_id(text: &str) -> Result<SubmissionId, ApiError> {
    SubmissionId::parse(text).map_err(|_| {
        ApiError::NotFound(format!(
            "no submission `{}`",
            text.chars().take(60).collect::<String>()
        ))
    })
}

/// The label of the bearer token, or 401 (403 when review is not configured at all).
fn authorize(request: &HttpRequest, submissions: &Submissions) -> Result<String, ApiError> {
    if !submissions.tokens.is_enabled() {
        return Err(ApiError::Forbidden(
            "review is disabled on this server: start it with TYPEHOUSE_REVIEW_TOKEN set".into(),
        ));
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("send `Authorization: Bearer <review token>`".into())
        })?;
    submissions
        .tokens
        .label_of(presented)
        .map(String::from)
        .ok_or_else(|| ApiError::Unauthorized("the review token is not valid".into()))
}

fn body_format(request: &HttpRequest) -> Result<Format, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Format::from_media_type(content_type).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "send the definition as YAML (`Content-Type: application/yaml`) or JSON (`application/json`), not `{}`",
            content_type.chars().take(100).collect::<String>()
        ))
    })
}
