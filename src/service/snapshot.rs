//! A served catalog: the catalog and its answers, computed in memory or stored in an image.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use crate::catalog::{Catalog, DefinitionReadError, TypeEntry, TypeSummary, VersionEntry};
use crate::documents::{Document, TypeDocuments, definition_schema, index_document, search_index};
use crate::image::{DamageHook, Image, StoredDocument};

/// A loaded catalog and its request-independent answers.
pub struct Snapshot {
    pub catalog: Catalog,
    pub definition_schema: Document,
    answers: Answers,
    /// Built from the summaries on its first request, by either kind of snapshot.
    search_index: OnceLock<Document>,
    pub loaded_at: SystemTime,
    /// The fingerprint of the files it was loaded from, where known.
    pub fingerprint: Option<String>,
}

enum Answers {
    /// The index is built before it serves; a type's answers on its first request, then
    /// kept: serializing all of them up front cost seconds of start-up and hundreds of
    /// megabytes on a large catalog, most of it for types nobody asked about.
    Computed {
        index: Document,
        /// By [`TypeEntry::position`].
        types: Vec<OnceLock<TypeDocuments>>,
    },
    /// Serialized when the image was compiled, read from it on request.
    Stored(Arc<Image>),
}

/// One answer, ready to send.
pub enum Answer<'a> {
    Document(&'a Document),
    Stored(&'a StoredDocument),
}

impl Snapshot {
    /// A snapshot of a catalog held in memory; answers are serialized as they are asked for.
    pub fn build(catalog: Catalog) -> Self {
        // The one large body: compressed now, so the first gzip request does not wait.
        let index = Document::json(&index_document(&catalog)).precompute();
        let definition_schema = definition_schema(&catalog);
        let types = catalog.types().map(|_| OnceLock::new()).collect();
        Self {
            catalog,
            definition_schema,
            answers: Answers::Computed { index, types },
            search_index: OnceLock::new(),
            loaded_at: SystemTime::now(),
            fingerprint: None,
        }
    }

    /// A snapshot served from a compiled image: `catalog` is the image's.
    pub fn from_image(catalog: Catalog, image: Arc<Image>) -> Self {
        Self {
            definition_schema: definition_schema(&catalog),
            catalog,
            answers: Answers::Stored(image),
            search_index: OnceLock::new(),
            loaded_at: SystemTime::now(),
            fingerprint: None,
        }
    }

    /// This snapshot, known to hold the files of `fingerprint`.
    pub fn with_fingerprint(mut self, fingerprint: String) -> Self {
        self.fingerprint = Some(fingerprint);
        self
    }

    /// Runs `hook` once a blob of this snapshot's image turns out damaged; a snapshot held in
    /// memory has no image to damage.
    pub fn on_damage(&self, hook: DamageHook) {
        if let Answers::Stored(image) = &self.answers {
            image.on_damage(hook);
        }
    }

    /// Whether this snapshot answers from a compiled image (else from memory).
    pub fn is_stored(&self) -> bool {
        matches!(self.answers, Answers::Stored(_))
    }

    /// Whether this snapshot's image turned out damaged (and is being compiled again).
    pub fn is_damaged(&self) -> bool {
        matches!(&self.answers, Answers::Stored(image) if image.is_damaged())
    }

    /// `/index.json`.
    pub fn index(&self) -> Answer<'_> {
        match &self.answers {
            Answers::Computed { index, .. } => Answer::Document(index),
            Answers::Stored(image) => Answer::Stored(image.index()),
        }
    }

    /// `/search-index.json`, compressed with its first request.
    pub fn search_index(&self) -> &Document {
        self.search_index
            .get_or_init(|| search_index(&self.catalog).precompute())
    }

    /// The answer to a plain lookup of `key` (`GET /types/{key}`, no version asked) from a
    /// stored catalog, when [`Catalog::plain_lookup`] finds it: the same answer as
    /// [`definition`](Self::definition) of that version, without the type's entry. `None` says
    /// nothing about the key; resolve it.
    pub fn latest_answer(&self, key: &str) -> Option<&StoredDocument> {
        let Answers::Stored(image) = &self.answers else {
            return None;
        };
        let (position, version) = self.catalog.plain_lookup(key)?;
        image.definition(position, version).ok()
    }

    /// The definition document of one version of `entry`.
    pub fn definition(
        &self,
        entry: &TypeEntry,
        version: &VersionEntry,
    ) -> Result<Answer<'_>, DefinitionReadError> {
        match &self.answers {
            Answers::Computed { .. } => {
                let answers = self.computed(entry)?;
                Ok(Answer::Document(&answers.versions[&version.version]))
            }
            Answers::Stored(image) => image
                .definition(entry.position, version_index(entry, version))
                .map(Answer::Stored),
        }
    }

    /// The list of `entry`'s versions.
    pub fn versions(&self, entry: &TypeEntry) -> Result<Answer<'_>, DefinitionReadError> {
        match &self.answers {
            Answers::Computed { .. } => Ok(Answer::Document(&self.computed(entry)?.version_list)),
            Answers::Stored(image) => image.versions(entry.position).map(Answer::Stored),
        }
    }

    /// The config schema of one version, if it has one.
    pub fn schema(
        &self,
        entry: &TypeEntry,
        version: &VersionEntry,
    ) -> Result<Option<Answer<'_>>, DefinitionReadError> {
        match &self.answers {
            Answers::Computed { .. } => Ok(self
                .computed(entry)?
                .schemas
                .get(&version.version)
                .map(Answer::Document)),
            Answers::Stored(image) => Ok(image
                .schema(entry.position, version_index(entry, version))?
                .map(Answer::Stored)),
        }
    }

    /// The answers of a type of an in-memory catalog, serialized on first use.
    fn computed(&self, entry: &TypeEntry) -> Result<&TypeDocuments, DefinitionReadError> {
        let Answers::Computed { types, .. } = &self.answers else {
            return Err(DefinitionReadError(
                "answers of a stored catalog are read from its image".into(),
            ));
        };
        debug_assert!(
            self.catalog
                .get(&entry.id)
                .is_some_and(|own| std::ptr::eq(own, entry)),
            "entries come from this snapshot's catalog"
        );
        let slot = &types[entry.position];
        if let Some(answers) = slot.get() {
            return Ok(answers);
        }
        let answers = TypeDocuments::render(&self.catalog, entry)?;
        Ok(slot.get_or_init(|| answers))
    }

    pub fn summaries(&self) -> impl Iterator<Item = &TypeSummary> + '_ {
        self.catalog.summaries().iter()
    }
}

/// Where `version` is among `entry`'s versions (it is one of them).
fn version_index(entry: &TypeEntry, version: &VersionEntry) -> usize {
    entry
        .versions
        .iter()
        .position(|v| v.version == version.version)
        .unwrap_or(0)
}
