//! Reads a catalog's files into a [`Catalog`], applying every per-file and catalog-wide rule
//! of `typehouse check` on the way. Diagnostics are collected, never returned early, so one
//! run reports every problem.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use jsonschema::PatternCache;
use semver::Version;
use serde_json::Value;

use super::command::split;
use super::definition::{
    Condition, Definition, Layer, PLACEHOLDERS, SchemaSource, Status, placeholders,
};
use super::diagnostic::Diagnostic;
use super::files::{CatalogFiles, FileContent, MAX_FILE_BYTES, folder_of};
use super::locate::{Locations, first_duplicate_key};
use super::media_type::MediaType;
use super::schema::{ConfigSchema, definition_validator};
use super::type_id::TypeId;
use super::yaml::{self, YamlError, duplicate_key_message};
use super::{
    Catalog, CatalogMeta, DefinitionReadError, DefinitionStore, Published, StoredType, TypeEntry,
    rules,
};

pub const CATALOG_FILE: &str = "catalog.yaml";
pub const DEFINITION_SCHEMA_FILE: &str = "definition.schema.json";
/// The definition format this build implements.
pub const DEFINITION_SCHEMA: &str = include_str!("../../types/definition.schema.json");

/// The outcome of loading: a catalog when no error was found, and every diagnostic.
pub struct Loaded {
    pub catalog: Option<Catalog>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A version file parsed and checked, before catalog-wide rules.
pub struct ParsedVersion {
    pub id: TypeId,
    pub path: String,
    pub definition: Definition,
    pub config_schema: Option<ConfigSchema>,
}

/// The built-in definition schema, parsed and compiled once per process: a check, every
/// submission check and every reload load with it, and compiling it took longer than
/// checking a small catalog.
static BUILT_IN_DEFINITION_SCHEMA: LazyLock<(Value, jsonschema::Validator)> = LazyLock::new(|| {
    let schema: Value =
        serde_json::from_str(DEFINITION_SCHEMA).expect("the built-in definition schema is JSON");
    let validator = definition_validator(&schema).expect("the built-in definition schema compiles");
    (schema, validator)
});

/// What a load keeps of each version once the rules of its own file have run. Every load
/// keeps the facts the rules across folders read ([`TypeFacts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Everything: the catalog is built from it.
    Catalog,
    /// Nothing more; no catalog is built (see [`diagnostics`]).
    Diagnostics,
    /// Each type as a stored catalog holds it: the definitions are read again from the files
    /// when asked for (see [`load_lazily`]).
    Stored,
}

pub fn load(files: &CatalogFiles) -> Loaded {
    let checked = check_files(files, Keep::Catalog);
    let catalog = match checked.meta {
        Some(meta) if !checked.has_errors() => Some(build_catalog(
            meta,
            checked.parsed,
            BUILT_IN_DEFINITION_SCHEMA.0.clone(),
            files,
        )),
        _ => None,
    };
    Loaded {
        catalog,
        diagnostics: checked.diagnostics,
    }
}

/// What [`load`] finds, with a catalog whose definitions are not held: each is parsed again
/// from `files` when asked for, one at a time. For compiling an image, which reads each
/// definition once: a large catalog's parsed definitions take several times the memory of its
/// files, and this load drops each as soon as the rules of its file have run.
pub fn load_lazily(files: Arc<CatalogFiles>) -> Loaded {
    let checked = check_files(&files, Keep::Stored);
    let catalog = match checked.meta {
        Some(meta) if !checked.has_errors() => build_lazy(meta, checked.types, files),
        _ => None,
    };
    Loaded {
        catalog,
        diagnostics: checked.diagnostics,
    }
}

/// Every diagnostic [`load`] finds, without building the catalog: each version is dropped as
/// soon as the rules of its folder have run, but for the few facts the rules across folders
/// read, so that a check of a large catalog holds its files and little more.
pub fn diagnostics(files: &CatalogFiles) -> Vec<Diagnostic> {
    check_files(files, Keep::Diagnostics).diagnostics
}

/// What a check of the files found and kept.
struct Checked {
    meta: Option<CatalogMeta>,
    /// With [`Keep::Catalog`], every version; otherwise none.
    parsed: Vec<ParsedVersion>,
    /// With [`Keep::Stored`], every type.
    types: Vec<FolderType>,
    diagnostics: Vec<Diagnostic>,
}

impl Checked {
    fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

fn check_files(files: &CatalogFiles, keep: Keep) -> Checked {
    let mut diagnostics = Vec::new();
    let (definition_schema, validator) = &*BUILT_IN_DEFINITION_SCHEMA;

    let meta = load_meta(files, &mut diagnostics);
    match files.bytes(DEFINITION_SCHEMA_FILE) {
        // Present but too large or unreadable: reported with the other files.
        None if files.get(DEFINITION_SCHEMA_FILE).is_some() => {}
        None => diagnostics.push(Diagnostic::error(
            rules::CATALOG_FILE,
            DEFINITION_SCHEMA_FILE,
            "missing: the catalog root must hold definition.schema.json (copy it from typehouse's types/)",
        )),
        Some(bytes) if serde_json::from_slice::<Value>(bytes).ok().as_ref() != Some(definition_schema) => {
            diagnostics.push(Diagnostic::warning(
                rules::CATALOG_FILE,
                DEFINITION_SCHEMA_FILE,
                "differs from the definition format this typehouse implements; files were checked against the built-in one",
            ))
        }
        Some(_) => {}
    }

    let folders = group_by_folder(files, &mut diagnostics);
    let folders: Vec<(&String, &FolderFiles)> = folders.iter().collect();
    // One cache of compiled patterns for the whole load (see `ConfigSchema::compile_sharing`).
    let patterns = PatternCache::new();
    let Parsed {
        versions: parsed,
        diagnostics: found,
        commands,
        facts,
        types,
    } = parse_folders(files, &folders, validator, &patterns, keep);
    diagnostics.extend(found);
    diagnostics.extend(commands);

    check_catalog_wide(&facts, &mut diagnostics);
    locate_lines(files, &mut diagnostics);
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    Checked {
        meta,
        parsed,
        types,
        diagnostics,
    }
}

/// Parses and checks every type folder. Folders are independent until the catalog-wide rules,
/// so they are spread over one thread per core. Each thread takes the next batch of folders as
/// it finishes one (a thread that shares its core with other work takes fewer), and batches are
/// joined in folder order: the outcome is the same as one thread's.
fn parse_folders(
    files: &CatalogFiles,
    folders: &[(&String, &FolderFiles)],
    validator: &jsonschema::Validator,
    patterns: &PatternCache,
    keep: Keep,
) -> Parsed {
    let threads = super::parallel::cores()
        .min(folders.len() / MIN_FOLDERS_PER_THREAD)
        .max(1);
    if threads == 1 {
        return parse_some_folders(files, folders, validator, patterns, keep);
    }
    let batches: Vec<_> = folders.chunks(FOLDERS_PER_BATCH).collect();
    let done = super::parallel::map_in_order(&batches, threads, |batch| {
        parse_some_folders(files, batch, validator, patterns, keep)
    });
    let mut all = Parsed::default();
    for batch in done {
        all.versions.extend(batch.versions);
        all.diagnostics.extend(batch.diagnostics);
        all.commands.extend(batch.commands);
        all.facts.extend(batch.facts);
        all.types.extend(batch.types);
    }
    all
}

/// What checking some folders found: the problems, what the rules across folders read of
/// each type, and the versions ([`Keep::Catalog`]) or the types ([`Keep::Stored`]).
#[derive(Default)]
struct Parsed {
    versions: Vec<ParsedVersion>,
    diagnostics: Vec<Diagnostic>,
    /// The problems [`check_commands`] found, kept apart so that they follow every other
    /// file's problems, as a rule across a type's versions.
    commands: Vec<Diagnostic>,
    facts: Vec<TypeFacts>,
    types: Vec<FolderType>,
}

/// What the rules across folders ([`check_catalog_wide`]) read of a type, gathered with its
/// folder: a large catalog's parsed versions, even cut down to these fields, took more memory
/// than its files, and freeing them a tenth of a check.
struct TypeFacts {
    id: TypeId,
    /// Each identifying media type its versions claim, as the first version claiming it does.
    claims: Vec<MediaTypeClaim>,
    /// The file of each version that names a successor, and the successor.
    successors: Vec<(String, TypeId)>,
    /// The layers of its latest version, without their texts.
    latest_layers: Vec<Layer>,
    /// The match conditions of its latest version.
    latest_conditions: Vec<Condition>,
}

/// A type's claim on an identifying media type.
struct MediaTypeClaim {
    /// Normalized.
    media_type: Box<str>,
    /// The first file claiming it, and where in that file.
    path: String,
    pointer: String,
    /// Whether that version has match conditions.
    has_match: bool,
}

impl TypeFacts {
    /// The facts of a type from its versions; none when no version parsed.
    fn of(id: &TypeId, versions: &[ParsedVersion]) -> Option<Self> {
        let latest = versions
            .iter()
            .max_by(|a, b| a.definition.version.cmp(&b.definition.version))?;
        let mut claimed = HashSet::new();
        let mut claims = Vec::new();
        for version in versions {
            for (media_type, pointer) in identifying_media_types(&version.definition) {
                if claimed.insert(media_type.normalized()) {
                    claims.push(MediaTypeClaim {
                        media_type: media_type.normalized().into(),
                        path: version.path.clone(),
                        pointer,
                        has_match: !version.definition.conditions.is_empty(),
                    });
                }
            }
        }
        let successors = versions
            .iter()
            .filter_map(|version| {
                let successor = version.definition.deprecated_by.clone()?;
                Some((version.path.clone(), successor))
            })
            .collect();
        let latest_layers = latest
            .definition
            .layers
            .iter()
            .map(|layer| Layer {
                media_type: layer.media_type.clone(),
                media_types: layer.media_types.clone(),
                title: String::new(),
                required: layer.required,
                max_count: layer.max_count,
                description: None,
                identifying: layer.identifying,
            })
            .collect();
        Some(Self {
            id: id.clone(),
            claims,
            successors,
            latest_layers,
            latest_conditions: latest.definition.conditions.clone(),
        })
    }
}

/// A type as a stored catalog holds it, and where its definitions are read again from.
struct FolderType {
    /// Its versions' sources are set once the catalog's slots are numbered.
    stored: StoredType,
    /// The version file of each of `stored.versions`, in their order.
    version_files: Vec<String>,
    schema_files: Vec<String>,
}

/// Below this many folders per thread, a thread costs more than it saves.
const MIN_FOLDERS_PER_THREAD: usize = 64;

/// Folders a thread takes at a time: small enough to even out, large enough that taking one
/// costs nothing.
const FOLDERS_PER_BATCH: usize = 32;

fn parse_some_folders(
    files: &CatalogFiles,
    folders: &[(&String, &FolderFiles)],
    validator: &jsonschema::Validator,
    patterns: &PatternCache,
    keep: Keep,
) -> Parsed {
    let mut parsed = Vec::new();
    let mut diagnostics = Vec::new();
    let mut commands = Vec::new();
    let mut facts = Vec::new();
    let mut types = Vec::new();
    for (folder, folder_files) in folders {
        let Some(id) = check_folder_id(folder, &folder_files.version_files, &mut diagnostics)
        else {
            continue;
        };
        let siblings =
            read_schema_files(files, folder, &folder_files.schema_files, &mut diagnostics);
        for icon in &folder_files.icons {
            check_icon(files, &format!("{folder}/{icon}"), &mut diagnostics);
        }
        let mut folder_versions = Vec::new();
        for file_name in &folder_files.version_files {
            let path = format!("{folder}/{file_name}");
            let context = FolderContext {
                id: &id,
                folder,
                siblings: &siblings,
                files,
                patterns,
                checked: false,
            };
            if let Some(version) =
                parse_version_file(&path, file_name, &context, validator, &mut diagnostics)
            {
                folder_versions.push(version);
            }
        }
        // A type's versions are all in its folder, so its newest version is known here.
        check_commands(&folder_versions, &mut commands);
        facts.extend(TypeFacts::of(&id, &folder_versions));
        if keep == Keep::Stored && !folder_versions.is_empty() {
            types.push(folder_type(
                &id,
                &folder_versions,
                &folder_files.schema_files,
                files,
            ));
        }
        if keep == Keep::Catalog {
            parsed.extend(folder_versions);
        }
    }
    Parsed {
        versions: parsed,
        diagnostics,
        commands,
        facts,
        types,
    }
}

/// The type of one folder's versions, as [`build_catalog`] would make it, without its
/// definitions.
fn folder_type(
    id: &TypeId,
    versions: &[ParsedVersion],
    schema_files: &[String],
    files: &CatalogFiles,
) -> FolderType {
    let mut published: Vec<Arc<Published>> = versions
        .iter()
        .map(|version| {
            Arc::new(publish(
                ParsedVersion {
                    id: version.id.clone(),
                    path: version.path.clone(),
                    definition: version.definition.clone(),
                    config_schema: version.config_schema.clone(),
                },
                files,
            ))
        })
        .collect();
    sort_newest_first(&mut published);
    let version_files = published.iter().map(|p| p.path.clone()).collect();
    let (entry, summary, uses) = TypeEntry::loaded(id.clone(), published);
    FolderType {
        stored: StoredType {
            id: entry.id,
            // Unset until the catalog numbers its slots; the definitions are dropped here.
            versions: entry.versions.into_iter().map(|v| v.stored_at(0)).collect(),
            summary,
            uses,
        },
        version_files,
        schema_files: schema_files.to_vec(),
    }
}

fn load_meta(files: &CatalogFiles, diagnostics: &mut Vec<Diagnostic>) -> Option<CatalogMeta> {
    let Some(bytes) = files.bytes(CATALOG_FILE) else {
        // Present but too large or unreadable: reported with the other files.
        if files.get(CATALOG_FILE).is_none() {
            diagnostics.push(Diagnostic::error(
                rules::CATALOG_FILE,
                CATALOG_FILE,
                "missing: the catalog root must hold catalog.yaml with name, version, description and homepage",
            ));
        }
        return None;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        diagnostics.push(Diagnostic::error(
            rules::CATALOG_FILE,
            CATALOG_FILE,
            "not valid UTF-8",
        ));
        return None;
    };
    if let Some((key, line, column)) = first_duplicate_key(text) {
        diagnostics.push(
            Diagnostic::error(
                rules::CATALOG_FILE,
                CATALOG_FILE,
                duplicate_key_message(&key),
            )
            .at_line(line, Some(column)),
        );
        return None;
    }
    match serde_yaml::from_str::<CatalogMeta>(text) {
        Ok(meta) => Some(meta),
        Err(error) => {
            let mut diagnostic = Diagnostic::error(
                rules::CATALOG_FILE,
                CATALOG_FILE,
                yaml_error_message(&error),
            );
            if let Some(location) = error.location() {
                diagnostic = diagnostic.at_line(location.line(), Some(location.column()));
            }
            diagnostics.push(diagnostic);
            None
        }
    }
}

#[derive(Default)]
struct FolderFiles {
    version_files: Vec<String>,
    schema_files: Vec<String>,
    icons: Vec<String>,
}

/// Sorts files into type folders; anything that does not fit the layout is reported.
fn group_by_folder(
    files: &CatalogFiles,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, FolderFiles> {
    let mut folders: BTreeMap<String, FolderFiles> = BTreeMap::new();
    let mut current: Option<(&str, FolderFiles)> = None;
    for (path, content) in files.iter() {
        match content {
            FileContent::TooLarge(size) => {
                diagnostics.push(Diagnostic::error(
                    rules::FILE_TOO_LARGE,
                    path,
                    format!("{size} bytes; catalog files may be at most {MAX_FILE_BYTES} bytes"),
                ));
                continue;
            }
            FileContent::Unreadable(reason) => {
                diagnostics.push(Diagnostic::error(
                    rules::FILE_READ,
                    path,
                    format!("cannot be read: {reason}"),
                ));
                continue;
            }
            FileContent::Bytes(_) => {}
        }
        let mut parts = path.split('/');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(CATALOG_FILE | DEFINITION_SCHEMA_FILE), None, ..) => {}
            (Some(name), None, ..) if name.ends_with(".md") || name == "LICENSE" => {}
            (Some(_), Some(_), Some(file), None) => {
                let folder = folder_of(path);
                // Files come sorted, so a folder's files come one after the other.
                let entry = match &mut current {
                    Some((name, entry)) if *name == folder => entry,
                    _ => {
                        if let Some((name, entry)) = current.take() {
                            folders.insert(name.to_string(), entry);
                        }
                        &mut current.insert((folder, FolderFiles::default())).1
                    }
                };
                if file.ends_with(".schema.json") {
                    entry.schema_files.push((*file).to_string());
                } else if file.ends_with(".yaml") {
                    entry.version_files.push((*file).to_string());
                } else if file.ends_with(".svg") {
                    entry.icons.push((*file).to_string());
                } else if !file.ends_with(".md") {
                    diagnostics.push(Diagnostic::warning(
                        rules::LAYOUT,
                        path,
                        "unexpected file: a type folder holds <version>.yaml, *.schema.json and *.svg files",
                    ));
                }
            }
            _ => diagnostics.push(Diagnostic::error(
                rules::LAYOUT,
                path,
                "not part of the catalog layout: definitions go in <vendor>/<name>/<version>.yaml",
            )),
        }
    }
    if let Some((name, entry)) = current {
        folders.insert(name.to_string(), entry);
    }
    folders
}

fn check_folder_id(
    folder: &str,
    version_files: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<TypeId> {
    match TypeId::parse(folder) {
        Ok(id) => Some(id),
        Err(error) => {
            for file in version_files {
                diagnostics.push(Diagnostic::error(
                    rules::TYPE_ID,
                    format!("{folder}/{file}"),
                    error.to_string(),
                ));
            }
            None
        }
    }
}

fn read_schema_files(
    files: &CatalogFiles,
    folder: &str,
    names: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, Arc<Value>> {
    let mut siblings = HashMap::new();
    for name in names {
        let path = format!("{folder}/{name}");
        let Some(bytes) = files.bytes(&path) else {
            continue;
        };
        match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => {
                siblings.insert(name.clone(), Arc::new(value));
            }
            Err(error) => diagnostics.push(
                Diagnostic::error(
                    rules::CONFIG_SCHEMA,
                    &path,
                    format!("not valid JSON: {error}"),
                )
                .at_line(error.line(), Some(error.column())),
            ),
        }
    }
    siblings
}

/// Icons are shown in pages: they must be SVG and carry nothing that runs.
fn check_icon(files: &CatalogFiles, path: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Some(bytes) = files.bytes(path) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        diagnostics.push(Diagnostic::error(
            rules::ICON_SVG,
            path,
            "not UTF-8 text, so not an SVG",
        ));
        return;
    };
    let lower = text.to_ascii_lowercase();
    if !lower.contains("<svg") {
        diagnostics.push(Diagnostic::error(
            rules::ICON_SVG,
            path,
            "no <svg> element: icons must be SVG",
        ));
    }
    let active = [
        "<script",
        "javascript:",
        "<foreignobject",
        "<iframe",
        "<embed",
        "<object",
        "xlink:href=\"http",
        "href=\"http",
        "<!entity",
    ];
    for marker in active {
        if let Some(offset) = lower.find(marker) {
            let line = text[..offset].matches('\n').count() + 1;
            diagnostics.push(
                Diagnostic::error(
                    rules::ICON_SVG,
                    path,
                    format!("contains `{marker}`: icons may not run scripts or load anything"),
                )
                .at_line(line, None),
            );
        }
    }
    if let Some(offset) = find_event_handler(&lower) {
        let line = text[..offset].matches('\n').count() + 1;
        diagnostics.push(
            Diagnostic::error(
                rules::ICON_SVG,
                path,
                "has an event handler attribute (on...=): icons may not run scripts",
            )
            .at_line(line, None),
        );
    }
}

/// Finds an `on<letters>=` attribute, e.g. `onload=`.
fn find_event_handler(lower: &str) -> Option<usize> {
    let bytes = lower.as_bytes();
    let mut start = 0;
    while let Some(found) = lower[start..].find(" on") {
        let at = start + found;
        let rest = &bytes[at + 3..];
        let letters = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let after = &rest[letters..];
        let after = after
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .copied()
            .next();
        if letters > 0 && after == Some(b'=') {
            return Some(at + 1);
        }
        start = at + 3;
    }
    None
}

struct FolderContext<'a> {
    id: &'a TypeId,
    folder: &'a str,
    siblings: &'a HashMap<String, Arc<Value>>,
    files: &'a CatalogFiles,
    patterns: &'a PatternCache,
    /// The folder's files were checked by this load already: they are read again without
    /// the costly checks (the definition schema, compiling the config schema, its examples),
    /// whose diagnostics were reported the first time.
    checked: bool,
}

fn parse_version_file(
    path: &str,
    file_name: &str,
    context: &FolderContext<'_>,
    validator: &jsonschema::Validator,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ParsedVersion> {
    let bytes = context.files.bytes(path)?;
    let Ok(text) = std::str::from_utf8(bytes) else {
        diagnostics.push(Diagnostic::error(rules::FILE_READ, path, "not valid UTF-8"));
        return None;
    };
    let value = match parse_yaml(text) {
        Ok(value) => value,
        Err((message, line, column)) => {
            let mut diagnostic = Diagnostic::error(rules::YAML_SYNTAX, path, message);
            if let Some(line) = line {
                diagnostic = diagnostic.at_line(line, column);
            }
            diagnostics.push(diagnostic);
            return None;
        }
    };

    let before = diagnostics.len();
    let owned = check_raw_fields(path, &value, diagnostics);
    // Most files are valid, and a yes or no is much cheaper than the list of errors.
    let errors =
        (!context.checked && !validator.is_valid(&value)).then(|| validator.iter_errors(&value));
    for error in errors.into_iter().flatten().take(50) {
        let pointer = error.instance_path().as_str().to_string();
        if owned.contains(&pointer) {
            continue; // a sharper rule already reported this field
        }
        diagnostics.push(
            Diagnostic::error(rules::DEFINITION_SCHEMA, path, schema_message(&error)).at(pointer),
        );
    }
    // A file with errors so far is still typed where it can be (an http link, say, does not
    // stop the media-type rules), so that one run reports every problem.
    let had_errors = diagnostics[before..].iter().any(Diagnostic::is_error);
    let mut value = value;
    let (inline_schema, examples) = take_config_documents(&mut value);
    let definition: Definition = match serde_json::from_value::<Definition>(value) {
        Ok(mut definition) => {
            if let Some(config) = &mut definition.config {
                if let Some(schema) = inline_schema {
                    config.schema = Some(SchemaSource::Inline(Arc::new(schema)));
                }
                if let Some(examples) = examples {
                    config.examples = examples;
                }
            }
            definition
        }
        Err(_) if had_errors => return None,
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                rules::DEFINITION_SCHEMA,
                path,
                error.to_string(),
            ));
            return None;
        }
    };

    check_file_name(path, file_name, &definition, diagnostics);
    check_semantics(path, &definition, diagnostics);
    if let Some(icon) = definition
        .icon
        .as_ref()
        .filter(|i| check_relative_path(i).is_ok())
    {
        if context
            .files
            .get(&format!("{}/{icon}", context.folder))
            .is_none()
        {
            diagnostics.push(
                Diagnostic::error(
                    rules::RELATIVE_PATH,
                    path,
                    format!("icon `{icon}` does not exist in {}", context.folder),
                )
                .at("/icon"),
            );
        }
    }
    let config_schema = compile_config_schema(path, context, &definition, diagnostics);
    Some(ParsedVersion {
        id: context.id.clone(),
        path: path.to_string(),
        definition,
        config_schema,
    })
}

/// A definition's inline config schema and its config examples, taken out of its value (left
/// as `null` and `[]`, which read as none) to be put back into the [`Definition`]
/// deserialized from the rest: deserializing a `Value` into a `Value` rebuilds every map,
/// and these two are most of a file. Anything that would not read as a schema or a list of
/// examples is left in place, so that deserializing reports it as before.
fn take_config_documents(value: &mut Value) -> (Option<Value>, Option<Vec<Value>>) {
    let Some(Value::Object(config)) = value.get_mut("config") else {
        return (None, None);
    };
    let schema = match config.get_mut("schema") {
        Some(Value::String(_) | Value::Null) | None => None,
        Some(schema) => Some(schema.take()),
    };
    let examples = match config.get_mut("examples") {
        Some(Value::Array(examples)) => Some(std::mem::take(examples)),
        _ => None,
    };
    (schema, examples)
}

/// Parses a version file's YAML into a JSON value, in one walk that also refuses repeated
/// keys, deep nesting and aliases that expand to too much (see [`yaml::parse`]).
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err((
            format!(
                "{} bytes; at most {MAX_FILE_BYTES} are accepted",
                text.len()
            ),
            None,
            None,
        ));
    }
    yaml::parse(text)
}

/// serde_yaml's message for `catalog.yaml`, with what its safety limits mean.
fn yaml_error_message(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    if message.starts_with("repetition limit exceeded") {
        format!("{message}: its aliases expand to too much data")
    } else if message.starts_with("recursion limit exceeded") {
        format!("{message}: the document is nested too deeply")
    } else {
        message
    }
}

fn schema_message(error: &jsonschema::ValidationError<'_>) -> String {
    let message = error.masked().to_string();
    let pointer = error.instance_path().as_str();
    let field = if pointer.is_empty() {
        "the document".to_string()
    } else {
        format!("`{pointer}`")
    };
    format!("{field}: {message}")
}

/// Media types, URLs and relative paths are checked by rules of their own, before the schema,
/// so that their messages are specific. Returns the pointers those rules own.
fn check_raw_fields(path: &str, value: &Value, diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut owned = Vec::new();
    // Fields are reached directly, and a pointer is written only for a field that is there.
    let root = Some(value);
    let config = field(root, "config");
    let mut media_type_at = |found: Option<&Value>, pointer: &dyn Fn() -> String| {
        if let Some(Value::String(text)) = found {
            check_media_type_field(path, text, pointer(), &mut owned, diagnostics);
        }
    };
    media_type_at(field(root, "artifactType"), &|| "/artifactType".into());
    media_type_at(field(config, "mediaType"), &|| "/config/mediaType".into());
    for list in ["aliases", "manifestMediaTypes"] {
        for (index, item) in items(field(root, list)).iter().enumerate() {
            media_type_at(Some(item), &|| format!("/{list}/{index}"));
        }
    }
    for (layer, item) in items(field(root, "layers")).iter().enumerate() {
        media_type_at(field(Some(item), "mediaType"), &|| {
            format!("/layers/{layer}/mediaType")
        });
        for (index, item) in items(field(Some(item), "mediaTypes")).iter().enumerate() {
            media_type_at(Some(item), &|| {
                format!("/layers/{layer}/mediaTypes/{index}")
            });
        }
    }

    let mut url_at = |found: Option<&Value>, pointer: &dyn Fn() -> String| {
        let Some(Value::String(url)) = found else {
            return;
        };
        let pointer = pointer();
        owned.push(pointer.clone());
        if let Err(problem) = check_https_url(url) {
            diagnostics.push(Diagnostic::error(rules::LINK_HTTPS, path, problem).at(pointer));
        } else if let Some(problem) = unpinned_github_link(url) {
            diagnostics.push(Diagnostic::warning(rules::LINK_UNPINNED, path, problem).at(pointer));
        }
    };
    let links = field(root, "links");
    for key in ["spec", "homepage", "source"] {
        url_at(field(links, key), &|| format!("/links/{key}"));
    }
    for (list, key) in [("tools", "url"), ("actions", "docs"), ("owners", "url")] {
        for (index, item) in items(field(root, list)).iter().enumerate() {
            url_at(field(Some(item), key), &|| format!("/{list}/{index}/{key}"));
        }
    }

    for (found, pointer) in [
        (field(root, "icon"), "/icon"),
        (field(config, "schema"), "/config/schema"),
    ] {
        let Some(Value::String(relative)) = found else {
            continue;
        };
        if let Err(problem) = check_relative_path(relative) {
            owned.push(pointer.to_string());
            diagnostics.push(Diagnostic::error(rules::RELATIVE_PATH, path, problem).at(pointer));
        }
    }
    owned
}

fn check_media_type_field(
    path: &str,
    text: &str,
    pointer: String,
    owned: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    owned.push(pointer.clone());
    match MediaType::parse(text) {
        Err(error) => diagnostics
            .push(Diagnostic::error(rules::MEDIA_TYPE, path, error.to_string()).at(pointer)),
        Ok(media_type) => {
            for warning in media_type.warnings() {
                diagnostics.push(
                    Diagnostic::warning(
                        rules::MEDIA_TYPE,
                        path,
                        format!("`{media_type}`: {warning}"),
                    )
                    .at(pointer.clone()),
                );
            }
        }
    }
}

fn field<'a>(parent: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    parent?.get(key)
}

/// The items of an array, or none when `value` is missing or not an array.
fn items(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

pub fn check_https_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(format!(
            "`{}` must be an https:// URL",
            url.chars().take(100).collect::<String>()
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`{}` is not a valid URL",
            url.chars().take(100).collect::<String>()
        ));
    }
    Ok(())
}

/// A GitHub `blob` or `tree` link whose ref is not a full commit hash: the file behind a branch
/// or tag can change or vanish, so a fact cited that way is not checkable later.
pub fn unpinned_github_link(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("https://www.github.com/"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let mut segments = rest.split('/');
    let (_owner, _repository, kind) = (segments.next()?, segments.next()?, segments.next()?);
    if kind != "blob" && kind != "tree" {
        return None;
    }
    let reference = segments.next().unwrap_or_default();
    let pinned = reference.len() == 40
        && reference
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (!pinned).then(|| {
        format!(
            "`{}` names `{}`, not a commit: cite the file at a full 40-character commit hash",
            url.chars().take(200).collect::<String>(),
            reference.chars().take(60).collect::<String>()
        )
    })
}

/// A relative path must name a file directly inside the type's folder.
fn check_relative_path(relative: &str) -> Result<(), String> {
    if relative.contains('/')
        || relative.contains('\\')
        || relative.starts_with('.')
        || relative.contains("..")
    {
        return Err(format!(
            "`{relative}` leaves the type's folder: name a file that sits next to the version file"
        ));
    }
    Ok(())
}

fn check_file_name(
    path: &str,
    file_name: &str,
    definition: &Definition,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let stem = file_name.trim_end_matches(".yaml");
    if stem != definition.version.to_string() {
        diagnostics.push(
            Diagnostic::error(
                rules::VERSION_FILENAME,
                path,
                format!(
                    "version {} does not match the file name: rename the file to {}.yaml or fix `version`",
                    definition.version, definition.version
                ),
            )
            .at("/version"),
        );
    }
}

fn check_semantics(path: &str, definition: &Definition, diagnostics: &mut Vec<Diagnostic>) {
    let has_identifying_layer = definition.layers.iter().any(|l| l.identifying);
    if definition.artifact_type.is_none()
        && definition.conditions.is_empty()
        && !has_identifying_layer
    {
        diagnostics.push(Diagnostic::error(
            rules::ARTIFACT_TYPE,
            path,
            "`artifactType` is required unless `match` conditions or an identifying layer recognise the type",
        ));
    }
    if definition.status != Status::Deprecated {
        for (field, present) in [
            ("deprecatedBy", definition.deprecated_by.is_some()),
            ("sunset", definition.sunset.is_some()),
        ] {
            if present {
                diagnostics.push(
                    Diagnostic::error(
                        rules::DEPRECATION,
                        path,
                        format!("`{field}` is only allowed with status deprecated"),
                    )
                    .at(format!("/{field}")),
                );
            }
        }
    }
    if let Some(sunset) = &definition.sunset {
        if !is_calendar_date(sunset) {
            diagnostics.push(
                Diagnostic::error(
                    rules::DEPRECATION,
                    path,
                    format!("sunset `{sunset}` is not a calendar date (YYYY-MM-DD)"),
                )
                .at("/sunset"),
            );
        }
    }
    if let Some(config) = &definition.config {
        if config.schema.is_none() && !config.examples.is_empty() {
            diagnostics.push(
                Diagnostic::warning(
                    rules::CONFIG_EXAMPLE,
                    path,
                    "config examples without a schema are not checked",
                )
                .at("/config/examples"),
            );
        }
    }
    for (index, action) in definition.actions.iter().enumerate() {
        let pointer = format!("/actions/{index}/command");
        let opens = action.command.matches('{').count();
        let found = placeholders(&action.command);
        if opens != found.len() || action.command.matches('}').count() != found.len() {
            diagnostics.push(
                Diagnostic::error(
                    rules::ACTION_PLACEHOLDER,
                    path,
                    "unbalanced `{` or `}` in the command template",
                )
                .at(pointer.clone()),
            );
        }
        for (_, name) in found {
            if !PLACEHOLDERS.contains(&name) {
                diagnostics.push(
                    Diagnostic::error(
                        rules::ACTION_PLACEHOLDER,
                        path,
                        format!(
                            "unknown placeholder `{{{name}}}`; use {}",
                            placeholder_list()
                        ),
                    )
                    .at(pointer.clone()),
                );
            }
        }
    }
    let mut seen_actions = std::collections::HashSet::new();
    for (index, action) in definition.actions.iter().enumerate() {
        if !seen_actions.insert(&action.id) {
            diagnostics.push(
                Diagnostic::error(
                    rules::DUPLICATE,
                    path,
                    format!("action id `{}` is used twice", action.id),
                )
                .at(format!("/actions/{index}/id")),
            );
        }
    }
    let mut seen_layers = HashMap::new();
    for (index, layer) in definition.layers.iter().enumerate() {
        for media_type in layer.all_media_types() {
            if let Some(first) = seen_layers.insert(media_type.normalized().to_string(), index) {
                diagnostics.push(
                    Diagnostic::error(
                        rules::DUPLICATE,
                        path,
                        format!(
                            "layer media type `{media_type}` is already listed in layer {first}"
                        ),
                    )
                    .at(format!("/layers/{index}")),
                );
            }
            if layer.identifying && media_type.is_empty_config() {
                diagnostics.push(
                    Diagnostic::error(
                        rules::IDENTIFYING_UNIQUE,
                        path,
                        "the OCI empty descriptor never identifies a type",
                    )
                    .at(format!("/layers/{index}/identifying")),
                );
            }
        }
    }
}

fn placeholder_list() -> String {
    PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_calendar_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && text.len() == 10
}

fn compile_config_schema(
    path: &str,
    context: &FolderContext<'_>,
    definition: &Definition,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ConfigSchema> {
    let config = definition.config.as_ref()?;
    let (document, file_name) = match config.schema.as_ref()? {
        SchemaSource::Inline(document) => (
            Arc::clone(document),
            format!("{}.inline.schema.json", definition.version),
        ),
        SchemaSource::File(name) if check_relative_path(name).is_err() => return None,
        SchemaSource::File(name) => match context.siblings.get(name) {
            Some(document) => (Arc::clone(document), name.clone()),
            None => {
                let reason = if context
                    .files
                    .get(&format!("{}/{name}", context.folder))
                    .is_some()
                {
                    "could not be read"
                } else {
                    "does not exist"
                };
                diagnostics.push(
                    Diagnostic::error(
                        rules::RELATIVE_PATH,
                        path,
                        format!("config schema `{name}` {reason} in {}", context.folder),
                    )
                    .at("/config/schema"),
                );
                return None;
            }
        },
    };
    if context.checked {
        return Some(ConfigSchema::uncompiled(
            document,
            context.folder,
            &file_name,
            context.siblings,
        ));
    }
    let mut schema = match ConfigSchema::compile_sharing(
        document,
        context.folder,
        &file_name,
        context.siblings,
        context.patterns,
    ) {
        Ok(schema) => schema,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    rules::CONFIG_SCHEMA,
                    path,
                    format!("the config schema does not compile: {error}"),
                )
                .at("/config/schema"),
            );
            return None;
        }
    };
    for (index, example) in config.examples.iter().enumerate() {
        // A yes or no first: most examples are valid, and listing no errors costs more.
        if schema.is_valid(example) {
            continue;
        }
        for problem in schema.validate(example) {
            diagnostics.push(
                Diagnostic::error(
                    rules::CONFIG_EXAMPLE,
                    path,
                    format!(
                        "example {index} does not validate at `{}`: {}",
                        problem.instance_path, problem.message
                    ),
                )
                .at(format!("/config/examples/{index}{}", problem.instance_path)),
            );
        }
    }
    // Checked; the compiled form is rebuilt on first use (see `schema`).
    schema.unload();
    Some(schema)
}

/// Rules across folders: identifying media types belong to one type, successors exist.
/// `facts` come in folder order, which is the order of type ids.
fn check_catalog_wide(facts: &[TypeFacts], diagnostics: &mut Vec<Diagnostic>) {
    // Folders are checked in order and an id is its folder's name, so the facts come in id
    // order: successors are found by binary search.
    debug_assert!(facts.is_sorted_by(|a, b| a.id < b.id), "facts in id order");
    for type_facts in facts {
        for (path, successor) in &type_facts.successors {
            if facts.binary_search_by(|f| f.id.cmp(successor)).is_err() {
                diagnostics.push(
                    Diagnostic::error(
                        rules::DEPRECATION,
                        path,
                        format!("deprecatedBy `{successor}` is not a type in the catalog"),
                    )
                    .at("/deprecatedBy"),
                );
            }
        }
    }
    // normalized media type -> each type that claims it, in id order
    let mut owners: HashMap<&str, Vec<(&TypeFacts, &MediaTypeClaim)>> = HashMap::new();
    for type_facts in facts {
        for claim in &type_facts.claims {
            owners
                .entry(&claim.media_type)
                .or_default()
                .push((type_facts, claim));
        }
    }
    let mut shared: Vec<_> = owners
        .into_iter()
        .filter(|(_, users)| users.len() > 1)
        .collect();
    shared.sort_unstable_by_key(|(media_type, _)| *media_type);
    for (media_type, users) in shared {
        let without_match = users.iter().filter(|(_, claim)| !claim.has_match).count();
        // Told apart by `match`, with at most one fallback; or each by `match` or by an
        // identifying layer of its own, with no fallback (a layer is no claim to the rest).
        let each_told_apart = users
            .iter()
            .all(|(user, claim)| claim.has_match || has_own_layer(user, &users));
        if (without_match <= 1 || each_told_apart) && !same_conditions(&users) {
            continue;
        }
        let names: Vec<&str> = users.iter().map(|(user, _)| user.id.as_str()).collect();
        for (_, claim) in &users {
            diagnostics.push(
                Diagnostic::error(
                    rules::IDENTIFYING_UNIQUE,
                    &claim.path,
                    format!(
                        "identifying media type `{media_type}` is claimed by {}; give all but one of them `match` conditions that tell them apart, or mark it as not identifying",
                        names.join(", ")
                    ),
                )
                .at(claim.pointer.clone()),
            );
        }
    }
}

/// Action templates are one plain command each: no shell operators, expansions or newlines,
/// and the program is never a placeholder. An error in a type's newest version; in a version
/// a newer one supersedes, a warning, as published files never change and a filled command
/// quotes every word anyway. `parsed` holds every version of the types it holds.
fn check_commands(parsed: &[ParsedVersion], diagnostics: &mut Vec<Diagnostic>) {
    let mut newest: HashMap<&TypeId, &Version> = HashMap::new();
    for version in parsed {
        let entry = newest
            .entry(&version.id)
            .or_insert(&version.definition.version);
        if *entry < &version.definition.version {
            *entry = &version.definition.version;
        }
    }
    for version in parsed {
        let superseded = newest
            .get(&version.id)
            .filter(|newest| **newest != &version.definition.version);
        for (index, action) in version.definition.actions.iter().enumerate() {
            let problems = split(&action.command).problems;
            if !problems.is_empty() {
                let found: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
                let message = format!(
                    "action `{}` is not a plain command: {}",
                    action.id,
                    found.join("; ")
                );
                let diagnostic = match superseded {
                    None => Diagnostic::error(rules::ACTION_SHELL, &version.path, message),
                    Some(newest) => Diagnostic::warning(
                        rules::ACTION_SHELL,
                        &version.path,
                        format!("{message} (superseded by {newest})"),
                    ),
                };
                diagnostics.push(diagnostic.at(format!("/actions/{index}/command")));
            }
        }
    }
}

/// True when a type that shares an identifying media type with `users` has an identifying
/// layer that none of them declares (Trivy's DB and Java DB share `artifactType`; each has
/// its own layer). Each type is judged by its latest version.
fn has_own_layer(own: &TypeFacts, users: &[(&TypeFacts, &MediaTypeClaim)]) -> bool {
    own.latest_layers
        .iter()
        .filter(|l| l.identifying)
        .flat_map(|l| l.all_media_types())
        .any(|media_type| {
            users
                .iter()
                .filter(|(other, _)| other.id != own.id)
                .all(|(other, _)| {
                    !other
                        .latest_layers
                        .iter()
                        .any(|l| l.accepts(media_type.normalized()))
                })
        })
}

/// True when two sharing types with conditions have the very same ones (nothing tells them
/// apart), in their latest versions.
fn same_conditions(users: &[(&TypeFacts, &MediaTypeClaim)]) -> bool {
    let mut seen: Vec<&Vec<Condition>> = Vec::new();
    for (user, _) in users {
        let conditions = &user.latest_conditions;
        if conditions.is_empty() {
            continue;
        }
        if seen.contains(&conditions) {
            return true;
        }
        seen.push(conditions);
    }
    false
}

/// The identifying media types of a definition, with the pointer of each.
pub fn identifying_media_types(definition: &Definition) -> Vec<(&MediaType, String)> {
    let mut found = Vec::new();
    if let Some(artifact_type) = &definition.artifact_type {
        found.push((artifact_type, "/artifactType".to_string()));
    }
    if let Some(config) = definition.config.as_ref().filter(|c| c.identifying) {
        found.push((&config.media_type, "/config/mediaType".to_string()));
    }
    for (index, alias) in definition.aliases.iter().enumerate() {
        found.push((alias, format!("/aliases/{index}")));
    }
    for (index, layer) in definition
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.identifying)
    {
        for media_type in layer.all_media_types() {
            found.push((media_type, format!("/layers/{index}")));
        }
    }
    found.retain(|(media_type, _)| !media_type.is_empty_config());
    found.dedup_by(|a, b| a.0 == b.0);
    found
}

/// Turns pointers into lines, indexing each file at most once.
fn locate_lines(files: &CatalogFiles, diagnostics: &mut [Diagnostic]) {
    let mut indexes: HashMap<String, Option<Locations>> = HashMap::new();
    for diagnostic in diagnostics.iter_mut().filter(|d| d.line.is_none()) {
        let Some(pointer) = &diagnostic.pointer else {
            continue;
        };
        let index = indexes.entry(diagnostic.file.clone()).or_insert_with(|| {
            files
                .bytes(&diagnostic.file)
                .and_then(|b| std::str::from_utf8(b).ok())
                .map(Locations::index)
        });
        if let Some((line, column)) = index.as_ref().and_then(|index| index.find(pointer)) {
            diagnostic.line = Some(line);
            diagnostic.column = Some(column);
        }
    }
}

fn publish(version: ParsedVersion, files: &CatalogFiles) -> Published {
    let icon_svg = version.definition.icon.as_ref().and_then(|icon| {
        let path = format!("{}/{icon}", version.id);
        files
            .bytes(&path)
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
    });
    Published {
        id: version.id,
        path: version.path,
        commands: Published::commands_of(&version.definition),
        definition: version.definition,
        config_schema: version.config_schema,
        icon_svg,
    }
}

fn sort_newest_first(versions: &mut [Arc<Published>]) {
    versions.sort_by(|a, b| b.definition.version.cmp(&a.definition.version));
}

fn build_catalog(
    meta: CatalogMeta,
    parsed: Vec<ParsedVersion>,
    definition_schema: Value,
    files: &CatalogFiles,
) -> Catalog {
    let mut types: BTreeMap<TypeId, Vec<Arc<Published>>> = BTreeMap::new();
    for version in parsed {
        let id = version.id.clone();
        types
            .entry(id)
            .or_default()
            .push(Arc::new(publish(version, files)));
    }
    for versions in types.values_mut() {
        sort_newest_first(versions);
    }
    Catalog::new(meta, types, definition_schema)
}

/// The catalog [`load_lazily`] gives: its types in id order, each version at a slot of a
/// store that reads the definition again from `files`. None when two folders give one type
/// (which [`build_catalog`] would merge).
fn build_lazy(
    meta: CatalogMeta,
    mut types: Vec<FolderType>,
    files: Arc<CatalogFiles>,
) -> Option<Catalog> {
    types.sort_by(|a, b| a.stored.id.cmp(&b.stored.id));
    if types.windows(2).any(|w| w[0].stored.id == w[1].stored.id) {
        return None;
    }
    let mut store = ReadAgain {
        files,
        folders: Vec::with_capacity(types.len()),
        slots: Vec::new(),
    };
    let mut stored = Vec::with_capacity(types.len());
    for (position, folder_type) in types.into_iter().enumerate() {
        let FolderType {
            stored: mut stored_type,
            version_files,
            schema_files,
        } = folder_type;
        stored_type.versions = stored_type
            .versions
            .into_iter()
            .zip(version_files)
            .map(|(entry, path)| {
                let slot = store.slots.len() as u32;
                store.slots.push((position, path));
                entry.stored_at(slot)
            })
            .collect();
        store.folders.push((stored_type.id.clone(), schema_files));
        stored.push(stored_type);
    }
    Some(Catalog::stored(
        meta,
        Arc::new(BUILT_IN_DEFINITION_SCHEMA.0.clone()),
        stored,
        Arc::new(store),
    ))
}

/// Definitions read again from a catalog's files, one version at a time, as [`load_lazily`]
/// checked them.
struct ReadAgain {
    files: Arc<CatalogFiles>,
    /// By type position: the type, and the schema files of its folder.
    folders: Vec<(TypeId, Vec<String>)>,
    /// By slot: the type's position and the version file.
    slots: Vec<(usize, String)>,
}

impl std::fmt::Debug for ReadAgain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAgain")
            .field("types", &self.folders.len())
            .finish_non_exhaustive()
    }
}

impl DefinitionStore for ReadAgain {
    fn definition(&self, slot: u32) -> Result<Arc<Published>, DefinitionReadError> {
        let missing = || DefinitionReadError(format!("no definition at slot {slot}"));
        let (position, path) = self.slots.get(slot as usize).ok_or_else(missing)?;
        let (id, schema_files) = self.folders.get(*position).ok_or_else(missing)?;
        let folder = id.as_str();
        let file_name = path
            .rsplit_once('/')
            .map_or(path.as_str(), |(_, name)| name);
        // The files were checked by this very load and never change: nothing is reported.
        let mut ignored = Vec::new();
        let siblings = read_schema_files(&self.files, folder, schema_files, &mut ignored);
        let patterns = PatternCache::new();
        let context = FolderContext {
            id,
            folder,
            siblings: &siblings,
            files: &self.files,
            patterns: &patterns,
            checked: true,
        };
        let version = parse_version_file(
            path,
            file_name,
            &context,
            &BUILT_IN_DEFINITION_SCHEMA.1,
            &mut ignored,
        )
        .ok_or_else(|| DefinitionReadError(format!("{path} no longer reads as a definition")))?;
        Ok(Arc::new(publish(version, &self.files)))
    }

    fn type_files(&self, position: usize) -> Result<CatalogFiles, DefinitionReadError> {
        let (id, _) = self
            .folders
            .get(position)
            .ok_or_else(|| DefinitionReadError(format!("no type at position {position}")))?;
        let mut found = CatalogFiles::default();
        for (path, content) in self.files.in_folder(id.as_str()) {
            found.insert_content(path, content.clone());
        }
        Ok(found)
    }

    fn other_files(&self) -> Result<CatalogFiles, DefinitionReadError> {
        let folders: std::collections::HashSet<&str> =
            self.folders.iter().map(|(id, _)| id.as_str()).collect();
        Ok(self
            .files
            .filtered(&|path: &str| !folders.contains(super::files::folder_of(path))))
    }
}

/// `1.0.0.yaml` -> the version, when the file name is one.
pub fn version_of_file_name(file_name: &str) -> Option<Version> {
    Version::parse(file_name.strip_suffix(".yaml")?).ok()
}
