//! Fixture catalogs in temporary directories, and assertions on the diagnostics they produce.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tempfile::TempDir;
use typehouse::catalog::check::check;
use typehouse::catalog::{Catalog, CatalogFiles, Diagnostic, Severity};

/// The crate's own catalog directory.
pub fn shipped_types() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("types")
}

pub const CATALOG_YAML: &str = "\
name: test catalog
version: 1.0.0
description: A small catalog for the tests of typehouse check.
homepage: https://example.com/catalog
";

/// A type with a config schema file, an example, a layer, an action and an icon.
pub const WIDGET_PATH: &str = "acme/widget/1.0.0.yaml";
pub const WIDGET: &str = "\
# yaml-language-server: $schema=../../definition.schema.json
version: 1.0.0
name: Widget
summary: A widget bundle, for tests
status: active
artifactType: application/vnd.acme.widget.v1+json
config:
  mediaType: application/vnd.acme.widget.config.v1+json
  schema: widget-config.schema.json
  examples:
    - {name: demo, size: 3}
layers:
  - mediaType: application/vnd.acme.widget.layer.v1.tar+gzip
    title: Widget archive
    required: true
    maxCount: 1
actions:
  - id: pull
    label: Pull the widget
    command: widget pull {registry}/{repository}{reference}
    docs: https://example.com/docs/pull
links:
  spec: https://example.com/spec/widget
owners:
  - name: Acme
    url: https://example.com
icon: icon.svg
";

pub const WIDGET_SCHEMA_PATH: &str = "acme/widget/widget-config.schema.json";
pub const WIDGET_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["name"],
  "properties": {
    "name": {"type": "string"},
    "size": {"type": "integer", "minimum": 0}
  }
}
"#;

pub const WIDGET_ICON_PATH: &str = "acme/widget/icon.svg";
pub const WIDGET_ICON: &str = "\
<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">
  <rect width=\"16\" height=\"16\" fill=\"#336\"/>
</svg>
";

/// A type with an inline config schema and nothing else optional.
pub const GADGET_PATH: &str = "acme/gadget/1.0.0.yaml";
pub const GADGET: &str = "\
# yaml-language-server: $schema=../../definition.schema.json
version: 1.0.0
name: Gadget
summary: A gadget, for tests
status: active
artifactType: application/vnd.acme.gadget.v1
config:
  mediaType: application/vnd.acme.gadget.config.v1+json
  schema:
    type: object
    properties:
      mode: {enum: [fast, slow]}
layers:
  - mediaType: application/vnd.acme.gadget.layer.v1
    title: Gadget payload
links:
  spec: https://example.com/spec/gadget
owners:
  - name: Acme gadgets
    email: gadgets@example.com
";

/// A catalog in a temporary directory, removed when dropped.
pub struct Fixture {
    dir: TempDir,
}

impl Fixture {
    /// A valid catalog: `catalog.yaml`, the shipped `definition.schema.json`, and two types.
    pub fn valid() -> Self {
        let fixture = Self::empty();
        fixture
            .write("catalog.yaml", CATALOG_YAML)
            .write("definition.schema.json", shipped_definition_schema())
            .write(WIDGET_PATH, WIDGET)
            .write(WIDGET_SCHEMA_PATH, WIDGET_SCHEMA)
            .write(WIDGET_ICON_PATH, WIDGET_ICON)
            .write(GADGET_PATH, GADGET);
        fixture
    }

    /// An empty directory.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A second catalog with the same files: the base of a change.
    pub fn copy(&self) -> Self {
        let copy = Self::empty();
        self.files()
            .write_to(copy.path())
            .expect("the copy is written");
        copy
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative`, creating folders as needed.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> &Self {
        let target = self.path().join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("the folder is created");
        }
        std::fs::write(&target, contents).expect("the file is written");
        self
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative)).expect("the fixture file is readable")
    }

    /// Replaces the one occurrence of `from` in `relative` with `to`, and returns the new text.
    pub fn edit(&self, relative: &str, from: &str, to: &str) -> String {
        let text = self.read(relative);
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` must occur exactly once in {relative}:\n{text}"
        );
        let edited = text.replacen(from, to, 1);
        self.write(relative, &edited);
        edited
    }

    pub fn remove(&self, relative: &str) -> &Self {
        std::fs::remove_file(self.path().join(relative)).expect("the file is removed");
        self
    }

    pub fn files(&self) -> CatalogFiles {
        CatalogFiles::read_dir(self.path()).expect("the fixture directory is readable")
    }

    /// `typehouse check` on this catalog alone.
    pub fn check(&self) -> Vec<Diagnostic> {
        let files = self.files();
        let found = check(&files, None);
        // A first start of `serve` loads lazily, with every rule of check and nothing more.
        let lazily = match Catalog::load_lazily(Arc::new(files)) {
            Ok((_, warnings)) => warnings,
            Err(diagnostics) => diagnostics,
        };
        assert_eq!(lazily, found, "a lazy load and check differ");
        found
    }

    /// `typehouse check` on this catalog with `--base`.
    pub fn check_against(&self, base: &Fixture) -> Vec<Diagnostic> {
        check(&self.files(), Some(&base.files()))
    }
}

pub fn shipped_definition_schema() -> Vec<u8> {
    std::fs::read(shipped_types().join("definition.schema.json"))
        .expect("types/definition.schema.json is readable")
}

/// 1-based number of the line of `text` on which `needle` first occurs.
pub fn line_of(text: &str, needle: &str) -> usize {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in:\n{text}"));
    text[..offset].matches('\n').count() + 1
}

/// 1-based column at which `needle` first occurs on its line.
pub fn column_of(text: &str, needle: &str) -> usize {
    let offset = text.find(needle).expect("the needle is in the text");
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    text[line_start..offset].chars().count() + 1
}

pub fn show(diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "(no diagnostics)".into();
    }
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that the check reports nothing at all.
pub fn assert_clean(diagnostics: &[Diagnostic]) {
    assert!(
        diagnostics.is_empty(),
        "expected no diagnostics, got:\n{}",
        show(diagnostics)
    );
}

/// Asserts there is no error (warnings allowed).
pub fn assert_no_errors(diagnostics: &[Diagnostic]) {
    assert!(
        !diagnostics.iter().any(Diagnostic::is_error),
        "expected no errors, got:\n{}",
        show(diagnostics)
    );
}

/// The diagnostics of `rule` for `file`.
pub fn of<'a>(diagnostics: &'a [Diagnostic], rule: &str, file: &str) -> Vec<&'a Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.rule == rule && d.file == file)
        .collect()
}

/// Asserts that exactly one error of `rule` was reported for `file`, on `line`, and returns it.
pub fn expect_error<'a>(
    diagnostics: &'a [Diagnostic],
    rule: &str,
    file: &str,
    line: Option<usize>,
) -> &'a Diagnostic {
    expect_one(diagnostics, Severity::Error, rule, file, line)
}

/// Asserts that exactly one warning of `rule` was reported for `file`, on `line`, and returns it.
pub fn expect_warning<'a>(
    diagnostics: &'a [Diagnostic],
    rule: &str,
    file: &str,
    line: Option<usize>,
) -> &'a Diagnostic {
    expect_one(diagnostics, Severity::Warning, rule, file, line)
}

fn expect_one<'a>(
    diagnostics: &'a [Diagnostic],
    severity: Severity,
    rule: &str,
    file: &str,
    line: Option<usize>,
) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = of(diagnostics, rule, file)
        .into_iter()
        .filter(|d| d.severity == severity)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {severity:?} `{rule}` in {file}, got:\n{}",
        show(diagnostics)
    );
    assert_eq!(
        found[0].line,
        line,
        "`{rule}` in {file} is on the wrong line:\n{}",
        show(diagnostics)
    );
    found[0]
}

/// Asserts that every diagnostic is of `rule` (nothing else fired by accident).
pub fn assert_only_rule(diagnostics: &[Diagnostic], rule: &str) {
    assert!(
        diagnostics.iter().all(|d| d.rule == rule),
        "expected only `{rule}`, got:\n{}",
        show(diagnostics)
    );
}
