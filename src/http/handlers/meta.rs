//! The catalog as a whole: `/index.json`, `/definition.schema.json`, `/healthz`, `/metrics`.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;

use crate::http::body::{CachePolicy, respond, respond_answer};
use crate::http::metrics::escape;
use crate::http::state::AppState;

pub async fn index(request: HttpRequest, state: Data<AppState>) -> HttpResponse {
    respond_answer(&state.current().index(), &request, CachePolicy::Latest)
}

pub async fn definition_schema(request: HttpRequest, state: Data<AppState>) -> HttpResponse {
    respond(
        &state.current().definition_schema,
        &request,
        CachePolicy::Latest,
    )
}

pub async fn healthz(state: Data<AppState>) -> HttpResponse {
    let snapshot = state.current();
    let reload = state.service.reload_status();
    let loaded_at = httpdate::fmt_http_date(snapshot.loaded_at);
    let body = json!({
        "status": "ok",
        "catalog": {
            "name": snapshot.catalog.meta.name,
            "version": snapshot.catalog.meta.version.to_string(),
            "types": snapshot.catalog.len(),
            "loadedAt": loaded_at,
        },
        "reload": reload,
    });
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

pub async fn metrics(state: Data<AppState>) -> HttpResponse {
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
