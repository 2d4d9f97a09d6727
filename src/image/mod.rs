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

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
pub use fingerprint::Fingerprint;
use format::{Blob, digest};
use memmap2::Mmap;

use crate::catalog::{DefinitionReadError, Published};

/// Definitions read back and kept, at most: each holds its compiled config schema once used,
/// some 30 times the schema's size and up to megabytes, so the cache is small and fixed. A
/// registry asks about a few types over and over; those stay.
const CACHED_DEFINITIONS: usize = 64;

/// Something to run once an image is found damaged: the service compiles it again.
pub type DamageHook = Box<dyn Fn() + Send + Sync>;

/// The image's file, shared by the image and every document read from it, with what is known
/// of its blobs.
struct ImageFile {
    /// The whole file, mapped: a lookup's answer is a slice of it, with no read and no copy
    /// of its own (docs/operations.md, "Memory").
    map: Mmap,
    path: PathBuf,
    /// One bit per sealed blob, set once its bytes matched their digest: a blob is checked
    /// before its first use and then trusted, so the lookup path stays a read.
    verified: OnceLock<Box<[AtomicU64]>>,
    damaged: AtomicBool,
    on_damage: OnceLock<DamageHook>,
}

/// A blob, its digest, and its bit in [`ImageFile::verified`].
#[derive(Debug, Clone, Copy)]
struct Sealed {
    offset: u64,
    len: u64,
    digest: [u8; 16],
    check: u32,
}

impl Sealed {
    fn blob(&self) -> Blob {
        Blob(self.offset, self.len)
    }
}

impl ImageFile {
    fn is_verified(&self, check: u32) -> bool {
        self.verified.get().is_some_and(|bits| {
            bits[(check / 64) as usize].load(Ordering::Relaxed) & (1 << (check % 64)) != 0
        })
    }

    fn mark_verified(&self, check: u32) {
        if let Some(bits) = self.verified.get() {
            bits[(check / 64) as usize].fetch_or(1 << (check % 64), Ordering::Relaxed);
        }
    }

    /// The bytes of `blob`. Every blob was checked to lie inside the file when the image was
    /// opened; this checks again rather than trust an offset.
    fn slice(&self, Blob(offset, len): Blob) -> io::Result<&[u8]> {
        usize::try_from(offset)
            .ok()
            .zip(usize::try_from(len).ok())
            .and_then(|(start, len)| self.map.get(start..start.checked_add(len)?))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("a blob at {offset} of {len} bytes lies outside the image"),
                )
            })
    }

    /// `sealed` whole, checked against its digest the first time.
    fn read_sealed(&self, sealed: &Sealed, what: &str) -> io::Result<&[u8]> {
        let bytes = self.slice(sealed.blob())?;
        if !self.is_verified(sealed.check) {
            if digest(bytes) != sealed.digest {
                return Err(self.damaged(sealed, what));
            }
            self.mark_verified(sealed.check);
        }
        Ok(bytes)
    }

    /// Checks `sealed` against its digest, unless it was already.
    fn verify(&self, sealed: &Sealed, what: &str) -> io::Result<()> {
        self.read_sealed(sealed, what).map(drop)
    }

    /// A blob did not match its digest: the file is damaged. It is logged and removed once,
    /// so that no later load opens it again, and the service is told, which compiles it anew.
    fn damaged(&self, sealed: &Sealed, what: &str) -> io::Error {
        if !self.damaged.swap(true, Ordering::SeqCst) {
            tracing::error!(
                path = %self.path.display(),
                what,
                offset = sealed.offset,
                len = sealed.len,
                "the catalog image is damaged: a blob does not match its digest; it is removed \
                 and compiled again"
            );
            if let Err(error) = std::fs::remove_file(&self.path) {
                tracing::warn!(path = %self.path.display(), %error, "cannot remove the damaged catalog image");
            }
            if let Some(hook) = self.on_damage.get() {
                hook();
            }
        }
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} in the catalog image does not match its digest"),
        )
    }
}

/// A document kept in an image: a slice of the map when it is sent, never copied out whole,
/// and checked against its digest before it is first sent.
#[derive(Clone)]
pub struct StoredDocument {
    file: Arc<ImageFile>,
    identity: Sealed,
    gzip: Sealed,
    pub content_type: &'static str,
}

impl StoredDocument {
    /// The ETags of the identity and the gzip variant, quoted, as [`Document::etags`] gives
    /// them for the same bytes.
    ///
    /// [`Document::etags`]: crate::documents::Document::etags
    pub fn etags(&self) -> StoredEtags {
        let mut etags = StoredEtags {
            identity: *b"\"________________________________\"",
            gzip: *b"\"________________________________-gz\"",
        };
        // Formatted in place, once for both: a lookup asks for them on every request.
        hex::encode_to_slice(self.identity.digest, &mut etags.identity[1..33])
            .expect("16 bytes are 32 hex digits");
        etags.gzip[1..33].copy_from_slice(&etags.identity[1..33]);
        etags
    }

    /// The length of the identity or the gzip variant.
    pub fn len(&self, gzip: bool) -> u64 {
        self.variant(gzip).len
    }

    /// The identity or the gzip variant whole, checked against its digest the first time: a
    /// slice of the mapped image, neither read nor copied.
    pub fn read(&self, gzip: bool) -> io::Result<Bytes> {
        let variant = self.variant(gzip);
        self.file.read_sealed(variant, "a stored answer")?;
        Ok(self.mapped(variant.offset, variant.len))
    }

    /// `len` bytes of the image from `offset` on, kept alive by the image file they lie in.
    fn mapped(&self, offset: u64, len: u64) -> Bytes {
        Bytes::from_owner(Mapped {
            file: Arc::clone(&self.file),
            blob: Blob(offset, len),
        })
    }

    /// Checks the identity or the gzip variant against its digest, unless it was already:
    /// call it before sending a variant in ranges, so that a damaged one is refused before
    /// its first byte is sent.
    pub fn verify(&self, gzip: bool) -> io::Result<()> {
        self.file.verify(self.variant(gzip), "a stored answer")
    }

    /// `len` bytes of the identity or the gzip variant from `from` on; the variant is
    /// checked whole first, unless it was already.
    pub fn read_range(&self, gzip: bool, from: u64, len: u64) -> io::Result<Bytes> {
        let variant = self.variant(gzip);
        if from.checked_add(len).is_none_or(|end| end > variant.len) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a range outside a stored document",
            ));
        }
        self.verify(gzip)?;
        Ok(self.mapped(variant.offset + from, len))
    }

    fn variant(&self, gzip: bool) -> &Sealed {
        if gzip { &self.gzip } else { &self.identity }
    }

    /// The identity bytes, checked against the ETag: what is parsed back must be what was
    /// written.
    pub fn bytes(&self) -> io::Result<Bytes> {
        self.read(false)
    }
}

/// The quoted ETags of a stored document's identity and gzip variant, as [`gzip_etag`](crate::documents::gzip_etag) derives
/// the second from the first.
pub struct StoredEtags {
    identity: [u8; 34],
    gzip: [u8; 37],
}

impl StoredEtags {
    pub fn identity(&self) -> &str {
        std::str::from_utf8(&self.identity).unwrap_or_default()
    }

    pub fn gzip(&self) -> &str {
        std::str::from_utf8(&self.gzip).unwrap_or_default()
    }
}

/// A blob of a mapped image as the owner of a [`Bytes`]. Its bounds were checked when the
/// image was opened, and the map never shrinks.
struct Mapped {
    file: Arc<ImageFile>,
    blob: Blob,
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        self.file.slice(self.blob).unwrap_or_default()
    }
}

struct StoredTypeDocuments {
    versions: Vec<StoredDocument>,
    schemas: Vec<Option<StoredDocument>>,
    version_list: StoredDocument,
    /// The files of its folder.
    files: Sealed,
}

/// Where a definition is read back from: its type and version, and its extras.
struct Slot {
    position: u32,
    version: u32,
    extras: Sealed,
}

/// One place of the definition cache: the slot it holds, and its definition.
type CacheCell = Mutex<Option<(u32, Arc<Published>)>>;

/// An opened image: the answers and definitions of one catalog.
pub struct Image {
    file: Arc<ImageFile>,
    index: StoredDocument,
    /// The files outside every type's folder.
    other_files: Sealed,
    /// By type position.
    types: Vec<StoredTypeDocuments>,
    /// By slot.
    slots: Vec<Slot>,
    cache: Vec<CacheCell>,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("path", &self.file.path)
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
        &self.file.path
    }

    /// Runs `hook` once a blob of this image turns out damaged (at once if one already
    /// has): the image's file is removed by then, so a load compiles it again.
    pub fn on_damage(&self, hook: DamageHook) {
        let _ = self.file.on_damage.set(hook);
        if self.file.damaged.load(Ordering::SeqCst) {
            if let Some(hook) = self.file.on_damage.get() {
                hook();
            }
        }
    }

    /// Whether a blob of this image did not match its digest.
    pub fn is_damaged(&self) -> bool {
        self.file.damaged.load(Ordering::SeqCst)
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
    use crate::catalog::{Catalog, CatalogFiles, DefinitionStore, Role};
    use crate::documents::{TypeDocuments, index_document, strong_etag, version_document};

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
        assert_eq!(gunzip(&stored.read(true).unwrap()), expected, "{what}");
        assert_eq!(stored.etags().identity(), strong_etag(expected), "{what}");
        assert_eq!(
            stored.etags().gzip(),
            crate::documents::gzip_etag(&strong_etag(expected)),
            "{what}"
        );
    }

    #[test]
    fn a_lazily_loaded_catalog_compiles_the_very_same_image() {
        let dir = tempfile::tempdir().unwrap();
        let files = CatalogFiles::embedded();
        let (path, fingerprint) = compile(&loaded(), dir.path());
        let eager = std::fs::read(&path).unwrap();
        let (lazy, warnings) =
            Catalog::load_lazily(Arc::new(files.clone())).expect("the shipped catalog loads");
        assert_eq!(warnings, Catalog::load(files).unwrap().1);
        assert!(lazy.is_stored());
        Image::write(&lazy, &fingerprint, &path).expect("the image is written");
        assert!(
            std::fs::read(&path).unwrap() == eager,
            "the two images differ"
        );
        let slots: usize = lazy.types().map(|t| t.versions.len()).sum();
        assert!(slots > 1);
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
        for entry in catalog.types() {
            let wanted = ["", entry.id.as_str()];
            assert_eq!(
                stored.files_in(wanted).unwrap(),
                catalog.files_in(wanted).unwrap(),
                "{}",
                entry.id
            );
        }
        assert_eq!(stored.identifying_claims(), catalog.identifying_claims());

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
        let Sealed { offset, len, .. } = image.definition(0, 0).unwrap().identity;
        let mut damaged = good.clone();
        damaged[(offset + len / 2) as usize] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        let first = &stored.types().next().unwrap().versions[0];
        let error = stored.published(first).unwrap_err();
        assert!(error.to_string().contains("digest"), "{error}");
    }

    /// A bit flipped in each kind of blob: the first use of the blob is an error, the image
    /// says it is damaged, removes its file and runs its hook once; nothing wrong is returned.
    #[test]
    fn a_flipped_bit_in_any_blob_is_found_before_the_blob_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = loaded();
        let (path, fingerprint) = compile(&catalog, dir.path());
        let good = std::fs::read(&path).unwrap();
        let (_, image) = Image::open(&path, &fingerprint).unwrap();
        // A type with a schema file, so that its schema has an answer of its own.
        let (position, version) = (0..image.types.len())
            .find_map(|p| {
                let schemas = &image.types[p].schemas;
                schemas.iter().position(Option::is_some).map(|v| (p, v))
            })
            .expect("a shipped type with a config schema answer");
        let definition = image.definition(position, version).unwrap();
        let schema = image.schema(position, version).unwrap().unwrap();
        let slot = image
            .slots
            .iter()
            .position(|s| s.position as usize == position && s.version as usize == version)
            .unwrap() as u32;
        let regions: Vec<(&str, Sealed)> = vec![
            ("index", image.index().identity),
            ("index gzip", image.index().gzip),
            ("definition answer", definition.identity),
            ("definition answer gzip", definition.gzip),
            ("version list", image.versions(position).unwrap().identity),
            ("version list gzip", image.versions(position).unwrap().gzip),
            ("schema", schema.identity),
            ("schema gzip", schema.gzip),
            ("extras", image.slots[slot as usize].extras),
            ("root files", image.other_files),
            ("type files", image.types[position].files),
        ];
        drop(image);
        for (what, region) in regions {
            for at in [
                region.offset,
                region.offset + region.len / 2,
                region.offset + region.len - 1,
            ] {
                let mut damaged = good.clone();
                damaged[at as usize] ^= 0x10;
                std::fs::write(&path, &damaged).unwrap();
                // Opening checks the head only: blobs are checked on first use.
                let (stored, image) = Image::open(&path, &fingerprint).unwrap();
                let hooked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                let counter = Arc::clone(&hooked);
                image.on_damage(Box::new(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                }));
                let document = |which: &str| -> (&StoredDocument, bool) {
                    let gzip = which.ends_with("gzip");
                    let document = match which.trim_end_matches(" gzip") {
                        "index" => image.index(),
                        "definition answer" => image.definition(position, version).unwrap(),
                        "version list" => image.versions(position).unwrap(),
                        "schema" => image.schema(position, version).unwrap().unwrap(),
                        other => unreachable!("{other}"),
                    };
                    (document, gzip)
                };
                let failed = match what {
                    "extras" => DefinitionStore::definition(&*image, slot)
                        .err()
                        .map(|e| e.to_string()),
                    "root files" => DefinitionStore::other_files(&*image)
                        .err()
                        .map(|e| e.to_string()),
                    "type files" => DefinitionStore::type_files(&*image, position)
                        .err()
                        .map(|e| e.to_string()),
                    answer => {
                        let (document, gzip) = document(answer);
                        // Both ways of sending it refuse it, and so does reading it back.
                        assert!(document.read_range(gzip, 0, 1).is_err(), "{what} at {at}");
                        assert!(document.verify(gzip).is_err(), "{what} at {at}");
                        document.read(gzip).err().map(|e| e.to_string())
                    }
                };
                let failed = failed.unwrap_or_else(|| panic!("{what} at {at}: no error"));
                assert!(failed.contains("digest"), "{what} at {at}: {failed}");
                assert!(image.is_damaged(), "{what} at {at}");
                assert!(
                    !path.exists(),
                    "{what} at {at}: the damaged file is removed"
                );
                assert_eq!(hooked.load(Ordering::SeqCst), 1, "{what} at {at}");
                // Found once: other blobs still answer, and the hook does not run again.
                if what != "index" && what != "index gzip" {
                    image.index().read(false).unwrap();
                }
                assert_eq!(hooked.load(Ordering::SeqCst), 1, "{what} at {at}");
                drop((stored, image));
            }
        }
        // The undamaged image checks each blob once and then trusts it.
        std::fs::write(&path, &good).unwrap();
        let (_, image) = Image::open(&path, &fingerprint).unwrap();
        let index = image.index();
        assert!(!image.file.is_verified(index.identity.check));
        assert_eq!(
            index.read(false).unwrap(),
            good[index.identity.blob().0 as usize..][..index.identity.len as usize]
        );
        assert!(image.file.is_verified(index.identity.check));
        assert!(!image.file.is_verified(index.gzip.check));
        index.verify(true).unwrap();
        assert!(image.file.is_verified(index.gzip.check));
        assert!(!image.is_damaged());
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
    fn answers_are_slices_of_the_mapped_image_not_copies() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = loaded();
        let (path, fingerprint) = compile(&catalog, dir.path());
        let file = std::fs::read(&path).unwrap();
        let (_, image) = Image::open(&path, &fingerprint).unwrap();
        let map = image.file.map.as_ptr_range();
        let answer = image.definition(0, 0).unwrap();
        for gzip in [false, true] {
            let (first, again) = (answer.read(gzip).unwrap(), answer.read(gzip).unwrap());
            assert!(map.contains(&first.as_ptr()), "gzip {gzip}: inside the map");
            assert_eq!(
                first.as_ptr(),
                again.as_ptr(),
                "gzip {gzip}: the same bytes"
            );
            let at = answer.variant(gzip).offset as usize;
            assert_eq!(&first[..], &file[at..at + first.len()], "gzip {gzip}");
            let range = answer.read_range(gzip, 1, 2).unwrap();
            assert_eq!(range.as_ptr(), first[1..].as_ptr(), "gzip {gzip}: a range");
        }
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
