//! `typehouse check`: every rule over a catalog directory, plus, with a base, the rules of
//! change (immutability, version order, config-schema compatibility).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use semver::Version;
use serde_json::Value;

use super::compat::breaking_changes;
use super::diagnostic::{Diagnostic, Severity};
use super::files::CatalogFiles;
use super::load::{self, parse_yaml, version_of_file_name};
use super::rules;

/// Every problem in `files`, and against `base` when given, sorted by file and line.
pub fn check(files: &CatalogFiles, base: Option<&CatalogFiles>) -> Vec<Diagnostic> {
    let mut diagnostics = load::diagnostics(files);
    if let Some(base) = base {
        diagnostics.extend(compare_with_base(base, files));
    }
    diagnostics.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    diagnostics
}

/// The rules of change: what was published stays, versions only go up, and a config schema
/// that rejects what the previous version accepted needs a new major version.
pub fn compare_with_base(base: &CatalogFiles, new: &CatalogFiles) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut latest_published: BTreeMap<String, (Version, String)> = BTreeMap::new();
    for path in base.paths().filter(|p| is_published_content(p)) {
        let old_bytes = base.bytes(path).unwrap_or_default();
        match new.bytes(path) {
            None if new.get(path).is_none() => diagnostics.push(Diagnostic::error(
                rules::PUBLISHED_REMOVED,
                path,
                "a published file was removed; published versions stay in the catalog (deprecate the type instead)",
            )),
            Some(new_bytes) if new_bytes != old_bytes => {
                let line = first_different_line(old_bytes, new_bytes);
                diagnostics.push(
                    Diagnostic::error(
                        rules::PUBLISHED_MODIFIED,
                        path,
                        "a published file changed; published versions are immutable: add a new version file instead",
                    )
                    .at_line(line, None),
                );
            }
            _ => {}
        }
        if let Some((folder, version)) = split_version_path(path) {
            let entry = latest_published
                .entry(folder.to_string())
                .or_insert((version.clone(), path.to_string()));
            if version > entry.0 {
                *entry = (version, path.to_string());
            }
        }
    }

    for path in new.paths().filter(|p| base.get(p).is_none()) {
        let Some((folder, version)) = split_version_path(path) else {
            continue;
        };
        let Some((last, last_path)) = latest_published.get(folder) else {
            continue;
        };
        // Precedence, as semver defines it: build metadata does not make a version higher.
        if version.cmp_precedence(last) != Ordering::Greater {
            diagnostics.push(
                Diagnostic::error(
                    rules::VERSION_ORDER,
                    path,
                    format!("new version {version} must be higher than the last published version {last}"),
                )
                .at("/version"),
            );
            continue;
        }
        // No schema before means every document was accepted.
        let old_schema = config_schema_document(base, last_path).unwrap_or(Value::Bool(true));
        let Some(new_schema) = config_schema_document(new, path) else {
            continue;
        };
        if is_compatible_bump(last, &version) {
            let changes = breaking_changes(&old_schema, &new_schema);
            for change in changes {
                diagnostics.push(
                    Diagnostic::error(
                        rules::BREAKING_SCHEMA_CHANGE,
                        path,
                        format!(
                            "config schema at {}: {}; this can reject documents {last} accepted, so it needs a new major version ({}.0.0)",
                            shown_place(&change.at, &change.keyword),
                            change.what,
                            next_major(last)
                        ),
                    )
                    .at("/config/schema"),
                );
            }
        }
    }
    locate(new, &mut diagnostics);
    diagnostics
}

/// A JSON pointer and its keyword as a reader finds them; the empty pointer is the whole schema.
fn shown_place(pointer: &str, keyword: &str) -> String {
    let place = if pointer.is_empty() {
        "the root".to_string()
    } else {
        format!("`{pointer}`")
    };
    if keyword.is_empty() {
        place
    } else {
        format!("{place} (`{keyword}`)")
    }
}

/// Within one major version (or, below 1.0.0, one minor version, as Cargo reads semver).
fn is_compatible_bump(old: &Version, new: &Version) -> bool {
    old.major == new.major && (old.major != 0 || old.minor == new.minor)
}

fn next_major(version: &Version) -> String {
    if version.major == 0 {
        format!("0.{}", version.minor + 1)
    } else {
        (version.major + 1).to_string()
    }
}

fn is_published_content(path: &str) -> bool {
    path.split('/').count() == 3 && (path.ends_with(".yaml") || path.ends_with(".schema.json"))
}

/// `vendor/name/1.2.0.yaml` -> (`vendor/name`, 1.2.0)
fn split_version_path(path: &str) -> Option<(&str, Version)> {
    let (folder, file) = path.rsplit_once('/')?;
    if folder.matches('/').count() != 1 {
        return None;
    }
    Some((folder, version_of_file_name(file)?))
}

/// The config schema a version file declares, inline or from its folder.
fn config_schema_document(files: &CatalogFiles, path: &str) -> Option<Value> {
    let text = std::str::from_utf8(files.bytes(path)?).ok()?;
    let document = parse_yaml(text).ok()?;
    match document.pointer("/config/schema")? {
        Value::String(name) => {
            let folder = path.rsplit_once('/')?.0;
            serde_json::from_slice(files.bytes(&format!("{folder}/{name}"))?).ok()
        }
        inline => Some(inline.clone()),
    }
}

fn first_different_line(old: &[u8], new: &[u8]) -> usize {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    old.lines()
        .zip(new.lines())
        .take_while(|(a, b)| a == b)
        .count()
        + 1
}

fn locate(files: &CatalogFiles, diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics
        .iter_mut()
        .filter(|d| d.line.is_none() && d.pointer.is_some())
    {
        let Some(text) = files
            .bytes(&diagnostic.file)
            .and_then(|b| std::str::from_utf8(b).ok())
        else {
            continue;
        };
        let pointer = diagnostic.pointer.as_deref().unwrap_or_default();
        if let Some((line, column)) = super::locate::Locations::index(text).find(pointer) {
            diagnostic.line = Some(line);
            diagnostic.column = Some(column);
        }
    }
}

/// How `typehouse check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    Github,
}

/// Renders diagnostics; `prefix` is prepended to file paths (the checked directory).
pub fn render(diagnostics: &[Diagnostic], format: OutputFormat, prefix: &str) -> String {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let with_prefix = |file: &str| format!("{prefix}{file}");
    match format {
        OutputFormat::Human => {
            let mut out = String::new();
            for diagnostic in diagnostics {
                let mut shown = diagnostic.clone();
                shown.file = with_prefix(&diagnostic.file);
                out.push_str(&format!("{shown}\n"));
            }
            out.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
            out
        }
        OutputFormat::Json => {
            let shown: Vec<Diagnostic> = diagnostics
                .iter()
                .map(|d| Diagnostic {
                    file: with_prefix(&d.file),
                    ..d.clone()
                })
                .collect();
            let report =
                serde_json::json!({"errors": errors, "warnings": warnings, "diagnostics": shown});
            format!(
                "{}\n",
                serde_json::to_string_pretty(&report).expect("diagnostics serialize")
            )
        }
        OutputFormat::Github => {
            let mut out = String::new();
            for d in diagnostics {
                let level = if d.is_error() { "error" } else { "warning" };
                let mut properties = format!("file={}", escape_property(&with_prefix(&d.file)));
                if let Some(line) = d.line {
                    properties.push_str(&format!(",line={line}"));
                }
                if let Some(column) = d.column {
                    properties.push_str(&format!(",col={column}"));
                }
                properties.push_str(&format!(",title={}", escape_property(d.rule)));
                out.push_str(&format!(
                    "::{level} {properties}::{}\n",
                    escape_data(&d.message)
                ));
            }
            out
        }
    }
}

/// GitHub workflow command escaping (data part).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow command escaping (property values).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
