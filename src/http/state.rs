//! What every worker shares: the service (the catalog being served), the HTTP metrics, the
//! queue checks wait in and what the service knows about where it stands (trusted proxies,
//! its public URL), and the registries it lists.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header;
use arc_swap::Guard;

use super::access::{CheckQueue, Cidr, client_address};
use super::hooks::HookQueue;
use super::metrics::Metrics;
use crate::oci::registries::Registries;
use crate::service::{Service, Snapshot};

/// Checks per client address and minute, when not configured.
pub const DEFAULT_CHECKS_PER_MINUTE: u32 = 60;

pub struct AppState {
    pub service: Arc<Service>,
    pub metrics: Metrics,
    pub checks: CheckQueue,
    /// Peers whose `Forwarded` and `X-Forwarded-For` are believed.
    pub trusted_proxies: Vec<Cidr>,
    /// The base URL shown in examples (`--public-url`); never taken from a request.
    pub public_url: Option<String>,
    /// The registries the listings inspect (`--registry NAME=URL`); none by default.
    pub registries: Arc<Registries>,
    /// Where registries' push notifications wait; `None` when they are not enabled.
    pub hooks: Option<HookQueue>,
}

impl AppState {
    pub fn new(service: Arc<Service>) -> Self {
        Self {
            service,
            metrics: Metrics::default(),
            checks: CheckQueue::per_core(DEFAULT_CHECKS_PER_MINUTE),
            trusted_proxies: Vec::new(),
            public_url: None,
            registries: Arc::new(Registries::none()),
            hooks: None,
        }
    }

    /// The client `request` counts against (see [`client_address`]).
    pub fn client(&self, request: &HttpRequest) -> Option<IpAddr> {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        client_address(
            request.peer_addr().map(|a| a.ip()),
            header(header::FORWARDED),
            header(header::X_FORWARDED_FOR),
            &self.trusted_proxies,
        )
    }

    pub fn current(&self) -> Guard<Arc<Snapshot>> {
        self.service.current()
    }
}
