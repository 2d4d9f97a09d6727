//! The static export (`typehouse build`): the catalog as plain files that any static host,
//! object store or CDN can serve, under any path prefix (every link is relative).
//!
//! The JSON files are the service's own precomputed answers, byte for byte: `index.json` is
//! what `GET /index.json` answers, `types/<id>/index.json` and `types/<id>/<version>.json` what
//! the service answers at those same paths. The HTML pages are the server's pages rendered with
//! links to files.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::catalog::reference::ReferenceInput;
use crate::catalog::{Catalog, DefinitionReadError};
use crate::documents::{Document, TypeDocuments, definition_schema, index_document, search_index};
use crate::pages::{self, Paths, assets};

/// What a build wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Built {
    pub files: usize,
    pub pages: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct BuildError {
    pub path: PathBuf,
    pub source: io::Error,
}

/// Writes the site for `catalog` into `out`, creating directories as needed.
pub fn build(catalog: Catalog, out: &Path) -> Result<Built, BuildError> {
    let catalog = &catalog;
    let mut site = Writer {
        out,
        built: Built { files: 0, pages: 0 },
    };

    site.file(
        "index.json",
        &Document::json(&index_document(catalog)).bytes,
    )?;
    site.file("definition.schema.json", &definition_schema(catalog).bytes)?;
    site.file("search-index.json", &search_index(catalog).bytes)?;
    for asset in assets::all() {
        site.file(&format!("static/{}", asset.file_name), asset.bytes)?;
    }

    // The whole catalog, a page per file; filtered pages are the script's.
    let every: Vec<_> = catalog.summaries().iter().collect();
    for page in 1..=pages::catalog::page_count(every.len()) {
        site.page(&Paths::catalog_page_file(page), |paths| {
            pages::catalog::render_page(catalog, &Default::default(), &every, page, paths)
        })?;
    }
    site.page("api/index.html", |paths| {
        pages::api::render_page(catalog, None, paths)
    })?;
    site.page("404.html", |paths| {
        pages::error::render_not_found_file(Some(&catalog.meta), paths)
    })?;

    for entry in catalog.types() {
        let id = entry.id.as_str();
        let unreadable = |error: DefinitionReadError| BuildError {
            path: out.join(format!("types/{id}")),
            source: io::Error::other(error),
        };
        let answers = TypeDocuments::render(catalog, entry).map_err(unreadable)?;
        let latest = catalog.published(entry.latest()).map_err(unreadable)?;
        let latest_version = latest.version();
        site.file(
            &format!("types/{id}/index.json"),
            &answers.versions[latest_version].bytes,
        )?;
        for (version, body) in &answers.versions {
            site.file(&format!("types/{id}/{version}.json"), &body.bytes)?;
        }
        if let Some(schema) = answers.schemas.get(latest_version) {
            site.file(&format!("types/{id}/schema.json"), &schema.bytes)?;
        }
        let html = pages::type_page::render_page(
            catalog,
            entry,
            &latest,
            &pages::type_page::ActionForm::new(ReferenceInput::default()),
            &Paths::site(&Paths::type_page_file(id)),
        )
        .map_err(unreadable)?;
        site.page(&Paths::type_page_file(id), |_| html)?;
    }

    let mut media_types: Vec<&str> = catalog.media_types().collect();
    media_types.sort_unstable();
    for media_type in media_types {
        site.page(&Paths::media_type_file(media_type), |paths| {
            pages::media_type::render_page(catalog, media_type, paths)
                .expect("every media type the catalog lists has a page")
        })?;
    }
    Ok(site.built)
}

struct Writer<'a> {
    out: &'a Path,
    built: Built,
}

impl Writer<'_> {
    /// Renders the page at `file` with links relative to it.
    fn page(
        &mut self,
        file: &str,
        render: impl FnOnce(&Paths) -> String,
    ) -> Result<(), BuildError> {
        let html = render(&Paths::site(file));
        self.file(file, html.as_bytes())?;
        self.built.pages += 1;
        Ok(())
    }

    fn file(&mut self, relative: &str, bytes: &[u8]) -> Result<(), BuildError> {
        let path = self.out.join(relative);
        let error = |source| BuildError {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(error)?;
        }
        fs::write(&path, bytes).map_err(error)?;
        self.built.files += 1;
        Ok(())
    }
}
