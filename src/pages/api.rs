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
    openapi: Option<String>,
    index_json: String,
    definition_schema: String,
    example_id: String,
    example_media_type: String,
    example_type_json: String,
}

/// `base` is the service's own URL as the client reached it, for the examples; `None` on the
/// static site, whose address is only known in the browser.
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
