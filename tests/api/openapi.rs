//! `/openapi.json` lists exactly the routes the app serves, and real answers match its schemas.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[actix_web::test]
async fn the_document_is_openapi_3_1_and_lists_every_route_of_the_url_table() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<(String, String)> = typehouse::http::routes::ROUTES
        .iter()
        .filter(|route| route.is_documented())
        .map(|route| (route.verb.as_str().to_string(), route.path.to_string()))
        .collect();
    assert_eq!(documented, served);
}

#[actix_web::test]
async fn every_documented_operation_is_answered_by_the_app_as_built() {
    let app = TestApp::spawn().await;
    // From the served document, not the table: what a client reads is what the app routes.
    let document = document(&app).await;
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    assert!(operations.len() >= 20, "{operations:?}");
    for (method, path) in &operations {
        let concrete = path
            .replace("{key}", "cncf/helm-chart")
            .replace("{mediaType}", "application/vnd.cncf.helm.config.v1+json")
            .replace("{id}", "s-000000000001");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .request(method.clone(), &concrete)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {concrete}"
        );
        assert!(
            !body.contains("nothing at"),
            "{method} {concrete} is not routed: {body}"
        );
    }
}

/// Validates `instance` against the document's component schema `name`.
fn assert_matches(document: &Value, name: &str, instance: &Value) {
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": document["components"],
    });
    let validator = jsonschema::validator_for(&schema).expect("the component schemas compile");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} does not describe the answer: {errors:?}\n{instance}"
    );
}

#[actix_web::test]
async fn real_answers_match_the_documented_schemas() {
    let app = TestApp::spawn_configured(|config| config.review_token = Some("t0ken".into())).await;
    let document = document(&app).await;

    assert_matches(&document, "TypeList", &app.get_json("/types?limit=5").await);
    assert_matches(
        &document,
        "TypeDocument",
        &app.get_json("/types/cncf/helm-chart").await,
    );
    assert_matches(
        &document,
        "VersionList",
        &app.get_json("/types/cncf/helm-chart/versions").await,
    );
    assert_matches(
        &document,
        "MediaTypeAnswer",
        &app.get_json("/media-types/application/vnd.oci.image.layer.v1.tar+gzip")
            .await,
    );
    assert_matches(&document, "Index", &app.get_json("/index.json").await);
    assert_matches(&document, "Health", &app.get_json("/healthz").await);
    let validation: Value = app
        .post_json("/types/cncf/helm-chart/validate", &json!({"apiVersion": 3}))
        .await
        .json()
        .await
        .unwrap();
    assert_matches(&document, "Validation", &validation);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:00", "size": 2},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "sha256:01", "size": 3}]
    });
    assert_matches(&document, "Classification", &app.classify(&manifest).await);
    let unknown = json!({"schemaVersion": 2, "config": {"mediaType": "application/vnd.acme.nothing+json"}, "layers": []});
    assert_matches(&document, "Classification", &app.classify(&unknown).await);
    let problem: Value = app.get("/types/acme/nothing").await.json().await.unwrap();
    assert_matches(&document, "Problem", &problem);

    let definition = "version: 1.0.0\nname: Doc test\nsummary: A definition for the schema test\nstatus: draft\nartifactType: application/vnd.acme.doc.v1+json\nlinks:\n  spec: https://example.com\nowners:\n  - name: Acme\n    url: https://example.com\n";
    let created: Value = app
        .client
        .post(app.url("/submissions?id=acme/doc"))
        .header("Content-Type", "application/yaml")
        .body(definition)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_matches(&document, "Submission", &created);
    assert_matches(
        &document,
        "SubmissionList",
        &app.get_json("/submissions").await,
    );
    let id = created["id"].as_str().unwrap();
    let approved: Value = app
        .client
        .post(app.url(&format!("/submissions/{id}/approve")))
        .bearer_auth("t0ken")
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_matches(&document, "Submission", &approved);

    // The file to commit, read as YAML the way clients read `application/yaml`, is what the
    // document says it is: a definition, not a string.
    let file = app.get(&format!("/submissions/{id}/file")).await;
    assert_eq!(file.status(), 200);
    let file: Value = serde_yaml::from_str(&file.text().await.unwrap()).unwrap();
    let schema = &document["paths"]["/submissions/{id}/file"]["get"]["responses"]["200"]["content"]
        ["application/yaml"]["schema"];
    let validator = jsonschema::validator_for(schema).expect("the file schema compiles");
    assert!(
        validator.is_valid(&file),
        "{schema} does not describe the file: {file}"
    );
}

/// A config is validated whatever JSON it is: `true` is answered `valid: false`, not refused, so
/// the documented request body must not promise a refusal (a client generating bodies from the
/// document would read the 200 as a schema-violating request accepted).
#[actix_web::test]
async fn the_documented_request_body_of_validate_admits_what_the_service_answers() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let schema = document["paths"]["/types/{key}/validate"]["post"]["requestBody"]["content"]
        ["application/json"]["schema"]
        .clone();
    let validator = jsonschema::validator_for(&schema).expect("the request schema compiles");
    for body in [
        json!(true),
        json!(null),
        json!(7),
        json!("chart"),
        json!([]),
        json!({}),
    ] {
        let response = app
            .post_json("/types/cncf/helm-chart/validate", &body)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert!(answer["valid"].is_boolean(), "{answer}");
        assert!(
            validator.is_valid(&body),
            "the documented request body refuses {body}, which the service answers: {schema}"
        );
    }
}
