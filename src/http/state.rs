//! What every worker shares: the service (the catalog being served) and the HTTP metrics.

use std::sync::Arc;

use super::metrics::Metrics;
use crate::service::{Service, Snapshot};

pub struct AppState {
    pub service: Arc<Service>,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(service: Arc<Service>) -> Self {
        Self {
            service,
            metrics: Metrics::default(),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.service.current()
    }
}
