//! Errors: every one is an `application/problem+json` document with the right status, and
//! the service keeps serving after bad requests.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, assert_problem};

const ONE_MIB: usize = 1024 * 1024;

#[actix_web::test]
async fn an_unknown_path_is_a_404_problem() {
    let app = TestApp::spawn().await;

    let response = app.get("/no/such/thing").await;

    let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(problem["title"], "Not Found");
    assert!(problem["type"].as_str().unwrap().starts_with("https://"));
}

#[actix_web::test]
async fn a_method_a_resource_does_not_take_is_a_405_problem() {
    let app = TestApp::spawn().await;
    let cases = [
        (Method::DELETE, "/types/cncf/helm-chart"),
        (Method::PUT, "/index.json"),
        (Method::POST, "/types"),
        (Method::POST, "/types/cncf/helm-chart"),
        (Method::POST, "/types/cncf/helm-chart/schema"),
        (Method::GET, "/types/cncf/helm-chart/validate"),
        (Method::GET, "/classify"),
        (
            Method::PATCH,
            "/media-types/application/vnd.oci.image.config.v1+json",
        ),
        (Method::DELETE, "/healthz"),
    ];

    for (method, path) in cases {
        let response = app.request(method.clone(), path).send().await.unwrap();
        let problem = assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(problem["title"], "Method Not Allowed", "{method} {path}");
    }
}

#[actix_web::test]
async fn a_body_over_one_mebibyte_is_a_413_problem_and_the_service_keeps_serving() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(ONE_MIB);
    let body = json!({"schemaVersion": 2, "padding": padding}).to_string();
    assert!(body.len() > ONE_MIB);

    let classify = app
        .request(Method::POST, "/classify")
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let validate = app
        .request(Method::POST, "/types/cncf/helm-chart/validate")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();

    assert_problem(classify, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_problem(validate, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_body_just_under_the_limit_is_read() {
    let app = TestApp::spawn().await;
    let mut body = json!({"schemaVersion": 2, "manifests": [], "padding": ""}).to_string();
    let room = ONE_MIB - body.len();
    body = body.replace(
        "\"padding\":\"\"",
        &format!("\"padding\":\"{}\"", "x".repeat(room)),
    );
    assert_eq!(body.len(), ONE_MIB);

    let response = app
        .request(Method::POST, "/classify")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_body_that_is_not_json_by_content_type_is_a_415_problem() {
    let app = TestApp::spawn().await;

    for path in ["/classify", "/types/cncf/helm-chart/validate"] {
        let response = app
            .request(Method::POST, path)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert!(problem["detail"].as_str().unwrap().contains("text/plain"));
    }
}

#[actix_web::test]
async fn json_flavoured_content_types_and_a_missing_one_are_read_as_json() {
    let app = TestApp::spawn().await;
    let index = json!({"schemaVersion": 2, "manifests": []}).to_string();

    for content_type in [
        Some("application/vnd.oci.image.index.v1+json"),
        Some("Application/JSON; charset=utf-8"),
        None,
    ] {
        let mut request = app.request(Method::POST, "/classify").body(index.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{content_type:?}");
    }
}

#[actix_web::test]
async fn malformed_json_is_a_400_problem_that_names_the_position() {
    let app = TestApp::spawn().await;

    for path in ["/classify", "/types/cncf/helm-chart/validate"] {
        let response = app
            .request(Method::POST, path)
            .header("content-type", "application/json")
            .body("{\"schemaVersion\": 2,")
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("line 1"), "{detail}");
    }
}

#[actix_web::test]
async fn an_empty_body_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = app
        .request(Method::POST, "/classify")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn deeply_nested_json_is_refused_without_harm() {
    let app = TestApp::spawn().await;
    let depth = 100_000;
    let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));

    let response = app
        .request(Method::POST, "/classify")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();

    assert_problem(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_malformed_query_string_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = app.get("/types?offset=-1").await;

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn control_characters_in_a_key_are_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = app.get("/types/application/vnd.acme%0A.v1+json").await;

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn an_overlong_key_is_a_404_problem() {
    let app = TestApp::spawn().await;

    let response = app
        .get(&format!("/types/application/{}", "a".repeat(1000)))
        .await;

    assert_problem(response, StatusCode::NOT_FOUND).await;
}
