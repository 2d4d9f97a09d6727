//! The error page: any error status, in the site's layout, with a way back. JSON clients get
//! the same error as `application/problem+json` instead (see `http::problem`).

use askama::Template;

use super::{Layout, Paths, Section, assets, render};
use crate::catalog::CatalogMeta;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    title: String,
    detail: String,
    home: String,
}

pub fn render_page(
    status: u16,
    title: &str,
    detail: &str,
    meta: Option<&CatalogMeta>,
    paths: &Paths,
) -> String {
    render(&error_page(status, title, detail, meta, paths))
}

/// The static site's `404.html`: hosts serve it at whatever path was missing, where relative
/// links to `static/` cannot work, so it carries its stylesheet inline.
pub fn render_not_found_file(meta: Option<&CatalogMeta>, paths: &Paths) -> String {
    let mut page = error_page(
        404,
        "Not Found",
        "There is no page at this address.",
        meta,
        paths,
    );
    page.layout.inline_css = Some(assets::stylesheet());
    render(&page)
}

fn error_page(
    status: u16,
    title: &str,
    detail: &str,
    meta: Option<&CatalogMeta>,
    paths: &Paths,
) -> ErrorPage {
    ErrorPage {
        layout: Layout::new(paths, meta, format!("{status} {title}"), Section::Other),
        status,
        title: title.to_string(),
        detail: detail.to_string(),
        home: paths.home(),
    }
}
