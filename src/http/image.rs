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

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::body::{
    CachePolicy, Compression, JSON, SCHEMA_JSON, gzip, gzip_etag, respond_with, strong_etag,
};
use super::state::{index_document, schema_bytes, version_document, version_list_document};
use crate::catalog::definition::{Definition, SchemaSource};
use crate::catalog::files::{FileContent, Listed};
use crate::catalog::schema::{ConfigSchema, SchemaParts};
use crate::catalog::{
    Catalog, CatalogFiles, CatalogMeta, DeclaredUse, DefinitionStore, MediaType, Published, Role,
    StoreReadError, StoredType, TypeId, TypeSummary, VersionEntry,
};

/// Bumped whenever the layout or the meaning of a field changes.
const FORMAT: u32 = 1;
const MAGIC: &[u8; 16] = b"typehouse-image\n";
/// Magic, format, padding, head offset, head length, head SHA-256.
const HEADER_LEN: u64 = 16 + 4 + 4 + 8 + 8 + 32;
/// Definitions read back and kept, at most: each holds its compiled config schema once used,
/// some 30 times the schema's size and up to megabytes, so the cache is small and fixed. A
/// registry asks about a few types over and over; those stay.
const CACHED_DEFINITIONS: usize = 64;

/// Where a blob is in the file: offset and length.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Blob(u64, u64);

/// An answer: at its offset, the identity bytes, then their gzip variant; and the ETag (the
/// hex of the first 128 bits of the identity's SHA-256, as [`strong_etag`] makes it).
#[derive(Debug, Serialize, Deserialize)]
struct BodyHead(u64, u64, u64, String);

/// The first line of the head; a line per type follows, each a [`TypeHead`]. Lines are parsed
/// one at a time, so that opening never holds the whole head, parsed or not.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    fingerprint: String,
    meta: CatalogMeta,
    definition_schema: Arc<Value>,
    index: BodyHead,
    files: Blob,
    types: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeHead {
    id: TypeId,
    summary: TypeSummary,
    uses: Vec<UseHead>,
    version_list: BodyHead,
    versions: Vec<VersionHead>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VersionHead {
    entry: VersionEntry,
    /// The version's JSON document, which is also what its definition is read back from.
    answer: BodyHead,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schema: Option<BodyHead>,
    /// [`Extras`].
    extras: Blob,
}

/// A [`DeclaredUse`], as an array: the head has tens of thousands.
#[derive(Debug, Serialize, Deserialize)]
struct UseHead(MediaType, Role, bool);

/// What a definition is read back with besides its JSON document.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extras {
    path: String,
    /// How its config schema resolves; the document is the inline one or the schema answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schema: Option<SchemaResolution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    icon_svg: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaResolution {
    base_uri: String,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    known: HashMap<String, Value>,
}

/// An answer kept in an image: sent from the file, never held in memory.
pub struct StoredBody {
    file: Arc<File>,
    offset: u64,
    identity_len: u32,
    gzip_len: u32,
    etag: [u8; 16],
    content_type: &'static str,
}

impl StoredBody {
    pub fn respond(&self, request: &HttpRequest, policy: CachePolicy) -> HttpResponse {
        let identity = format!("\"{}\"", hex(&self.etag));
        let gzip = gzip_etag(&identity);
        respond_with(
            request,
            policy,
            self.content_type,
            (&identity, &gzip),
            |gzip| {
                let blob = if gzip { self.gzip() } else { self.identity() };
                if blob.1 <= CHUNK {
                    return read(&self.file, blob).map(|bytes| BoxBody::new(Bytes::from(bytes)));
                }
                Ok(BoxBody::new(FileRange {
                    file: Arc::clone(&self.file),
                    offset: blob.0,
                    remaining: blob.1,
                    size: blob.1,
                }))
            },
        )
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
        if strong_etag(&bytes) != format!("\"{}\"", hex(&self.etag)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a stored answer does not match its checksum",
            ));
        }
        Ok(bytes)
    }
}

/// Larger answers (the index) are sent in chunks of this size, read as the connection takes
/// them: a hundred clients fetching an 8 MB index do not hold a hundred copies of it, only a
/// chunk or two each.
const CHUNK: u64 = 64 * 1024;

/// A stretch of the image file as a response body.
struct FileRange {
    file: Arc<File>,
    offset: u64,
    remaining: u64,
    size: u64,
}

impl MessageBody for FileRange {
    type Error = io::Error;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.size)
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let len = self.remaining.min(CHUNK);
        // A read of the page cache, as nginx's are: short enough not to need a thread.
        let chunk = read(&self.file, Blob(self.offset, len));
        if chunk.is_ok() {
            self.offset += len;
            self.remaining -= len;
        } else {
            self.remaining = 0;
        }
        Poll::Ready(Some(chunk.map(Bytes::from)))
    }
}

struct StoredTypeAnswers {
    versions: Vec<StoredBody>,
    schemas: Vec<Option<StoredBody>>,
    version_list: StoredBody,
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
    index: StoredBody,
    files: Blob,
    /// By type position.
    types: Vec<StoredTypeAnswers>,
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
    pub fn index(&self) -> &StoredBody {
        &self.index
    }

    pub fn definition(
        &self,
        position: usize,
        version: usize,
    ) -> Result<&StoredBody, StoreReadError> {
        self.types
            .get(position)
            .and_then(|t| t.versions.get(version))
            .ok_or_else(|| {
                StoreReadError(format!("no answer for type {position} version {version}"))
            })
    }

    pub fn versions(&self, position: usize) -> Result<&StoredBody, StoreReadError> {
        self.types
            .get(position)
            .map(|t| &t.version_list)
            .ok_or_else(|| StoreReadError(format!("no answers for type {position}")))
    }

    pub fn schema(
        &self,
        position: usize,
        version: usize,
    ) -> Result<Option<&StoredBody>, StoreReadError> {
        self.types
            .get(position)
            .and_then(|t| t.schemas.get(version))
            .map(Option::as_ref)
            .ok_or_else(|| {
                StoreReadError(format!("no answer for type {position} version {version}"))
            })
    }

    /// Compiles `catalog` (loaded from files) into an image at `path`, written whole to a
    /// temporary file first and renamed into place once durable: a crash never leaves a
    /// half-written image under the final name.
    pub fn write(catalog: &Catalog, fingerprint: &str, path: &Path) -> io::Result<()> {
        let temporary = path.with_extension(format!("image.{}.tmp", std::process::id()));
        let written = write_to(catalog, fingerprint, &temporary);
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(error);
        }
        std::fs::rename(&temporary, path)?;
        if let Some(dir) = path.parent() {
            // The rename is durable once the directory is.
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Opens the image at `path`, which must be the one of `fingerprint`; gives its catalog,
    /// whose definitions are read from the image.
    pub fn open(path: &Path, fingerprint: &str) -> Result<(Catalog, Arc<Self>), ImageError> {
        let io_error = |source| ImageError::Io {
            path: path.to_path_buf(),
            source,
        };
        let invalid = |reason: String| ImageError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        if file_len < HEADER_LEN {
            return Err(invalid("shorter than its header".into()));
        }
        let mut header = [0u8; HEADER_LEN as usize];
        file.read_exact_at(&mut header, 0).map_err(io_error)?;
        if &header[..16] != MAGIC {
            return Err(invalid("not an image file".into()));
        }
        let format = u32::from_le_bytes(header[16..20].try_into().expect("4 bytes"));
        if format != FORMAT {
            return Err(invalid(format!(
                "format {format}, this build reads {FORMAT}"
            )));
        }
        let head_offset = u64::from_le_bytes(header[24..32].try_into().expect("8 bytes"));
        let head_len = u64::from_le_bytes(header[32..40].try_into().expect("8 bytes"));
        check_bounds(Blob(head_offset, head_len), file_len).map_err(invalid)?;
        let mut reader = file.try_clone().map_err(io_error)?;
        reader
            .seek(SeekFrom::Start(head_offset))
            .map_err(io_error)?;
        let mut lines = BufReader::with_capacity(
            1 << 18,
            HashingReader {
                inner: reader.take(head_len),
                hasher: Sha256::new(),
            },
        );
        let mut line = Vec::new();
        let mut next_line = |line: &mut Vec<u8>| -> Result<(), ImageError> {
            line.clear();
            lines.read_until(b'\n', line).map_err(io_error)?;
            Ok(())
        };
        next_line(&mut line)?;
        let head: Head = serde_json::from_slice(&line)
            .map_err(|error| invalid(format!("its head does not parse: {error}")))?;
        if head.fingerprint != fingerprint {
            return Err(invalid("it was compiled from another catalog".into()));
        }

        let file = Arc::new(file);
        let body = |head: &BodyHead, content_type: &'static str| -> Result<StoredBody, String> {
            let BodyHead(offset, identity_len, gzip_len, etag) = head;
            let too_large = |_| "an answer is too large".to_string();
            let body = StoredBody {
                file: Arc::clone(&file),
                offset: *offset,
                identity_len: u32::try_from(*identity_len).map_err(too_large)?,
                gzip_len: u32::try_from(*gzip_len).map_err(too_large)?,
                etag: unhex(etag).ok_or_else(|| format!("`{etag}` is not an ETag digest"))?,
                content_type,
            };
            check_bounds(body.identity(), file_len)?;
            check_bounds(body.gzip(), file_len)?;
            Ok(body)
        };
        let index = body(&head.index, JSON).map_err(invalid)?;
        check_bounds(head.files, file_len).map_err(invalid)?;
        let mut answers = Vec::with_capacity(head.types);
        let mut slots = Vec::new();
        let mut types = Vec::with_capacity(head.types);
        for position in 0..head.types {
            next_line(&mut line)?;
            let type_head: TypeHead = serde_json::from_slice(&line)
                .map_err(|error| invalid(format!("its head does not parse: {error}")))?;
            let mut versions = Vec::with_capacity(type_head.versions.len());
            let mut version_answers = Vec::with_capacity(type_head.versions.len());
            let mut schemas = Vec::with_capacity(type_head.versions.len());
            for (index, version) in type_head.versions.into_iter().enumerate() {
                check_bounds(version.extras, file_len).map_err(invalid)?;
                let slot =
                    u32::try_from(slots.len()).map_err(|_| invalid("too many versions".into()))?;
                slots.push(Slot {
                    position: u32::try_from(position).unwrap_or(u32::MAX),
                    version: u32::try_from(index).unwrap_or(u32::MAX),
                    extras: version.extras,
                });
                version_answers.push(body(&version.answer, JSON).map_err(invalid)?);
                schemas.push(
                    version
                        .schema
                        .as_ref()
                        .map(|schema| body(schema, SCHEMA_JSON))
                        .transpose()
                        .map_err(invalid)?,
                );
                versions.push(version.entry.stored_at(slot));
            }
            if versions.is_empty() {
                return Err(invalid(format!("type {} has no versions", type_head.id)));
            }
            answers.push(StoredTypeAnswers {
                versions: version_answers,
                schemas,
                version_list: body(&type_head.version_list, JSON).map_err(invalid)?,
            });
            types.push(StoredType {
                id: type_head.id,
                versions,
                summary: type_head.summary,
                uses: type_head
                    .uses
                    .into_iter()
                    .map(|UseHead(media_type, role, identifying)| DeclaredUse {
                        media_type,
                        role,
                        identifying,
                    })
                    .collect(),
            });
        }
        // Whatever is left is hashed too: the checksum covers the whole head.
        io::copy(&mut lines, &mut io::sink()).map_err(io_error)?;
        if lines.into_inner().hasher.finalize().as_slice() != &header[40..72] {
            return Err(invalid("its head does not match its checksum".into()));
        }
        let image = Arc::new(Self {
            file,
            path: path.to_path_buf(),
            index,
            files: head.files,
            types: answers,
            slots,
            cache: (0..CACHED_DEFINITIONS).map(|_| Mutex::new(None)).collect(),
        });
        let catalog = Catalog::stored(
            head.meta,
            head.definition_schema,
            types,
            Arc::clone(&image) as Arc<dyn DefinitionStore>,
        );
        Ok((catalog, image))
    }

    /// A definition, from its JSON document (the answer) and its extras.
    fn read_definition(&self, slot: u32) -> Result<Published, StoreReadError> {
        let failed = |what: &str, error: &dyn std::fmt::Display| {
            StoreReadError(format!(
                "{what} of slot {slot} in {}: {error}",
                self.path.display()
            ))
        };
        let Slot {
            position,
            version,
            extras,
        } = self
            .slots
            .get(slot as usize)
            .ok_or_else(|| StoreReadError(format!("no definition at slot {slot}")))?;
        let (position, version) = (*position as usize, *version as usize);
        let answer = self.definition(position, version)?;
        let bytes = answer
            .bytes()
            .map_err(|error| failed("the document", &error))?;
        let mut document: Value =
            serde_json::from_slice(&bytes).map_err(|error| failed("the document", &error))?;
        if let Some(fields) = document.as_object_mut() {
            fields.shift_remove("id");
        }
        let definition =
            Definition::deserialize(document).map_err(|error| failed("the definition", &error))?;
        let extras = read(&self.file, *extras).map_err(|error| failed("the extras", &error))?;
        let extras: Extras =
            serde_json::from_slice(&extras).map_err(|error| failed("the extras", &error))?;

        let config_schema = match extras.schema {
            None => None,
            Some(resolution) => {
                let inline = definition
                    .config
                    .as_ref()
                    .and_then(|c| c.schema.as_ref())
                    .and_then(|schema| match schema {
                        SchemaSource::Inline(inline) => Some(Arc::clone(inline)),
                        SchemaSource::File(_) => None,
                    });
                let document = match inline {
                    Some(inline) => inline,
                    None => {
                        let answer = self.schema(position, version)?.ok_or_else(|| {
                            failed("the schema", &"a schema file without its answer")
                        })?;
                        let bytes = answer
                            .bytes()
                            .map_err(|error| failed("the schema", &error))?;
                        Arc::new(
                            serde_json::from_slice(&bytes)
                                .map_err(|error| failed("the schema", &error))?,
                        )
                    }
                };
                Some(ConfigSchema::from_parts(SchemaParts {
                    document,
                    base_uri: resolution.base_uri,
                    known: resolution.known,
                }))
            }
        };
        let id = extras
            .path
            .rsplit_once('/')
            .and_then(|(folder, _)| TypeId::parse(folder).ok())
            .ok_or_else(|| failed("the path", &extras.path))?;
        Ok(Published {
            id,
            path: extras.path,
            definition,
            config_schema,
            icon_svg: extras.icon_svg,
        })
    }
}

/// Hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let count = self.inner.read(buf)?;
        self.hasher.update(&buf[..count]);
        Ok(count)
    }
}

impl DefinitionStore for Image {
    fn definition(&self, slot: u32) -> Result<Arc<Published>, StoreReadError> {
        let cell = &self.cache[slot as usize % self.cache.len()];
        if let Some((cached, published)) = &*cell.lock().unwrap_or_else(|p| p.into_inner()) {
            if *cached == slot {
                return Ok(Arc::clone(published));
            }
        }
        let published = Arc::new(self.read_definition(slot)?);
        *cell.lock().unwrap_or_else(|p| p.into_inner()) = Some((slot, Arc::clone(&published)));
        Ok(published)
    }

    fn files(&self) -> Result<CatalogFiles, StoreReadError> {
        let bytes =
            read(&self.file, self.files).map_err(|error| StoreReadError(error.to_string()))?;
        decode_files(&bytes)
            .ok_or_else(|| StoreReadError("the stored catalog files do not decode".into()))
    }
}

fn check_bounds(Blob(offset, len): Blob, file_len: u64) -> Result<(), String> {
    match offset.checked_add(len) {
        Some(end) if offset >= HEADER_LEN && end <= file_len => Ok(()),
        _ => Err(format!(
            "a blob at {offset} of {len} bytes lies outside the file"
        )),
    }
}

fn read(file: &File, Blob(offset, len): Blob) -> io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(io::Error::other)?;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, offset)?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// The 16 bytes of an ETag digest from its 32 hex digits.
fn unhex(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (index, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// Appends blobs to the image file being written, or to a buffer of one type's blobs.
struct Writer<W> {
    out: W,
    offset: u64,
}

impl<W: Write> Writer<W> {
    fn blob(&mut self, bytes: &[u8]) -> io::Result<Blob> {
        self.out.write_all(bytes)?;
        let blob = Blob(self.offset, bytes.len() as u64);
        self.offset += blob.1;
        Ok(blob)
    }

    /// An answer: its bytes, their gzip variant and their ETag.
    fn body(&mut self, bytes: &[u8]) -> io::Result<BodyHead> {
        let identity = self.blob(bytes)?;
        let gzip = self.blob(&gzip(bytes, Compression::default()))?;
        let etag = strong_etag(bytes);
        Ok(BodyHead(
            identity.0,
            identity.1,
            gzip.1,
            etag.trim_matches('"').to_string(),
        ))
    }
}

/// One type's blobs, rendered into a buffer of their own: its head's offsets count from the
/// buffer's start until [`TypeHead::shift`] places them in the file.
struct Rendered {
    bytes: Vec<u8>,
    head: TypeHead,
}

impl TypeHead {
    fn shift(&mut self, base: u64) {
        let body = |body: &mut BodyHead| body.0 += base;
        body(&mut self.version_list);
        for version in &mut self.versions {
            body(&mut version.answer);
            if let Some(schema) = &mut version.schema {
                body(schema);
            }
            version.extras.0 += base;
        }
    }
}

fn render_type(catalog: &Catalog, entry: &crate::catalog::TypeEntry) -> io::Result<Rendered> {
    let failed = |error: StoreReadError| io::Error::other(error.to_string());
    let mut writer = Writer {
        out: Vec::new(),
        offset: 0,
    };
    let mut versions = Vec::with_capacity(entry.versions.len());
    for version in &entry.versions {
        let published = catalog.published(version).map_err(failed)?;
        let extras = Extras {
            path: published.path.clone(),
            schema: published.config_schema.as_ref().map(|schema| {
                let parts = schema.parts();
                SchemaResolution {
                    base_uri: parts.base_uri,
                    known: parts.known,
                }
            }),
            icon_svg: published.icon_svg.clone(),
        };
        let extras = serde_json::to_vec(&extras).map_err(io::Error::other)?;
        let answer =
            serde_json::to_vec_pretty(&version_document(&published)).map_err(io::Error::other)?;
        versions.push(VersionHead {
            entry: version.clone(),
            answer: writer.body(&answer)?,
            schema: schema_bytes(&published)
                .map(|bytes| writer.body(&bytes))
                .transpose()?,
            extras: writer.blob(&extras)?,
        });
    }
    let latest = catalog.published(entry.latest()).map_err(failed)?;
    let version_list = version_list_document(catalog, entry).map_err(failed)?;
    let version_list = serde_json::to_vec_pretty(&version_list).map_err(io::Error::other)?;
    let head = TypeHead {
        id: entry.id.clone(),
        summary: catalog.summary(entry).clone(),
        uses: DeclaredUse::of(&latest.definition)
            .into_iter()
            .map(|u| UseHead(u.media_type, u.role, u.identifying))
            .collect(),
        version_list: writer.body(&version_list)?,
        versions,
    };
    Ok(Rendered {
        bytes: writer.out,
        head,
    })
}

/// Types rendered at a time: enough to keep every core busy, few enough that their buffers
/// stay small.
const RENDER_BATCH: usize = 256;

fn write_to(catalog: &Catalog, fingerprint: &str, path: &Path) -> io::Result<()> {
    let failed = |error: StoreReadError| io::Error::other(error.to_string());
    let file = File::create(path)?;
    let mut writer = Writer {
        out: BufWriter::with_capacity(1 << 20, file),
        offset: 0,
    };
    writer.out.write_all(&[0; HEADER_LEN as usize])?;
    writer.offset = HEADER_LEN;

    // Rendering is mostly compressing: one thread per core, batch by batch, written in order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let entries: Vec<_> = catalog.types().collect();
    let mut types = Vec::with_capacity(catalog.len());
    for batch in entries.chunks(RENDER_BATCH) {
        let rendered: Vec<io::Result<Rendered>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(batch.len().div_ceil(threads))
                .map(|run| {
                    scope.spawn(move || {
                        run.iter()
                            .map(|entry| render_type(catalog, entry))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().expect("rendering does not panic"))
                .collect()
        });
        for rendered in rendered {
            let Rendered { bytes, mut head } = rendered?;
            head.shift(writer.offset);
            writer.out.write_all(&bytes)?;
            writer.offset += bytes.len() as u64;
            types.push(head);
        }
    }
    let index = serde_json::to_vec_pretty(&index_document(catalog)).map_err(io::Error::other)?;
    let index = writer.body(&index)?;
    let files = catalog.files().map_err(failed)?;
    let files = writer.blob(&encode_files(&files))?;
    let start = Head {
        fingerprint: fingerprint.to_string(),
        meta: catalog.meta.clone(),
        definition_schema: Arc::clone(&catalog.definition_schema),
        index,
        files,
        types: types.len(),
    };
    // Compact JSON escapes every newline in strings, so lines split it safely.
    let mut head = serde_json::to_vec(&start).map_err(io::Error::other)?;
    for type_head in &types {
        head.push(b'\n');
        serde_json::to_writer(&mut head, type_head).map_err(io::Error::other)?;
    }
    let head_blob = writer.blob(&head)?;

    let mut file = writer
        .out
        .into_inner()
        .map_err(|error| error.into_error())?;
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT.to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&head_blob.0.to_le_bytes());
    header.extend_from_slice(&head_blob.1.to_le_bytes());
    header.extend_from_slice(&Sha256::digest(&head));
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header)?;
    file.sync_all()
}

/// The catalog files, each as its path's length and path, then its length and bytes. A
/// loaded catalog has no file it could not read.
fn encode_files(files: &CatalogFiles) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, content) in files.iter() {
        if let FileContent::Bytes(bytes) = content {
            out.extend_from_slice(&(path.len() as u64).to_le_bytes());
            out.extend_from_slice(path.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        }
    }
    out
}

fn decode_files(mut bytes: &[u8]) -> Option<CatalogFiles> {
    fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
        if bytes.len() < len {
            return None;
        }
        let (taken, rest) = bytes.split_at(len);
        *bytes = rest;
        Some(taken)
    }
    fn length(bytes: &mut &[u8]) -> Option<usize> {
        let raw = take(bytes, 8)?;
        usize::try_from(u64::from_le_bytes(raw.try_into().ok()?)).ok()
    }
    let mut files = CatalogFiles::default();
    while !bytes.is_empty() {
        let path_len = length(&mut bytes)?;
        let path = std::str::from_utf8(take(&mut bytes, path_len)?)
            .ok()?
            .to_string();
        let len = length(&mut bytes)?;
        files.insert(path, take(&mut bytes, len)?.to_vec());
    }
    Some(files)
}

/// What an image is named after: the catalog's files (each path with the SHA-256 of its
/// content, in path order) and the binary that compiles it, whose answers may differ from
/// another build's.
pub struct Fingerprint {
    files: Vec<(String, [u8; 32])>,
}

impl Fingerprint {
    pub fn of(files: &CatalogFiles) -> Self {
        let mut fingerprint = Self { files: Vec::new() };
        for (path, content) in files.iter() {
            fingerprint.add(path, content);
        }
        fingerprint
    }

    /// Of the catalog in `dir`, read a file at a time: holding every file at once would take
    /// as much memory as the image saves.
    pub fn of_dir(dir: &Path) -> io::Result<Self> {
        let listed = CatalogFiles::list_dir(dir)?;
        // Reading tens of thousands of small files is mostly system calls: one thread per
        // core halves the time a restart spends here.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let run = listed.len().div_ceil(threads).max(1);
        let mut runs: Vec<Vec<(String, Listed)>> = Vec::new();
        let mut listed = listed.into_iter().peekable();
        while listed.peek().is_some() {
            runs.push(listed.by_ref().take(run).collect());
        }
        let files = std::thread::scope(|scope| {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|run| {
                    scope.spawn(move || {
                        let mut part = Self { files: Vec::new() };
                        for (path, listed) in run {
                            part.add(&path, &listed.content());
                        }
                        part.files
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().expect("hashing does not panic"))
                .collect()
        });
        Ok(Self { files })
    }

    fn add(&mut self, path: &str, content: &FileContent) {
        let mut hasher = Sha256::new();
        match content {
            FileContent::Bytes(bytes) => {
                hasher.update(b"B");
                hasher.update(bytes);
            }
            FileContent::TooLarge(len) => {
                hasher.update(b"L");
                hasher.update(len.to_le_bytes());
            }
            FileContent::Unreadable(reason) => {
                hasher.update(b"U");
                hasher.update(reason.as_bytes());
            }
        }
        self.files
            .push((path.to_string(), hasher.finalize().into()));
    }

    /// The hex digest.
    pub fn finish(mut self) -> String {
        self.files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut hasher = Sha256::new();
        hasher.update(FORMAT.to_le_bytes());
        hasher.update(build_identity().as_bytes());
        for (path, digest) in &self.files {
            hasher.update((path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update(digest);
        }
        hex(&hasher.finalize()[..16])
    }
}

/// This build: the crate version and the executable's size and modification time, so that a
/// rebuilt binary, which may answer differently, compiles its own images.
fn build_identity() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|meta| {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}:{modified}", meta.len())
        })
        .unwrap_or_default();
    format!("{}:{exe}", env!("CARGO_PKG_VERSION"))
}

/// Removes every image in `dir` but `keep`, and temporary files of interrupted writes.
pub fn remove_others(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path != keep && (name.ends_with(".image") || name.ends_with(".tmp")) {
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
    use crate::catalog::Role;
    use crate::http::state::TypeAnswers;

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

    fn assert_same_body(stored: &StoredBody, expected: &[u8], what: &str) {
        let identity = stored.bytes().unwrap();
        assert_eq!(identity, expected, "{what}");
        assert_eq!(
            gunzip(&read(&stored.file, stored.gzip()).unwrap()),
            expected,
            "{what}"
        );
        assert_eq!(
            format!("\"{}\"", hex(&stored.etag)),
            strong_etag(expected),
            "{what}"
        );
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
            let answers = TypeAnswers::render(&catalog, entry).unwrap();
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

    #[actix_web::test]
    async fn large_answers_are_sent_in_chunks_read_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let content: Vec<u8> = (0..(CHUNK as usize * 2 + 12_345))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut file_bytes = vec![7u8; HEADER_LEN as usize];
        file_bytes.extend_from_slice(&content);
        std::fs::write(&path, &file_bytes).unwrap();
        let range = FileRange {
            file: Arc::new(File::open(&path).unwrap()),
            offset: HEADER_LEN,
            remaining: content.len() as u64,
            size: content.len() as u64,
        };
        assert_eq!(range.size(), BodySize::Sized(content.len() as u64));
        let sent = actix_web::body::to_bytes(range).await.unwrap();
        assert_eq!(sent.as_ref(), content.as_slice());
    }

    #[test]
    fn only_the_current_image_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = compile(&loaded(), dir.path());
        std::fs::write(dir.path().join("old.image"), "x").unwrap();
        std::fs::write(dir.path().join("x.image.7.tmp"), "x").unwrap();
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
