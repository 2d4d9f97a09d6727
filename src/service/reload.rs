//! Catalog reloads: load anew off the request path, swap whole on success, keep the old
//! catalog and record the diagnostics on failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use super::{Service, Snapshot};
use crate::catalog::{Catalog, CatalogFiles, Diagnostic};
use crate::image::{self, Fingerprint, Image};

/// Where the served catalog comes from.
#[derive(Debug, Clone)]
pub enum CatalogSource {
    Embedded,
    Directory(PathBuf),
    /// A catalog read anew from elsewhere on every load (SIGHUP): a catalog published into a
    /// registry, read by the `oci` module.
    Remote(Arc<dyn RemoteCatalog>),
}

/// A catalog kept somewhere else than on this machine.
pub trait RemoteCatalog: std::fmt::Debug + Send + Sync {
    /// Reads its files. Blocking.
    fn read(&self) -> std::io::Result<CatalogFiles>;
}

impl CatalogSource {
    /// Reads the catalog's files. Blocking, also for `Oci` (which pulls on a thread and
    /// runtime of its own), so it may be called from plain code or a blocking task.
    pub fn read(&self) -> std::io::Result<CatalogFiles> {
        match self {
            Self::Embedded => Ok(CatalogFiles::embedded()),
            Self::Directory(dir) => CatalogFiles::read_dir(dir),
            Self::Remote(remote) => remote.read(),
        }
    }
}

/// The folder of the data directory that holds compiled catalog images.
pub const IMAGES_DIR: &str = "catalog-images";

/// Why a catalog could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    Read(std::io::Error),
    /// Every error diagnostic.
    Invalid(Vec<Diagnostic>),
}

/// Loads the catalog of `source` for serving. With `images` (a folder), it is served from its
/// compiled image: opened when one for these very files exists, else compiled from a load and
/// check of the files. Without, or when the image cannot be written (a full or read-only
/// disk), the loaded catalog is served from memory. Blocking.
pub fn load(source: &CatalogSource, images: Option<&Path>) -> Result<Snapshot, LoadError> {
    // On a thread that ends with the load: the allocator hands a thread's freed memory back
    // when the thread ends, and compiling a large catalog frees hundreds of megabytes once
    // its image is written. On a long-lived thread (the watcher's, the caller's) it would
    // stay resident.
    std::thread::scope(|scope| {
        scope
            .spawn(|| load_here(source, images))
            .join()
            .unwrap_or_else(|_| {
                Err(LoadError::Read(std::io::Error::other(
                    "loading the catalog panicked",
                )))
            })
    })
}

fn load_here(source: &CatalogSource, images: Option<&Path>) -> Result<Snapshot, LoadError> {
    // One load at a time: a SIGHUP and the watcher may ask at once, and two compilations of
    // one image would write the same files.
    static LOADING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = LOADING.lock().unwrap_or_else(|p| p.into_inner());
    let started = std::time::Instant::now();
    // A directory is fingerprinted a file at a time, so that opening an existing image never
    // holds the whole catalog in memory; other sources are read whole anyway.
    let (fingerprint, files) = match source {
        CatalogSource::Directory(dir) => (
            Fingerprint::of_dir(dir).map_err(LoadError::Read)?.finish(),
            None,
        ),
        other => {
            let files = other.read().map_err(LoadError::Read)?;
            (Fingerprint::of(&files).finish(), Some(files))
        }
    };
    if let Some(dir) = images {
        let path = Image::path_in(dir, &fingerprint);
        if path.exists() {
            match Image::open(&path, &fingerprint) {
                Ok((catalog, image)) => {
                    tracing::info!(
                        path = %path.display(),
                        millis = started.elapsed().as_millis() as u64,
                        "catalog image opened"
                    );
                    image::remove_others(dir, &path);
                    return Ok(Snapshot::from_image(catalog, image).with_fingerprint(fingerprint));
                }
                Err(error) => tracing::warn!(%error, "compiling the catalog image again"),
            }
        }
    }
    let files = match files {
        Some(files) => files,
        None => source.read().map_err(LoadError::Read)?,
    };
    // What was read may differ from what was fingerprinted if the files changed meanwhile:
    // the image is named after what it holds.
    let mut fingerprint = Fingerprint::of(&files).finish();
    let invalid = |diagnostics: Vec<Diagnostic>| {
        LoadError::Invalid(
            diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        )
    };
    let files = if let Some(dir) = images {
        // Loaded lazily: the image reads each definition once, parsed again from the files,
        // so the whole catalog's parsed definitions are never held at once.
        let files = Arc::new(files);
        let (lazy, _warnings) = Catalog::load_lazily(Arc::clone(&files)).map_err(invalid)?;
        let path = Image::path_in(dir, &fingerprint);
        let written =
            std::fs::create_dir_all(dir).and_then(|()| Image::write(&lazy, &fingerprint, &path));
        drop(lazy);
        let kept = match written {
            Ok(()) => {
                // The image holds them now: the files go before the image is opened, so that
                // the two are never in memory at once.
                drop(files);
                match Image::open(&path, &fingerprint) {
                    Ok((stored, image)) => {
                        tracing::info!(
                            path = %path.display(),
                            millis = started.elapsed().as_millis() as u64,
                            "catalog loaded, checked and compiled into its image"
                        );
                        image::remove_others(dir, &path);
                        return Ok(
                            Snapshot::from_image(stored, image).with_fingerprint(fingerprint)
                        );
                    }
                    Err(error) => {
                        tracing::warn!(
                            %error,
                            "cannot open the compiled catalog image; serving the catalog from memory"
                        );
                        None
                    }
                }
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    "cannot compile the catalog image; serving the catalog from memory"
                );
                Some(Arc::try_unwrap(files).unwrap_or_else(|files| (*files).clone()))
            }
        };
        match kept {
            Some(files) => files,
            // Read anew; named after what was read.
            None => {
                let files = source.read().map_err(LoadError::Read)?;
                fingerprint = Fingerprint::of(&files).finish();
                files
            }
        }
    } else {
        files
    };
    let (catalog, _warnings) = Catalog::load(files).map_err(invalid)?;
    Ok(Snapshot::build(catalog).with_fingerprint(fingerprint))
}

/// Loads `source` and swaps it in; returns whether it took effect. Blocking: call it from a
/// thread of its own.
pub fn reload(service: &Service, source: &CatalogSource) -> bool {
    let outcome = load(source, service.images.as_deref()).map_err(|error| match error {
        LoadError::Read(error) => vec![Diagnostic::error("file-read", "", error.to_string())],
        LoadError::Invalid(errors) => errors,
    });
    let mut status = service.reload.lock().unwrap_or_else(|p| p.into_inner());
    match outcome {
        Ok(snapshot) => {
            tracing::info!(types = snapshot.catalog.len(), version = %snapshot.catalog.meta.version, "catalog reloaded");
            service.replace(snapshot);
            status.reloads += 1;
            status.last_error = None;
            status.last_error_at = None;
            true
        }
        Err(diagnostics) => {
            let errors: Vec<_> = diagnostics.into_iter().filter(|d| d.is_error()).collect();
            tracing::error!(
                errors = errors.len(),
                "catalog reload refused; the previous catalog keeps serving"
            );
            for diagnostic in errors.iter().take(20) {
                tracing::error!("{diagnostic}");
            }
            status.failures += 1;
            status.last_error = Some(errors);
            status.last_error_at = Some(httpdate::fmt_http_date(SystemTime::now()));
            false
        }
    }
}

/// Compiles the catalog of `source` again whenever the image of the snapshot serving turns out
/// damaged (a blob that does not match its digest; the image removed its file by then), on a
/// thread of its own, until the service is dropped. Requests keep the damaged snapshot, whose
/// damaged blobs answer 500, until the new one is swapped in.
pub fn recover(service: &Arc<Service>, source: CatalogSource) {
    let (damage, damaged) = std::sync::mpsc::channel();
    if service.damage.set(damage).is_err() {
        return;
    }
    service.report_damage(&service.current());
    let service = Arc::downgrade(service);
    std::thread::spawn(move || {
        while damaged.recv().is_ok() {
            let Some(service) = service.upgrade() else {
                return;
            };
            tracing::warn!("compiling the damaged catalog image again");
            reload(&service, &source);
        }
    });
}

/// A digest of every file under a directory with its size and modification time: cheap to
/// take, different whenever a file is added, removed or written, and a few bytes where the
/// listing of a 10,000-type catalog would hold megabytes. Each file's entry is hashed and the
/// hashes summed, so the order the directories are read in does not matter. `rest` is called
/// after every [`SLICE`] entries.
fn stat_listing(dir: &Path, mut rest: impl FnMut()) -> (u64, u128) {
    let (mut files, mut sum) = (0u64, 0u128);
    let mut entries_seen = 0usize;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            entries_seen += 1;
            if entries_seen.is_multiple_of(SLICE) {
                rest();
            }
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() {
                pending.push(entry.path());
                continue;
            }
            let modified = metadata
                .modified()
                .ok()
                .and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |since| since.as_nanos());
            let mut hasher = Sha256::new();
            hasher.update(entry.path().as_os_str().as_encoded_bytes());
            hasher.update([0]);
            hasher.update(metadata.len().to_le_bytes());
            hasher.update(modified.to_le_bytes());
            let hash = hasher.finalize();
            let hash = u128::from_le_bytes(hash[..16].try_into().expect("16 of 32 bytes"));
            files += 1;
            sum = sum.wrapping_add(hash);
        }
    }
    (files, sum)
}

/// Entries a watching pass stats between two rests: a few milliseconds of work.
const SLICE: usize = 256;

/// How a watching pass shares the machine. One pass over a 10,000-type catalog stats some
/// 37,000 entries, 0.15 s of one core: taken at once, it stalls the requests a loaded server
/// has in flight. So a pass rests after each slice for 49 times as long as the slice took:
/// about a millisecond of work at a time, never more than a fiftieth of a core, and a large
/// catalog sees its changes some seconds later (SIGHUP at once).
fn paced() -> impl FnMut() {
    let mut slice_started = Instant::now();
    move || {
        std::thread::sleep(slice_started.elapsed() * 49);
        slice_started = Instant::now();
    }
}

/// Polls `dir` and reloads when anything under it changes, until the service is dropped.
pub fn watch(service: std::sync::Weak<Service>, dir: PathBuf, interval: Duration) {
    std::thread::spawn(move || {
        // Taken here, off the start-up path (statting a large catalog takes a while). A change
        // made since the catalog was loaded still counts: the files' content fingerprint is
        // compared with the one the serving snapshot was loaded from.
        let mut last = stat_listing(&dir, paced());
        let loaded = service
            .upgrade()
            .and_then(|service| service.current().fingerprint.clone());
        let now = Fingerprint::of_dir(&dir).ok().map(Fingerprint::finish);
        if loaded.is_some() && now.is_some() && loaded != now {
            if let Some(service) = service.upgrade() {
                reload(&service, &CatalogSource::Directory(dir.clone()));
            }
        }
        loop {
            std::thread::sleep(interval);
            if service.strong_count() == 0 {
                return;
            }
            let current = stat_listing(&dir, paced());
            if current != last {
                // Let an editor or `git checkout` finish writing before reading. The reload
                // costs far more than the pass, so the pass is not paced.
                std::thread::sleep(interval / 2);
                last = stat_listing(&dir, || {});
                let Some(service) = service.upgrade() else {
                    return;
                };
                reload(&service, &CatalogSource::Directory(dir.clone()));
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{SLICE, stat_listing};

    #[test]
    fn the_listing_changes_with_any_file_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("acme/widget");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("1.0.0.yaml"), "a").unwrap();
        std::fs::write(dir.path().join("catalog.yaml"), "b").unwrap();
        let mut seen = vec![stat_listing(dir.path(), || {})];
        assert_eq!(stat_listing(dir.path(), || {}), seen[0], "nothing changed");
        let mut changed = |what: &str| {
            let now = stat_listing(dir.path(), || {});
            assert!(!seen.contains(&now), "{what}: {now:?} seen before");
            seen.push(now);
        };
        std::fs::write(sub.join("1.1.0.yaml"), "c").unwrap();
        changed("a file added");
        std::fs::write(sub.join("1.1.0.yaml"), "cc").unwrap();
        changed("a file written longer");
        std::fs::rename(sub.join("1.1.0.yaml"), sub.join("1.2.0.yaml")).unwrap();
        changed("a file renamed");
        std::fs::remove_file(sub.join("1.2.0.yaml")).unwrap();
        let file = std::fs::File::options()
            .write(true)
            .open(sub.join("1.0.0.yaml"))
            .unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        changed("a file removed and another touched");
    }

    #[test]
    fn a_pass_rests_after_every_slice_of_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut entries = 0;
        for folder in 0..20 {
            let sub = dir.path().join(format!("acme/t{folder}"));
            std::fs::create_dir_all(&sub).unwrap();
            entries += 1;
            for version in 0..50 {
                std::fs::write(sub.join(format!("1.{version}.0.yaml")), "a").unwrap();
                entries += 1;
            }
        }
        entries += 1; // acme
        let mut rests = 0;
        let (files, _) = stat_listing(dir.path(), || rests += 1);
        assert_eq!(files, 1000);
        assert_eq!(rests, entries / SLICE, "{entries} entries");
    }
}
