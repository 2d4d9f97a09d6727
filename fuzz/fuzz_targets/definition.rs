//! The definition loader: YAML bytes as the one version file of a catalog. Every input gets
//! diagnostics or a catalog, never a panic, in bounded time.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use typehouse::catalog::CatalogFiles;
use typehouse::catalog::load::load;

/// The embedded catalog's root files, without its types.
fn base() -> &'static CatalogFiles {
    static BASE: OnceLock<CatalogFiles> = OnceLock::new();
    BASE.get_or_init(|| {
        let embedded = CatalogFiles::embedded();
        let mut files = CatalogFiles::default();
        for path in ["catalog.yaml", "definition.schema.json"] {
            files.insert(path, embedded.bytes(path).expect("a root file").to_vec());
        }
        files
    })
}

fuzz_target!(|data: &[u8]| {
    let mut files = base().clone();
    files.insert("acme/fuzz/1.0.0.yaml", data.to_vec());
    let loaded = load(&files);
    for diagnostic in &loaded.diagnostics {
        let _ = diagnostic.to_string();
    }
});
