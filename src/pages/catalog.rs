//! The catalog page (`/`, and `/types` for browsers): every type as a card, with a search box
//! and vendor, status and tag filters that work as query parameters without JavaScript and
//! instantly with it.

use std::collections::BTreeSet;

use askama::Template;

use super::{Layout, Paths, Section, icon_data_uri, render};
use crate::catalog::{Catalog, TypeEntry, TypeId};

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
    shown: usize,
    filtered: bool,
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
    vendor: String,
    /// Lowercase text the search box matches: the same fields the API's `q` filter looks at.
    haystack: String,
    /// `|`-separated, for the script's tag filter.
    tag_list: String,
    visible: bool,
}

/// Renders the catalog; `visible` says which types pass the filters (the API's own filter, so
/// the page and `GET /types?q=` agree).
pub fn render_page(
    catalog: &Catalog,
    search: &Search,
    visible: &dyn Fn(&TypeId) -> bool,
    paths: &Paths,
) -> String {
    let cards: Vec<Card> = catalog
        .types()
        .map(|entry| card(catalog, entry, visible(&entry.id), paths))
        .collect();
    let vendors: BTreeSet<&str> = catalog.types().map(|e| e.id.vendor()).collect();
    let tags: BTreeSet<&str> = catalog
        .types()
        .flat_map(|e| catalog.summary(e).tags.iter().map(String::as_str))
        .collect();
    let choices = |values: &mut dyn Iterator<Item = &str>, selected: &str| -> Vec<Choice> {
        values
            .map(|value| Choice {
                value: value.to_string(),
                selected: value == selected,
            })
            .collect()
    };
    let page = CatalogPage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            "OCI artifact types",
            Section::Catalog,
        ),
        heading: "OCI artifact types".into(),
        description: catalog.meta.description.clone(),
        action: paths.home(),
        shown: cards.iter().filter(|c| c.visible).count(),
        filtered: !search.is_empty(),
        vendors: choices(&mut vendors.into_iter(), &search.vendor),
        statuses: choices(
            &mut ["active", "draft", "deprecated"].into_iter(),
            &search.status,
        ),
        tags: choices(&mut tags.into_iter(), &search.tag),
        search: search.clone(),
        cards,
    };
    render(&page)
}

fn card(catalog: &Catalog, entry: &TypeEntry, visible: bool, paths: &Paths) -> Card {
    let definition = catalog.summary(entry);
    // The icon is the one thing a card shows that the summary does not hold.
    let icon_svg = catalog
        .published(entry.latest())
        .ok()
        .and_then(|published| published.icon_svg.clone());
    let identifying = definition.identifying_media_types.clone();
    let haystack = [
        entry.id.to_string(),
        definition.name.clone(),
        definition.summary.clone(),
    ]
    .into_iter()
    .chain(identifying.iter().cloned())
    .chain(definition.layer_media_types.iter().cloned())
    .chain(definition.tags.iter().cloned())
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase();
    Card {
        id: entry.id.to_string(),
        name: definition.name.clone(),
        summary: definition.summary.clone(),
        status: definition.status.as_str(),
        version: definition.version.clone(),
        href: paths.type_page(entry.id.as_str()),
        icon: icon_svg.as_deref().map(icon_data_uri),
        initial: definition
            .name
            .chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default(),
        more_identifying: identifying.len().saturating_sub(1),
        identifying: identifying.into_iter().next(),
        tags: definition.tags.clone(),
        vendor: entry.id.vendor().to_string(),
        haystack,
        tag_list: definition.tags.join("|"),
        visible,
    }
}
