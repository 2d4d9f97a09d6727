//! The media type page (`/media-types/{mediaType}` for browsers): which types use a media type,
//! and in which role.

use askama::Template;

use super::type_page::role_label;
use super::{Layout, Paths, Section, render};
use crate::catalog::Catalog;

#[derive(Template)]
#[template(path = "media_type.html")]
struct MediaTypePage {
    layout: Layout,
    home: String,
    media_type: String,
    warnings: Vec<String>,
    uses: Vec<Use>,
}

struct Use {
    id: String,
    name: String,
    summary: String,
    status: &'static str,
    href: String,
    role: &'static str,
    identifying: bool,
}

/// The page of `key` (compared case-insensitively, parameters ignored); `None` when no type
/// uses it.
pub fn render_page(catalog: &Catalog, key: &str, paths: &Paths) -> Option<String> {
    let uses = catalog.uses_of(key);
    let first = uses.first()?;
    let media_type = first.media_type.to_string();
    let page = MediaTypePage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            media_type.clone(),
            Section::Catalog,
        ),
        home: paths.home(),
        warnings: first
            .media_type
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect(),
        uses: uses
            .iter()
            .filter_map(|usage| {
                let summary = catalog.summary(catalog.get(&usage.id)?);
                Some(Use {
                    id: usage.id.to_string(),
                    name: summary.name.clone(),
                    summary: summary.summary.clone(),
                    status: summary.status.as_str(),
                    href: paths.type_page(usage.id.as_str()),
                    role: role_label(usage.role),
                    identifying: usage.identifying,
                })
            })
            .collect(),
        media_type,
    };
    Some(render(&page))
}
