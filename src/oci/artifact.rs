//! The catalog as an OCI artifact, without the network: packing a catalog into a manifest, a
//! config and two layers, and unpacking the files layer back into a catalog.
//!
//! Packing is deterministic (sorted paths, zero timestamps, fixed modes and owners, a fixed
//! gzip header), so publishing the same catalog twice gives the same digests.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use flate2::Compression;
use flate2::GzBuilder;
use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::files::MAX_FILE_BYTES;
use crate::catalog::{Catalog, CatalogFiles, files::FileContent};
use crate::documents::index_document;

/// The manifest's `artifactType`: what `types/typehouse/catalog` defines.
pub const ARTIFACT_TYPE: &str = "application/vnd.typehouse.catalog.v1+json";
/// The config blob: catalog name, version and type count.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.typehouse.catalog.config.v1+json";
/// The layer holding the catalog's `index.json`.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.typehouse.catalog.index.v1+json";
/// The layer holding every catalog file as a gzipped tar.
pub const FILES_MEDIA_TYPE: &str = "application/vnd.typehouse.catalog.files.v1.tar+gzip";
/// The manifest's own media type.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

const TITLE: &str = "org.opencontainers.image.title";
const VERSION: &str = "org.opencontainers.image.version";
const DESCRIPTION: &str = "org.opencontainers.image.description";
const URL: &str = "org.opencontainers.image.url";

/// Layer file names, in `org.opencontainers.image.title`, for clients such as `oras pull`.
pub const INDEX_FILE_NAME: &str = "index.json";
pub const FILES_FILE_NAME: &str = "catalog.tar.gz";

/// Blobs larger than this are refused before download: a catalog is a few hundred kilobytes.
pub const MAX_BLOB_BYTES: u64 = 64 * 1024 * 1024;
/// The unpacked files may not add up to more than this (a gzip bomb stops here).
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// Nor hold more entries than this.
const MAX_ENTRIES: usize = 100_000;

/// Why a catalog cannot be packed or an artifact cannot be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{path} cannot be published: {reason}")]
    UnpublishableFile { path: String, reason: String },
    #[error("not a typehouse catalog: {0}")]
    NotACatalog(String),
    #[error("the catalog files layer is malformed: {0}")]
    Archive(String),
}

/// A content descriptor as image-spec defines it (the fields typehouse writes and reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    fn of(media_type: &str, bytes: &[u8], title: Option<&str>) -> Self {
        let mut annotations = BTreeMap::new();
        if let Some(title) = title {
            annotations.insert(TITLE.to_string(), title.to_string());
        }
        Self {
            media_type: media_type.to_string(),
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
            annotations,
        }
    }
}

/// An OCI image manifest (image-spec 1.1) with the fields a catalog artifact uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Manifest {
    /// Parses a pulled manifest and checks that it is a catalog: the artifact type and exactly
    /// one layer of each of typehouse's layer media types.
    pub fn parse_catalog(bytes: &[u8]) -> Result<Self, ArtifactError> {
        let manifest: Self = serde_json::from_slice(bytes)
            .map_err(|e| ArtifactError::NotACatalog(format!("not an OCI image manifest: {e}")))?;
        match manifest.artifact_type.as_deref() {
            Some(ARTIFACT_TYPE) => {}
            Some(other) => {
                return Err(ArtifactError::NotACatalog(format!(
                    "its artifactType is `{other}`, not `{ARTIFACT_TYPE}`"
                )));
            }
            None => {
                return Err(ArtifactError::NotACatalog(format!(
                    "it has no artifactType (a catalog has `{ARTIFACT_TYPE}`)"
                )));
            }
        }
        for media_type in [INDEX_MEDIA_TYPE, FILES_MEDIA_TYPE] {
            let count = manifest
                .layers
                .iter()
                .filter(|l| l.media_type == media_type)
                .count();
            if count != 1 {
                return Err(ArtifactError::NotACatalog(format!(
                    "it has {count} layers of type `{media_type}`, not one"
                )));
            }
        }
        Ok(manifest)
    }

    pub fn layer(&self, media_type: &str) -> Option<&Descriptor> {
        self.layers.iter().find(|l| l.media_type == media_type)
    }
}

/// The config blob: which catalog and which release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogConfig {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    pub types: usize,
}

/// A packed catalog: every blob and the manifest that ties them together.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub config: Vec<u8>,
    pub index: Vec<u8>,
    pub files: Vec<u8>,
    pub manifest: Manifest,
    /// The manifest as pushed; its digest names the artifact.
    pub manifest_bytes: Vec<u8>,
}

impl Artifact {
    pub fn digest(&self) -> String {
        sha256_digest(&self.manifest_bytes)
    }

    /// The blobs to upload with their descriptors: the layers, then the config.
    pub fn blobs(&self) -> [(&Descriptor, &[u8]); 3] {
        [
            (&self.manifest.layers[0], self.index.as_slice()),
            (&self.manifest.layers[1], self.files.as_slice()),
            (&self.manifest.config, self.config.as_slice()),
        ]
    }
}

/// Packs `files`, a catalog that loaded as `catalog`, into an artifact.
pub fn pack(files: &CatalogFiles, catalog: &Catalog) -> Result<Artifact, ArtifactError> {
    let meta = &catalog.meta;
    let config = CatalogConfig {
        name: meta.name.clone(),
        version: meta.version.to_string(),
        description: meta.description.clone(),
        homepage: meta.homepage.clone(),
        types: catalog.len(),
    };
    let config = serde_json::to_vec(&config).expect("the config serializes");
    // The same serialization as `GET /index.json`, so the layer is the served bytes.
    let index = serde_json::to_vec_pretty(&index_document(catalog)).expect("the index serializes");
    let files = tar_gz(files)?;

    let mut annotations = BTreeMap::new();
    annotations.insert(TITLE.to_string(), meta.name.clone());
    annotations.insert(VERSION.to_string(), meta.version.to_string());
    if let Some(description) = &meta.description {
        annotations.insert(DESCRIPTION.to_string(), description.clone());
    }
    if let Some(homepage) = &meta.homepage {
        annotations.insert(URL.to_string(), homepage.clone());
    }
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(MANIFEST_MEDIA_TYPE.to_string()),
        artifact_type: Some(ARTIFACT_TYPE.to_string()),
        config: Descriptor::of(CONFIG_MEDIA_TYPE, &config, None),
        layers: vec![
            Descriptor::of(INDEX_MEDIA_TYPE, &index, Some(INDEX_FILE_NAME)),
            Descriptor::of(FILES_MEDIA_TYPE, &files, Some(FILES_FILE_NAME)),
        ],
        annotations,
    };
    let manifest_bytes = serde_json::to_vec(&manifest).expect("the manifest serializes");
    Ok(Artifact {
        config,
        index,
        files,
        manifest,
        manifest_bytes,
    })
}

/// The catalog files as a deterministic gzipped tar.
fn tar_gz(files: &CatalogFiles) -> Result<Vec<u8>, ArtifactError> {
    let encoder = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::best());
    let mut builder = tar::Builder::new(encoder);
    // `iter` walks a sorted map: the order is the sorted path order.
    for (path, content) in files.iter() {
        let bytes = match content {
            FileContent::Bytes(bytes) => bytes,
            FileContent::TooLarge(size) => {
                return Err(ArtifactError::UnpublishableFile {
                    path: path.to_string(),
                    reason: format!("{size} bytes is over the {MAX_FILE_BYTES}-byte limit"),
                });
            }
            FileContent::Unreadable(reason) => {
                return Err(ArtifactError::UnpublishableFile {
                    path: path.to_string(),
                    reason: reason.clone(),
                });
            }
        };
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .map_err(|e| ArtifactError::UnpublishableFile {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
    }
    let encoder = builder
        .into_inner()
        .and_then(|encoder| encoder.finish())
        .map_err(|e| ArtifactError::Archive(e.to_string()))?;
    Ok(encoder)
}

/// Unpacks the files layer into a catalog. Only regular files with plain relative paths are
/// accepted; sizes and entry counts are bounded.
pub fn unpack(tar_gz: &[u8]) -> Result<CatalogFiles, ArtifactError> {
    let malformed = |message: String| ArtifactError::Archive(message);
    let decoder = GzDecoder::new(tar_gz).take(MAX_UNPACKED_BYTES + 1);
    let mut archive = tar::Archive::new(decoder);
    let mut files = CatalogFiles::default();
    let mut total: u64 = 0;
    let entries = archive.entries().map_err(|e| malformed(e.to_string()))?;
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(malformed(format!("more than {MAX_ENTRIES} entries")));
        }
        let mut entry = entry.map_err(|e| malformed(e.to_string()))?;
        let entry_type = entry.header().entry_type();
        let path = entry
            .path()
            .map_err(|e| malformed(e.to_string()))?
            .into_owned();
        let relative = relative_path(&path).ok_or_else(|| {
            malformed(format!("`{}` is not a plain relative path", path.display()))
        })?;
        if entry_type.is_dir() {
            continue;
        }
        if !entry_type.is_file() {
            return Err(malformed(format!(
                "`{relative}` is not a regular file (links and devices are refused)"
            )));
        }
        let size = entry.size();
        if size > MAX_FILE_BYTES as u64 {
            return Err(malformed(format!(
                "`{relative}` has {size} bytes, over the {MAX_FILE_BYTES}-byte limit"
            )));
        }
        total += size;
        if total > MAX_UNPACKED_BYTES {
            return Err(malformed(format!(
                "the files add up to more than {MAX_UNPACKED_BYTES} bytes"
            )));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| malformed(format!("`{relative}`: {e}")))?;
        if files.get(&relative).is_some() {
            return Err(malformed(format!("`{relative}` appears twice")));
        }
        files.insert(relative, bytes);
    }
    if files.bytes("catalog.yaml").is_none() {
        return Err(malformed("it has no catalog.yaml".into()));
    }
    Ok(files)
}

/// `path` as a `/`-joined relative path, if it has only normal components.
fn relative_path(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_string()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Checks that `bytes` is the blob `descriptor` names: size, then sha256 digest.
pub fn verify(descriptor: &Descriptor, bytes: &[u8]) -> Result<(), DigestMismatch> {
    let actual = sha256_digest(bytes);
    if bytes.len() as u64 != descriptor.size || actual != descriptor.digest {
        return Err(DigestMismatch {
            media_type: descriptor.media_type.clone(),
            expected: descriptor.digest.clone(),
            expected_size: descriptor.size,
            actual,
            actual_size: bytes.len() as u64,
        });
    }
    Ok(())
}

/// A blob whose content is not what its descriptor says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "digest mismatch for the `{media_type}` blob: expected {expected} ({expected_size} bytes), got {actual} ({actual_size} bytes)"
)]
pub struct DigestMismatch {
    pub media_type: String,
    pub expected: String,
    pub expected_size: u64,
    pub actual: String,
    pub actual_size: u64,
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzBuilder::new().write(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn embedded() -> (CatalogFiles, Catalog) {
        let files = CatalogFiles::embedded();
        let (catalog, _) = Catalog::load(files.clone()).expect("the built-in catalog loads");
        (files, catalog)
    }

    #[test]
    fn packing_the_same_catalog_twice_gives_the_same_digests() {
        let (files, catalog) = embedded();
        let first = pack(&files, &catalog).unwrap();
        let second = pack(&files, &catalog).unwrap();
        assert_eq!(first.manifest_bytes, second.manifest_bytes);
        assert_eq!(first.digest(), second.digest());
    }

    #[test]
    fn unpacking_gives_back_every_file_byte_for_byte() {
        let (files, catalog) = embedded();
        let artifact = pack(&files, &catalog).unwrap();
        assert_eq!(unpack(&artifact.files).unwrap(), files);
    }

    #[test]
    fn the_manifest_names_the_catalog_type_and_both_layers() {
        let (files, catalog) = embedded();
        let artifact = pack(&files, &catalog).unwrap();
        let parsed = Manifest::parse_catalog(&artifact.manifest_bytes).unwrap();
        assert_eq!(parsed, artifact.manifest);
        assert_eq!(parsed.artifact_type.as_deref(), Some(ARTIFACT_TYPE));
        assert_eq!(parsed.config.media_type, CONFIG_MEDIA_TYPE);
        for (descriptor, bytes) in artifact.blobs() {
            verify(descriptor, bytes).unwrap();
        }
        let config: CatalogConfig = serde_json::from_slice(&artifact.config).unwrap();
        assert_eq!(config.types, catalog.len());
    }

    #[test]
    fn tar_entries_have_zero_times_fixed_modes_and_sorted_paths() {
        let (files, catalog) = embedded();
        let artifact = pack(&files, &catalog).unwrap();
        let mut archive = tar::Archive::new(GzDecoder::new(artifact.files.as_slice()));
        let mut paths = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let header = entry.header();
            assert_eq!(header.mtime().unwrap(), 0);
            assert_eq!(header.mode().unwrap(), 0o644);
            assert_eq!(header.uid().unwrap(), 0);
            paths.push(entry.path().unwrap().to_string_lossy().into_owned());
        }
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
    }

    #[test]
    fn a_manifest_of_another_type_is_not_a_catalog() {
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "artifactType": "application/spdx+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2},
            "layers": []
        });
        let error = Manifest::parse_catalog(manifest.to_string().as_bytes()).unwrap_err();
        assert!(
            error.to_string().contains("application/spdx+json"),
            "{error}"
        );
    }

    fn archive_with(path: &str, entry_type: tar::EntryType) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(entry_type);
        header.set_size(if entry_type.is_file() { 3 } else { 0 });
        header.set_mode(0o644);
        // Written raw, so that paths the tar crate itself refuses to write can be tested.
        let name = header.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        if entry_type.is_symlink() {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_cksum();
        let data: &[u8] = if entry_type.is_file() { b"abc" } else { b"" };
        builder.append(&header, data).unwrap();
        gzip(&builder.into_inner().unwrap())
    }

    #[test]
    fn paths_that_leave_the_catalog_are_refused() {
        for path in ["../escape.yaml", "/etc/passwd", "a/../../b"] {
            let error = unpack(&archive_with(path, tar::EntryType::Regular)).unwrap_err();
            assert!(
                error.to_string().contains("not a plain relative path"),
                "{path}: {error}"
            );
        }
    }

    #[test]
    fn links_are_refused() {
        let error = unpack(&archive_with("evil", tar::EntryType::Symlink)).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }

    #[test]
    fn an_archive_without_catalog_yaml_is_refused() {
        let error = unpack(&archive_with("x/y/1.0.0.yaml", tar::EntryType::Regular)).unwrap_err();
        assert!(error.to_string().contains("catalog.yaml"), "{error}");
    }

    #[test]
    fn a_changed_blob_fails_verification() {
        let descriptor = Descriptor::of(INDEX_MEDIA_TYPE, b"{}", None);
        verify(&descriptor, b"{}").unwrap();
        let mismatch = verify(&descriptor, b"[]").unwrap_err();
        assert_eq!(mismatch.expected, descriptor.digest);
        assert!(mismatch.to_string().contains("digest mismatch"));
    }
}
