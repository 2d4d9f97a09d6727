//! What every worker shares: the service (the catalog being served), the HTTP metrics, the
//! queue checks wait in and what the service knows about where it stands (trusted proxies,
//! its public URL), and the registries it lists.

use std::future::{Ready, ready};
use std::net::IpAddr;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
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

/// A worker's handle on the [`AppState`], the extractor handlers take it by. Each worker holds
/// its own `Rc`, so taking the state for a request counts on a line only that worker touches:
/// with one `Arc` for all (actix-web's `Data`), every worker would bump the same counter on
/// every request, and the line would bounce between the cores.
#[derive(Clone)]
#[expect(
    clippy::redundant_allocation,
    reason = "the Rc is the worker's own counter; the Arc is the one all workers share"
)]
pub struct State(Rc<Arc<AppState>>);

impl State {
    /// A handle for one worker.
    pub fn for_worker(state: Arc<AppState>) -> Self {
        Self(Rc::new(state))
    }
}

impl Deref for State {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.0
    }
}

impl FromRequest for State {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(request.app_data::<State>().cloned().ok_or_else(|| {
            actix_web::error::ErrorInternalServerError("the application state is not configured")
        }))
    }
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

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;
    use crate::service::{CatalogSource, load};

    #[actix_web::test]
    async fn a_request_takes_the_state_without_touching_the_shared_count() {
        let service = Service::new(load(&CatalogSource::Embedded, None).expect("built-in loads"));
        let shared = Arc::new(AppState::new(Arc::new(service)));
        let worker = State::for_worker(Arc::clone(&shared));
        assert_eq!(Arc::strong_count(&shared), 2, "ours and the worker's");

        let request = TestRequest::default()
            .app_data(worker.clone())
            .to_http_request();
        let taken: Vec<State> =
            futures_util::future::join_all((0..3).map(|_| State::extract(&request)))
                .await
                .into_iter()
                .collect::<Result<_, _>>()
                .expect("the state is configured");
        assert_eq!(
            Arc::strong_count(&shared),
            2,
            "requests count on the worker's Rc"
        );
        assert!(taken.iter().all(|state| std::ptr::eq(&**state, &*shared)));
        // The worker's, the request's app data and the three taken.
        assert_eq!(Rc::strong_count(&worker.0), 5);

        let unconfigured = TestRequest::default().to_http_request();
        assert!(State::extract(&unconfigured).await.is_err());
    }
}
