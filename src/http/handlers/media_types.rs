//! `/media-types/{mediaType}`: every type that uses a media type, and in which role.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::shared::{decode_tail, media_type_page};
use crate::catalog::MediaType;
use crate::http::body::respond_dynamic;
use crate::http::negotiate::prefers_html;
use crate::http::problem::ApiError;
use crate::http::state::State;

pub async fn get(request: HttpRequest, state: State) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let key = decode_tail(&request, "/media-types/")?;
    let uses = snapshot.catalog.uses_of(&key);
    if uses.is_empty() {
        let detail = match MediaType::parse(&key) {
            Ok(_) => format!("no type in the catalog uses `{key}`"),
            Err(error) => format!("no type uses it, and it is not a valid OCI media type: {error}"),
        };
        return Err(ApiError::NotFound(detail));
    }
    if prefers_html(&request) {
        if let Some(page) = media_type_page(&request, &snapshot, &key) {
            return Ok(page);
        }
    }
    let spelling = uses[0].media_type.to_string();
    let warnings: Vec<String> = uses[0]
        .media_type
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    let list: Vec<_> = uses
        .iter()
        .map(|usage| {
            json!({
                "id": usage.id.to_string(),
                "role": usage.role,
                "identifying": usage.identifying,
                "url": format!("types/{}", usage.id),
            })
        })
        .collect();
    Ok(respond_dynamic(
        &request,
        &json!({"mediaType": spelling, "warnings": warnings, "types": list}),
    ))
}
