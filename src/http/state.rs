//! What handlers read: the catalog snapshot with its answers serialized ahead of time, and
//! the service state around it (reload status, metrics, settings).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use actix_web::{HttpRequest, HttpResponse};
use arc_swap::ArcSwap;
use semver::Version;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::body::{Body, CachePolicy, SCHEMA_JSON};
use super::image::{Image, StoredBody};
use super::metrics::Metrics;
use crate::catalog::{
    Catalog, Diagnostic, Published, StoreReadError, TypeEntry, TypeSummary, VersionEntry,
};

/// The answers for one type, by version.
pub struct TypeAnswers {
    pub versions: HashMap<Version, Body>,
    pub version_list: Body,
    pub schemas: HashMap<Version, Body>,
}

/// A loaded catalog and its request-independent answers.
pub struct Snapshot {
    pub catalog: Catalog,
    pub definition_schema: Body,
    answers: Answers,
    pub loaded_at: SystemTime,
    /// The fingerprint of the files it was loaded from, where known.
    pub fingerprint: Option<String>,
}

enum Answers {
    /// The index is built before it serves; a type's answers on its first request, then
    /// kept: serializing all of them up front cost seconds of start-up and hundreds of
    /// megabytes on a large catalog, most of it for types nobody asked about.
    Computed {
        index: Body,
        /// By [`TypeEntry::position`].
        types: Vec<OnceLock<TypeAnswers>>,
    },
    /// Serialized when the image was compiled, read from it on request.
    Stored(Arc<Image>),
}

/// One answer, ready to send.
pub enum Answer<'a> {
    Body(&'a Body),
    Stored(&'a StoredBody),
}

impl Answer<'_> {
    /// The answer to `request`: 304 when its `If-None-Match` matches, gzip when accepted.
    pub fn respond(&self, request: &HttpRequest, policy: CachePolicy) -> HttpResponse {
        match self {
            Self::Body(body) => body.respond(request, policy),
            Self::Stored(stored) => stored.respond(request, policy),
        }
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

/// `GET /types/{key}/versions`: every version of a type, newest first.
pub fn version_list_document(
    catalog: &Catalog,
    entry: &TypeEntry,
) -> Result<Value, StoreReadError> {
    let mut list = Vec::with_capacity(entry.versions.len());
    for version in &entry.versions {
        let published = catalog.published(version)?;
        list.push(json!({
            "version": version.version.to_string(),
            "status": version.status.as_str(),
            "summary": published.definition.summary,
            "url": format!("types/{}?version={}", entry.id, version.version),
        }));
    }
    Ok(json!({"id": entry.id.to_string(), "versions": list}))
}

/// The config schema as `GET /types/{key}/schema` sends it.
pub fn schema_bytes(published: &Published) -> Option<Vec<u8>> {
    let schema = published.config_schema.as_ref()?;
    Some(serde_json::to_vec_pretty(&*schema.document).expect("schemas serialize"))
}

/// The machine-readable index of the whole catalog (`/index.json`).
pub fn index_document(catalog: &Catalog) -> Value {
    json!({
        "name": catalog.meta.name,
        "version": catalog.meta.version.to_string(),
        "description": catalog.meta.description,
        "homepage": catalog.meta.homepage,
        "types": catalog.summaries(),
    })
}

/// The definition format's schema, as `GET /definition.schema.json` sends it.
pub fn definition_schema_body(catalog: &Catalog) -> Body {
    Body::new(
        serde_json::to_vec_pretty(&*catalog.definition_schema).expect("schemas serialize"),
        SCHEMA_JSON,
    )
}

impl Snapshot {
    /// A snapshot of a catalog held in memory; answers are serialized as they are asked for.
    pub fn build(catalog: Catalog) -> Self {
        // The one large body: compressed now, so the first gzip request does not wait.
        let index = Body::json(&index_document(&catalog)).precompute();
        let definition_schema = definition_schema_body(&catalog);
        let types = catalog.types().map(|_| OnceLock::new()).collect();
        Self {
            catalog,
            definition_schema,
            answers: Answers::Computed { index, types },
            loaded_at: SystemTime::now(),
            fingerprint: None,
        }
    }

    /// A snapshot served from a compiled image: `catalog` is the image's.
    pub fn from_image(catalog: Catalog, image: Arc<Image>) -> Self {
        Self {
            definition_schema: definition_schema_body(&catalog),
            catalog,
            answers: Answers::Stored(image),
            loaded_at: SystemTime::now(),
            fingerprint: None,
        }
    }

    /// This snapshot, known to hold the files of `fingerprint`.
    pub fn with_fingerprint(mut self, fingerprint: String) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// `/index.json`.
    pub fn index(&self) -> Answer<'_> {
        match &self.answers {
            Answers::Computed { index, .. } => Answer::Body(index),
            Answers::Stored(image) => Answer::Stored(image.index()),
        }
    }

    /// The definition document of one version of `entry`.
    pub fn definition(
        &self,
        entry: &TypeEntry,
        version: &VersionEntry,
    ) -> Result<Answer<'_>, StoreReadError> {
        match &self.answers {
            Answers::Computed { .. } => {
                let answers = self.computed(entry)?;
                Ok(Answer::Body(&answers.versions[&version.version]))
            }
            Answers::Stored(image) => image
                .definition(entry.position, version_index(entry, version))
                .map(Answer::Stored),
        }
    }

    /// The list of `entry`'s versions.
    pub fn versions(&self, entry: &TypeEntry) -> Result<Answer<'_>, StoreReadError> {
        match &self.answers {
            Answers::Computed { .. } => Ok(Answer::Body(&self.computed(entry)?.version_list)),
            Answers::Stored(image) => image.versions(entry.position).map(Answer::Stored),
        }
    }

    /// The config schema of one version, if it has one.
    pub fn schema(
        &self,
        entry: &TypeEntry,
        version: &VersionEntry,
    ) -> Result<Option<Answer<'_>>, StoreReadError> {
        match &self.answers {
            Answers::Computed { .. } => Ok(self
                .computed(entry)?
                .schemas
                .get(&version.version)
                .map(Answer::Body)),
            Answers::Stored(image) => Ok(image
                .schema(entry.position, version_index(entry, version))?
                .map(Answer::Stored)),
        }
    }

    /// The answers of a type of an in-memory catalog, serialized on first use.
    fn computed(&self, entry: &TypeEntry) -> Result<&TypeAnswers, StoreReadError> {
        let Answers::Computed { types, .. } = &self.answers else {
            return Err(StoreReadError(
                "answers of a stored catalog are read from its image".into(),
            ));
        };
        debug_assert!(
            self.catalog
                .get(&entry.id)
                .is_some_and(|own| std::ptr::eq(own, entry)),
            "entries come from this snapshot's catalog"
        );
        let slot = &types[entry.position];
        if let Some(answers) = slot.get() {
            return Ok(answers);
        }
        let answers = TypeAnswers::render(&self.catalog, entry)?;
        Ok(slot.get_or_init(|| answers))
    }

    pub fn summaries(&self) -> impl Iterator<Item = &TypeSummary> + '_ {
        self.catalog.summaries().iter()
    }
}

/// Where `version` is among `entry`'s versions (it is one of them).
fn version_index(entry: &TypeEntry, version: &VersionEntry) -> usize {
    entry
        .versions
        .iter()
        .position(|v| v.version == version.version)
        .unwrap_or(0)
}

impl TypeAnswers {
    /// Serializes every answer about `entry`.
    pub fn render(catalog: &Catalog, entry: &TypeEntry) -> Result<Self, StoreReadError> {
        let mut versions = HashMap::new();
        let mut schemas = HashMap::new();
        for version in &entry.versions {
            let published = catalog.published(version)?;
            versions.insert(
                version.version.clone(),
                Body::json(&version_document(&published)),
            );
            if let Some(bytes) = schema_bytes(&published) {
                schemas.insert(version.version.clone(), Body::new(bytes, SCHEMA_JSON));
            }
        }
        let version_list = Body::json(&version_list_document(catalog, entry)?);
        Ok(Self {
            versions,
            version_list,
            schemas,
        })
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
    /// Where compiled catalog images are kept; `None` serves reloads from memory.
    pub images: Option<std::path::PathBuf>,
    pub reload: Mutex<ReloadStatus>,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(snapshot: Snapshot) -> Self {
        Self {
            snapshot: ArcSwap::from_pointee(snapshot),
            images: None,
            reload: Mutex::new(ReloadStatus::default()),
            metrics: Metrics::default(),
        }
    }

    pub fn with_images(mut self, dir: std::path::PathBuf) -> Self {
        self.images = Some(dir);
        self
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }
}
