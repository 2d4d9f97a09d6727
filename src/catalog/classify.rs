//! Classification: which catalog type a manifest or index is, whether it conforms to that
//! type's definition, and the type's actions filled in for it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::definition::{Condition, Definition, Scope, SubjectRule, placeholders};
use super::media_type::{EMPTY_CONFIG, normalize};
use super::{Catalog, DefinitionReadError, Published, Role, TypeEntry};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";
const INDEX_ARTIFACT_TYPE_ANNOTATION: &str = "org.opencontainers.artifactType";

/// Why a body is not something typehouse can classify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClassifyError {
    #[error("not a manifest: {0}")]
    Malformed(String),
    #[error(
        "`{0}` is not a manifest media type typehouse classifies: send an OCI image manifest or index, or a Docker v2 manifest or manifest list"
    )]
    UnsupportedMediaType(String),
    #[error(
        "the OCI artifact manifest (`application/vnd.oci.artifact.manifest.v1+json`) was removed from image-spec in 1.1.0-rc3; push artifacts as image manifests with `artifactType`"
    )]
    ArtifactManifest,
    #[error("schemaVersion {0} is not supported: only schema version 2 manifests are classified")]
    SchemaVersion(i64),
    /// The matched type's definition could not be read back: the service's fault, not the
    /// document's.
    #[error(transparent)]
    Store(#[from] DefinitionReadError),
}

/// Which kind of document was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DocumentKind {
    OciManifest,
    OciIndex,
    DockerManifest,
    DockerManifestList,
}

impl DocumentKind {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::OciManifest => OCI_MANIFEST,
            Self::OciIndex => OCI_INDEX,
            Self::DockerManifest => DOCKER_MANIFEST,
            Self::DockerManifestList => DOCKER_MANIFEST_LIST,
        }
    }

    pub fn is_index(self) -> bool {
        matches!(self, Self::OciIndex | Self::DockerManifestList)
    }
}

/// The step of the classification order that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MatchedBy {
    #[serde(rename = "artifactType")]
    ArtifactType,
    #[serde(rename = "annotation")]
    Annotation,
    #[serde(rename = "layer")]
    Layer,
    #[serde(rename = "match")]
    Match,
    #[serde(rename = "config.mediaType")]
    ConfigMediaType,
    #[serde(rename = "manifestMediaType")]
    ManifestMediaType,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    schema_version: Option<i64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    subject: Option<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Where a rendered action's values come from (the query of `POST /classify`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reference {
    pub registry: Option<String>,
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedType {
    pub id: String,
    pub version: String,
    pub name: String,
    pub artifact_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable code: `unknown-layer`, `missing-layer`, `too-many-layers`, `config-media-type`,
    /// `missing-annotation`, `missing-subject`, `manifest-media-type`, `missing-artifact-type`,
    /// `config-invalid`.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RenderedAction {
    pub id: String,
    pub label: String,
    pub command: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// The answer of `POST /classify` and `typehouse classify`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    pub document: DocumentKind,
    #[serde(rename = "type")]
    pub matched: Option<MatchedType>,
    pub matched_by: Option<MatchedBy>,
    pub conforms: bool,
    pub problems: Vec<Problem>,
    pub actions: Vec<RenderedAction>,
}

/// Everything the classifier looks at, parsed once.
struct Facts<'a> {
    kind: DocumentKind,
    document: &'a Document,
    config_blob: Option<&'a Value>,
}

/// Classifies `body`: a manifest or index, or `{"manifest": ..., "config": ...}`.
pub fn classify(
    catalog: &Catalog,
    body: &Value,
    reference: &Reference,
) -> Result<Classification, ClassifyError> {
    let (manifest, config_blob) = match body.get("manifest") {
        Some(manifest) if body.get("schemaVersion").is_none() => (manifest, body.get("config")),
        _ => (body, None),
    };
    let document: Document =
        Document::deserialize(manifest).map_err(|e| ClassifyError::Malformed(e.to_string()))?;
    let kind = document_kind(&document)?;
    let facts = Facts {
        kind,
        document: &document,
        config_blob,
    };

    let found = find_type(catalog, &facts);
    let Some((entry, matched_by)) = found else {
        return Ok(Classification {
            document: kind,
            matched: None,
            matched_by: None,
            conforms: false,
            problems: vec![Problem {
                code: "unknown-type",
                message: "no catalog type matches this document".into(),
            }],
            actions: Vec::new(),
        });
    };
    let published = catalog.published(entry.latest())?;
    let problems = conformance(&published, &facts);
    Ok(Classification {
        document: kind,
        matched: Some(MatchedType {
            id: entry.id.to_string(),
            version: published.version().to_string(),
            name: published.definition.name.clone(),
            artifact_type: published
                .definition
                .artifact_type
                .as_ref()
                .map(ToString::to_string),
        }),
        matched_by: Some(matched_by),
        conforms: problems.is_empty(),
        problems,
        actions: render_actions(&published.definition, reference),
    })
}

fn document_kind(document: &Document) -> Result<DocumentKind, ClassifyError> {
    if let Some(version) = document.schema_version {
        if version != 2 {
            return Err(ClassifyError::SchemaVersion(version));
        }
    }
    let kind = match document.media_type.as_deref().map(normalize) {
        Some(m) if m == OCI_MANIFEST => DocumentKind::OciManifest,
        Some(m) if m == OCI_INDEX => DocumentKind::OciIndex,
        Some(m) if m == DOCKER_MANIFEST => DocumentKind::DockerManifest,
        Some(m) if m == DOCKER_MANIFEST_LIST => DocumentKind::DockerManifestList,
        Some(m) if m == OCI_ARTIFACT_MANIFEST => return Err(ClassifyError::ArtifactManifest),
        Some(_) => {
            return Err(ClassifyError::UnsupportedMediaType(
                document.media_type.clone().unwrap_or_default(),
            ));
        }
        // image-spec makes `mediaType` optional; Helm, for one, leaves it out.
        None if document.manifests.is_some() => DocumentKind::OciIndex,
        None if document.config.is_some() => DocumentKind::OciManifest,
        None => {
            return Err(ClassifyError::Malformed(
                "neither `manifests` (an index) nor `config` (a manifest) is present".into(),
            ));
        }
    };
    if kind.is_index() && document.manifests.is_none() {
        return Err(ClassifyError::Malformed(
            "an index needs a `manifests` array".into(),
        ));
    }
    if !kind.is_index() && (document.config.is_none() || document.layers.is_none()) {
        return Err(ClassifyError::Malformed(
            "a manifest needs `config` and `layers`".into(),
        ));
    }
    Ok(kind)
}

/// The classification order of the contract, most specific evidence first.
fn find_type<'c>(catalog: &'c Catalog, facts: &Facts<'_>) -> Option<(&'c TypeEntry, MatchedBy)> {
    let document = facts.document;
    let by_media_type = |media_type: &str, roles: &[Role]| -> Option<&'c TypeEntry> {
        let candidates: Vec<&TypeEntry> = catalog
            .identified_by(media_type)
            .into_iter()
            .filter(|(_, role)| roles.contains(role))
            .map(|(entry, _)| entry)
            .collect();
        pick_by_conditions(&candidates, facts)
    };
    let identifying_roles = [Role::ArtifactType, Role::Alias, Role::Config];

    if let Some(artifact_type) = &document.artifact_type {
        if let Some(entry) = by_media_type(artifact_type, &identifying_roles) {
            return Some((entry, MatchedBy::ArtifactType));
        }
    }
    if facts.kind.is_index() {
        if let Some(value) = document.annotations.get(INDEX_ARTIFACT_TYPE_ANNOTATION) {
            if let Some(entry) = by_media_type(value, &identifying_roles) {
                return Some((entry, MatchedBy::Annotation));
            }
        }
    }
    for layer in document.layers.iter().flatten() {
        if let Some(entry) = by_media_type(&layer.media_type, &[Role::Layer]) {
            return Some((entry, MatchedBy::Layer));
        }
    }
    let conditional: Vec<&TypeEntry> = catalog
        .types()
        .filter(|e| !e.latest().conditions.is_empty())
        .collect();
    if let Some(entry) =
        pick_by_conditions(&conditional, facts).filter(|e| !e.latest().conditions.is_empty())
    {
        return Some((entry, MatchedBy::Match));
    }
    if let Some(config) = &document.config {
        if normalize(&config.media_type) != EMPTY_CONFIG {
            if let Some(entry) = by_media_type(&config.media_type, &identifying_roles) {
                return Some((entry, MatchedBy::ConfigMediaType));
            }
        }
    }
    if facts.kind.is_index() {
        let media_type = facts.kind.media_type();
        let declaring: Vec<&TypeEntry> = catalog
            .uses_of(media_type)
            .iter()
            .filter(|u| u.role == Role::ManifestMediaType)
            .filter_map(|u| catalog.get(&u.id))
            .collect();
        // Several types live in indexes; the plain one is the type the index media type names.
        let plain = declaring.iter().find(|e| {
            catalog
                .summary(e)
                .artifact_type
                .as_deref()
                .is_some_and(|a| normalize(a) == media_type)
        });
        if let Some(entry) = plain.or(declaring.first()) {
            return Some((entry, MatchedBy::ManifestMediaType));
        }
    }
    None
}

/// Among types sharing evidence: the one whose conditions hold, most conditions first;
/// else the one without conditions.
fn pick_by_conditions<'c>(
    candidates: &[&'c TypeEntry],
    facts: &Facts<'_>,
) -> Option<&'c TypeEntry> {
    let mut best: Option<(&TypeEntry, usize)> = None;
    for entry in candidates {
        let conditions = &entry.latest().conditions;
        if !conditions.iter().all(|c| condition_holds(c, facts)) {
            continue;
        }
        if best.is_none_or(|(_, count)| conditions.len() > count) {
            best = Some((entry, conditions.len()));
        }
    }
    best.map(|(entry, _)| entry)
}

fn condition_holds(condition: &Condition, facts: &Facts<'_>) -> bool {
    let document = facts.document;
    if let Some(key) = &condition.annotation {
        return match condition.scope.unwrap_or(Scope::Manifest) {
            Scope::Manifest => condition.accepts(document.annotations.get(key).map(String::as_str)),
            Scope::Index => {
                facts.kind.is_index()
                    && condition.accepts(document.annotations.get(key).map(String::as_str))
            }
            Scope::Layer => document
                .layers
                .iter()
                .chain(document.manifests.iter())
                .flatten()
                .any(|layer| condition.accepts(layer.annotations.get(key).map(String::as_str))),
        };
    }
    if let Some(key) = &condition.label {
        let value = facts.config_blob.and_then(|config| {
            config
                .pointer("/config/Labels")
                .or_else(|| config.pointer("/Labels"))
                .and_then(|labels| labels.get(key))
        });
        return condition.accepts(value.and_then(Value::as_str));
    }
    false
}

fn conformance(published: &Published, facts: &Facts<'_>) -> Vec<Problem> {
    let definition = &published.definition;
    let document = facts.document;
    let mut problems = Vec::new();
    let kind_media_type = facts.kind.media_type();
    let allowed_kinds: Vec<&str> = if definition.manifest_media_types.is_empty() {
        vec![OCI_MANIFEST]
    } else {
        definition
            .manifest_media_types
            .iter()
            .map(|m| m.normalized())
            .collect()
    };
    if !allowed_kinds.contains(&kind_media_type) {
        problems.push(Problem {
            code: "manifest-media-type",
            message: format!(
                "stored as `{kind_media_type}`; {} is stored as {}",
                definition.name,
                allowed_kinds.join(" or ")
            ),
        });
    }
    if let (Some(expected), Some(actual)) = (&definition.config, &document.config) {
        if expected.media_type.normalized() != normalize(&actual.media_type) {
            problems.push(Problem {
                code: "config-media-type",
                message: format!(
                    "config media type is `{}`; expected `{}`",
                    actual.media_type, expected.media_type
                ),
            });
        }
    }
    if let Some(config) = &document.config {
        if normalize(&config.media_type) == EMPTY_CONFIG && document.artifact_type.is_none() {
            problems.push(Problem {
                code: "missing-artifact-type",
                message:
                    "the config is the empty descriptor, so image-spec requires `artifactType`"
                        .into(),
            });
        }
    }
    if !facts.kind.is_index() && !definition.layers.is_empty() {
        let layers = document.layers.as_deref().unwrap_or_default();
        let mut counts = vec![0u64; definition.layers.len()];
        for (index, layer) in layers.iter().enumerate() {
            let wanted = normalize(&layer.media_type);
            match definition.layers.iter().position(|l| l.accepts(&wanted)) {
                Some(slot) => counts[slot] += 1,
                None => problems.push(Problem {
                    code: "unknown-layer",
                    message: format!(
                        "layer {index} has media type `{}`, which {} does not define",
                        layer.media_type, definition.name
                    ),
                }),
            }
        }
        for (layer, count) in definition.layers.iter().zip(counts) {
            if layer.required && count == 0 {
                problems.push(Problem {
                    code: "missing-layer",
                    message: format!("required layer missing: {}", describe_layer(layer)),
                });
            }
            if let Some(max) = layer.max_count.filter(|max| count > *max) {
                problems.push(Problem {
                    code: "too-many-layers",
                    message: format!(
                        "{count} layers of {}; at most {max} allowed",
                        describe_layer(layer)
                    ),
                });
            }
        }
    }
    for annotation in definition.annotations.iter().filter(|a| a.required) {
        if !document.annotations.contains_key(&annotation.key) {
            problems.push(Problem {
                code: "missing-annotation",
                message: format!("required annotation `{}` is missing", annotation.key),
            });
        }
    }
    if definition.subject == Some(SubjectRule::Required) && document.subject.is_none() {
        problems.push(Problem {
            code: "missing-subject",
            message: format!(
                "{} only makes sense as a referrer: `subject` is required",
                definition.name
            ),
        });
    }
    if let (Some(schema), Some(config)) = (&published.config_schema, facts.config_blob) {
        for problem in schema.validate(config) {
            problems.push(Problem {
                code: "config-invalid",
                message: format!("config at `{}`: {}", problem.instance_path, problem.message),
            });
        }
    }
    problems
}

fn describe_layer(layer: &super::definition::Layer) -> String {
    let media_types: Vec<&str> = layer.all_media_types().map(|m| m.as_str()).collect();
    format!("{} (`{}`)", layer.title, media_types.join("` or `"))
}

/// Fills action templates; a placeholder without a value stays visible as `{name}`.
pub fn render_actions(definition: &Definition, reference: &Reference) -> Vec<RenderedAction> {
    let non_empty =
        |value: &Option<String>| value.as_deref().filter(|v| !v.is_empty()).map(String::from);
    let repository = non_empty(&reference.repository);
    let tag = non_empty(&reference.tag);
    let digest = non_empty(&reference.digest);
    let values: BTreeMap<&str, Option<String>> = BTreeMap::from([
        ("registry", non_empty(&reference.registry)),
        (
            "name",
            repository
                .as_deref()
                .map(|r| r.rsplit('/').next().unwrap_or(r).to_string()),
        ),
        (
            "reference",
            digest
                .as_ref()
                .map(|d| format!("@{d}"))
                .or_else(|| tag.as_ref().map(|t| format!(":{t}"))),
        ),
        ("repository", repository),
        ("tag", tag),
        ("digest", digest),
    ]);
    definition
        .actions
        .iter()
        .map(|action| RenderedAction {
            id: action.id.clone(),
            label: action.label.clone(),
            command: fill(&action.command, &values),
            docs: action.docs.clone(),
        })
        .collect()
}

fn fill(template: &str, values: &BTreeMap<&str, Option<String>>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for (offset, name) in placeholders(template) {
        out.push_str(&template[last..offset]);
        match values.get(name).and_then(Option::as_deref) {
            Some(value) => out.push_str(value),
            None => out.push_str(&template[offset..offset + name.len() + 2]),
        }
        last = offset + name.len() + 2;
    }
    out.push_str(&template[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_values_and_keeps_missing_placeholders() {
        let values = BTreeMap::from([("registry", Some("r.example".to_string())), ("tag", None)]);
        assert_eq!(
            fill("pull {registry}/x:{tag} {unknown}", &values),
            "pull r.example/x:{tag} {unknown}"
        );
    }
}
