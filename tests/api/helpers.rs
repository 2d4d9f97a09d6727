//! `TestApp`: the real service started the way `main` starts it (port 0, temporary data dir),
//! a plain HTTP client, fixture catalogs in temporary directories, and problem assertions.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use typehouse::http::state::AppState;
use typehouse::http::{Application, ServeConfig};
use typehouse::service::CatalogSource;

/// A running service and a client that talks to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub source: CatalogSource,
    catalog: Option<TestCatalog>,
    /// Kept so the directory lives as long as the app.
    _data: TempDir,
}

impl TestApp {
    /// The service over the catalog built into the binary.
    pub async fn spawn() -> Self {
        Self::start(CatalogSource::Embedded, None, None, |_| {}).await
    }

    /// The service over a catalog directory, not watched (reloads are triggered by hand).
    pub async fn spawn_with(catalog: TestCatalog) -> Self {
        let source = CatalogSource::Directory(catalog.path().to_path_buf());
        Self::start(source, None, Some(catalog), |_| {}).await
    }

    /// The service over a catalog directory that it polls for changes every `interval`.
    pub async fn spawn_watching(catalog: TestCatalog, interval: Duration) -> Self {
        let source = CatalogSource::Directory(catalog.path().to_path_buf());
        Self::start(source, Some(interval), Some(catalog), |_| {}).await
    }

    /// The service over the built-in catalog with settings changed by `adjust`.
    pub async fn spawn_configured(adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        Self::start(CatalogSource::Embedded, None, None, adjust).await
    }

    async fn start(
        source: CatalogSource,
        watch_interval: Option<Duration>,
        catalog: Option<TestCatalog>,
        adjust: impl FnOnce(&mut ServeConfig),
    ) -> Self {
        let data = TempDir::new().expect("a temporary data directory");
        let mut config = ServeConfig {
            bind: "127.0.0.1:0".into(),
            source: source.clone(),
            data: data.path().to_path_buf(),
            review_token: None,
            watch_interval,
            workers: Some(1),
            ..ServeConfig::new(source.clone())
        };
        adjust(&mut config);
        let application = Application::build(config).expect("the application starts");
        let address = format!("http://127.0.0.1:{}", application.port());
        let state = application.state.clone();
        actix_web::rt::spawn(application.run_until_stopped());
        Self {
            address,
            client: client(),
            state,
            source,
            catalog,
            _data: data,
        }
    }

    /// The catalog directory the app serves; only for apps started over one.
    pub fn catalog(&self) -> &TestCatalog {
        self.catalog
            .as_ref()
            .expect("the app serves a catalog directory")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("the request is answered")
    }

    /// A GET that must answer 200 with JSON; returns the document.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("a JSON body")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("the request is answered")
    }

    /// Classifies `body` and returns the answer, which must be a 200.
    pub async fn classify(&self, body: &Value) -> Value {
        self.classify_at("/classify", body).await
    }

    pub async fn classify_at(&self, path: &str, body: &Value) -> Value {
        let response = self.post_json(path, body).await;
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response.json().await.expect("a JSON body")
    }

    /// Reloads the catalog from its source off the async runtime, as SIGHUP does.
    pub async fn reload(&self) -> bool {
        let state = self.state.clone();
        let source = self.source.clone();
        tokio::task::spawn_blocking(move || {
            typehouse::service::reload::reload(&state.service, &source)
        })
        .await
        .expect("the reload finishes")
    }
}

/// No automatic redirects (the tests look at 308s), no transparent decompression.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

/// Asserts that `response` is a problem document with `status` and returns it.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_content_type(response.headers(), "application/problem+json");
    let problem: Value = response.json().await.expect("a JSON problem document");
    assert_eq!(problem["status"], status.as_u16(), "{problem}");
    for field in ["type", "title", "detail"] {
        let text = problem[field].as_str().unwrap_or_default();
        assert!(!text.is_empty(), "`{field}` is missing in {problem}");
    }
    problem
}

pub fn assert_content_type(headers: &HeaderMap, expected: &str) {
    let actual = header(headers, CONTENT_TYPE.as_str()).unwrap_or_default();
    assert!(
        actual.split(';').next() == Some(expected),
        "content type `{actual}`, expected `{expected}`"
    );
}

pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Polls `check` until it holds or `limit` passes; returns whether it held.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The crate's own catalog directory.
pub fn shipped_types() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("types")
}

/// A copy of the shipped catalog in a temporary directory, to change freely.
pub struct TestCatalog {
    dir: TempDir,
}

impl TestCatalog {
    pub fn copy_of_shipped() -> Self {
        let dir = TempDir::new().expect("a temporary catalog directory");
        copy_dir(&shipped_types(), dir.path());
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative` inside the catalog, creating folders.
    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent folder"))
            .expect("the folder is created");
        std::fs::write(&path, contents).expect("the file is written");
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(relative)).expect("the file is read")
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.dir.path().join(relative)).expect("the file is removed");
    }

    /// Adds a version of a shipped type: its 1.0.0 file with another version number.
    pub fn add_version(&self, id: &str, version: &str) -> &Self {
        let original = self.read(&format!("{id}/1.0.0.yaml"));
        let changed = original.replacen("version: 1.0.0", &format!("version: {version}"), 1);
        assert_ne!(
            original, changed,
            "{id}/1.0.0.yaml has a `version: 1.0.0` line"
        );
        self.write(&format!("{id}/{version}.yaml"), &changed);
        self
    }

    /// Adds `acme/red-gadget` and `acme/blue-gadget`, which share their only media type and
    /// are told apart by an annotation alone.
    pub fn with_colour_gadgets(self) -> Self {
        for colour in ["red", "blue"] {
            self.write(
                &format!("acme/{colour}-gadget/1.0.0.yaml"),
                &format!(
                    "version: 1.0.0
name: {colour} gadget
summary: A gadget told apart by its colour annotation, for tests
status: active
artifactType: application/vnd.acme.gadget.v1+json
match:
  - annotation: com.example.colour
    equals: {colour}
links:
  spec: https://example.com/spec/gadget
owners:
  - name: Acme
    url: https://example.com
"
                ),
            );
        }
        self
    }

    /// Adds the deprecated `acme/old-widget`, replaced by `cncf/helm-chart`.
    pub fn with_deprecated_type(self) -> Self {
        self.write("acme/old-widget/1.0.0.yaml", OLD_WIDGET);
        self
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("the folder is created");
    for entry in std::fs::read_dir(from).expect("the folder is read") {
        let entry = entry.expect("a folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("the file is copied");
        }
    }
}

/// A deprecated type with a successor and a sunset date.
pub const OLD_WIDGET: &str = "\
version: 1.0.0
name: Old widget
summary: A widget format replaced by Helm charts, for tests
status: deprecated
deprecatedBy: cncf/helm-chart
sunset: 2030-06-30
artifactType: application/vnd.acme.old-widget.v1+json
layers:
  - mediaType: application/vnd.acme.old-widget.layer.v1.tar
    title: Widget archive
links:
  spec: https://example.com/spec/old-widget
owners:
  - name: Acme
    url: https://example.com
";

/// A small active type with an inline config schema.
pub const WIDGET: &str = "\
version: 1.0.0
name: Widget
summary: A widget bundle, for tests
status: active
artifactType: application/vnd.acme.widget.v1+json
config:
  mediaType: application/vnd.acme.widget.config.v1+json
  schema:
    type: object
    required: [name]
    properties:
      name: {type: string}
  examples:
    - {name: demo}
layers:
  - mediaType: application/vnd.acme.widget.layer.v1.tar+gzip
    title: Widget archive
    required: true
links:
  spec: https://example.com/spec/widget
owners:
  - name: Acme
    url: https://example.com
";

/// Waits for a server started with [`Served`] to answer `/healthz`.
pub async fn wait_until_serving(served: &Served, http: &reqwest::Client) {
    let up = eventually(Duration::from_secs(20), || async {
        http.get(format!("{}/healthz", served.address))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(up, "the server did not start");
}

/// The `typehouse` binary serving a catalog directory; killed if a test fails midway.
pub struct Served {
    pub child: Child,
    pub address: String,
}

impl Served {
    /// The JSON body of `GET path` on the running binary.
    pub async fn get_json(&self, http: &reqwest::Client, path: &str) -> Value {
        http.get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .expect("a JSON body")
    }

    pub fn start(types: &Path, data: &Path, log: &Path) -> Self {
        Self::start_with(
            &["--types", types.to_str().expect("a UTF-8 path")],
            data,
            log,
        )
    }

    /// The binary with `args` added to `serve --bind --data`, and `--workers 1` unless `args`
    /// say how many.
    pub fn start_with(args: &[&str], data: &Path, log: &Path) -> Self {
        let port = free_port();
        let workers: &[&str] = if args.contains(&"--workers") {
            &[]
        } else {
            &["--workers", "1"]
        };
        let child = Command::new(env!("CARGO_BIN_EXE_typehouse"))
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .arg("--data")
            .arg(data)
            .args(workers)
            .env_remove("TYPEHOUSE_BIND")
            .env_remove("TYPEHOUSE_TYPES")
            .env_remove("TYPEHOUSE_DATA")
            .env_remove("TYPEHOUSE_REVIEW_TOKEN")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).expect("a log file"))
            .spawn()
            .expect("the binary starts");
        Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    pub async fn catalog_version(&self, client: &reqwest::Client) -> Option<String> {
        let response = client
            .get(format!("{}/healthz", self.address))
            .send()
            .await
            .ok()?;
        let health: Value = response.json().await.ok()?;
        health["catalog"]["version"].as_str().map(String::from)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port that was free a moment ago: the binary does not report the port it bound.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
