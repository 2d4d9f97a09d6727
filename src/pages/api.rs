//! The API page (`/api`): where the machine-readable documents are, with curl examples. On the
//! static site it describes the JSON files the site itself holds.

use askama::Template;

use super::{Layout, Mode, Paths, Section, render};
use crate::catalog::Catalog;

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    layout: Layout,
    server: bool,
    /// The absolute base URL for the curl examples.
    base: String,
    /// `base` is the configured public URL: the page's script leaves it as it is (otherwise
    /// it writes the address the browser sees).
    base_is_public: bool,
    openapi: Option<String>,
    index_json: String,
    definition_schema: String,
    example_id: String,
    example_media_type: String,
    example_type_json: String,
}

/// `base` is the service's public URL (`serve --public-url`), for the examples; `None` when it
/// is not configured, or on the static site, whose address is then only known in the browser.
/// Nothing a request says (`Host`, `X-Forwarded-Host`) goes into the page: it is cached.
pub fn render_page(catalog: &Catalog, base: Option<&str>, paths: &Paths) -> String {
    let example = catalog
        .get_str("cncf/helm-chart")
        .or_else(|| catalog.types().next());
    let example_id = example.map_or_else(|| "vendor/name".into(), |e| e.id.to_string());
    let example_media_type = example
        .and_then(|e| catalog.summary(e).artifact_type.clone())
        .unwrap_or_else(|| "application/vnd.example+json".into());
    let page = ApiPage {
        layout: Layout::new(paths, Some(&catalog.meta), "API", Section::Api),
        server: paths.mode() == Mode::Server,
        base_is_public: base.is_some(),
        base: base
            .unwrap_or("https://typehouse.example")
            .trim_end_matches('/')
            .to_string(),
        openapi: paths.openapi(),
        index_json: paths.index_json(),
        definition_schema: paths.definition_schema(),
        example_type_json: paths.type_json(&example_id),
        example_id,
        example_media_type,
    };
    render(&page)
}
