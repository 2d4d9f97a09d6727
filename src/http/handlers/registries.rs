//! `/registries`: the configured registries, each one's recorded pushes, and what they hold,
//! every manifest classified, as JSON or as pages.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use arc_swap::Guard;
use serde::Deserialize;
use serde_json::json;

use super::shared::{Submissions, decode_tail, page};
use crate::http::body::respond_dynamic;
use crate::http::negotiate::prefers_html;
use crate::http::problem::ApiError;
use crate::http::state::{AppState, State};
use crate::oci::inspect::{InspectError, Target};
use crate::oci::registries::RegistryConfig;
use crate::pages::Paths;
use crate::pages::registries::{self as registry_pages, PushView, RegistryLink};

/// The inspect form on the registries page, sent with GET.
#[derive(Debug, Default, Deserialize)]
pub struct InspectQuery {
    registry: Option<String>,
    reference: Option<String>,
}

/// `GET /registries`: the configured registries; with `?registry=&reference=` (the page's
/// form), a redirect to that listing.
pub async fn list(
    request: HttpRequest,
    state: State,
    query: Query<InspectQuery>,
) -> Result<HttpResponse, ApiError> {
    if let (Some(name), Some(reference)) = (&query.registry, &query.reference) {
        let reference = reference.trim().trim_start_matches('/');
        if state.registries.get(name).is_none() {
            return Err(ApiError::NotFound(format!(
                "no registry named `{name}` is configured"
            )));
        }
        let paths = Paths::server(request.path());
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, paths.registry_reference(name, reference)))
            .finish());
    }
    let configured: Vec<&RegistryConfig> = state.registries.all().collect();
    if prefers_html(&request) {
        let links: Vec<RegistryLink> = configured.iter().map(|c| link(c)).collect();
        let html = registry_pages::render_index(
            &state.current().catalog,
            &links,
            &Paths::server(request.path()),
        );
        return Ok(page(&request, html));
    }
    let registries: Vec<_> = configured
        .iter()
        .map(|c| json!({"name": c.name, "url": c.url()}))
        .collect();
    Ok(no_store(respond_dynamic(
        &request,
        &json!({"registries": registries}),
    )))
}

/// `GET /registries/{name}/{repository}[:{tag}|@{digest}]`: the listing.
pub async fn get(
    request: HttpRequest,
    state: State,
    submissions: Data<Submissions>,
) -> Result<HttpResponse, ApiError> {
    let tail = decode_tail(&request, "/registries/")?;
    let (name, reference) = match tail.split_once('/') {
        Some((name, reference)) if !reference.is_empty() => (name, reference),
        None if !tail.is_empty() => {
            let name = tail.into_owned();
            return registry(&request, &state, &submissions, &name).await;
        }
        _ => {
            return Err(ApiError::NotFound(format!(
                "nothing at /registries/{tail}: name a registry and a repository, as in /registries/NAME/REPOSITORY[:TAG|@DIGEST]"
            )));
        }
    };
    let Some(config) = state.registries.get(name) else {
        return Err(ApiError::NotFound(format!(
            "no registry named `{name}` is configured"
        )));
    };
    let target = Target::parse_path(&config.host, reference).map_err(|reason| {
        ApiError::BadRequest(format!("`{reference}` is not a reference: {reason}"))
    })?;
    // Held across the registry's answers: an `Arc`, not a guard.
    let snapshot = Guard::into_inner(state.current());
    let listing = state
        .registries
        .inspect(name, target, Arc::clone(&snapshot))
        .await
        .ok_or_else(|| ApiError::NotFound(format!("no registry named `{name}` is configured")))?
        .map_err(|error| registry_error(name, error))?;
    let value = serde_json::to_value(&listing).expect("a listing serializes");
    if prefers_html(&request) {
        let html = registry_pages::render_listing(
            &snapshot.catalog,
            &link(config),
            &value,
            &Paths::server(request.path()),
        );
        return Ok(no_store(page(&request, html)));
    }
    Ok(no_store(respond_dynamic(&request, &value)))
}

/// Recorded pushes a registry's page shows, newest first.
const RECENT_PUSHES: usize = 100;

/// `GET /registries/{name}`: the registry and the pushes it reported, newest first.
async fn registry(
    request: &HttpRequest,
    state: &AppState,
    submissions: &Data<Submissions>,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let Some(config) = state.registries.get(name) else {
        return Err(ApiError::NotFound(format!(
            "no registry named `{name}` is configured"
        )));
    };
    let store = submissions.store.clone();
    let registry = config.name.clone();
    let pushes = actix_web::web::block(move || store.recent_pushes(&registry, RECENT_PUSHES))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if prefers_html(request) {
        let views: Vec<PushView> = pushes
            .iter()
            .map(|p| PushView {
                repository: p.repository.clone(),
                tag: p.tag.clone(),
                digest: p.digest.clone(),
                type_name: p.type_name.clone(),
                type_id: p.type_id.clone(),
                conforms: p.conforms,
                at: p.at.to_string(),
            })
            .collect();
        let html = registry_pages::render_registry(
            &state.current().catalog,
            &link(config),
            &views,
            &Paths::server(request.path()),
        );
        return Ok(no_store(page(request, html)));
    }
    Ok(no_store(respond_dynamic(
        request,
        &json!({"name": config.name, "url": config.url(), "pushes": pushes}),
    )))
}

fn link(config: &RegistryConfig) -> RegistryLink {
    RegistryLink {
        name: config.name.clone(),
        url: config.url(),
    }
}

/// What the registry answers changes with every push: no cache keeps it.
fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// A registry's failure is the registry's: 404 for what it does not have, 502 otherwise.
fn registry_error(name: &str, error: InspectError) -> ApiError {
    match error {
        InspectError::NotFound { .. } => ApiError::NotFound(format!("registry {name}: {error}")),
        InspectError::Runtime(cause) => ApiError::Internal(cause),
        other => ApiError::BadGateway(format!("registry {name}: {other}")),
    }
}
