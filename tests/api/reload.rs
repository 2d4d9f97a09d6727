//! Catalog reloads: a bad catalog is refused and the old one keeps serving; a good one takes
//! effect. By direct call, by the directory watcher, and by SIGHUP to the real binary.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{Served, TestApp, TestCatalog, WIDGET, client, eventually};

/// A version file whose `version` disagrees with its file name: the catalog refuses it.
const BROKEN: &str = "version: 2.0.0
name: Broken
summary: A file whose version is not its name
status: active
artifactType: application/vnd.acme.broken.v1+json
links:
  spec: https://example.com/spec/broken
owners:
  - name: Acme
    url: https://example.com
";

const WAIT: Duration = Duration::from_secs(10);

async fn health(app: &TestApp) -> Value {
    app.get_json("/healthz").await
}

#[actix_web::test]
async fn a_catalog_with_errors_is_refused_and_the_previous_one_keeps_serving() {
    let app = TestApp::spawn_with(TestCatalog::copy_of_shipped()).await;
    let before = app.get_json("/index.json").await;
    app.catalog().write("acme/broken/1.0.0.yaml", BROKEN);

    let took_effect = app.reload().await;

    assert!(!took_effect);
    assert_eq!(app.get_json("/index.json").await, before);
    let helm = app.get("/types/cncf/helm-chart").await;
    assert_eq!(helm.status(), StatusCode::OK);
    let health = health(&app).await;
    // Still serving, but not as asked: degraded, with the reason.
    assert_eq!(health["status"], "degraded");
    let reasons = health["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{health}");
    assert!(
        reasons[0].as_str().unwrap().contains("reload failed"),
        "{health}"
    );
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    assert_eq!(health["reload"]["failures"], 1);
    assert_eq!(health["reload"]["reloads"], 0);
    let errors = health["reload"]["lastError"]
        .as_array()
        .expect("the errors");
    assert!(!errors.is_empty());
    assert!(
        errors.iter().any(|e| e.to_string().contains("acme/broken")),
        "{errors:?}"
    );
    assert!(health["reload"]["lastErrorAt"].is_string());
}

#[actix_web::test]
async fn a_valid_catalog_takes_effect_and_clears_the_last_error() {
    let app = TestApp::spawn_with(TestCatalog::copy_of_shipped()).await;
    app.catalog().write("acme/broken/1.0.0.yaml", BROKEN);
    assert!(!app.reload().await);
    let old_etag = app
        .get("/index.json")
        .await
        .headers()
        .get("etag")
        .unwrap()
        .clone();
    assert_eq!(
        app.get("/types/acme/widget").await.status(),
        StatusCode::NOT_FOUND
    );

    app.catalog().remove("acme/broken/1.0.0.yaml");
    app.catalog().write("acme/widget/1.0.0.yaml", WIDGET);
    let took_effect = app.reload().await;

    assert!(took_effect);
    let widget = app.get_json("/types/acme/widget").await;
    assert_eq!(widget["name"], "Widget");
    let index = app.get("/index.json").await;
    assert_ne!(index.headers().get("etag").unwrap(), &old_etag);
    let health = health(&app).await;
    assert_eq!(health["reload"]["reloads"], 1);
    assert_eq!(health["reload"]["failures"], 1);
    assert!(health["reload"].get("lastError").is_none());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("typehouse_catalog_reloads_total 1"));
    assert!(metrics.contains("typehouse_catalog_reload_failures_total 1"));
}

#[actix_web::test]
async fn the_directory_watcher_refuses_a_bad_change_and_applies_a_good_one() {
    let catalog = TestCatalog::copy_of_shipped();
    let app = TestApp::spawn_watching(catalog, Duration::from_millis(50)).await;

    app.catalog().write("acme/broken/1.0.0.yaml", BROKEN);
    let refused = eventually(WAIT, || async {
        health(&app).await["reload"]["failures"]
            .as_u64()
            .is_some_and(|n| n >= 1)
    })
    .await;
    assert!(refused, "the watcher never tried the bad catalog");
    assert!(health(&app).await["reload"]["lastError"].is_array());
    assert_eq!(
        app.get("/types/cncf/helm-chart").await.status(),
        StatusCode::OK
    );

    app.catalog().remove("acme/broken/1.0.0.yaml");
    app.catalog().write("acme/widget/1.0.0.yaml", WIDGET);
    let applied = eventually(WAIT, || async {
        app.get("/types/acme/widget").await.status() == StatusCode::OK
    })
    .await;
    assert!(applied, "the watcher never applied the good catalog");
    assert!(health(&app).await["reload"].get("lastError").is_none());
}

/// Replaces `path` with `contents` of the same length, keeping its modification time, so
/// that the directory watcher sees no change and only SIGHUP can pick it up.
fn replace_unseen_by_the_watcher(path: &Path, contents: &str, scratch: &Path) {
    let original = std::fs::metadata(path).expect("the file exists");
    assert_eq!(original.len(), contents.len() as u64);
    let staged = scratch.join("staged");
    std::fs::write(&staged, contents).expect("the staged file is written");
    File::options()
        .write(true)
        .open(&staged)
        .and_then(|file| file.set_modified(original.modified()?))
        .expect("the modification time is kept");
    std::fs::rename(&staged, path).expect("the file is replaced");
}

#[actix_web::test]
async fn the_binary_reloads_on_sighup_and_exits_cleanly_on_sigterm() {
    let catalog = TestCatalog::copy_of_shipped();
    let scratch = TempDir::new_in(catalog.path().parent().unwrap()).unwrap();
    let log = scratch.path().join("serve.log");
    let mut served = Served::start(catalog.path(), &scratch.path().join("data"), &log);
    let client = client();
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();

    let up = eventually(WAIT, || async {
        served.catalog_version(&client).await.as_deref() == Some("0.1.0")
    })
    .await;
    assert!(up, "the binary never answered: {}", read_log());

    let catalog_yaml = catalog.path().join("catalog.yaml");
    let changed = catalog
        .read("catalog.yaml")
        .replace("version: 0.1.0", "version: 0.1.1");
    replace_unseen_by_the_watcher(&catalog_yaml, &changed, scratch.path());
    served.signal("HUP");
    let reloaded = eventually(WAIT, || async {
        served.catalog_version(&client).await.as_deref() == Some("0.1.1")
    })
    .await;
    assert!(reloaded, "SIGHUP did not reload: {}", read_log());

    drop(client);
    served.signal("TERM");
    let mut status = None;
    let exited = eventually(WAIT, || {
        status = served.child.try_wait().expect("the child is there");
        std::future::ready(status.is_some())
    })
    .await;
    assert!(exited, "SIGTERM did not stop the binary: {}", read_log());
    let status = status.unwrap();
    assert!(status.success(), "exit status {status}: {}", read_log());
}
