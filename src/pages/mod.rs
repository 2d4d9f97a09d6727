//! The HTML documentation (askama): one template struct per page, next to the function that
//! fills it, and the layout they share. Pages get computed values (the catalog, a filled form),
//! never storage or HTTP handles, so the server and the static site (`site.rs`) render the very
//! same pages; only [`Paths`] knows where a link points in each.
//!
//! Every link is relative to the page itself (`../../static/app.css`), so the static site works
//! under any path prefix and the server's pages work behind any proxy prefix alike.

pub mod api;
pub mod assets;
pub mod catalog;
pub mod classify;
pub mod error;
pub mod markdown;
pub mod media_type;
pub mod registries;
pub mod submission;
pub mod type_page;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::catalog::CatalogMeta;
use crate::catalog::media_type::normalize;

/// Who serves the page: the service (which also answers forms and `?query` filters on its
/// own) or a static host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Server,
    Site,
}

/// Characters kept as they are in a link path; everything else is percent-encoded (`+` too,
/// which some object stores read as a space).
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A reference in a link path keeps its `:` and `@` as an image reference writes them.
const REFERENCE: &AsciiSet = &PATH.remove(b':').remove(b'@');

/// Characters kept as they are in a query value; `+`, `&`, `=` and spaces are encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// The links of one page, relative to where that page is.
#[derive(Debug, Clone)]
pub struct Paths {
    mode: Mode,
    /// `./` at the root, `../` per directory below it.
    root: String,
}

impl Paths {
    /// For a page the server answers at `path`, the request's path as sent (still
    /// percent-encoded: `/types/application%2Fvnd.x` is one level deep, as the browser sees it).
    pub fn server(path: &str) -> Self {
        let depth = path.trim_start_matches('/').matches('/').count();
        Self::at_depth(Mode::Server, depth)
    }

    /// For the static site's file at `file`, relative to the site root.
    pub fn site(file: &str) -> Self {
        Self::at_depth(Mode::Site, file.matches('/').count())
    }

    fn at_depth(mode: Mode, depth: usize) -> Self {
        let root = if depth == 0 {
            "./".to_string()
        } else {
            "../".repeat(depth)
        };
        Self { mode, root }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The catalog page.
    pub fn home(&self) -> String {
        match self.mode {
            Mode::Server => self.root.clone(),
            Mode::Site => format!("{}index.html", self.root),
        }
    }

    pub fn type_page(&self, id: &str) -> String {
        match self.mode {
            Mode::Server => format!("{}types/{id}", self.root),
            Mode::Site => format!("{}{}", self.root, Self::type_page_file(id)),
        }
    }

    /// A type page showing one version (the static site has pages of latest versions only,
    /// so it links the version's JSON instead).
    pub fn version_page(&self, id: &str, version: &str) -> String {
        match self.mode {
            Mode::Server => format!("{}types/{id}?version={version}", self.root),
            Mode::Site => self.version_json(id, version),
        }
    }

    /// The latest definition as JSON.
    pub fn type_json(&self, id: &str) -> String {
        format!("{}types/{id}/index.json", self.root)
    }

    pub fn version_json(&self, id: &str, version: &str) -> String {
        format!("{}types/{id}/{version}.json", self.root)
    }

    /// The latest config schema.
    pub fn schema_json(&self, id: &str) -> String {
        match self.mode {
            Mode::Server => format!("{}types/{id}/schema", self.root),
            Mode::Site => format!("{}types/{id}/schema.json", self.root),
        }
    }

    pub fn media_type(&self, media_type: &str) -> String {
        match self.mode {
            Mode::Server => format!(
                "{}media-types/{}",
                self.root,
                utf8_percent_encode(media_type, PATH)
            ),
            Mode::Site => format!(
                "{}{}",
                self.root,
                utf8_percent_encode(&Self::media_type_file(media_type), PATH)
            ),
        }
    }

    /// The classify form: only the service can answer it.
    pub fn classify(&self) -> Option<String> {
        (self.mode == Mode::Server).then(|| format!("{}classify", self.root))
    }

    /// The submit form: only the service can store a submission.
    pub fn submit(&self) -> Option<String> {
        (self.mode == Mode::Server).then(|| format!("{}submit", self.root))
    }

    /// The registry listings: only the service talks to registries.
    pub fn registries(&self) -> Option<String> {
        (self.mode == Mode::Server).then(|| format!("{}registries", self.root))
    }

    /// A configured registry's page.
    pub fn registry(&self, name: &str) -> String {
        format!(
            "{}registries/{}",
            self.root,
            utf8_percent_encode(name, PATH)
        )
    }

    /// A listing: `reference` is `REPOSITORY[:TAG|@DIGEST]`.
    pub fn registry_reference(&self, name: &str, reference: &str) -> String {
        format!(
            "{}/{}",
            self.registry(name),
            utf8_percent_encode(reference, REFERENCE)
        )
    }

    /// A submission's status page (the service's JSON for API clients).
    pub fn submission(&self, id: &str) -> String {
        format!("{}submissions/{id}", self.root)
    }

    pub fn api(&self) -> String {
        match self.mode {
            Mode::Server => format!("{}api", self.root),
            Mode::Site => format!("{}api/index.html", self.root),
        }
    }

    /// The OpenAPI document: only the service has the API it describes.
    pub fn openapi(&self) -> Option<String> {
        (self.mode == Mode::Server).then(|| format!("{}openapi.json", self.root))
    }

    /// Page `page` (from 1) of the catalog under `filters` (name and value; empty values are
    /// left out). The service answers the query itself; the static site has a file per page of
    /// the whole catalog, and its script applies filters from the query of `index.html`.
    pub fn catalog_page(&self, filters: &[(&str, &str)], page: usize) -> String {
        let mut query: Vec<String> = filters
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, QUERY_VALUE)))
            .collect();
        if self.mode == Mode::Site && query.is_empty() {
            return format!("{}{}", self.root, Self::catalog_page_file(page));
        }
        if page > 1 {
            query.push(format!("page={page}"));
        }
        if query.is_empty() {
            self.home()
        } else {
            format!("{}?{}", self.home(), query.join("&"))
        }
    }

    /// Where the static site keeps page `page` (from 1) of the whole catalog.
    pub fn catalog_page_file(page: usize) -> String {
        if page <= 1 {
            "index.html".into()
        } else {
            format!("page/{page}.html")
        }
    }

    /// The catalog page's search index.
    pub fn search_index(&self) -> String {
        format!("{}search-index.json", self.root)
    }

    pub fn index_json(&self) -> String {
        format!("{}index.json", self.root)
    }

    pub fn definition_schema(&self) -> String {
        format!("{}definition.schema.json", self.root)
    }

    /// A static asset by its source name (`app.css`), at its content-hashed URL.
    pub fn asset(&self, name: &str) -> String {
        format!("{}static/{}", self.root, assets::file_name(name))
    }

    /// Where the static site keeps a type's page.
    pub fn type_page_file(id: &str) -> String {
        format!("types/{id}/index.html")
    }

    /// Where the static site keeps a media type's page (by its normalized spelling).
    pub fn media_type_file(media_type: &str) -> String {
        format!("media-types/{}/index.html", normalize(media_type))
    }
}

/// Which entry of the main navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Catalog,
    Classify,
    Submit,
    Registries,
    Api,
    Other,
}

/// What `base.html` needs: the page title and the shared links.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub description: String,
    pub section: Section,
    pub home: String,
    pub api: String,
    pub classify: Option<String>,
    pub submit: Option<String>,
    pub registries: Option<String>,
    pub index_json: String,
    pub definition_schema: String,
    pub css: String,
    pub js: String,
    pub icon: String,
    /// `typehouse 0.1.0`.
    pub catalog: String,
    pub homepage: Option<String>,
    /// The stylesheet itself, for pages that must work wherever a host puts them (the static
    /// site's `404.html` is served at any depth, where relative links cannot reach `static/`).
    pub inline_css: Option<&'static str>,
}

impl Layout {
    pub fn new(
        paths: &Paths,
        meta: Option<&CatalogMeta>,
        title: impl Into<String>,
        section: Section,
    ) -> Self {
        let description = meta
            .and_then(|m| m.description.clone())
            .unwrap_or_else(|| "Well-known OCI artifact types".into());
        Self {
            title: title.into(),
            description,
            section,
            home: paths.home(),
            api: paths.api(),
            classify: paths.classify(),
            submit: paths.submit(),
            registries: paths.registries(),
            index_json: paths.index_json(),
            definition_schema: paths.definition_schema(),
            css: paths.asset("app.css"),
            js: paths.asset("app.js"),
            icon: paths.asset("icon.svg"),
            catalog: meta.map_or_else(
                || "typehouse".into(),
                |m| format!("{} {}", m.name, m.version),
            ),
            homepage: meta
                .and_then(|m| m.homepage.clone())
                .filter(|url| markdown::is_safe_url(url) && url.starts_with("http")),
            inline_css: None,
        }
    }

    /// Is this page in the navigation entry `name` (`catalog`, `classify`, `submit`,
    /// `registries`, `api`)?
    pub fn current(&self, name: &str) -> bool {
        let current = match self.section {
            Section::Catalog => "catalog",
            Section::Classify => "classify",
            Section::Submit => "submit",
            Section::Registries => "registries",
            Section::Api => "api",
            Section::Other => "",
        };
        current == name
    }
}

/// A renderable page; rendering cannot fail for our templates, but askama's API allows it.
/// The refusal beside each field of a form that takes a registry, repository, tag and digest.
#[derive(Debug, Default)]
struct FieldErrors {
    registry: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
}

impl FieldErrors {
    fn of(invalid: Option<&crate::catalog::reference::InvalidReference>) -> Self {
        use crate::catalog::reference::Field;
        let message = |field: Field| {
            invalid
                .and_then(|i| i.of(field))
                .map(|_| format!("Not a valid {field}: it must be {}.", field.rule()))
        };
        Self {
            registry: message(Field::Registry),
            repository: message(Field::Repository),
            tag: message(Field::Tag),
            digest: message(Field::Digest),
        }
    }
}

fn render(template: &impl askama::Template) -> String {
    template
        .render()
        .unwrap_or_else(|error| panic!("a page failed to render: {error}"))
}

/// A type's icon as an `<img>` source: a `data:` URI, so the SVG is shown as an image (where
/// no script in it runs) and needs no file of its own.
fn icon_data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml,{}",
        utf8_percent_encode(svg, NON_ALPHANUMERIC)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_links_climb_to_the_root_of_the_request_path() {
        assert_eq!(Paths::server("/").home(), "./");
        assert_eq!(Paths::server("/types").home(), "./");
        let deep = Paths::server("/types/cncf/helm-chart");
        assert_eq!(deep.home(), "../../");
        assert_eq!(deep.type_page("oras/x"), "../../types/oras/x");
        assert_eq!(
            Paths::server("/types/application%2Fvnd.x").type_json("a/b"),
            "../types/a/b/index.json"
        );
        assert_eq!(
            deep.media_type("application/vnd.cncf.helm.config.v1+json"),
            "../../media-types/application/vnd.cncf.helm.config.v1%2Bjson"
        );
    }

    #[test]
    fn site_links_name_files() {
        let paths = Paths::site("types/cncf/helm-chart/index.html");
        assert_eq!(paths.home(), "../../../index.html");
        assert_eq!(paths.type_page("a/b"), "../../../types/a/b/index.html");
        assert_eq!(
            paths.media_type("Application/X+JSON"),
            "../../../media-types/application/x%2Bjson/index.html"
        );
        assert_eq!(paths.classify(), None);
        assert_eq!(Paths::site("index.html").api(), "./api/index.html");
    }

    #[test]
    fn catalog_pages_carry_their_filters_on_the_server_and_are_files_on_the_site() {
        let server = Paths::server("/types");
        assert_eq!(server.catalog_page(&[("q", "")], 1), "./");
        assert_eq!(
            server.catalog_page(&[("q", "a b&c"), ("vendor", "")], 3),
            "./?q=a%20b%26c&page=3"
        );
        let site = Paths::site("page/2.html");
        assert_eq!(site.catalog_page(&[("q", "")], 1), "../index.html");
        assert_eq!(site.catalog_page(&[], 3), "../page/3.html");
        assert_eq!(
            site.catalog_page(&[("tag", "ml")], 2),
            "../index.html?tag=ml&page=2"
        );
        assert_eq!(site.search_index(), "../search-index.json");
    }
}
