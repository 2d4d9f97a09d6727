//! The compiled catalog `serve` answers from: one file holding every answer already
//! serialized (with its gzip variant and ETag), every definition as it is read back on
//! demand, the files the catalog came from, and an index small enough to keep in memory.
//!
//! Loading and checking 10,000 types takes seconds and half a gigabyte; opening their image
//! takes a fraction of a second and keeps only the index. An image is named after the
//! fingerprint of the catalog files and of the binary that compiled it, so a changed
//! catalog or a new build never meets a stale image: it compiles a new one.
//!
//! Layout: a fixed header (magic, format, where the head is, the head's SHA-256), then the
//! blobs, then the head: JSON of [`Head`], which says where every blob is.
//!
//! Nothing here knows HTTP: the service sends a [`StoredDocument`] through an adapter of its
//! own.

mod cache;
mod fingerprint;
mod format;
mod reader;
mod writer;

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use fingerprint::Fingerprint;
use format::{Blob, read};

use crate::catalog::{DefinitionReadError, Published};
use crate::documents::{gzip_etag, strong_etag};

/// Definitions read back and kept, at most: each holds its compiled config schema once used,
/// some 30 times the schema's size and up to megabytes, so the cache is small and fixed. A
/// registry asks about a few types over and over; those stay.
const CACHED_DEFINITIONS: usize = 64;

/// A document kept in an image: read from the file when it is sent, never held in memory.
#[derive(Clone)]
pub struct StoredDocument {
    file: Arc<File>,
    offset: u64,
    identity_len: u32,
    gzip_len: u32,
    etag: [u8; 16],
    pub content_type: &'static str,
}

impl StoredDocument {
    /// The ETags of the identity and the gzip variant, quoted, as [`Document::etags`] gives
    /// them for the same bytes.
    ///
    /// [`Document::etags`]: crate::documents::Document::etags
    pub fn etags(&self) -> (String, String) {
        let identity = format!("\"{}\"", hex::encode(self.etag));
        let gzip = gzip_etag(&identity);
        (identity, gzip)
    }

    /// The length of the identity or the gzip variant.
    pub fn len(&self, gzip: bool) -> u64 {
        self.variant(gzip).1
    }

    /// `len` bytes of the identity or the gzip variant from `from` on.
    pub fn read_range(&self, gzip: bool, from: u64, len: u64) -> io::Result<Vec<u8>> {
        let Blob(offset, whole) = self.variant(gzip);
        if from.checked_add(len).is_none_or(|end| end > whole) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a range outside a stored document",
            ));
        }
        read(&self.file, Blob(offset + from, len))
    }

    fn variant(&self, gzip: bool) -> Blob {
        if gzip { self.gzip() } else { self.identity() }
    }

    fn identity(&self) -> Blob {
        Blob(self.offset, u64::from(self.identity_len))
    }

    fn gzip(&self) -> Blob {
        Blob(
            self.offset + u64::from(self.identity_len),
            u64::from(self.gzip_len),
        )
    }

    /// The identity bytes, checked against the ETag: what is parsed back must be what was
    /// written.
    pub fn bytes(&self) -> io::Result<Vec<u8>> {
        let bytes = read(&self.file, self.identity())?;
        if strong_etag(&bytes) != self.etags().0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a stored document does not match its checksum",
            ));
        }
        Ok(bytes)
    }
}

struct StoredTypeDocuments {
    versions: Vec<StoredDocument>,
    schemas: Vec<Option<StoredDocument>>,
    version_list: StoredDocument,
}

/// Where a definition is read back from: its type and version, and its extras.
struct Slot {
    position: u32,
    version: u32,
    extras: Blob,
}

/// One place of the definition cache: the slot it holds, and its definition.
type CacheCell = Mutex<Option<(u32, Arc<Published>)>>;

/// An opened image: the answers and definitions of one catalog.
pub struct Image {
    file: Arc<File>,
    path: PathBuf,
    index: StoredDocument,
    files: Blob,
    /// By type position.
    types: Vec<StoredTypeDocuments>,
    /// By slot.
    slots: Vec<Slot>,
    cache: Vec<CacheCell>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why an image was not used.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is not a usable catalog image: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

impl Image {
    /// The file of the image for `fingerprint` in `dir`.
    pub fn path_in(dir: &Path, fingerprint: &str) -> PathBuf {
        dir.join(format!("{fingerprint}.image"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Answers of the whole catalog.
    pub fn index(&self) -> &StoredDocument {
        &self.index
    }

    pub fn definition(
        &self,
        position: usize,
        version: usize,
    ) -> Result<&StoredDocument, DefinitionReadError> {
        self.types
            .get(position)
            .and_then(|t| t.versions.get(version))
            .ok_or_else(|| {
                DefinitionReadError(format!("no answer for type {position} version {version}"))
            })
    }

    pub fn versions(&self, position: usize) -> Result<&StoredDocument, DefinitionReadError> {
        self.types
            .get(position)
            .map(|t| &t.version_list)
            .ok_or_else(|| DefinitionReadError(format!("no answers for type {position}")))
    }

    pub fn schema(
        &self,
        position: usize,
        version: usize,
    ) -> Result<Option<&StoredDocument>, DefinitionReadError> {
        self.types
            .get(position)
            .and_then(|t| t.schemas.get(version))
            .map(Option::as_ref)
            .ok_or_else(|| {
                DefinitionReadError(format!("no answer for type {position} version {version}"))
            })
    }
}

/// Removes every image in `dir` but `keep`, and the temporary files of interrupted writes
/// (`.<name>.image.<random>`, as [`Image::write`] names them until they are complete).
pub fn remove_others(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let interrupted = name.starts_with('.') && name.contains(".image.");
        if path != keep && (name.ends_with(".image") || interrupted) {
            if let Err(error) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), %error, "cannot remove an old catalog image");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::catalog::{Catalog, CatalogFiles, Role};
    use crate::documents::{TypeDocuments, index_document, version_document};

    fn loaded() -> Catalog {
        Catalog::load(CatalogFiles::embedded())
            .expect("the shipped catalog loads")
            .0
    }

    fn compile(catalog: &Catalog, dir: &Path) -> (PathBuf, String) {
        let fingerprint = Fingerprint::of(&catalog.files().unwrap()).finish();
        let path = Image::path_in(dir, &fingerprint);
        Image::write(catalog, &fingerprint, &path).expect("the image is written");
        (path, fingerprint)
    }

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn assert_same_body(stored: &StoredDocument, expected: &[u8], what: &str) {
        let identity = stored.bytes().unwrap();
        assert_eq!(identity, expected, "{what}");
        assert_eq!(
            gunzip(&read(&stored.file, stored.gzip()).unwrap()),
            expected,
            "{what}"
        );
        assert_eq!(stored.etags().0, strong_etag(expected), "{what}");
    }

    #[test]
    fn an_image_answers_exactly_as_the_loaded_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = loaded();
        let (path, fingerprint) = compile(&catalog, dir.path());
        let (stored, image) = Image::open(&path, &fingerprint).expect("the image opens");
        assert!(stored.is_stored());
        assert_eq!(stored.len(), catalog.len());

        let index = serde_json::to_vec_pretty(&index_document(&catalog)).unwrap();
        assert_same_body(image.index(), &index, "index");
        assert_eq!(
            serde_json::to_value(stored.summaries()).unwrap(),
            serde_json::to_value(catalog.summaries()).unwrap()
        );
        assert_eq!(*stored.files().unwrap(), *catalog.files().unwrap());

        for (entry, stored_entry) in catalog.types().zip(stored.types()) {
            assert_eq!(entry.id, stored_entry.id);
            let answers = TypeDocuments::render(&catalog, entry).unwrap();
            assert_same_body(
                image.versions(stored_entry.position).unwrap(),
                &answers.version_list.bytes,
                "version list",
            );
            for (index, version) in entry.versions.iter().enumerate() {
                let what = format!("{} {}", entry.id, version.version);
                let stored_version = &stored_entry.versions[index];
                assert_eq!(stored_version.version, version.version, "{what}");
                assert_eq!(stored_version.conditions, version.conditions, "{what}");
                assert_same_body(
                    image.definition(stored_entry.position, index).unwrap(),
                    &answers.versions[&version.version].bytes,
                    &what,
                );
                let schema = image.schema(stored_entry.position, index).unwrap();
                match (schema, answers.schemas.get(&version.version)) {
                    (Some(stored_schema), Some(body)) => {
                        assert_same_body(stored_schema, &body.bytes, &what)
                    }
                    (None, None) => {}
                    _ => panic!("{what}: the schema answers differ"),
                }

                let original = catalog.published(version).unwrap();
                let read_back = stored.published(stored_version).unwrap();
                assert_eq!(read_back.path, original.path, "{what}");
                assert_eq!(read_back.icon_svg, original.icon_svg, "{what}");
                assert_eq!(
                    version_document(&read_back),
                    version_document(&original),
                    "{what}"
                );
                // The read-back schema compiles and judges the examples as the original does.
                if let (Some(schema), Some(config)) =
                    (&read_back.config_schema, &original.definition.config)
                {
                    for example in &config.examples {
                        assert!(schema.is_valid(example), "{what}");
                    }
                    assert_eq!(
                        schema.document,
                        original.config_schema.as_ref().unwrap().document
                    );
                }
            }
        }
        for media_type in catalog.media_types() {
            let roles = |c: &Catalog| -> Vec<(String, Role, bool)> {
                c.uses_of(media_type)
                    .iter()
                    .map(|u| (u.id.to_string(), u.role, u.identifying))
                    .collect()
            };
            assert_eq!(roles(&stored), roles(&catalog), "{media_type}");
        }
    }

    #[test]
    fn a_directory_and_its_files_have_one_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let files = CatalogFiles::embedded();
        files.write_to(dir.path()).unwrap();
        // Paths that sort differently as strings and as a walk of folders.
        std::fs::create_dir_all(dir.path().join("a-b")).unwrap();
        std::fs::write(dir.path().join("a-b/x"), "1").unwrap();
        std::fs::create_dir_all(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x"), "2").unwrap();
        let read = CatalogFiles::read_dir(dir.path()).unwrap();
        let walked = Fingerprint::of_dir(dir.path()).unwrap().finish();
        assert_eq!(walked, Fingerprint::of(&read).finish());

        std::fs::write(dir.path().join("a/x"), "3").unwrap();
        assert_ne!(Fingerprint::of_dir(dir.path()).unwrap().finish(), walked);
    }

    #[test]
    fn a_damaged_or_foreign_image_is_refused_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = loaded();
        let (path, fingerprint) = compile(&catalog, dir.path());
        let good = std::fs::read(&path).unwrap();

        let refused = |bytes: &[u8], fingerprint: &str| {
            std::fs::write(&path, bytes).unwrap();
            Image::open(&path, fingerprint).err().map(|e| e.to_string())
        };
        assert!(
            refused(&good, "another")
                .unwrap()
                .contains("another catalog")
        );
        assert!(refused(&good[..good.len() - 10], &fingerprint).is_some());
        assert!(refused(&good[..40], &fingerprint).is_some());
        assert!(refused(b"", &fingerprint).is_some());
        let mut flipped = good.clone();
        let last = flipped.len() - 20;
        flipped[last] ^= 1;
        assert!(refused(&flipped, &fingerprint).is_some());
        // A change that leaves the head well-formed is caught by its checksum.
        let mut changed = good.clone();
        let digit = changed.iter().rposition(u8::is_ascii_digit).unwrap();
        changed[digit] = if changed[digit] == b'1' { b'2' } else { b'1' };
        assert!(
            refused(&changed, &fingerprint)
                .unwrap()
                .contains("checksum")
        );

        // A damaged definition is found when it is read back: an error, not a wrong answer.
        std::fs::write(&path, &good).unwrap();
        let (stored, image) = Image::open(&path, &fingerprint).unwrap();
        let Blob(offset, len) = image.definition(0, 0).unwrap().identity();
        let mut damaged = good.clone();
        damaged[(offset + len / 2) as usize] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        let first = &stored.types().next().unwrap().versions[0];
        let error = stored.published(first).unwrap_err();
        assert!(error.to_string().contains("checksum"), "{error}");
    }

    #[test]
    fn definitions_read_back_are_kept_in_a_bounded_cache() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = loaded();
        let (path, fingerprint) = compile(&catalog, dir.path());
        let (stored, _image) = Image::open(&path, &fingerprint).unwrap();
        let entry = stored.types().next().unwrap();
        let first = stored.published(&entry.versions[0]).unwrap();
        let again = stored.published(&entry.versions[0]).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "a second read is served from the cache"
        );
        assert_eq!(_image.cache.len(), CACHED_DEFINITIONS);
    }

    #[test]
    fn only_the_current_image_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = compile(&loaded(), dir.path());
        std::fs::write(dir.path().join("old.image"), "x").unwrap();
        std::fs::write(dir.path().join(".x.image.a1b2c3"), "x").unwrap();
        std::fs::write(dir.path().join("unrelated"), "x").unwrap();
        remove_others(dir.path(), &path);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let kept = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(left, vec![kept, "unrelated".to_string()]);
    }
}
