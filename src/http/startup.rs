//! Builds the application: the only way to start the service, for `main` and tests alike.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Server, ServerHandle, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, web};

use super::access::{CheckQueue, Cidr, RateLimiter, ReviewTokens};
use super::body::PROBLEM_JSON;
use super::handlers::shared::{self, Submissions};
use super::hooks::{self, DEFAULT_HOOK_QUEUE, HookQueue, HookToken};
use super::listeners;
use super::negotiate::prefers_html;
use super::openapi::OpenApiDocument;
use super::problem::problem_for_status;
use super::routes;
use super::state::{AppState, DEFAULT_CHECKS_PER_MINUTE, State};
use crate::oci::Credentials;
use crate::oci::registries::{Registries, RegistryConfig};
use crate::service::{self, CatalogSource, LoadError, Service, reload};
use crate::store::Store;

/// Request bodies larger than this get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Settings of `typehouse serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: String,
    pub source: CatalogSource,
    pub data: PathBuf,
    pub review_token: Option<String>,
    /// How often `--types DIR` is polled for changes; `None` disables watching.
    pub watch_interval: Option<Duration>,
    /// Worker threads; `None`: one per core.
    pub workers: Option<usize>,
    /// A listener per worker, connections going to workers by the core they arrive on
    /// (`listeners`); otherwise the workers share one listener.
    pub connections_by_cpu: bool,
    /// Submissions waiting for review at most; past it `POST /submissions` answers 429.
    pub max_pending: usize,
    /// New submissions per client address and minute; 0 disables the limit.
    pub submissions_per_minute: u32,
    /// Checks of definitions (dry runs, submissions, the form's Check) per client address and
    /// minute; 0 disables the limit.
    pub checks_per_minute: u32,
    /// Checks running at once (default: one per core); as many again, four times over, wait.
    pub check_slots: Option<usize>,
    /// Peers whose `Forwarded` and `X-Forwarded-For` headers name the client.
    pub trusted_proxies: Vec<Cidr>,
    /// The base URL pages show in examples.
    pub public_url: Option<String>,
    /// Pending and invalid submissions older than this are removed; `None` keeps them.
    pub pending_expiry: Option<Duration>,
    /// The registries `/registries` lists; their credentials come from the Docker config.
    pub registries: Vec<RegistryConfig>,
    /// The bearer token registries' push notifications carry; `None` disables the hooks.
    pub hook_token: Option<String>,
    /// Manifest pushes waiting to be classified at most; past it a notification gets 503.
    pub hook_queue: usize,
}

/// How long a submission waits for review before it expires, unless configured.
pub const DEFAULT_PENDING_EXPIRY: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often expired submissions are looked for.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(60);

impl ServeConfig {
    pub fn new(source: CatalogSource) -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            source,
            data: PathBuf::from("typehouse-data"),
            review_token: None,
            watch_interval: Some(Duration::from_secs(1)),
            workers: None,
            connections_by_cpu: false,
            max_pending: crate::store::DEFAULT_MAX_PENDING,
            submissions_per_minute: 30,
            checks_per_minute: DEFAULT_CHECKS_PER_MINUTE,
            check_slots: None,
            trusted_proxies: Vec::new(),
            public_url: None,
            pending_expiry: Some(DEFAULT_PENDING_EXPIRY),
            registries: Vec::new(),
            hook_token: None,
            hook_queue: DEFAULT_HOOK_QUEUE,
        }
    }
}

/// Removes expired submissions now and every [`EXPIRY_INTERVAL`], until the service is gone.
fn expire_submissions(submissions: std::sync::Weak<Submissions>, expiry: Duration) {
    let expiry = i64::try_from(expiry.as_secs()).unwrap_or(i64::MAX);
    std::thread::spawn(move || {
        // Holds the store only while it works, so a stopped service closes it.
        while let Some(submissions) = submissions.upgrade() {
            let now = crate::submission::Timestamp::now().unix_seconds();
            let cutoff =
                crate::submission::Timestamp::from_unix_seconds(now.saturating_sub(expiry));
            match submissions.store.expire(cutoff) {
                Ok(0) => {}
                Ok(removed) => {
                    tracing::info!(removed, "expired submissions nobody reviewed in time")
                }
                Err(error) => tracing::warn!(%error, "cannot remove expired submissions"),
            }
            drop(submissions);
            std::thread::sleep(EXPIRY_INTERVAL);
        }
    });
}

/// A bound, not yet running service.
pub struct Application {
    servers: Vec<Server>,
    port: u16,
    pub state: Arc<AppState>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the data directory: {0}")]
    Store(crate::store::StoreError),
    #[error("cannot read the catalog: {0}")]
    Catalog(std::io::Error),
    #[error("the catalog has {0} error(s); run `typehouse check` on it")]
    Invalid(usize, Vec<crate::catalog::Diagnostic>),
    #[error("cannot set up the registries: {0}")]
    Registries(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

impl Application {
    /// Opens the data directory, loads the catalog (from its compiled image when there is
    /// one), binds the listener and starts serving.
    pub fn build(config: ServeConfig) -> Result<Self, StartError> {
        let store = open_store(&config)?;
        let snapshot = load_snapshot(&config)?;
        let listeners = bind(&config)?;
        Self::serve(config, store, listeners, snapshot)
    }

    /// As [`build`](Self::build), but the port opens first: while the catalog loads (seconds
    /// for a large one compiled for the first time) every request is answered 503 with
    /// `Retry-After`, so a probe learns "not yet" rather than "connection refused".
    pub async fn start(config: ServeConfig) -> Result<Self, StartError> {
        let store = open_store(&config)?;
        let listeners = bind(&config)?;
        let meanwhile = listeners
            .iter()
            .map(TcpListener::try_clone)
            .collect::<std::io::Result<Vec<_>>>()
            .and_then(serve_while_loading)
            .map_err(|source| StartError::Bind {
                address: config.bind.clone(),
                source,
            })?;
        // Off the runtime, which serves the 503s meanwhile.
        let (sender, loaded) = tokio::sync::oneshot::channel();
        {
            let config = config.clone();
            std::thread::spawn(move || {
                let _ = sender.send(load_snapshot(&config));
            });
        }
        let loaded = loaded.await.unwrap_or_else(|_| {
            Err(StartError::Catalog(std::io::Error::other(
                "loading the catalog stopped unexpectedly",
            )))
        });
        // Requests in flight are answered; new connections wait in the listener's backlog
        // until the service below accepts them.
        meanwhile.stop(true).await;
        Self::serve(config, store, listeners, loaded?)
    }

    fn serve(
        config: ServeConfig,
        store: Store,
        listeners: Vec<TcpListener>,
        snapshot: service::Snapshot,
    ) -> Result<Self, StartError> {
        let images = config.data.join(service::IMAGES_DIR);
        let port = listeners[0]
            .local_addr()
            .map_err(|source| StartError::Bind {
                address: config.bind.clone(),
                source,
            })?
            .port();
        let submissions = web::Data::new(Submissions {
            store,
            tokens: ReviewTokens::parse(config.review_token.as_deref()),
            limiter: RateLimiter::new(config.submissions_per_minute),
        });
        if let Some(expiry) = config.pending_expiry {
            expire_submissions(Arc::downgrade(&submissions.clone().into_inner()), expiry);
        }
        let openapi = web::Data::new(OpenApiDocument::build());
        let service = Arc::new(Service::new(snapshot).with_images(images));
        let mut state = AppState::new(Arc::clone(&service));
        state.checks = match config.check_slots {
            Some(slots) => CheckQueue::new(slots, slots * 4, config.checks_per_minute),
            None => CheckQueue::per_core(config.checks_per_minute),
        };
        state.trusted_proxies = config.trusted_proxies.clone();
        state.public_url = config.public_url.clone();
        state.registries = Arc::new(
            Registries::new(&config.registries, |host| {
                Credentials::from_docker_config(host).map_err(|e| e.to_string())
            })
            .map_err(StartError::Registries)?,
        );
        if let Some(token) = config.hook_token.as_deref().filter(|t| !t.is_empty()) {
            let (queue, receiver) = HookQueue::new(HookToken::new(token), config.hook_queue);
            let worker = hooks::work(
                receiver,
                Arc::downgrade(&state.registries),
                Arc::clone(&service),
                submissions.store.clone(),
            );
            // Without a configured registry there is nothing to notify about.
            if state.registries.spawn(worker) {
                state.hooks = Some(queue);
            }
        }
        let state = Arc::new(state);

        reload::recover(&service, config.source.clone());
        if let (CatalogSource::Directory(dir), Some(interval)) =
            (&config.source, config.watch_interval)
        {
            reload::watch(Arc::downgrade(&service), dir.clone(), interval);
        }
        let shared = state.clone();
        let app = move || {
            // Made once per worker, on its thread.
            if let Err(error) = super::slice::ask_for_short_slice() {
                tracing::info!(%error, "a worker keeps the default time slice");
            }
            let state = State::for_worker(shared.clone());
            App::new()
                .app_data(state.clone())
                .app_data(submissions.clone())
                .app_data(openapi.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(ErrorHandlers::new().default_handler(as_problem))
                .wrap_fn(move |request, service| {
                    // Per request: a clock reading; everything else is derived from the answer,
                    // and only when it is needed.
                    let started = Instant::now();
                    let state = state.clone();
                    let response = actix_web::dev::Service::call(service, request);
                    async move {
                        let mut response = response.await?;
                        // Every answer may be read by any origin (a middleware of its own
                        // would cost a layer per request).
                        response.headers_mut().insert(
                            header::ACCESS_CONTROL_ALLOW_ORIGIN,
                            HeaderValue::from_static("*"),
                        );
                        if response.status() == StatusCode::METHOD_NOT_ALLOWED {
                            // RFC 9110: a 405 names the methods the resource takes.
                            let allow = routes::allowed_methods(response.request().path());
                            response
                                .headers_mut()
                                .insert(header::ALLOW, HeaderValue::from_static(allow));
                        }
                        let path = response.request().path();
                        let method = response.request().method();
                        let status = response.status().as_u16();
                        let elapsed = started.elapsed();
                        state.metrics.record(method, routes::route_of(path), status, elapsed);
                        if tracing::enabled!(tracing::Level::INFO) {
                            let path: String = path.chars().take(200).collect();
                            tracing::info!(%method, %path, status, micros = elapsed.as_micros() as u64, "request");
                        }
                        Ok(response)
                    }
                })
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        };
        // One server of one worker per listener (see `listeners`), or one server of every
        // worker on one listener. Each stops on SIGTERM and SIGINT by itself.
        let workers = if listeners.len() == 1 {
            worker_count(&config)
        } else {
            1
        };
        let servers = listeners
            .into_iter()
            .map(|listener| {
                Ok(HttpServer::new(app.clone())
                    .listen(listener)?
                    .workers(workers)
                    .shutdown_timeout(10)
                    .run())
            })
            .collect::<std::io::Result<Vec<Server>>>()
            .map_err(|source| StartError::Bind {
                address: config.bind.clone(),
                source,
            })?;
        spawn_sighup_listener(Arc::downgrade(&service), config.source.clone());
        Ok(Self {
            servers,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        futures_util::future::try_join_all(self.servers)
            .await
            .map(drop)
    }
}

fn open_store(config: &ServeConfig) -> Result<Store, StartError> {
    Ok(Store::open(&config.data)
        .map_err(StartError::Store)?
        .with_max_pending(config.max_pending))
}

fn load_snapshot(config: &ServeConfig) -> Result<service::Snapshot, StartError> {
    let images = config.data.join(service::IMAGES_DIR);
    service::load(&config.source, Some(&images)).map_err(|error| match error {
        LoadError::Read(error) => StartError::Catalog(error),
        LoadError::Invalid(errors) => StartError::Invalid(errors.len(), errors),
    })
}

/// `--workers`, else one per core.
fn worker_count(config: &ServeConfig) -> usize {
    config.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    })
}

fn bind(config: &ServeConfig) -> Result<Vec<TcpListener>, StartError> {
    let count = if config.connections_by_cpu {
        worker_count(config)
    } else {
        1
    };
    listeners::bind(&config.bind, count).map_err(|source| StartError::Bind {
        address: config.bind.clone(),
        source,
    })
}

/// Every request gets this while the first catalog loads.
const LOADING: &str = "the catalog is being loaded; try again shortly";

/// A server of one worker that answers every request 503 until it is stopped, closing each
/// connection after its answer. It installs no signal handlers: a SIGTERM during the load
/// ends the process.
fn serve_while_loading(listeners: Vec<TcpListener>) -> std::io::Result<ServerHandle> {
    let mut server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::ServiceUnavailable()
                .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
                .insert_header((header::RETRY_AFTER, "1"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(problem_for_status(StatusCode::SERVICE_UNAVAILABLE, LOADING))
        }))
    })
    .workers(1)
    // No connection outlives its one answer, so stopping this server never waits for a
    // client that keeps polling on a kept-alive connection.
    .keep_alive(actix_web::http::KeepAlive::Disabled)
    .shutdown_timeout(1)
    .disable_signals();
    for listener in listeners {
        server = server.listen(listener)?;
    }
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(handle)
}

/// SIGHUP reloads the catalog from its source, on a thread of its own.
fn spawn_sighup_listener(service: std::sync::Weak<Service>, source: CatalogSource) {
    #[cfg(unix)]
    actix_web::rt::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reload by restarting");
            return;
        };
        while hangups.recv().await.is_some() {
            let Some(service) = service.upgrade() else {
                return;
            };
            let source = source.clone();
            tracing::info!("SIGHUP: reloading the catalog");
            let _ = tokio::task::spawn_blocking(move || reload::reload(&service, &source)).await;
        }
    });
}

/// Errors actix answers by itself (unknown route, payload limits, malformed query strings)
/// get a problem document too. Our own errors already have one and pass through. Clients that
/// prefer HTML get every error as a page instead; pages a handler rendered pass through.
fn as_problem<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let content_type = |prefix: &str| {
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(prefix.as_bytes()))
    };
    let is_problem = content_type(PROBLEM_JSON);
    let is_page = content_type("text/html");
    let wants_page = !is_page && prefers_html(response.request());
    if (is_problem && !wants_page) || is_page || response.status().is_redirection() {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let detail = response
        .response()
        .error()
        .map(|error| error.to_string())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let (request, old) = response.into_parts();
    if wants_page {
        let mut page = shared::error_page(&request, status, &detail);
        for (name, value) in old.headers() {
            if name == header::ALLOW
                || name == header::WWW_AUTHENTICATE
                || name == header::RETRY_AFTER
            {
                page.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(request, page.map_into_boxed_body())
                .map_into_right_body::<B>()
                .map_body(|_, body| match body {
                    EitherBody::Left { body } => EitherBody::Left { body },
                    EitherBody::Right { body } => EitherBody::Right { body },
                }),
        ));
    }
    let mut replacement = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
        {
            replacement.append_header((name.clone(), value.clone()));
        }
    }
    replacement.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body is never read, so the connection cannot be reused: say so, or
        // a client's next request on it fails.
        replacement.force_close();
    }
    let replacement: HttpResponse<BoxBody> = replacement.body(problem_for_status(status, &detail));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement)
            .map_into_right_body::<B>()
            .map_body(|_, body| match body {
                EitherBody::Left { body } => EitherBody::Left { body },
                EitherBody::Right { body } => EitherBody::Right { body },
            }),
    ))
}
