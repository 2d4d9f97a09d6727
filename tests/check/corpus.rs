//! The corpus of manifests as the producers write them (`tests/fixtures/manifests/`), each
//! classified against the built-in catalog: these test the catalog's facts, where the synthetic
//! manifests of `classify.rs` test the rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use typehouse::catalog::classify::classify;
use typehouse::catalog::reference::Reference;
use typehouse::catalog::{Catalog, CatalogFiles};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is JSON: {e}", path.display()))
}

/// What one file must classify as.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum Expected {
    Type(String),
    /// A fact the catalog still gets wrong: the right type, and what it answers today.
    Known {
        id: String,
        #[serde(rename = "answersToday")]
        answers_today: String,
        why: String,
    },
}

/// `expected.json`: file (relative to the corpus) -> what it must classify as.
fn expected() -> BTreeMap<String, Expected> {
    serde_json::from_value(read_json(&corpus().join("expected.json")))
        .expect("expected.json maps files to type ids")
}

#[test]
fn every_manifest_of_the_corpus_classifies_as_its_producers_type() {
    let (catalog, _) = Catalog::load(CatalogFiles::embedded()).expect("the built-in catalog loads");
    let mut wrong = Vec::new();
    for (file, expected) in expected() {
        let document = read_json(&corpus().join(&file));
        let answer = classify(&catalog, &document, &Reference::default())
            .unwrap_or_else(|e| panic!("{file} is classified: {e}"));
        let matched = answer.matched.as_ref().map(|m| m.id.as_str());
        match expected {
            Expected::Type(id) if matched != Some(id.as_str()) => {
                wrong.push(format!("{file}: expected {id}, got {matched:?}"));
            }
            Expected::Known {
                id,
                answers_today,
                why,
            } if matched != Some(answers_today.as_str()) => {
                wrong.push(format!(
                    "{file}: the catalog was to answer {answers_today} until fixed ({why}); it answers {matched:?}: if that is {id}, make the entry a plain type id"
                ));
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "misclassified:\n{}", wrong.join("\n"));
}

#[test]
fn the_corpus_spans_at_least_thirty_manifests_from_fifteen_producers_each_named_in_sources() {
    let expected = expected();
    let producers: std::collections::BTreeSet<&str> = expected
        .keys()
        .map(|file| file.split('/').next().unwrap_or_default())
        .collect();
    assert!(expected.len() >= 30, "{} manifests", expected.len());
    assert!(producers.len() >= 15, "{} producers", producers.len());
    let sources = std::fs::read_to_string(corpus().join("SOURCES.md")).expect("SOURCES.md");
    for file in expected.keys() {
        assert!(
            sources.contains(&format!("`{file}`")),
            "{file} is not named in SOURCES.md"
        );
    }
    // Every file of the corpus has an expectation, so none is left unchecked.
    let mut on_disk = Vec::new();
    for producer in std::fs::read_dir(corpus()).expect("the corpus folder") {
        let producer = producer.expect("an entry").path();
        if !producer.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&producer).expect("a producer folder") {
            let path = file.expect("an entry").path();
            let relative = path.strip_prefix(corpus()).expect("inside the corpus");
            on_disk.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    on_disk.sort();
    assert_eq!(on_disk, expected.keys().cloned().collect::<Vec<_>>());
}
