//! Opening a compiled catalog image from arbitrary bytes, and reading back everything in it:
//! every input is refused with a clear error, or opens and answers (a damaged blob as an
//! error), never a panic or an unbounded allocation.
//!
//! The head is checksummed, so mutated heads would almost never get past the checksum: for
//! inputs whose first byte is odd the checksum is made to match, so that the head's parser is
//! reached too. The fingerprint is the one the input's head names.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use typehouse::catalog::DefinitionStore;
use typehouse::image::Image;

/// Header: magic (16), format (4), padding (4), head offset (8), head length (8), SHA-256.
const HEADER_LEN: usize = 72;

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("typehouse-fuzz-{}.image", std::process::id()))
    })
}

fn head(data: &[u8]) -> Option<std::ops::Range<usize>> {
    let number = |at: usize| -> Option<usize> {
        usize::try_from(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?)).ok()
    };
    let (offset, len) = (number(24)?, number(32)?);
    let end = offset.checked_add(len)?;
    (end <= data.len() && offset >= HEADER_LEN).then_some(offset..end)
}

fuzz_target!(|input: &[u8]| {
    let Some((&choice, data)) = input.split_first() else {
        return;
    };
    let mut data = data.to_vec();
    let head = head(&data);
    if let Some(head) = &head
        && choice & 1 == 1
    {
        let digest = Sha256::digest(&data[head.clone()]);
        data[40..HEADER_LEN].copy_from_slice(&digest);
    }
    let fingerprint = head
        .and_then(|head| {
            let first = data[head].split(|b| *b == b'\n').next()?;
            let first: serde_json::Value = serde_json::from_slice(first).ok()?;
            first["fingerprint"].as_str().map(String::from)
        })
        .unwrap_or_default();
    std::fs::write(path(), &data).expect("the temporary image is written");
    let Ok((catalog, image)) = Image::open(path(), &fingerprint) else {
        return;
    };
    let _ = image.index().read(false);
    let _ = image.index().read(true);
    let _ = DefinitionStore::other_files(&*image);
    for entry in catalog.types() {
        let _ = DefinitionStore::type_files(&*image, entry.position);
        let _ = image.versions(entry.position).map(|list| list.read(true));
        for (index, version) in entry.versions.iter().enumerate() {
            let _ = image.definition(entry.position, index).map(|answer| answer.read(true));
            let _ = image.schema(entry.position, index).map(|schema| schema.map(|s| s.read(false)));
            let _ = catalog.published(version);
        }
    }
});
