//! What the service believes and what it promises: checks queued and limited per client,
//! forwarded addresses believed only from trusted proxies, pages that never echo `Host`, and
//! approvals re-checked with every approved submission an export writes with them.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, header};

const TOKEN: &str = "trust-review-token";

/// A valid new type; `{name}` and `{artifact}` vary it.
fn new_type(artifact: &str) -> String {
    format!(
        "version: 1.0.0
name: Example bundle
summary: A bundle used to test checks
status: draft
artifactType: {artifact}
layers:
  - mediaType: application/vnd.example.bundle.layer.v1.tar+gzip
    title: Bundle archive
    required: true
links:
  spec: https://example.com/spec
owners:
  - name: Example maintainers
    url: https://example.com
"
    )
}

async fn dry_run(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/submissions/check?id=acme/bundle"))
        .header("Content-Type", "application/yaml")
        .body(new_type("application/vnd.example.bundle.v1+json"));
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    request.send().await.expect("the request is sent")
}

#[actix_web::test]
async fn checks_are_limited_per_client_and_refused_with_retry_after() {
    let app = TestApp::spawn_configured(|config| config.checks_per_minute = 2).await;
    for _ in 0..2 {
        assert_eq!(dry_run(&app, None).await.status(), StatusCode::OK);
    }
    let refused = dry_run(&app, None).await;
    let wait: u64 = header(refused.headers(), "retry-after")
        .expect("a Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    // The submit form's Check waits in the same queue, under the same limit.
    let form = app
        .client
        .post(app.url("/submit"))
        .header("Accept", "text/html")
        .form(&[
            ("id", "acme/bundle"),
            (
                "definition",
                new_type("application/vnd.example.bundle.v1+json").as_str(),
            ),
            ("action", "check"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(form.headers(), "retry-after").is_some());
}

#[actix_web::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    // Not trusted: every request counts against the peer, whatever it claims.
    let app = TestApp::spawn_configured(|config| config.checks_per_minute = 1).await;
    assert_eq!(
        dry_run(&app, Some("198.51.100.1")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        dry_run(&app, Some("198.51.100.2")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Trusted: each forwarded client has its own limit.
    let app = TestApp::spawn_configured(|config| {
        config.checks_per_minute = 1;
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
    })
    .await;
    assert_eq!(
        dry_run(&app, Some("198.51.100.1")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        dry_run(&app, Some("198.51.100.2")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        dry_run(&app, Some("198.51.100.1")).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn api_page(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/api"))
        .header("Accept", "text/html")
        .header("Host", "attacker.example")
        .header("X-Forwarded-Host", "forwarded.attacker.example")
        .header("X-Forwarded-Proto", "gopher")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

#[actix_web::test]
async fn the_api_page_never_reflects_the_host_it_was_asked_for() {
    let app = TestApp::spawn().await;
    let page = api_page(&app).await;
    assert!(!page.contains("attacker.example"), "{page}");
    assert!(!page.contains("gopher"), "{page}");

    let app = TestApp::spawn_configured(|config| {
        config.public_url = Some("https://types.example.org".into());
    })
    .await;
    let page = api_page(&app).await;
    assert!(
        page.contains("TYPEHOUSE=https://types.example.org"),
        "{page}"
    );
    assert!(!page.contains("attacker.example"), "{page}");
}

async fn submit(app: &TestApp, id: &str, body: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/submissions?id={id}")))
        .header("Content-Type", "application/yaml")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn approve(app: &TestApp, id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/submissions/{id}/approve")))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_approval_is_checked_with_the_approved_submissions_not_yet_exported() {
    let app =
        TestApp::spawn_configured(|config| config.review_token = Some(format!("alice:{TOKEN}")))
            .await;
    // Each passes against the catalog alone; together they claim one artifact type.
    let shared = "application/vnd.example.shared.v1+json";
    let first = submit(&app, "acme/first", &new_type(shared)).await;
    let second = submit(&app, "acme/second", &new_type(shared)).await;
    assert_eq!(first["status"], "pending");
    assert_eq!(second["status"], "pending");
    let approved = approve(&app, first["id"].as_str().unwrap()).await;
    assert_eq!(approved.status(), StatusCode::OK);
    let refused = approve(&app, second["id"].as_str().unwrap()).await;
    let problem = assert_problem(refused, StatusCode::CONFLICT).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("identifying-unique"), "{detail}");
}
