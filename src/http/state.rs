//! What handlers read: the catalog snapshot with its answers serialized ahead of time, and
//! the service state around it (reload status, metrics, settings).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use semver::Version;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::body::{Body, SCHEMA_JSON};
use super::metrics::Metrics;
use crate::catalog::load::identifying_media_types;
use crate::catalog::{Catalog, Diagnostic, Published, TypeEntry};

/// The answers for one type, by version.
pub struct TypeAnswers {
    pub versions: HashMap<Version, Body>,
    pub version_list: Body,
    pub schemas: HashMap<Version, Body>,
}

/// A loaded catalog and its request-independent answers. The index is built before it
/// serves; a type's answers on its first request, then kept: serializing all of them up front
/// cost seconds of start-up and hundreds of megabytes on a large catalog, most of it for
/// types nobody asked about.
pub struct Snapshot {
    pub catalog: Catalog,
    pub index: Body,
    pub definition_schema: Body,
    /// By [`TypeEntry::position`].
    types: Vec<OnceLock<TypeAnswers>>,
    pub loaded_at: SystemTime,
}

/// One line of the index and of `GET /types`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeSummary {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub status: &'static str,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub identifying_media_types: Vec<String>,
    pub layer_media_types: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecated_by: Option<String>,
    /// Relative to the service root (or the static site's root).
    pub url: String,
}

impl TypeSummary {
    pub fn of(entry: &TypeEntry) -> Self {
        let published = entry.latest();
        let definition = &published.definition;
        Self {
            id: entry.id.to_string(),
            name: definition.name.clone(),
            summary: definition.summary.clone(),
            status: definition.status.as_str(),
            version: published.version().to_string(),
            artifact_type: definition.artifact_type.as_ref().map(ToString::to_string),
            identifying_media_types: identifying_media_types(definition)
                .into_iter()
                .map(|(m, _)| m.to_string())
                .collect(),
            layer_media_types: definition
                .layers
                .iter()
                .flat_map(|l| l.all_media_types())
                .map(ToString::to_string)
                .collect(),
            tags: definition.tags.clone(),
            deprecated_by: definition.deprecated_by.as_ref().map(ToString::to_string),
            url: format!("types/{}", entry.id),
        }
    }

    /// Does the free-text query `q` (lowercase) match this type?
    pub fn matches_text(&self, q: &str) -> bool {
        let contains = |text: &str| text.to_ascii_lowercase().contains(q);
        contains(&self.id)
            || contains(&self.name)
            || contains(&self.summary)
            || self.identifying_media_types.iter().any(|m| contains(m))
            || self.layer_media_types.iter().any(|m| contains(m))
            || self.tags.iter().any(|t| contains(t))
    }
}

/// The JSON document of one version: its id, then the definition as written.
pub fn version_document(published: &Published) -> Value {
    let mut document = Map::new();
    document.insert("id".into(), json!(published.id.to_string()));
    if let Value::Object(fields) =
        serde_json::to_value(&published.definition).expect("definitions serialize")
    {
        document.extend(fields);
    }
    Value::Object(document)
}

/// The machine-readable index of the whole catalog (`/index.json`).
pub fn index_document(catalog: &Catalog) -> Value {
    let types: Vec<TypeSummary> = catalog.types().map(TypeSummary::of).collect();
    json!({
        "name": catalog.meta.name,
        "version": catalog.meta.version.to_string(),
        "description": catalog.meta.description,
        "homepage": catalog.meta.homepage,
        "types": types,
    })
}

impl Snapshot {
    pub fn build(catalog: Catalog) -> Self {
        // The one large body: compressed now, so the first gzip request does not wait.
        let index = Body::json(&index_document(&catalog)).precompute();
        let definition_schema = Body::new(
            serde_json::to_vec_pretty(&*catalog.definition_schema).expect("schemas serialize"),
            SCHEMA_JSON,
        );
        let types = catalog.types().map(|_| OnceLock::new()).collect();
        Self {
            catalog,
            index,
            definition_schema,
            types,
            loaded_at: SystemTime::now(),
        }
    }

    /// The answers of a type of this snapshot's catalog, serialized on first use.
    pub fn answers(&self, entry: &TypeEntry) -> &TypeAnswers {
        debug_assert!(
            self.catalog
                .get(&entry.id)
                .is_some_and(|own| std::ptr::eq(own, entry)),
            "entries come from this snapshot's catalog"
        );
        self.types[entry.position].get_or_init(|| TypeAnswers::build(entry))
    }

    pub fn summaries(&self) -> impl Iterator<Item = TypeSummary> + '_ {
        self.catalog.types().map(TypeSummary::of)
    }
}

impl TypeAnswers {
    fn build(entry: &TypeEntry) -> Self {
        let mut versions = HashMap::new();
        let mut schemas = HashMap::new();
        for published in &entry.versions {
            let version = published.version().clone();
            versions.insert(version.clone(), Body::json(&version_document(published)));
            if let Some(schema) = &published.config_schema {
                let bytes =
                    serde_json::to_vec_pretty(&*schema.document).expect("schemas serialize");
                schemas.insert(version, Body::new(bytes, SCHEMA_JSON));
            }
        }
        let list: Vec<Value> = entry
            .versions
            .iter()
            .map(|p| {
                json!({
                    "version": p.version().to_string(),
                    "status": p.definition.status.as_str(),
                    "summary": p.definition.summary,
                    "url": format!("types/{}?version={}", entry.id, p.version()),
                })
            })
            .collect();
        let version_list = Body::json(&json!({"id": entry.id.to_string(), "versions": list}));
        Self {
            versions,
            version_list,
            schemas,
        }
    }
}

/// The last reload attempt, for `/healthz` and `/metrics`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReloadStatus {
    pub reloads: u64,
    pub failures: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<Vec<Diagnostic>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<String>,
}

/// Shared by every worker.
pub struct AppState {
    pub snapshot: ArcSwap<Snapshot>,
    pub reload: Mutex<ReloadStatus>,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(catalog: Catalog) -> Self {
        Self {
            snapshot: ArcSwap::from_pointee(Snapshot::build(catalog)),
            reload: Mutex::new(ReloadStatus::default()),
            metrics: Metrics::default(),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }
}
