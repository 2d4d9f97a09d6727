//! The JSON answers about a catalog, as plain values and serialized bytes: the documents the
//! service sends, the static site writes, the compiled image stores and a published catalog
//! carries, so that all of them are byte for byte the same. Nothing here knows HTTP.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
pub use flate2::Compression;
use flate2::write::GzEncoder;
use semver::Version;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, DefinitionReadError, Published, TypeEntry};

pub const JSON: &str = "application/json";
pub const SCHEMA_JSON: &str = "application/schema+json";
pub const HTML: &str = "text/html; charset=utf-8";

/// A document serialized once, sent many times: its bytes, and on first use their strong
/// ETag and gzip variant.
///
/// A catalog of 10,000 types has some 40,000 documents, most of which are never asked for
/// compressed: hashing and compressing them all up front made start-up take seconds and
/// doubled the memory the answers hold.
#[derive(Debug, Clone)]
pub struct Document {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// Shared by clones, so a clone never hashes or compresses again.
    derived: Arc<Derived>,
    /// Kept documents are compressed once and hard; per-request ones quickly.
    compression: Compression,
}

#[derive(Debug, Default)]
struct Derived {
    /// The strong ETag of `bytes` and the one of their gzip variant, quoted as sent.
    etags: OnceLock<(String, String)>,
    gzip: OnceLock<Bytes>,
}

impl Document {
    pub fn new(bytes: Vec<u8>, content_type: &'static str) -> Self {
        Self {
            bytes: Bytes::from(bytes),
            content_type,
            derived: Arc::default(),
            compression: Compression::best(),
        }
    }

    /// A document made for one answer (a page, a filtered list): if it is compressed at all,
    /// then quickly, since nothing keeps the result.
    pub fn once(bytes: Vec<u8>, content_type: &'static str) -> Self {
        Self {
            compression: Compression::fast(),
            ..Self::new(bytes, content_type)
        }
    }

    pub fn json(value: &impl serde::Serialize) -> Self {
        Self::new(
            serde_json::to_vec_pretty(value).expect("documents serialize"),
            JSON,
        )
    }

    /// Derives the ETags and the gzip variant now rather than on first use: for large
    /// documents (the index) whose first compressed request should not wait.
    pub fn precompute(self) -> Self {
        self.etags();
        self.gzip();
        self
    }

    /// The ETags of the identity and the gzip variant, quoted.
    pub fn etags(&self) -> (&str, &str) {
        let (identity, gzip) = self.derived.etags.get_or_init(|| {
            let identity = strong_etag(&self.bytes);
            let gzip = gzip_etag(&identity);
            (identity, gzip)
        });
        (identity, gzip)
    }

    /// The strong ETag of the exact bytes.
    pub fn etag(&self) -> &str {
        self.etags().0
    }

    /// The gzip variant.
    pub fn gzip(&self) -> &Bytes {
        self.derived
            .gzip
            .get_or_init(|| Bytes::from(gzip(&self.bytes, self.compression)))
    }
}

/// A strong validator: the first 128 bits of the SHA-256 of the exact bytes, quoted.
pub fn strong_etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

/// The ETag of the gzip variant of the document whose ETag is `etag`.
pub fn gzip_etag(etag: &str) -> String {
    format!("{}-gz\"", etag.trim_end_matches('"'))
}

pub fn gzip(bytes: &[u8], level: Compression) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), level);
    encoder
        .write_all(bytes)
        .expect("writing to memory cannot fail");
    encoder.finish().expect("writing to memory cannot fail")
}

/// The document of one version: its id, then the definition as written.
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

/// Every version of a type, newest first (`GET /types/{key}/versions`).
pub fn version_list_document(
    catalog: &Catalog,
    entry: &TypeEntry,
) -> Result<Value, DefinitionReadError> {
    let published = entry
        .versions
        .iter()
        .map(|version| catalog.published(version))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(version_list_of(entry, &published))
}

/// [`version_list_document`] of the definitions of `entry`'s versions, in their order.
pub fn version_list_of(entry: &TypeEntry, published: &[Arc<Published>]) -> Value {
    let mut list = Vec::with_capacity(entry.versions.len());
    for (version, published) in entry.versions.iter().zip(published) {
        list.push(json!({
            "version": version.version.to_string(),
            "status": version.status.as_str(),
            "summary": published.definition.summary,
            "url": format!("types/{}?version={}", entry.id, version.version),
        }));
    }
    json!({"id": entry.id.to_string(), "versions": list})
}

/// The config schema of a version as it is sent, where it has one.
pub fn schema_bytes(published: &Published) -> Option<Vec<u8>> {
    let schema = published.config_schema.as_ref()?;
    Some(serde_json::to_vec_pretty(&*schema.document).expect("schemas serialize"))
}

/// [`index_document`] serialized as it is sent, without building it as a value first: on a
/// large catalog that value took several times the bytes' memory.
pub fn index_bytes(catalog: &Catalog) -> Vec<u8> {
    // Fields in the order of `index_document`, whose object keeps its insertion order.
    #[derive(serde::Serialize)]
    struct Index<'a> {
        name: &'a str,
        version: String,
        description: &'a Option<String>,
        homepage: &'a Option<String>,
        types: &'a [crate::catalog::TypeSummary],
    }
    serde_json::to_vec_pretty(&Index {
        name: &catalog.meta.name,
        version: catalog.meta.version.to_string(),
        description: &catalog.meta.description,
        homepage: &catalog.meta.homepage,
        types: catalog.summaries(),
    })
    .expect("the index serializes")
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

/// The columns of each row of the search index, in order.
pub const SEARCH_INDEX_FIELDS: [&str; 9] = [
    "id",
    "name",
    "summary",
    "status",
    "version",
    "identifyingMediaTypes",
    "layerMediaTypes",
    "tags",
    "iconSvg",
];

/// The search index (`/search-index.json`): what the catalog page's instant search filters
/// and draws cards from, one row per type in id order, as arrays under the names of
/// [`SEARCH_INDEX_FIELDS`] and serialized without indentation, so that a browser fetches
/// the whole catalog's cards in one small, cacheable document instead of a page carrying
/// them all.
pub fn search_index(catalog: &Catalog) -> Document {
    let rows: Vec<Value> = catalog
        .summaries()
        .iter()
        .map(|summary| {
            json!([
                summary.id,
                summary.name,
                summary.summary,
                summary.status.as_str(),
                summary.version,
                summary.identifying_media_types,
                summary.layer_media_types,
                summary.tags,
                summary.icon_svg.as_deref(),
            ])
        })
        .collect();
    let document = json!({"fields": SEARCH_INDEX_FIELDS, "types": rows});
    Document::new(
        serde_json::to_vec(&document).expect("documents serialize"),
        JSON,
    )
}

/// The definition format's schema (`/definition.schema.json`).
pub fn definition_schema(catalog: &Catalog) -> Document {
    Document::new(
        serde_json::to_vec_pretty(&*catalog.definition_schema).expect("schemas serialize"),
        SCHEMA_JSON,
    )
}

/// Every document about one type, by version.
pub struct TypeDocuments {
    pub versions: HashMap<Version, Document>,
    pub version_list: Document,
    pub schemas: HashMap<Version, Document>,
}

impl TypeDocuments {
    /// Serializes every document about `entry`.
    pub fn render(catalog: &Catalog, entry: &TypeEntry) -> Result<Self, DefinitionReadError> {
        let mut versions = HashMap::new();
        let mut schemas = HashMap::new();
        for version in &entry.versions {
            let published = catalog.published(version)?;
            versions.insert(
                version.version.clone(),
                Document::json(&version_document(&published)),
            );
            if let Some(bytes) = schema_bytes(&published) {
                schemas.insert(version.version.clone(), Document::new(bytes, SCHEMA_JSON));
            }
        }
        let version_list = Document::json(&version_list_document(catalog, entry)?);
        Ok(Self {
            versions,
            version_list,
            schemas,
        })
    }
}
