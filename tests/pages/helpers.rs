//! `TestApp`: the real service started the way `main` starts it (port 0, temporary data dir)
//! over a catalog with the page fixtures, and a client that asks for pages as a browser does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::{Response, StatusCode};
use tempfile::TempDir;
use typehouse::catalog::{Catalog, CatalogFiles};
use typehouse::http::{Application, ServeConfig};
use typehouse::service::CatalogSource;

/// What Chromium sends when it navigates.
pub const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// The shipped catalog plus the fixtures in `tests/pages/fixtures/` (a type with three
/// versions and a changing schema, a deprecated type with an icon), in a temporary directory.
pub struct FixtureCatalog {
    dir: TempDir,
}

impl FixtureCatalog {
    pub fn new() -> Self {
        let dir = TempDir::new().expect("a temporary catalog directory");
        CatalogFiles::embedded()
            .write_to(dir.path())
            .expect("the shipped catalog is written");
        copy_dir(&fixtures(), dir.path());
        Self { dir }
    }

    /// The fixture catalog and `count` generated types `bulk/type-0000`, ..., whose tags say
    /// whether their number is `even` or `odd`: enough types for several catalog pages.
    pub fn with_bulk(count: usize) -> Self {
        let catalog = Self::new();
        for number in 0..count {
            let folder = catalog.path().join(format!("bulk/type-{number:04}"));
            std::fs::create_dir_all(&folder).expect("a type folder");
            let parity = if number % 2 == 0 { "even" } else { "odd" };
            let definition = format!(
                "version: 1.0.0\n\
                 name: Bulk type {number:04}\n\
                 summary: A generated type, number {number}, for the catalog's pages\n\
                 status: active\n\
                 artifactType: application/vnd.bulk.type{number:04}.v1+json\n\
                 tags: [bulk, {parity}]\n\
                 layers:\n  \
                 - mediaType: application/vnd.bulk.type{number:04}.layer.v1.tar\n    \
                 title: Archive\n    \
                 required: true\n\
                 links:\n  \
                 spec: https://bulk.example/spec\n\
                 owners:\n  \
                 - name: Bulk\n    \
                 url: https://bulk.example\n"
            );
            std::fs::write(folder.join("1.0.0.yaml"), definition).expect("a version file");
        }
        catalog
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn load(&self) -> Catalog {
        let files = CatalogFiles::read_dir(self.path()).expect("the fixture catalog is readable");
        match Catalog::load(files) {
            Ok((catalog, _warnings)) => catalog,
            Err(diagnostics) => panic!("the fixture catalog has errors: {diagnostics:#?}"),
        }
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pages/fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("the fixtures are readable") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            std::fs::create_dir_all(&target).expect("a fixture directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("a fixture file");
        }
    }
}

/// A running service over the fixture catalog.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub catalog: FixtureCatalog,
    _data: TempDir,
}

impl TestApp {
    /// Starts the service on its own thread and actix system, so that any runtime (or a
    /// browser) can talk to it.
    pub fn spawn() -> Self {
        Self::spawn_over(FixtureCatalog::new())
    }

    /// Starts the service over `catalog`.
    pub fn spawn_over(catalog: FixtureCatalog) -> Self {
        let data = TempDir::new().expect("a temporary data directory");
        let mut config = ServeConfig::new(CatalogSource::Directory(catalog.path().to_path_buf()));
        config.bind = "127.0.0.1:0".into();
        config.data = data.path().to_path_buf();
        config.watch_interval = None;
        config.workers = Some(2);
        // Nothing listens on the discard port: the pages that need no answer from a registry
        // render, the listings answer 502.
        config.registries = vec!["local=http://127.0.0.1:9".parse().expect("a registry")];
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let application = Application::build(config).expect("the application starts");
                sender
                    .send(application.port())
                    .expect("the test waits for the port");
                let _ = application.run_until_stopped().await;
            });
        });
        let port = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the application reports its port");
        Self {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a client"),
            catalog,
            _data: data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A GET as a browser sends it.
    pub async fn get_page(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(ACCEPT, BROWSER_ACCEPT)
            .send()
            .await
            .expect("the request is answered")
    }

    /// A GET as an API client sends it (no `Accept`: JSON is the default).
    pub async fn get_api(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the request is answered")
    }

    /// A page that must answer `status` with HTML; returns its text.
    pub async fn page(&self, path: &str, status: StatusCode) -> String {
        let response = self.get_page(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        assert_html(response.headers(), path);
        response.text().await.expect("a page body")
    }
}

pub fn assert_html(headers: &HeaderMap, what: &str) {
    let content_type = header(headers, CONTENT_TYPE.as_str()).unwrap_or_default();
    assert!(
        content_type.starts_with("text/html"),
        "{what}: content type `{content_type}`, expected HTML"
    );
}

pub fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Asserts that `html` contains every one of `needles`.
#[track_caller]
pub fn assert_contains(html: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            html.contains(needle),
            "the page lacks `{needle}`:\n{}",
            excerpt(html)
        );
    }
}

/// Asserts that `html` contains none of `needles`.
#[track_caller]
pub fn assert_lacks(html: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            !html.contains(needle),
            "the page has `{needle}`:\n{}",
            excerpt(html)
        );
    }
}

fn excerpt(html: &str) -> String {
    let main = html.split_once("<main").map_or(html, |(_, rest)| rest);
    main.chars().take(6000).collect()
}

/// The `<li class="card" ...>` of type `id` on the catalog page.
pub fn card<'h>(html: &'h str, id: &str) -> &'h str {
    let marker = format!("<code>{id}</code>");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no card for {id}"));
    let start = html[..at]
        .rfind("<li class=\"card\"")
        .expect("a card start");
    let end = html[at..]
        .find("<li class=\"card\"")
        .or_else(|| html[at..].find("id=\"no-results\""))
        .map_or(html.len(), |e| at + e);
    &html[start..end]
}

/// The ids of the cards on a catalog page, in order.
pub fn card_ids(html: &str) -> Vec<String> {
    html.match_indices("<p class=\"type-id\"><code>")
        .map(|(at, marker)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find("</code>").expect("the id's code ends")].to_string()
        })
        .collect()
}
