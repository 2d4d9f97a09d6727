//! The type page (`/types/{key}` for browsers): everything a definition says, readable: media
//! types with copy buttons, manifest, config (schema as a property table), layers,
//! annotations, actions with a form that fills their commands, links, owners and every version
//! with what changed since the one before.

use askama::Template;

use super::markdown::{self, is_safe_url};
use super::{FieldErrors, Layout, Paths, Section, icon_data_uri, render};
use crate::catalog::changes;
use crate::catalog::classify::render_actions;
use crate::catalog::definition::{Condition, Scope, Status, SubjectRule};
use crate::catalog::load::identifying_media_types;
use crate::catalog::outline::outline;
use crate::catalog::reference::{InvalidReference, Reference, ReferenceInput};
use crate::catalog::{Catalog, DefinitionReadError, Published, Role, TypeEntry};

#[derive(Template)]
#[template(path = "type.html")]
struct TypePage {
    layout: Layout,
    home: String,
    id: String,
    vendor: String,
    name: String,
    version: String,
    /// Set when the page shows another version than the latest.
    latest: Option<Linked>,
    status: &'static str,
    summary: String,
    description_html: Option<String>,
    icon: Option<String>,
    deprecation: Option<Deprecation>,
    identifying: Vec<MediaTypeRow>,
    facts: Vec<Fact>,
    conditions: Vec<String>,
    config: Option<ConfigView>,
    layers: Vec<LayerRow>,
    annotations: Vec<AnnotationRow>,
    actions: Vec<ActionView>,
    form_action: String,
    /// The version to keep when the server fills the action form.
    form_version: Option<String>,
    reference: ReferenceValues,
    errors: FieldErrors,
    tools: Vec<Linked>,
    links: Vec<Labelled>,
    owners: Vec<OwnerView>,
    versions: Vec<VersionView>,
    json_href: String,
}

/// A text with a link.
struct Linked {
    text: String,
    href: String,
}

/// A link with a label before it (`Specification: https://...`).
struct Labelled {
    label: &'static str,
    text: String,
    href: String,
}

struct Deprecation {
    successor: Option<Linked>,
    sunset: Option<String>,
}

struct MediaTypeRow {
    media_type: String,
    role: &'static str,
    href: String,
    /// The `id` of the `<code>` element the copy button copies.
    copy_id: String,
}

/// One row of the manifest facts table; `links` when its values are media types.
struct Fact {
    label: &'static str,
    values: Vec<Linked>,
    text: Option<String>,
}

struct ConfigView {
    media_type: Linked,
    identifying: bool,
    schema: Option<SchemaView>,
    examples: Vec<String>,
}

struct SchemaView {
    title: Option<String>,
    description: Option<String>,
    types: String,
    rows: Vec<PropertyRow>,
    raw: String,
    href: String,
}

struct PropertyRow {
    path: String,
    depth: usize,
    types: String,
    required: bool,
    description: Option<String>,
    values: Vec<String>,
    constraints: Vec<String>,
}

struct LayerRow {
    media_types: Vec<Linked>,
    title: String,
    required: bool,
    max_count: Option<u64>,
    identifying: bool,
    description_html: Option<String>,
}

struct AnnotationRow {
    key: String,
    required: bool,
    description: String,
}

struct ActionView {
    label: String,
    template: String,
    command: String,
    docs: Option<String>,
    copy_id: String,
}

struct ReferenceValues {
    registry: String,
    repository: String,
    tag: String,
    digest: String,
}

struct OwnerView {
    name: String,
    url: Option<String>,
    email: Option<String>,
}

struct VersionView {
    version: String,
    status: &'static str,
    summary: String,
    href: String,
    json_href: String,
    current: bool,
    first: bool,
    changes: Vec<ChangeView>,
    breaking: Vec<String>,
}

struct ChangeView {
    kind: &'static str,
    /// Safe HTML: the change's Markdown (`layer \`a/b\``) rendered inline.
    what_html: String,
    detail: Option<String>,
}

/// The action form's values: as typed, and checked.
#[derive(Debug)]
pub struct ActionForm {
    pub input: ReferenceInput,
    pub checked: Result<Reference, InvalidReference>,
}

impl ActionForm {
    /// Checks `input`, each value trimmed as the page's script trims it.
    pub fn new(input: ReferenceInput) -> Self {
        let trim = |v: Option<String>| v.map(|v| v.trim().to_string());
        let input = ReferenceInput {
            registry: trim(input.registry),
            repository: trim(input.repository),
            tag: trim(input.tag),
            digest: trim(input.digest),
        };
        let checked = Reference::parse(&input);
        Self { input, checked }
    }

    pub fn is_valid(&self) -> bool {
        self.checked.is_ok()
    }
}

/// Renders `published` (one version of `entry`); the form's values, when they all pass the
/// grammar, fill the action commands, else the form shows why beside each field.
pub fn render_page(
    catalog: &Catalog,
    entry: &TypeEntry,
    published: &Published,
    form: &ActionForm,
    paths: &Paths,
) -> Result<String, DefinitionReadError> {
    let id = entry.id.as_str();
    let definition = &published.definition;
    let version = published.version().to_string();
    let latest = entry.latest();
    let media = |media_type: &str| Linked {
        text: media_type.to_string(),
        href: paths.media_type(media_type),
    };

    let identifying = identifying_media_types(definition)
        .into_iter()
        .enumerate()
        .map(|(index, (media_type, pointer))| MediaTypeRow {
            media_type: media_type.to_string(),
            role: role_of(&pointer),
            href: paths.media_type(media_type.as_str()),
            copy_id: format!("media-type-{index}"),
        })
        .collect();

    let mut facts = Vec::new();
    if let Some(artifact_type) = &definition.artifact_type {
        facts.push(Fact {
            label: "Artifact type",
            values: vec![media(artifact_type.as_str())],
            text: None,
        });
    }
    facts.push(Fact {
        label: "Manifest media types",
        values: definition
            .manifest_media_types
            .iter()
            .map(|m| media(m.as_str()))
            .collect(),
        text: definition
            .manifest_media_types
            .is_empty()
            .then(|| "OCI image manifest (the default)".into()),
    });
    if !definition.aliases.is_empty() {
        facts.push(Fact {
            label: "Aliases",
            values: definition
                .aliases
                .iter()
                .map(|m| media(m.as_str()))
                .collect(),
            text: None,
        });
    }
    facts.push(Fact {
        label: "Subject",
        values: Vec::new(),
        text: Some(
            match definition.subject {
                Some(SubjectRule::Required) => "required: only meaningful as a referrer",
                Some(SubjectRule::Optional) | None => "optional",
            }
            .into(),
        ),
    });
    if !definition.file_extensions.is_empty() {
        facts.push(Fact {
            label: "File extensions",
            values: Vec::new(),
            text: Some(definition.file_extensions.join(", ")),
        });
    }
    if !definition.tags.is_empty() {
        facts.push(Fact {
            label: "Tags",
            values: Vec::new(),
            text: Some(definition.tags.join(", ")),
        });
    }

    let config = definition.config.as_ref().map(|config| ConfigView {
        media_type: media(config.media_type.as_str()),
        identifying: config.identifying,
        schema: published.config_schema.as_ref().map(|schema| {
            let outline = outline(&schema.document);
            SchemaView {
                title: outline.title,
                description: outline.description,
                types: outline.types,
                rows: outline
                    .properties
                    .into_iter()
                    .map(|p| PropertyRow {
                        path: p.path,
                        depth: p.depth.min(5),
                        types: p.types,
                        required: p.required,
                        description: p.description,
                        values: p.values,
                        constraints: p.constraints,
                    })
                    .collect(),
                raw: serde_json::to_string_pretty(&*schema.document).unwrap_or_default(),
                href: if published.version() == latest.version() {
                    paths.schema_json(id)
                } else {
                    format!("{}?version={version}", paths.schema_json(id))
                },
            }
        }),
        examples: config
            .examples
            .iter()
            .map(|e| serde_json::to_string_pretty(e).unwrap_or_default())
            .collect(),
    });

    let layers = definition
        .layers
        .iter()
        .map(|layer| LayerRow {
            media_types: layer.all_media_types().map(|m| media(m.as_str())).collect(),
            title: layer.title.clone(),
            required: layer.required,
            max_count: layer.max_count,
            identifying: layer.identifying,
            description_html: layer.description.as_deref().map(markdown::render_inline),
        })
        .collect();

    let annotations = definition
        .annotations
        .iter()
        .map(|a| AnnotationRow {
            key: a.key.clone(),
            required: a.required,
            description: a.description.clone(),
        })
        .collect();

    // A refused value fills nothing: the templates stay as they are.
    let reference = form.checked.clone().unwrap_or_default();
    let actions = definition
        .actions
        .iter()
        .zip(render_actions(published, &reference))
        .map(|(action, rendered)| ActionView {
            copy_id: format!("action-{}", action.id),
            label: action.label.clone(),
            template: action.command.clone(),
            command: rendered.command,
            docs: action.docs.clone().filter(|u| is_safe_url(u)),
        })
        .collect();

    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let reference_values = ReferenceValues {
        registry: value(&form.input.registry),
        repository: value(&form.input.repository),
        tag: value(&form.input.tag),
        digest: value(&form.input.digest),
    };

    let deprecation = (definition.status == Status::Deprecated).then(|| Deprecation {
        successor: definition.deprecated_by.as_ref().map(|successor| Linked {
            text: catalog
                .get(successor)
                .map(|e| catalog.summary(e).name.clone())
                .unwrap_or_else(|| successor.to_string()),
            href: paths.type_page(successor.as_str()),
        }),
        sunset: definition.sunset.clone(),
    });

    let mut links = vec![Labelled {
        label: "Specification",
        text: definition.links.spec.clone(),
        href: definition.links.spec.clone(),
    }];
    if let Some(homepage) = &definition.links.homepage {
        links.push(Labelled {
            label: "Homepage",
            text: homepage.clone(),
            href: homepage.clone(),
        });
    }
    if let Some(source) = &definition.links.source {
        links.push(Labelled {
            label: "Source",
            text: source.clone(),
            href: source.clone(),
        });
    }
    links.retain(|link| is_safe_url(&link.href));

    let page = TypePage {
        layout: Layout::new(
            paths,
            Some(&catalog.meta),
            definition.name.clone(),
            Section::Catalog,
        ),
        home: paths.home(),
        id: id.to_string(),
        vendor: entry.id.vendor().to_string(),
        name: definition.name.clone(),
        latest: (published.version() != latest.version()).then(|| Linked {
            text: latest.version().to_string(),
            href: paths.type_page(id),
        }),
        version,
        status: definition.status.as_str(),
        summary: definition.summary.clone(),
        description_html: definition.description.as_deref().map(markdown::render),
        icon: published.icon_svg.as_deref().map(icon_data_uri),
        deprecation,
        identifying,
        facts,
        conditions: definition
            .conditions
            .iter()
            .map(describe_condition)
            .collect(),
        config,
        layers,
        annotations,
        actions,
        form_action: format!("{}#actions", paths.type_page(id)),
        form_version: (published.version() != latest.version())
            .then(|| published.version().to_string()),
        reference: reference_values,
        errors: FieldErrors::of(form.checked.as_ref().err()),
        tools: definition
            .tools
            .iter()
            .filter(|t| is_safe_url(&t.url))
            .map(|t| Linked {
                text: t.name.clone(),
                href: t.url.clone(),
            })
            .collect(),
        links,
        owners: definition
            .owners
            .iter()
            .map(|o| OwnerView {
                name: o.name.clone(),
                url: o.url.clone().filter(|u| is_safe_url(u)),
                email: o.email.clone(),
            })
            .collect(),
        versions: versions(catalog, entry, published, paths)?,
        json_href: if published.version() == latest.version() {
            paths.type_json(id)
        } else {
            paths.version_json(id, &published.version().to_string())
        },
    };
    Ok(render(&page))
}

/// Every version, newest first, each with what changed since the one before it.
fn versions(
    catalog: &Catalog,
    entry: &TypeEntry,
    shown: &Published,
    paths: &Paths,
) -> Result<Vec<VersionView>, DefinitionReadError> {
    let id = entry.id.as_str();
    let all = entry
        .versions
        .iter()
        .map(|version| catalog.published(version))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(all
        .iter()
        .enumerate()
        .map(|(index, published)| {
            let version = published.version().to_string();
            let previous = all.get(index + 1);
            let found = previous.map(|previous| changes::between(previous, published));
            let (changes, breaking) = found
                .map(|found| {
                    let changes = found
                        .changes
                        .into_iter()
                        .map(|c| ChangeView {
                            kind: c.kind.as_str(),
                            what_html: markdown::render_inline(&c.what),
                            detail: c.detail,
                        })
                        .collect();
                    let breaking = found
                        .breaking
                        .into_iter()
                        .map(|b| {
                            let at = if b.at.is_empty() { "the root" } else { &b.at };
                            format!("{} (at {at})", b.what)
                        })
                        .collect();
                    (changes, breaking)
                })
                .unwrap_or_default();
            VersionView {
                href: if published.version() == entry.latest().version() {
                    paths.type_page(id)
                } else {
                    paths.version_page(id, &version)
                },
                json_href: paths.version_json(id, &version),
                current: published.version() == shown.version(),
                first: previous.is_none(),
                status: published.definition.status.as_str(),
                summary: published.definition.summary.clone(),
                version,
                changes,
                breaking,
            }
        })
        .collect())
}

/// The role an identifying media type plays, from where the definition names it.
fn role_of(pointer: &str) -> &'static str {
    let role = match pointer {
        "/artifactType" => Role::ArtifactType,
        "/config/mediaType" => Role::Config,
        p if p.starts_with("/aliases/") => Role::Alias,
        _ => Role::Layer,
    };
    role_label(role)
}

pub(super) fn role_label(role: Role) -> &'static str {
    match role {
        Role::ArtifactType => "artifact type",
        Role::Config => "config media type",
        Role::Layer => "layer",
        Role::Alias => "alias",
        Role::ManifestMediaType => "manifest media type",
    }
}

fn describe_condition(condition: &Condition) -> String {
    let subject = match (&condition.annotation, &condition.label) {
        (Some(annotation), _) => {
            let scope = match condition.scope {
                Some(Scope::Index) => "index",
                Some(Scope::Layer) => "layer",
                Some(Scope::Manifest) | None => "manifest",
            };
            format!("{scope} annotation {annotation}")
        }
        (None, Some(label)) => format!("config label {label}"),
        (None, None) => "a value".into(),
    };
    match (&condition.equals, &condition.starts_with) {
        (Some(value), _) => format!("{subject} equals “{value}”"),
        (None, Some(prefix)) => format!("{subject} starts with “{prefix}”"),
        (None, None) => format!("{subject} is present"),
    }
}
