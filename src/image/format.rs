//! The image file's layout: a fixed header (magic, format, where the head is, the head's
//! SHA-256), then the blobs, then the head: JSON lines that say where every blob is and what
//! its bytes digest to. The head is checked whole when the image opens; a blob is checked
//! against its digest before its first use.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::catalog::{
    CatalogFiles, CatalogMeta, MediaType, Role, TypeId, TypeSummary, VersionEntry,
    files::FileContent,
};

/// Bumped whenever the layout or the meaning of a field changes.
/// 2: every blob has a digest (the gzip variants, extras and files too).
/// 3: each type's files sealed with its head; versions name their identifying media types;
///    a type's head carries its latest icon, which catalog cards show.
pub(super) const FORMAT: u32 = 3;
pub(super) const MAGIC: &[u8; 16] = b"typehouse-image\n";
/// Magic, format, padding, head offset, head length, head SHA-256.
pub(super) const HEADER_LEN: u64 = 16 + 4 + 4 + 8 + 8 + 32;

/// Where a blob is in the file: offset and length.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct Blob(pub(super) u64, pub(super) u64);

/// A blob and its digest: offset, length, [`digest`] of its bytes in hex.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SealedBlob(pub(super) u64, pub(super) u64, pub(super) String);

/// An answer: at its offset, the identity bytes, then their gzip variant; the ETag (the
/// hex of the first 128 bits of the identity's SHA-256, as [`strong_etag`] makes it), which
/// is also the identity's digest; and the gzip variant's digest.
///
/// [`strong_etag`]: crate::documents::strong_etag
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct BodyHead(
    pub(super) u64,
    pub(super) u64,
    pub(super) u64,
    pub(super) String,
    pub(super) String,
);

/// The first line of the head; a line per type follows, each a [`TypeHead`]. Lines are parsed
/// one at a time, so that opening never holds the whole head, parsed or not.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Head {
    pub(super) fingerprint: String,
    pub(super) meta: CatalogMeta,
    pub(super) definition_schema: Arc<Value>,
    pub(super) index: BodyHead,
    /// The files outside every type's folder (the catalog's root files), as [`encode_files`]
    /// writes them.
    pub(super) files: SealedBlob,
    pub(super) types: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TypeHead {
    pub(super) id: TypeId,
    pub(super) summary: TypeSummary,
    /// The summary's icon, which the summary itself does not serialize.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) icon_svg: Option<String>,
    pub(super) uses: Vec<UseHead>,
    pub(super) version_list: BodyHead,
    pub(super) versions: Vec<VersionHead>,
    /// The files of its folder, as [`encode_files`] writes them: a check of a submission
    /// reads the few folders it can reach.
    pub(super) files: SealedBlob,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct VersionHead {
    pub(super) entry: VersionEntry,
    /// The version's JSON document, which is also what its definition is read back from.
    pub(super) answer: BodyHead,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) schema: Option<BodyHead>,
    /// [`Extras`].
    pub(super) extras: SealedBlob,
}

/// A [`DeclaredUse`], as an array: the head has tens of thousands.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct UseHead(pub(super) MediaType, pub(super) Role, pub(super) bool);

/// What a definition is read back with besides its JSON document.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Extras {
    pub(super) path: String,
    /// How its config schema resolves; the document is the inline one or the schema answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) schema: Option<SchemaResolution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) icon_svg: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SchemaResolution {
    pub(super) base_uri: String,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub(super) known: HashMap<String, Value>,
}

pub(super) fn check_bounds(Blob(offset, len): Blob, file_len: u64) -> Result<(), String> {
    match offset.checked_add(len) {
        Some(end) if offset >= HEADER_LEN && end <= file_len => Ok(()),
        _ => Err(format!(
            "a blob at {offset} of {len} bytes lies outside the file"
        )),
    }
}

/// What a blob is checked against: the first 128 bits of its SHA-256, as an ETag is made. A
/// flipped bit changes it; an adversary who can write the file can write the head too.
pub(super) fn digest(bytes: &[u8]) -> [u8; 16] {
    let full = Sha256::digest(bytes);
    full[..16].try_into().expect("16 of 32 bytes")
}

/// Files as a blob: for each, its path's length, the path, its content's length, the content
/// (lengths as little-endian u64). Only files read as bytes are written: a checked, loaded
/// catalog has no file it could not read.
pub(super) fn encode_files<'a>(files: impl Iterator<Item = (&'a str, &'a FileContent)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, content) in files {
        if let FileContent::Bytes(bytes) = content {
            out.extend_from_slice(&(path.len() as u64).to_le_bytes());
            out.extend_from_slice(path.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        }
    }
    out
}

pub(super) fn decode_files(mut bytes: &[u8]) -> Option<CatalogFiles> {
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
