//! The definitions an image reads back, kept in a small fixed cache.

use std::sync::Arc;

use super::Image;
use super::format::{decode_files, visit_files};
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

    fn files(&self) -> Result<CatalogFiles, DefinitionReadError> {
        let bytes = self
            .file
            .read_sealed(&self.files, "the catalog files")
            .map_err(|error| DefinitionReadError(error.to_string()))?;
        decode_files(&bytes)
            .ok_or_else(|| DefinitionReadError("the stored catalog files do not decode".into()))
    }

    fn visit_files(
        &self,
        want: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(&str, Vec<u8>),
    ) -> Result<(), DefinitionReadError> {
        // Checked against its digest once, whole, before any of it is used.
        self.file
            .verify(&self.files, "the catalog files")
            .and_then(|()| visit_files(&self.file.file, self.files.blob(), want, visit))
            .map_err(|error| DefinitionReadError(error.to_string()))
    }
}
