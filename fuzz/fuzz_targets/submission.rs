//! Submissions as outsiders send them: any bytes, as YAML or as JSON, evaluated against the
//! shipped catalog exactly as `POST /submissions` does. Every input is a submission (pending
//! or invalid, with diagnostics) or a clear error, never a panic, in bounded time.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use typehouse::catalog::{Catalog, CatalogFiles};
use typehouse::submission::{Format, evaluate};

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::load(CatalogFiles::embedded())
            .expect("the shipped catalog loads")
            .0
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks what the request's Content-Type and `id` would: the format, and a
    // new type or one the catalog has (whose published versions the candidate is held to).
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let format = if choice & 1 == 0 {
        Format::Yaml
    } else {
        Format::Json
    };
    let type_id = if choice & 2 == 0 {
        "acme/fuzz"
    } else {
        "cncf/helm-chart"
    };
    if let Ok(evaluated) = evaluate(catalog(), type_id, body, format) {
        for diagnostic in &evaluated.diagnostics {
            let _ = format!("{diagnostic:?}");
        }
    }
});
