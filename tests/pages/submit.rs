//! The submit form (`/submit`) and a submission's status page (`/submissions/{id}` for
//! browsers), both without script: form posts, a 303 to the status page, escaped content.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;

use crate::helpers::{BROWSER_ACCEPT, TestApp, assert_contains, assert_html, assert_lacks, header};

/// A new, valid type that the catalog does not have yet.
pub const NEW_TYPE: &str = r#"version: 1.0.0
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

/// Stores `definition` through the JSON API; returns the submission.
pub async fn store(app: &TestApp, id: &str, definition: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/submissions?id={id}")))
        .header(CONTENT_TYPE, "application/yaml")
        .body(definition.to_string())
        .send()
        .await
        .expect("the submission is answered");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("a JSON submission")
}

async fn post_form(app: &TestApp, id: &str, definition: &str, action: &str) -> reqwest::Response {
    app.client
        .post(app.url("/submit"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[("id", id), ("definition", definition), ("action", action)])
        .send()
        .await
        .expect("the form is answered")
}

#[tokio::test]
async fn the_submit_page_has_labelled_fields_and_is_in_the_navigation() {
    let app = TestApp::spawn();
    let html = app.page("/submit", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "<h1>Submit a type</h1>",
            "<form class=\"submit-form\" method=\"post\" action=\"./submit\">",
            "<label for=\"id\">Type id",
            "<input id=\"id\" name=\"id\"",
            "<label for=\"definition\">Definition (YAML)</label>",
            "<textarea id=\"definition\" name=\"definition\"",
            "<label for=\"definition-file\">Load a YAML file</label>",
            "<input id=\"definition-file\" type=\"file\"",
            "name=\"action\" value=\"check\">Check</button>",
            "name=\"action\" value=\"submit\">Submit</button>",
            "<a href=\"./submit\" aria-current=\"page\">Submit a type</a>",
        ],
    );
    // The file input needs script: without it, it stays hidden and the textarea does the work.
    assert_contains(&html, &["<div class=\"field\" data-file-field hidden>"]);
    let home = app.page("/", StatusCode::OK).await;
    assert_contains(&home, &["<a href=\"./submit\">Submit a type</a>"]);
}

#[tokio::test]
async fn checking_a_broken_definition_shows_its_diagnostics_and_stores_nothing() {
    let app = TestApp::spawn();
    let broken = "version: 1.0.0\nname: Broken\nartifactType: 42\n";
    let response = post_form(&app, "acme/broken", broken, "check").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_html(response.headers(), "POST /submit");
    let html = response.text().await.expect("a page");
    assert_contains(
        &html,
        &[
            "It does not pass the checks",
            "<span class=\"badge badge-deprecated\">invalid</span>",
            "<table class=\"diagnostics\">",
            "<th scope=\"col\">Rule</th><th scope=\"col\">Line</th><th scope=\"col\">Message</th>",
            "<td>error</td>",
            "value=\"acme/broken\"",
            "artifactType: 42\n</textarea>",
        ],
    );

    let response = post_form(&app, "acme/bundle", NEW_TYPE, "check").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("a page");
    assert_contains(
        &html,
        &[
            "It passes every check",
            "<span class=\"badge badge-draft\">pending</span>",
            "<code>types/acme/bundle/1.0.0.yaml</code>",
        ],
    );

    let response = post_form(&app, "not a type id", NEW_TYPE, "check").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_contains(
        &response.text().await.expect("a page"),
        &["role=\"alert\"", "The definition cannot be checked."],
    );

    let list: Value = app.get_api("/submissions").await.json().await.unwrap();
    assert_eq!(list["total"], 0, "{list}");
}

#[tokio::test]
async fn submitting_the_form_redirects_to_the_status_page_with_status_and_history() {
    let app = TestApp::spawn();
    let response = post_form(
        &app,
        "acme/bundle",
        &NEW_TYPE.replace('\n', "\r\n"),
        "submit",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = header(response.headers(), "location")
        .expect("a Location")
        .to_string();
    assert_eq!(location, "./submissions/s-000000000001");

    let html = app
        .page("/submissions/s-000000000001", StatusCode::OK)
        .await;
    assert_contains(
        &html,
        &[
            "<h1>Submission <code>s-000000000001</code></h1>",
            "<dt>Type</dt><dd><code>acme/bundle</code> version 1.0.0</dd>",
            "<span class=\"badge badge-draft\">pending</span>",
            "<code>types/acme/bundle/1.0.0.yaml</code>",
            "<h2 id=\"history-heading\">History</h2>",
            "</td><td>submitted</td>",
            "<pre><code>version: 1.0.0\nname: Example bundle",
            "href=\"../static/app",
        ],
    );
    // Only approved submissions link their file and patch.
    assert_lacks(&html, &["/file\"", "/patch\""]);

    // The same URL keeps answering JSON to API clients.
    let json: Value = app
        .get_api("/submissions/s-000000000001")
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(json["status"], "pending");
    assert_eq!(json["history"][0]["action"], "submitted");

    // The same content again leads to the same submission.
    let again = post_form(&app, "acme/bundle", NEW_TYPE, "submit").await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(again.headers(), "location"),
        Some("./submissions/s-000000000001")
    );
    let missing = app
        .page("/submissions/s-000000000099", StatusCode::NOT_FOUND)
        .await;
    assert_contains(&missing, &["no submission"]);
}

#[tokio::test]
async fn submitted_content_is_escaped_on_the_status_page() {
    let app = TestApp::spawn();
    let hostile = format!("{NEW_TYPE}description: \"</code></pre><script>alert(1)</script>\"\n");
    let submission = store(&app, "acme/bundle", &hostile).await;
    let id = submission["id"].as_str().expect("an id");
    let html = app
        .page(&format!("/submissions/{id}"), StatusCode::OK)
        .await;
    assert_lacks(
        &html,
        &["<script>alert(1)</script>", "</code></pre><script>"],
    );
    assert_contains(&html, &["&#60;script&#62;alert(1)&#60;/script&#62;"]);
}
