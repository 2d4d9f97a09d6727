//! The catalog domain: definitions, media types, versions, checking and classification.
//! Nothing here knows of HTTP, storage or templates.

pub mod changes;
pub mod check;
pub mod classify;
pub mod command;
pub mod compat;
pub mod definition;
pub mod diagnostic;
pub mod files;
pub mod load;
pub mod locate;
pub mod media_type;
pub mod outline;
pub mod parallel;
pub mod reference;
pub mod rules;
pub mod schema;
pub mod summary;
pub mod type_id;
pub mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use definition::{Condition, Definition, Status};
pub use diagnostic::{Diagnostic, Severity};
pub use files::CatalogFiles;
pub use media_type::MediaType;
pub use summary::TypeSummary;
pub use type_id::TypeId;

use schema::ConfigSchema;

/// `catalog.yaml`: the catalog release itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogMeta {
    pub name: String,
    pub version: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

/// One published version of a type, checked and compiled.
#[derive(Debug)]
pub struct Published {
    pub id: TypeId,
    /// Relative path of the version file, e.g. `cncf/helm-chart/1.0.0.yaml`.
    pub path: String,
    pub definition: Definition,
    pub config_schema: Option<ConfigSchema>,
    pub icon_svg: Option<String>,
    /// The action templates split into shell words, in the order of `definition.actions`.
    pub commands: Vec<command::CommandTemplate>,
}

impl Published {
    /// The templates of `definition`'s actions, split once as the definition is loaded.
    pub fn commands_of(definition: &Definition) -> Vec<command::CommandTemplate> {
        definition
            .actions
            .iter()
            .map(|a| command::split(&a.command))
            .collect()
    }

    pub fn version(&self) -> &Version {
        &self.definition.version
    }
}

/// What answering a lookup needs of one version, always at hand; the whole definition is
/// reached through [`Catalog::published`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionEntry {
    pub version: Version,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_by: Option<TypeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    /// Its `match` conditions: resolution and classification weigh them for every type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The identifying media types it claims, as the rule `identifying-unique` reads them:
    /// kept so a check of a submission finds the types it can clash with without reading
    /// every definition back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifying: Vec<MediaType>,
    #[serde(skip)]
    source: Source,
}

/// Where a version's definition is.
#[derive(Debug, Clone, Default)]
enum Source {
    Loaded(Arc<Published>),
    /// In the catalog's [`DefinitionStore`], at this slot.
    Stored(u32),
    /// Only while a stored catalog is being put together.
    #[default]
    Unset,
}

impl VersionEntry {
    fn loaded(published: Arc<Published>) -> Self {
        let definition = &published.definition;
        Self {
            version: definition.version.clone(),
            status: definition.status,
            deprecated_by: definition.deprecated_by.clone(),
            sunset: definition.sunset.clone(),
            conditions: definition.conditions.clone(),
            identifying: load::identifying_media_types(definition)
                .into_iter()
                .map(|(media_type, _)| media_type.clone())
                .collect(),
            source: Source::Loaded(published),
        }
    }

    /// This entry, its definition kept at `slot` of the catalog's store.
    pub fn stored_at(mut self, slot: u32) -> Self {
        self.source = Source::Stored(slot);
        self
    }

    pub fn version(&self) -> &Version {
        &self.version
    }
}

/// Every version of one type, newest first.
#[derive(Debug)]
pub struct TypeEntry {
    pub id: TypeId,
    pub versions: Vec<VersionEntry>,
    /// Its place in the catalog's id order, set when the catalog is built: lets the answers
    /// kept for each type live in a plain vector.
    pub position: usize,
}

impl TypeEntry {
    /// A type of loaded versions (newest first), its summary and the media types its latest
    /// version declares.
    fn loaded(id: TypeId, versions: Vec<Arc<Published>>) -> (Self, TypeSummary, Vec<DeclaredUse>) {
        let entry = TypeEntry {
            id,
            versions: versions.into_iter().map(VersionEntry::loaded).collect(),
            position: 0,
        };
        let Source::Loaded(latest) = &entry.latest().source else {
            unreachable!("built from loaded versions")
        };
        let summary = TypeSummary::of(&entry.id, latest);
        let declared = DeclaredUse::of(&latest.definition);
        (entry, summary, declared)
    }

    /// The newest version that is not a prerelease (or the newest, if all are).
    pub fn latest(&self) -> &VersionEntry {
        &self.versions[self.latest_index()]
    }

    /// [`latest`](Self::latest)'s index in `versions`.
    fn latest_index(&self) -> usize {
        self.versions
            .iter()
            .position(|v| v.version.pre.is_empty())
            .unwrap_or(0)
    }

    /// An exact version (`1.2.0`) or the newest matching a requirement (`^1`, `>=1.1, <2`).
    pub fn select(&self, wanted: &str) -> Result<Option<&VersionEntry>, semver::Error> {
        if let Ok(exact) = Version::parse(wanted) {
            return Ok(self.versions.iter().find(|v| v.version == exact));
        }
        let requirement = VersionReq::parse(wanted)?;
        Ok(self
            .versions
            .iter()
            .find(|v| requirement.matches(&v.version)))
    }
}

/// Where the definitions of a stored catalog are read from, one at a time (see
/// `image`): a catalog served from its compiled image keeps only its index in memory.
pub trait DefinitionStore: Send + Sync + std::fmt::Debug {
    fn definition(&self, slot: u32) -> Result<Arc<Published>, DefinitionReadError>;
    /// The files of the folder of the type at `position`.
    fn type_files(&self, position: usize) -> Result<CatalogFiles, DefinitionReadError>;
    /// The files outside every type's folder: the catalog's root files.
    fn other_files(&self) -> Result<CatalogFiles, DefinitionReadError>;
}

/// A version file's definition, when it reads as one.
pub fn definition_of_bytes(bytes: &[u8]) -> Option<Definition> {
    let document = load::parse_yaml(std::str::from_utf8(bytes).ok()?).ok()?;
    serde_json::from_value(document).ok()
}

/// Normalized identifying media type -> the types that claim it in any of their versions.
pub type Claims = HashMap<String, Vec<TypeId>>;

/// The maps every lookup goes through, hashed with foldhash rather than SipHash: their keys
/// come from the catalog, and a request only reads them, so there is no flood of colliding
/// keys to fear, and hashing a media type was a visible part of a lookup.
type LookupMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A stored definition or file could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the compiled catalog cannot be read: {0}")]
pub struct DefinitionReadError(pub String);

/// How a media type is used by a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    ArtifactType,
    Config,
    Layer,
    Alias,
    ManifestMediaType,
}

/// Every use of one media type, and the type a plain lookup of it finds.
#[derive(Debug, Default)]
struct Uses {
    list: Vec<MediaTypeUse>,
    /// The position of the type the media type [`resolve`](Catalog::resolve)s to, when it
    /// resolves to one type, not as an alias: see [`Catalog::plain_lookup`].
    resolves_to: Option<u32>,
}

/// Positions and version indexes are kept in 32 bits where a lookup reads them: a catalog
/// of four billion types or versions would not load anyway.
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).expect("fewer than 2^32 types and versions")
}

#[derive(Debug, Clone)]
pub struct MediaTypeUse {
    pub id: TypeId,
    /// The type's [`TypeEntry::position`]: resolving a lookup key follows it instead of
    /// searching the types by id.
    position: usize,
    pub role: Role,
    pub identifying: bool,
    /// The catalog's spelling.
    pub media_type: MediaType,
}

/// What a lookup key (`/types/{key}`) names.
#[derive(Debug)]
pub enum Resolution<'a> {
    Type(&'a TypeEntry),
    /// An older or alternative media type of this type: answer with a redirect.
    Alias(&'a TypeEntry),
    /// Several types share the media type and `match` conditions tell them apart.
    Ambiguous(Vec<&'a TypeEntry>),
    NotFound,
}

/// A media type as one type declares it, with its role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeclaredUse {
    pub media_type: MediaType,
    pub role: Role,
    pub identifying: bool,
}

impl DeclaredUse {
    /// The media types a definition declares, in the order lookups weigh them.
    pub fn of(definition: &Definition) -> Vec<Self> {
        let mut found = Vec::new();
        let mut add = |media_type: &MediaType, role: Role, identifying: bool| {
            found.push(Self {
                media_type: media_type.clone(),
                role,
                identifying,
            })
        };
        if let Some(artifact_type) = &definition.artifact_type {
            add(artifact_type, Role::ArtifactType, true);
        }
        if let Some(config) = &definition.config {
            add(&config.media_type, Role::Config, config.identifying);
        }
        for layer in &definition.layers {
            for media_type in layer.all_media_types() {
                add(media_type, Role::Layer, layer.identifying);
            }
        }
        for alias in &definition.aliases {
            add(alias, Role::Alias, true);
        }
        for manifest in &definition.manifest_media_types {
            add(manifest, Role::ManifestMediaType, false);
        }
        found
    }
}

/// One type as a stored catalog is rebuilt from.
pub struct StoredType {
    pub id: TypeId,
    /// Newest first, each [`VersionEntry::stored_at`] its slot.
    pub versions: Vec<VersionEntry>,
    pub summary: TypeSummary,
    /// Of its latest version.
    pub uses: Vec<DeclaredUse>,
}

/// Where the definitions of a catalog live.
#[derive(Debug, Clone)]
enum Definitions {
    /// Loaded from files, all in memory (as `check` and `build` have them).
    Loaded(Arc<CatalogFiles>),
    /// Read back one at a time from a store (as `serve` has them).
    Stored(Arc<dyn DefinitionStore>),
}

/// A loaded, checked catalog: read-only, swapped whole on reload.
#[derive(Debug)]
pub struct Catalog {
    pub meta: CatalogMeta,
    /// Ordered by id; `positions` finds one by id.
    types: Vec<TypeEntry>,
    /// By position, the latest version of each type as lists and the index show it.
    summaries: Vec<TypeSummary>,
    positions: LookupMap<TypeId, usize>,
    uses: LookupMap<String, Uses>,
    /// By position, the index of the version a plain lookup answers with (the latest), unless
    /// it is deprecated: such an answer carries headers of its own.
    plain_versions: Vec<Option<u32>>,
    pub definition_schema: Arc<Value>,
    definitions: Definitions,
    /// Which types claim each identifying media type, over every version.
    claims: Claims,
    /// The vendors and the tags, each sorted and once: the catalog page offers them as filters
    /// on every request.
    vendors_and_tags: OnceLock<(Vec<String>, Vec<String>)>,
}

impl Catalog {
    /// Loads and checks `files`; errors are every diagnostic when any is an error.
    pub fn load(files: CatalogFiles) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        let loaded = load::load(&files);
        match loaded.catalog {
            Some(mut catalog) => {
                catalog.definitions = Definitions::Loaded(Arc::new(files));
                Ok((catalog, loaded.diagnostics))
            }
            None => Err(loaded.diagnostics),
        }
    }

    /// Loads and checks `files` as [`load`](Self::load) does, with the same diagnostics, into
    /// a catalog that holds no definition: each is parsed again from `files` when asked for
    /// (see [`load::load_lazily`]). For compiling an image, which reads each once.
    pub fn load_lazily(
        files: Arc<CatalogFiles>,
    ) -> Result<(Self, Vec<Diagnostic>), Vec<Diagnostic>> {
        let loaded = load::load_lazily(files);
        match loaded.catalog {
            Some(catalog) => Ok((catalog, loaded.diagnostics)),
            None => Err(loaded.diagnostics),
        }
    }

    /// A catalog loaded and checked before, whose definitions `store` holds.
    pub fn stored(
        meta: CatalogMeta,
        definition_schema: Arc<Value>,
        types: Vec<StoredType>,
        store: Arc<dyn DefinitionStore>,
    ) -> Self {
        let mut entries = Vec::with_capacity(types.len());
        let mut summaries = Vec::with_capacity(types.len());
        let mut uses = Vec::with_capacity(types.len());
        for stored in types {
            entries.push(TypeEntry {
                id: stored.id,
                versions: stored.versions,
                position: 0,
            });
            summaries.push(stored.summary);
            uses.push(stored.uses);
        }
        Self::assemble(
            meta,
            entries,
            summaries,
            uses,
            definition_schema,
            Definitions::Stored(store),
        )
    }

    fn new(
        meta: CatalogMeta,
        types: BTreeMap<TypeId, Vec<Arc<Published>>>,
        definition_schema: Value,
    ) -> Self {
        let mut entries = Vec::with_capacity(types.len());
        let mut summaries = Vec::with_capacity(types.len());
        let mut uses = Vec::with_capacity(types.len());
        for (id, versions) in types {
            let (entry, summary, declared) = TypeEntry::loaded(id, versions);
            summaries.push(summary);
            uses.push(declared);
            entries.push(entry);
        }
        Self::assemble(
            meta,
            entries,
            summaries,
            uses,
            Arc::new(definition_schema),
            Definitions::Loaded(Arc::default()),
        )
    }

    fn assemble(
        meta: CatalogMeta,
        mut types: Vec<TypeEntry>,
        summaries: Vec<TypeSummary>,
        declared: Vec<Vec<DeclaredUse>>,
        definition_schema: Arc<Value>,
        definitions: Definitions,
    ) -> Self {
        let mut positions = LookupMap::with_capacity_and_hasher(types.len(), Default::default());
        for (position, entry) in types.iter_mut().enumerate() {
            entry.position = position;
            positions.insert(entry.id.clone(), position);
        }
        let mut uses: LookupMap<String, Uses> = LookupMap::default();
        for (entry, declared) in types.iter().zip(declared) {
            for DeclaredUse {
                media_type,
                role,
                identifying,
            } in declared
            {
                let list = &mut uses
                    .entry(media_type.normalized().to_string())
                    .or_default()
                    .list;
                if !list.iter().any(|u| u.id == entry.id && u.role == role) {
                    list.push(MediaTypeUse {
                        id: entry.id.clone(),
                        position: entry.position,
                        role,
                        identifying: identifying && !media_type.is_empty_config(),
                        media_type,
                    });
                }
            }
        }
        let mut claims = Claims::new();
        for entry in &types {
            for media_type in entry.versions.iter().flat_map(|v| &v.identifying) {
                let users = claims
                    .entry(media_type.normalized().to_string())
                    .or_default();
                if !users.contains(&entry.id) {
                    users.push(entry.id.clone());
                }
            }
        }
        let plain_versions = types
            .iter()
            .map(|entry| {
                let latest = entry.latest_index();
                let deprecated = entry.versions[latest].status == Status::Deprecated;
                (!deprecated).then(|| index_u32(latest))
            })
            .collect();
        for uses in uses.values_mut() {
            if let Resolution::Type(entry) = resolve_media_type(&types, &uses.list) {
                uses.resolves_to = Some(index_u32(entry.position));
            }
        }
        Self {
            meta,
            types,
            summaries,
            positions,
            uses,
            plain_versions,
            definition_schema,
            definitions,
            claims,
            vendors_and_tags: OnceLock::new(),
        }
    }

    /// The whole definition of a version: at hand for a loaded catalog, read back from the
    /// store for a stored one.
    pub fn published(&self, version: &VersionEntry) -> Result<Arc<Published>, DefinitionReadError> {
        match (&version.source, &self.definitions) {
            (Source::Loaded(published), _) => Ok(Arc::clone(published)),
            (Source::Stored(slot), Definitions::Stored(store)) => store.definition(*slot),
            _ => Err(DefinitionReadError(format!(
                "version {} has no definition in this catalog",
                version.version
            ))),
        }
    }

    /// The files the catalog was loaded from, whole.
    pub fn files(&self) -> Result<Arc<CatalogFiles>, DefinitionReadError> {
        match &self.definitions {
            Definitions::Loaded(files) => Ok(Arc::clone(files)),
            Definitions::Stored(store) => {
                let mut all = store.other_files()?;
                for entry in &self.types {
                    all.extend(store.type_files(entry.position)?);
                }
                Ok(Arc::new(all))
            }
        }
    }

    /// The files outside every type's folder.
    pub fn other_files(&self) -> Result<CatalogFiles, DefinitionReadError> {
        match &self.definitions {
            Definitions::Loaded(files) => {
                Ok(files.filtered(&|path: &str| self.get_str(files::folder_of(path)).is_none()))
            }
            Definitions::Stored(store) => store.other_files(),
        }
    }

    /// The files of `folders` (`vendor/name` for a type's folder, `""` for the root files),
    /// from memory or read back from the store a folder at a time: a check of one submission
    /// reads a few folders, not the whole catalog. A folder the catalog lacks has no files.
    pub fn files_in<'a>(
        &self,
        folders: impl IntoIterator<Item = &'a str>,
    ) -> Result<CatalogFiles, DefinitionReadError> {
        let mut found = CatalogFiles::default();
        for folder in folders {
            match (&self.definitions, folder) {
                (Definitions::Loaded(files), "") => {
                    found.extend(files.filtered(&|path: &str| files::folder_of(path).is_empty()))
                }
                (Definitions::Loaded(files), folder) => {
                    for (path, content) in files.in_folder(folder) {
                        found.insert_content(path, content.clone());
                    }
                }
                (Definitions::Stored(store), "") => found.extend(store.other_files()?),
                (Definitions::Stored(store), folder) => {
                    if let Some(entry) = self.get_str(folder) {
                        found.extend(store.type_files(entry.position)?);
                    }
                }
            }
        }
        Ok(found)
    }

    /// Which types claim each identifying media type, over every version (as the rule
    /// `identifying-unique` reads them), so that a check of a submission looks up the few
    /// types it can clash with.
    pub fn identifying_claims(&self) -> &Claims {
        &self.claims
    }

    /// Whether the definitions are read back from a store rather than held in memory.
    pub fn is_stored(&self) -> bool {
        matches!(self.definitions, Definitions::Stored(_))
    }

    /// The summary of a type's latest version.
    pub fn summary(&self, entry: &TypeEntry) -> &TypeSummary {
        &self.summaries[entry.position]
    }

    /// Every type's summary, ordered by id.
    pub fn summaries(&self) -> &[TypeSummary] {
        &self.summaries
    }

    /// The vendors of the catalog's types, sorted, each once.
    pub fn vendors(&self) -> &[String] {
        &self.vendors_and_tags().0
    }

    /// The tags of the types' latest versions, sorted, each once.
    pub fn tags(&self) -> &[String] {
        &self.vendors_and_tags().1
    }

    fn vendors_and_tags(&self) -> &(Vec<String>, Vec<String>) {
        self.vendors_and_tags.get_or_init(|| {
            let mut vendors: Vec<String> = Vec::new();
            // Types are in id order, so a vendor's types (`vendor/...`) are next to each other;
            // `acme-b/` sorts before `acme/`, so the vendors are sorted once more.
            for entry in &self.types {
                if vendors.last().map(String::as_str) != Some(entry.id.vendor()) {
                    vendors.push(entry.id.vendor().to_string());
                }
            }
            vendors.sort_unstable();
            let tags: std::collections::BTreeSet<&str> = self
                .summaries
                .iter()
                .flat_map(|summary| summary.tags.iter().map(String::as_str))
                .collect();
            (vendors, tags.into_iter().map(String::from).collect())
        })
    }

    pub fn get(&self, id: &TypeId) -> Option<&TypeEntry> {
        self.positions
            .get(id)
            .map(|&position| &self.types[position])
    }

    pub fn get_str(&self, id: &str) -> Option<&TypeEntry> {
        self.positions
            .get(id)
            .map(|&position| &self.types[position])
    }

    /// All types, ordered by id.
    pub fn types(&self) -> impl ExactSizeIterator<Item = &TypeEntry> {
        self.types.iter()
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// Every use of a media type, compared case-insensitively and without parameters.
    pub fn uses_of(&self, media_type: &str) -> &[MediaTypeUse] {
        self.uses
            .get(media_type::normalize_borrowed(media_type).as_ref())
            .map_or(&[], |uses| uses.list.as_slice())
    }

    /// The type (its position) and the version (its index) a plain lookup of `key` answers
    /// with (`GET /types/{key}`, no version asked), when `key` is exactly a type id or a
    /// normalized media type that [`resolve`](Self::resolve)s to one type, and that type's
    /// latest version is not deprecated: then that version's answer is the whole answer. Found
    /// without reading the type's entry or its versions, a cache miss each on a large catalog;
    /// `None` says nothing about `key`.
    pub fn plain_lookup(&self, key: &str) -> Option<(usize, usize)> {
        let position = match self.positions.get(key) {
            Some(&position) => position,
            None => self.uses.get(key)?.resolves_to? as usize,
        };
        let version = self.plain_versions[position]?;
        Some((position, version as usize))
    }

    /// Every media type some type uses, normalized, in no particular order.
    pub fn media_types(&self) -> impl Iterator<Item = &str> {
        self.uses.keys().map(String::as_str)
    }

    /// The types a media type identifies, with whether it does so as an alias.
    pub fn identified_by(&self, media_type: &str) -> Vec<(&TypeEntry, Role)> {
        identified_among(&self.types, self.uses_of(media_type))
    }

    /// Resolves a type id or an identifying media type.
    pub fn resolve(&self, key: &str) -> Resolution<'_> {
        if let Some(entry) = self.get_str(key) {
            return Resolution::Type(entry);
        }
        resolve_media_type(&self.types, self.uses_of(key))
    }
}

/// The types `uses` (of one media type) identify, with whether each does so as an alias.
fn identified_among<'t>(
    types: &'t [TypeEntry],
    uses: &[MediaTypeUse],
) -> Vec<(&'t TypeEntry, Role)> {
    let mut found: Vec<(&TypeEntry, Role)> = Vec::new();
    for usage in uses.iter().filter(|u| u.identifying) {
        let entry = &types[usage.position];
        match found.iter_mut().find(|(e, _)| e.position == entry.position) {
            // An alias role never hides a canonical one for the same type.
            Some(existing) if existing.1 == Role::Alias => existing.1 = usage.role,
            Some(_) => {}
            None => found.push((entry, usage.role)),
        }
    }
    found
}

/// What a lookup of a media type with these `uses` names.
fn resolve_media_type<'t>(types: &'t [TypeEntry], uses: &[MediaTypeUse]) -> Resolution<'t> {
    // Most media types identify one type: that answer needs no list of candidates.
    let mut identifying = uses.iter().filter(|u| u.identifying);
    let Some(first) = identifying.next() else {
        return Resolution::NotFound;
    };
    if identifying.clone().all(|u| u.position == first.position) {
        let entry = &types[first.position];
        // An alias role never hides a canonical one for the same type.
        return if first.role == Role::Alias && identifying.all(|u| u.role == Role::Alias) {
            Resolution::Alias(entry)
        } else {
            Resolution::Type(entry)
        };
    }
    let found = identified_among(types, uses);
    fn pick((entry, role): (&TypeEntry, Role)) -> Resolution<'_> {
        if role == Role::Alias {
            Resolution::Alias(entry)
        } else {
            Resolution::Type(entry)
        }
    }
    match found.len() {
        0 => Resolution::NotFound,
        1 => pick(found[0]),
        _ => {
            // Types that share a media type are told apart by `match`; the one without
            // conditions is the general case a plain lookup means.
            let fallback: Vec<_> = found
                .iter()
                .filter(|(e, _)| e.latest().conditions.is_empty())
                .copied()
                .collect();
            if fallback.len() == 1 {
                pick(fallback[0])
            } else {
                Resolution::Ambiguous(found.into_iter().map(|(e, _)| e).collect())
            }
        }
    }
}
