//! The real registry and clients the tests drive: Debian's `docker-registry` (the CNCF
//! distribution registry) started per test on a free loopback port with a config the test
//! writes, skopeo, the ORAS Python library through `push_artifact.py`, the typehouse binary,
//! and the typehouse service started the way `main` starts it.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use typehouse::catalog::classify::{self, Classification};
use typehouse::catalog::reference::{Reference, ReferenceInput};
use typehouse::catalog::{Catalog, CatalogFiles};
use typehouse::http::startup::StartError;
use typehouse::http::state::AppState;
use typehouse::http::{Application, ServeConfig};
use typehouse::service::CatalogSource;

/// Every manifest media type a registry UI asks for.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json";

pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// The `docker-registry` binary (Debian package `docker-registry`).
const REGISTRY_BINARY: &str = "docker-registry";

/// A user and the bcrypt hash of its password `correct horse`, for registries with auth.
pub const TEST_USER: &str = "typehouse";
pub const TEST_PASSWORD: &str = "correct horse";
const TEST_PASSWORD_BCRYPT: &str = "$2b$04$aDjdNqQYzPZpmfSfdt.0GuU.be6Jaxb3dWc6Q1rRHlfl06LEKViYe";

/// A distribution registry on loopback, killed when dropped.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`: what goes in front of a repository.
    pub host: String,
    /// The registry's filesystem storage root.
    pub storage: PathBuf,
    pub client: reqwest::Client,
    dir: TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Registry {
    /// A registry open to anonymous pushes and pulls.
    pub async fn start() -> Self {
        Self::launch(false).await
    }

    /// A registry that needs `TEST_USER` / `TEST_PASSWORD` (htpasswd, HTTP basic auth).
    pub async fn start_with_auth() -> Self {
        Self::launch(true).await
    }

    /// A registry on `host` whose notifications go to `url` with `token` as bearer token, as
    /// distribution's `notifications.endpoints` configure them.
    pub async fn start_notifying(host: &str, url: &str, token: &str) -> Self {
        let notifications = format!(
            "notifications:\n  endpoints:\n    - name: typehouse\n      url: {url}\n      \
             headers:\n        Authorization: [\"Bearer {token}\"]\n      timeout: 5s\n      \
             threshold: 5\n      backoff: 1s\n"
        );
        Self::launch_with(false, Some(host), &notifications).await
    }

    async fn launch(with_auth: bool) -> Self {
        Self::launch_with(with_auth, None, "").await
    }

    async fn launch_with(with_auth: bool, host: Option<&str>, extra: &str) -> Self {
        // A free port can be taken by another test between the probe and the registry's bind:
        // then the registry exits and the next attempt takes another port.
        for attempt in 1..=3 {
            let mut registry = Self::spawn(with_auth, host, extra);
            match registry.wait_until_ready(with_auth).await {
                Ok(()) => return registry,
                Err(log) if attempt == 3 => {
                    panic!("the registry did not come up on {}:\n{log}", registry.host)
                }
                Err(_) => {
                    let _ = registry.child.kill();
                    let _ = registry.child.wait();
                }
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn spawn(with_auth: bool, host: Option<&str>, extra: &str) -> Self {
        let dir = TempDir::new().expect("a temporary directory");
        let storage = dir.path().join("storage");
        let host = host.map_or_else(|| format!("127.0.0.1:{}", free_port()), String::from);
        // distribution 2.8 stores any layer and artifact media type as long as the blobs
        // exist, so it needs no validation settings; `storage.delete` lets clients delete
        // content; no blob cache, so a blob changed on disk is served as it is.
        let mut config = format!(
            "version: 0.1\n\
             log:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
             http:\n  addr: {host}\n",
            storage = storage.display(),
        );
        if with_auth {
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{TEST_USER}:{TEST_PASSWORD_BCRYPT}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: typehouse-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        config.push_str(extra);
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start `{REGISTRY_BINARY}` (Debian package docker-registry; scripts/test installs it): {e}")
            });
        Self {
            child,
            host,
            storage,
            client: reqwest::Client::new(),
            dir,
        }
    }

    /// Waits until `/v2/` answers (401 where auth is on); the registry's log if it never does.
    async fn wait_until_ready(&mut self, with_auth: bool) -> Result<(), String> {
        let expected = if with_auth { 401 } else { 200 };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = self.client.get(self.url("/v2/")).send().await
                && response.status().as_u16() == expected
                && matches!(self.child.try_wait(), Ok(None))
            {
                return Ok(());
            }
            let exited = matches!(self.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                return Err(
                    std::fs::read_to_string(self.dir.path().join("registry.log"))
                        .unwrap_or_default(),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    /// The file the registry keeps a blob in.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// `GET /v2/<repository>/manifests/<reference>` with every manifest type accepted.
    pub async fn manifest(&self, repository: &str, reference: &str) -> Fetched {
        let response = self
            .client
            .get(self.url(&format!("/v2/{repository}/manifests/{reference}")))
            .header("Accept", ACCEPT_MANIFESTS)
            .send()
            .await
            .expect("the registry answers");
        assert_eq!(
            response.status(),
            200,
            "GET manifest {repository}:{reference}"
        );
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let content_type = header("content-type");
        let digest = header("docker-content-digest");
        let bytes = response.bytes().await.unwrap().to_vec();
        assert_eq!(
            digest,
            sha256_digest(&bytes),
            "the registry's digest is the manifest's"
        );
        let json = serde_json::from_slice(&bytes).expect("a JSON manifest");
        Fetched {
            bytes,
            json,
            content_type,
            digest,
        }
    }

    /// Uploads a blob as producers' clients do (distribution-spec: `POST` an upload, then `PUT`
    /// the bytes with `?digest=`); answers its descriptor with `media_type`.
    pub async fn put_blob(&self, repository: &str, media_type: &str, bytes: &[u8]) -> Value {
        let digest = sha256_digest(bytes);
        let started = self
            .client
            .post(self.url(&format!("/v2/{repository}/blobs/uploads/")))
            .send()
            .await
            .expect("the registry answers");
        assert_eq!(started.status(), 202, "POST blob upload to {repository}");
        let location = started
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("an upload location")
            .to_string();
        let mut url = if location.starts_with("http") {
            location
        } else {
            self.url(&location)
        };
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&format!("digest={digest}"));
        let finished = self
            .client
            .put(url)
            .header("Content-Type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .expect("the registry answers");
        assert_eq!(finished.status(), 201, "PUT blob {digest}");
        json!({"mediaType": media_type, "digest": digest, "size": bytes.len()})
    }

    /// `PUT /v2/<repository>/manifests/<reference>` with the manifest's own `mediaType` as
    /// `Content-Type`, as a producer pushes it; answers the registry's response.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        manifest: &Value,
    ) -> reqwest::Response {
        let media_type = manifest["mediaType"]
            .as_str()
            .expect("a manifest that names its media type");
        self.client
            .put(self.url(&format!("/v2/{repository}/manifests/{reference}")))
            .header("Content-Type", media_type)
            .body(serde_json::to_vec(manifest).unwrap())
            .send()
            .await
            .expect("the registry answers")
    }

    /// `GET /v2/<repository>/blobs/<digest>` as JSON.
    pub async fn blob_json(&self, repository: &str, digest: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!("/v2/{repository}/blobs/{digest}")))
            .send()
            .await
            .expect("the registry answers");
        assert_eq!(response.status(), 200, "GET blob {digest}");
        let bytes = response.bytes().await.unwrap();
        assert_eq!(sha256_digest(&bytes), digest);
        serde_json::from_slice(&bytes).expect("a JSON blob")
    }
}

/// A manifest as the registry served it.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub json: Value,
    pub content_type: String,
    pub digest: String,
}

impl Fetched {
    /// The descriptor of this manifest, for a `subject`.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The built-in catalog, as the library classifies with it.
pub fn catalog() -> Catalog {
    Catalog::load(CatalogFiles::embedded())
        .expect("the built-in catalog loads")
        .0
}

/// The shipped catalog directory.
pub fn types_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("types")
}

/// Classifies a manifest (and optionally its config blob) as a registry UI would.
pub fn classify(
    manifest: &Value,
    config: Option<&Value>,
    registry: &Registry,
    repository: &str,
    tag: Option<&str>,
    digest: Option<&str>,
) -> Classification {
    let body = match config {
        Some(config) => json!({"manifest": manifest, "config": config}),
        None => manifest.clone(),
    };
    let reference = Reference::parse(&ReferenceInput {
        registry: Some(registry.host.clone()),
        repository: Some(repository.to_string()),
        tag: tag.map(String::from),
        digest: digest.map(String::from),
    })
    .expect("the test's reference follows the grammar");
    classify::classify(&catalog(), &body, &reference).expect("the manifest is classifiable")
}

/// Asserts the type, that it conforms, and that every action is filled in for `location`
/// (`REGISTRY/REPOSITORY`). Returns the rendered commands.
pub fn assert_classified(answer: &Classification, id: &str, location: &str) -> Vec<String> {
    let matched = answer.matched.as_ref().unwrap_or_else(|| {
        panic!(
            "expected {id}, got no type: {}",
            serde_json::to_string(answer).unwrap()
        )
    });
    assert_eq!(
        matched.id,
        id,
        "{}",
        serde_json::to_string_pretty(answer).unwrap()
    );
    assert!(
        answer.conforms,
        "{id} does not conform: {:?}",
        answer.problems
    );
    assert!(!answer.actions.is_empty(), "{id} has actions");
    let commands: Vec<String> = answer.actions.iter().map(|a| a.command.clone()).collect();
    for command in &commands {
        assert!(
            !command.contains('{'),
            "an unfilled placeholder in `{command}`"
        );
        assert!(command.contains(location), "`{command}` names {location}");
    }
    commands
}

pub fn matched_by(answer: &Classification) -> String {
    serde_json::to_value(answer.matched_by)
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Runs skopeo: `skopeo copy oci:<layout>:<tag> docker://<destination>` over plain HTTP.
pub fn skopeo_copy(layout: &Path, tag: &str, destination: &str, format: Option<&str>) {
    skopeo(layout, tag, destination, format, false);
}

/// `skopeo copy --all`: an image index with every platform's image.
pub fn skopeo_copy_all(layout: &Path, tag: &str, destination: &str) {
    skopeo(layout, tag, destination, None, true);
}

fn skopeo(layout: &Path, tag: &str, destination: &str, format: Option<&str>, all: bool) {
    let mut command = Command::new("skopeo");
    command
        .arg("--insecure-policy")
        .arg("copy")
        .arg("--dest-tls-verify=false");
    if all {
        command.arg("--all");
    }
    if let Some(format) = format {
        command.arg("--format").arg(format);
    }
    command
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{destination}"));
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run skopeo (Debian package skopeo; scripts/test installs it): {e}")
    });
    assert_success("skopeo copy", &output);
}

/// One push through the ORAS Python library.
#[derive(Default)]
pub struct OrasPush<'a> {
    pub target: &'a str,
    pub artifact_type: Option<&'a str>,
    /// `PATH:MEDIATYPE`, or `:MEDIATYPE` for the empty config.
    pub config: Option<String>,
    /// `PATH:MEDIATYPE` per layer.
    pub files: Vec<String>,
    pub annotations: Vec<(&'a str, String)>,
    /// The subject manifest's digest and size.
    pub subject: Option<(&'a str, u64)>,
}

/// Pushes with `push_artifact.py`; returns the manifest digest the registry reported.
pub fn oras_push(registry: &Registry, push: OrasPush<'_>) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/registry/push_artifact.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut command = Command::new(&python);
    command
        .arg(script)
        .arg("--registry")
        .arg(&registry.host)
        .arg("--target")
        .arg(push.target);
    if let Some(artifact_type) = push.artifact_type {
        command.arg("--artifact-type").arg(artifact_type);
    }
    if let Some(config) = &push.config {
        command.arg(format!("--config={config}"));
    }
    for file in &push.files {
        command.arg("--file").arg(file);
    }
    for (key, value) in &push.annotations {
        command.arg("--annotation").arg(format!("{key}={value}"));
    }
    if let Some((digest, size)) = push.subject {
        command
            .arg("--subject-digest")
            .arg(digest)
            .arg("--subject-size")
            .arg(size.to_string());
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run {python} (the oras library: pip install oras; scripts/test installs it): {e}")
    });
    assert_success("push_artifact.py", &output);
    let answer: Value = serde_json::from_slice(
        output
            .stdout
            .split(|b| *b == b'\n')
            .rfind(|l| !l.is_empty())
            .unwrap(),
    )
    .expect("push_artifact.py prints JSON");
    answer["digest"].as_str().expect("a digest").to_string()
}

pub fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the typehouse binary with `args`, no Docker credentials unless `docker_config` says,
/// and `stdin` as its standard input.
pub fn typehouse(args: &[&str], docker_config: Option<&Path>, stdin: Option<&str>) -> Output {
    let empty = TempDir::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_typehouse"));
    command
        .args(args)
        .env("DOCKER_CONFIG", docker_config.unwrap_or(empty.path()))
        .env_remove("TYPEHOUSE_TYPES")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the typehouse binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(stdin) = stdin {
        input.write_all(stdin.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Writes a file and returns its path as a string, for command lines.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

/// A gzipped tar of `(path, content)` entries.
pub fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (path, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder.append_data(&mut header, path, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// An OCI image layout (`oci-layout`, `index.json`, `blobs/`) holding one linux/amd64 image
/// tagged `tag`: a real gzipped tar layer and an image config whose `diff_ids` match it.
pub fn oci_layout(dir: &Path, tag: &str) {
    let mut entry = image_in_layout(dir, "linux", "amd64");
    entry["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    write_layout_index(dir, entry);
}

/// An OCI image layout holding an image index tagged `tag` with one image per
/// `(os, architecture)`, each entry with its platform, as `buildah manifest push --all` or
/// `docker buildx` lay out a multi-platform image.
pub fn oci_index_layout(dir: &Path, tag: &str, platforms: &[(&str, &str)]) {
    let entries: Vec<Value> = platforms
        .iter()
        .map(|(os, architecture)| {
            let mut entry = image_in_layout(dir, os, architecture);
            entry["platform"] = json!({"os": os, "architecture": architecture});
            entry
        })
        .collect();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries
    });
    let bytes = serde_json::to_vec(&index).unwrap();
    let digest = put_layout_blob(dir, &bytes);
    write_layout_index(
        dir,
        json!({
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": digest,
            "size": bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag}
        }),
    );
}

fn put_layout_blob(dir: &Path, bytes: &[u8]) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let digest = sha256_digest(bytes);
    std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
    digest
}

fn write_layout_index(dir: &Path, entry: Value) {
    let index = json!({"schemaVersion": 2, "manifests": [entry]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// Writes one image's layer, config and manifest into the layout's blobs; answers the
/// manifest's descriptor.
fn image_in_layout(dir: &Path, os: &str, architecture: &str) -> Value {
    let put = |bytes: &[u8]| {
        let digest = put_layout_blob(dir, bytes);
        json!({"digest": digest, "size": bytes.len()})
    };
    let mut tar = tar::Builder::new(Vec::new());
    let machine = format!("{os}/{architecture}\n");
    for (path, content) in [
        ("app/hello.sh", &b"#!/bin/sh\necho hello from team A\n"[..]),
        ("etc/app.conf", b"greeting=hello\n"),
        ("etc/platform", machine.as_bytes()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o755);
        header.set_mtime(1_700_000_000);
        tar.append_data(&mut header, path, content).unwrap();
    }
    let uncompressed = tar.into_inner().unwrap();
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(&uncompressed).unwrap();
    let layer = put(&gzip.finish().unwrap());
    let config = json!({
        "created": "2026-01-01T00:00:00Z",
        "architecture": architecture,
        "os": os,
        "config": {"Entrypoint": ["/app/hello.sh"], "Labels": {"org.opencontainers.image.title": "app"}},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&uncompressed)]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "typehouse registry test"}]
    });
    let config = put(&serde_json::to_vec(&config).unwrap());
    let descriptor = |media_type: &str, blob: &Value| json!({"mediaType": media_type, "digest": blob["digest"], "size": blob["size"]});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", &layer)],
        "annotations": {"org.opencontainers.image.source": "https://example.com/team-a/app"}
    });
    let manifest = put(&serde_json::to_vec(&manifest).unwrap());
    descriptor("application/vnd.oci.image.manifest.v1+json", &manifest)
}

/// The typehouse service, started the way `main` starts it (port 0, temporary data).
pub struct Service {
    pub address: String,
    pub state: Arc<AppState>,
    pub source: CatalogSource,
    pub client: reqwest::Client,
    _data: TempDir,
}

impl Service {
    pub async fn start(source: CatalogSource) -> Result<Self, StartError> {
        Self::start_with(source, |_| {}).await
    }

    /// Started with `configure` applied to its settings (registries, for one).
    pub async fn start_with(
        source: CatalogSource,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> Result<Self, StartError> {
        let data = TempDir::new().unwrap();
        let mut config = ServeConfig::new(source.clone());
        config.bind = "127.0.0.1:0".into();
        config.data = data.path().to_path_buf();
        config.watch_interval = None;
        config.workers = Some(1);
        configure(&mut config);
        let application = Application::build(config)?;
        let address = format!("http://127.0.0.1:{}", application.port());
        let state = application.state.clone();
        actix_web::rt::spawn(application.run_until_stopped());
        Ok(Self {
            address,
            state,
            source,
            client: reqwest::Client::new(),
            _data: data,
        })
    }

    /// `GET /index.json` without compression: the bytes and the ETag.
    pub async fn index_json(&self) -> (Vec<u8>, String) {
        let response = self
            .client
            .get(format!("{}/index.json", self.address))
            .send()
            .await
            .expect("the service answers");
        assert_eq!(response.status(), 200);
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (response.bytes().await.unwrap().to_vec(), etag)
    }
}

/// Pushes a linux/amd64 image with skopeo (OCI, or Docker v2 with `format` `v2s2`).
pub async fn push_image(
    registry: &Registry,
    repository: &str,
    tag: &str,
    format: Option<&str>,
) -> Fetched {
    let layout = TempDir::new().unwrap();
    oci_layout(layout.path(), tag);
    skopeo_copy(
        layout.path(),
        tag,
        &format!("{}/{repository}:{tag}", registry.host),
        format,
    );
    registry.manifest(repository, tag).await
}
