//! Docker credential helpers: `publish`, `pull` and `serve --from` against a registry with
//! htpasswd authentication, the credentials coming from a `docker-credential-*` program that
//! the Docker config names and that speaks the helpers' protocol.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::helpers::{Registry, TEST_PASSWORD, TEST_USER, assert_success, free_port};

/// A directory holding `docker-credential-<name>` programs and a Docker config, to put on
/// PATH and in DOCKER_CONFIG.
struct Helpers {
    dir: TempDir,
}

impl Helpers {
    fn new(config: &str) -> Self {
        let dir = TempDir::new().unwrap();
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        Self { dir }
    }

    /// A helper, as docker-credential-helpers' programs behave: `get` reads the server URL on
    /// standard input (no newline), prints `{"ServerURL", "Username", "Secret"}` for a server
    /// it knows, else "credentials not found in native keychain" and exits 1. Every call is
    /// logged as `ACTION SERVER` in `<name>.log`.
    fn add(&self, name: &str, knows: &str, username: &str, secret: &str) -> &Self {
        let log = self.log_path(name);
        let script = format!(
            "#!/bin/sh\n\
             server=$(cat)\n\
             printf '%s %s\\n' \"$1\" \"$server\" >>'{log}'\n\
             [ \"$1\" = get ] || {{ echo \"unknown action $1\"; exit 1; }}\n\
             if [ \"$server\" = '{knows}' ]; then\n\
             \x20 printf '{{\"ServerURL\":\"%s\",\"Username\":\"%s\",\"Secret\":\"%s\"}}\\n' \"$server\" '{username}' '{secret}'\n\
             else\n\
             \x20 echo 'credentials not found in native keychain'\n\
             \x20 exit 1\n\
             fi\n",
            log = log.display(),
        );
        let path = self.dir.path().join(format!("docker-credential-{name}"));
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// The calls a helper received, one `ACTION SERVER` per line.
    fn calls(&self, name: &str) -> String {
        std::fs::read_to_string(self.log_path(name)).unwrap_or_default()
    }

    /// The typehouse binary with this directory first on PATH and as DOCKER_CONFIG.
    fn command(&self, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_typehouse"));
        command
            .args(args)
            .env("PATH", path)
            .env("DOCKER_CONFIG", self.dir.path())
            .env_remove("TYPEHOUSE_TYPES")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .expect("the typehouse binary runs")
    }
}

fn pull_into(helpers: &Helpers, reference: &str, out: &Path) -> Output {
    helpers.run(&[
        "pull",
        reference,
        "--out",
        out.to_str().unwrap(),
        "--plain-http",
    ])
}

#[actix_web::test]
async fn publish_and_pull_get_credentials_from_the_credentials_store() {
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);
    // Docker Desktop's shape: empty `auths` entries, the secrets in the store.
    let helpers = Helpers::new(&format!(
        r#"{{"auths": {{"{}": {{}}}}, "credsStore": "typehouse-test"}}"#,
        registry.host
    ));
    helpers.add("typehouse-test", &registry.host, TEST_USER, TEST_PASSWORD);

    let published = helpers.run(&["publish", "--plain-http", &reference]);
    assert_success("typehouse publish with a credentials store", &published);
    let out = TempDir::new().unwrap();
    let pulled = pull_into(&helpers, &reference, &out.path().join("catalog"));
    assert_success("typehouse pull with a credentials store", &pulled);
    assert!(out.path().join("catalog/catalog.yaml").is_file());
    // The helper was asked, with the registry's host as the server.
    assert_eq!(
        helpers.calls("typehouse-test"),
        format!("get {0}\nget {0}\n", registry.host)
    );
}

#[actix_web::test]
async fn a_registry_s_credential_helper_comes_before_the_credentials_store() {
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);
    // The store knows a wrong password for this registry; its own helper the right one.
    let helpers = Helpers::new(&format!(
        r#"{{"credsStore": "wrong", "credHelpers": {{"{}": "right"}}}}"#,
        registry.host
    ));
    helpers
        .add("wrong", &registry.host, TEST_USER, "not the password")
        .add("right", &registry.host, TEST_USER, TEST_PASSWORD);
    let published = helpers.run(&["publish", "--plain-http", &reference]);
    assert_success("typehouse publish with credHelpers", &published);
    assert_eq!(helpers.calls("right"), format!("get {}\n", registry.host));
    assert_eq!(helpers.calls("wrong"), "");

    // Another registry is not in credHelpers: the store answers for it.
    let other = Registry::start_with_auth().await;
    let other_reference = format!("{}/typehouse/catalog:0.1.0", other.host);
    let rejected = helpers.run(&["publish", "--plain-http", &other_reference]);
    assert_eq!(rejected.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&rejected.stderr);
    assert!(stderr.contains("not authorized"), "{stderr}");
    assert_eq!(helpers.calls("wrong"), format!("get {}\n", other.host));
}

#[actix_web::test]
async fn a_helper_without_credentials_leaves_the_registry_anonymous() {
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);
    let helpers = Helpers::new(r#"{"credsStore": "empty"}"#);
    helpers.add("empty", "some.other.registry", TEST_USER, TEST_PASSWORD);
    let rejected = helpers.run(&["publish", "--plain-http", &reference]);
    assert_eq!(rejected.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&rejected.stderr);
    assert!(stderr.contains("not authorized"), "{stderr}");
    assert_eq!(helpers.calls("empty"), format!("get {}\n", registry.host));
}

#[actix_web::test]
async fn a_missing_helper_is_an_error_that_names_it() {
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);
    let helpers = Helpers::new(r#"{"credsStore": "typehouse-test-not-installed"}"#);
    let out = TempDir::new().unwrap();
    let pulled = pull_into(&helpers, &reference, &out.path().join("catalog"));
    assert_eq!(pulled.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&pulled.stderr);
    assert!(
        stderr.contains("docker-credential-typehouse-test-not-installed is not on PATH"),
        "{stderr}"
    );
}

#[actix_web::test]
async fn serve_from_pulls_with_credentials_from_a_helper_and_asks_it_again_on_reload() {
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);
    let helpers = Helpers::new(&format!(
        r#"{{"credHelpers": {{"{}": "typehouse-test"}}}}"#,
        registry.host
    ));
    helpers.add("typehouse-test", &registry.host, TEST_USER, TEST_PASSWORD);
    assert_success(
        "typehouse publish",
        &helpers.run(&["publish", "--plain-http", &reference]),
    );

    let data = TempDir::new().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut server = helpers
        .command(&[
            "serve",
            "--from",
            &reference,
            "--plain-http",
            "--bind",
            &bind,
            "--data",
            data.path().to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("typehouse serve starts");
    let health = |server: &mut std::process::Child| {
        let url = format!("http://{bind}/healthz");
        let client = registry.client.clone();
        let exited = matches!(server.try_wait(), Ok(Some(_)));
        async move {
            assert!(!exited, "typehouse serve exited");
            match client.get(url).send().await {
                Ok(response) if response.status().is_success() => {
                    Some(response.json::<serde_json::Value>().await.unwrap())
                }
                _ => None,
            }
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let started = loop {
        if let Some(answer) = health(&mut server).await {
            break answer;
        }
        assert!(Instant::now() < deadline, "serve did not answer /healthz");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(started["status"], "ok", "{started}");
    assert!(
        started["catalog"]["types"].as_u64().unwrap() > 0,
        "{started}"
    );

    // A reload pulls again, and asks the helper again: its tokens expire.
    let asked_before = helpers.calls("typehouse-test").lines().count();
    let hup = Command::new("kill")
        .args(["-HUP", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(hup.success());
    let reloaded = loop {
        if let Some(answer) = health(&mut server).await
            && answer["reload"]["reloads"].as_u64().unwrap_or(0) >= 1
        {
            break answer;
        }
        assert!(Instant::now() < deadline, "serve did not reload");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(reloaded["reload"]["failures"], 0, "{reloaded}");
    let calls = helpers.calls("typehouse-test");
    assert_eq!(calls.lines().count(), asked_before + 1, "{calls}");
    assert!(
        calls
            .lines()
            .all(|line| line == format!("get {}", registry.host)),
        "{calls}"
    );
}
