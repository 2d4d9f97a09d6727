//! Compiling a catalog into an image: every type's documents rendered on every core, batch
//! by batch, and written in order behind a header that is filled in last.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use atomic_write_file::AtomicWriteFile;
use sha2::{Digest, Sha256};

use super::Image;
use super::format::{
    Blob, BodyHead, Extras, FORMAT, HEADER_LEN, Head, MAGIC, SchemaResolution, SealedBlob,
    TypeHead, UseHead, VersionHead, digest, encode_files,
};
use crate::catalog::parallel;
use crate::catalog::{Catalog, DeclaredUse, DefinitionReadError, TypeEntry};
use crate::documents::{
    Compression, gzip, index_bytes, schema_bytes, strong_etag, version_document, version_list_of,
};

impl Image {
    /// Compiles `catalog` (loaded from files) into an image at `path`, written whole to a
    /// temporary file first and renamed into place once durable: a crash never leaves a
    /// half-written image under the final name.
    pub fn write(catalog: &Catalog, fingerprint: &str, path: &Path) -> io::Result<()> {
        let mut file = AtomicWriteFile::open(path)?;
        match write_to(catalog, fingerprint, &mut file) {
            // Synced, renamed into place, the directory synced.
            Ok(()) => file.commit(),
            Err(error) => {
                let _ = file.discard();
                Err(error)
            }
        }
    }
}

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

    /// A blob and its digest.
    fn sealed(&mut self, bytes: &[u8]) -> io::Result<SealedBlob> {
        let Blob(offset, len) = self.blob(bytes)?;
        Ok(SealedBlob(offset, len, hex::encode(digest(bytes))))
    }

    /// An answer: its bytes, their gzip variant, their ETag and the gzip variant's digest.
    fn body(&mut self, bytes: &[u8]) -> io::Result<BodyHead> {
        let identity = self.blob(bytes)?;
        let compressed = gzip(bytes, Compression::default());
        let gzip = self.blob(&compressed)?;
        let etag = strong_etag(bytes);
        Ok(BodyHead(
            identity.0,
            identity.1,
            gzip.1,
            etag.trim_matches('"').to_string(),
            hex::encode(digest(&compressed)),
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
        self.files.0 += base;
    }
}

fn render_type(catalog: &Catalog, entry: &TypeEntry) -> io::Result<Rendered> {
    let failed = |error: DefinitionReadError| io::Error::other(error.to_string());
    let mut writer = Writer {
        out: Vec::new(),
        offset: 0,
    };
    let mut versions = Vec::with_capacity(entry.versions.len());
    // Each definition read once: a lazily loaded catalog parses it again on every read.
    let all_published = entry
        .versions
        .iter()
        .map(|version| catalog.published(version))
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    for (version, published) in entry.versions.iter().zip(&all_published) {
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
            serde_json::to_vec_pretty(&version_document(published)).map_err(io::Error::other)?;
        versions.push(VersionHead {
            entry: version.clone(),
            answer: writer.body(&answer)?,
            schema: schema_bytes(published)
                .map(|bytes| writer.body(&bytes))
                .transpose()?,
            extras: writer.sealed(&extras)?,
        });
    }
    let latest = entry
        .versions
        .iter()
        .position(|version| std::ptr::eq(version, entry.latest()))
        .map_or_else(
            || catalog.published(entry.latest()).map_err(failed),
            |at| Ok(Arc::clone(&all_published[at])),
        )?;
    let version_list = version_list_of(entry, &all_published);
    let version_list = serde_json::to_vec_pretty(&version_list).map_err(io::Error::other)?;
    let head = TypeHead {
        id: entry.id.clone(),
        summary: catalog.summary(entry).clone(),
        icon_svg: catalog.summary(entry).icon_svg.as_deref().map(String::from),
        uses: DeclaredUse::of(&latest.definition)
            .into_iter()
            .map(|u| UseHead(u.media_type, u.role, u.identifying))
            .collect(),
        version_list: writer.body(&version_list)?,
        versions,
        files: writer.sealed(&encode_files(
            catalog
                .files_in([entry.id.as_str()])
                .map_err(failed)?
                .iter(),
        ))?,
    };
    Ok(Rendered {
        bytes: writer.out,
        head,
    })
}

/// Types rendered at a time: enough to keep every core busy, few enough that their buffers
/// and definitions stay small (on 10,000 types, batches of 256 peaked 30 MB higher).
const RENDER_BATCH: usize = 64;

fn write_to(catalog: &Catalog, fingerprint: &str, file: &mut File) -> io::Result<()> {
    let failed = |error: DefinitionReadError| io::Error::other(error.to_string());
    let mut writer = Writer {
        out: BufWriter::with_capacity(1 << 20, file),
        offset: 0,
    };
    writer.out.write_all(&[0; HEADER_LEN as usize])?;
    writer.offset = HEADER_LEN;

    // Rendering is mostly compressing: one thread per core, batch by batch, written in order.
    let threads = parallel::cores();
    let entries: Vec<_> = catalog.types().collect();
    // The head's line of each type, serialized as it is rendered: the heads of every type
    // as values took several times their bytes.
    let mut type_lines = Vec::new();
    let mut type_count = 0;
    for batch in entries.chunks(RENDER_BATCH) {
        let rendered = parallel::map_in_order(batch, threads, |entry| render_type(catalog, entry));
        for rendered in rendered {
            let Rendered { bytes, mut head } = rendered?;
            head.shift(writer.offset);
            writer.out.write_all(&bytes)?;
            writer.offset += bytes.len() as u64;
            // Compact JSON escapes every newline in strings, so lines split it safely.
            type_lines.push(b'\n');
            serde_json::to_writer(&mut type_lines, &head).map_err(io::Error::other)?;
            type_count += 1;
        }
    }
    let index = writer.body(&index_bytes(catalog))?;
    let files = writer.sealed(&encode_files(catalog.other_files().map_err(failed)?.iter()))?;
    let start = Head {
        fingerprint: fingerprint.to_string(),
        meta: catalog.meta.clone(),
        definition_schema: Arc::clone(&catalog.definition_schema),
        index,
        files,
        types: type_count,
    };
    // The head is its start line and the types' lines, written and hashed one after the other.
    let start = serde_json::to_vec(&start).map_err(io::Error::other)?;
    let head_blob = Blob(writer.offset, (start.len() + type_lines.len()) as u64);
    writer.out.write_all(&start)?;
    writer.out.write_all(&type_lines)?;
    let head_digest = Sha256::new()
        .chain_update(&start)
        .chain_update(&type_lines)
        .finalize();

    let file = writer
        .out
        .into_inner()
        .map_err(|error| error.into_error())?;
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT.to_le_bytes());
    header.extend_from_slice(&[0; 4]);
    header.extend_from_slice(&head_blob.0.to_le_bytes());
    header.extend_from_slice(&head_blob.1.to_le_bytes());
    header.extend_from_slice(&head_digest);
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header)
}
