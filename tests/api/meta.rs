//! The catalog as a whole: `/index.json`, `/definition.schema.json`, `/healthz`, `/metrics`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_content_type, header, shipped_types};

#[actix_web::test]
async fn the_index_names_the_catalog_and_lists_every_type_with_its_latest_version() {
    let app = TestApp::spawn().await;

    let response = app.get("/index.json").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_content_type(response.headers(), "application/json");
    assert!(header(response.headers(), "etag").is_some());
    let index: Value = response.json().await.unwrap();
    assert_eq!(index["name"], "typehouse");
    assert_eq!(index["version"], "0.1.0");
    let types = index["types"].as_array().unwrap();
    let folders = std::fs::read_dir(shipped_types())
        .unwrap()
        .flatten()
        .filter(|vendor| vendor.path().is_dir())
        .map(|vendor| std::fs::read_dir(vendor.path()).unwrap().count())
        .sum::<usize>();
    assert_eq!(types.len(), folders);
    let helm = types
        .iter()
        .find(|t| t["id"] == "cncf/helm-chart")
        .expect("helm is in the index");
    assert_eq!(helm["version"], "1.0.1");
    assert_eq!(helm["status"], "active");
    assert_eq!(helm["url"], "types/cncf/helm-chart");
    let identifying = helm["identifyingMediaTypes"].as_array().unwrap();
    assert!(identifying.contains(&"application/vnd.cncf.helm.config.v1+json".into()));
    assert!(identifying.contains(&"application/vnd.cncf.helm.chart.content.v1.tar+gzip".into()));
    let layers = helm["layerMediaTypes"].as_array().unwrap();
    assert!(layers.contains(&"application/vnd.cncf.helm.chart.provenance.v1.prov".into()));
}

#[actix_web::test]
async fn the_definition_schema_is_the_shipped_one() {
    let app = TestApp::spawn().await;

    let response = app.get("/definition.schema.json").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_content_type(response.headers(), "application/schema+json");
    let served: Value = response.json().await.unwrap();
    let shipped: Value = serde_json::from_str(
        &std::fs::read_to_string(shipped_types().join("definition.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served, shipped);
}

#[actix_web::test]
async fn health_reports_the_catalog_and_no_reload_error() {
    let app = TestApp::spawn().await;

    let health = app.get_json("/healthz").await;

    assert_eq!(health["status"], "ok");
    assert_eq!(health["reasons"], serde_json::json!([]), "{health}");
    assert_eq!(health["catalog"]["name"], "typehouse");
    assert_eq!(health["catalog"]["version"], "0.1.0");
    assert!(health["catalog"]["types"].as_u64().unwrap() > 40);
    assert!(
        health["catalog"]["loadedAt"]
            .as_str()
            .unwrap()
            .ends_with("GMT")
    );
    assert_eq!(health["reload"]["reloads"], 0);
    assert_eq!(health["reload"]["failures"], 0);
    assert!(health["reload"].get("lastError").is_none());
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::spawn().await;
    app.get("/types/cncf/helm-chart").await;
    app.get("/types/cncf/helm-chart").await;
    app.get("/types/acme/nothing").await;
    app.get("/index.json").await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_content_type(response.headers(), "text/plain");
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE typehouse_http_requests_total counter"));
    let count = |route: &str, status: u16| -> Option<u64> {
        let prefix = format!(
            "typehouse_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"{status}\"}} "
        );
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map(|n| n.parse().unwrap())
    };
    assert_eq!(count("/types/{key}", 200), Some(2), "{text}");
    assert_eq!(count("/types/{key}", 404), Some(1), "{text}");
    assert_eq!(count("/index.json", 200), Some(1), "{text}");
}

#[actix_web::test]
async fn metrics_report_latency_the_catalog_and_reloads() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;

    let text = app.get("/metrics").await.text().await.unwrap();

    assert!(text.contains("# TYPE typehouse_http_request_duration_seconds histogram"));
    assert!(text.contains("typehouse_http_request_duration_seconds_bucket{le=\"+Inf\"} "));
    assert!(text.contains("typehouse_http_request_duration_seconds_count "));
    assert!(text.contains("typehouse_catalog_info{name=\"typehouse\",version=\"0.1.0\"} 1"));
    assert!(text.contains("typehouse_catalog_reloads_total 0"));
    assert!(text.contains("typehouse_catalog_reload_failures_total 0"));
}

#[actix_web::test]
async fn ready_once_a_catalog_is_served() {
    let app = TestApp::spawn().await;

    let ready = app.get("/readyz").await;

    assert_eq!(ready.status(), reqwest::StatusCode::OK);
    assert_eq!(
        ready.headers()["cache-control"].to_str().unwrap(),
        "no-store"
    );
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["catalog"]["name"], "typehouse");
}
