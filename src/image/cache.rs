//! The definitions an image reads back, kept in a small fixed cache.

use std::sync::Arc;

use super::format::decode_files;
use super::{Image, Sealed};
use crate::catalog::{CatalogFiles, DefinitionReadError, DefinitionStore, Published};

impl DefinitionStore for Image {
    fn definition(&self, slot: u32) -> Result<Arc<Published>, DefinitionReadError> {
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

    fn type_files(&self, position: usize) -> Result<CatalogFiles, DefinitionReadError> {
        let sealed = self
            .types
            .get(position)
            .map(|documents| &documents.files)
            .ok_or_else(|| DefinitionReadError(format!("no type at position {position}")))?;
        self.read_files(sealed, "a type's files")
    }

    fn other_files(&self) -> Result<CatalogFiles, DefinitionReadError> {
        self.read_files(&self.other_files, "the catalog's root files")
    }
}

impl Image {
    /// A files blob, checked against its digest, decoded.
    fn read_files(&self, sealed: &Sealed, what: &str) -> Result<CatalogFiles, DefinitionReadError> {
        let bytes = self
            .file
            .read_sealed(sealed, what)
            .map_err(|error| DefinitionReadError(error.to_string()))?;
        decode_files(bytes).ok_or_else(|| DefinitionReadError(format!("{what} do not decode")))
    }
}
