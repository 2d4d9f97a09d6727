//! The catalog as a whole: `/index.json`, `/definition.schema.json`, `/healthz`, `/readyz`,
//! `/metrics`.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use std::path::Path;

use crate::http::body::{CachePolicy, respond, respond_answer};
use crate::http::handlers::shared::Submissions;
use crate::http::metrics::escape;
use crate::http::problem::ApiError;
use crate::http::state::State;
use crate::service::Snapshot;

pub async fn index(request: HttpRequest, state: State) -> HttpResponse {
    respond_answer(&state.current().index(), &request, CachePolicy::Latest)
}

/// `GET /search-index.json`: what the catalog page's instant search reads.
pub async fn search_index(request: HttpRequest, state: State) -> HttpResponse {
    respond(
        state.current().search_index(),
        &request,
        CachePolicy::Latest,
    )
}

pub async fn definition_schema(request: HttpRequest, state: State) -> HttpResponse {
    respond(
        &state.current().definition_schema,
        &request,
        CachePolicy::Latest,
    )
}

/// Alive: 200 while the process serves, `ok` or `degraded` with the reasons, so that a
/// liveness probe does not restart a process that serves, while a person sees what is wrong.
pub async fn healthz(state: State, submissions: Data<Submissions>) -> HttpResponse {
    let snapshot = state.current();
    let reload = state.service.reload_status();
    let mut reasons = Vec::new();
    if let Some(at) = &reload.last_error_at {
        reasons.push(format!(
            "the last catalog reload failed ({at}); the previous catalog keeps serving"
        ));
    }
    if snapshot.is_damaged() {
        reasons.push("the catalog image is damaged; it is being compiled again".to_string());
    } else if !snapshot.is_stored() && state.service.images.is_some() {
        reasons.push(
            "the catalog image could not be written; the catalog is served from memory".to_string(),
        );
    }
    reasons.extend(data_directory_trouble(submissions.store.path()));
    let body = json!({
        "status": if reasons.is_empty() { "ok" } else { "degraded" },
        "reasons": reasons,
        "catalog": catalog_facts(&snapshot),
        "reload": reload,
    });
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Ready: 200 while a catalog is served whose answers can be read; 503 while its image is
/// damaged and compiled again. Before the first catalog is loaded, the server of
/// `Application::start` answers 503 in its place.
pub async fn readyz(state: State) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    if snapshot.is_damaged() {
        return Err(ApiError::Unavailable(
            "the catalog image is damaged and being compiled again".into(),
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "ready", "catalog": catalog_facts(&snapshot) })))
}

fn catalog_facts(snapshot: &Snapshot) -> serde_json::Value {
    json!({
        "name": snapshot.catalog.meta.name,
        "version": snapshot.catalog.meta.version.to_string(),
        "types": snapshot.catalog.len(),
        "loadedAt": httpdate::fmt_http_date(snapshot.loaded_at),
    })
}

/// Below this, the data directory counts as full: sled appends whole segments.
const FULL_BELOW_BYTES: u64 = 1 << 20;

/// Why the data directory cannot take writes, as its file system tells: mounted read-only,
/// or (nearly) out of space or inodes.
fn data_directory_trouble(path: &Path) -> Vec<String> {
    let Ok(stats) = rustix::fs::statvfs(path) else {
        return vec!["the data directory cannot be inspected".to_string()];
    };
    let mut trouble = Vec::new();
    if stats.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) {
        trouble.push("the data directory is on a read-only file system".to_string());
    }
    let available = stats.f_bavail.saturating_mul(stats.f_frsize);
    if available < FULL_BELOW_BYTES || (stats.f_files > 0 && stats.f_favail == 0) {
        trouble.push("the data directory's file system is full".to_string());
    }
    trouble
}

pub async fn metrics(state: State) -> HttpResponse {
    let snapshot = state.current();
    let reload = state.service.reload_status();
    let version_labels = format!(
        "{{name=\"{}\",version=\"{}\"}}",
        escape(&snapshot.catalog.meta.name),
        escape(&snapshot.catalog.meta.version.to_string())
    );
    let gauges = [
        (
            "typehouse_catalog_info",
            "The catalog being served.",
            version_labels,
            1.0,
        ),
        (
            "typehouse_catalog_types",
            "Types in the catalog being served.",
            String::new(),
            snapshot.catalog.len() as f64,
        ),
        (
            "typehouse_catalog_reloads_total",
            "Catalog reloads that took effect.",
            String::new(),
            reload.reloads as f64,
        ),
        (
            "typehouse_catalog_reload_failures_total",
            "Catalog reloads refused because the catalog had errors.",
            String::new(),
            reload.failures as f64,
        ),
    ];
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(state.metrics.render(&gauges))
}
