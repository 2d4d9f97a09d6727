//! The compatibility analysis is sound: the bytes choose an old config schema, a change to it
//! and documents (the generator of the soundness test, `tests/check/schema_gen.rs`); when the
//! analysis calls the change compatible, no document the old schema accepts may fail the new
//! one, as the catalog's own validator sees them.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use typehouse::catalog::compat::breaking_changes;
use typehouse::catalog::schema::ConfigSchema;

#[path = "../../tests/check/schema_gen.rs"]
mod schema_gen;

fn compile(schema: &Value) -> Option<ConfigSchema> {
    ConfigSchema::compile(
        schema.clone(),
        "acme/generated",
        "config.schema.json",
        &HashMap::new(),
    )
    .ok()
}

fuzz_target!(|data: &[u8]| {
    let case = schema_gen::case(data);
    let (Some(old), Some(new)) = (compile(&case.old), compile(&case.new)) else {
        return;
    };
    if !breaking_changes(&case.old, &case.new).is_empty() {
        return;
    }
    for document in &case.documents {
        assert!(
            !old.is_valid(document) || new.is_valid(document),
            "called compatible, but {document} passes the old schema and fails the new one\nold: {}\nnew: {}",
            case.old,
            case.new
        );
    }
});
