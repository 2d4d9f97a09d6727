//! The catalog page (`/`, and `/types` for browsers): the types that pass the search and the
//! vendor, status and tag filters, as cards, a page of [`PAGE_SIZE`] at a time. Filters and
//! page are query parameters, so the page works without JavaScript; with it, the search runs
//! as you type over the search index (`/search-index.json`).

use askama::Template;

use super::{Layout, Mode, Paths, Section, icon_data_uri, render};
use crate::catalog::{Catalog, TypeSummary};

/// Cards on one page: enough to scan, few enough that a page of a catalog of any size stays
/// small.
pub const PAGE_SIZE: usize = 60;

/// How many pages `matches` types fill; an empty result is still one page.
pub fn page_count(matches: usize) -> usize {
    matches.div_ceil(PAGE_SIZE).max(1)
}

/// The search form's values, as the query string gave them.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub q: String,
    pub vendor: String,
    pub status: String,
    pub tag: String,
}

impl Search {
    fn is_empty(&self) -> bool {
        self.q.trim().is_empty()
            && self.vendor.is_empty()
            && self.status.is_empty()
            && self.tag.is_empty()
    }

    /// The filters as query parameters, in the form's order.
    fn parameters(&self) -> [(&'static str, &str); 4] {
        [
            ("q", self.q.trim()),
            ("vendor", &self.vendor),
            ("status", &self.status),
            ("tag", &self.tag),
        ]
    }
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    layout: Layout,
    heading: String,
    description: Option<String>,
    /// Where the search form goes.
    action: String,
    search: Search,
    vendors: Vec<Choice>,
    statuses: Vec<Choice>,
    tags: Vec<Choice>,
    cards: Vec<Card>,
    /// Types that pass the filters, over every page.
    matches: usize,
    /// Types in the catalog.
    total: usize,
    filtered: bool,
    pager: Pager,
    /// What the script needs to draw cards and pager links as the server does.
    script: Script,
}

struct Choice {
    value: String,
    selected: bool,
}

struct Card {
    id: String,
    name: String,
    summary: String,
    status: &'static str,
    version: String,
    href: String,
    icon: Option<String>,
    initial: String,
    identifying: Option<String>,
    more_identifying: usize,
    tags: Vec<String>,
}

struct Pager {
    page: usize,
    pages: usize,
    /// The 1-based positions of the first and last card shown, 0 and 0 when none is.
    first: usize,
    last: usize,
    previous: Option<String>,
    next: Option<String>,
}

struct Script {
    mode: &'static str,
    search_index: String,
    /// A type page's link is `type_prefix`, the id, `type_suffix`.
    type_prefix: String,
    type_suffix: String,
    /// The site's pages of the whole catalog: `page_prefix`, the page, `.html`.
    page_prefix: String,
    page_size: usize,
}

/// Renders page `page` (from 1, at most [`page_count`]) of `matching`, the types that pass
/// `search` by the API's own filter, so that the page and `GET /types?q=` agree. Every card is
/// drawn from the in-memory summary alone.
pub fn render_page(
    catalog: &Catalog,
    search: &Search,
    matching: &[&TypeSummary],
    page: usize,
    paths: &Paths,
) -> String {
    let pages = page_count(matching.len());
    let page = page.clamp(1, pages);
    let start = (page - 1) * PAGE_SIZE;
    let shown = matching.iter().skip(start).take(PAGE_SIZE);
    let cards: Vec<Card> = shown.map(|summary| card(summary, paths)).collect();
    let vendors = catalog.vendors().iter().map(String::as_str);
    let tags = catalog.tags().iter().map(String::as_str);
    let choices = |values: &mut dyn Iterator<Item = &str>, selected: &str| -> Vec<Choice> {
        values
            .map(|value| Choice {
                value: value.to_string(),
                selected: value == selected,
            })
            .collect()
    };
    let filters = search.parameters();
    let pager = Pager {
        page,
        pages,
        first: if cards.is_empty() { 0 } else { start + 1 },
        last: start + cards.len(),
        previous: (page > 1).then(|| paths.catalog_page(&filters, page - 1)),
        next: (page < pages).then(|| paths.catalog_page(&filters, page + 1)),
    };
    let type_page = paths.type_page("\u{0}");
    let (type_prefix, type_suffix) = type_page
        .split_once('\u{0}')
        .expect("the marker is in the link");
    // `…/page/2.html` less its `2.html`: the site's pages of the whole catalog.
    let site_page = paths.catalog_page(&[], 2);
    let page_prefix = match paths.mode() {
        Mode::Site => site_page.trim_end_matches("2.html").to_string(),
        Mode::Server => String::new(),
    };
    let script = Script {
        mode: match paths.mode() {
            Mode::Server => "server",
            Mode::Site => "site",
        },
        search_index: paths.search_index(),
        type_prefix: type_prefix.to_string(),
        type_suffix: type_suffix.to_string(),
        page_prefix,
        page_size: PAGE_SIZE,
    };
    let page = CatalogPage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            if pager.page > 1 {
                format!("OCI artifact types, page {}", pager.page)
            } else {
                "OCI artifact types".to_string()
            },
            Section::Catalog,
        ),
        heading: "OCI artifact types".into(),
        description: catalog.meta.description.clone(),
        action: paths.home(),
        matches: matching.len(),
        total: catalog.len(),
        filtered: !search.is_empty(),
        vendors: choices(&mut vendors.into_iter(), &search.vendor),
        statuses: choices(
            &mut ["active", "draft", "deprecated"].into_iter(),
            &search.status,
        ),
        tags: choices(&mut tags.into_iter(), &search.tag),
        search: search.clone(),
        cards,
        pager,
        script,
    };
    render(&page)
}

fn card(summary: &TypeSummary, paths: &Paths) -> Card {
    let identifying = &summary.identifying_media_types;
    Card {
        id: summary.id.clone(),
        name: summary.name.clone(),
        summary: summary.summary.clone(),
        status: summary.status.as_str(),
        version: summary.version.clone(),
        href: paths.type_page(&summary.id),
        icon: summary.icon_svg.as_deref().map(icon_data_uri),
        initial: summary
            .name
            .chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default(),
        more_identifying: identifying.len().saturating_sub(1),
        identifying: identifying.first().cloned(),
        tags: summary.tags.clone(),
    }
}
