//! The manifest classifier: JSON bytes against the embedded catalog. Malformed documents are
//! errors, never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use typehouse::catalog::classify::classify;
use typehouse::catalog::reference::{Reference, ReferenceInput};
use typehouse::catalog::{Catalog, CatalogFiles};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::load(CatalogFiles::embedded())
            .expect("the embedded catalog loads")
            .0
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(document) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let reference = Reference::parse(&ReferenceInput {
        registry: Some("registry.example".into()),
        repository: Some("a/b".into()),
        tag: Some("1.0.0".into()),
        digest: None,
    })
    .expect("the reference follows the grammar");
    if let Ok(answer) = classify(catalog(), &document, &reference) {
        serde_json::to_vec(&answer).expect("answers serialize");
    }
});
