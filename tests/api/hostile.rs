//! Hostile input: every malformed, oversized, malicious or unauthorized request gets a 4xx
//! with a problem document (or, for a submission, a stored diagnostic), never a 500 or a
//! panic, and the service answers the next request normally.
//!
//! Requests that HTTP clients refuse to send or would normalize (`..` segments, raw control
//! bytes, oversized headers) go over a raw TCP connection.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Served, TestApp, TestCatalog, assert_problem, client, eventually, header};

const TOKEN: &str = "hostile-suite-review-token";
const ONE_MIB: usize = 1024 * 1024;
/// Everything here should be instant; this only tells a slow answer from a hang.
const BOUND: Duration = Duration::from_secs(10);

/// A valid new type; tests change one part of it.
const DEFINITION: &str = r#"version: 1.0.0
name: Hostile widget
summary: A definition the hostile suite submits
status: draft
artifactType: application/vnd.acme.hostile.v1+json
layers:
  - mediaType: application/vnd.acme.hostile.layer.v1.tar
    title: Archive
links:
  spec: https://example.com/spec
owners:
  - name: Acme
    url: https://example.com
"#;

/// Script, markup and template syntax that must come back verbatim in JSON and escaped in HTML.
const PAYLOAD: &str = r#"<script>alert('th')</script><img src=x onerror=alert(1)>"'&{{7*7}}${7*7}"#;

/// Reviews enabled and no rate limit: these tests send many submissions from one address.
async fn hostile_app() -> TestApp {
    TestApp::spawn_configured(|config| {
        config.review_token = Some(format!("alice:{TOKEN}"));
        config.submissions_per_minute = 0;
    })
    .await
}

/// The service still answers a plain request after whatever came before.
async fn assert_still_serving(app: &TestApp) {
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK, "GET /healthz");
    let health: Value = response.json().await.expect("a JSON health document");
    assert_eq!(health["status"], "ok", "{health}");
}

/// A client error with a complete problem document; returns the problem.
async fn assert_refused(response: Response, context: &str) -> Value {
    let status = response.status();
    assert!(
        status.is_client_error(),
        "{context}: expected a 4xx, got {status}"
    );
    let content_type = header(response.headers(), CONTENT_TYPE.as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        content_type.starts_with("application/problem+json"),
        "{context}: content type `{content_type}`"
    );
    let problem: Value = response.json().await.expect("a JSON problem document");
    assert_complete_problem(&problem, status.as_u16(), context);
    problem
}

/// A problem document with `status` and every text field a client reads.
fn assert_complete_problem(problem: &Value, status: u16, context: &str) {
    assert_eq!(problem["status"], status, "{context}: {problem}");
    for field in ["type", "title", "detail"] {
        assert!(
            problem[field].as_str().is_some_and(|text| !text.is_empty()),
            "{context}: `{field}` is missing in {problem}"
        );
    }
}

async fn submit(
    app: &TestApp,
    id: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Response {
    let path = match id {
        Some(id) => format!("/submissions?id={id}"),
        None => "/submissions".to_string(),
    };
    let mut request = app.request(Method::POST, &path).body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.expect("the submission is answered")
}

/// A submission that was stored as invalid, with diagnostics that say why; it reads back, and
/// so does the list that holds it. Returns the submission.
async fn assert_invalid_submission(app: &TestApp, response: Response, context: &str) -> Value {
    let status = response.status();
    assert!(
        status == StatusCode::CREATED || status == StatusCode::OK,
        "{context}: expected a stored submission, got {status}: {}",
        response.text().await.unwrap_or_default()
    );
    let submission: Value = response.json().await.expect("a JSON submission");
    assert_eq!(submission["status"], "invalid", "{context}: {submission}");
    let diagnostics = submission["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diagnostics
            .iter()
            .any(|d| d["severity"] == "error"
                && d["message"].as_str().is_some_and(|m| !m.is_empty())),
        "{context}: no error diagnostic in {submission}"
    );
    assert_reads_back(app, &submission, context).await;
    submission
}

/// `GET /submissions/{id}` and `GET /submissions` both answer 200 with the submission.
async fn assert_reads_back(app: &TestApp, submission: &Value, context: &str) {
    let id = submission["id"].as_str().expect("an id");
    let response = app.get(&format!("/submissions/{id}")).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{context}: GET /submissions/{id}: {}",
        response.text().await.unwrap_or_default()
    );
    let response = app.get("/submissions?limit=500").await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{context}: GET /submissions: {}",
        response.text().await.unwrap_or_default()
    );
    let list: Value = response.json().await.expect("a JSON list");
    assert!(
        list["submissions"]
            .as_array()
            .expect("submissions")
            .iter()
            .any(|s| s["id"] == id),
        "{context}: {id} is not listed"
    );
}

fn error_messages(submission: &Value) -> String {
    submission["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{}: {}", d["rule"], d["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An answer read off a raw connection: the status (when one came) and everything sent.
struct RawAnswer {
    status: Option<u16>,
    text: String,
}

/// Sends `request` as bytes and reads until the server closes (requests say
/// `Connection: close`) or [`BOUND`] passes. Write errors are ignored: a server may answer
/// and close before it has read everything.
async fn raw(app_address: &str, request: &[u8]) -> RawAnswer {
    let address = app_address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("a connection");
    let _ = stream.write_all(request).await;
    let _ = stream.flush().await;
    let mut received = Vec::new();
    let _ = tokio::time::timeout(BOUND, async {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    RawAnswer { status, text }
}

fn raw_get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

/// Nothing from the machine's files comes back.
fn assert_no_file_contents(text: &str, context: &str) {
    for secret in ["root:x:0:0", "[package]", "fn main", "typehouse-store.json"] {
        assert!(
            !text.contains(secret),
            "{context}: the answer holds `{secret}`"
        );
    }
}

// --- request bodies ---------------------------------------------------------------------

#[actix_web::test]
async fn bodies_over_the_limit_are_413_problems_on_every_endpoint_that_reads_one() {
    let app = hostile_app().await;
    let body = format!("{{\"reason\": \"{}\"}}", "x".repeat(ONE_MIB));
    for path in [
        "/submissions?id=acme/hostile",
        "/classify",
        "/types/cncf/helm-chart/validate",
        "/submissions/s-000000000001/approve",
        "/submissions/s-000000000001/reject",
    ] {
        // The answer comes from the declared length, before the body is read, and the
        // connection is closed after it; an HTTP client still writing the body then fails
        // on the write, so the request goes as bytes and the answer is read whatever the
        // write met.
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             Authorization: Bearer {TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        let answer = raw(&app.address, &request).await;
        assert_eq!(answer.status, Some(413), "POST {path}: {}", answer.text);
        let (head, document) = answer
            .text
            .split_once("\r\n\r\n")
            .expect("a head and a body");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "POST {path}: {head}"
        );
        let problem: Value = serde_json::from_str(document).expect("a JSON problem document");
        assert_complete_problem(&problem, 413, &format!("POST {path}"));
        assert_still_serving(&app).await;
    }
}

#[actix_web::test]
async fn a_chunked_body_over_the_limit_is_a_413_without_a_content_length() {
    let app = hostile_app().await;
    let mut request = b"POST /submissions?id=acme/hostile HTTP/1.1\r\nHost: localhost\r\n\
        Content-Type: application/yaml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        .to_vec();
    let chunk = "a".repeat(64 * 1024);
    for _ in 0..20 {
        request.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = raw(&app.address, &request).await;
    assert_eq!(answer.status, Some(413), "{}", answer.text);
    assert!(
        answer.text.contains("application/problem+json"),
        "{}",
        answer.text
    );
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn invalid_utf8_bodies_are_400_problems() {
    let app = hostile_app().await;
    let bytes: Vec<u8> = [
        b"version: 1.0.0\nname: ".as_slice(),
        &[0xff, 0xfe, 0xc0, 0xaf],
        b"\n",
    ]
    .concat();
    for content_type in ["application/yaml", "application/json"] {
        let response = submit(
            &app,
            Some("acme/hostile"),
            Some(content_type),
            bytes.clone(),
        )
        .await;
        assert_refused(response, &format!("submission as {content_type}")).await;
        // Without `?id=` the body is read for an `id` field first.
        let response = submit(&app, None, Some(content_type), bytes.clone()).await;
        assert_refused(response, &format!("unnamed submission as {content_type}")).await;
    }
    for path in ["/classify", "/types/cncf/helm-chart/validate"] {
        let response = app
            .request(Method::POST, path)
            .header(CONTENT_TYPE, "application/json")
            .body(vec![b'"', 0xff, 0xfe, b'"'])
            .send()
            .await
            .unwrap();
        assert_refused(response, path).await;
    }
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn wrong_and_missing_content_types_are_415_problems() {
    let app = hostile_app().await;
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/octet-stream"),
        Some(""),
        Some("yaml"),
    ] {
        let response = submit(&app, Some("acme/hostile"), content_type, DEFINITION).await;
        let problem = assert_refused(response, &format!("submission as {content_type:?}")).await;
        assert_eq!(problem["status"], 415, "{content_type:?}: {problem}");
    }
    for path in ["/classify", "/types/cncf/helm-chart/validate"] {
        for content_type in ["text/plain", "application/yaml", "image/png"] {
            let response = app
                .request(Method::POST, path)
                .header(CONTENT_TYPE, content_type)
                .body("{}")
                .send()
                .await
                .unwrap();
            let problem = assert_refused(response, &format!("{path} as {content_type}")).await;
            assert_eq!(problem["status"], 415, "{path} {content_type}: {problem}");
        }
    }
    // A YAML body sent as JSON is read as JSON, and is not JSON: a stored diagnostic.
    let response = submit(
        &app,
        Some("acme/hostile"),
        Some("application/json"),
        DEFINITION,
    )
    .await;
    let submission = assert_invalid_submission(&app, response, "YAML sent as JSON").await;
    assert!(error_messages(&submission).contains("JSON"), "{submission}");
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn a_content_type_header_of_raw_bytes_is_a_415_problem() {
    let app = hostile_app().await;
    let body = DEFINITION.as_bytes();
    let mut request = format!(
        "POST /submissions?id=acme/hostile HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\nContent-Type: application/",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&[0xff, 0xfe, 0x80]);
    request.extend_from_slice(b"yaml\r\n\r\n");
    request.extend_from_slice(body);
    let answer = raw(&app.address, &request).await;
    let status = answer.status.expect("an answer");
    assert!((400..500).contains(&status), "{}", answer.text);
    assert_still_serving(&app).await;
}

// --- nesting, aliases, duplicates, sizes ------------------------------------------------

#[actix_web::test]
async fn deeply_nested_json_submissions_are_diagnosed_and_read_back_at_every_depth() {
    let app = hostile_app().await;
    for depth in [10, 60, 100, 120, 125, 126, 127, 128, 129, 200, 100_000] {
        // Nested inside a field of an otherwise valid definition, and as the whole body.
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let definition = json!({"version": "1.0.0", "name": "Deep", "x": "PLACEHOLDER"})
            .to_string()
            .replace("\"PLACEHOLDER\"", &nested);
        for (what, body) in [("field", definition), ("body", nested)] {
            let started = Instant::now();
            let response = submit(&app, Some("acme/deep"), Some("application/json"), body).await;
            let context = format!("JSON nested {depth} deep as the {what}");
            assert_invalid_submission(&app, response, &context).await;
            assert!(
                started.elapsed() < BOUND,
                "{context}: {:?}",
                started.elapsed()
            );
        }
    }
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn deeply_nested_yaml_submissions_are_diagnosed_and_read_back_at_every_depth() {
    let app = hostile_app().await;
    for depth in [10, 60, 100, 120, 126, 127, 128, 129, 200, 50_000] {
        let flow = format!(
            "{DEFINITION}x: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let mut block = format!("{DEFINITION}y:\n");
        for level in 0..depth.min(500) {
            block.push_str(&" ".repeat(2 * (level + 1)));
            block.push_str("k:\n");
        }
        let mut sequences = format!("{DEFINITION}z:\n");
        sequences.push_str(&"- ".repeat(depth.min(20_000)));
        sequences.push_str("x\n");
        for (what, body) in [
            ("flow", flow),
            ("block mappings", block),
            ("block sequences", sequences),
        ] {
            let started = Instant::now();
            let response = submit(&app, Some("acme/deep"), Some("application/yaml"), body).await;
            let context = format!("YAML {what} nested {depth} deep");
            assert_invalid_submission(&app, response, &context).await;
            assert!(
                started.elapsed() < BOUND,
                "{context}: {:?}",
                started.elapsed()
            );
        }
    }
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn deeply_nested_manifests_and_config_documents_are_400_problems() {
    let app = hostile_app().await;
    for depth in [200, 100_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        for path in ["/classify", "/types/cncf/helm-chart/validate"] {
            let response = app
                .request(Method::POST, path)
                .header(CONTENT_TYPE, "application/json")
                .body(nested.clone())
                .send()
                .await
                .unwrap();
            assert_refused(response, &format!("{path}, {depth} deep")).await;
        }
    }
    // Deep, but within the parser's limit: an answer, not an error.
    let nested = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
    let response = app
        .request(Method::POST, "/types/cncf/helm-chart/validate")
        .header(CONTENT_TYPE, "application/json")
        .body(nested)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["valid"], false, "{answer}");
    assert_still_serving(&app).await;
}

/// "Billion laughs": nine levels of nine aliases each expand to 9^9 nodes.
fn alias_bomb() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (previous, name) = (pair[0], pair[1]);
        let refs = vec![format!("*{previous}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    text
}

#[actix_web::test]
async fn yaml_alias_bombs_are_diagnosed_in_bounded_time() {
    let app = hostile_app().await;
    let bomb = alias_bomb();
    let cases = [
        ("the whole body", bomb.clone()),
        ("a field of a definition", format!("{DEFINITION}{}", bomb.replace("a: &a", "x: &a"))),
        (
            "a config example",
            DEFINITION.replace(
                "layers:",
                &format!(
                    "config:\n  mediaType: application/vnd.acme.hostile.config.v1+json\n  schema: {{type: object}}\n  examples:\n    - {{}}\nbomb:\n{}layers:",
                    bomb.lines().map(|l| format!("  {l}\n")).collect::<String>()
                ),
            ),
        ),
    ];
    for (what, body) in cases {
        let started = Instant::now();
        let response = submit(
            &app,
            Some("acme/bomb"),
            Some("application/yaml"),
            body.clone(),
        )
        .await;
        let submission = assert_invalid_submission(&app, response, what).await;
        assert!(started.elapsed() < BOUND, "{what}: {:?}", started.elapsed());
        assert!(
            error_messages(&submission).contains("alias"),
            "{what}: {}",
            error_messages(&submission)
        );
        // Unnamed, the body is parsed for an `id` first: refused, not expanded.
        let started = Instant::now();
        let response = submit(&app, None, Some("application/yaml"), body).await;
        assert_refused(response, &format!("{what}, unnamed")).await;
        assert!(started.elapsed() < BOUND);
    }
    // A merge key bomb and an alias to itself.
    let merges = "a: &a {x: 1, y: 2}\nb: &b {<<: [*a, *a, *a, *a]}\nc: &c {<<: [*b, *b, *b, *b]}\n";
    let cyclic = "a: &a [*a]\n";
    for (what, text) in [("merge keys", merges), ("a self alias", cyclic)] {
        let response = submit(
            &app,
            Some("acme/bomb"),
            Some("application/yaml"),
            format!("{DEFINITION}{text}"),
        )
        .await;
        assert_invalid_submission(&app, response, what).await;
    }
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn duplicate_keys_are_diagnosed_in_yaml_and_in_json() {
    let app = hostile_app().await;
    let yaml = DEFINITION.replace("status: draft\n", "status: draft\nversion: 9.9.9\n");
    let response = submit(&app, Some("acme/dupes"), Some("application/yaml"), yaml).await;
    let submission = assert_invalid_submission(&app, response, "YAML").await;
    assert!(
        error_messages(&submission).contains("duplicate key `version`"),
        "{submission}"
    );

    let nested = DEFINITION.replace(
        "    title: Archive\n",
        "    title: Archive\n    title: Other\n",
    );
    let response = submit(&app, Some("acme/dupes"), Some("application/yaml"), nested).await;
    let submission = assert_invalid_submission(&app, response, "nested YAML").await;
    assert!(
        error_messages(&submission).contains("duplicate key `title`"),
        "{submission}"
    );

    // JSON says one thing first and another last; a reviewer reading the text sees the first.
    let json = r#"{"version": "1.0.0", "name": "Dupes", "summary": "Duplicate keys", "status": "draft",
        "artifactType": "application/vnd.acme.dupes.v1+json",
        "links": {"spec": "https://example.com/spec"},
        "owners": [{"name": "Acme", "url": "https://example.com"}],
        "artifactType": "application/vnd.oci.image.config.v1+json"}"#;
    let response = submit(&app, Some("acme/dupes"), Some("application/json"), json).await;
    let submission = assert_invalid_submission(&app, response, "JSON").await;
    assert!(
        error_messages(&submission).contains("duplicate key `artifactType`"),
        "{submission}"
    );
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn huge_strings_and_arrays_are_answered_without_harm() {
    let app = hostile_app().await;
    let room = ONE_MIB - DEFINITION.len() - 64;
    let long_name = DEFINITION.replace(
        "name: Hostile widget",
        &format!("name: {}", "n".repeat(room)),
    );
    let many_tags = format!(
        "{DEFINITION}tags: [{}]\n",
        vec!["t"; room / 2 - 8].join(",")
    );
    let many_bad_tags = format!(
        "{DEFINITION}tags: [{}]\n",
        vec!["T"; room / 2 - 8].join(",")
    );
    let many_layers = format!(
        "{DEFINITION}extra:\n{}",
        "  - {mediaType: a/b, title: t}\n".repeat(room / 32)
    );
    for (what, body) in [
        ("a long name", long_name),
        ("many tags", many_tags),
        ("many invalid tags", many_bad_tags),
        ("many list items", many_layers),
    ] {
        assert!(body.len() <= ONE_MIB, "{what}: {}", body.len());
        let started = Instant::now();
        let response = submit(&app, Some("acme/huge"), Some("application/yaml"), body).await;
        let submission = assert_invalid_submission(&app, response, what).await;
        assert!(started.elapsed() < BOUND, "{what}: {:?}", started.elapsed());
        // The answer (and the stored record) is not much larger than what was sent.
        let stored = submission.to_string().len();
        assert!(stored < 6 * ONE_MIB, "{what}: a {stored}-byte answer");
    }

    let layers: Vec<Value> = (0..8_000)
        .map(|n| json!({"mediaType": format!("application/vnd.acme.layer{n}"), "digest": "sha256:0", "size": 1}))
        .collect();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:0", "size": 1},
        "layers": layers,
        "annotations": {"x": "y".repeat(200_000)},
    });
    let response = app.post_json("/classify", &manifest).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["type"]["id"], "cncf/helm-chart",
        "{}",
        answer["type"]
    );
    let response = app
        .post_json(
            "/types/cncf/helm-chart/validate",
            &json!({"name": "n".repeat(ONE_MIB - 100)}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert!(
        answer.to_string().len() < 64 * 1024,
        "the answer quotes the whole document"
    );
    assert_still_serving(&app).await;
}

// --- path parameters --------------------------------------------------------------------

/// Every route with a parameter, with a placeholder for it.
const PARAMETER_ROUTES: [&str; 12] = [
    "/types/@",
    "/types/@/versions",
    "/types/@/schema",
    "/media-types/@",
    "/submissions/@",
    "/submissions/@/file",
    "/submissions/@/patch",
    "/static/@",
    "/types/application/@",
    "/media-types/application/@",
    "/types/cncf/@",
    "/types/@/1.0.0.json",
];

#[actix_web::test]
async fn hostile_path_parameters_are_4xx_problems_on_every_route() {
    let app = hostile_app().await;
    let long = "a".repeat(10_000);
    let values = [
        "vnd.a%00b".to_string(),
        "vnd.a%01b".to_string(),
        "vnd.a%09b".to_string(),
        "vnd.a%7fb".to_string(),
        "vnd.a%0d%0aSet-Cookie:%20stolen=1".to_string(),
        "vnd.%E2%80%AEevil".to_string(),
        long.clone(),
        format!("{long}/{long}"),
        format!("application%2F{long}"),
        format!("{long}%2Fjson"),
        "%FF%FE".to_string(),
        "%C0%AE%C0%AE%2F".to_string(),
        "a%2Fb%2Fc%2Fd%2Fe".to_string(),
        "%2F%2F%2F".to_string(),
        "%252e%252e%252fCargo.toml".to_string(),
        "application%2Fvnd.acme.nothing.v1%2Bjson%3Bcharset%3Dutf-8%3Bx%3D%22%5C".to_string(),
        "<script>alert(1)</script>".to_string(),
        "s-000000000001%20".to_string(),
        "s-%2B00000000001".to_string(),
        "s-99999999999999999999999".to_string(),
    ];
    for route in PARAMETER_ROUTES {
        for value in &values {
            let path = route.replace('@', value);
            let response = app.get(&path).await;
            let shown: String = path.chars().take(120).collect();
            assert!(
                response.headers().get("set-cookie").is_none(),
                "GET {shown}: a header was injected"
            );
            let problem = assert_refused(response, &format!("GET {shown}")).await;
            assert_no_file_contents(&problem.to_string(), &shown);
        }
        assert_still_serving(&app).await;
    }
}

#[actix_web::test]
async fn path_traversal_reaches_no_file_on_any_route() {
    let app = hostile_app().await;
    let traversals = [
        "../../../../../../etc/passwd",
        "../../Cargo.toml",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "%2e%2e%2f%2e%2e%2fCargo.toml",
        "%2E%2E%2F%2E%2E%2Fsrc%2Fmain.rs",
        "..%5c..%5cCargo.toml",
        "....//....//etc/passwd",
        "%252e%252e%252f%252e%252e%252fCargo.toml",
        "./././../Cargo.toml",
        "cncf/helm-chart/../../../Cargo.toml",
        "cncf/helm-chart/%2e%2e/%2e%2e/%2e%2e/Cargo.toml",
        "cncf%2F..%2F..%2FCargo.toml",
        "..;/..;/Cargo.toml",
    ];
    let prefixes = ["/types/", "/media-types/", "/submissions/", "/static/", "/"];
    for prefix in prefixes {
        for traversal in traversals {
            for suffix in ["", "/versions", "/schema", "/file"] {
                let path = format!("{prefix}{traversal}{suffix}");
                let answer = raw(&app.address, &raw_get(&path)).await;
                let status = answer
                    .status
                    .unwrap_or_else(|| panic!("GET {path}: no answer"));
                assert!(
                    (400..500).contains(&status),
                    "GET {path}: status {status}\n{}",
                    answer.text
                );
                assert_no_file_contents(&answer.text, &path);
            }
        }
        assert_still_serving(&app).await;
    }
}

#[actix_web::test]
async fn an_encoded_slash_in_a_media_type_still_finds_it() {
    let app = hostile_app().await;
    let response = app
        .get("/media-types/application%2Fvnd.cncf.helm.config.v1%2Bjson")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .get("/types/application%2Fvnd.cncf.helm.config.v1%2Bjson")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn raw_control_bytes_in_the_request_line_are_refused_and_the_service_keeps_serving() {
    let app = hostile_app().await;
    for path in [
        &b"/types/a\x01b"[..],
        b"/types/a\x00b",
        b"/media-types/application/vnd.\x7f",
        b"/submissions/s-0\x1b[31m",
        b"/types/a b c",
        b"/types/\xff\xfe",
    ] {
        let mut request = b"GET ".to_vec();
        request.extend_from_slice(path);
        request.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let answer = raw(&app.address, &request).await;
        let shown = String::from_utf8_lossy(path);
        match answer.status {
            Some(status) => assert!((400..500).contains(&status), "{shown}: {}", answer.text),
            // The parser may close a connection it cannot read without an answer.
            None => assert!(answer.text.is_empty(), "{shown}: {}", answer.text),
        }
        assert_still_serving(&app).await;
    }
}

#[actix_web::test]
async fn hostile_query_parameters_are_answered_without_harm() {
    let app = hostile_app().await;
    let long = "x".repeat(10_000);
    let version_requirement = vec![">=1.0.0"; 2_000].join(",");
    for path in [
        format!("/types?q={long}"),
        "/types?q=%00%01%0d%0a".to_string(),
        "/types?limit=99999999999999999999999".to_string(),
        "/types?limit=-1".to_string(),
        "/types?offset=18446744073709551615".to_string(),
        format!("/types/cncf/helm-chart?version={long}"),
        format!("/types/cncf/helm-chart?version={version_requirement}"),
        "/types/cncf/helm-chart?version=%FF".to_string(),
        "/types/cncf/helm-chart?version=%3E%3D%3D1".to_string(),
        "/submissions?status=%00".to_string(),
        format!("/submissions?status={long}"),
        "/submissions?limit=0".to_string(),
        "/submissions?offset=99999999999999999999999".to_string(),
        "/types?%zz=1".to_string(),
    ] {
        let response = app.get(&path).await;
        let status = response.status();
        let shown: String = path.chars().take(100).collect();
        if status.is_success() {
            let _: Value = response
                .json()
                .await
                .unwrap_or_else(|_| panic!("{shown}: JSON"));
        } else {
            assert_refused(response, &shown).await;
        }
    }
    for query in [
        format!("registry={long}&repository={long}&tag={long}"),
        "registry=a%0d%0aSet-Cookie:%20x&tag=%00".to_string(),
        "digest=sha256:%3Cscript%3E".to_string(),
    ] {
        let response = app
            .request(Method::POST, &format!("/classify?{query}"))
            .json(&json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:0", "size": 1},
                "layers": [],
            }))
            .send()
            .await
            .unwrap();
        // Values outside the OCI distribution grammar are refused, naming the field.
        assert!(response.headers().get("set-cookie").is_none());
        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("grammar"),
            "{}: {problem}",
            &query[..query.len().min(80)]
        );
    }
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn hostile_media_types_in_manifests_are_answered_without_harm() {
    let app = hostile_app().await;
    let long = format!("application/{}", "a".repeat(10_000));
    for media_type in [
        "application/vnd.cncf.helm.config.v1+json\u{0}".to_string(),
        "application/vnd.cncf.helm.config.v1+json\r\nX: y".to_string(),
        "\u{202e}application/json".to_string(),
        long.clone(),
        format!("{long}/{long}"),
        "application/vnd.cncf.helm.config.v1+json; charset=utf-8; a=\"\\".to_string(),
        "/".to_string(),
        String::new(),
        "APPLICATION/VND.CNCF.HELM.CONFIG.V1+JSON".to_string(),
    ] {
        for manifest in [
            json!({"schemaVersion": 2, "mediaType": media_type, "config": {"mediaType": media_type, "digest": "sha256:0", "size": 1}, "layers": [{"mediaType": media_type}]}),
            json!({"schemaVersion": 2, "artifactType": media_type, "config": {"mediaType": "application/vnd.oci.empty.v1+json"}, "layers": []}),
            json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [{"mediaType": media_type}], "annotations": {"org.opencontainers.artifactType": media_type}}),
        ] {
            let response = app.post_json("/classify", &manifest).await;
            let status = response.status();
            if status != StatusCode::OK {
                assert_refused(response, &format!("classify {media_type:.60}")).await;
            }
        }
    }
    assert_still_serving(&app).await;
}

// --- headers ----------------------------------------------------------------------------

#[actix_web::test]
async fn headers_too_large_are_refused_and_the_service_keeps_serving() {
    let app = hostile_app().await;
    let big = "h".repeat(128 * 1024);
    let many: String = (0..500).map(|n| format!("X-Header-{n}: {n}\r\n")).collect();
    for (what, headers) in [
        ("one huge header", format!("X-Big: {big}\r\n")),
        ("a huge cookie", format!("Cookie: a={big}\r\n")),
        ("many headers", many),
        (
            "a huge Authorization",
            format!("Authorization: Bearer {big}\r\n"),
        ),
    ] {
        let request = format!(
            "GET /types/cncf/helm-chart HTTP/1.1\r\nHost: localhost\r\n{headers}Connection: close\r\n\r\n"
        );
        let answer = raw(&app.address, request.as_bytes()).await;
        match answer.status {
            Some(status) => assert!((400..500).contains(&status), "{what}: {}", answer.text),
            None => assert!(answer.text.is_empty(), "{what}: {}", answer.text),
        }
        assert_still_serving(&app).await;
    }
    // Just under the limits: an ordinary answer.
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "h".repeat(4 * 1024)
    );
    assert_eq!(
        raw(&app.address, request.as_bytes()).await.status,
        Some(200)
    );
}

#[actix_web::test]
async fn hostile_accept_and_conditional_headers_are_answered_without_harm() {
    let app = hostile_app().await;
    let long = "text/html;q=0.9,".repeat(2_000);
    for (name, value) in [
        ("Accept", long.as_str()),
        ("Accept", "text/html;q=NaN, application/json;q=inf"),
        ("Accept", "*/*;q=-1"),
        ("Accept", ";;;,,,/"),
        ("Accept-Encoding", "gzip;q=NaN, br, *;q=1e999"),
        ("If-None-Match", "\"\", W/, *, \"x"),
        ("If-None-Match", &"\"a\",".repeat(2_000)),
        ("Range", "bytes=0-1,2-3"),
    ] {
        for path in [
            "/types/cncf/helm-chart",
            "/index.json",
            "/types?q=helm",
            "/nope",
        ] {
            let response = app
                .request(Method::GET, path)
                .header(name, value)
                .send()
                .await
                .unwrap();
            assert!(
                !response.status().is_server_error(),
                "{name} on {path}: {}",
                response.status()
            );
        }
    }
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn a_405_names_the_methods_the_resource_takes() {
    let app = hostile_app().await;
    let read = "GET, HEAD, OPTIONS";
    let write = "POST, OPTIONS";
    for (method, path, allow) in [
        (Method::DELETE, "/types/cncf/helm-chart", read),
        (Method::POST, "/types/cncf/helm-chart", read),
        (Method::GET, "/types/cncf/helm-chart/validate", write),
        (Method::TRACE, "/healthz", read),
        (Method::PUT, "/index.json", read),
        (Method::PUT, "/submissions", "GET, HEAD, POST, OPTIONS"),
        (Method::GET, "/submissions/s-000000000001/approve", write),
        (Method::DELETE, "/submissions/s-000000000001", read),
        (Method::PATCH, "/classify", "GET, HEAD, POST, OPTIONS"),
        (Method::GET, "/classify", "GET, HEAD, POST, OPTIONS"),
    ] {
        let response = app.request(method.clone(), path).send().await.unwrap();
        let context = format!("{method} {path}");
        assert_eq!(
            header(response.headers(), "allow"),
            Some(allow),
            "{context}"
        );
        let problem = assert_refused(response, &context).await;
        assert_eq!(problem["status"], 405, "{context}");
    }
}

// --- config schemas in submissions ------------------------------------------------------

/// A definition whose config has `schema` and `example`.
fn with_config(schema: &Value, example: &Value) -> String {
    let mut definition: Value = serde_yaml::from_str(DEFINITION).unwrap();
    definition["config"] = json!({
        "mediaType": "application/vnd.acme.hostile.config.v1+json",
        "schema": schema,
        "examples": [example],
    });
    definition.to_string()
}

async fn submit_config(app: &TestApp, schema: &Value, example: &Value) -> (Response, Duration) {
    let started = Instant::now();
    let response = submit(
        app,
        Some("acme/schema"),
        Some("application/json"),
        with_config(schema, example),
    )
    .await;
    (response, started.elapsed())
}

#[actix_web::test]
async fn external_schema_references_are_never_fetched() {
    let app = hostile_app().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let file = TempDir::new().unwrap();
    let local = file.path().join("object.schema.json");
    std::fs::write(&local, r#"{"type": "object"}"#).unwrap();
    let file_uri = format!("file://{}", local.display());
    let remote = format!("http://127.0.0.1:{port}/object.schema.json");

    let schemas = [
        json!({"$ref": remote}),
        json!({"$ref": format!("https://127.0.0.1:{port}/object.schema.json")}),
        json!({"$ref": file_uri}),
        json!({"$ref": "file:///etc/passwd"}),
        json!({"$ref": "/etc/passwd"}),
        json!({"$ref": "../../../../etc/passwd"}),
        json!({"$ref": "typehouse:///types/cncf/helm-chart/chart-metadata.schema.json"}),
        json!({"type": "object", "properties": {"a": {"$ref": remote}}}),
        json!({"$dynamicRef": remote}),
        json!({"$schema": remote, "type": "object"}),
        json!({"$id": format!("http://127.0.0.1:{port}/"), "$ref": "object.schema.json"}),
        json!({"$defs": {"x": {"$id": format!("http://127.0.0.1:{port}/x"), "$ref": "y.json"}}, "$ref": "#/$defs/x"}),
        json!({"allOf": [{"$ref": remote}], "anyOf": [{"$ref": file_uri}]}),
    ];
    for schema in &schemas {
        let (response, elapsed) = submit_config(&app, schema, &json!({})).await;
        let context = format!("schema {schema}");
        assert!(elapsed < BOUND, "{context}: {elapsed:?}");
        let status = response.status();
        assert!(status.is_success(), "{context}: {status}");
        let submission: Value = response.json().await.unwrap();
        assert_reads_back(&app, &submission, &context).await;
        // A `$ref` that leaves the document is a problem; a `$schema` naming an unknown
        // meta-schema may be one too, or be ignored, but is never fetched either.
        if schema.get("$schema").is_none() {
            assert_eq!(submission["status"], "invalid", "{context}");
            let messages = error_messages(&submission);
            assert!(messages.contains("config"), "{context}: {messages}");
        }
    }
    assert_still_serving(&app).await;
    match listener.accept() {
        Err(error) if error.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the server connected to the listener from {from}"),
        Err(error) => panic!("accept failed: {error}"),
    }
}

#[actix_web::test]
async fn catastrophic_patterns_run_in_bounded_time() {
    let app = hostile_app().await;
    let evil = format!("{}!", "a".repeat(100_000));
    let cases = [
        (json!({"type": "string", "pattern": "^(a+)+$"}), json!(evil)),
        (
            json!({"type": "string", "pattern": "^(a|a)*$"}),
            json!(evil),
        ),
        (
            json!({"type": "string", "pattern": "^(a|aa)+$"}),
            json!(evil),
        ),
        (
            json!({"type": "string", "pattern": "^(.*a){20}$"}),
            json!(evil),
        ),
        (
            json!({"type": "object", "patternProperties": {"^(a+)+$": {"type": "string"}}, "additionalProperties": false}),
            json!({evil.clone(): 1}),
        ),
        (
            json!({"type": "object", "propertyNames": {"pattern": "^(a+)+$"}}),
            json!({evil.clone(): 1}),
        ),
        // Backreferences and look-around are not in the linear engine: a compile error.
        (
            json!({"type": "string", "pattern": "^(a+)\\1$"}),
            json!("aa"),
        ),
        (json!({"type": "string", "pattern": "^(?=a)a$"}), json!("a")),
        // A pattern whose compiled program is too large.
        (
            json!({"type": "string", "pattern": "((a{100}){100}){100}"}),
            json!("a"),
        ),
        (
            json!({"type": "string", "pattern": "[[[[[[[[[[[[[[[[[[[["}),
            json!("a"),
        ),
    ];
    for (schema, example) in cases {
        let (response, elapsed) = submit_config(&app, &schema, &example).await;
        let context = format!("schema {schema}");
        assert!(elapsed < BOUND, "{context}: took {elapsed:?}");
        assert_invalid_submission(&app, response, &context).await;
    }
    // The same patterns in a catalog schema, run by `validate` against long input.
    let started = Instant::now();
    let response = app
        .post_json(
            "/types/cncf/helm-chart/validate",
            &json!({"name": evil, "version": evil}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() < BOUND);
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn recursive_schema_references_are_detected_not_followed_forever() {
    let app = hostile_app().await;
    let deep_example = (0..40).fold(json!({}), |inner, _| json!({"a": inner}));
    let cases = [
        json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
        json!({"$ref": "#"}),
        json!({"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
        json!({"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}}, "properties": {"x": {"$ref": "#/$defs/a"}}}),
        json!({"$id": "https://example.com/s", "$ref": "https://example.com/s"}),
        json!({"$anchor": "top", "$ref": "#top"}),
        json!({"$dynamicAnchor": "n", "$dynamicRef": "#n"}),
        json!({"$ref": "#/$defs/missing"}),
        json!({"$ref": "#/properties/%25%32%46/../.."}),
    ];
    for schema in cases {
        let (response, elapsed) = submit_config(&app, &schema, &deep_example).await;
        let context = format!("schema {schema}");
        assert!(elapsed < BOUND, "{context}: took {elapsed:?}");
        let status = response.status();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{context}: {status}"
        );
        let submission: Value = response.json().await.unwrap();
        assert_reads_back(&app, &submission, &context).await;
    }
    // Legitimate recursion validates a deep document.
    let tree = json!({"type": "object", "properties": {"a": {"$ref": "#"}}, "additionalProperties": false});
    let (response, _) = submit_config(&app, &tree, &deep_example).await;
    let submission: Value = response.json().await.unwrap();
    assert_eq!(
        submission["status"],
        "pending",
        "{}",
        error_messages(&submission)
    );
    assert_still_serving(&app).await;
}

// --- injection --------------------------------------------------------------------------

/// A definition with [`PAYLOAD`] (or a Markdown variant of it) in every text field that the
/// catalog's rules leave free.
fn injected_definition(artifact_type: &str) -> Value {
    let markdown = format!(
        "{PAYLOAD}\n\n[link](javascript:alert(1)) <a href=\"javascript:alert(2)\">a</a> \
         ![img](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n\
         <iframe src=\"https://evil.example\"></iframe>\n\n```html\n{PAYLOAD}\n```\n\n\
         | {PAYLOAD} |\n|---|\n| x |\n"
    );
    let short = PAYLOAD.chars().take(70).collect::<String>();
    json!({
        "version": "1.0.0",
        "name": short,
        "summary": PAYLOAD,
        "description": markdown,
        "status": "active",
        "artifactType": artifact_type,
        "config": {
            "mediaType": format!("{artifact_type}.config"),
            "schema": {"type": "object", "title": PAYLOAD, "description": PAYLOAD,
                        "properties": {"name": {"type": "string", "description": PAYLOAD, "default": PAYLOAD}}},
            "examples": [{"name": PAYLOAD}],
        },
        "layers": [{
            "mediaType": format!("{artifact_type}.layer"),
            "title": short,
            "description": markdown,
        }],
        "annotations": [{"key": format!("org.example.{PAYLOAD}"), "description": markdown}],
        "fileExtensions": [".evil"],
        "tags": ["evil"],
        "tools": [{"name": short, "url": "https://example.com/tool?q='onmouseover=alert(1)//"}],
        "actions": [{
            "id": "run",
            "label": short,
            // One plain command (check refuses shell operators); the markup is a quoted word.
            "command": format!(
                "evil pull {{registry}}/{{repository}} '{}'",
                PAYLOAD.replace(['{', '}', '$'], "").replace('\'', "'\\''")
            ),
            "docs": "https://example.com/docs?a=\"><script>alert(1)</script>".replace(['"', '<', '>'], ""),
        }],
        "links": {"spec": "https://example.com/spec#'onclick=alert(1)//", "homepage": "https://example.com/"},
        "owners": [{"name": PAYLOAD, "url": "https://example.com"}],
    })
}

/// No markup from [`PAYLOAD`] or the Markdown around it is live in `html`.
fn assert_escaped(html: &str, context: &str) {
    let lower = html.to_ascii_lowercase();
    for live in [
        "<script>alert",
        "<img src=x",
        "onerror=alert(1)>",
        "<iframe",
        "href=\"javascript:",
        "href='javascript:",
        "href=javascript:",
        "src=\"javascript:",
        "href=\"data:",
    ] {
        assert!(
            !lower.contains(live),
            "{context}: `{live}` is live in the page"
        );
    }
    assert!(
        lower.contains("&lt;script&gt;")
            || lower.contains("&#60;script&#62;")
            || lower.contains("&lt;script"),
        "{context}: the payload is not shown (escaped) at all"
    );
}

#[actix_web::test]
async fn injected_markup_in_a_submission_comes_back_verbatim_in_json() {
    let app = hostile_app().await;
    let definition = injected_definition("application/vnd.acme.evil.v1+json");
    let response = submit(
        &app,
        Some("acme/evil"),
        Some("application/json"),
        definition.to_string(),
    )
    .await;
    assert!(response.status().is_success(), "{}", response.status());
    let submission: Value = response.json().await.unwrap();
    assert_eq!(
        submission["definition"],
        definition,
        "{}",
        error_messages(&submission)
    );
    let id = submission["id"].as_str().unwrap();
    for accept in ["application/json", "text/html", "*/*"] {
        let response = app
            .request(Method::GET, &format!("/submissions/{id}"))
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let html = header(response.headers(), "content-type")
            .unwrap_or_default()
            .starts_with("text/html");
        let text = response.text().await.unwrap();
        if html {
            assert_escaped(&text, &format!("submission page as {accept}"));
        } else {
            let read: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(read["definition"], definition);
        }
    }
    // The same in YAML, and the review answers carry it verbatim too.
    let yaml =
        serde_yaml::to_string(&injected_definition("application/vnd.acme.evil2.v1+json")).unwrap();
    let response = submit(
        &app,
        Some("acme/evil-two"),
        Some("application/yaml"),
        yaml.clone(),
    )
    .await;
    let submission: Value = response.json().await.unwrap();
    assert_eq!(submission["content"], yaml);
    let id = submission["id"].as_str().unwrap();
    let response = app
        .request(Method::POST, &format!("/submissions/{id}/reject"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .json(&json!({"reason": PAYLOAD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let rejected: Value = response.json().await.unwrap();
    assert_eq!(rejected["history"][1]["reason"], PAYLOAD);
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn injected_markup_in_a_catalog_is_escaped_in_every_page() {
    let catalog = TestCatalog::copy_of_shipped();
    let artifact_type = "application/vnd.acme.evil.v1+json";
    let definition = injected_definition(artifact_type);
    catalog.write(
        "acme/evil/1.0.0.yaml",
        &serde_yaml::to_string(&definition).unwrap(),
    );
    let app = TestApp::spawn_with(catalog).await;

    // JSON answers carry every field verbatim.
    let answer = app.get_json("/types/acme/evil").await;
    for field in ["summary", "description"] {
        assert_eq!(answer[field], definition[field], "{field}");
    }
    assert_eq!(answer["owners"], definition["owners"]);
    assert_eq!(
        answer["layers"][0]["description"],
        definition["layers"][0]["description"]
    );
    assert_eq!(
        app.get_json("/types/acme/evil/schema").await["properties"]["name"]["default"],
        PAYLOAD
    );

    let script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let mut pages = 0;
    for path in [
        "/types/acme/evil".to_string(),
        "/types/acme/evil?registry=%3Cscript%3Ealert(1)%3C/script%3E&repository=%22%3E%3Cimg%20src=x&tag=%27".to_string(),
        format!("/types/{artifact_type}"),
        format!("/media-types/{artifact_type}"),
        "/types?q=evil".to_string(),
        "/".to_string(),
        format!("/?q={script}&vendor={script}&tag={script}&status={script}"),
        format!("/types/{script}"),
        format!("/media-types/application/{script}"),
        format!("/submissions/{script}"),
        format!("/no/such/page/{script}"),
    ] {
        let response = app
            .request(Method::GET, &path)
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(!status.is_server_error(), "{path}: {status}");
        let is_html = header(response.headers(), "content-type")
            .unwrap_or_default()
            .starts_with("text/html");
        let text = response.text().await.unwrap();
        pages += usize::from(is_html);
        if is_html {
            let lower = text.to_ascii_lowercase();
            for live in ["<script>alert", "<img src=x", "<iframe", "href=\"javascript:", "href=\"data:"] {
                assert!(!lower.contains(live), "{path}: `{live}` is live in the page");
            }
            if path.contains("evil") || path.contains("%3Cscript") {
                assert!(
                    lower.contains("&lt;script") || lower.contains("&#60;script") || !text.contains("alert"),
                    "{path}: the payload is neither escaped nor absent"
                );
            }
            for anchor in text.match_indices("<a ").map(|(at, _)| &text[at..]) {
                let tag = &anchor[..anchor.find('>').unwrap_or(anchor.len())];
                if tag.contains("href=\"https://example.com/spec") || tag.contains("href=\"https://example.com/tool") {
                    assert!(tag.contains("noopener"), "{path}: {tag}");
                }
            }
        }
    }
    // The type, media type, catalog and error pages are HTML, so all of the above was looked at.
    assert!(pages >= 8, "only {pages} answers were HTML pages");
    assert_still_serving(&app).await;
}

// --- review tokens ----------------------------------------------------------------------

#[actix_web::test]
async fn review_calls_without_with_wrong_or_with_empty_tokens_are_401_problems() {
    let app = hostile_app().await;
    let response = submit(
        &app,
        Some("acme/review"),
        Some("application/yaml"),
        DEFINITION,
    )
    .await;
    let submission: Value = response.json().await.unwrap();
    let id = submission["id"].as_str().unwrap().to_string();
    let long = "t".repeat(6_000);
    let wrong: Vec<Option<String>> = vec![
        None,
        Some(String::new()),
        Some("Bearer".into()),
        Some("Bearer ".into()),
        Some("Bearer    ".into()),
        Some("Bearer wrong".into()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer x{TOKEN}")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Bearer alice:{TOKEN}")),
        Some(format!("Bearer {}", TOKEN.to_uppercase())),
        Some(format!("Basic {TOKEN}")),
        Some(format!("Token {TOKEN}")),
        Some(TOKEN.to_string()),
        Some(format!("Bearer {long}")),
        Some(format!("Bearer {TOKEN}\u{1}")),
        Some(format!("Bearer{TOKEN}")),
    ];
    for action in ["approve", "reject"] {
        for target in [id.as_str(), "s-000000009999", "not-an-id"] {
            for authorization in &wrong {
                let mut request = app
                    .request(Method::POST, &format!("/submissions/{target}/{action}"))
                    .json(&json!({"reason": "because"}));
                if let Some(value) = authorization {
                    request = request.header("Authorization", value.as_str());
                }
                let Ok(request) = request.build() else {
                    continue; // a header value reqwest will not send; the raw test below sends it
                };
                let response = app.client.execute(request).await.unwrap();
                let context = format!(
                    "{action} {target} with {:?}",
                    authorization.as_deref().map(|a| &a[..a.len().min(40)])
                );
                let headers = response.headers().clone();
                let problem = assert_refused(response, &context).await;
                assert_eq!(problem["status"], 401, "{context}: {problem}");
                assert!(header(&headers, "www-authenticate").is_some(), "{context}");
                assert!(
                    !problem.to_string().contains(TOKEN),
                    "{context}: the token is echoed"
                );
            }
        }
    }
    // Bytes no header value may hold, over a raw connection.
    let mut request = format!(
        "POST /submissions/{id}/approve HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\nAuthorization: Bearer "
    )
    .into_bytes();
    request.extend_from_slice(&[0xff, 0xfe, 0x80]);
    request.extend_from_slice(b"\r\n\r\n");
    let answer = raw(&app.address, &request).await;
    assert_eq!(answer.status, Some(401), "{}", answer.text);

    let still = app.get_json(&format!("/submissions/{id}")).await;
    assert_eq!(still["status"], "pending");
    assert_eq!(still["history"].as_array().unwrap().len(), 1);
    assert_still_serving(&app).await;
}

#[actix_web::test]
async fn a_malformed_review_body_is_refused_not_ignored() {
    let app = hostile_app().await;
    let response = submit(
        &app,
        Some("acme/review"),
        Some("application/yaml"),
        DEFINITION,
    )
    .await;
    let submission: Value = response.json().await.unwrap();
    let id = submission["id"].as_str().unwrap();
    for (content_type, body) in [
        ("application/json", "{\"reason\": "),
        ("application/json", "{\"reason\": 5}"),
        ("application/json", "[\"reason\"]"),
        ("application/json", "\"reason\""),
        ("application/x-www-form-urlencoded", "reason=looks+good"),
        ("text/plain", "looks good"),
    ] {
        let response = app
            .request(Method::POST, &format!("/submissions/{id}/approve"))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_refused(response, &format!("approve with {content_type} {body}")).await;
    }
    let still = app.get_json(&format!("/submissions/{id}")).await;
    assert_eq!(still["status"], "pending", "a malformed body approved it");
    // No body at all, or an empty object, approves.
    let response = app
        .request(Method::POST, &format!("/submissions/{id}/approve"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_still_serving(&app).await;
}

// --- the binary -------------------------------------------------------------------------

#[actix_web::test]
async fn the_binary_survives_a_volley_of_hostile_requests_without_a_panic() {
    let data = TempDir::new().unwrap();
    let log = TempDir::new().unwrap();
    let log_file = log.path().join("typehouse.log");
    let served = Served::start_with(&["--submissions-per-minute", "0"], data.path(), &log_file);
    let http = client();
    let address = served.address.clone();
    let up = eventually(Duration::from_secs(20), || async {
        http.get(format!("{address}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    assert!(up, "the server did not start");

    let mut requests: Vec<Vec<u8>> = Vec::new();
    for path in [
        "/types/../../etc/passwd",
        "/static/%2e%2e%2fCargo.toml",
        "/types/a%00b",
        "/media-types/%FF",
    ] {
        requests.push(raw_get(path));
    }
    requests.push(
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
            "h".repeat(200_000)
        )
        .into_bytes(),
    );
    for body in [
        alias_bomb(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        "x".repeat(ONE_MIB + 1),
    ] {
        let mut request = format!(
            "POST /submissions?id=acme/volley HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        requests.push(request);
    }
    requests.push(b"GARBAGE\r\n\r\n".to_vec());
    requests.push(b"GET / HTTP/9.9\r\n\r\n".to_vec());
    requests.push(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec());
    requests.push(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec());
    for request in &requests {
        let answer = raw(&served.address, request).await;
        if let Some(status) = answer.status {
            // 505 is the right answer to an HTTP version the server does not speak.
            assert!(
                status < 500 || status == 505,
                "{}",
                String::from_utf8_lossy(&request[..request.len().min(80)])
            );
        }
        let health = http.get(format!("{}/healthz", served.address)).send().await;
        assert!(
            health.is_ok_and(|r| r.status() == StatusCode::OK),
            "the binary stopped answering"
        );
    }
    drop(served);
    let log = std::fs::read_to_string(&log_file).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}
