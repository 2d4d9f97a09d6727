//! Cache-friendly reads: strong ETags and 304s, gzip, Cache-Control and CORS.

use std::io::Read;

use flate2::read::GzDecoder;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, header};

/// The catalog reads that carry an ETag.
const READS: &[&str] = &[
    "/index.json",
    "/definition.schema.json",
    "/search-index.json",
    "/types",
    "/types/cncf/helm-chart",
    "/types/cncf/helm-chart?version=1.0.0",
    "/types/cncf/helm-chart/versions",
    "/types/cncf/helm-chart/schema",
    "/media-types/application/vnd.oci.image.config.v1+json",
];

async fn etag_of(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    header(response.headers(), "etag")
        .unwrap_or_else(|| panic!("GET {path} has no ETag"))
        .to_string()
}

async fn get_if_none_match(app: &TestApp, path: &str, value: &str) -> reqwest::Response {
    app.request(Method::GET, path)
        .header("if-none-match", value)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn every_catalog_read_carries_a_strong_etag() {
    let app = TestApp::spawn().await;

    for path in READS {
        let etag = etag_of(&app, path).await;
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "GET {path}: `{etag}` is not a strong ETag"
        );
    }
}

#[actix_web::test]
async fn the_same_answer_keeps_its_etag_and_a_different_one_gets_another() {
    let app = TestApp::spawn().await;

    let first = etag_of(&app, "/types/cncf/helm-chart").await;
    let again = etag_of(&app, "/types/cncf/helm-chart").await;
    let other = etag_of(&app, "/types/docker/image").await;

    assert_eq!(first, again);
    assert_ne!(first, other);
}

#[actix_web::test]
async fn a_matching_if_none_match_answers_304_without_a_body() {
    let app = TestApp::spawn().await;

    for path in READS {
        let etag = etag_of(&app, path).await;
        let response = get_if_none_match(&app, path, &etag).await;
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "GET {path}");
        assert_eq!(header(response.headers(), "etag"), Some(etag.as_str()));
        assert!(response.bytes().await.unwrap().is_empty());
    }
}

#[actix_web::test]
async fn a_weak_form_of_the_etag_matches_too() {
    let app = TestApp::spawn().await;
    let etag = etag_of(&app, "/index.json").await;

    let response = get_if_none_match(&app, "/index.json", &format!("W/{etag}")).await;

    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn an_etag_anywhere_in_a_list_matches() {
    let app = TestApp::spawn().await;
    let etag = etag_of(&app, "/types/cncf/helm-chart").await;

    let response = get_if_none_match(
        &app,
        "/types/cncf/helm-chart",
        &format!("\"stale\", W/\"older\",{etag}"),
    )
    .await;

    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn a_star_matches_any_current_answer() {
    let app = TestApp::spawn().await;

    let response = get_if_none_match(&app, "/types/docker/image", "*").await;

    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn a_stale_etag_gets_the_full_answer() {
    let app = TestApp::spawn().await;

    let response = get_if_none_match(&app, "/index.json", "\"0123456789abcdef\"").await;

    assert_eq!(response.status(), StatusCode::OK);
    let index: Value = response.json().await.unwrap();
    assert_eq!(index["name"], "typehouse");
}

#[actix_web::test]
async fn the_etag_of_a_different_resource_does_not_match() {
    let app = TestApp::spawn().await;
    let helm = etag_of(&app, "/types/cncf/helm-chart").await;

    let response = get_if_none_match(&app, "/types/docker/image", &helm).await;

    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn the_index_is_gzipped_when_asked_and_decompresses_to_the_plain_answer() {
    let app = TestApp::spawn().await;
    let plain = app.get("/index.json").await;
    let plain_etag = header(plain.headers(), "etag").unwrap().to_string();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_bytes = plain.bytes().await.unwrap();

    let gzipped = app
        .request(Method::GET, "/index.json")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();

    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(header(gzipped.headers(), "content-encoding"), Some("gzip"));
    let vary = header(gzipped.headers(), "vary")
        .unwrap()
        .to_ascii_lowercase();
    assert!(vary.contains("accept-encoding"), "Vary: {vary}");
    let gzip_etag = header(gzipped.headers(), "etag").unwrap().to_string();
    assert_ne!(
        gzip_etag, plain_etag,
        "each content coding has its own strong ETag"
    );
    let compressed = gzipped.bytes().await.unwrap();
    assert!(compressed.len() < plain_bytes.len());
    let mut decompressed = Vec::new();
    GzDecoder::new(&compressed[..])
        .read_to_end(&mut decompressed)
        .expect("valid gzip");
    assert_eq!(decompressed, plain_bytes);

    let revalidated = app
        .request(Method::GET, "/index.json")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &gzip_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn gzip_refused_with_q_zero_is_not_sent() {
    let app = TestApp::spawn().await;

    let response = app
        .request(Method::GET, "/index.json")
        .header("accept-encoding", "gzip;q=0, identity")
        .send()
        .await
        .unwrap();

    assert!(response.headers().get("content-encoding").is_none());
    let index: Value = response.json().await.unwrap();
    assert_eq!(index["name"], "typehouse");
}

#[actix_web::test]
async fn small_answers_keep_one_etag_per_content_coding_too() {
    let app = TestApp::spawn().await;

    for path in [
        "/types/cncf/helm-chart/versions",
        "/types/notaryproject/signature/schema",
    ] {
        let plain = app.get(path).await;
        let plain_etag = header(plain.headers(), "etag").unwrap().to_string();
        let plain_bytes = plain.bytes().await.unwrap();
        let asked = app
            .request(Method::GET, path)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        let encoding = header(asked.headers(), "content-encoding").map(str::to_string);
        let etag = header(asked.headers(), "etag").unwrap().to_string();
        let bytes = asked.bytes().await.unwrap();
        if encoding.as_deref() == Some("gzip") {
            assert_ne!(
                etag, plain_etag,
                "GET {path}: gzip and identity share an ETag"
            );
            let mut decompressed = Vec::new();
            GzDecoder::new(&bytes[..])
                .read_to_end(&mut decompressed)
                .unwrap();
            assert_eq!(decompressed, plain_bytes);
        } else {
            assert_eq!(etag, plain_etag);
            assert_eq!(bytes, plain_bytes);
        }
    }
}

#[actix_web::test]
async fn latest_answers_are_cached_briefly_and_exact_versions_forever() {
    let app = TestApp::spawn().await;

    let latest = app.get("/types/cncf/helm-chart").await;
    let requirement = app.get("/types/cncf/helm-chart?version=%5E1").await;
    let exact = app.get("/types/cncf/helm-chart?version=1.0.0").await;
    let exact_schema = app.get("/types/cncf/helm-chart/schema?version=1.0.0").await;
    let index = app.get("/index.json").await;

    for response in [&latest, &requirement, &index] {
        let cache_control = header(response.headers(), "cache-control").unwrap();
        assert!(cache_control.contains("max-age=60"), "{cache_control}");
        assert!(!cache_control.contains("immutable"), "{cache_control}");
    }
    for response in [&exact, &exact_schema] {
        let cache_control = header(response.headers(), "cache-control").unwrap();
        assert!(cache_control.contains("immutable"), "{cache_control}");
        assert!(
            cache_control.contains("max-age=31536000"),
            "{cache_control}"
        );
    }
}

#[actix_web::test]
async fn answers_computed_per_request_are_not_stored() {
    let app = TestApp::spawn().await;

    let healthz = app.get("/healthz").await;
    let classify = app
        .post_json(
            "/classify",
            &serde_json::json!({"schemaVersion": 2, "manifests": []}),
        )
        .await;

    assert_eq!(header(healthz.headers(), "cache-control"), Some("no-store"));
    assert_eq!(
        header(classify.headers(), "cache-control"),
        Some("no-store")
    );
}

#[actix_web::test]
async fn reads_allow_any_origin() {
    let app = TestApp::spawn().await;

    for path in READS.iter().chain(&["/healthz", "/types/acme/nothing"]) {
        let response = app.get(path).await;
        assert_eq!(
            header(response.headers(), "access-control-allow-origin"),
            Some("*"),
            "GET {path}"
        );
    }
}

#[actix_web::test]
async fn a_cors_preflight_answers_204_with_the_allowed_methods_and_headers() {
    let app = TestApp::spawn().await;

    for path in [
        "/classify",
        "/types/cncf/helm-chart/validate",
        "/index.json",
    ] {
        let response = app
            .request(Method::OPTIONS, path)
            .header("origin", "https://ui.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "OPTIONS {path}");
        let headers = response.headers();
        assert_eq!(header(headers, "access-control-allow-origin"), Some("*"));
        let methods = header(headers, "access-control-allow-methods").unwrap();
        assert!(
            methods.contains("POST") && methods.contains("GET"),
            "{methods}"
        );
        let allowed = header(headers, "access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(allowed.contains("content-type"), "{allowed}");
        assert!(allowed.contains("if-none-match"), "{allowed}");
    }
}

#[actix_web::test]
async fn head_answers_like_get_without_a_body() {
    let app = TestApp::spawn().await;
    let etag = etag_of(&app, "/types/cncf/helm-chart").await;

    let response = app
        .request(Method::HEAD, "/types/cncf/helm-chart")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "etag"), Some(etag.as_str()));
    assert!(response.bytes().await.unwrap().is_empty());
}

#[actix_web::test]
async fn pages_lists_and_error_pages_are_gzipped_when_asked() {
    let app = TestApp::spawn().await;
    let html = "text/html,application/xhtml+xml;q=0.9";

    for (path, accept, status) in [
        ("/types/cncf/helm-chart", html, StatusCode::OK),
        ("/", html, StatusCode::OK),
        ("/types?q=helm", "application/json", StatusCode::OK),
        ("/no/such/page", html, StatusCode::NOT_FOUND),
    ] {
        let plain = app
            .request(Method::GET, path)
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), status, "GET {path}");
        assert!(plain.headers().get("content-encoding").is_none());
        let plain_etag = header(plain.headers(), "etag").map(str::to_string);
        let plain_bytes = plain.bytes().await.unwrap();

        let gzipped = app
            .request(Method::GET, path)
            .header("accept", accept)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gzipped.status(), status, "GET {path}");
        assert_eq!(
            header(gzipped.headers(), "content-encoding"),
            Some("gzip"),
            "GET {path}"
        );
        assert!(
            header(gzipped.headers(), "vary")
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding")
        );
        if let Some(plain_etag) = plain_etag {
            assert_ne!(
                header(gzipped.headers(), "etag"),
                Some(plain_etag.as_str()),
                "GET {path}: gzip and identity share an ETag"
            );
        }
        let mut decompressed = Vec::new();
        GzDecoder::new(&gzipped.bytes().await.unwrap()[..])
            .read_to_end(&mut decompressed)
            .unwrap();
        assert_eq!(decompressed, plain_bytes, "GET {path}");
    }
}
