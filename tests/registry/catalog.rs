//! The catalog itself as an OCI artifact: `typehouse publish`, `typehouse pull` and
//! `typehouse serve --from` against the real registry.

use std::path::Path;

use tempfile::TempDir;
use typehouse::catalog::CatalogFiles;
use typehouse::oci::{self, CatalogReference, Credentials, Remote};
use typehouse::service::{CatalogSource, reload};

use crate::helpers::{
    EMPTY_CONFIG, OrasPush, Registry, Service, TEST_PASSWORD, TEST_USER, assert_classified,
    assert_success, classify, matched_by, oras_push, typehouse, types_dir, write,
};

fn remote(registry: &Registry, repository_and_tag: &str) -> Remote {
    Remote {
        reference: format!("{}/{repository_and_tag}", registry.host)
            .parse::<CatalogReference>()
            .unwrap(),
        plain_http: true,
        credentials: Credentials::Anonymous,
    }
}

/// The `Digest:` line of a publish or pull.
fn printed_digest(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout)
        .lines()
        .find_map(|line| line.strip_prefix("Digest: "))
        .expect("a Digest line")
        .to_string()
}

/// A copy of the shipped catalog that a test may change.
fn copy_of_types() -> TempDir {
    let copy = TempDir::new().unwrap();
    CatalogFiles::read_dir(&types_dir())
        .unwrap()
        .write_to(copy.path())
        .unwrap();
    copy
}

fn set_catalog_version(dir: &Path, version: &str) {
    let path = dir.join("catalog.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let changed: Vec<String> = text
        .lines()
        .map(|line| {
            if line.starts_with("version:") {
                format!("version: {version}")
            } else {
                line.to_string()
            }
        })
        .collect();
    std::fs::write(&path, changed.join("\n") + "\n").unwrap();
}

#[actix_web::test]
async fn publish_then_pull_gives_a_catalog_that_check_accepts() {
    let registry = Registry::start().await;
    let types = types_dir();
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);

    let published = typehouse(
        &[
            "publish",
            "--plain-http",
            "--types",
            types.to_str().unwrap(),
            &reference,
        ],
        None,
        None,
    );
    assert_success("typehouse publish", &published);
    let digest = printed_digest(&published.stdout);
    let manifest = registry.manifest("typehouse/catalog", "0.1.0").await;
    assert_eq!(manifest.digest, digest);

    // The same catalog published again, under another tag, is the same artifact.
    let again = typehouse(
        &[
            "publish",
            "--plain-http",
            "--types",
            types.to_str().unwrap(),
            &format!("{}/typehouse/catalog:latest", registry.host),
        ],
        None,
        None,
    );
    assert_success("typehouse publish (again)", &again);
    assert_eq!(printed_digest(&again.stdout), digest);

    let out = TempDir::new().unwrap();
    let pulled_dir = out.path().join("catalog");
    let pulled = typehouse(
        &[
            "pull",
            &reference,
            "--out",
            pulled_dir.to_str().unwrap(),
            "--plain-http",
        ],
        None,
        None,
    );
    assert_success("typehouse pull", &pulled);
    assert_eq!(printed_digest(&pulled.stdout), digest);
    assert_eq!(
        CatalogFiles::read_dir(&pulled_dir).unwrap(),
        CatalogFiles::read_dir(&types).unwrap(),
        "the pulled catalog is the published one, file for file"
    );
    let checked = typehouse(&["check", pulled_dir.to_str().unwrap()], None, None);
    assert_success("typehouse check on the pulled catalog", &checked);

    // Pulling by digest works too; pulling into a directory that has files is refused.
    let by_digest = format!("{}/typehouse/catalog@{digest}", registry.host);
    let second = out.path().join("by-digest");
    assert_success(
        "typehouse pull by digest",
        &typehouse(
            &[
                "pull",
                &by_digest,
                "--out",
                second.to_str().unwrap(),
                "--plain-http",
            ],
            None,
            None,
        ),
    );
    let refused = typehouse(
        &[
            "pull",
            &reference,
            "--out",
            pulled_dir.to_str().unwrap(),
            "--plain-http",
        ],
        None,
        None,
    );
    assert_eq!(refused.status.code(), Some(2));
}

#[actix_web::test]
async fn the_published_catalog_classifies_as_typehouse_catalog() {
    let registry = Registry::start().await;
    oci::publish(
        &CatalogFiles::embedded(),
        &remote(&registry, "typehouse/catalog:0.1.0"),
    )
    .expect("publish");
    let manifest = registry.manifest("typehouse/catalog", "0.1.0").await;
    let config = registry
        .blob_json(
            "typehouse/catalog",
            manifest.json["config"]["digest"].as_str().unwrap(),
        )
        .await;
    let answer = classify(
        &manifest.json,
        Some(&config),
        &registry,
        "typehouse/catalog",
        Some("0.1.0"),
        None,
    );
    let location = format!("{}/typehouse/catalog", registry.host);
    let commands = assert_classified(&answer, "typehouse/catalog", &location);
    assert_eq!(matched_by(&answer), "artifactType");
    assert_eq!(
        commands,
        [
            format!("typehouse serve --from {location}:0.1.0"),
            format!("typehouse pull {location}:0.1.0 --out catalog"),
        ]
    );
}

#[actix_web::test]
async fn serve_from_serves_the_same_index_json_bytes_as_serving_the_directory() {
    let registry = Registry::start().await;
    let remote = remote(&registry, "typehouse/catalog:0.1.0");
    let files = CatalogFiles::read_dir(&types_dir()).unwrap();
    oci::publish(&files, &remote).expect("publish");

    let from_registry = Service::start(CatalogSource::Remote(std::sync::Arc::new(Remote {
        reference: remote.reference.clone(),
        plain_http: true,
        credentials: Credentials::Anonymous,
    })))
    .await
    .expect("serve --from starts");
    let from_directory = Service::start(CatalogSource::Directory(types_dir()))
        .await
        .expect("serve --types starts");
    let (served_from_registry, etag_from_registry) = from_registry.index_json().await;
    let (served_from_directory, etag_from_directory) = from_directory.index_json().await;
    assert!(
        served_from_registry == served_from_directory,
        "serve --from and serve --types answer different index.json bytes"
    );
    assert_eq!(etag_from_registry, etag_from_directory);

    // The index layer of the artifact is those bytes too.
    let pulled = oci::pull(&remote).expect("pull");
    assert!(pulled.index == served_from_directory);
}

#[actix_web::test]
async fn a_reload_pulls_the_catalog_again_and_swaps_in_the_new_release() {
    let registry = Registry::start().await;
    let remote = remote(&registry, "typehouse/catalog:live");
    let catalog = copy_of_types();
    oci::publish(&CatalogFiles::read_dir(catalog.path()).unwrap(), &remote).expect("publish");
    let service = Service::start(CatalogSource::Remote(std::sync::Arc::new(Remote {
        reference: remote.reference.clone(),
        plain_http: true,
        credentials: Credentials::Anonymous,
    })))
    .await
    .expect("serve --from starts");
    let (before, _) = service.index_json().await;

    set_catalog_version(catalog.path(), "0.99.0");
    oci::publish(&CatalogFiles::read_dir(catalog.path()).unwrap(), &remote).expect("republish");
    // What SIGHUP runs, on a blocking thread as the signal handler does.
    let state = service.state.clone();
    let source = service.source.clone();
    let reloaded = tokio::task::spawn_blocking(move || reload::reload(&state.service, &source))
        .await
        .unwrap();
    assert!(reloaded);
    let (after, _) = service.index_json().await;
    assert_ne!(before, after);
    let index: serde_json::Value = serde_json::from_slice(&after).unwrap();
    assert_eq!(index["version"], "0.99.0");
}

#[actix_web::test]
async fn a_tampered_blob_makes_pull_fail_with_a_digest_error() {
    let registry = Registry::start().await;
    let remote = remote(&registry, "typehouse/catalog:0.1.0");
    oci::publish(&CatalogFiles::embedded(), &remote).expect("publish");
    let manifest = registry.manifest("typehouse/catalog", "0.1.0").await;
    let files_layer = manifest.json["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["mediaType"] == "application/vnd.typehouse.catalog.files.v1.tar+gzip")
        .expect("the files layer");
    // Same size, different bytes: only the digest can tell.
    let blob = registry.blob_path(files_layer["digest"].as_str().unwrap());
    let mut bytes = std::fs::read(&blob).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, &bytes).unwrap();

    let error = oci::pull(&remote).expect_err("a tampered blob is refused");
    assert!(error.is_digest_mismatch(), "{error}");

    let out = TempDir::new().unwrap();
    let target = out.path().join("catalog");
    let pulled = typehouse(
        &[
            "pull",
            &format!("{}/typehouse/catalog:0.1.0", registry.host),
            "--out",
            target.to_str().unwrap(),
            "--plain-http",
        ],
        None,
        None,
    );
    assert_eq!(pulled.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&pulled.stderr);
    assert!(stderr.contains("digest mismatch"), "{stderr}");
    assert!(!target.exists(), "a failed pull writes nothing");

    let refused = Service::start(CatalogSource::Remote(std::sync::Arc::new(Remote {
        reference: remote.reference.clone(),
        plain_http: true,
        credentials: Credentials::Anonymous,
    })))
    .await;
    assert!(refused.is_err(), "serve --from refuses a tampered catalog");
}

#[actix_web::test]
async fn pull_refuses_an_artifact_that_is_not_a_catalog() {
    let registry = Registry::start().await;
    let files = TempDir::new().unwrap();
    let sbom = write(
        files.path(),
        "sbom.spdx.json",
        br#"{"spdxVersion":"SPDX-2.3"}"#,
    );
    oras_push(
        &registry,
        OrasPush {
            target: "team/app:sbom",
            artifact_type: Some("application/spdx+json"),
            config: Some(format!(":{EMPTY_CONFIG}")),
            files: vec![format!("{sbom}:application/spdx+json")],
            ..OrasPush::default()
        },
    );
    let out = TempDir::new().unwrap();
    let pulled = typehouse(
        &[
            "pull",
            &format!("{}/team/app:sbom", registry.host),
            "--out",
            out.path().join("c").to_str().unwrap(),
            "--plain-http",
        ],
        None,
        None,
    );
    assert_eq!(pulled.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&pulled.stderr);
    assert!(
        stderr.contains("not a typehouse catalog") && stderr.contains("application/spdx+json"),
        "{stderr}"
    );
}

#[actix_web::test]
async fn credentials_come_from_password_stdin_or_the_docker_config_file() {
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:0.1.0", registry.host);

    let anonymous = typehouse(&["publish", "--plain-http", &reference], None, None);
    assert_eq!(anonymous.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&anonymous.stderr);
    assert!(stderr.contains("not authorized"), "{stderr}");

    let with_password = typehouse(
        &[
            "publish",
            "--plain-http",
            "--username",
            TEST_USER,
            "--password-stdin",
            &reference,
        ],
        None,
        Some(&format!("{TEST_PASSWORD}\n")),
    );
    assert_success("typehouse publish --password-stdin", &with_password);

    // `docker login` leaves `auths.<registry>.auth`, base64 of `user:password`.
    let docker_config = TempDir::new().unwrap();
    let auth = base64_encode(format!("{TEST_USER}:{TEST_PASSWORD}").as_bytes());
    std::fs::write(
        docker_config.path().join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
            registry.host
        ),
    )
    .unwrap();
    let out = TempDir::new().unwrap();
    let pulled = typehouse(
        &[
            "pull",
            &reference,
            "--out",
            out.path().join("c").to_str().unwrap(),
            "--plain-http",
        ],
        Some(docker_config.path()),
        None,
    );
    assert_success("typehouse pull with the Docker config", &pulled);
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
