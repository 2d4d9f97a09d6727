//! `POST /hooks/registries/{name}`: a configured registry's push notifications, queued to be
//! classified and recorded (see [`crate::http::hooks`]).

use actix_web::http::header;
use actix_web::web::{Bytes, Path};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use super::shared::require_json;
use crate::http::hooks::{Envelope, jobs};
use crate::http::problem::ApiError;
use crate::http::state::State;

/// Seconds a registry is asked to wait before it sends a refused envelope again.
const RETRY_AFTER_SECONDS: u64 = 5;

pub async fn post(
    request: HttpRequest,
    state: State,
    name: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(queue) = &state.hooks else {
        return Err(ApiError::Forbidden(
            "push notifications are not enabled: set TYPEHOUSE_HOOK_TOKEN and configure a registry"
                .into(),
        ));
    };
    // The token before anything else: nothing about the registries is told without it.
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !queue.token.accepts(presented) {
        return Err(ApiError::Unauthorized(
            "send the hook token as `Authorization: Bearer TOKEN`".into(),
        ));
    }
    let Some(config) = state.registries.get(&name) else {
        return Err(ApiError::NotFound(format!(
            "no registry named `{name}` is configured"
        )));
    };
    require_json(&request)?;
    let envelope = Envelope::parse(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a registry notification envelope: {e}")))?;
    let jobs = jobs(&config.name, &config.host, &envelope);
    let queued = queue.offer(jobs).map_err(|_| ApiError::Busy {
        detail: "the push queue is full; send the notification again later".into(),
        retry_after: RETRY_AFTER_SECONDS,
        full: true,
    })?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"queued": queued})))
}
