//! Artifacts pushed by real clients (skopeo, the ORAS library) to a real registry, fetched
//! back through the registry API and classified: type, conformance, actions.

use serde_json::{Value, json};
use tempfile::TempDir;
use typehouse::service::CatalogSource;

use crate::helpers::{
    EMPTY_CONFIG, OrasPush, Registry, Service, assert_classified, classify, matched_by, oci_layout,
    oras_push, push_image, skopeo_copy, tar_gz, write,
};

/// The smallest valid WebAssembly module: magic number and version.
const WASM_MODULE: &[u8] = b"\0asm\x01\0\0\0";

/// A Helm 3.8+ chart as `helm push` lays it out: the Chart.yaml metadata as the JSON config,
/// the chart archive as the one layer, the chart's name, version and description as manifest
/// annotations. Returns the tag (the chart version).
fn push_chart(registry: &Registry, files: &TempDir, repository: &str) -> &'static str {
    push_chart_as(registry, files, repository, "0.1.0");
    "0.1.0"
}

/// The same chart under `tag`.
pub fn push_chart_as(registry: &Registry, files: &TempDir, repository: &str, tag: &str) {
    let chart_yaml = b"apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: \"1.0.0\"\ndescription: Team B's chart for the app\ntype: application\n";
    let archive = tar_gz(&[
        ("app/Chart.yaml", chart_yaml),
        ("app/values.yaml", b"replicaCount: 1\nimage:\n  repository: app\n"),
        (
            "app/templates/configmap.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: hello\n",
        ),
    ]);
    let config = json!({
        "name": "app", "version": "0.1.0", "description": "Team B's chart for the app",
        "apiVersion": "v2", "appVersion": "1.0.0", "type": "application"
    });
    let config = write(
        files.path(),
        "chart-config.json",
        &serde_json::to_vec(&config).unwrap(),
    );
    let chart = write(files.path(), "app-0.1.0.tgz", &archive);
    oras_push(
        registry,
        OrasPush {
            target: &format!("{repository}:{tag}"),
            config: Some(format!("{config}:application/vnd.cncf.helm.config.v1+json")),
            files: vec![format!(
                "{chart}:application/vnd.cncf.helm.chart.content.v1.tar+gzip"
            )],
            annotations: vec![
                ("org.opencontainers.image.title", "app".into()),
                ("org.opencontainers.image.version", "0.1.0".into()),
                (
                    "org.opencontainers.image.description",
                    "Team B's chart for the app".into(),
                ),
            ],
            ..OrasPush::default()
        },
    );
}

#[actix_web::test]
async fn an_image_pushed_by_skopeo_is_an_oci_image_and_as_docker_v2_a_docker_image() {
    let registry = Registry::start().await;
    let location = format!("{}/team/app", registry.host);

    let oci = push_image(&registry, "team/app", "1.0.0", None).await;
    assert_eq!(
        oci.content_type,
        "application/vnd.oci.image.manifest.v1+json"
    );
    let config = registry
        .blob_json("team/app", oci.json["config"]["digest"].as_str().unwrap())
        .await;
    let answer = classify(
        &oci.json,
        Some(&config),
        &registry,
        "team/app",
        Some("1.0.0"),
        None,
    );
    let commands = assert_classified(&answer, "opencontainers/image", &location);
    assert_eq!(matched_by(&answer), "config.mediaType");
    assert_eq!(commands, [format!("docker pull {location}:1.0.0")]);

    // The same image converted by skopeo to the Docker v2 schema 2 format.
    let layout = TempDir::new().unwrap();
    oci_layout(layout.path(), "1.0.0");
    skopeo_copy(
        layout.path(),
        "1.0.0",
        &format!("{location}:1.0.0-docker"),
        Some("v2s2"),
    );
    let docker = registry.manifest("team/app", "1.0.0-docker").await;
    assert_eq!(
        docker.content_type,
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    let answer = classify(
        &docker.json,
        None,
        &registry,
        "team/app",
        Some("1.0.0-docker"),
        None,
    );
    assert_classified(&answer, "docker/image", &location);
}

#[actix_web::test]
async fn helm_wasm_sbom_and_generic_artifacts_pushed_with_oras_classify_as_their_types() {
    let registry = Registry::start().await;
    let files = TempDir::new().unwrap();

    // Helm chart.
    let tag = push_chart(&registry, &files, "charts/app");
    let chart = registry.manifest("charts/app", tag).await;
    let config = registry
        .blob_json(
            "charts/app",
            chart.json["config"]["digest"].as_str().unwrap(),
        )
        .await;
    let answer = classify(
        &chart.json,
        Some(&config),
        &registry,
        "charts/app",
        Some(tag),
        None,
    );
    let location = format!("{}/charts/app", registry.host);
    let commands = assert_classified(&answer, "cncf/helm-chart", &location);
    assert!(commands.contains(&format!(
        "helm install app oci://{location} --version 0.1.0"
    )));

    // Wasm, CNCF TAG-Runtime layout: the v0 config (validated against the type's schema) and
    // the module as an `application/wasm` layer.
    let module = write(files.path(), "module.wasm", WASM_MODULE);
    let wasm_config = json!({
        "created": "2026-01-01T00:00:00Z",
        "author": "Team C",
        "architecture": "wasm",
        "os": "wasip1",
        "layerDigests": [crate::helpers::sha256_digest(WASM_MODULE)]
    });
    let wasm_config_path = write(
        files.path(),
        "wasm-config.json",
        &serde_json::to_vec(&wasm_config).unwrap(),
    );
    oras_push(
        &registry,
        OrasPush {
            target: "wasm/hello:1.0.0",
            config: Some(format!(
                "{wasm_config_path}:application/vnd.wasm.config.v0+json"
            )),
            files: vec![format!("{module}:application/wasm")],
            ..OrasPush::default()
        },
    );
    // Wasm, the wasm-to-oci layout (also Kubewarden policies): config `{}`.
    let empty_json = write(files.path(), "empty.json", b"{}");
    oras_push(
        &registry,
        OrasPush {
            target: "wasm/hello:1.0.0-wasm-to-oci",
            config: Some(format!("{empty_json}:application/vnd.wasm.config.v1+json")),
            files: vec![format!(
                "{module}:application/vnd.wasm.content.layer.v1+wasm"
            )],
            ..OrasPush::default()
        },
    );
    // Generic: what the oras CLI writes by default (image-spec 1.1), and what the oras
    // library writes by default (no artifactType, the unknown config type).
    let notes = write(files.path(), "notes.txt", b"release notes\n");
    oras_push(
        &registry,
        OrasPush {
            target: "misc/notes:v1",
            artifact_type: Some("application/vnd.unknown.artifact.v1"),
            config: Some(format!(":{EMPTY_CONFIG}")),
            files: vec![format!("{notes}:application/vnd.oci.image.layer.v1.tar")],
            ..OrasPush::default()
        },
    );
    oras_push(
        &registry,
        OrasPush {
            target: "misc/notes:v1-library-default",
            files: vec![notes.clone()],
            ..OrasPush::default()
        },
    );
    // A CycloneDX SBOM on its own (no subject), as `oras push --artifact-type` writes it.
    let bom = write(
        files.path(),
        "bom.cdx.json",
        br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[]}"#,
    );
    oras_push(
        &registry,
        OrasPush {
            target: "misc/bom:v1",
            artifact_type: Some("application/vnd.cyclonedx+json"),
            config: Some(format!(":{EMPTY_CONFIG}")),
            files: vec![format!("{bom}:application/vnd.cyclonedx+json")],
            ..OrasPush::default()
        },
    );

    let cases: [(&str, &str, &str, bool, &str); 6] = [
        (
            "wasm/hello",
            "1.0.0",
            "cncf/wasm-artifact",
            true,
            "config.mediaType",
        ),
        (
            "wasm/hello",
            "1.0.0-wasm-to-oci",
            "wasm/module",
            true,
            // Spin applications carry the Wasm layer too, so the wasm-to-oci config decides.
            "config.mediaType",
        ),
        (
            "misc/notes",
            "v1",
            "oras/unknown-artifact",
            false,
            "artifactType",
        ),
        (
            "misc/notes",
            "v1-library-default",
            "oras/unknown-artifact",
            false,
            "config.mediaType",
        ),
        ("misc/bom", "v1", "cyclonedx/sbom", false, "artifactType"),
        ("charts/app", tag, "cncf/helm-chart", true, ""),
    ];
    for (repository, tag, id, with_config, step) in cases {
        let fetched = registry.manifest(repository, tag).await;
        assert_eq!(
            fetched.content_type,
            "application/vnd.oci.image.manifest.v1+json"
        );
        let config = if with_config {
            let digest = fetched.json["config"]["digest"].as_str().unwrap();
            Some(registry.blob_json(repository, digest).await)
        } else {
            None
        };
        let answer = classify(
            &fetched.json,
            config.as_ref(),
            &registry,
            repository,
            Some(tag),
            None,
        );
        assert_classified(&answer, id, &format!("{}/{repository}", registry.host));
        if !step.is_empty() {
            assert_eq!(matched_by(&answer), step, "{repository}:{tag}");
        }
    }
}

/// "Two teams, one repository, different tools": team A pushes the app's image with skopeo,
/// team B its Helm chart with oras, to the same repository under different tags; an SBOM and a
/// signature refer to the image through `subject`. Only typehouse tells a UI which is which.
#[actix_web::test]
async fn two_teams_one_repository_image_chart_sbom_and_signature_are_told_apart() {
    let registry = Registry::start().await;
    let files = TempDir::new().unwrap();
    let repository = "team/app";
    let location = format!("{}/{repository}", registry.host);

    let image = push_image(&registry, repository, "1.0.0", None).await;
    let chart_tag = push_chart(&registry, &files, repository);

    // The SBOM, as `oras attach --artifact-type application/spdx+json` writes it.
    let sbom = write(
        files.path(),
        "sbom.spdx.json",
        serde_json::to_vec(&json!({
            "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
            "name": "app-1.0.0", "documentNamespace": "https://example.com/spdx/app-1.0.0",
            "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: typehouse-test"]},
            "packages": [{"SPDXID": "SPDXRef-app", "name": "app", "downloadLocation": "NOASSERTION"}]
        }))
        .unwrap()
        .as_slice(),
    );
    oras_push(
        &registry,
        OrasPush {
            target: &format!("{repository}:1.0.0-sbom"),
            artifact_type: Some("application/spdx+json"),
            config: Some(format!(":{EMPTY_CONFIG}")),
            files: vec![format!("{sbom}:application/spdx+json")],
            annotations: vec![(
                "org.opencontainers.image.created",
                "2026-01-01T00:00:00Z".into(),
            )],
            subject: Some((&image.digest, image.size())),
        },
    );
    // The signature, shaped as notation writes it: empty config, one JWS envelope layer, the
    // certificate-chain thumbprint annotation, the image as subject.
    let envelope = write(
        files.path(),
        "signature.jws",
        br#"{"payload":"eyJ0YXJnZXRBcnRpZmFjdCI6e319","protected":"eyJhbGciOiJQUzI1NiJ9","header":{"x5c":[]},"signature":"c2lnbmF0dXJl"}"#,
    );
    let thumbprint = format!("[\"{}\"]", "ab".repeat(32));
    let signature = |target: String, with_annotation: bool| {
        let mut annotations = vec![(
            "org.opencontainers.image.created",
            "2026-01-01T00:00:00Z".to_string(),
        )];
        if with_annotation {
            annotations.push((
                "io.cncf.notary.x509chain.thumbprint#S256",
                thumbprint.clone(),
            ));
        }
        oras_push(
            &registry,
            OrasPush {
                target: &target,
                artifact_type: Some("application/vnd.cncf.notary.signature"),
                config: Some(format!(":{EMPTY_CONFIG}")),
                files: vec![format!("{envelope}:application/jose+json")],
                annotations,
                subject: Some((&image.digest, image.size())),
            },
        )
    };
    signature(format!("{repository}:1.0.0-signature"), true);
    signature(format!("{repository}:1.0.0-unsigned-chain"), false);

    // Every tag of the one repository, classified: each is a different type.
    let sbom = registry.manifest(repository, "1.0.0-sbom").await;
    let signed = registry.manifest(repository, "1.0.0-signature").await;
    let chart = registry.manifest(repository, chart_tag).await;
    assert_eq!(sbom.json["subject"]["digest"], json!(image.digest));
    assert_eq!(signed.json["subject"]["digest"], json!(image.digest));

    let image_answer = classify(
        &image.json,
        None,
        &registry,
        repository,
        Some("1.0.0"),
        None,
    );
    assert_classified(&image_answer, "opencontainers/image", &location);
    let chart_answer = classify(
        &chart.json,
        None,
        &registry,
        repository,
        Some(chart_tag),
        None,
    );
    let chart_commands = assert_classified(&chart_answer, "cncf/helm-chart", &location);
    assert!(chart_commands.contains(&format!(
        "helm install app oci://{location} --version 0.1.0"
    )));
    let sbom_answer = classify(
        &sbom.json,
        None,
        &registry,
        repository,
        None,
        Some(&sbom.digest),
    );
    let sbom_commands = assert_classified(&sbom_answer, "spdx/sbom", &location);
    assert_eq!(
        sbom_commands,
        [format!("oras pull {location}@{}", sbom.digest)]
    );
    // A signature's actions are about the signed artifact: the UI passes the subject digest.
    let signature_answer = classify(
        &signed.json,
        None,
        &registry,
        repository,
        None,
        Some(&image.digest),
    );
    let signature_commands =
        assert_classified(&signature_answer, "notaryproject/signature", &location);
    assert!(signature_commands.contains(&format!("notation verify {location}@{}", image.digest)));

    // A signature without the required thumbprint annotation is recognised but does not conform.
    let unsigned = registry.manifest(repository, "1.0.0-unsigned-chain").await;
    let answer = classify(&unsigned.json, None, &registry, repository, None, None);
    assert_eq!(
        answer.matched.as_ref().map(|m| m.id.as_str()),
        Some("notaryproject/signature")
    );
    assert!(!answer.conforms);
    assert!(
        answer
            .problems
            .iter()
            .any(|p| p.code == "missing-annotation"),
        "{:?}",
        answer.problems
    );

    // The real HTTP service answers the same for the chart, with the query filling actions.
    let service = Service::start(CatalogSource::Embedded)
        .await
        .expect("the service starts");
    let response = service
        .client
        .post(format!(
            "{}/classify?registry={}&repository={repository}&tag={chart_tag}",
            service.address, registry.host
        ))
        .header("Content-Type", "application/json")
        .body(chart.bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let served: Value = response.json().await.unwrap();
    assert_eq!(served["type"]["id"], "cncf/helm-chart");
    // Helm sets no artifactType; the chart layer type identifies it.
    assert_eq!(served["matchedBy"], "layer");
    assert_eq!(served["conforms"], true);
    assert_eq!(
        served["actions"],
        serde_json::to_value(&chart_answer.actions).unwrap()
    );

    // The referrers API (distribution-spec 1.1). distribution 2.8, Debian's docker-registry,
    // predates it and answers 404, so a UI on such a registry finds the SBOM and signature
    // through their `subject` (checked above) or a tag convention. A registry that implements
    // it lists both, with their artifact types, and each classifies as above.
    let response = registry
        .client
        .get(registry.url(&format!("/v2/{repository}/referrers/{}", image.digest)))
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        404 => {
            assert_eq!(
                response
                    .headers()
                    .get("docker-distribution-api-version")
                    .and_then(|v| v.to_str().ok()),
                Some("registry/2.0"),
                "a 404 comes from a registry without the referrers API"
            );
        }
        200 => {
            let index: Value = response.json().await.unwrap();
            let types: Vec<&str> = index["manifests"]
                .as_array()
                .expect("an image index")
                .iter()
                .filter_map(|m| m["artifactType"].as_str())
                .collect();
            assert!(types.contains(&"application/spdx+json"), "{index}");
            assert!(
                types.contains(&"application/vnd.cncf.notary.signature"),
                "{index}"
            );
            for entry in index["manifests"].as_array().unwrap() {
                let digest = entry["digest"].as_str().unwrap();
                let referrer = registry.manifest(repository, digest).await;
                let answer = classify(&referrer.json, None, &registry, repository, None, None);
                assert!(answer.matched.is_some(), "{digest} classifies");
            }
        }
        other => panic!("the referrers API answered {other}"),
    }
}
