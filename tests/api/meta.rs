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

/// The port opens before the catalog is loaded: while a large catalog is checked and compiled,
/// a probe hears 503 with `Retry-After` (a problem document), never a refused connection, and
/// the service is ready once the catalog is served.
#[actix_web::test]
async fn not_ready_but_answering_while_the_first_catalog_loads() {
    // Enough types that loading, checking and compiling takes well over the first few polls.
    let catalog = shipped_and_widgets(1500);
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("serve.log");
    let served = crate::helpers::Served::start(catalog.path(), &data.path().join("data"), &log);
    let http = reqwest::Client::new();
    let mut while_loading = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let ready = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "never ready: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        match http.get(format!("{}/readyz", served.address)).send().await {
            Ok(response) if response.status() == StatusCode::OK => break response,
            Ok(response) => while_loading.push(response),
            // Before the port is bound.
            Err(_) => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert!(
        !while_loading.is_empty(),
        "the port opened only once the catalog was loaded"
    );
    for response in while_loading {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(response.headers(), "retry-after"), Some("1"));
        assert_content_type(response.headers(), "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("being loaded"),
            "{problem}"
        );
    }
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let shipped = std::fs::read_dir(shipped_types())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|vendor| vendor.path().is_dir())
        .map(|vendor| std::fs::read_dir(vendor.path()).unwrap().count())
        .sum::<usize>();
    assert_eq!(ready["catalog"]["types"], shipped + 1500, "{ready}");
}

/// The shipped catalog and `count` widgets, `acme/widget-0` on.
fn shipped_and_widgets(count: usize) -> crate::helpers::TestCatalog {
    let catalog = crate::helpers::TestCatalog::copy_of_shipped();
    for n in 0..count {
        catalog.write(
            &format!("acme/widget-{n}/1.0.0.yaml"),
            &crate::helpers::WIDGET.replace("acme.widget", &format!("acme.widget-{n}")),
        );
    }
    catalog
}

/// Listening sockets on `port` (IPv4), from the kernel's table.
fn listeners_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("the kernel's TCP table");
    let local = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<_> = line.split_whitespace().collect();
            fields[1].ends_with(&local) && fields[3] == "0A"
        })
        .count()
}

/// One lookup on a connection of its own: does it answer 200?
fn lookup_answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /types/acme/widget-7 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.starts_with("HTTP/1.1 200 ")
}

/// `--connections-by-cpu`: one listener per worker on the one port, each answering while the
/// catalog loads and once it is served, a second server on the port refused, and SIGTERM
/// stopping every worker's server.
#[actix_web::test]
async fn a_listener_per_worker_answers_while_loading_and_after_and_stops_on_sigterm() {
    let catalog = shipped_and_widgets(1500);
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("serve.log");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let types = catalog.path().to_str().unwrap();
    let mut served = crate::helpers::Served::start_with(
        &["--types", types, "--workers", "3", "--connections-by-cpu"],
        &data.path().join("data"),
        &log,
    );
    let port: u16 = served.address.rsplit(':').next().unwrap().parse().unwrap();
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut while_loading = 0;
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "never ready: {}",
            read_log()
        );
        match http.get(format!("{}/readyz", served.address)).send().await {
            Ok(response) if response.status() == StatusCode::OK => break,
            Ok(response) => {
                assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
                assert_eq!(header(response.headers(), "retry-after"), Some("1"));
                while_loading += 1;
            }
            Err(_) => {}
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(
        while_loading > 0,
        "the port opened only once the catalog was loaded"
    );
    assert_eq!(listeners_on(port), 3, "one listener per worker");
    let refused = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::AddrInUse);

    // Connections from several threads, wherever they run, are all answered.
    let answered = tokio::task::spawn_blocking(move || {
        std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(move || (0..10).filter(|_| lookup_answers(port)).count()))
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().unwrap())
                .sum::<usize>()
        })
    })
    .await
    .unwrap();
    assert_eq!(answered, 40, "{}", read_log());

    drop(http);
    served.signal("TERM");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "SIGTERM did not stop it: {}",
            read_log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status}: {}", read_log());
}
