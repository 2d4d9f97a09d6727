//! What an image is named after: the catalog's content and the build that compiles it.

use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::format::FORMAT;
use crate::catalog::CatalogFiles;
use crate::catalog::files::FileContent;
use crate::catalog::parallel;

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
        let files = parallel::map_in_order(&listed, parallel::cores(), |(path, listed)| {
            (path.clone(), digest(&listed.content()))
        });
        Ok(Self { files })
    }

    fn add(&mut self, path: &str, content: &FileContent) {
        self.files.push((path.to_string(), digest(content)));
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
        hex::encode(&hasher.finalize()[..16])
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

/// What a file's content (or why it has none) adds to the fingerprint.
fn digest(content: &FileContent) -> [u8; 32] {
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
    hasher.finalize().into()
}
