//! `POST /classify`: which type a manifest is, whether it conforms, and its actions.

use actix_web::http::header;
use actix_web::web::{Bytes, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::shared::{parse_json, require_json};
use crate::catalog::classify::{ClassifyError, classify};
use crate::catalog::reference::{Reference, ReferenceInput};
use crate::http::problem::ApiError;
use crate::http::state::State;

pub async fn post(
    request: HttpRequest,
    state: State,
    query: Query<ReferenceInput>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    require_json(&request)?;
    // Checked before the body: a value that fails the grammar never reaches a command.
    let reference =
        Reference::parse(&query).map_err(|invalid| ApiError::BadRequest(invalid.to_string()))?;
    let document = parse_json(&body)?;
    let snapshot = state.current();
    let answer =
        classify(&snapshot.catalog, &document, &reference).map_err(|error| match error {
            ClassifyError::Store(error) => ApiError::from(error),
            other => ApiError::Unprocessable(other.to_string()),
        })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer))
}
