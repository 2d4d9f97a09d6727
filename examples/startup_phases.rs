//! Where start-up time and memory go: reads a catalog directory, loads it and precomputes the
//! served answers, printing the time each phase took and the process's resident memory after
//! it (from `/proc/self/status`, so Linux only).
//!
//! `cargo run --release --example startup_phases -- DIR [IMAGES_DIR]` (e.g. a catalog of
//! `bench/generate.py`). With `IMAGES_DIR`, it compiles the catalog's image there; run again,
//! it times what a restart does instead: fingerprint the directory and open the image.

use std::path::PathBuf;
use std::time::Instant;

use typehouse::catalog::{Catalog, CatalogFiles};
use typehouse::image::{Fingerprint, Image};
use typehouse::service::Snapshot;

/// The binary's allocator, so that the phases cost what they cost in `typehouse serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: startup_phases CATALOG_DIR [IMAGES_DIR]");
        std::process::exit(2);
    };
    let images = std::env::args_os().nth(2).map(PathBuf::from);
    report("start", Instant::now());

    if let Some(images) = &images {
        let started = Instant::now();
        let fingerprint = Fingerprint::of_dir(&dir)
            .unwrap_or_else(|error| {
                eprintln!("cannot read {}: {error}", dir.display());
                std::process::exit(2);
            })
            .finish();
        let path = Image::path_in(images, &fingerprint);
        if path.exists() {
            report("restart: fingerprint the files", started);
            let started = Instant::now();
            let (catalog, image) = Image::open(&path, &fingerprint).expect("the image opens");
            report("restart: open the image", started);
            let started = Instant::now();
            let snapshot = Snapshot::from_image(catalog, image);
            report("restart: snapshot", started);
            drop(snapshot);
            return;
        }
    }

    let started = Instant::now();
    let files = CatalogFiles::read_dir(&dir).unwrap_or_else(|error| {
        eprintln!("cannot read {}: {error}", dir.display());
        std::process::exit(2);
    });
    report("read files", started);

    let started = Instant::now();
    let catalog = match Catalog::load(files) {
        Ok((catalog, _warnings)) => catalog,
        Err(diagnostics) => {
            eprintln!("the catalog has {} problem(s)", diagnostics.len());
            std::process::exit(1);
        }
    };
    report(
        &format!("load and check ({} types)", catalog.len()),
        started,
    );

    let Some(images) = images else {
        let started = Instant::now();
        let _snapshot = Snapshot::build(catalog);
        report("precompute answers", started);
        return;
    };
    let started = Instant::now();
    let fingerprint = Fingerprint::of(&catalog.files().expect("loaded")).finish();
    let path = Image::path_in(&images, &fingerprint);
    std::fs::create_dir_all(&images).expect("the images folder can be made");
    Image::write(&catalog, &fingerprint, &path).expect("the image is written");
    report("compile the image (run again to time a restart)", started);
}

fn report(phase: &str, started: Instant) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    println!(
        "{phase:<32} {:>8.3} s   RSS {:>12}   peak {:>12}",
        started.elapsed().as_secs_f64(),
        field("VmRSS:"),
        field("VmHWM:")
    );
}
