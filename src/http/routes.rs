//! The URL table: every route the service answers, as data. actix's configuration, the `Allow`
//! header of a 405, the metrics' route labels and the OpenAPI document's paths are all derived
//! from [`ROUTES`], so a route exists in all of them or in none.

use actix_web::dev::{AppService, HttpServiceFactory, ResourceDef};
use actix_web::http::Method;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, guard, web};
use utoipa::openapi::path::PathsBuilder;

use super::handlers::{classify, hooks, media_types, meta, pages, registries, submissions, types};
use super::openapi::{self, paths as docs};
use super::problem::ApiError;
use super::startup::MAX_BODY_BYTES;

/// The methods a route takes; `Get` takes HEAD too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// How actix finds a route's handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// A resource at the route's own path.
    Path,
    /// A resource at this actix pattern, for paths whose last parameter spans segments.
    Pattern(&'static str),
    /// Every path under this prefix, told apart by the handler, which reads the rest of the
    /// path itself. A `{prefix}/{tail:.*}` pattern does the same, but actix matches such a
    /// pattern with a regex on every request, a tenth of the user time of a lookup; a static
    /// prefix is one string comparison. The prefix matches itself too, so a resource at the
    /// prefix comes first in the table.
    Under(&'static str),
}

/// One method on one path.
pub struct Route {
    pub verb: Verb,
    /// As documented, `{name}` for a parameter; also the route's metrics label.
    pub path: &'static str,
    pub mount: Mount,
    /// Only bodies sent by an HTML form (the form posts where the API's JSON goes too).
    pub form: bool,
    pub handler: fn() -> actix_web::Route,
    /// Its operation in the OpenAPI document; `None` for pages, which answer browsers only.
    pub operation: Option<fn(PathsBuilder) -> PathsBuilder>,
}

impl Route {
    const fn api(
        verb: Verb,
        path: &'static str,
        handler: fn() -> actix_web::Route,
        operation: fn(PathsBuilder) -> PathsBuilder,
    ) -> Self {
        Self {
            verb,
            path,
            mount: Mount::Path,
            form: false,
            handler,
            operation: Some(operation),
        }
    }

    const fn page(verb: Verb, path: &'static str, handler: fn() -> actix_web::Route) -> Self {
        Self {
            verb,
            path,
            mount: Mount::Path,
            form: false,
            handler,
            operation: None,
        }
    }

    const fn mounted(mut self, mount: Mount) -> Self {
        self.mount = mount;
        self
    }

    const fn form_only(mut self) -> Self {
        self.form = true;
        self
    }

    /// What actix registers the route under; routes that share it share a resource. A
    /// prefix is told apart from a resource at the same path.
    fn mount_key(&self) -> (bool, &'static str) {
        match self.mount {
            Mount::Path => (false, self.path),
            Mount::Pattern(pattern) => (false, pattern),
            Mount::Under(prefix) => (true, prefix),
        }
    }

    /// Whether this route is in the OpenAPI document.
    pub fn is_documented(&self) -> bool {
        self.operation.is_some()
    }
}

use Verb::{Get, Post};

/// Every route, in the order actix tries them.
pub static ROUTES: &[Route] = &[
    Route::api(
        Get,
        "/index.json",
        || web::to(meta::index),
        |p| p.path_from::<docs::__path_index>(),
    ),
    Route::api(
        Get,
        "/search-index.json",
        || web::to(meta::search_index),
        |p| p.path_from::<docs::__path_search_index>(),
    ),
    Route::api(
        Get,
        "/definition.schema.json",
        || web::to(meta::definition_schema),
        |p| p.path_from::<docs::__path_definition_schema>(),
    ),
    Route::api(
        Get,
        "/openapi.json",
        || web::to(openapi::document),
        |p| p.path_from::<docs::__path_openapi>(),
    ),
    Route::api(
        Get,
        "/healthz",
        || web::to(meta::healthz),
        |p| p.path_from::<docs::__path_healthz>(),
    ),
    Route::api(
        Get,
        "/readyz",
        || web::to(meta::readyz),
        |p| p.path_from::<docs::__path_readyz>(),
    ),
    Route::api(
        Get,
        "/metrics",
        || web::to(meta::metrics),
        |p| p.path_from::<docs::__path_metrics>(),
    ),
    // Before the routes under `/types`, whose prefix also matches `/types` itself.
    Route::api(
        Get,
        "/types",
        || web::to(types::list),
        |p| p.path_from::<docs::__path_list_types>(),
    ),
    Route::api(
        Get,
        "/types/{key}",
        || web::to(types::get),
        |p| p.path_from::<docs::__path_get_type>(),
    )
    .mounted(Mount::Under("/types")),
    Route::api(
        Get,
        "/types/{key}/versions",
        || web::to(types::get),
        |p| p.path_from::<docs::__path_type_versions>(),
    )
    .mounted(Mount::Under("/types")),
    Route::api(
        Get,
        "/types/{key}/schema",
        || web::to(types::get),
        |p| p.path_from::<docs::__path_type_schema>(),
    )
    .mounted(Mount::Under("/types")),
    Route::api(
        Post,
        "/types/{key}/validate",
        || web::to(types::post),
        |p| p.path_from::<docs::__path_validate_config>(),
    )
    .mounted(Mount::Under("/types")),
    Route::api(
        Get,
        "/media-types/{mediaType}",
        || web::to(media_types::get),
        |p| p.path_from::<docs::__path_media_type>(),
    )
    .mounted(Mount::Pattern("/media-types/{tail:.*}")),
    // Before the listings under `/registries`, whose prefix also matches `/registries` itself.
    Route::api(
        Get,
        "/registries",
        || web::to(registries::list),
        |p| p.path_from::<docs::__path_list_registries>(),
    ),
    Route::api(
        Get,
        "/registries/{name}",
        || web::to(registries::get),
        |p| p.path_from::<docs::__path_get_registry>(),
    )
    .mounted(Mount::Under("/registries")),
    Route::api(
        Get,
        "/registries/{name}/{reference}",
        || web::to(registries::get),
        |p| p.path_from::<docs::__path_registry_listing>(),
    )
    .mounted(Mount::Under("/registries")),
    Route::api(
        Post,
        "/hooks/registries/{name}",
        || web::to(hooks::post),
        |p| p.path_from::<docs::__path_registry_hook>(),
    ),
    Route::page(Get, "/", || web::to(pages::home)),
    Route::page(Get, "/api", || web::to(pages::api)),
    Route::page(Get, "/static/{file}", || web::to(pages::asset)),
    // The HTML form posts here too; JSON bodies keep the API's answer.
    Route::page(Post, "/classify", || web::to(pages::classify_submit)).form_only(),
    Route::api(
        Post,
        "/classify",
        || web::to(classify::post),
        |p| p.path_from::<docs::__path_classify>(),
    ),
    Route::page(Get, "/classify", || web::to(pages::classify_form)),
    Route::api(
        Get,
        "/submissions",
        || web::to(submissions::list),
        |p| p.path_from::<docs::__path_list_submissions>(),
    ),
    Route::api(
        Post,
        "/submissions",
        || web::to(submissions::create),
        |p| p.path_from::<docs::__path_create_submission>(),
    ),
    Route::api(
        Post,
        "/submissions/check",
        || web::to(submissions::check),
        |p| p.path_from::<docs::__path_check_submission>(),
    ),
    Route::api(
        Get,
        "/submissions/{id}",
        || web::to(submissions::get),
        |p| p.path_from::<docs::__path_get_submission>(),
    ),
    Route::page(Post, "/submit", || web::to(pages::submit_form_post)),
    Route::page(Get, "/submit", || web::to(pages::submit_form)),
    Route::api(
        Post,
        "/submissions/{id}/approve",
        || web::to(submissions::approve),
        |p| p.path_from::<docs::__path_approve_submission>(),
    ),
    Route::api(
        Post,
        "/submissions/{id}/reject",
        || web::to(submissions::reject),
        |p| p.path_from::<docs::__path_reject_submission>(),
    ),
    Route::api(
        Get,
        "/submissions/{id}/file",
        || web::to(submissions::file),
        |p| p.path_from::<docs::__path_submission_file>(),
    ),
    Route::api(
        Get,
        "/submissions/{id}/patch",
        || web::to(submissions::patch),
        |p| p.path_from::<docs::__path_submission_patch>(),
    ),
];

/// The OpenAPI document's paths: every documented route's operation.
pub fn documented_paths() -> utoipa::openapi::Paths {
    ROUTES
        .iter()
        .filter_map(|route| route.operation)
        .fold(PathsBuilder::new(), |paths, add| add(paths))
        .build()
}

/// Registers every route of [`ROUTES`]. Each resource answers 405 (and CORS preflights) for
/// other methods.
pub fn configure(config: &mut web::ServiceConfig) {
    config.app_data(web::FormConfig::default().limit(MAX_BODY_BYTES));
    let mut registered = Vec::new();
    for route in ROUTES {
        let key = route.mount_key();
        if registered.contains(&key) {
            continue;
        }
        registered.push(key);
        let sharing = || ROUTES.iter().filter(move |r| r.mount_key() == key);
        if let Mount::Under(prefix) = route.mount {
            // The handler tells the routes apart: one per method.
            let handler = |verb| sharing().find(|r| r.verb == verb).map(|r| (r.handler)());
            config.service(Subtree {
                prefix,
                read: handler(Get).unwrap_or_else(|| web::to(other_method)),
                write: handler(Post).unwrap_or_else(|| web::to(other_method)),
            });
            continue;
        }
        let mut resource = web::resource(key.1);
        for route in sharing() {
            let mut handler = (route.handler)();
            handler = match route.verb {
                Get => handler.guard(get_or_head()),
                Post => handler.guard(post_only()),
            };
            if route.form {
                handler = handler.guard(form_body());
            }
            resource = resource.route(handler);
        }
        config.service(resource.default_service(web::to(other_method)));
    }
}

/// Every path under `{prefix}`: GET and HEAD go to `read`, POST to `write`, and other methods
/// to `other_method`, as with a resource (see [`Mount::Under`]).
struct Subtree {
    prefix: &'static str,
    read: actix_web::Route,
    write: actix_web::Route,
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

/// Parameters whose values contain `/` (media types, type ids): they span one segment or more.
const SPANNING: [&str; 3] = ["{key}", "{mediaType}", "{reference}"];

/// A route's template split once into its segments, for [`route_of`].
struct Template {
    path: &'static str,
    parts: Vec<&'static str>,
    /// Where its spanning parameter is, if it has one (never more than one).
    span: Option<usize>,
    /// How many of its characters are literal: of several templates a path falls under, the
    /// most literal one is its route (`/submissions/check` over `/submissions/{id}`).
    literal_len: usize,
}

impl Template {
    fn new(path: &'static str) -> Self {
        let parts: Vec<&str> = path.split('/').collect();
        Self {
            path,
            span: parts.iter().position(|part| SPANNING.contains(part)),
            literal_len: parts
                .iter()
                .filter(|part| !part.starts_with('{'))
                .map(|part| part.len())
                .sum(),
            parts,
        }
    }

    /// Whether a path of these segments falls under the template: the parts before the
    /// spanning parameter match from the front, those after it from the back, and it takes the
    /// non-empty segments in between.
    fn matches(&self, segments: &[&str]) -> bool {
        let fits = |part: &str, segment: &str| {
            if part.starts_with('{') {
                !segment.is_empty()
            } else {
                part == segment
            }
        };
        let fit = |parts: &[&str], segments: &[&str]| {
            parts
                .iter()
                .zip(segments)
                .all(|(part, segment)| fits(part, segment))
        };
        let Some(span) = self.span else {
            return self.parts.len() == segments.len() && fit(&self.parts, segments);
        };
        let after = self.parts.len() - span - 1;
        let Some(end) = segments.len().checked_sub(after).filter(|&end| end > span) else {
            return false;
        };
        fit(&self.parts[..span], &segments[..span])
            && segments[span..end]
                .iter()
                .all(|segment| !segment.is_empty())
            && fit(&self.parts[span + 1..], &segments[end..])
    }
}

/// Every route's template, split once.
static TEMPLATES: std::sync::LazyLock<Vec<Template>> = std::sync::LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|route| Template::new(route.path))
        .collect()
});

/// The route that `path` falls under, for metrics labels; `"unmatched"` for paths the service
/// does not answer. Cheaper than asking actix to match the path again: the metrics ask about
/// every request, so the path is split once, on the stack when it is short.
pub fn route_of(path: &str) -> &'static str {
    const SHORT: usize = 16;
    let mut short = [""; SHORT];
    let long: Vec<&str>;
    let count = path.split('/').count();
    let segments: &[&str] = if count <= SHORT {
        for (slot, segment) in short.iter_mut().zip(path.split('/')) {
            *slot = segment;
        }
        &short[..count]
    } else {
        long = path.split('/').collect();
        &long
    };
    TEMPLATES
        .iter()
        .filter(|template| template.matches(segments))
        .max_by_key(|template| template.literal_len)
        .map_or("unmatched", |template| template.path)
}

/// The methods the resource at `path` takes, for the `Allow` header of a 405 answer.
pub fn allowed_methods(path: &str) -> &'static str {
    let route = route_of(path);
    let takes = |verb| ROUTES.iter().any(|r| r.path == route && r.verb == verb);
    match (takes(Get), takes(Post)) {
        (true, true) => "GET, HEAD, POST, OPTIONS",
        (false, true) => "POST, OPTIONS",
        _ => "GET, HEAD, OPTIONS",
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
            ("/registries", "/registries"),
            (
                "/registries/hub/team/app:1",
                "/registries/{name}/{reference}",
            ),
            ("/registries/hub", "/registries/{name}"),
            ("/hooks/registries/hub", "/hooks/registries/{name}"),
            (
                "/types/application/vnd.a.b+json/schema",
                "/types/{key}/schema",
            ),
            ("/types/a/b/c/d/versions", "/types/{key}/versions"),
            ("/types/versions", "/types/{key}"),
            (
                "/registries/hub/a/b/c@sha256:00",
                "/registries/{name}/{reference}",
            ),
            (
                "/registries/hub/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p:1",
                "/registries/{name}/{reference}",
            ),
            (
                "/types/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q//schema",
                "unmatched",
            ),
            ("/types//x", "unmatched"),
            ("/types/a/", "unmatched"),
            ("/registries//a", "unmatched"),
            ("/types/", "unmatched"),
            ("/types/a//versions", "unmatched"),
            ("/submissions/7/approve/x", "unmatched"),
            ("/nothing", "unmatched"),
        ] {
            assert_eq!(route_of(path), route, "{path}");
        }
    }

    #[test]
    fn every_route_is_its_own_route() {
        for route in ROUTES {
            assert_eq!(route_of(route.path), route.path);
        }
    }

    #[test]
    fn every_route_of_the_api_has_an_operation_and_no_page_has_one() {
        let pages = ["/", "/api", "/static/{file}", "/submit"];
        for route in ROUTES {
            let page = pages.contains(&route.path)
                || (route.path == "/classify" && (route.form || route.verb == Verb::Get));
            assert_eq!(
                route.is_documented(),
                !page,
                "{} {}",
                route.verb.as_str(),
                route.path
            );
        }
        let documented = documented_paths();
        assert!(documented.paths.contains_key("/types/{key}/validate"));
        assert!(!documented.paths.contains_key("/submit"));
    }

    #[test]
    fn write_only_resources_allow_post() {
        assert_eq!(allowed_methods("/types/a/b/validate"), "POST, OPTIONS");
        assert_eq!(allowed_methods("/submissions/3/reject"), "POST, OPTIONS");
        assert_eq!(allowed_methods("/types/a/b"), "GET, HEAD, OPTIONS");
        assert_eq!(allowed_methods("/classify"), "GET, HEAD, POST, OPTIONS");
    }
}
