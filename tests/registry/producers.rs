//! Every new and corrected catalog type, pushed to a real registry exactly as its producer
//! writes it (media types, config, annotations on the manifest, its layers and index entries,
//! manifest shape, `artifactType` and `subject` where the producer sets them), fetched back with
//! every manifest type accepted, as a registry UI does, and classified: the type and version,
//! `conforms`, `matchedBy` and the actions filled in with the registry, repository and tag.
//!
//! Producers that push with oras (Trivy's databases, Apptainer's SIF) are pushed with the ORAS
//! library; the others write their manifests themselves, so the test uploads blobs and the
//! manifest through the registry API as those producers do. The producer code each shape
//! follows is cited in `types/` and in `tests/fixtures/manifests/SOURCES.md`.

use serde_json::{Value, json};
use tempfile::TempDir;
use typehouse::catalog::classify::{self, Classification};
use typehouse::catalog::reference::{Reference, ReferenceInput};
use typehouse::service::CatalogSource;

use crate::helpers::{
    EMPTY_CONFIG, Fetched, OrasPush, Registry, Service, catalog, matched_by, oras_push, push_image,
    sha256_digest, write,
};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_IMAGE_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// One layer: its media type, content and descriptor annotations.
struct Layer<'a> {
    media_type: &'a str,
    content: Vec<u8>,
    annotations: Value,
    /// The descriptor's own `artifactType` (OpenTofu's provider package).
    artifact_type: Option<&'a str>,
}

fn layer<'a>(media_type: &'a str, content: &[u8]) -> Layer<'a> {
    Layer {
        media_type,
        content: content.to_vec(),
        annotations: Value::Null,
        artifact_type: None,
    }
}

fn annotated<'a>(media_type: &'a str, content: &[u8], annotations: Value) -> Layer<'a> {
    Layer {
        annotations,
        ..layer(media_type, content)
    }
}

/// A manifest as a producer writes it, before its blobs are uploaded.
struct Manifest<'a> {
    media_type: &'a str,
    artifact_type: Option<&'a str>,
    config_media_type: &'a str,
    config: Vec<u8>,
    layers: Vec<Layer<'a>>,
    annotations: Value,
    subject: Option<&'a Fetched>,
}

impl<'a> Manifest<'a> {
    fn new(config_media_type: &'a str, config: &[u8], layers: Vec<Layer<'a>>) -> Self {
        Self {
            media_type: OCI_MANIFEST,
            artifact_type: None,
            config_media_type,
            config: config.to_vec(),
            layers,
            annotations: Value::Null,
            subject: None,
        }
    }

    /// Uploads the config and layers, then the manifest under `reference`; answers the
    /// manifest JSON as pushed.
    async fn push(self, registry: &Registry, repository: &str, reference: &str) -> Value {
        let config = registry
            .put_blob(repository, self.config_media_type, &self.config)
            .await;
        let mut layers = Vec::new();
        for layer in &self.layers {
            let mut descriptor = registry
                .put_blob(repository, layer.media_type, &layer.content)
                .await;
            if !layer.annotations.is_null() {
                descriptor["annotations"] = layer.annotations.clone();
            }
            if let Some(artifact_type) = layer.artifact_type {
                descriptor["artifactType"] = json!(artifact_type);
            }
            layers.push(descriptor);
        }
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": config,
            "layers": layers,
        });
        if let Some(artifact_type) = self.artifact_type {
            manifest["artifactType"] = json!(artifact_type);
        }
        if let Some(subject) = self.subject {
            manifest["subject"] = descriptor_of(subject);
        }
        if !self.annotations.is_null() {
            manifest["annotations"] = self.annotations.clone();
        }
        put(registry, repository, reference, &manifest).await;
        manifest
    }
}

/// PUTs a manifest or index and asserts the registry stored it.
async fn put(registry: &Registry, repository: &str, reference: &str, manifest: &Value) {
    let response = registry.put_manifest(repository, reference, manifest).await;
    let status = response.status();
    assert_eq!(
        status,
        201,
        "PUT {repository}:{reference}: {}",
        response.text().await.unwrap_or_default()
    );
}

/// The descriptor of a manifest as served, for a `subject` or an index entry.
fn descriptor_of(fetched: &Fetched) -> Value {
    json!({"mediaType": fetched.content_type, "digest": fetched.digest, "size": fetched.size()})
}

/// What a classification must answer.
struct Expect<'a> {
    id: &'a str,
    version: &'a str,
    matched_by: &'a str,
    /// Every action's command, in order, fully rendered.
    commands: Vec<String>,
}

/// Fetches `reference` back as a registry UI does (every manifest type accepted), includes
/// the config blob where it is JSON, classifies with the real registry, repository, tag and
/// digest, and checks the answer. Returns it.
async fn classify_served(
    registry: &Registry,
    repository: &str,
    reference: &str,
    tag: Option<&str>,
    digest: Option<&str>,
    expect: Expect<'_>,
) -> Classification {
    let fetched = registry.manifest(repository, reference).await;
    let answer = classify_fetched(registry, repository, &fetched, tag, digest).await;
    check(&answer, &format!("{repository}:{reference}"), &expect);
    answer
}

async fn classify_fetched(
    registry: &Registry,
    repository: &str,
    fetched: &Fetched,
    tag: Option<&str>,
    digest: Option<&str>,
) -> Classification {
    let mut body = fetched.json.clone();
    if let Some(config_digest) = fetched.json["config"]["digest"].as_str() {
        let blob = registry
            .client
            .get(registry.url(&format!("/v2/{repository}/blobs/{config_digest}")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(sha256_digest(&blob), config_digest);
        // Bicep's module config is empty (size 0): there is nothing to include.
        if let Ok(config) = serde_json::from_slice::<Value>(&blob) {
            body = json!({"manifest": fetched.json, "config": config});
        }
    }
    let reference = Reference::parse(&ReferenceInput {
        registry: Some(registry.host.clone()),
        repository: Some(repository.to_string()),
        tag: tag.map(String::from),
        digest: digest.map(String::from),
    })
    .expect("the test's reference follows the grammar");
    classify::classify(&catalog(), &body, &reference).expect("the manifest is classifiable")
}

fn check(answer: &Classification, what: &str, expect: &Expect<'_>) {
    let pretty = serde_json::to_string_pretty(answer).unwrap();
    let matched = answer
        .matched
        .as_ref()
        .unwrap_or_else(|| panic!("{what}: expected {}, got no type: {pretty}", expect.id));
    assert_eq!(
        (matched.id.as_str(), matched.version.as_str()),
        (expect.id, expect.version),
        "{what}: {pretty}"
    );
    assert!(answer.conforms, "{what} does not conform: {pretty}");
    assert_eq!(matched_by(answer), expect.matched_by, "{what}: {pretty}");
    let commands: Vec<&str> = answer.actions.iter().map(|a| a.command.as_str()).collect();
    assert_eq!(commands, expect.commands, "{what}: actions");
}

fn tag_of_digest(digest: &str) -> String {
    digest.replace(':', "-")
}

/// An in-toto statement in a DSSE envelope, as cosign writes attestations.
fn dsse_envelope(predicate_type: &str) -> Vec<u8> {
    use base64::Engine as _;
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app", "digest": {"sha256": "ab".repeat(32)}}],
        "predicateType": predicate_type,
        "predicate": {}
    });
    let payload =
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&statement).unwrap());
    serde_json::to_vec(&json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": payload,
        "signatures": [{"keyid": "", "sig": "MEUCIQ=="}]
    }))
    .unwrap()
}

const SPDX_DOCUMENT: &[u8] = br#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"app","documentNamespace":"https://example.com/spdx/app","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: syft"]},"packages":[]}"#;

/// go-containerregistry's empty image config, which cosign writes under its own media types.
const GGCR_EMPTY_CONFIG: &[u8] = br#"{"architecture":"","created":"0001-01-01T00:00:00Z","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#;

#[actix_web::test]
async fn trivy_databases_sboms_signatures_and_attestations_classify_as_pushed() {
    let registry = Registry::start().await;
    let host = registry.host.clone();
    let files = TempDir::new().unwrap();

    // Trivy DB and Trivy Java DB: `oras push --artifact-type
    // application/vnd.aquasec.trivy.config.v1+json` (trivy-db and trivy-java-db cron.yml); the
    // ORAS library titles each layer with its file name. Same artifactType, told apart by the
    // layer.
    for (dir, file, layer_type, repository, tag) in [
        (
            "db",
            "db.tar.gz",
            "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip",
            "aquasecurity/trivy-db",
            "2",
        ),
        (
            "javadb",
            "javadb.tar.gz",
            "application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip",
            "aquasecurity/trivy-java-db",
            "1",
        ),
    ] {
        std::fs::create_dir(files.path().join(dir)).unwrap();
        let archive = crate::helpers::tar_gz(&[("metadata.json", br#"{"Version":2}"#)]);
        let path = write(&files.path().join(dir), file, &archive);
        oras_push(
            &registry,
            OrasPush {
                target: &format!("{repository}:{tag}"),
                artifact_type: Some("application/vnd.aquasec.trivy.config.v1+json"),
                config: Some(format!(":{EMPTY_CONFIG}")),
                files: vec![format!("{path}:{layer_type}")],
                ..OrasPush::default()
            },
        );
        let served = registry.manifest(repository, tag).await;
        assert_eq!(
            served.json["layers"][0]["annotations"]["org.opencontainers.image.title"],
            file
        );
    }
    classify_served(
        &registry,
        "aquasecurity/trivy-db",
        "2",
        Some("2"),
        None,
        Expect {
            id: "aquasecurity/trivy-db",
            version: "1.0.0",
            matched_by: "artifactType",
            commands: vec![
                format!(
                    "trivy image --download-db-only --db-repository {host}/aquasecurity/trivy-db:2"
                ),
                format!("oras pull {host}/aquasecurity/trivy-db:2"),
            ],
        },
    )
    .await;
    classify_served(
        &registry,
        "aquasecurity/trivy-java-db",
        "1",
        Some("1"),
        None,
        Expect {
            id: "aquasecurity/trivy-java-db",
            version: "1.0.0",
            matched_by: "artifactType",
            commands: vec![
                format!(
                    "trivy image --download-java-db-only --java-db-repository {host}/aquasecurity/trivy-java-db:1"
                ),
                format!("oras pull {host}/aquasecurity/trivy-java-db:1"),
            ],
        },
    )
    .await;

    // The image everything below attaches to.
    let repository = "team/app";
    let location = format!("{host}/{repository}");
    let image = push_image(&registry, repository, "1.0.0", None).await;
    let image_digest = image.digest.clone();
    let by_tag = tag_of_digest(&image_digest);

    // `cosign attach sbom --type syft` (tag mode): the OCI image config and one Syft layer
    // under `sha256-<hex>.sbom`. The actions are about the image: the UI passes its digest.
    let syft = br#"{"artifacts":[],"source":{"type":"image"},"descriptor":{"name":"syft","version":"1.0.0"},"schema":{"version":"16.0.0"}}"#;
    Manifest::new(
        OCI_IMAGE_CONFIG,
        GGCR_EMPTY_CONFIG,
        vec![layer("application/vnd.syft+json", syft)],
    )
    .push(&registry, repository, &format!("{by_tag}.sbom"))
    .await;
    classify_served(
        &registry,
        repository,
        &format!("{by_tag}.sbom"),
        None,
        Some(&image_digest),
        Expect {
            id: "anchore/syft-sbom",
            version: "1.0.0",
            matched_by: "layer",
            commands: vec![format!("cosign download sbom {location}@{image_digest}")],
        },
    )
    .await;

    // The pair: the same SPDX layer (`text/spdx+json`, cosign's SPDX JSON type) as a cosign
    // referrer (`--registry-referrers-mode=oci-1-1`: config
    // application/vnd.dev.cosign.artifact.sbom.v1+json, no artifactType, subject) and under
    // the `.sbom` tag with the image config (an SPDX SBOM).
    let mut referrer = Manifest::new(
        "application/vnd.dev.cosign.artifact.sbom.v1+json",
        GGCR_EMPTY_CONFIG,
        vec![layer("text/spdx+json", SPDX_DOCUMENT)],
    );
    referrer.subject = Some(&image);
    let pushed = referrer
        .push(&registry, repository, "cosign-sbom-referrer")
        .await;
    assert!(pushed.get("artifactType").is_none());
    classify_served(
        &registry,
        repository,
        "cosign-sbom-referrer",
        None,
        Some(&image_digest),
        Expect {
            id: "sigstore/cosign-artifact-sbom",
            version: "1.1.0",
            matched_by: "config.mediaType",
            commands: vec![],
        },
    )
    .await;
    Manifest::new(
        OCI_IMAGE_CONFIG,
        GGCR_EMPTY_CONFIG,
        vec![layer("text/spdx+json", SPDX_DOCUMENT)],
    )
    .push(&registry, repository, "spdx-sbom-tag")
    .await;
    let spdx = registry.manifest(repository, "spdx-sbom-tag").await;
    classify_served(
        &registry,
        repository,
        "spdx-sbom-tag",
        None,
        Some(&spdx.digest),
        Expect {
            id: "spdx/sbom",
            version: "1.0.1",
            matched_by: "layer",
            commands: vec![format!("oras pull {location}@{}", spdx.digest)],
        },
    )
    .await;

    // `cosign attest` (cosign v2, tag mode): DSSE envelope layers annotated `predicateType`
    // under `sha256-<hex>.att`.
    Manifest::new(
        OCI_IMAGE_CONFIG,
        GGCR_EMPTY_CONFIG,
        vec![annotated(
            "application/vnd.dsse.envelope.v1+json",
            &dsse_envelope("https://slsa.dev/provenance/v1"),
            json!({"predicateType": "https://slsa.dev/provenance/v1"}),
        )],
    )
    .push(&registry, repository, &format!("{by_tag}.att"))
    .await;
    let verify_attestation = format!(
        "cosign verify-attestation --type PREDICATE --certificate-identity IDENTITY --certificate-oidc-issuer ISSUER {location}@{image_digest}"
    );
    classify_served(
        &registry,
        repository,
        &format!("{by_tag}.att"),
        None,
        Some(&image_digest),
        Expect {
            id: "sigstore/cosign-attestation",
            version: "1.0.2",
            matched_by: "layer",
            commands: vec![verify_attestation.clone()],
        },
    )
    .await;

    // cosign v3 Sigstore bundles: one artifactType, told apart by the predicate type
    // annotation.
    let bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
    for (tag, predicate) in [
        ("bundle-signature", "https://sigstore.dev/cosign/sign/v1"),
        ("bundle-attestation", "https://slsa.dev/provenance/v1"),
    ] {
        let bundle = json!({"mediaType": bundle_type, "dsseEnvelope": {"payloadType": "application/vnd.in-toto+json"}});
        let mut manifest = Manifest::new(
            EMPTY_CONFIG,
            b"{}",
            vec![layer(bundle_type, &serde_json::to_vec(&bundle).unwrap())],
        );
        manifest.artifact_type = Some(bundle_type);
        manifest.subject = Some(&image);
        manifest.annotations = json!({
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate,
            "org.opencontainers.image.created": "2026-01-01T00:00:00Z"
        });
        manifest.push(&registry, repository, tag).await;
    }
    classify_served(
        &registry,
        repository,
        "bundle-signature",
        None,
        Some(&image_digest),
        Expect {
            id: "sigstore/bundle-signature",
            version: "1.0.2",
            matched_by: "artifactType",
            commands: vec![format!(
                "cosign verify {location}@{image_digest} --certificate-identity IDENTITY --certificate-oidc-issuer ISSUER"
            )],
        },
    )
    .await;
    classify_served(
        &registry,
        repository,
        "bundle-attestation",
        None,
        Some(&image_digest),
        Expect {
            id: "sigstore/bundle-attestation",
            version: "1.0.2",
            matched_by: "artifactType",
            commands: vec![verify_attestation.clone()],
        },
    )
    .await;

    // `cosign sign --registry-referrers-mode=oci-1-1`: artifactType and config
    // `ArtifactType("sig")`, the simple-signing layer with its signature annotation.
    let sig_type = "application/vnd.dev.cosign.artifact.sig.v1+json";
    let mut signature = Manifest::new(
        sig_type,
        GGCR_EMPTY_CONFIG,
        vec![annotated(
            "application/vnd.dev.cosign.simplesigning.v1+json",
            br#"{"critical":{"identity":{"docker-reference":"app"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}"#,
            json!({"dev.cosignproject.cosign/signature": "MEUCIQ=="}),
        )],
    );
    signature.artifact_type = Some(sig_type);
    signature.subject = Some(&image);
    signature
        .push(&registry, repository, "cosign-sig-referrer")
        .await;
    classify_served(
        &registry,
        repository,
        "cosign-sig-referrer",
        None,
        Some(&image_digest),
        Expect {
            id: "sigstore/cosign-artifact-signature",
            version: "1.0.2",
            matched_by: "artifactType",
            commands: vec![format!(
                "cosign verify --experimental-oci11 {location}@{image_digest} --certificate-identity IDENTITY --certificate-oidc-issuer ISSUER"
            )],
        },
    )
    .await;

    // An in-toto referrer (cosign's `WriteAttestationsReferrer`): artifactType
    // application/vnd.in-toto+json, the empty config, DSSE layers. No cosign command reads it,
    // so the type offers no action.
    let mut in_toto = Manifest::new(
        EMPTY_CONFIG,
        b"{}",
        vec![layer(
            "application/vnd.dsse.envelope.v1+json",
            &dsse_envelope("https://spdx.dev/Document"),
        )],
    );
    in_toto.artifact_type = Some("application/vnd.in-toto+json");
    in_toto.subject = Some(&image);
    in_toto
        .push(&registry, repository, "in-toto-referrer")
        .await;
    classify_served(
        &registry,
        repository,
        "in-toto-referrer",
        None,
        Some(&image_digest),
        Expect {
            id: "in-toto/attestation",
            version: "1.0.1",
            matched_by: "artifactType",
            commands: vec![],
        },
    )
    .await;
}

/// The smallest valid WebAssembly module: magic number and version.
const WASM_MODULE: &[u8] = b"\0asm\x01\0\0\0";

#[actix_web::test]
async fn spin_and_wasm_ollama_crossplane_and_docker_images_and_modelkits_are_told_apart() {
    let registry = Registry::start().await;
    let host = registry.host.clone();

    // `spin registry push`: an OCI image config (`architecture: wasm`, the locked app's digest
    // as a label), component and static-file layers, the locked application last, and the
    // annotations Spin infers.
    let locked = br#"{"spin_lock_version":1,"components":[{"id":"hello","source":{"content":{"digest":"sha256:00"}}}],"triggers":[]}"#;
    let spin_config = json!({
        "architecture": "wasm", "os": "wasip1",
        "config": {"Labels": {"com.fermyon.spin.lockedAppDigest": sha256_digest(locked)}},
        "rootfs": {"type": "layers", "diff_ids": []}
    });
    let mut spin = Manifest::new(
        OCI_IMAGE_CONFIG,
        &serde_json::to_vec(&spin_config).unwrap(),
        vec![
            layer("application/vnd.wasm.content.layer.v1+wasm", WASM_MODULE),
            layer(
                "application/vnd.wasm.content.layer.v1+data",
                b"<h1>hello</h1>\n",
            ),
            layer("application/vnd.fermyon.spin.application.v1+config", locked),
        ],
    );
    spin.annotations = json!({
        "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
        "org.opencontainers.image.title": "hello",
        "org.opencontainers.image.version": "0.1.0"
    });
    spin.push(&registry, "wasm/hello", "spin").await;
    classify_served(
        &registry,
        "wasm/hello",
        "spin",
        Some("spin"),
        None,
        Expect {
            id: "spinframework/spin-app",
            version: "1.0.0",
            matched_by: "layer",
            commands: vec![
                format!("spin up -f {host}/wasm/hello:spin"),
                format!("spin registry pull {host}/wasm/hello:spin"),
            ],
        },
    )
    .await;
    // `wasm-to-oci push`: the same Wasm layer under the wasm-to-oci config.
    Manifest::new(
        "application/vnd.wasm.config.v1+json",
        b"{}",
        vec![layer(
            "application/vnd.wasm.content.layer.v1+wasm",
            WASM_MODULE,
        )],
    )
    .push(&registry, "wasm/hello", "module")
    .await;
    classify_served(
        &registry,
        "wasm/hello",
        "module",
        Some("module"),
        None,
        Expect {
            id: "wasm/module",
            version: "2.0.0",
            matched_by: "config.mediaType",
            commands: vec![format!(
                "wasm-to-oci pull {host}/wasm/hello:module --out module.wasm"
            )],
        },
    )
    .await;

    // Ollama (`ollama create`, `ollama push`): a Docker v2 manifest and the Docker image config
    // media type holding Ollama's model config, then its model, template, license and params
    // layers.
    let ollama_config = json!({
        "model_format": "gguf", "model_family": "llama", "model_families": ["llama"],
        "model_type": "1B", "file_type": "Q4_0", "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []}
    });
    let mut ollama = Manifest::new(
        DOCKER_IMAGE_CONFIG,
        &serde_json::to_vec(&ollama_config).unwrap(),
        vec![
            layer("application/vnd.ollama.image.model", b"GGUF\x03\0\0\0"),
            layer(
                "application/vnd.ollama.image.template",
                b"{{ .System }} {{ .Prompt }}",
            ),
            layer("application/vnd.ollama.image.license", b"MIT License\n"),
            layer(
                "application/vnd.ollama.image.params",
                br#"{"stop":["</s>"]}"#,
            ),
        ],
    );
    ollama.media_type = DOCKER_MANIFEST;
    ollama.push(&registry, "library/tinyllama", "latest").await;
    let answer = classify_served(
        &registry,
        "library/tinyllama",
        "latest",
        Some("latest"),
        None,
        Expect {
            id: "ollama/model",
            version: "1.0.0",
            matched_by: "layer",
            commands: vec![
                format!("ollama pull {host}/library/tinyllama:latest"),
                format!("ollama run {host}/library/tinyllama:latest"),
            ],
        },
    )
    .await;
    assert_eq!(
        serde_json::to_value(answer.document).unwrap(),
        "dockerManifest"
    );

    // `crossplane xpkg push` on go-containerregistry's empty image: Docker media types, the
    // package.yaml layer annotated `io.crossplane.xpkg: base`, its value also a config label.
    let xpkg_config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"io.crossplane.xpkg": "base"}},
        "rootfs": {"type": "layers", "diff_ids": []}
    });
    let package_yaml = crate::helpers::tar_gz(&[(
        "package.yaml",
        b"apiVersion: meta.pkg.crossplane.io/v1\nkind: Provider\nmetadata:\n  name: provider-nop\n",
    )]);
    let xpkg = |architecture: &str| {
        let mut config = xpkg_config.clone();
        config["architecture"] = json!(architecture);
        let mut manifest = Manifest::new(
            DOCKER_IMAGE_CONFIG,
            &serde_json::to_vec(&config).unwrap(),
            vec![annotated(
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                &package_yaml,
                json!({"io.crossplane.xpkg": "base"}),
            )],
        );
        manifest.media_type = DOCKER_MANIFEST;
        manifest
    };
    xpkg("amd64")
        .push(&registry, "crossplane/provider-nop", "v0.1.0")
        .await;
    let push_command = |tag: &str| {
        format!("crossplane xpkg push -f provider-nop.xpkg {host}/crossplane/provider-nop:{tag}")
    };
    classify_served(
        &registry,
        "crossplane/provider-nop",
        "v0.1.0",
        Some("v0.1.0"),
        None,
        Expect {
            id: "crossplane/package",
            version: "1.1.0",
            matched_by: "match",
            commands: vec![push_command("v0.1.0")],
        },
    )
    .await;

    // A Docker image, same manifest and config media types, neither Ollama layers nor the
    // Crossplane annotation.
    let docker = push_image(&registry, "team/app", "1.0.0", Some("v2s2")).await;
    assert_eq!(docker.content_type, DOCKER_MANIFEST);
    classify_served(
        &registry,
        "team/app",
        "1.0.0",
        Some("1.0.0"),
        None,
        Expect {
            id: "docker/image",
            version: "1.0.1",
            matched_by: "config.mediaType",
            commands: vec![format!("docker pull {host}/team/app:1.0.0")],
        },
    )
    .await;

    // `crossplane xpkg push` of one package file per platform: each package under its
    // digest, then an OCI index (go-containerregistry's empty index) whose entries carry
    // only the media type and platform. Nothing in the index names Crossplane, so a UI
    // recognises the packages by classifying the entries it links to.
    let mut entries = Vec::new();
    for architecture in ["amd64", "arm64"] {
        let manifest = xpkg(architecture);
        let pushed = manifest
            .push(&registry, "crossplane/provider-nop", architecture)
            .await;
        let served = registry
            .manifest("crossplane/provider-nop", architecture)
            .await;
        assert_eq!(served.json, pushed);
        let mut entry = descriptor_of(&served);
        entry["platform"] = json!({"architecture": architecture, "os": "linux"});
        entries.push((entry, served));
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": entries.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>()
    });
    put(&registry, "crossplane/provider-nop", "v0.2.0", &index).await;
    classify_served(
        &registry,
        "crossplane/provider-nop",
        "v0.2.0",
        Some("v0.2.0"),
        None,
        Expect {
            id: "opencontainers/image-index",
            version: "1.0.1",
            matched_by: "manifestMediaType",
            commands: vec![format!("docker pull {host}/crossplane/provider-nop:v0.2.0")],
        },
    )
    .await;
    for (_, served) in &entries {
        let answer = classify_fetched(
            &registry,
            "crossplane/provider-nop",
            served,
            Some("v0.2.0"),
            None,
        )
        .await;
        check(
            &answer,
            &served.digest,
            &Expect {
                id: "crossplane/package",
                version: "1.1.0",
                matched_by: "match",
                commands: vec![push_command("v0.2.0")],
            },
        );
    }

    // `kit pack` and `kit push`: the ModelKit manifest artifactType (an alias of the type),
    // the Kitfile as config, model and docs layers, the CLI version annotation.
    let kitfile = json!({
        "manifestVersion": "1.0.0",
        "package": {"name": "tiny", "description": "A tiny model"},
        "model": {"name": "tiny", "path": "model.gguf"},
        "docs": [{"path": "README.md"}]
    });
    let mut modelkit = Manifest::new(
        "application/vnd.kitops.modelkit.config.v1+json",
        &serde_json::to_vec(&kitfile).unwrap(),
        vec![
            layer(
                "application/vnd.kitops.modelkit.model.v1.tar",
                &crate::helpers::tar_gz(&[("model.gguf", b"GGUF")]),
            ),
            layer(
                "application/vnd.kitops.modelkit.docs.v1.tar",
                &crate::helpers::tar_gz(&[("README.md", b"# tiny\n")]),
            ),
        ],
    );
    modelkit.artifact_type = Some("application/vnd.kitops.modelkit.manifest.v1+json");
    modelkit.annotations = json!({"ml.kitops.modelkit.cli-version": "1.5.0"});
    modelkit.push(&registry, "models/tiny", "v1").await;
    classify_served(
        &registry,
        "models/tiny",
        "v1",
        Some("v1"),
        None,
        Expect {
            id: "kitops/modelkit",
            version: "1.1.0",
            matched_by: "artifactType",
            commands: vec![
                format!("kit pull {host}/models/tiny:v1"),
                format!("kit unpack {host}/models/tiny:v1 -d ./tiny"),
            ],
        },
    )
    .await;
}

#[actix_web::test]
async fn falco_homebrew_cnab_devcontainers_timoni_bicep_policies_tofu_sif_and_soci_classify_as_pushed()
 {
    let registry = Registry::start().await;
    let host = registry.host.clone();
    let files = TempDir::new().unwrap();

    // `falcoctl registry push --type plugin`: oras-go's `Pack` (image manifest, the Falco
    // plugin config, the archive titled with its file name, a creation annotation), then an
    // OCI index whose entries carry the platform and, as oras-go's descriptor does, the
    // manifest's artifactType (its config media type) and annotations. Always an index.
    let falco_config = "application/vnd.cncf.falco.plugin.config.v1+json";
    let mut entries = Vec::new();
    for (os, architecture) in [("linux", "amd64"), ("linux", "arm64")] {
        let config = json!({"name": "k8saudit", "version": "0.7.0", "dependencies": [],
            "requirements": [{"name": "plugin_api_version", "version": "3.0.0"}]});
        let file = format!("k8saudit-0.7.0-{os}-{architecture}.tar.gz");
        let mut manifest = Manifest::new(
            falco_config,
            &serde_json::to_vec(&config).unwrap(),
            vec![annotated(
                "application/vnd.cncf.falco.plugin.layer.v1+tar.gz",
                &crate::helpers::tar_gz(&[("libk8saudit.so", architecture.as_bytes())]),
                json!({"org.opencontainers.image.title": file}),
            )],
        );
        let annotations = json!({"org.opencontainers.image.created": "2026-01-01T00:00:00Z"});
        manifest.annotations = annotations.clone();
        manifest
            .push(&registry, "falco/k8saudit", architecture)
            .await;
        let served = registry.manifest("falco/k8saudit", architecture).await;
        let mut entry = descriptor_of(&served);
        entry["artifactType"] = json!(falco_config);
        entry["annotations"] = annotations;
        entry["platform"] = json!({"os": os, "architecture": architecture});
        entries.push((entry, served));
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": entries.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
        "annotations": {"org.opencontainers.image.source": "https://github.com/falcosecurity/plugins"}
    });
    put(&registry, "falco/k8saudit", "0.7.0", &index).await;
    let install = format!("falcoctl artifact install {host}/falco/k8saudit:0.7.0");
    classify_served(
        &registry,
        "falco/k8saudit",
        "0.7.0",
        Some("0.7.0"),
        None,
        Expect {
            id: "falco/plugin",
            version: "1.0.1",
            matched_by: "artifactType",
            commands: vec![install.clone()],
        },
    )
    .await;
    for (_, served) in &entries {
        let answer =
            classify_fetched(&registry, "falco/k8saudit", served, Some("0.7.0"), None).await;
        check(
            &answer,
            &served.digest,
            &Expect {
                id: "falco/plugin",
                version: "1.0.1",
                matched_by: "layer",
                commands: vec![install.clone()],
            },
        );
    }

    // `brew pr-upload`: one image manifest per platform (the image config, the bottle titled
    // with its file name, `sh.brew.*` annotations), then an index whose entries repeat the
    // bottle annotations and whose own annotations are general.
    let mut entries = Vec::new();
    for (tag, platform) in [
        (
            "1.7.1.arm64_sonoma",
            json!({"architecture": "arm64", "os": "darwin", "os.version": "macOS 14"}),
        ),
        (
            "1.7.1.x86_64_linux",
            json!({"architecture": "amd64", "os": "linux"}),
        ),
    ] {
        let bottle = crate::helpers::tar_gz(&[("jq/1.7.1/bin/jq", tag.as_bytes())]);
        let annotations = json!({
            "org.opencontainers.image.created": "2026-01-01",
            "org.opencontainers.image.ref.name": tag,
            "org.opencontainers.image.title": format!("jq {tag}"),
            "org.opencontainers.image.version": "1.7.1",
            "sh.brew.bottle.cpu.variant": "",
            "sh.brew.bottle.digest": sha256_digest(&bottle).trim_start_matches("sha256:"),
            "sh.brew.bottle.size": bottle.len().to_string(),
            "sh.brew.tab": "{\"homebrew_version\":\"4.4.0\"}"
        });
        let config = json!({"architecture": platform["architecture"], "os": platform["os"],
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&bottle)]}});
        let mut manifest = Manifest::new(
            OCI_IMAGE_CONFIG,
            &serde_json::to_vec(&config).unwrap(),
            vec![annotated(
                "application/vnd.oci.image.layer.v1.tar+gzip",
                &bottle,
                json!({"org.opencontainers.image.title": format!("jq--{tag}.bottle.tar.gz")}),
            )],
        );
        manifest.annotations = annotations.clone();
        manifest.push(&registry, "homebrew/core/jq", tag).await;
        let served = registry.manifest("homebrew/core/jq", tag).await;
        let mut entry = descriptor_of(&served);
        entry["platform"] = platform;
        entry["annotations"] = annotations;
        entries.push((entry, served));
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": entries.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
        "annotations": {
            "com.github.package.type": "homebrew_bottle",
            "org.opencontainers.image.ref.name": "1.7.1",
            "org.opencontainers.image.title": "jq 1.7.1",
            "org.opencontainers.image.version": "1.7.1"
        }
    });
    put(&registry, "homebrew/core/jq", "1.7.1", &index).await;
    let bottle = |matched_by| Expect {
        id: "homebrew/bottle",
        version: "1.0.2",
        matched_by,
        commands: vec!["brew install FORMULA".to_string()],
    };
    classify_served(
        &registry,
        "homebrew/core/jq",
        "1.7.1",
        Some("1.7.1"),
        None,
        bottle("match"),
    )
    .await;
    for (_, served) in &entries {
        let answer = classify_fetched(&registry, "homebrew/core/jq", served, None, None).await;
        check(&answer, &served.digest, &bottle("match"));
    }

    // cnab-to-oci's fallback where a registry refuses an OCI index: a Docker manifest list
    // with the same entries and annotations. The bundle.json is the config of the `config`
    // entry; the invocation image is an ordinary image.
    let bundle_json = br#"{"schemaVersion":"v1.0.0","name":"helloworld","version":"0.1.1","invocationImages":[{"imageType":"docker","image":"example/helloworld:0.1.1"}]}"#;
    Manifest::new("application/vnd.cnab.config.v1+json", bundle_json, vec![])
        .push(&registry, "cnab/helloworld", "bundle-config")
        .await;
    let config_entry = registry.manifest("cnab/helloworld", "bundle-config").await;
    let invocation = push_image(&registry, "cnab/helloworld", "invocation", Some("v2s2")).await;
    let mut config_descriptor = descriptor_of(&config_entry);
    config_descriptor["annotations"] = json!({"io.cnab.manifest.type": "config"});
    let mut invocation_descriptor = descriptor_of(&invocation);
    invocation_descriptor["annotations"] = json!({"io.cnab.manifest.type": "invocation"});
    let list = json!({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [config_descriptor, invocation_descriptor],
        "annotations": {
            "io.cnab.keywords": "[\"helloworld\"]",
            "io.cnab.runtime_version": "v1.0.0",
            "org.opencontainers.artifactType": "application/vnd.cnab.manifest.v1",
            "org.opencontainers.image.title": "helloworld",
            "org.opencontainers.image.version": "0.1.1"
        }
    });
    put(&registry, "cnab/helloworld", "0.1.1", &list).await;
    let served = registry.manifest("cnab/helloworld", "0.1.1").await;
    assert_eq!(served.content_type, DOCKER_LIST);
    classify_served(
        &registry,
        "cnab/helloworld",
        "0.1.1",
        None,
        Some(&served.digest),
        Expect {
            id: "cnab/bundle",
            version: "1.1.0",
            matched_by: "annotation",
            commands: vec![format!(
                "cnab-to-oci pull {host}/cnab/helloworld@{}",
                served.digest
            )],
        },
    )
    .await;

    // `devcontainer features publish` and `templates publish`: config application/vnd.devcontainers
    // holding `{}`, the archive titled `devcontainer-<kind>-<id>.tgz`, the metadata
    // annotation. The title tells them apart.
    for (kind, id) in [("feature", "node"), ("template", "go")] {
        let mut manifest = Manifest::new(
            "application/vnd.devcontainers",
            b"{}",
            vec![annotated(
                "application/vnd.devcontainers.layer.v1+tar",
                &crate::helpers::tar_gz(&[(format!("devcontainer-{kind}.json").as_str(), b"{}")]),
                json!({"org.opencontainers.image.title": format!("devcontainer-{kind}-{id}.tgz")}),
            )],
        );
        manifest.annotations = json!({
            "dev.containers.metadata": format!("{{\"id\":\"{id}\",\"version\":\"1.4.1\"}}")
        });
        manifest
            .push(&registry, &format!("devcontainers/{kind}s/{id}"), "1.4.1")
            .await;
    }
    classify_served(
        &registry,
        "devcontainers/features/node",
        "1.4.1",
        Some("1.4.1"),
        None,
        Expect {
            id: "devcontainers/feature",
            version: "1.0.0",
            matched_by: "match",
            commands: vec![format!(
                "devcontainer features info manifest {host}/devcontainers/features/node:1.4.1"
            )],
        },
    )
    .await;
    classify_served(
        &registry,
        "devcontainers/templates/go",
        "1.4.1",
        Some("1.4.1"),
        None,
        Expect {
            id: "devcontainers/template",
            version: "1.0.0",
            matched_by: "match",
            commands: vec![format!(
                "devcontainer templates apply -t {host}/devcontainers/templates/go:1.4.1"
            )],
        },
    )
    .await;

    // `timoni mod push`: the Timoni config, vendor and module layers annotated
    // `sh.timoni.content.type`, the version, source, revision and images annotations.
    let timoni_layer = "application/vnd.timoni.content.v1.tar+gzip";
    let mut timoni = Manifest::new(
        "application/vnd.timoni.config.v1+json",
        b"{}",
        vec![
            annotated(
                timoni_layer,
                &crate::helpers::tar_gz(&[(
                    "cue.mod/module.cue",
                    b"module: \"timoni.sh/redis\"\n",
                )]),
                json!({"sh.timoni.content.type": "module/vendor"}),
            ),
            annotated(
                timoni_layer,
                &crate::helpers::tar_gz(&[("timoni.cue", b"package main\n")]),
                json!({"sh.timoni.content.type": "module"}),
            ),
        ],
    );
    timoni.annotations = json!({
        "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
        "org.opencontainers.image.revision": "74ab9cc2fbee3459505706f5fb7c2742ecffbf5d",
        "org.opencontainers.image.source": "https://github.com/stefanprodan/timoni",
        "org.opencontainers.image.version": "1.0.0",
        "sh.timoni.images": "redis:7.2"
    });
    timoni.push(&registry, "modules/redis", "1.0.0").await;
    classify_served(
        &registry,
        "modules/redis",
        "1.0.0",
        Some("1.0.0"),
        None,
        Expect {
            id: "timoni/module",
            version: "1.0.0",
            matched_by: "layer",
            commands: vec![
                format!(
                    "timoni mod pull oci://{host}/modules/redis --version 1.0.0 --output ./redis"
                ),
                format!("timoni apply redis oci://{host}/modules/redis --version 1.0.0"),
            ],
        },
    )
    .await;

    // `bicep publish --with-source`: the module artifactType, the empty config (size 0), the
    // ARM template and the source archive as layers.
    let mut module = Manifest::new(
        "application/vnd.ms.bicep.module.config.v1+json",
        b"",
        vec![
            layer(
                "application/vnd.ms.bicep.module.layer.v1+json",
                br#"{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[]}"#,
            ),
            layer(
                "application/vnd.ms.bicep.module.source.v1.tar+gzip",
                &crate::helpers::tar_gz(&[("main.bicep", b"param location string\n")]),
            ),
        ],
    );
    module.artifact_type = Some("application/vnd.ms.bicep.module.artifact");
    module.annotations = json!({"org.opencontainers.image.description": "A storage account"});
    module.push(&registry, "bicep/modules/storage", "v1").await;
    classify_served(
        &registry,
        "bicep/modules/storage",
        "v1",
        Some("v1"),
        None,
        Expect {
            id: "microsoft/bicep-module",
            version: "1.1.0",
            matched_by: "artifactType",
            commands: vec![format!(
                "bicep publish main.bicep --target br:{host}/bicep/modules/storage:v1 --with-source"
            )],
        },
    )
    .await;
    // `bicep publish-extension --bin-linux-x64`: the extension artifactType and config, the
    // types archive and one binary.
    let mut extension = Manifest::new(
        "application/vnd.ms.bicep.provider.config.v1+json",
        br#"{"localDeployEnabled":true,"supportedArchitectures":["linux-x64"]}"#,
        vec![
            layer(
                "application/vnd.ms.bicep.provider.layer.v1.tar+gzip",
                &crate::helpers::tar_gz(&[("index.json", b"{}")]),
            ),
            layer(
                "application/vnd.ms.bicep.provider.layer.v1.linux-x64.binary",
                b"\x7fELF",
            ),
        ],
    );
    extension.artifact_type = Some("application/vnd.ms.bicep.provider.artifact");
    extension
        .push(&registry, "bicep/extensions/local", "v1")
        .await;
    classify_served(
        &registry,
        "bicep/extensions/local",
        "v1",
        Some("v1"),
        None,
        Expect {
            id: "microsoft/bicep-extension",
            version: "1.0.0",
            matched_by: "artifactType",
            commands: vec![format!(
                "bicep publish-extension index.json --target br:{host}/bicep/extensions/local:v1"
            )],
        },
    )
    .await;

    // `conftest push`: ORAS' unknown config holding `{}`, one layer per .rego file and per
    // data document, each titled with its path.
    Manifest::new(
        "application/vnd.unknown.config.v1+json",
        b"{}",
        vec![
            annotated(
                "application/vnd.cncf.openpolicyagent.policy.layer.v1+rego",
                b"package main\n\ndeny[msg] { false; msg := \"\" }\n",
                json!({"org.opencontainers.image.title": "policy/deny.rego"}),
            ),
            annotated(
                "application/vnd.cncf.openpolicyagent.data.layer.v1+json",
                br#"{"allowed":["nginx"]}"#,
                json!({"org.opencontainers.image.title": "policy/data.json"}),
            ),
        ],
    )
    .push(&registry, "policies/conftest", "v1")
    .await;
    classify_served(
        &registry,
        "policies/conftest",
        "v1",
        Some("v1"),
        None,
        Expect {
            id: "openpolicyagent/conftest-bundle",
            version: "2.0.0",
            matched_by: "layer",
            commands: vec![
                format!("conftest pull oci://{host}/policies/conftest:v1"),
                format!("conftest push {host}/policies/conftest:v1"),
            ],
        },
    )
    .await;

    // `kyverno oci push`: the Kyverno config, one policy layer annotated with its kind, name
    // and API version.
    Manifest::new(
        "application/vnd.cncf.kyverno.config.v1+json",
        b"{}",
        vec![annotated(
            "application/vnd.cncf.kyverno.policy.layer.v1+yaml",
            b"apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: require-labels\n",
            json!({
                "io.kyverno.image.apiVersion": "kyverno.io/v1",
                "io.kyverno.image.kind": "ClusterPolicy",
                "io.kyverno.image.name": "require-labels"
            }),
        )],
    )
    .push(&registry, "policies/kyverno", "v1")
    .await;
    classify_served(
        &registry,
        "policies/kyverno",
        "v1",
        Some("v1"),
        None,
        Expect {
            id: "kyverno/policy",
            version: "1.0.1",
            matched_by: "layer",
            commands: vec![
                format!("kyverno oci pull ./policies -i {host}/policies/kyverno:v1"),
                format!("kyverno oci push policy.yaml -i {host}/policies/kyverno:v1"),
            ],
        },
    )
    .await;

    // One platform of an OpenTofu provider: the provider-target artifactType, the empty
    // config, the zip package whose descriptor carries the providerpkg artifactType.
    let mut target = Manifest::new(
        EMPTY_CONFIG,
        b"{}",
        vec![Layer {
            artifact_type: Some("application/vnd.opentofu.providerpkg"),
            ..layer(
                "archive/zip",
                b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            )
        }],
    );
    target.artifact_type = Some("application/vnd.opentofu.provider-target");
    target
        .push(&registry, "opentofu/provider-random", "linux_amd64")
        .await;
    let served = registry
        .manifest("opentofu/provider-random", "linux_amd64")
        .await;
    assert_eq!(
        served.json["layers"][0]["artifactType"],
        "application/vnd.opentofu.providerpkg"
    );
    classify_served(
        &registry,
        "opentofu/provider-random",
        "linux_amd64",
        Some("linux_amd64"),
        None,
        Expect {
            id: "opentofu/provider-target",
            version: "1.0.1",
            matched_by: "artifactType",
            commands: vec![],
        },
    )
    .await;

    // `apptainer push hello.sif oras://...` (oras-go): the SIF config holding `{}`, exactly
    // one layer, the SIF file titled with its name.
    let sif = write(
        files.path(),
        "hello.sif",
        b"#!/usr/bin/env run-singularity\nSIF_MAGIC",
    );
    let sif_config = write(files.path(), "sif-config.json", b"{}");
    oras_push(
        &registry,
        OrasPush {
            target: "hpc/hello:latest",
            config: Some(format!(
                "{sif_config}:application/vnd.sylabs.sif.config.v1+json"
            )),
            files: vec![format!("{sif}:application/vnd.sylabs.sif.layer.v1.sif")],
            ..OrasPush::default()
        },
    );
    classify_served(
        &registry,
        "hpc/hello",
        "latest",
        Some("latest"),
        None,
        Expect {
            id: "sylabs/sif",
            version: "1.0.1",
            matched_by: "layer",
            commands: vec![format!("apptainer pull oras://{host}/hpc/hello:latest")],
        },
    )
    .await;

    // SOCI indexes (`soci/soci_index.go`, `MarshalIndex`): an image manifest without
    // artifactType, the config media type naming the version and holding `{}`, zTOC layers
    // annotated with the image layer they index, the build tool annotation.
    let image = push_image(&registry, "soci/app", "1.0.0", None).await;
    let image_layer = &image.json["layers"][0];
    let ztoc = || {
        annotated(
            "application/octet-stream",
            b"ztoc",
            json!({
                "com.amazon.soci.image-layer-digest": image_layer["digest"],
                "com.amazon.soci.image-layer-mediaType": image_layer["mediaType"]
            }),
        )
    };
    // v1, `soci create` and `soci push`: a referrer of the image.
    let mut v1 = Manifest::new(
        "application/vnd.amazon.soci.index.v1+json",
        b"{}",
        vec![ztoc()],
    );
    v1.subject = Some(&image);
    v1.annotations = json!({"com.amazon.soci.build-tool-identifier": "AWS SOCI CLI v0.9.0"});
    v1.push(&registry, "soci/app", "soci-v1").await;
    classify_served(
        &registry,
        "soci/app",
        "soci-v1",
        None,
        None,
        Expect {
            id: "aws/soci-index",
            version: "1.0.0",
            matched_by: "config.mediaType",
            commands: vec![],
        },
    )
    .await;
    // v2, `soci convert`: no subject; an image index holds the image (annotated with the
    // SOCI index digest) and the SOCI index (annotated with the image digest).
    let mut v2 = Manifest::new(
        "application/vnd.amazon.soci.index.v2+json",
        b"{}",
        vec![ztoc()],
    );
    v2.annotations = json!({"com.amazon.soci.build-tool-identifier": "AWS SOCI CLI v0.10.0"});
    v2.push(&registry, "soci/app", "soci-v2").await;
    let soci = classify_served(
        &registry,
        "soci/app",
        "soci-v2",
        None,
        None,
        Expect {
            id: "aws/soci-index-v2",
            version: "1.0.0",
            matched_by: "config.mediaType",
            commands: vec![],
        },
    )
    .await;
    assert!(soci.problems.is_empty());
    let v2_served = registry.manifest("soci/app", "soci-v2").await;
    let mut image_entry = descriptor_of(&image);
    image_entry["platform"] = json!({"architecture": "amd64", "os": "linux"});
    image_entry["annotations"] = json!({"com.amazon.soci.index-digest": v2_served.digest});
    let mut soci_entry = descriptor_of(&v2_served);
    soci_entry["artifactType"] = json!("application/vnd.amazon.soci.index.v2+json");
    soci_entry["platform"] = json!({"architecture": "amd64", "os": "linux"});
    soci_entry["annotations"] = json!({"com.amazon.soci.image-manifest-digest": image.digest});
    let converted = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [image_entry, soci_entry]
    });
    put(&registry, "soci/app", "1.0.0-soci", &converted).await;
    // The converted image is still an image: the index is what `docker pull` pulls.
    classify_served(
        &registry,
        "soci/app",
        "1.0.0-soci",
        Some("1.0.0-soci"),
        None,
        Expect {
            id: "opencontainers/image-index",
            version: "1.0.1",
            matched_by: "manifestMediaType",
            commands: vec![format!("docker pull {host}/soci/app:1.0.0-soci")],
        },
    )
    .await;
}

/// Types no tool writes any more are kept (published versions are immutable), still answer
/// the artifacts that exist, and say they are deprecated: in the classification, and with
/// `Deprecation` and a successor `Link` on the type itself.
#[actix_web::test]
async fn deprecated_types_still_classify_and_say_so() {
    let registry = Registry::start().await;
    let repository = "legacy/app";
    let image = push_image(&registry, repository, "1.0.0", None).await;

    // What version 1.0.0 of `microsoft/bicep-module-sources` described: a referrer with the
    // sources artifactType. And the cosign attestation referrer of
    // `sigstore/cosign-artifact-attestation`: artifactType and config `ArtifactType("att")`.
    let mut sources = Manifest::new(
        EMPTY_CONFIG,
        b"{}",
        vec![layer(
            "application/vnd.ms.bicep.module.source.v1.tar+gzip",
            &crate::helpers::tar_gz(&[("main.bicep", b"param location string\n")]),
        )],
    );
    sources.artifact_type = Some("application/vnd.ms.bicep.module.sources");
    sources.subject = Some(&image);
    sources.push(&registry, repository, "bicep-sources").await;
    let att_type = "application/vnd.dev.cosign.artifact.att.v1+json";
    let mut attestation = Manifest::new(
        att_type,
        GGCR_EMPTY_CONFIG,
        vec![layer(
            "application/vnd.dsse.envelope.v1+json",
            &dsse_envelope("https://slsa.dev/provenance/v1"),
        )],
    );
    attestation.artifact_type = Some(att_type);
    attestation.subject = Some(&image);
    attestation
        .push(&registry, repository, "cosign-att-referrer")
        .await;

    let service = Service::start(CatalogSource::Embedded)
        .await
        .expect("the service starts");
    for (tag, id, version, successor) in [
        (
            "bicep-sources",
            "microsoft/bicep-module-sources",
            "1.1.0",
            "microsoft/bicep-module",
        ),
        (
            "cosign-att-referrer",
            "sigstore/cosign-artifact-attestation",
            "1.1.0",
            "sigstore/bundle-attestation",
        ),
    ] {
        let answer = classify_served(
            &registry,
            repository,
            tag,
            None,
            Some(&image.digest),
            Expect {
                id,
                version,
                matched_by: "artifactType",
                commands: vec![],
            },
        )
        .await;
        let matched = answer.matched.as_ref().unwrap();
        assert_eq!(
            serde_json::to_value(matched.status).unwrap(),
            "deprecated",
            "{id}"
        );
        assert_eq!(matched.deprecated_by.as_deref(), Some(successor));

        // The HTTP service answers the same for the manifest the registry serves...
        let fetched = registry.manifest(repository, tag).await;
        let response = service
            .client
            .post(format!(
                "{}/classify?registry={}&repository={repository}&digest={}",
                service.address, registry.host, image.digest
            ))
            .header("Content-Type", "application/json")
            .body(fetched.bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let served: Value = response.json().await.unwrap();
        assert_eq!(served["type"]["id"], id);
        assert_eq!(served["type"]["status"], "deprecated");
        assert_eq!(served["type"]["deprecatedBy"], successor);
        // ...and the type's own document carries the deprecation headers.
        let response = service
            .client
            .get(format!("{}/types/{id}", service.address))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        assert_eq!(header("deprecation").as_deref(), Some("true"), "{id}");
        assert_eq!(
            header("link"),
            Some(format!("</types/{successor}>; rel=\"successor-version\"")),
            "{id}"
        );
        let document: Value = response.json().await.unwrap();
        assert_eq!(document["status"], "deprecated");
    }
    // An active type says so, and its document has no deprecation header.
    let answer = classify_served(
        &registry,
        repository,
        "1.0.0",
        Some("1.0.0"),
        None,
        Expect {
            id: "opencontainers/image",
            version: "1.0.1",
            matched_by: "config.mediaType",
            commands: vec![format!("docker pull {}/{repository}:1.0.0", registry.host)],
        },
    )
    .await;
    let matched = answer.matched.as_ref().unwrap();
    assert_eq!(serde_json::to_value(matched.status).unwrap(), "active");
    assert_eq!(matched.deprecated_by, None);
    let response = service
        .client
        .get(format!("{}/types/microsoft/bicep-module", service.address))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("deprecation").is_none());
}

/// The OCI artifact manifest of the image-spec 1.1 release candidates
/// (`application/vnd.oci.artifact.manifest.v1+json`, `blobs` instead of config and layers).
/// distribution 2.8 predates it and refuses to store it, so this registry cannot serve one;
/// the test asserts the refusal and classifies the manifest a producer would have pushed
/// (notation 1.0's release candidates, `oras attach` of oras 1.0's) locally instead.
#[actix_web::test]
async fn the_registry_refuses_the_oci_artifact_manifest_which_classifies_locally() {
    let registry = Registry::start().await;
    let repository = "team/app";
    let image = push_image(&registry, repository, "1.0.0", None).await;
    let sbom = registry
        .put_blob(repository, "application/spdx+json", SPDX_DOCUMENT)
        .await;
    let mut blob = sbom.clone();
    blob["annotations"] = json!({"org.opencontainers.image.title": "sbom.spdx.json"});
    let artifact = json!({
        "mediaType": "application/vnd.oci.artifact.manifest.v1+json",
        "artifactType": "application/spdx+json",
        "blobs": [blob],
        "subject": descriptor_of(&image),
        "annotations": {"org.opencontainers.artifact.created": "2026-01-01T00:00:00Z"}
    });
    let response = registry
        .put_manifest(repository, "sbom-artifact-manifest", &artifact)
        .await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(
        status, 400,
        "distribution 2.8 stored an artifact manifest: {body}"
    );
    assert!(body.contains("MANIFEST_INVALID"), "{body}");
    let fetch = registry
        .client
        .get(registry.url(&format!(
            "/v2/{repository}/manifests/sbom-artifact-manifest"
        )))
        .header(
            "Accept",
            format!(
                "{}, application/vnd.oci.artifact.manifest.v1+json",
                crate::helpers::ACCEPT_MANIFESTS
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(fetch.status(), 404, "nothing was stored");

    let digest = sha256_digest(&serde_json::to_vec(&artifact).unwrap());
    let reference = Reference::parse(&ReferenceInput {
        registry: Some(registry.host.clone()),
        repository: Some(repository.to_string()),
        tag: None,
        digest: Some(digest.clone()),
    })
    .expect("the test's reference follows the grammar");
    let answer = classify::classify(&catalog(), &artifact, &reference).unwrap();
    assert_eq!(
        serde_json::to_value(answer.document).unwrap(),
        "ociArtifactManifest"
    );
    let digest = digest.as_str();
    check(
        &answer,
        "the artifact manifest",
        &Expect {
            id: "spdx/sbom",
            version: "1.0.1",
            matched_by: "artifactType",
            commands: vec![format!("oras pull {}/{repository}@{digest}", registry.host)],
        },
    );
}
