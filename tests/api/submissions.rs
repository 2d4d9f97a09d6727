//! `/submissions`: submit, deduplicate, review, and take the approved file to a pull request.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, header, shipped_types};

const TOKEN: &str = "s3cret-review-token";

/// A new, valid type that the catalog does not have yet.
const NEW_TYPE: &str = r#"version: 1.0.0
name: Example bundle
summary: A bundle used to test submissions
status: draft
artifactType: application/vnd.example.bundle.v1+json
layers:
  - mediaType: application/vnd.example.bundle.layer.v1.tar+gzip
    title: Bundle archive
    required: true
links:
  spec: https://example.com/spec
owners:
  - name: Example maintainers
    url: https://example.com
"#;

async fn reviewing_app() -> TestApp {
    TestApp::spawn_configured(|config| config.review_token = Some(format!("alice:{TOKEN}"))).await
}

async fn submit(app: &TestApp, id: &str, content_type: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/submissions?id={id}")))
        .header("Content-Type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("the request is sent")
}

async fn review(
    app: &TestApp,
    id: &str,
    action: &str,
    token: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/submissions/{id}/{action}")))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    request.send().await.expect("the request is sent")
}

#[actix_web::test]
async fn a_valid_definition_is_stored_as_pending_with_its_location_and_path() {
    let app = reviewing_app().await;
    let response = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header(response.headers(), "location")
        .expect("a Location")
        .to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending", "{body}");
    assert_eq!(body["path"], "acme/bundle/1.0.0.yaml");
    assert_eq!(body["typeId"], "acme/bundle");
    assert_eq!(
        location,
        format!("/submissions/{}", body["id"].as_str().unwrap())
    );
    let fetched = app.get_json(&location).await;
    assert_eq!(fetched["id"], body["id"]);
    assert_eq!(fetched["history"][0]["action"], "submitted");
}

#[actix_web::test]
async fn the_same_content_submitted_again_returns_the_existing_submission() {
    let app = reviewing_app().await;
    let first: Value = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE)
        .await
        .json()
        .await
        .unwrap();
    let again = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let list = app.get_json("/submissions").await;
    assert_eq!(list["total"], 1);
}

#[actix_web::test]
async fn the_id_may_come_as_a_top_level_field_of_a_json_body() {
    let app = reviewing_app().await;
    let mut document: Value = serde_yaml::from_str(NEW_TYPE).unwrap();
    document["id"] = Value::from("acme/bundle");
    let response = app
        .client
        .post(app.url("/submissions"))
        .json(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending", "{body}");
    assert_eq!(body["typeId"], "acme/bundle");
}

#[actix_web::test]
async fn a_definition_that_breaks_the_rules_is_stored_as_invalid_with_diagnostics() {
    let app = reviewing_app().await;
    // Claims Helm's identifying media type and links over plain http.
    let broken = NEW_TYPE
        .replace(
            "application/vnd.example.bundle.v1+json",
            "application/vnd.cncf.helm.config.v1+json",
        )
        .replace("https://example.com/spec", "http://example.com/spec");
    let response = submit(&app, "acme/bundle", "application/yaml", &broken).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "invalid");
    let rules: Vec<&str> = body["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect();
    assert!(rules.contains(&"identifying-unique"), "{rules:?}");
    assert!(rules.contains(&"link-https"), "{rules:?}");
}

#[actix_web::test]
async fn a_published_version_cannot_be_submitted_again() {
    let app = reviewing_app().await;
    let published =
        std::fs::read_to_string(shipped_types().join("cncf/helm-chart/1.0.0.yaml")).unwrap();
    let edited = published.replace(
        "A Kubernetes application",
        "A changed Kubernetes application",
    );
    let body: Value = submit(&app, "cncf/helm-chart", "application/yaml", &edited)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "invalid", "{body}");
}

#[actix_web::test]
async fn submissions_that_are_not_yaml_or_json_or_too_large_or_unnamed_are_refused() {
    let app = reviewing_app().await;
    assert_problem(
        submit(&app, "acme/bundle", "text/plain", NEW_TYPE).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let huge = format!("{NEW_TYPE}description: {}\n", "x".repeat(1024 * 1024));
    assert_problem(
        submit(&app, "acme/bundle", "application/yaml", &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let response = app
        .client
        .post(app.url("/submissions"))
        .header("Content-Type", "application/yaml")
        .body(NEW_TYPE)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_problem(
        submit(&app, "Not An Id", "application/yaml", NEW_TYPE).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_problem(
        submit(&app, "acme/bundle", "application/yaml", "").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[actix_web::test]
async fn review_needs_the_bearer_token() {
    let app = reviewing_app().await;
    let body: Value = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE)
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();
    for token in [None, Some("wrong"), Some("")] {
        let response = review(&app, id, "approve", token, "{}").await;
        assert_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let still: Value = app.get_json(&format!("/submissions/{id}")).await;
    assert_eq!(still["status"], "pending");
}

#[actix_web::test]
async fn review_is_disabled_and_says_so_when_no_token_is_configured() {
    let app = TestApp::spawn().await;
    let body: Value = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE)
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();
    let problem = assert_problem(
        review(&app, id, "approve", Some("anything"), "{}").await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("TYPEHOUSE_REVIEW_TOKEN")
    );
}

#[actix_web::test]
async fn an_approved_submission_records_who_and_yields_the_file_and_a_patch_git_applies() {
    let app = reviewing_app().await;
    let body: Value = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE)
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap().to_string();
    assert_problem(
        app.get(&format!("/submissions/{id}/file")).await,
        StatusCode::CONFLICT,
    )
    .await;

    let approved = review(
        &app,
        &id,
        "approve",
        Some(TOKEN),
        r#"{"reason": "looks right"}"#,
    )
    .await;
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    let last = approved["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "approved");
    assert_eq!(last["who"], "alice");
    assert_eq!(last["reason"], "looks right");
    assert!(
        !approved.to_string().contains(TOKEN),
        "the token never shows"
    );

    let file = app.get(&format!("/submissions/{id}/file")).await;
    assert_eq!(file.status(), StatusCode::OK);
    let file = file.text().await.unwrap();
    assert!(
        file.starts_with("# yaml-language-server: $schema=../../definition.schema.json\n"),
        "{file}"
    );
    let again = app
        .get(&format!("/submissions/{id}/file"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(file, again, "the file is byte-stable");

    let patch = app
        .get(&format!("/submissions/{id}/patch"))
        .await
        .text()
        .await
        .unwrap();
    let checkout = tempfile::TempDir::new().unwrap();
    copy_dir(&shipped_types(), &checkout.path().join("types"));
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(checkout.path())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(checkout.path().join("submission.patch"), &patch).unwrap();
    git(&["apply", "submission.patch"]);
    let applied =
        std::fs::read_to_string(checkout.path().join("types/acme/bundle/1.0.0.yaml")).unwrap();
    assert_eq!(applied, file);
    let diagnostics = typehouse::catalog::check::check(
        &typehouse::catalog::CatalogFiles::read_dir(&checkout.path().join("types")).unwrap(),
        None,
    );
    assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");

    let twice = review(
        &app,
        &id,
        "reject",
        Some(TOKEN),
        r#"{"reason": "changed my mind"}"#,
    )
    .await;
    assert_problem(twice, StatusCode::CONFLICT).await;
}

#[actix_web::test]
async fn a_rejection_needs_a_reason_and_is_recorded() {
    let app = reviewing_app().await;
    let body: Value = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE)
        .await
        .json()
        .await
        .unwrap();
    let id = body["id"].as_str().unwrap();
    assert_problem(
        review(&app, id, "reject", Some(TOKEN), "{}").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let rejected: Value = review(
        &app,
        id,
        "reject",
        Some(TOKEN),
        r#"{"reason": "duplicate of cncf/helm-chart"}"#,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        rejected["history"][1]["reason"],
        "duplicate of cncf/helm-chart"
    );
    assert_problem(
        app.get(&format!("/submissions/{id}/patch")).await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[actix_web::test]
async fn the_list_filters_by_status_and_pages_with_a_total() {
    let app = reviewing_app().await;
    for n in 0..3 {
        let body = NEW_TYPE.replace("bundle.v1+json", &format!("bundle{n}.v1+json"));
        submit(&app, &format!("acme/bundle-{n}"), "application/yaml", &body).await;
    }
    let invalid = NEW_TYPE.replace("https://example.com/spec", "http://example.com/spec");
    submit(&app, "acme/broken", "application/yaml", &invalid).await;

    let all = app.get_json("/submissions").await;
    assert_eq!(all["total"], 4);
    let pending = app
        .get_json("/submissions?status=pending&limit=2&offset=1")
        .await;
    assert_eq!(pending["total"], 3);
    let items = pending["submissions"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["typeId"], "acme/bundle-1", "submission order");
    let invalid = app.get_json("/submissions?status=invalid").await;
    assert_eq!(invalid["total"], 1);
    assert_problem(
        app.get("/submissions?status=lost").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[actix_web::test]
async fn unknown_submissions_are_not_found() {
    let app = reviewing_app().await;
    for path in [
        "/submissions/s-000000009999",
        "/submissions/nonsense",
        "/submissions/s-000000009999/file",
    ] {
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND).await;
    }
    assert_problem(
        review(&app, "s-000000009999", "approve", Some(TOKEN), "{}").await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[actix_web::test]
async fn past_the_pending_limit_new_submissions_get_429() {
    let app = TestApp::spawn_configured(|config| config.max_pending = 1).await;
    let first = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let other = NEW_TYPE.replace("bundle.v1+json", "other.v1+json");
    assert_problem(
        submit(&app, "acme/other", "application/yaml", &other).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    let duplicate = submit(&app, "acme/bundle", "application/yaml", NEW_TYPE).await;
    assert_eq!(
        duplicate.status(),
        StatusCode::OK,
        "a duplicate is answered, not refused"
    );
}

#[actix_web::test]
async fn a_client_sending_too_fast_is_rate_limited() {
    let app = TestApp::spawn_configured(|config| config.submissions_per_minute = 2).await;
    for n in 0..2 {
        let body = NEW_TYPE.replace("bundle.v1+json", &format!("b{n}.v1+json"));
        let response = submit(&app, &format!("acme/b-{n}"), "application/yaml", &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let body = NEW_TYPE.replace("bundle.v1+json", "b9.v1+json");
    assert_problem(
        submit(&app, "acme/b-9", "application/yaml", &body).await,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    assert_eq!(
        app.get("/submissions").await.status(),
        StatusCode::OK,
        "reads are not limited"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[actix_web::test]
async fn a_check_is_a_dry_run_that_stores_nothing() {
    let app = reviewing_app().await;
    let check = |id: &'static str, body: &'static str| {
        app.client
            .post(app.url(&format!("/submissions/check?id={id}")))
            .header("Content-Type", "application/yaml")
            .body(body)
            .send()
    };
    let response = check("acme/bundle", NEW_TYPE).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending", "{body}");
    assert_eq!(body["path"], "acme/bundle/1.0.0.yaml");
    assert_eq!(body["diagnostics"], Value::Array(vec![]));

    let response = check(
        "acme/broken",
        "version: 1.0.0\nname: Broken\nartifactType: 42\n",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "invalid", "{body}");
    let diagnostics = body["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty(), "{body}");
    assert!(
        diagnostics
            .iter()
            .all(|d| d["rule"].is_string() && d["message"].is_string()),
        "{body}"
    );

    let list = app.get_json("/submissions").await;
    assert_eq!(list["total"], 0, "{list}");
}
