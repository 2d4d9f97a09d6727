//! Catalog reloads: load anew off the request path, swap whole on success, keep the old
//! catalog and record the diagnostics on failure.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::state::{AppState, Snapshot};
use crate::catalog::{Catalog, CatalogFiles};
use crate::oci::{self, CatalogReference, Credentials, Remote};

/// Where the served catalog comes from.
#[derive(Debug, Clone)]
pub enum CatalogSource {
    Embedded,
    Directory(PathBuf),
    /// A catalog published with `typehouse publish`, pulled anew on every read (SIGHUP).
    Oci {
        reference: CatalogReference,
        plain_http: bool,
        auth: Credentials,
    },
}

impl CatalogSource {
    /// Reads the catalog's files. Blocking, also for `Oci` (which pulls on a thread and
    /// runtime of its own), so it may be called from plain code or a blocking task.
    pub fn read(&self) -> std::io::Result<CatalogFiles> {
        match self {
            Self::Embedded => Ok(CatalogFiles::embedded()),
            Self::Directory(dir) => CatalogFiles::read_dir(dir),
            Self::Oci {
                reference,
                plain_http,
                auth,
            } => {
                let remote = Remote {
                    reference: reference.clone(),
                    plain_http: *plain_http,
                    credentials: auth.clone(),
                };
                let pulled = oci::pull(&remote).map_err(std::io::Error::other)?;
                tracing::info!(%reference, digest = %pulled.digest, version = %pulled.config.version, "catalog pulled");
                Ok(pulled.files)
            }
        }
    }
}

/// Loads `source` and swaps it in; returns whether it took effect. Blocking: call it from a
/// thread of its own.
pub fn reload(state: &AppState, source: &CatalogSource) -> bool {
    let outcome = source
        .read()
        .map_err(|error| {
            vec![crate::catalog::Diagnostic::error(
                "file-read",
                "",
                error.to_string(),
            )]
        })
        .and_then(Catalog::load);
    let mut status = state.reload.lock().unwrap_or_else(|p| p.into_inner());
    match outcome {
        Ok((catalog, _warnings)) => {
            let snapshot = Snapshot::build(catalog);
            tracing::info!(types = snapshot.catalog.len(), version = %snapshot.catalog.meta.version, "catalog reloaded");
            state.snapshot.store(Arc::new(snapshot));
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

/// A cheap fingerprint of a directory: every file's path, size and modification time.
pub fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() {
                pending.push(entry.path());
            } else {
                found.push((entry.path(), metadata.len(), metadata.modified().ok()));
            }
        }
    }
    found.sort();
    found
}

/// Polls `dir` and reloads when anything under it changes, until the state is dropped.
pub fn watch(state: std::sync::Weak<AppState>, dir: PathBuf, interval: Duration) {
    // Taken now, not on the thread: a change made before the thread first runs must count.
    let mut last = fingerprint(&dir);
    std::thread::spawn(move || {
        let mut pause = interval;
        loop {
            std::thread::sleep(pause);
            let Some(state) = state.upgrade() else { return };
            let started = std::time::Instant::now();
            let current = fingerprint(&dir);
            // Polling is not free: on a 10,000-type catalog one pass stats some 25,000 files
            // and took a quarter of the server's CPU time at a 1 s interval. Polling never
            // takes more than a tenth of one core.
            pause = interval.max(started.elapsed() * 10);
            if current != last {
                // Let an editor or `git checkout` finish writing before reading.
                std::thread::sleep(interval / 2);
                last = fingerprint(&dir);
                reload(&state, &CatalogSource::Directory(dir.clone()));
            }
        }
    });
}
