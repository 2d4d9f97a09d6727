//! `POST /classify`: every kind of manifest, every step of the classification order, the
//! conformance problems and the rendered actions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const HELM_CHART: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
const THUMBPRINT: &str = "io.cncf.notary.x509chain.thumbprint#S256";

fn descriptor(media_type: &str, n: u32) -> Value {
    json!({
        "mediaType": media_type,
        "digest": format!("sha256:{n:064x}"),
        "size": 100 + n,
    })
}

fn with_annotations(mut descriptor: Value, annotations: Value) -> Value {
    descriptor["annotations"] = annotations;
    descriptor
}

fn helm_chart() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(HELM_CONFIG, 1),
        "layers": [descriptor(HELM_CHART, 2)],
        "annotations": {"org.opencontainers.image.title": "webapp"},
    })
}

fn notation_signature() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.cncf.notary.signature",
        "config": descriptor(EMPTY_CONFIG, 1),
        "layers": [descriptor("application/jose+json", 2)],
        "subject": descriptor(OCI_MANIFEST, 3),
        "annotations": {THUMBPRINT: "[\"b3e7\"]"},
    })
}

fn sigstore_bundle(predicate_type: &str) -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": SIGSTORE_BUNDLE,
        "config": descriptor(EMPTY_CONFIG, 1),
        "layers": [descriptor(SIGSTORE_BUNDLE, 2)],
        "subject": descriptor(OCI_MANIFEST, 3),
        "annotations": {
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
        },
    })
}

fn docker_image() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": descriptor("application/vnd.docker.container.image.v1+json", 1),
        "layers": [descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", 2)],
    })
}

fn problem_codes(answer: &Value) -> Vec<&str> {
    answer["problems"]
        .as_array()
        .expect("a `problems` array")
        .iter()
        .map(|p| p["code"].as_str().expect("a problem code"))
        .collect()
}

/// Asserts the matched type and step, and that the document conforms.
fn assert_conforming(answer: &Value, id: &str, matched_by: &str) {
    assert_eq!(answer["type"]["id"], id, "{answer:#}");
    assert_eq!(answer["matchedBy"], matched_by, "{answer:#}");
    assert_eq!(answer["conforms"], true, "{answer:#}");
    assert_eq!(answer["problems"], json!([]), "{answer:#}");
}

fn action<'a>(answer: &'a Value, id: &str) -> &'a str {
    answer["actions"]
        .as_array()
        .expect("an `actions` array")
        .iter()
        .find(|a| a["id"] == id)
        .and_then(|a| a["command"].as_str())
        .unwrap_or_else(|| panic!("no action `{id}` in {answer:#}"))
}

#[actix_web::test]
async fn a_helm_chart_manifest_is_recognised_by_its_identifying_chart_layer() {
    let app = TestApp::spawn().await;

    let answer = app.classify(&helm_chart()).await;

    assert_conforming(&answer, "cncf/helm-chart", "layer");
    assert_eq!(answer["document"], "ociManifest");
    assert_eq!(answer["type"]["version"], "1.0.1");
    assert_eq!(answer["type"]["name"], "Helm chart");
    assert_eq!(answer["type"]["artifactType"], HELM_CONFIG);
}

#[actix_web::test]
async fn a_manifest_without_identifying_layers_is_recognised_by_its_config_media_type() {
    let app = TestApp::spawn().await;
    let provenance_only = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(HELM_CONFIG, 1),
        "layers": [descriptor("application/vnd.cncf.helm.chart.provenance.v1.prov", 2)],
    });
    let oci_image = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", 1),
        "layers": [
            descriptor("application/vnd.oci.image.layer.v1.tar+gzip", 2),
            descriptor("application/vnd.oci.image.layer.v1.tar+zstd", 3),
        ],
    });

    let helm = app.classify(&provenance_only).await;
    let image = app.classify(&oci_image).await;

    assert_eq!(helm["type"]["id"], "cncf/helm-chart");
    assert_eq!(helm["matchedBy"], "config.mediaType");
    assert_eq!(problem_codes(&helm), ["missing-layer"]);
    assert_conforming(&image, "opencontainers/image", "config.mediaType");
}

#[actix_web::test]
async fn a_manifest_without_a_media_type_field_is_read_as_an_oci_manifest() {
    let app = TestApp::spawn().await;
    let mut manifest = helm_chart();
    manifest.as_object_mut().unwrap().remove("mediaType");

    let answer = app.classify(&manifest).await;

    assert_eq!(answer["document"], "ociManifest");
    assert_conforming(&answer, "cncf/helm-chart", "layer");
}

#[actix_web::test]
async fn a_notation_signature_is_recognised_by_its_artifact_type() {
    let app = TestApp::spawn().await;

    let answer = app.classify(&notation_signature()).await;

    assert_conforming(&answer, "notaryproject/signature", "artifactType");
}

#[actix_web::test]
async fn a_cnab_index_is_recognised_by_its_artifact_type_annotation() {
    let app = TestApp::spawn().await;
    let bundle = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            with_annotations(descriptor(OCI_MANIFEST, 1), json!({"io.cnab.manifest.type": "config"})),
            with_annotations(descriptor(OCI_MANIFEST, 2), json!({"io.cnab.manifest.type": "invocation"})),
        ],
        "annotations": {
            "org.opencontainers.artifactType": "application/vnd.cnab.manifest.v1",
            "io.cnab.runtime_version": "v1.0.0",
        },
    });

    let answer = app.classify(&bundle).await;

    assert_eq!(answer["document"], "ociIndex");
    assert_conforming(&answer, "cnab/bundle", "annotation");
}

#[actix_web::test]
async fn an_index_with_an_artifact_type_is_recognised_by_it() {
    let app = TestApp::spawn().await;
    let bundle = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "artifactType": "application/vnd.cnab.manifest.v1",
        "manifests": [descriptor(OCI_MANIFEST, 1)],
        "annotations": {"org.opencontainers.artifactType": "application/vnd.cnab.manifest.v1"},
    });

    let answer = app.classify(&bundle).await;

    assert_conforming(&answer, "cnab/bundle", "artifactType");
}

#[actix_web::test]
async fn a_plain_index_falls_back_to_the_image_index_by_its_manifest_media_type() {
    let app = TestApp::spawn().await;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": format!("sha256:{:064x}", 1), "size": 500,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": format!("sha256:{:064x}", 2), "size": 500,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    });

    let answer = app.classify(&index).await;

    assert_conforming(&answer, "opencontainers/image-index", "manifestMediaType");
}

#[actix_web::test]
async fn a_docker_v2_manifest_is_a_docker_image_by_its_config_media_type() {
    let app = TestApp::spawn().await;

    let answer = app.classify(&docker_image()).await;

    assert_eq!(answer["document"], "dockerManifest");
    assert_conforming(&answer, "docker/image", "config.mediaType");
}

#[actix_web::test]
async fn a_docker_manifest_list_is_recognised_by_its_manifest_media_type() {
    let app = TestApp::spawn().await;
    let list = json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [
            {"mediaType": DOCKER_MANIFEST, "digest": format!("sha256:{:064x}", 1), "size": 500,
             "platform": {"os": "linux", "architecture": "amd64"}},
        ],
    });

    let answer = app.classify(&list).await;

    assert_eq!(answer["document"], "dockerManifestList");
    assert_conforming(&answer, "docker/manifest-list", "manifestMediaType");
}

#[actix_web::test]
async fn a_legacy_cosign_signature_is_recognised_by_its_simplesigning_layer() {
    let app = TestApp::spawn().await;
    let signature = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor("application/vnd.oci.image.config.v1+json", 1),
        "layers": [with_annotations(
            descriptor("application/vnd.dev.cosign.simplesigning.v1+json", 2),
            json!({"dev.cosignproject.cosign/signature": "MEUCIQ=="}),
        )],
    });

    let answer = app.classify(&signature).await;

    assert_conforming(&answer, "sigstore/cosign-signature", "layer");
}

#[actix_web::test]
async fn a_tekton_bundle_is_recognised_by_its_layer_annotations() {
    let app = TestApp::spawn().await;
    let task = |n, name: &str| {
        with_annotations(
            descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", n),
            json!({
                "dev.tekton.image.name": name,
                "dev.tekton.image.kind": "task",
                "dev.tekton.image.apiVersion": "v1",
            }),
        )
    };
    let bundle = json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST,
        "config": descriptor("application/vnd.docker.container.image.v1+json", 1),
        "layers": [task(2, "build"), task(3, "test")],
    });

    let answer = app.classify(&bundle).await;

    assert_conforming(&answer, "tekton/bundle", "match");
}

#[actix_web::test]
async fn a_sigstore_bundle_is_a_signature_or_an_attestation_by_its_predicate_type() {
    let app = TestApp::spawn().await;

    let signature = app.classify(&sigstore_bundle(SIGN_PREDICATE)).await;
    let attestation = app
        .classify(&sigstore_bundle("https://slsa.dev/provenance/v1"))
        .await;

    assert_conforming(&signature, "sigstore/bundle-signature", "artifactType");
    assert_conforming(&attestation, "sigstore/bundle-attestation", "artifactType");
}

#[actix_web::test]
async fn an_imgpkg_bundle_is_recognised_by_the_label_in_its_config_blob() {
    let app = TestApp::spawn().await;
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": {"dev.carvel.imgpkg.bundle": "true"}},
        "rootfs": {"type": "layers", "diff_ids": []},
    });

    let with_config = app
        .classify(&json!({"manifest": docker_image(), "config": config}))
        .await;
    let without_config = app.classify(&json!({"manifest": docker_image()})).await;

    assert_conforming(&with_config, "carvel/imgpkg-bundle", "match");
    assert_conforming(&without_config, "docker/image", "config.mediaType");
}

#[actix_web::test]
async fn a_manifest_nothing_matches_has_no_type() {
    let app = TestApp::spawn().await;
    let unknown = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.acme.nothing.v1",
        "config": descriptor(EMPTY_CONFIG, 1),
        "layers": [descriptor("application/vnd.acme.nothing.layer.v1", 2)],
    });

    let answer = app.classify(&unknown).await;

    assert_eq!(answer["type"], Value::Null);
    assert_eq!(answer["matchedBy"], Value::Null);
    assert_eq!(answer["conforms"], false);
    assert_eq!(problem_codes(&answer), ["unknown-type"]);
    assert_eq!(answer["actions"], json!([]));
}

#[actix_web::test]
async fn an_unknown_layer_and_too_many_layers_are_problems() {
    let app = TestApp::spawn().await;
    let mut manifest = helm_chart();
    manifest["layers"] = json!([
        descriptor(HELM_CHART, 2),
        descriptor(HELM_CHART, 3),
        descriptor("application/vnd.acme.surprise.v1", 4),
    ]);

    let answer = app.classify(&manifest).await;

    assert_eq!(answer["type"]["id"], "cncf/helm-chart");
    assert_eq!(answer["conforms"], false);
    assert_eq!(problem_codes(&answer), ["unknown-layer", "too-many-layers"]);
    let unknown = &answer["problems"][0]["message"];
    assert!(
        unknown
            .as_str()
            .unwrap()
            .contains("application/vnd.acme.surprise.v1"),
        "{unknown}"
    );
}

#[actix_web::test]
async fn a_signature_missing_its_parts_reports_each_one() {
    let app = TestApp::spawn().await;
    let mut signature = notation_signature();
    signature["layers"] = json!([]);
    signature["annotations"] = json!({});
    signature.as_object_mut().unwrap().remove("subject");

    let answer = app.classify(&signature).await;

    assert_eq!(answer["type"]["id"], "notaryproject/signature");
    assert_eq!(answer["conforms"], false);
    assert_eq!(
        problem_codes(&answer),
        ["missing-layer", "missing-annotation", "missing-subject"]
    );
    assert!(
        answer["problems"][1]["message"]
            .as_str()
            .unwrap()
            .contains(THUMBPRINT)
    );
}

#[actix_web::test]
async fn a_config_media_type_other_than_the_types_is_a_problem() {
    let app = TestApp::spawn().await;
    let mut signature = notation_signature();
    signature["config"] = descriptor("application/vnd.acme.config.v1+json", 1);

    let answer = app.classify(&signature).await;

    assert_eq!(answer["type"]["id"], "notaryproject/signature");
    assert_eq!(problem_codes(&answer), ["config-media-type"]);
}

#[actix_web::test]
async fn a_manifest_stored_under_the_wrong_manifest_media_type_is_a_problem() {
    let app = TestApp::spawn().await;
    let mut manifest = helm_chart();
    manifest["mediaType"] = json!(DOCKER_MANIFEST);

    let answer = app.classify(&manifest).await;

    assert_eq!(answer["type"]["id"], "cncf/helm-chart");
    assert_eq!(problem_codes(&answer), ["manifest-media-type"]);
}

#[actix_web::test]
async fn an_included_config_blob_is_validated_against_the_types_schema() {
    let app = TestApp::spawn().await;

    let invalid = app
        .classify(
            &json!({"manifest": helm_chart(), "config": {"apiVersion": "v9", "name": "webapp"}}),
        )
        .await;
    let valid = app
        .classify(&json!({
            "manifest": helm_chart(),
            "config": {"apiVersion": "v2", "name": "webapp", "version": "1.4.2"},
        }))
        .await;

    assert_eq!(invalid["conforms"], false);
    assert_eq!(
        problem_codes(&invalid),
        ["config-invalid", "config-invalid"]
    );
    let messages: Vec<&str> = invalid["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("/apiVersion")),
        "{messages:?}"
    );
    assert_conforming(&valid, "cncf/helm-chart", "layer");
}

#[actix_web::test]
async fn actions_are_filled_from_the_query() {
    let app = TestApp::spawn().await;

    let helm = app
        .classify_at(
            "/classify?registry=ghcr.io&repository=acme/charts/webapp&tag=1.4.2",
            &helm_chart(),
        )
        .await;
    let notation = app
        .classify_at(
            "/classify?registry=registry.example.com&repository=team/app&digest=sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
            &notation_signature(),
        )
        .await;

    assert_eq!(
        action(&helm, "install"),
        "helm install webapp oci://ghcr.io/acme/charts/webapp --version 1.4.2"
    );
    assert_eq!(
        action(&helm, "pull"),
        "helm pull oci://ghcr.io/acme/charts/webapp --version 1.4.2"
    );
    assert_eq!(
        action(&notation, "verify"),
        "notation verify registry.example.com/team/app@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
    );
    let install = helm["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "install")
        .unwrap();
    assert_eq!(install["label"], "Install with Helm");
    assert_eq!(install["docs"], "https://helm.sh/docs/topics/registries/");
}

#[actix_web::test]
async fn the_reference_placeholder_prefers_the_digest_over_the_tag() {
    let app = TestApp::spawn().await;

    let tagged = app
        .classify_at(
            "/classify?registry=r.example&repository=app&tag=v1",
            &docker_image(),
        )
        .await;
    let pinned = app
        .classify_at(
            "/classify?registry=r.example&repository=app&tag=v1&digest=sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
            &docker_image(),
        )
        .await;

    assert_eq!(action(&tagged, "pull"), "docker pull r.example/app:v1");
    assert_eq!(
        action(&pinned, "pull"),
        "docker pull r.example/app@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
    );
}

#[actix_web::test]
async fn placeholders_without_a_value_stay_visible() {
    let app = TestApp::spawn().await;

    let partial = app
        .classify_at("/classify?registry=ghcr.io&tag=", &helm_chart())
        .await;
    let bare = app.classify(&docker_image()).await;

    assert_eq!(
        action(&partial, "install"),
        "helm install {name} oci://ghcr.io/{repository} --version {tag}"
    );
    assert_eq!(
        action(&bare, "pull"),
        "docker pull {registry}/{repository}{reference}"
    );
}

#[actix_web::test]
async fn an_oci_artifact_manifest_of_the_image_spec_release_candidates_is_classified() {
    let app = TestApp::spawn().await;
    // The shape of oras-go's `spec.Artifact`: no config, `blobs` in place of `layers`.
    let sbom = json!({
        "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
        "artifactType": "application/spdx+json",
        "blobs": [descriptor("application/spdx+json", 1)],
        "subject": descriptor(OCI_MANIFEST, 2),
        "annotations": {"org.opencontainers.artifact.created": "2023-02-01T10:00:00Z"},
    });

    let answer = app.classify(&sbom).await;

    assert_eq!(answer["document"], "ociArtifactManifest");
    assert_conforming(&answer, "spdx/sbom", "artifactType");
}

#[actix_web::test]
async fn a_json_document_that_is_no_manifest_is_a_422_problem() {
    let app = TestApp::spawn().await;

    let response = app.post_json("/classify", &json!({"hello": "world"})).await;

    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not a manifest"),
        "{problem}"
    );
}

#[actix_web::test]
async fn manifests_typehouse_does_not_classify_are_422_problems_that_say_why() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"mediaType": "application/vnd.oci.artifact.manifest.v1+json", "blobs": []}),
            "artifactType",
        ),
        (
            json!({"schemaVersion": 1, "name": "library/busybox", "tag": "latest", "fsLayers": []}),
            "schemaVersion 1",
        ),
        (
            json!({"schemaVersion": 2, "mediaType": "text/plain", "config": descriptor("a/b", 1), "layers": []}),
            "text/plain",
        ),
        (
            json!({"schemaVersion": 2, "mediaType": OCI_INDEX}),
            "manifests",
        ),
        (
            json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": descriptor(HELM_CONFIG, 1)}),
            "layers",
        ),
        (json!([1, 2, 3]), "not a manifest"),
    ];

    for (body, named) in cases {
        let response = app.post_json("/classify", &body).await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(named), "`{detail}` should name `{named}`");
    }
}

/// Every metacharacter class, as a suffix that would create `MARKER` if a shell ran it.
const HOSTILE: [&str; 10] = [
    "$(touch MARKER)",
    "`touch MARKER`",
    ";touch MARKER",
    "&&touch MARKER",
    "|touch MARKER",
    ">MARKER",
    "\ntouch MARKER",
    "'$(touch MARKER)'",
    "\"$(touch MARKER)\"",
    " touch MARKER",
];
const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";
const VALID: [(&str, &str); 4] = [
    ("registry", "[::1]:5000"),
    ("repository", "acme/charts/webapp"),
    ("tag", "1.4.2"),
    ("digest", DIGEST),
];

/// `field=value&...` with every other field valid.
fn query_with(field: &str, value: &str) -> String {
    VALID
        .iter()
        .map(|(name, valid)| {
            let value = if *name == field { value } else { valid };
            let mut encoded = String::new();
            for byte in value.bytes() {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    encoded.push(byte as char);
                } else {
                    encoded.push_str(&format!("%{byte:02X}"));
                }
            }
            format!("{name}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Runs `command` in bash with its program replaced by `printf '%s\n'`, in an empty directory;
/// the words printed must be `argv` after the program, and nothing may be created.
pub fn assert_runs_as_argv(command: &str, argv: &[String]) {
    let program = &argv[0];
    let rest = command
        .strip_prefix(program.as_str())
        .unwrap_or_else(|| panic!("`{command}` starts with `{program}`"));
    let dir = tempfile::tempdir().expect("a directory");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s\\n'{rest}"))
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    let expected: String = argv[1..].iter().map(|w| format!("{w}\n")).collect();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        expected,
        "`{command}`"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("listed").count(),
        0,
        "`{command}` created a file"
    );
}

#[actix_web::test]
async fn hostile_values_in_every_field_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    for (field, valid) in VALID {
        for hostile in HOSTILE {
            let query = query_with(field, &format!("{valid}{hostile}"));
            let response = app
                .post_json(&format!("/classify?{query}"), &helm_chart())
                .await;
            let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
            let detail = problem["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains(&format!("`{field}`")) && detail.contains("grammar"),
                "{field} {hostile:?}: {detail}"
            );
            assert!(
                !detail.contains("MARKER"),
                "the refusal does not echo the value"
            );
        }
    }
    // The issue's own example.
    let response = app
        .post_json(
            "/classify?registry=r.example&repository=a;rm%20-rf%20~&tag=$(id)",
            &helm_chart(),
        )
        .await;
    let problem = assert_problem(response, StatusCode::BAD_REQUEST).await;
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("`repository`") && detail.contains("`tag`"),
        "{detail}"
    );
}

#[actix_web::test]
async fn filled_actions_carry_argv_and_their_commands_run_as_exactly_it() {
    let app = TestApp::spawn().await;
    let query = query_with("", "");
    for manifest in [helm_chart(), docker_image(), notation_signature()] {
        let answer = app
            .classify_at(&format!("/classify?{query}"), &manifest)
            .await;
        let actions = answer["actions"].as_array().expect("actions");
        assert!(!actions.is_empty(), "{answer}");
        for action in actions {
            let argv: Vec<String> =
                serde_json::from_value(action["argv"].clone()).expect("argv is filled");
            let command = action["command"].as_str().expect("command");
            assert!(
                command.contains("[::1]:5000/") && command.contains('\''),
                "{command}"
            );
            assert_runs_as_argv(command, &argv);
        }
    }
    // Without every value there is no argv, and the placeholders stay visible.
    let partial = app
        .classify_at("/classify?registry=ghcr.io", &helm_chart())
        .await;
    let install = &partial["actions"][0];
    assert!(install.get("argv").is_none(), "{install}");
}

#[actix_web::test]
async fn the_type_page_refuses_hostile_values_beside_the_field_and_leaves_templates_unfilled() {
    let app = TestApp::spawn().await;
    let html_get = |path: String| {
        app.request(reqwest::Method::GET, &path)
            .header("Accept", "text/html")
            .send()
    };
    let template = "helm install {name} oci://{registry}/{repository} --version {tag}";
    for (field, valid) in VALID {
        for hostile in HOSTILE {
            let query = query_with(field, &format!("{valid}{hostile}"));
            let response = html_get(format!("/types/cncf/helm-chart?{query}"))
                .await
                .expect("answered");
            assert_eq!(
                response.status(),
                StatusCode::BAD_REQUEST,
                "{field} {hostile:?}"
            );
            let page = response.text().await.expect("a page");
            assert!(
                page.contains(&format!(
                    "id=\"{field}-error\" data-error-for=\"{field}\">Not a valid {field}"
                )),
                "{field} {hostile:?}: no error beside the field"
            );
            assert!(
                page.contains(&format!("id=\"{field}\" name=\"{field}\""))
                    && page.contains("aria-invalid=\"true\""),
                "{field}"
            );
            let command = code_text(&page, "action-install");
            assert_eq!(command, template, "{field} {hostile:?}");
            assert!(!page.contains("<code") || !command.contains("MARKER"));
        }
    }
    let response = html_get(format!("/types/cncf/helm-chart?{}", query_with("", "")))
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.expect("a page");
    let command = code_text(&page, "action-install");
    assert_eq!(
        command,
        "helm install webapp 'oci://[::1]:5000/acme/charts/webapp' --version 1.4.2"
    );
    assert_runs_as_argv(
        &command,
        &[
            "helm",
            "install",
            "webapp",
            "oci://[::1]:5000/acme/charts/webapp",
            "--version",
            "1.4.2",
        ]
        .map(String::from),
    );
}

/// The text of `<code id="{id}" ...>` in a page, HTML entities decoded.
fn code_text(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("<code id=\"{id}\""))
        .unwrap_or_else(|| panic!("no `{id}` in the page"));
    let open_end = start + page[start..].find('>').expect("the tag closes") + 1;
    let close = open_end + page[open_end..].find("</code>").expect("closed");
    page[open_end..close]
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
