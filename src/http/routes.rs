//! The URL table: every route the service answers, in one place.

use actix_web::dev::{AppService, HttpServiceFactory, ResourceDef};
use actix_web::http::Method;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, Route, guard, web};

use super::handlers::{classify, media_types, meta, pages, submissions, types};
use super::problem::ApiError;
use super::startup::MAX_BODY_BYTES;

/// Registers every route. Each resource answers 405 (and CORS preflights) for other methods.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(read("/index.json", meta::index))
        .service(read("/definition.schema.json", meta::definition_schema))
        .service(read("/openapi.json", super::openapi::document))
        .service(read("/healthz", meta::healthz))
        .service(read("/metrics", meta::metrics))
        // Before the subtree below, whose prefix also matches `/types` itself.
        .service(read("/types", types::list))
        .service(Subtree {
            prefix: "/types",
            read: web::route().to(types::get),
            write: web::route().to(types::post),
        })
        .service(read("/media-types/{tail:.*}", media_types::get))
        .service(read("/", pages::home))
        .service(read("/api", pages::api))
        .service(read("/static/{file}", pages::asset))
        .service(
            web::resource("/classify")
                .app_data(web::FormConfig::default().limit(MAX_BODY_BYTES))
                // The HTML form posts here too; JSON bodies keep the API's answer.
                .route(web::post().guard(form_body()).to(pages::classify_submit))
                .route(web::post().to(classify::post))
                .route(web::route().guard(get_or_head()).to(pages::classify_form))
                .default_service(web::to(other_method)),
        )
        .service(
            web::resource("/submissions")
                .route(web::get().to(submissions::list))
                .route(web::post().to(submissions::create))
                .default_service(web::to(other_method)),
        )
        .service(post("/submissions/check", submissions::check))
        .service(read("/submissions/{id}", submissions::get))
        .service(
            web::resource("/submit")
                .app_data(web::FormConfig::default().limit(MAX_BODY_BYTES))
                .route(web::post().to(pages::submit_form_post))
                .route(web::route().guard(get_or_head()).to(pages::submit_form))
                .default_service(web::to(other_method)),
        )
        .service(post("/submissions/{id}/approve", submissions::approve))
        .service(post("/submissions/{id}/reject", submissions::reject))
        .service(read("/submissions/{id}/file", submissions::file))
        .service(read("/submissions/{id}/patch", submissions::patch));
}

/// Routes that only answer HTML pages (for browsers), so the OpenAPI document leaves them out:
/// the catalog at `/`, the API page, the classify form (`GET /classify`, and `POST /classify`
/// with a form body), the submit form (`GET` and `POST /submit`) and the content-hashed assets.
pub const PAGE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/api"),
    ("GET", "/classify"),
    ("GET", "/submit"),
    ("POST", "/submit"),
    ("GET", "/static/{file}"),
];

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
    ("POST", "/submissions/check"),
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

/// Every path under `{prefix}/`, for handlers that read the rest of the path themselves: GET
/// and HEAD go to `read`, POST to `write`, and other methods to `other_method`, as with a
/// resource. A `{prefix}/{tail:.*}` resource does the same, but actix matches such a pattern
/// with a regex on every request, a tenth of the user time of a lookup; a static prefix is one
/// string comparison. The prefix matches `{prefix}` itself too: register that resource first.
struct Subtree {
    prefix: &'static str,
    read: Route,
    write: Route,
}

impl HttpServiceFactory for Subtree {
    fn register(self, config: &mut AppService) {
        let under = || ResourceDef::prefix(self.prefix);
        config.register_service(
            under(),
            Some(vec![Box::new(get_or_head())]),
            self.read,
            None,
        );
        config.register_service(under(), Some(vec![Box::new(post_only())]), self.write, None);
        config.register_service(under(), None, web::to(other_method), None);
    }
}

/// GET or HEAD. A plain comparison: actix's method guards also note each method they test in
/// the request's extensions (an allocation per guard and request), for an `Allow` header that
/// `other_method` and the middleware in `startup` make without them.
fn get_or_head() -> impl guard::Guard {
    guard::fn_guard(|context| matches!(context.head().method, Method::GET | Method::HEAD))
}

/// POST, compared as plainly as [`get_or_head`].
fn post_only() -> impl guard::Guard {
    guard::fn_guard(|context| context.head().method == Method::POST)
}

/// A body sent by an HTML form.
fn form_body() -> impl guard::Guard {
    guard::fn_guard(|context| {
        context
            .head()
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            })
    })
}

/// The documented route (`ROUTES`, `PAGE_ROUTES`) that `path` falls under, for metrics
/// labels; `"unmatched"` for paths the service does not answer. Cheaper than asking actix to
/// match the path again, which the metrics would otherwise do on every request.
pub fn route_of(path: &str) -> &'static str {
    /// A path prefix, the routes told apart by their last segment, and the route otherwise.
    type Family = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static str,
    );
    const SUFFIXED: &[Family] = &[
        (
            "/types/",
            &[
                ("/versions", "/types/{key}/versions"),
                ("/schema", "/types/{key}/schema"),
                ("/validate", "/types/{key}/validate"),
            ],
            "/types/{key}",
        ),
        (
            "/submissions/",
            &[
                ("/approve", "/submissions/{id}/approve"),
                ("/reject", "/submissions/{id}/reject"),
                ("/file", "/submissions/{id}/file"),
                ("/patch", "/submissions/{id}/patch"),
            ],
            "/submissions/{id}",
        ),
        ("/media-types/", &[], "/media-types/{mediaType}"),
        ("/static/", &[], "/static/{file}"),
    ];
    if let Some(&(_, route)) = ROUTES
        .iter()
        .chain(PAGE_ROUTES)
        .find(|(_, route)| *route == path)
    {
        return route;
    }
    for (prefix, suffixes, route) in SUFFIXED {
        let Some(rest) = path.strip_prefix(prefix) else {
            continue;
        };
        if rest.is_empty() {
            break;
        }
        return suffixes
            .iter()
            .find(|(suffix, _)| rest.len() > suffix.len() && rest.ends_with(suffix))
            .map_or(route, |(_, route)| route);
    }
    "unmatched"
}

/// The methods the resource at `path` takes, for the `Allow` header of a 405 answer.
pub fn allowed_methods(path: &str) -> &'static str {
    const READ: &str = "GET, HEAD, OPTIONS";
    const WRITE: &str = "POST, OPTIONS";
    match route_of(path) {
        "/classify" | "/submit" => "GET, HEAD, POST, OPTIONS",
        "/submissions" => "GET, POST, OPTIONS",
        "/submissions/check"
        | "/types/{key}/validate"
        | "/submissions/{id}/approve"
        | "/submissions/{id}/reject" => WRITE,
        _ => READ,
    }
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

/// Unknown paths, named as the client meant them (percent-decoded, like every other key).
pub async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = percent_encoding::percent_decode_str(request.path()).decode_utf8_lossy();
    Err(ApiError::NotFound(format!(
        "nothing at {}",
        path.chars().take(200).collect::<String>()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_under_their_documented_route() {
        for (path, route) in [
            ("/", "/"),
            ("/index.json", "/index.json"),
            ("/types", "/types"),
            ("/types/cncf/helm-chart", "/types/{key}"),
            ("/types/application/vnd.acme.widget.v1+json", "/types/{key}"),
            ("/types/cncf/helm-chart/versions", "/types/{key}/versions"),
            ("/types/cncf/helm-chart/schema", "/types/{key}/schema"),
            ("/types/cncf/helm-chart/validate", "/types/{key}/validate"),
            ("/types/validate", "/types/{key}"),
            ("/media-types/application/json", "/media-types/{mediaType}"),
            ("/static/site.0123.css", "/static/{file}"),
            ("/submissions", "/submissions"),
            ("/submissions/check", "/submissions/check"),
            ("/submissions/7", "/submissions/{id}"),
            ("/submissions/7/approve", "/submissions/{id}/approve"),
            ("/submissions/7/patch", "/submissions/{id}/patch"),
            ("/types/", "unmatched"),
            ("/nothing", "unmatched"),
        ] {
            assert_eq!(route_of(path), route, "{path}");
        }
    }

    #[test]
    fn every_documented_route_is_its_own_route() {
        for (_, route) in ROUTES.iter().chain(PAGE_ROUTES) {
            assert_eq!(route_of(route), *route);
        }
    }

    #[test]
    fn write_only_resources_allow_post() {
        assert_eq!(allowed_methods("/types/a/b/validate"), "POST, OPTIONS");
        assert_eq!(allowed_methods("/submissions/3/reject"), "POST, OPTIONS");
        assert_eq!(allowed_methods("/types/a/b"), "GET, HEAD, OPTIONS");
        assert_eq!(allowed_methods("/classify"), "GET, HEAD, POST, OPTIONS");
    }
}
