//! The URL table: every route the service answers, in one place.

use actix_web::http::Method;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, guard, web};

use super::handlers::{classify, media_types, meta, submissions, types};
use super::problem::ApiError;

/// Registers every route. Each resource answers 405 (and CORS preflights) for other methods.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(read("/index.json", meta::index))
        .service(read("/definition.schema.json", meta::definition_schema))
        .service(read("/openapi.json", super::openapi::document))
        .service(read("/healthz", meta::healthz))
        .service(read("/metrics", meta::metrics))
        .service(read("/types", types::list))
        .service(
            web::resource("/types/{tail:.*}")
                .route(web::route().guard(get_or_head()).to(types::get))
                .route(web::post().to(types::post))
                .default_service(web::to(other_method)),
        )
        .service(read("/media-types/{tail:.*}", media_types::get))
        .service(
            web::resource("/classify")
                .route(web::post().to(classify::post))
                .default_service(web::to(other_method)),
        )
        .service(
            web::resource("/submissions")
                .route(web::get().to(submissions::list))
                .route(web::post().to(submissions::create))
                .default_service(web::to(other_method)),
        )
        .service(read("/submissions/{id}", submissions::get))
        .service(post("/submissions/{id}/approve", submissions::approve))
        .service(post("/submissions/{id}/reject", submissions::reject))
        .service(read("/submissions/{id}/file", submissions::file))
        .service(read("/submissions/{id}/patch", submissions::patch));
}

/// The routes and methods the service answers, for the OpenAPI cross-check.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/index.json"),
    ("GET", "/definition.schema.json"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/types"),
    ("GET", "/types/{key}"),
    ("GET", "/types/{key}/versions"),
    ("GET", "/types/{key}/schema"),
    ("POST", "/types/{key}/validate"),
    ("GET", "/media-types/{mediaType}"),
    ("POST", "/classify"),
    ("GET", "/openapi.json"),
    ("POST", "/submissions"),
    ("GET", "/submissions"),
    ("GET", "/submissions/{id}"),
    ("POST", "/submissions/{id}/approve"),
    ("POST", "/submissions/{id}/reject"),
    ("GET", "/submissions/{id}/file"),
    ("GET", "/submissions/{id}/patch"),
];

fn read<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::route().guard(get_or_head()).to(handler))
        .default_service(web::to(other_method))
}

fn post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(other_method))
}

fn get_or_head() -> impl guard::Guard {
    guard::Any(guard::Get()).or(guard::Head())
}

/// OPTIONS is a CORS preflight; anything else is a method the resource does not take.
async fn other_method(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    if request.method() == Method::OPTIONS {
        return Ok(HttpResponse::NoContent()
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, HEAD, POST, OPTIONS",
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Content-Type, Accept, Authorization, If-None-Match",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
            .finish());
    }
    Err(ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        request.method(),
        request.path()
    )))
}

/// Unknown paths.
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "nothing at {}",
        request.path().chars().take(200).collect::<String>()
    )))
}
