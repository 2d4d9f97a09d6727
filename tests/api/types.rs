//! `/types`, `/types/{key}` with its versions, schema and validation, and `/media-types`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestCatalog, assert_content_type, assert_problem, header};

const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";

fn ids(list: &Value) -> Vec<String> {
    list["types"]
        .as_array()
        .expect("a `types` array")
        .iter()
        .map(|t| t["id"].as_str().expect("an id").to_string())
        .collect()
}

#[actix_web::test]
async fn a_type_id_returns_the_latest_definition() {
    let app = TestApp::spawn().await;

    let definition = app.get_json("/types/cncf/helm-chart").await;

    assert_eq!(definition["id"], "cncf/helm-chart");
    assert_eq!(definition["version"], "1.0.1");
    assert_eq!(definition["name"], "Helm chart");
    assert_eq!(definition["artifactType"], HELM_CONFIG);
    assert_eq!(definition["layers"][0]["required"], true);
}

#[actix_web::test]
async fn a_media_type_written_as_is_returns_the_type_it_identifies() {
    let app = TestApp::spawn().await;

    let definition = app.get_json(&format!("/types/{HELM_CONFIG}")).await;

    assert_eq!(definition["id"], "cncf/helm-chart");
}

#[actix_web::test]
async fn a_percent_encoded_media_type_returns_the_type_it_identifies() {
    let app = TestApp::spawn().await;

    let definition = app
        .get_json("/types/application%2Fvnd.cncf.helm.config.v1%2Bjson")
        .await;

    assert_eq!(definition["id"], "cncf/helm-chart");
}

#[actix_web::test]
async fn media_type_keys_ignore_case_and_parameters_and_answers_keep_the_catalog_spelling() {
    let app = TestApp::spawn().await;

    let definition = app
        .get_json("/types/Application/VND.CNCF.Helm.Config.V1+JSON;%20charset=utf-8")
        .await;

    assert_eq!(definition["id"], "cncf/helm-chart");
    assert_eq!(definition["artifactType"], HELM_CONFIG);
}

#[actix_web::test]
async fn an_alias_redirects_permanently_to_the_canonical_url() {
    let app = TestApp::spawn().await;

    let response = app.get("/types/application/vnd.cnab.config.v1+json").await;

    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        header(response.headers(), "location"),
        Some("/types/cnab/bundle")
    );
    let followed = app.get_json("/types/cnab/bundle").await;
    assert_eq!(followed["id"], "cnab/bundle");
}

#[actix_web::test]
async fn an_alias_redirect_keeps_the_sub_path_and_the_query() {
    let app = TestApp::spawn().await;

    let versions = app
        .get("/types/application%2Fvnd.cnab.config.v1%2Bjson/versions?x=1")
        .await;
    let definition = app
        .get("/types/application/vnd.cnab.config.v1+json?version=1.0.0")
        .await;

    assert_eq!(versions.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        header(versions.headers(), "location"),
        Some("/types/cnab/bundle/versions?x=1")
    );
    assert_eq!(definition.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        header(definition.headers(), "location"),
        Some("/types/cnab/bundle?version=1.0.0")
    );
}

#[actix_web::test]
async fn a_media_type_shared_by_types_told_apart_resolves_to_the_one_without_conditions() {
    let app = TestApp::spawn().await;

    let definition = app
        .get_json("/types/application/vnd.dev.sigstore.bundle.v0.3+json")
        .await;

    assert_eq!(definition["id"], "sigstore/bundle-attestation");
}

#[actix_web::test]
async fn a_media_type_only_conditional_types_share_answers_300_naming_them() {
    let catalog = TestCatalog::copy_of_shipped().with_colour_gadgets();
    let app = TestApp::spawn_with(catalog).await;

    let response = app.get("/types/application/vnd.acme.gadget.v1+json").await;

    let problem = assert_problem(response, StatusCode::MULTIPLE_CHOICES).await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("acme/red-gadget"), "{detail}");
    assert!(detail.contains("acme/blue-gadget"), "{detail}");
}

#[actix_web::test]
async fn an_unknown_key_is_a_404_problem() {
    let app = TestApp::spawn().await;

    let by_id = app.get("/types/acme/nothing").await;
    let by_media_type = app.get("/types/application/vnd.acme.nothing.v1+json").await;

    assert_problem(by_id, StatusCode::NOT_FOUND).await;
    assert_problem(by_media_type, StatusCode::NOT_FOUND).await;
}

fn catalog_with_helm_versions() -> TestCatalog {
    let catalog = TestCatalog::copy_of_shipped();
    catalog
        .add_version("cncf/helm-chart", "1.1.0")
        .add_version("cncf/helm-chart", "2.0.0-rc.1");
    catalog
}

#[actix_web::test]
async fn the_latest_version_is_the_newest_that_is_not_a_prerelease() {
    let app = TestApp::spawn_with(catalog_with_helm_versions()).await;

    let definition = app.get_json("/types/cncf/helm-chart").await;

    assert_eq!(definition["version"], "1.1.0");
}

#[actix_web::test]
async fn an_exact_version_returns_that_version() {
    let app = TestApp::spawn_with(catalog_with_helm_versions()).await;

    let old = app.get_json("/types/cncf/helm-chart?version=1.0.0").await;
    let prerelease = app
        .get_json("/types/cncf/helm-chart?version=2.0.0-rc.1")
        .await;

    assert_eq!(old["version"], "1.0.0");
    assert_eq!(prerelease["version"], "2.0.0-rc.1");
}

#[actix_web::test]
async fn a_version_requirement_returns_the_newest_version_it_matches() {
    let app = TestApp::spawn_with(catalog_with_helm_versions()).await;

    let caret = app.get_json("/types/cncf/helm-chart?version=%5E1").await;
    let range = app
        .get_json("/types/cncf/helm-chart?version=%3E%3D1.0.0%2C%20%3C1.1.0")
        .await;

    assert_eq!(caret["version"], "1.1.0");
    assert_eq!(range["version"], "1.0.1");
}

#[actix_web::test]
async fn a_version_nothing_matches_is_a_404_problem() {
    let app = TestApp::spawn_with(catalog_with_helm_versions()).await;

    let requirement = app.get("/types/cncf/helm-chart?version=%5E3").await;
    let exact = app.get("/types/cncf/helm-chart?version=1.0.2").await;

    let problem = assert_problem(requirement, StatusCode::NOT_FOUND).await;
    assert!(problem["detail"].as_str().unwrap().contains("^3"));
    assert_problem(exact, StatusCode::NOT_FOUND).await;
}

#[actix_web::test]
async fn a_version_that_is_no_requirement_is_a_400_problem() {
    let app = TestApp::spawn().await;

    let response = app.get("/types/cncf/helm-chart?version=banana").await;

    assert_problem(response, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn versions_are_listed_newest_first() {
    let app = TestApp::spawn_with(catalog_with_helm_versions()).await;

    let list = app.get_json("/types/cncf/helm-chart/versions").await;

    assert_eq!(list["id"], "cncf/helm-chart");
    let versions: Vec<&str> = list["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["2.0.0-rc.1", "1.1.0", "1.0.1", "1.0.0"]);
    assert_eq!(
        list["versions"][1]["url"],
        "types/cncf/helm-chart?version=1.1.0"
    );
}

#[actix_web::test]
async fn versions_can_be_listed_by_media_type_key() {
    let app = TestApp::spawn().await;

    let list = app
        .get_json(&format!("/types/{HELM_CONFIG}/versions"))
        .await;

    assert_eq!(list["id"], "cncf/helm-chart");
    assert_eq!(list["versions"][0]["version"], "1.0.1");
}

#[actix_web::test]
async fn a_deprecated_type_announces_its_deprecation_sunset_and_successor() {
    let app = TestApp::spawn_with(TestCatalog::copy_of_shipped().with_deprecated_type()).await;

    let response = app.get("/types/acme/old-widget").await;

    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(header(headers, "deprecation"), Some("true"));
    assert_eq!(
        header(headers, "sunset"),
        Some("Sun, 30 Jun 2030 00:00:00 GMT")
    );
    assert_eq!(
        header(headers, "link"),
        Some("</types/cncf/helm-chart>; rel=\"successor-version\"")
    );
    let definition: Value = response.json().await.unwrap();
    assert_eq!(definition["status"], "deprecated");
    assert_eq!(definition["deprecatedBy"], "cncf/helm-chart");
}

#[actix_web::test]
async fn an_active_type_carries_no_deprecation_headers() {
    let app = TestApp::spawn().await;

    let response = app.get("/types/cncf/helm-chart").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("deprecation").is_none());
    assert!(response.headers().get("sunset").is_none());
    assert!(response.headers().get("link").is_none());
}

#[actix_web::test]
async fn the_type_list_holds_every_type_with_the_total() {
    let app = TestApp::spawn().await;

    let list = app.get_json("/types?limit=1000").await;
    let index = app.get_json("/index.json").await;

    let total = index["types"].as_array().unwrap().len();
    assert!(total >= 55, "the shipped catalog has {total} types");
    assert_eq!(list["total"], total);
    assert_eq!(ids(&list).len(), total);
    let helm = list["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "cncf/helm-chart")
        .expect("helm is listed");
    assert_eq!(helm["version"], "1.0.1");
    assert_eq!(helm["status"], "active");
    assert_eq!(helm["url"], "types/cncf/helm-chart");
}

#[actix_web::test]
async fn the_type_list_filters_by_free_text() {
    let app = TestApp::spawn().await;

    let list = app.get_json("/types?q=HELM").await;

    let ids = ids(&list);
    assert!(ids.contains(&"cncf/helm-chart".to_string()), "{ids:?}");
    assert!(ids.contains(&"cncf/helm-plugin".to_string()), "{ids:?}");
    assert!(!ids.contains(&"docker/image".to_string()), "{ids:?}");
    assert_eq!(list["total"], ids.len());
}

#[actix_web::test]
async fn the_type_list_filters_by_status_vendor_and_tag() {
    let app = TestApp::spawn_with(TestCatalog::copy_of_shipped().with_deprecated_type()).await;

    let drafts = app.get_json("/types?status=draft").await;
    let deprecated = app.get_json("/types?status=deprecated").await;
    let sigstore = app.get_json("/types?vendor=sigstore").await;
    let signatures = app.get_json("/types?tag=signature").await;
    let combined = app
        .get_json("/types?vendor=sigstore&tag=attestation&q=bundle")
        .await;

    assert!(!ids(&drafts).is_empty());
    assert!(
        drafts["types"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "draft")
    );
    assert_eq!(
        ids(&deprecated),
        [
            "acme/old-widget",
            "microsoft/bicep-module-sources",
            "sigstore/cosign-artifact-attestation"
        ]
    );
    assert!(ids(&sigstore).len() >= 5);
    assert!(ids(&sigstore).iter().all(|id| id.starts_with("sigstore/")));
    let signature_ids = ids(&signatures);
    assert!(signature_ids.contains(&"notaryproject/signature".to_string()));
    assert!(signature_ids.contains(&"sigstore/bundle-signature".to_string()));
    assert!(!signature_ids.contains(&"cncf/helm-chart".to_string()));
    assert_eq!(ids(&combined), ["sigstore/bundle-attestation"]);
}

#[actix_web::test]
async fn the_type_list_pages_with_limit_and_offset_and_reports_the_total() {
    let app = TestApp::spawn().await;

    let all = app.get_json("/types?limit=1000").await;
    let page = app.get_json("/types?limit=2&offset=3").await;
    let past_the_end = app.get_json("/types?offset=100000").await;

    assert_eq!(page["total"], all["total"]);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 3);
    assert_eq!(ids(&page), ids(&all)[3..5]);
    assert!(ids(&past_the_end).is_empty());
    assert_eq!(past_the_end["total"], all["total"]);
}

#[actix_web::test]
async fn a_limit_out_of_range_is_a_400_problem() {
    let app = TestApp::spawn().await;

    assert_problem(app.get("/types?limit=0").await, StatusCode::BAD_REQUEST).await;
    assert_problem(app.get("/types?limit=5000").await, StatusCode::BAD_REQUEST).await;
    assert_problem(app.get("/types?limit=many").await, StatusCode::BAD_REQUEST).await;
}

#[actix_web::test]
async fn the_config_schema_is_served_as_a_json_schema() {
    let app = TestApp::spawn().await;

    let response = app.get("/types/cncf/helm-chart/schema").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_content_type(response.headers(), "application/schema+json");
    let schema: Value = response.json().await.unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["required"], json!(["apiVersion", "name", "version"]));
}

#[actix_web::test]
async fn an_inline_config_schema_is_served_too() {
    let app = TestApp::spawn().await;

    let schema = app.get_json("/types/notaryproject/signature/schema").await;

    assert_eq!(schema, json!({"type": "object", "maxProperties": 0}));
}

#[actix_web::test]
async fn a_type_without_a_config_schema_has_no_schema_to_serve() {
    let app = TestApp::spawn().await;

    let response = app.get("/types/docker/image/schema").await;

    let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
    assert!(problem["detail"].as_str().unwrap().contains("docker/image"));
}

#[actix_web::test]
async fn a_valid_config_validates() {
    let app = TestApp::spawn().await;

    let response = app
        .post_json(
            "/types/cncf/helm-chart/validate",
            &json!({"apiVersion": "v2", "name": "webapp", "version": "1.4.2"}),
        )
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["valid"], true);
    assert_eq!(answer["errors"], json!([]));
    assert_eq!(answer["id"], "cncf/helm-chart");
    assert_eq!(answer["version"], "1.0.1");
}

#[actix_web::test]
async fn an_invalid_config_reports_every_error_with_its_paths() {
    let app = TestApp::spawn().await;

    let answer: Value = app
        .post_json(
            &format!("/types/{HELM_CONFIG}/validate"),
            &json!({"apiVersion": "v9", "name": "webapp"}),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(answer["valid"], false);
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let enum_error = errors
        .iter()
        .find(|e| e["instancePath"] == "/apiVersion")
        .expect("an error at /apiVersion");
    assert!(
        enum_error["schemaPath"]
            .as_str()
            .unwrap()
            .ends_with("/enum")
    );
    assert!(!enum_error["message"].as_str().unwrap().is_empty());
    let required_error = errors
        .iter()
        .find(|e| e["instancePath"] == "")
        .expect("an error at the root");
    assert_eq!(required_error["schemaPath"], "/required");
    assert!(
        required_error["message"]
            .as_str()
            .unwrap()
            .contains("version")
    );
}

#[actix_web::test]
async fn validation_honours_the_version_asked_for() {
    let app = TestApp::spawn_with(catalog_with_helm_versions()).await;

    let answer: Value = app
        .post_json(
            "/types/cncf/helm-chart/validate?version=1.0.0",
            &json!({"apiVersion": "v2", "name": "webapp", "version": "1.4.2"}),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(answer["version"], "1.0.0");
    assert_eq!(answer["valid"], true);
}

#[actix_web::test]
async fn validating_against_a_type_without_a_config_schema_is_a_404_problem() {
    let app = TestApp::spawn().await;

    let response = app
        .post_json("/types/docker/image/validate", &json!({}))
        .await;

    assert_problem(response, StatusCode::NOT_FOUND).await;
}

#[actix_web::test]
async fn the_static_site_paths_of_a_type_answer_too() {
    let app = TestApp::spawn().await;

    let latest = app.get_json("/types/cncf/helm-chart/index.json").await;
    let exact = app.get("/types/cncf/helm-chart/1.0.0.json").await;

    assert_eq!(latest["id"], "cncf/helm-chart");
    assert_eq!(exact.status(), StatusCode::OK);
    assert!(
        header(exact.headers(), "cache-control")
            .unwrap()
            .contains("immutable")
    );
}

#[actix_web::test]
async fn a_media_type_lists_every_type_that_uses_it_with_its_role() {
    let app = TestApp::spawn().await;

    let image_config = app
        .get_json("/media-types/application/vnd.oci.image.config.v1+json")
        .await;

    assert_eq!(
        image_config["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let uses = image_config["types"].as_array().unwrap();
    let roles_of = |id: &str| -> Vec<&str> {
        uses.iter()
            .filter(|u| u["id"] == id)
            .map(|u| u["role"].as_str().unwrap())
            .collect()
    };
    assert_eq!(roles_of("opencontainers/image"), ["artifactType", "config"]);
    assert_eq!(roles_of("sigstore/cosign-signature"), ["config"]);
    let borrowed = uses
        .iter()
        .find(|u| u["id"] == "sigstore/cosign-signature")
        .unwrap();
    assert_eq!(borrowed["identifying"], false);
    assert_eq!(borrowed["url"], "types/sigstore/cosign-signature");
}

#[actix_web::test]
async fn a_media_type_reports_layer_and_alias_roles() {
    let app = TestApp::spawn().await;

    let layer = app
        .get_json("/media-types/application%2Fvnd.cncf.helm.chart.content.v1.tar%2Bgzip")
        .await;
    let alias = app
        .get_json("/media-types/APPLICATION/vnd.cnab.config.v1+json")
        .await;

    assert_eq!(layer["types"][0]["id"], "cncf/helm-chart");
    assert_eq!(layer["types"][0]["role"], "layer");
    assert_eq!(alias["mediaType"], "application/vnd.cnab.config.v1+json");
    assert_eq!(alias["types"][0]["id"], "cnab/bundle");
    assert_eq!(alias["types"][0]["role"], "alias");
}

#[actix_web::test]
async fn a_media_type_nothing_uses_is_a_404_problem() {
    let app = TestApp::spawn().await;

    let unused = app
        .get("/media-types/application/vnd.acme.nothing.v1+json")
        .await;
    let invalid = app.get("/media-types/not%20a%20media%20type").await;

    assert_problem(unused, StatusCode::NOT_FOUND).await;
    let problem = assert_problem(invalid, StatusCode::NOT_FOUND).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not a valid OCI media type")
    );
}

/// A lookup of the latest version is answered from a table of ready answers by key; the same
/// request with an empty `version` takes the general path. Both must agree for every key: ids,
/// media types in every role, aliases, a media type several types share, a deprecated type,
/// a type whose newest version is a prerelease, and keys spelled in capitals or with
/// parameters.
#[actix_web::test]
async fn every_lookup_key_answers_as_the_general_path_does() {
    let catalog = TestCatalog::copy_of_shipped()
        .with_deprecated_type()
        .with_colour_gadgets();
    catalog.add_version("cncf/helm-chart", "1.1.0");
    catalog.add_version("cncf/helm-chart", "2.0.0-rc.1");
    let app = TestApp::spawn_with(catalog).await;
    let index = app.get_json("/index.json").await;
    let mut keys: Vec<String> = vec![
        "application/vnd.cnab.config.v1+json".into(),
        "application/vnd.acme.nothing.v1+json".into(),
        "acme/nothing".into(),
    ];
    for entry in index["types"].as_array().unwrap() {
        keys.push(entry["id"].as_str().unwrap().into());
        for role in ["identifyingMediaTypes", "layerMediaTypes"] {
            for media_type in entry[role].as_array().into_iter().flatten() {
                keys.push(media_type.as_str().unwrap().into());
            }
        }
    }
    let spelled: Vec<String> = keys
        .iter()
        .flat_map(|key| [key.to_ascii_uppercase(), format!("{key};charset=utf-8")])
        .collect();
    keys.extend(spelled);
    assert!(keys.len() > 100, "{}", keys.len());

    let mut answered = 0;
    for key in &keys {
        for gzip in [false, true] {
            let ask = |path: String| {
                let request = app.request(reqwest::Method::GET, &path);
                if gzip {
                    request.header("Accept-Encoding", "gzip")
                } else {
                    request
                }
            };
            let table = ask(format!("/types/{key}")).send().await.unwrap();
            let general = ask(format!("/types/{key}?version=")).send().await.unwrap();
            assert_eq!(table.status(), general.status(), "{key}");
            for name in [
                "content-type",
                "content-encoding",
                "content-length",
                "etag",
                "cache-control",
                "vary",
                "deprecation",
                "sunset",
                "link",
            ] {
                assert_eq!(
                    header(table.headers(), name),
                    header(general.headers(), name),
                    "{key}: {name}"
                );
            }
            let location =
                header(general.headers(), "location").map(|l| l.replace("?version=", ""));
            assert_eq!(
                header(table.headers(), "location"),
                location.as_deref(),
                "{key}"
            );
            if table.status() == StatusCode::OK {
                answered += 1;
            }
            assert_eq!(
                table.bytes().await.unwrap(),
                general.bytes().await.unwrap(),
                "{key}"
            );
        }
    }
    assert!(answered > 50, "{answered} keys answered 200");
}
