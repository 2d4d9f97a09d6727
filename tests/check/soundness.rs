//! The compatibility analysis is sound: whenever it calls a change compatible, no document the
//! old schema accepts is rejected by the new one. Generated schemas, changes and documents
//! (`schema_gen.rs`), validated by the validator the catalog builds for config schemas.

use std::collections::HashMap;

use proptest::collection::vec;
use proptest::prelude::any;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::Value;
use typehouse::catalog::compat::breaking_changes;
use typehouse::catalog::schema::ConfigSchema;

use crate::schema_gen;

/// Cases per `cargo test` run; `COMPAT_SOUNDNESS_CASES` asks for more, and the fuzz target
/// explores further.
const CASES: u32 = 10_000;
/// Fixed, so that a run is reproducible.
const SEED: [u8; 32] = *b"typehouse compat soundness seed!";

fn compile(schema: &Value) -> Option<ConfigSchema> {
    ConfigSchema::compile(
        schema.clone(),
        "acme/generated",
        "config.schema.json",
        &HashMap::new(),
    )
    .ok()
}

#[derive(Default)]
struct Tally {
    compiled: u32,
    compatible: u32,
    /// Documents the old schema accepted, in cases called compatible.
    accepted: u32,
    /// Cases where a document shows the change really is breaking.
    really_breaking: u32,
}

#[test]
fn no_document_the_old_schema_accepts_is_rejected_after_a_change_called_compatible() {
    let cases = std::env::var("COMPAT_SOUNDNESS_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
    let tally = std::cell::RefCell::new(Tally::default());
    let result = runner.run(&vec(any::<u8>(), 0..300), |bytes| {
        let case = schema_gen::case(&bytes);
        let (Some(old), Some(new)) = (compile(&case.old), compile(&case.new)) else {
            return Ok(());
        };
        let changes = breaking_changes(&case.old, &case.new);
        let mut tally = tally.borrow_mut();
        tally.compiled += 1;
        let broken = case
            .documents
            .iter()
            .find(|document| old.is_valid(document) && !new.is_valid(document));
        if broken.is_some() {
            tally.really_breaking += 1;
        }
        if !changes.is_empty() {
            return Ok(());
        }
        tally.compatible += 1;
        tally.accepted += case.documents.iter().filter(|d| old.is_valid(d)).count() as u32;
        match broken {
            None => Ok(()),
            Some(document) => Err(TestCaseError::fail(format!(
                "called compatible, but {document} passes the old schema and fails the new one\nold: {}\nnew: {}",
                case.old, case.new
            ))),
        }
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The test means something only if it checks many compatible changes with documents the
    // old schema accepts, and the generator makes breaking changes too.
    let tally = tally.into_inner();
    eprintln!(
        "{} cases compiled, {} called compatible with {} documents accepted, {} shown breaking",
        tally.compiled, tally.compatible, tally.accepted, tally.really_breaking
    );
    assert!(
        tally.compiled > cases * 8 / 10,
        "only {} of {cases} cases compiled",
        tally.compiled
    );
    assert!(
        tally.compatible > tally.compiled / 10,
        "only {} of {} changes called compatible",
        tally.compatible,
        tally.compiled
    );
    assert!(
        tally.accepted > tally.compatible * 3,
        "only {} documents accepted in {} compatible cases",
        tally.accepted,
        tally.compatible
    );
    assert!(
        tally.really_breaking > tally.compiled / 10,
        "only {} changes shown breaking",
        tally.really_breaking
    );
}
