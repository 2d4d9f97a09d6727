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
    let health = app.get_json("/healthz").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(
        health["reasons"],
        serde_json::json!([
            "the catalog image could not be written; the catalog is served from memory"
        ]),
    );
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

/// Where the blobs of the image at `path` lie, as its head says, for a type whose latest
/// version has a config schema answer: `(what, offset, len)` per region, and the type's id.
fn regions(path: &Path) -> (Vec<(&'static str, u64, u64)>, String) {
    let bytes = std::fs::read(path).unwrap();
    let number = |range: std::ops::Range<usize>| {
        u64::from_le_bytes(bytes[range].try_into().unwrap()) as usize
    };
    let (head_offset, head_len) = (number(24..32), number(32..40));
    let mut lines = bytes[head_offset..head_offset + head_len]
        .split(|b| *b == b'\n')
        .map(|line| serde_json::from_slice::<Value>(line).unwrap());
    let first = lines.next().unwrap();
    let at = |value: &Value, field: usize| value[field].as_u64().unwrap();
    // An answer: [offset, identity length, gzip length, ETag, gzip digest].
    let answer = |value: &Value| {
        let (offset, identity, gzip) = (at(value, 0), at(value, 1), at(value, 2));
        [(offset, identity), (offset + identity, gzip)]
    };
    let typed = lines
        .find(|t| t["versions"].as_array().unwrap().last().unwrap()["schema"].is_array())
        .expect("a type whose latest version has a schema answer");
    let latest = typed["versions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let [index, index_gzip] = answer(&first["index"]);
    let [definition, definition_gzip] = answer(&latest["answer"]);
    let [list, list_gzip] = answer(&typed["versionList"]);
    let [schema, schema_gzip] = answer(&latest["schema"]);
    let extras = (at(&latest["extras"], 0), at(&latest["extras"], 1));
    let regions = vec![
        ("index", index),
        ("index gzip", index_gzip),
        ("definition", definition),
        ("definition gzip", definition_gzip),
        ("versions", list),
        ("versions gzip", list_gzip),
        ("schema", schema),
        ("schema gzip", schema_gzip),
        ("extras", extras),
    ];
    let id = typed["id"].as_str().unwrap().to_string();
    (
        regions
            .into_iter()
            .map(|(what, (o, l))| (what, o, l))
            .collect(),
        id,
    )
}

/// The request that first uses a region's blob, and its answer: status and body bytes.
async fn ask(
    served: &Served,
    http: &reqwest::Client,
    what: &str,
    id: &str,
) -> (StatusCode, Vec<u8>) {
    let gzip = what.ends_with(" gzip");
    let path = match what.trim_end_matches(" gzip") {
        "index" => "/index.json".to_string(),
        "definition" => format!("/types/{id}"),
        "versions" => format!("/types/{id}/versions"),
        "schema" => format!("/types/{id}/schema"),
        "extras" => format!("/types/{id}/validate"),
        other => unreachable!("{other}"),
    };
    let url = format!("{}{path}", served.address);
    let mut request = if what == "extras" {
        http.post(url).json(&serde_json::json!({}))
    } else {
        http.get(url).header("accept", "application/json")
    };
    if gzip {
        request = request.header("accept-encoding", "gzip");
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

#[actix_web::test]
async fn a_flipped_bit_in_any_blob_answers_500_and_the_image_is_compiled_again() {
    use std::os::unix::fs::FileExt;

    let catalog = TestCatalog::copy_of_shipped();
    let data = TempDir::new().unwrap();
    let log = data.path().join("../flipped-bit-test.log");
    let http = client();
    let served = Served::start(catalog.path(), data.path(), &log);
    wait_until_serving(&served, &http).await;
    let image = images_in(data.path()).remove(0);
    let (regions, id) = regions(&image);
    let mut good = Vec::new();
    for (what, _, _) in &regions {
        let answer = ask(&served, &http, what, &id).await;
        assert_ne!(answer.0, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
        good.push(answer);
    }
    // Restarted, so that nothing is checked or cached yet.
    drop(served);
    let served = Served::start(catalog.path(), data.path(), &log);
    wait_until_serving(&served, &http).await;

    for ((what, offset, len), good) in regions.iter().zip(&good) {
        // The blobs of a rebuilt image lie where they did: the same catalog, compiled alike.
        let image = images_in(data.path()).remove(0);
        assert_eq!(regions_of(&image), regions, "{what}");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&image)
            .unwrap();
        let at = offset + len / 2;
        let mut byte = [0u8];
        file.read_exact_at(&mut byte, at).unwrap();
        file.write_all_at(&[byte[0] ^ 0x04], at).unwrap();
        drop(file);

        let (status, body) = ask(&served, &http, what, &id).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{what}: {}",
            String::from_utf8_lossy(&body)
        );
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["status"], 500, "{what}");

        // Compiled again in the background: the same answers as before, never a wrong 200.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let answer = ask(&served, &http, what, &id).await;
            if answer.0 != StatusCode::INTERNAL_SERVER_ERROR {
                assert_eq!(&answer, good, "{what}: after the rebuild");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: never compiled again"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let health = served.get_json(&http, "/readyz").await;
        assert_eq!(health["status"], "ready", "{what}: {health}");
    }
    drop(served);
    let log = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        log.matches("the catalog image is damaged").count(),
        regions.len(),
        "one log line per damaged image:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
}

fn regions_of(path: &Path) -> Vec<(&'static str, u64, u64)> {
    regions(path).0
}
