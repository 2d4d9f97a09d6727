//! The served catalog over time: the current snapshot, swapped whole by reloads (SIGHUP, the
//! directory watcher) and the record of the last one. Nothing here knows HTTP: the HTTP layer
//! reads snapshots through [`Service::current`].

pub mod reload;
pub mod snapshot;

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::{ArcSwap, Guard};
use serde::Serialize;

pub use reload::{CatalogSource, IMAGES_DIR, LoadError, RemoteCatalog, load};
pub use snapshot::{Answer, Snapshot};

use crate::catalog::Diagnostic;

/// The last reload attempt, for health and metrics.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReloadStatus {
    pub reloads: u64,
    pub failures: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<Vec<Diagnostic>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<String>,
}

/// The catalog being served, shared by every worker.
pub struct Service {
    snapshot: ArcSwap<Snapshot>,
    /// Where compiled catalog images are kept; `None` serves reloads from memory.
    pub images: Option<PathBuf>,
    pub reload: Mutex<ReloadStatus>,
    /// Told when the image of a snapshot turns out damaged; see [`reload::recover`].
    damage: OnceLock<Sender<()>>,
}

impl Service {
    pub fn new(snapshot: Snapshot) -> Self {
        Self {
            snapshot: ArcSwap::from_pointee(snapshot),
            images: None,
            reload: Mutex::new(ReloadStatus::default()),
            damage: OnceLock::new(),
        }
    }

    pub fn with_images(mut self, dir: PathBuf) -> Self {
        self.images = Some(dir);
        self
    }

    /// The snapshot serving now; a reload never changes one a request already holds. The
    /// guard touches no shared reference count (both workers bumped one on every request);
    /// `Guard::into_inner` makes it an `Arc` for work that outlives the request.
    pub fn current(&self) -> Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// Serves `snapshot` from now on.
    pub fn replace(&self, snapshot: Snapshot) {
        self.report_damage(&snapshot);
        self.snapshot.store(Arc::new(snapshot));
    }

    /// Has `snapshot` tell [`reload::recover`] when its image turns out damaged.
    fn report_damage(&self, snapshot: &Snapshot) {
        if let Some(damage) = self.damage.get() {
            let damage = damage.clone();
            snapshot.on_damage(Box::new(move || {
                let _ = damage.send(());
            }));
        }
    }

    /// The record of the last reload.
    pub fn reload_status(&self) -> ReloadStatus {
        self.reload
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_the_snapshot_without_a_reference_of_its_own_and_keeps_it_over_a_reload() {
        let service = Service::new(load(&CatalogSource::Embedded, None).expect("built-in loads"));
        let held = service.current();
        // Only the service's own reference: reading bumped no shared count.
        assert_eq!(Arc::strong_count(&held), 1);
        let types = held.catalog.types().len();

        service.replace(load(&CatalogSource::Embedded, None).expect("built-in loads"));
        assert!(!Arc::ptr_eq(&held, &service.current()));
        // The guard taken before the reload still reads the snapshot it was given.
        assert_eq!(held.catalog.types().len(), types);
        let kept = Guard::into_inner(held);
        assert_eq!(
            Arc::strong_count(&kept),
            1,
            "the reload let go of it; the request has it"
        );
    }
}
