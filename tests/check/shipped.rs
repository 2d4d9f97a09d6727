//! The catalog shipped in `types/`: every file loads, embedded and on disk, and checks clean.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use typehouse::catalog::check::check;
use typehouse::catalog::compat::breaking_changes;
use typehouse::catalog::definition::SchemaSource;
use typehouse::catalog::rules;
use typehouse::catalog::{Catalog, CatalogFiles};

use crate::helpers::*;

#[test]
fn the_embedded_catalog_loads_without_errors() {
    let (catalog, warnings) = match Catalog::load(CatalogFiles::embedded()) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("the embedded catalog has errors:\n{}", show(&diagnostics)),
    };
    assert!(!catalog.is_empty());
    assert_no_errors(&warnings);
}

#[test]
fn the_embedded_catalog_is_the_types_directory() {
    let on_disk = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    let embedded = CatalogFiles::embedded();
    let disk_paths: Vec<&str> = on_disk.paths().collect();
    let embedded_paths: Vec<&str> = embedded.paths().collect();
    assert_eq!(embedded_paths, disk_paths);
    for path in disk_paths {
        assert_eq!(embedded.bytes(path), on_disk.bytes(path), "{path} differs");
    }
}

#[test]
fn every_shipped_file_is_loaded_or_used() {
    let files = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    let (catalog, _) = Catalog::load(files.clone()).expect("the shipped catalog loads");
    let mut used: BTreeSet<String> = ["catalog.yaml", "definition.schema.json"]
        .map(String::from)
        .into();
    for entry in catalog.types() {
        for version in &entry.versions {
            let published = catalog.published(version).unwrap();
            used.insert(published.path.clone());
            let definition = &published.definition;
            if let Some(icon) = &definition.icon {
                used.insert(format!("{}/{icon}", entry.id));
            }
            if let Some(SchemaSource::File(name)) =
                definition.config.as_ref().and_then(|c| c.schema.as_ref())
            {
                used.insert(format!("{}/{name}", entry.id));
                assert!(
                    published.config_schema.is_some(),
                    "{}: the schema did not compile",
                    published.path
                );
            }
        }
    }
    let unused: Vec<&str> = files
        .paths()
        .filter(|path| !used.contains(*path) && !path.ends_with(".md"))
        // A schema file may be reached by a `$ref` from the one a version names.
        .filter(|path| !referenced_by_a_sibling(&files, path))
        .collect();
    assert!(unused.is_empty(), "shipped but never loaded: {unused:?}");
}

fn referenced_by_a_sibling(files: &CatalogFiles, path: &str) -> bool {
    let Some((folder, name)) = path.rsplit_once('/') else {
        return false;
    };
    files.paths().any(|other| {
        other != path
            && other.starts_with(&format!("{folder}/"))
            && files
                .bytes(other)
                .is_some_and(|bytes| String::from_utf8_lossy(bytes).contains(name))
    })
}

#[test]
fn the_types_directory_checks_without_errors() {
    let files = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    assert_no_errors(&check(&files, None));
}

#[test]
fn the_types_directory_checks_clean_against_itself_as_base() {
    let files = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    assert_no_errors(&check(&files, Some(&files)));
}

#[test]
fn typehouse_check_types_exits_0() {
    let output = Command::new(env!("CARGO_BIN_EXE_typehouse"))
        .args(["check", "types", "--base", "types"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("typehouse runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_shipped_version_file_declares_the_definition_schema_for_editors() {
    let files = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    for path in files
        .paths()
        .filter(|p| p.ends_with(".yaml") && p.contains('/'))
    {
        let text = String::from_utf8_lossy(files.bytes(path).unwrap()).into_owned();
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../definition.schema.json\n"),
            "{path} does not start with the yaml-language-server line"
        );
    }
}

#[test]
fn the_newest_version_of_every_shipped_type_cites_github_at_a_commit() {
    let files = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    let (catalog, _) = Catalog::load(files.clone()).expect("the shipped catalog loads");
    let newest: BTreeSet<String> = catalog
        .types()
        .map(|entry| catalog.published(entry.latest()).unwrap().path.clone())
        .collect();
    let unpinned: Vec<String> = check(&files, None)
        .into_iter()
        .filter(|d| d.rule == rules::LINK_UNPINNED && newest.contains(&d.file))
        .map(|d| d.to_string())
        .collect();
    assert!(unpinned.is_empty(), "{unpinned:#?}");
}

#[test]
fn every_shipped_config_schema_stays_compatible_when_documented_and_breaks_when_stricter() {
    let files = CatalogFiles::read_dir(&shipped_types()).expect("types/ is readable");
    let (catalog, _) = Catalog::load(files).expect("the shipped catalog loads");
    let mut compared = 0;
    for entry in catalog.types() {
        for version in &entry.versions {
            let published = catalog.published(version).expect("a published version");
            let Some(schema) = &published.config_schema else {
                continue;
            };
            let old = &*schema.document;
            let mut documented = old.clone();
            documented["$comment"] = serde_json::json!("Reviewed.");
            let changes = breaking_changes(old, &documented);
            assert!(changes.is_empty(), "{}: {changes:?}", published.path);
            let mut stricter = old.clone();
            stricter["required"] = serde_json::json!(["a property no document has"]);
            assert!(
                !breaking_changes(old, &stricter).is_empty(),
                "{}",
                published.path
            );
            compared += 1;
        }
    }
    assert!(compared >= 5, "only {compared} config schemas");
}
