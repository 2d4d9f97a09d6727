//! The compiled catalog image: a restart on unchanged files opens it instead of loading the
//! catalog again, a changed catalog gets a new one, a damaged one is compiled again, and a data
//! directory where no image can be written still serves (from memory).

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{Served, TestApp, TestCatalog, WIDGET, client, wait_until_serving};

fn images_in(data: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(data.join("catalog-images"))
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

/// What a client sees of the catalog: the index, one definition with its ETag, a schema.
async fn answers(served: &Served, http: &reqwest::Client) -> (Value, String, Value, Value) {
    let get = |path: &str| http.get(format!("{}{path}", served.address)).send();
    let index: Value = get("/index.json").await.unwrap().json().await.unwrap();
    let helm = get("/types/application/vnd.cncf.helm.config.v1+json")
        .await
        .unwrap();
    assert_eq!(helm.status(), StatusCode::OK);
    let etag = helm.headers()["etag"].to_str().unwrap().to_string();
    let helm: Value = helm.json().await.unwrap();
    let validation: Value = http
        .post(format!("{}/types/cncf/helm-chart/validate", served.address))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (index, etag, helm, validation)
}

/// Starts the binary on `catalog` and `data`, takes its answers and stops it.
async fn serve_once(
    catalog: &Path,
    data: &Path,
    log: &Path,
    http: &reqwest::Client,
) -> (Value, String, Value, Value) {
    let mut served = Served::start(catalog, data, log);
    wait_until_serving(&served, http).await;
    let seen = answers(&served, http).await;
    served.signal("TERM");
    served.child.wait().expect("the server exits");
    seen
}

#[actix_web::test]
async fn a_restart_opens_the_image_and_answers_exactly_as_the_first_start() {
    let catalog = TestCatalog::copy_of_shipped();
    let data = TempDir::new().unwrap();
    let log = data.path().join("../image-test.log");
    let http = client();

    let before = serve_once(catalog.path(), data.path(), &log, &http).await;
    let images = images_in(data.path());
    assert_eq!(images.len(), 1, "{images:?}");
    let compiled = std::fs::metadata(&images[0]).unwrap().modified().unwrap();

    let again = serve_once(catalog.path(), data.path(), &log, &http).await;
    assert_eq!(again, before);
    assert_eq!(
        images_in(data.path()),
        images,
        "the same image, not a new one"
    );
    let reopened = std::fs::metadata(&images[0]).unwrap().modified().unwrap();
    assert_eq!(reopened, compiled, "opened, not written again");

    // A changed catalog gets its own image, and the old one goes.
    catalog.write(
        "catalog.yaml",
        &std::fs::read_to_string(catalog.path().join("catalog.yaml"))
            .unwrap()
            .replace("description:", "description: Changed."),
    );
    let (index, ..) = serve_once(catalog.path(), data.path(), &log, &http).await;
    assert!(
        index["description"]
            .as_str()
            .unwrap()
            .starts_with("Changed.")
    );
    let now = images_in(data.path());
    assert_eq!(now.len(), 1, "{now:?}");
    assert_ne!(now, images);
}

#[actix_web::test]
async fn a_damaged_image_is_compiled_again() {
    let catalog = TestCatalog::copy_of_shipped();
    let data = TempDir::new().unwrap();
    let log = data.path().join("../damaged-image-test.log");
    let http = client();
    let before = serve_once(catalog.path(), data.path(), &log, &http).await;

    let image = images_in(data.path()).remove(0);
    let mut bytes = std::fs::read(&image).unwrap();
    let middle = bytes.len() - 100;
    bytes[middle] ^= 0xff;
    std::fs::write(&image, &bytes).unwrap();

    let again = serve_once(catalog.path(), data.path(), &log, &http).await;
    assert_eq!(again, before);
    assert_ne!(std::fs::read(&image).unwrap(), bytes, "written anew");
}

#[actix_web::test]
async fn without_room_for_an_image_the_catalog_is_served_from_memory() {
    // A file where the images folder should be: no image can be written.
    let app = TestApp::spawn_configured(|config| {
        drop(typehouse::store::Store::open(&config.data).expect("a new data directory"));
        std::fs::write(config.data.join("catalog-images"), "not a folder").unwrap();
    })
    .await;
    assert!(!app.state.current().catalog.is_stored());
    let helm = app.get("/types/cncf/helm-chart").await;
    assert_eq!(helm.status(), StatusCode::OK);
    let index = app.get_json("/index.json").await;
    assert!(index["types"].as_array().unwrap().len() > 10);
}

#[actix_web::test]
async fn the_service_answers_from_the_image() {
    let app = TestApp::spawn().await;
    assert!(app.state.current().catalog.is_stored());
}

#[actix_web::test]
async fn a_large_index_is_sent_whole_with_its_length_plain_and_compressed() {
    let catalog = TestCatalog::copy_of_shipped();
    for n in 0..700 {
        let definition = WIDGET
            .replace("acme.widget", &format!("acme.widget{n}"))
            .replace("name: Widget", &format!("name: Widget {n}"));
        catalog.write(&format!("acme/widget-{n}/1.0.0.yaml"), &definition);
    }
    let app = TestApp::spawn_with(catalog).await;
    assert!(app.state.current().catalog.is_stored());

    let plain = app.get("/index.json").await;
    assert_eq!(plain.status(), StatusCode::OK);
    let length: usize = plain.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = plain.bytes().await.unwrap();
    assert!(
        bytes.len() > 256 * 1024,
        "{} bytes: large enough to be sent in chunks",
        bytes.len()
    );
    assert_eq!(length, bytes.len());
    let index: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(index["types"].as_array().unwrap().len() > 700);

    let compressed = app
        .request(reqwest::Method::GET, "/index.json")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let gzip = compressed.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(gzip.as_ref()),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, bytes.as_ref());
}
