//! The registry pages: the configured registries (`GET /registries`), and a listing of what one
//! holds (`GET /registries/{name}/{reference}`): a row per artifact with its type's icon and
//! name, platforms, conformance, referrers under their subject and copyable actions.
//!
//! A listing arrives as the JSON the API answers (the public format), so the page shows
//! exactly what a script would read.

use askama::Template;
use serde_json::Value;

use super::{Layout, Paths, Section, icon_data_uri, render};
use crate::catalog::Catalog;

/// A configured registry, as the pages name it.
pub struct RegistryLink {
    pub name: String,
    pub url: String,
}

/// A recorded push (from the registry's notifications).
pub struct PushView {
    pub repository: String,
    pub tag: Option<String>,
    pub digest: String,
    pub type_name: Option<String>,
    pub type_id: Option<String>,
    pub conforms: bool,
    pub at: String,
}

#[derive(Template)]
#[template(path = "registries.html")]
struct RegistriesPage {
    layout: Layout,
    registries: Vec<RegistryRow>,
    form_action: String,
}

struct RegistryRow {
    name: String,
    url: String,
    href: String,
}

/// `GET /registries`: every configured registry, and a form to inspect a reference.
pub fn render_index(catalog: &Catalog, registries: &[RegistryLink], paths: &Paths) -> String {
    let page = RegistriesPage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            "Registries",
            Section::Registries,
        ),
        registries: registries
            .iter()
            .map(|r| RegistryRow {
                name: r.name.clone(),
                url: r.url.clone(),
                href: paths.registry(&r.name),
            })
            .collect(),
        form_action: paths.registries().unwrap_or_default(),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "registry.html")]
struct RegistryPage {
    layout: Layout,
    name: String,
    url: String,
    pushes: Vec<PushRow>,
    repositories_href: String,
}

struct PushRow {
    repository: String,
    reference: String,
    href: String,
    type_name: String,
    type_href: Option<String>,
    conforms: bool,
    at: String,
}

/// `GET /registries/{name}`: the registry and the pushes it told typehouse about.
pub fn render_registry(
    catalog: &Catalog,
    registry: &RegistryLink,
    pushes: &[PushView],
    paths: &Paths,
) -> String {
    let page = RegistryPage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            format!("Registry {}", registry.name),
            Section::Registries,
        ),
        name: registry.name.clone(),
        url: registry.url.clone(),
        pushes: pushes
            .iter()
            .map(|p| PushRow {
                repository: p.repository.clone(),
                reference: p
                    .tag
                    .as_ref()
                    .map_or_else(|| format!("@{}", short(&p.digest)), |t| format!(":{t}")),
                href: paths
                    .registry_reference(&registry.name, &format!("{}@{}", p.repository, p.digest)),
                type_name: p.type_name.clone().unwrap_or_else(|| "unknown type".into()),
                type_href: p.type_id.as_ref().map(|id| paths.type_page(id)),
                conforms: p.conforms,
                at: p.at.clone(),
            })
            .collect(),
        repositories_href: paths.registries().unwrap_or_default(),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    layout: Layout,
    registry: String,
    registry_href: String,
    location: String,
    repository_href: String,
    rows: Vec<Row>,
    artifacts: usize,
    failing: usize,
}

/// One row of the listing table.
struct Row {
    depth: usize,
    /// `tag`, `platform` or `referrer`.
    kind: &'static str,
    /// The tags, the platform, or `referrer`.
    label: String,
    digest: String,
    short_digest: String,
    href: String,
    type_name: Option<String>,
    type_id: Option<String>,
    type_href: Option<String>,
    icon: Option<String>,
    initial: char,
    classified: bool,
    conforms: bool,
    problems: Vec<String>,
    error: Option<String>,
    actions: Vec<ActionRow>,
}

struct ActionRow {
    label: String,
    command: String,
    copy_id: String,
}

/// A listing: `listing` is the JSON `GET /registries/{name}/{reference}` answers.
pub fn render_listing(
    catalog: &Catalog,
    registry: &RegistryLink,
    listing: &Value,
    paths: &Paths,
) -> String {
    let repository = listing["repository"].as_str().unwrap_or_default();
    let mut rows = Vec::new();
    let artifacts = listing["artifacts"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    for artifact in artifacts {
        add_rows(
            catalog,
            &registry.name,
            repository,
            artifact,
            0,
            "tag",
            paths,
            &mut rows,
        );
    }
    let failing = rows.iter().filter(|r| !r.conforms).count();
    let page = ListingPage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            format!("{} in {}", repository, registry.name),
            Section::Registries,
        ),
        registry: registry.name.clone(),
        registry_href: paths.registry(&registry.name),
        location: format!(
            "{}/{repository}",
            listing["registry"].as_str().unwrap_or_default()
        ),
        repository_href: paths.registry_reference(&registry.name, repository),
        artifacts: rows.len(),
        failing,
        rows,
    };
    render(&page)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one walk of the tree: the values are what a row needs from where it is"
)]
fn add_rows(
    catalog: &Catalog,
    registry: &str,
    repository: &str,
    artifact: &Value,
    depth: usize,
    kind: &'static str,
    paths: &Paths,
    rows: &mut Vec<Row>,
) {
    let text = |v: &Value| v.as_str().map(String::from);
    let digest = artifact["digest"].as_str().unwrap_or_default().to_string();
    let classification = &artifact["classification"];
    let matched = &classification["type"];
    let type_id = text(&matched["id"]);
    let type_name = text(&matched["name"]);
    let icon = type_id
        .as_deref()
        .and_then(|id| catalog.get_str(id))
        .and_then(|entry| catalog.published(entry.latest()).ok())
        .and_then(|published| published.icon_svg.as_deref().map(icon_data_uri));
    let tags: Vec<&str> = artifact["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let label = match kind {
        "platform" => text(&artifact["platform"]).unwrap_or_else(|| "entry".into()),
        "referrer" if tags.is_empty() => "referrer".into(),
        _ if tags.is_empty() => "untagged".into(),
        _ => tags.join(", "),
    };
    let index = rows.len();
    rows.push(Row {
        depth,
        kind,
        label,
        short_digest: short(&digest),
        href: paths.registry_reference(registry, &format!("{repository}@{digest}")),
        digest,
        initial: type_name
            .as_deref()
            .and_then(|n| n.chars().next())
            .unwrap_or('?'),
        type_href: type_id.as_deref().map(|id| paths.type_page(id)),
        type_name,
        type_id,
        icon,
        classified: classification.is_object(),
        conforms: classification["conforms"] == Value::Bool(true),
        problems: classification["problems"]
            .as_array()
            .map(|p| {
                p.iter()
                    .map(|p| {
                        format!(
                            "{}: {}",
                            p["code"].as_str().unwrap_or_default(),
                            p["message"].as_str().unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        error: text(&artifact["error"]),
        actions: classification["actions"]
            .as_array()
            .map(|actions| {
                actions
                    .iter()
                    .map(|a| ActionRow {
                        label: a["label"].as_str().unwrap_or_default().to_string(),
                        command: a["command"].as_str().unwrap_or_default().to_string(),
                        copy_id: format!("action-{index}-{}", a["id"].as_str().unwrap_or_default()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    });
    for child in artifact["children"].as_array().into_iter().flatten() {
        add_rows(
            catalog,
            registry,
            repository,
            child,
            depth + 1,
            "platform",
            paths,
            rows,
        );
    }
    for referrer in artifact["referrers"].as_array().into_iter().flatten() {
        add_rows(
            catalog,
            registry,
            repository,
            referrer,
            depth + 1,
            "referrer",
            paths,
            rows,
        );
    }
}

/// `sha256:0123456789ab`: enough to tell digests apart in a table.
fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) => format!("{algorithm}:{}", &hex[..hex.len().min(12)]),
        None => digest.to_string(),
    }
}
