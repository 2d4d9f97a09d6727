//! Classification: which catalog type a manifest or index is, whether it conforms to that
//! type's definition, and the type's actions filled in for it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::definition::{Condition, Scope, Status, SubjectRule};
use super::media_type::{EMPTY_CONFIG, normalize};
use super::reference::Reference;
use super::{Catalog, DefinitionReadError, Published, Role, TypeEntry};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The artifact manifest of the image-spec 1.1 release candidates (removed in 1.1.0-rc3), still
/// read by oras-go and stored by registries that accepted it.
pub const OCI_ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";
const INDEX_ARTIFACT_TYPE_ANNOTATION: &str = "org.opencontainers.artifactType";
/// BuildKit marks the index entries of its attestation manifests with this annotation (and the
/// platform `unknown/unknown`): they describe an image, they are not one of its platforms.
const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";

/// Why a body is not something typehouse can classify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClassifyError {
    #[error("not a manifest: {0}")]
    Malformed(String),
    #[error(
        "`{0}` is not a manifest media type typehouse classifies: send an OCI image manifest or index, an OCI artifact manifest, or a Docker v2 manifest or manifest list"
    )]
    UnsupportedMediaType(String),
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
    /// `application/vnd.oci.artifact.manifest.v1+json`: `artifactType`, `blobs`, no config.
    OciArtifactManifest,
}

impl DocumentKind {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::OciManifest => OCI_MANIFEST,
            Self::OciIndex => OCI_INDEX,
            Self::DockerManifest => DOCKER_MANIFEST,
            Self::DockerManifestList => DOCKER_MANIFEST_LIST,
            Self::OciArtifactManifest => OCI_ARTIFACT_MANIFEST,
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
    artifact_type: Option<String>,
    #[serde(default)]
    platform: Option<Platform>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
}

impl Descriptor {
    /// An index entry that describes another entry (a BuildKit attestation manifest) rather
    /// than being content of the index.
    fn is_attachment(&self) -> bool {
        self.annotations.contains_key(REFERENCE_TYPE_ANNOTATION)
            || self
                .platform
                .as_ref()
                .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    schema_version: Option<i64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    /// The artifact manifest's name for its layers.
    blobs: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    subject: Option<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

impl Document {
    /// The layers, or an artifact manifest's blobs, which are checked the same way.
    fn layers(&self) -> &[Descriptor] {
        self.layers
            .as_deref()
            .or(self.blobs.as_deref())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedType {
    pub id: String,
    pub version: String,
    pub name: String,
    pub artifact_type: Option<String>,
    /// A deprecated type is still answered (artifacts of it exist), and says so here.
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecated_by: Option<String>,
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
    /// The words to run, when every placeholder had a value: a UI can run the tool without
    /// a shell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argv: Option<Vec<String>>,
    /// The argv as a command line, each word that needs it in single quotes; placeholders
    /// without a value stay visible as `{name}`.
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
    if kind == DocumentKind::OciArtifactManifest && config_blob.is_some() {
        return Err(ClassifyError::Malformed(
            "an artifact manifest has no config blob to include".into(),
        ));
    }
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
            status: published.definition.status,
            deprecated_by: published
                .definition
                .deprecated_by
                .as_ref()
                .map(ToString::to_string),
        }),
        matched_by: Some(matched_by),
        conforms: problems.is_empty(),
        problems,
        actions: render_actions(&published, reference),
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
        Some(m) if m == OCI_ARTIFACT_MANIFEST => DocumentKind::OciArtifactManifest,
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
    if kind == DocumentKind::OciArtifactManifest {
        // oras-go's `spec.Artifact`: `artifactType` is always written, `blobs` may be left out.
        if document.artifact_type.is_none() {
            return Err(ClassifyError::Malformed(
                "an artifact manifest needs `artifactType`".into(),
            ));
        }
        if document.config.is_some() || document.layers.is_some() {
            return Err(ClassifyError::Malformed(
                "an artifact manifest has `blobs`, not `config` and `layers`".into(),
            ));
        }
        return Ok(kind);
    }
    if !kind.is_index() && (document.config.is_none() || document.layers.is_none()) {
        return Err(ClassifyError::Malformed(
            "a manifest needs `config` and `layers`".into(),
        ));
    }
    Ok(kind)
}

/// One step of the classification order. Evidence only one type declares comes before evidence
/// several types share: a shared media type does not identify on its own, it narrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The manifest's `artifactType`: the producer's own word.
    ArtifactType,
    /// An index's `org.opencontainers.artifactType` annotation (how CNAB marks bundles).
    IndexAnnotation,
    /// A layer media type one type alone declares, and marks identifying, unless the config
    /// is another type's own.
    OwnIdentifyingLayer,
    /// `match` conditions that hold.
    Match,
    /// A config media type that identifies one type and no other type declares.
    OwnConfig,
    /// A layer media type one type alone declares, identifying or not.
    OwnLayer,
    /// A layer media type that identifies a type though other types declare it too.
    SharedIdentifyingLayer,
    /// A config media type that identifies a type though other types declare it too (the
    /// generic image configs land here).
    SharedConfig,
    /// For an index: what its entries carry (their `artifactType`, their annotations).
    Entries,
    /// For an index: the type that declares its manifest media type.
    ManifestMediaType,
}

const ORDER: [Step; 10] = [
    Step::ArtifactType,
    Step::IndexAnnotation,
    Step::OwnIdentifyingLayer,
    Step::Match,
    Step::OwnConfig,
    Step::OwnLayer,
    Step::SharedIdentifyingLayer,
    Step::SharedConfig,
    Step::Entries,
    Step::ManifestMediaType,
];

/// The roles in which a media type names a whole type rather than a part of it.
const TYPE_ROLES: [Role; 3] = [Role::ArtifactType, Role::Alias, Role::Config];

/// The classification order of the contract, most specific evidence first. A step that points
/// at one type decides; a step that points at several narrows the later steps to them, and the
/// answer is reported as matched by the first step that pointed at it.
fn find_type<'c>(catalog: &'c Catalog, facts: &Facts<'_>) -> Option<(&'c TypeEntry, MatchedBy)> {
    let mut narrowed: Option<(Vec<&'c TypeEntry>, MatchedBy)> = None;
    for step in ORDER {
        let (mut found, by) = evidence(step, catalog, facts);
        if let Some((pool, _)) = &narrowed {
            found.retain(|e| pool.iter().any(|p| p.position == e.position));
        }
        // An index's entries were weighed against their own conditions, not the index's.
        if step != Step::Entries {
            found = settle(found, facts);
        }
        let first = narrowed.as_ref().map_or(by, |(_, first)| *first);
        match found.len() {
            0 => {}
            1 => return Some((found[0], first)),
            _ => narrowed = Some((found, first)),
        }
    }
    // Nothing told the candidates apart: the first by id, so the answer is stable.
    narrowed.map(|(pool, by)| (pool[0], by))
}

/// The types one step's evidence points at, and how the answer reports that step.
fn evidence<'c>(
    step: Step,
    catalog: &'c Catalog,
    facts: &Facts<'_>,
) -> (Vec<&'c TypeEntry>, MatchedBy) {
    let document = facts.document;
    let layers = document.layers();
    let config = document
        .config
        .as_ref()
        .map(|c| c.media_type.as_str())
        .filter(|m| normalize(m) != EMPTY_CONFIG);
    let mut found = Vec::new();
    let by = match step {
        Step::ArtifactType => {
            if let Some(artifact_type) = &document.artifact_type {
                found = identified(catalog, artifact_type, &TYPE_ROLES);
            }
            MatchedBy::ArtifactType
        }
        Step::IndexAnnotation => {
            let annotation = document.annotations.get(INDEX_ARTIFACT_TYPE_ANNOTATION);
            if let Some(value) = annotation.filter(|_| facts.kind.is_index()) {
                found = identified(catalog, value, &TYPE_ROLES);
            }
            MatchedBy::Annotation
        }
        Step::OwnIdentifyingLayer | Step::OwnLayer => {
            // A config one type owns outranks a layer of another type: the config is what
            // the producer called the artifact (a cosign SBOM attachment over an SPDX layer).
            let config_owner = config.and_then(|c| own_config(catalog, c));
            for layer in layers {
                if let [(entry, identifying)] =
                    declarers(catalog, &layer.media_type, &[Role::Layer])[..]
                {
                    let contradicted =
                        config_owner.is_some_and(|owner| owner.position != entry.position);
                    if (identifying || step == Step::OwnLayer) && !contradicted {
                        found.push(entry);
                    }
                }
            }
            MatchedBy::Layer
        }
        Step::Match => {
            found = catalog
                .types()
                .filter(|e| !e.latest().conditions.is_empty())
                .collect();
            MatchedBy::Match
        }
        Step::OwnConfig => {
            found.extend(config.and_then(|c| own_config(catalog, c)));
            MatchedBy::ConfigMediaType
        }
        Step::SharedIdentifyingLayer => {
            for layer in layers {
                found.extend(identified(catalog, &layer.media_type, &[Role::Layer]));
            }
            MatchedBy::Layer
        }
        Step::SharedConfig => {
            if let Some(config) = config {
                found = identified(catalog, config, &TYPE_ROLES);
            }
            MatchedBy::ConfigMediaType
        }
        Step::Entries => return entries(catalog, facts),
        Step::ManifestMediaType => {
            if facts.kind.is_index() {
                let media_type = facts.kind.media_type();
                let declaring: Vec<&TypeEntry> = declaring_manifest_media_type(catalog, media_type);
                // Several types live in indexes; the plain one is the type the index media
                // type names.
                let plain = declaring.iter().find(|e| {
                    catalog
                        .summary(e)
                        .artifact_type
                        .as_deref()
                        .is_some_and(|a| normalize(a) == media_type)
                });
                found.extend(plain.or(declaring.first()).copied());
            }
            MatchedBy::ManifestMediaType
        }
    };
    (found, by)
}

/// The types a media type identifies in one of `roles`.
fn identified<'c>(catalog: &'c Catalog, media_type: &str, roles: &[Role]) -> Vec<&'c TypeEntry> {
    declarers(catalog, media_type, roles)
        .into_iter()
        .filter(|(_, identifying)| *identifying)
        .map(|(entry, _)| entry)
        .collect()
}

/// The type a config media type identifies when no other type declares it.
fn own_config<'c>(catalog: &'c Catalog, media_type: &str) -> Option<&'c TypeEntry> {
    match declarers(catalog, media_type, &TYPE_ROLES)[..] {
        [(entry, true)] => Some(entry),
        _ => None,
    }
}

/// Every type that declares a media type in one of `roles`, with whether it marks it
/// identifying there.
fn declarers<'c>(
    catalog: &'c Catalog,
    media_type: &str,
    roles: &[Role],
) -> Vec<(&'c TypeEntry, bool)> {
    let mut found: Vec<(&TypeEntry, bool)> = Vec::new();
    for usage in catalog.uses_of(media_type) {
        if !roles.contains(&usage.role) {
            continue;
        }
        let entry = &catalog.types[usage.position];
        match found.iter_mut().find(|(e, _)| e.position == entry.position) {
            Some(existing) => existing.1 |= usage.identifying,
            None => found.push((entry, usage.identifying)),
        }
    }
    found
}

fn declaring_manifest_media_type<'c>(catalog: &'c Catalog, media_type: &str) -> Vec<&'c TypeEntry> {
    catalog
        .uses_of(media_type)
        .iter()
        .filter(|u| u.role == Role::ManifestMediaType)
        .map(|u| &catalog.types[u.position])
        .collect()
}

/// An index that names nothing itself is what its entries are: the type every content entry
/// points at (by its `artifactType`, else by `match` conditions on its annotations), if that
/// type lives in this kind of index. Attestation entries describe the others and do not count.
fn entries<'c>(catalog: &'c Catalog, facts: &Facts<'_>) -> (Vec<&'c TypeEntry>, MatchedBy) {
    let mut by = MatchedBy::ArtifactType;
    if !facts.kind.is_index() {
        return (Vec::new(), by);
    }
    let content: Vec<&Descriptor> = facts
        .document
        .manifests
        .iter()
        .flatten()
        .filter(|d| !d.is_attachment())
        .collect();
    let mut common: Option<Vec<&TypeEntry>> = None;
    for (index, entry) in content.iter().enumerate() {
        let child = Document {
            media_type: Some(entry.media_type.clone()),
            artifact_type: entry.artifact_type.clone(),
            annotations: entry.annotations.clone(),
            ..Document::default()
        };
        let kind = match normalize(&entry.media_type).as_str() {
            OCI_INDEX => DocumentKind::OciIndex,
            DOCKER_MANIFEST_LIST => DocumentKind::DockerManifestList,
            DOCKER_MANIFEST => DocumentKind::DockerManifest,
            _ => DocumentKind::OciManifest,
        };
        let child_facts = Facts {
            kind,
            document: &child,
            config_blob: None,
        };
        let found = [Step::ArtifactType, Step::Match]
            .into_iter()
            .find_map(|step| {
                let (found, step_by) = evidence(step, catalog, &child_facts);
                let found = settle(found, &child_facts);
                (!found.is_empty()).then_some((found, step_by))
            });
        let Some((found, step_by)) = found else {
            return (Vec::new(), by);
        };
        if index == 0 {
            by = step_by;
        }
        common = Some(match common {
            None => found,
            Some(common) => common
                .into_iter()
                .filter(|c| found.iter().any(|f| f.position == c.position))
                .collect(),
        });
    }
    let declaring = declaring_manifest_media_type(catalog, facts.kind.media_type());
    let mut found = common.unwrap_or_default();
    found.retain(|e| declaring.iter().any(|d| d.position == e.position));
    (found, by)
}

/// Among the types a step points at: those whose `match` conditions hold, and of those the
/// ones with the most conditions (the general type, without conditions, only where no more
/// specific one applies).
fn settle<'c>(found: Vec<&'c TypeEntry>, facts: &Facts<'_>) -> Vec<&'c TypeEntry> {
    let mut holding: Vec<&TypeEntry> = Vec::with_capacity(found.len());
    for entry in found {
        let conditions = &entry.latest().conditions;
        if holding.iter().all(|h| h.position != entry.position)
            && conditions.iter().all(|c| condition_holds(c, facts))
        {
            holding.push(entry);
        }
    }
    let most = holding
        .iter()
        .map(|e| e.latest().conditions.len())
        .max()
        .unwrap_or_default();
    holding.retain(|e| e.latest().conditions.len() == most);
    holding.sort_by_key(|e| e.position);
    holding
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
                .layers()
                .iter()
                .chain(document.manifests.iter().flatten())
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
    // The artifact manifest was the release-candidate form of an image manifest with
    // `artifactType`: a type stored as an image manifest accepts it.
    let stored_as = if facts.kind == DocumentKind::OciArtifactManifest {
        OCI_MANIFEST
    } else {
        kind_media_type
    };
    if !allowed_kinds.contains(&stored_as) {
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
        let layers = document.layers();
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
pub fn render_actions(published: &Published, reference: &Reference) -> Vec<RenderedAction> {
    published
        .definition
        .actions
        .iter()
        .zip(&published.commands)
        .map(|(action, template)| {
            let filled = template.fill(reference);
            RenderedAction {
                id: action.id.clone(),
                label: action.label.clone(),
                argv: filled.argv,
                command: filled.command,
                docs: action.docs.clone(),
            }
        })
        .collect()
}
