//! Opening an image: the header and the head are checked before anything in the file is
//! trusted, and definitions are read back from their documents and extras.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, OnceLock};

use hex::FromHex;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::format::{
    Blob, BodyHead, Extras, FORMAT, HEADER_LEN, Head, MAGIC, SealedBlob, TypeHead, UseHead,
    check_bounds,
};
use super::{
    CACHED_DEFINITIONS, Image, ImageError, ImageFile, Sealed, Slot, StoredDocument,
    StoredTypeDocuments,
};
use crate::catalog::definition::{Definition, SchemaSource};
use crate::catalog::schema::{ConfigSchema, SchemaParts};
use crate::catalog::{
    Catalog, DeclaredUse, DefinitionReadError, DefinitionStore, Published, StoredType, TypeId,
    TypeSummary,
};
use crate::documents::{JSON, SCHEMA_JSON};

impl Image {
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

        let file = Arc::new(ImageFile {
            map: map(&file).map_err(io_error)?,
            path: path.to_path_buf(),
            verified: OnceLock::new(),
            damaged: AtomicBool::new(false),
            on_damage: OnceLock::new(),
        });
        // Each sealed blob gets the next bit of `verified`.
        let checks = std::cell::Cell::new(0u32);
        let seal = |SealedBlob(offset, len, hex): &SealedBlob| -> Result<Sealed, String> {
            check_bounds(Blob(*offset, *len), file_len)?;
            let check = checks.get();
            checks.set(check.checked_add(1).ok_or("too many blobs")?);
            Ok(Sealed {
                offset: *offset,
                len: *len,
                digest: <[u8; 16]>::from_hex(hex)
                    .map_err(|_| format!("`{hex}` is not a blob digest"))?,
                check,
            })
        };
        let body =
            |head: &BodyHead, content_type: &'static str| -> Result<StoredDocument, String> {
                let BodyHead(offset, identity_len, gzip_len, etag, gzip_digest) = head;
                let gzip_offset = offset
                    .checked_add(*identity_len)
                    .ok_or("an answer lies outside the file")?;
                Ok(StoredDocument {
                    file: Arc::clone(&file),
                    identity: seal(&SealedBlob(*offset, *identity_len, etag.clone()))?,
                    gzip: seal(&SealedBlob(gzip_offset, *gzip_len, gzip_digest.clone()))?,
                    content_type,
                })
            };
        let index = body(&head.index, JSON).map_err(invalid)?;
        let other_files = seal(&head.files).map_err(invalid)?;
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
                let extras = seal(&version.extras).map_err(invalid)?;
                let slot =
                    u32::try_from(slots.len()).map_err(|_| invalid("too many versions".into()))?;
                slots.push(Slot {
                    position: u32::try_from(position).unwrap_or(u32::MAX),
                    version: u32::try_from(index).unwrap_or(u32::MAX),
                    extras,
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
            answers.push(StoredTypeDocuments {
                versions: version_answers,
                schemas,
                version_list: body(&type_head.version_list, JSON).map_err(invalid)?,
                files: seal(&type_head.files).map_err(invalid)?,
            });
            types.push(StoredType {
                id: type_head.id,
                versions,
                summary: TypeSummary {
                    icon_svg: type_head.icon_svg.map(Arc::from),
                    ..type_head.summary
                },
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
        let words = checks.get().div_ceil(64) as usize;
        let _ = file
            .verified
            .set((0..words).map(|_| AtomicU64::new(0)).collect());
        let image = Arc::new(Self {
            file,
            index,
            other_files,
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
    pub(super) fn read_definition(&self, slot: u32) -> Result<Published, DefinitionReadError> {
        let failed = |what: &str, error: &dyn std::fmt::Display| {
            DefinitionReadError(format!(
                "{what} of slot {slot} in {}: {error}",
                self.file.path.display()
            ))
        };
        let Slot {
            position,
            version,
            extras,
        } = self
            .slots
            .get(slot as usize)
            .ok_or_else(|| DefinitionReadError(format!("no definition at slot {slot}")))?;
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
        let extras = self
            .file
            .read_sealed(extras, "the extras of a definition")
            .map_err(|error| failed("the extras", &error))?;
        let extras: Extras =
            serde_json::from_slice(extras).map_err(|error| failed("the extras", &error))?;

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
            commands: Published::commands_of(&definition),
            definition,
            config_schema,
            icon_svg: extras.icon_svg,
        })
    }
}

/// Maps `file` whole, read-only.
///
/// Unsafe (one of the crate's two places, docs/security.md): a map is sound only while nobody
/// changes the file under it. typehouse never does: an image is written once under a
/// temporary name and renamed into place, and an image replaced or removed stays whole for as
/// long as it is mapped. Changing an image in place is corruption (every blob is checked
/// against its digest before its first use); cutting it short while it is served would end
/// the process (docs/operations.md).
#[allow(unsafe_code)]
fn map(file: &File) -> io::Result<memmap2::Mmap> {
    // SAFETY: see above; the map is only ever read.
    unsafe { memmap2::MmapOptions::new().map(file) }
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
