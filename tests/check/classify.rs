//! The classification rules on a synthetic catalog: evidence several types share does not
//! identify, the most specific evidence wins, every level a producer pushes is recognised, and
//! the OCI artifact manifest of the image-spec 1.1 release candidates is read. The media types
//! are the producers' own; the definitions are cut down to what classification reads.

use serde_json::{Value, json};
use typehouse::catalog::Catalog;
use typehouse::catalog::classify::{Classification, ClassifyError, classify};
use typehouse::catalog::reference::Reference;
use typehouse::catalog::rules;

use crate::helpers::{CATALOG_YAML, Fixture, shipped_definition_schema};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const ARTIFACT_MANIFEST: &str = "application/vnd.oci.artifact.manifest.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const EMPTY: &str = "application/vnd.oci.empty.v1+json";
const WASM_CONFIG: &str = "application/vnd.wasm.config.v1+json";
const WASM_LAYER: &str = "application/vnd.wasm.content.layer.v1+wasm";
const SPIN_CONFIG: &str = "application/vnd.fermyon.spin.application.v1+config";
const TRIVY: &str = "application/vnd.aquasec.trivy.config.v1+json";
const SPDX: &str = "application/spdx+json";
const COSIGN_SBOM: &str = "application/vnd.dev.cosign.artifact.sbom.v1+json";
const IN_TOTO: &str = "application/vnd.in-toto+json";
const CYCLONEDX: &str = "application/vnd.cyclonedx+json";

/// One type: its id and the parts of a definition classification reads.
fn definition(name: &str, body: &str) -> String {
    format!(
        "version: 1.0.0\nname: {name}\nsummary: {name}, for tests\nstatus: active\n{body}\
         links:\n  spec: https://example.com/spec\nowners:\n  - name: Test\n    url: https://example.com\n"
    )
}

/// A catalog whose types share evidence the way the real ones do.
fn catalog() -> Catalog {
    let fixture = Fixture::empty();
    fixture
        .write("catalog.yaml", CATALOG_YAML)
        .write("definition.schema.json", shipped_definition_schema());
    let types = [
        (
            "docker/image",
            format!(
                "artifactType: {DOCKER_CONFIG}\nmanifestMediaTypes: [{DOCKER_MANIFEST}]\n\
                 config:\n  mediaType: {DOCKER_CONFIG}\n\
                 layers:\n  - mediaType: {DOCKER_LAYER}\n    title: Layer\n"
            ),
        ),
        (
            "opencontainers/image",
            format!(
                "artifactType: {OCI_CONFIG}\nconfig:\n  mediaType: {OCI_CONFIG}\n\
                 layers:\n  - mediaType: {OCI_LAYER}\n    title: Layer\n"
            ),
        ),
        (
            "opencontainers/image-index",
            format!("artifactType: {OCI_INDEX}\nmanifestMediaTypes: [{OCI_INDEX}]\n"),
        ),
        // Ollama: the Docker image config and layers of its own (the template layer is not
        // marked identifying: a layer no other type declares outranks a shared config).
        (
            "ollama/model",
            format!(
                "match: []\nmanifestMediaTypes: [{DOCKER_MANIFEST}]\n\
                 config:\n  mediaType: {DOCKER_CONFIG}\n  identifying: false\n\
                 layers:\n  - mediaType: application/vnd.ollama.image.model\n    title: Weights\n    required: true\n    identifying: true\n\
                 \x20 - mediaType: application/vnd.ollama.image.template\n    title: Template\n"
            ),
        ),
        (
            "crossplane/package",
            format!(
                "match:\n  - annotation: io.crossplane.xpkg\n    in: layer\n    equals: base\n\
                 manifestMediaTypes: [{DOCKER_MANIFEST}, {OCI_MANIFEST}, {OCI_INDEX}]\n\
                 config:\n  mediaType: {DOCKER_CONFIG}\n  identifying: false\n\
                 layers:\n  - mediaTypes: [{DOCKER_LAYER}, {OCI_LAYER}]\n    title: Layer\n"
            ),
        ),
        (
            "wasm/module",
            format!(
                "artifactType: {WASM_CONFIG}\nconfig:\n  mediaType: {WASM_CONFIG}\n\
                 layers:\n  - mediaType: {WASM_LAYER}\n    title: Module\n    required: true\n    identifying: true\n"
            ),
        ),
        // Spin: an ordinary image config, the Wasm module layer shared with `wasm/module`, and
        // the locked application as a layer of its own (named `+config`, but a layer).
        (
            "spin/application",
            format!(
                "config:\n  mediaType: {OCI_CONFIG}\n  identifying: false\n\
                 layers:\n  - mediaType: {SPIN_CONFIG}\n    title: Locked app\n    identifying: true\n\
                 \x20 - mediaType: {WASM_LAYER}\n    title: Component\n\
                 \x20 - mediaType: application/vnd.wasm.content.layer.v1+data\n    title: Static file\n"
            ),
        ),
        // Trivy DB and Java DB: one `artifactType`, each its own identifying layer.
        (
            "aquasecurity/trivy-db",
            format!(
                "artifactType: {TRIVY}\n\
                 layers:\n  - mediaType: application/vnd.aquasec.trivy.db.layer.v1.tar+gzip\n    title: DB\n    required: true\n    identifying: true\n"
            ),
        ),
        (
            "aquasecurity/trivy-java-db",
            format!(
                "artifactType: {TRIVY}\n\
                 layers:\n  - mediaType: application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip\n    title: Java DB\n    required: true\n    identifying: true\n"
            ),
        ),
        (
            "spdx/sbom",
            format!(
                "artifactType: {SPDX}\nsubject: optional\n\
                 layers:\n  - mediaType: {SPDX}\n    title: SPDX\n    identifying: true\n"
            ),
        ),
        (
            "cyclonedx/sbom",
            format!(
                "artifactType: {CYCLONEDX}\n\
                 layers:\n  - mediaType: {CYCLONEDX}\n    title: CycloneDX\n    identifying: true\n"
            ),
        ),
        // A cosign SBOM attachment: its own config, the SPDX layer shared with `spdx/sbom`.
        (
            "sigstore/cosign-artifact-sbom",
            format!(
                "artifactType: {COSIGN_SBOM}\nconfig:\n  mediaType: {COSIGN_SBOM}\n\
                 layers:\n  - mediaType: {SPDX}\n    title: SPDX\n"
            ),
        ),
        (
            "docker/attestation-manifest",
            format!(
                "artifactType: application/vnd.docker.attestation.manifest.v1+json\n\
                 config:\n  mediaType: {EMPTY}\n\
                 layers:\n  - mediaType: {IN_TOTO}\n    title: Statement\n    required: true\n"
            ),
        ),
        (
            "in-toto/attestation",
            format!(
                "artifactType: {IN_TOTO}\nconfig:\n  mediaType: {EMPTY}\n\
                 layers:\n  - mediaType: application/vnd.dsse.envelope.v1+json\n    title: Envelope\n"
            ),
        ),
        (
            "homebrew/bottle",
            format!(
                "match:\n  - annotation: sh.brew.bottle.digest\n    in: manifest\n\
                 manifestMediaTypes: [{OCI_MANIFEST}, {OCI_INDEX}]\n\
                 config:\n  mediaType: {OCI_CONFIG}\n  identifying: false\n\
                 layers:\n  - mediaType: {OCI_LAYER}\n    title: Bottle\n    maxCount: 1\n"
            ),
        ),
        (
            "falco/plugin",
            format!(
                "artifactType: application/vnd.cncf.falco.plugin.config.v1+json\n\
                 manifestMediaTypes: [{OCI_MANIFEST}, {OCI_INDEX}]\n\
                 config:\n  mediaType: application/vnd.cncf.falco.plugin.config.v1+json\n\
                 layers:\n  - mediaType: application/vnd.cncf.falco.plugin.layer.v1+tar.gz\n    title: Plugin\n    identifying: true\n"
            ),
        ),
    ];
    for (id, body) in types {
        let body = body.replace("match: []\n", "");
        fixture.write(&format!("{id}/1.0.0.yaml"), definition(id, &body));
    }
    match Catalog::load(fixture.files()) {
        Ok((catalog, _)) => catalog,
        Err(diagnostics) => panic!("the test catalog loads: {diagnostics:#?}"),
    }
}

fn descriptor(media_type: &str, n: u32) -> Value {
    json!({"mediaType": media_type, "digest": format!("sha256:{n:064x}"), "size": 100 + n})
}

fn annotated(mut descriptor: Value, annotations: Value) -> Value {
    descriptor["annotations"] = annotations;
    descriptor
}

fn manifest(media_type: &str, config: &str, layers: &[&str]) -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config, 1),
        "layers": layers.iter().zip(2..).map(|(m, n)| descriptor(m, n)).collect::<Vec<_>>(),
    })
}

fn run(catalog: &Catalog, document: &Value) -> Classification {
    classify(catalog, document, &Reference::default()).expect("the document is classified")
}

/// The matched type and the step, as `id by step`.
fn answer(catalog: &Catalog, document: &Value) -> String {
    let answer = run(catalog, document);
    let id = answer.matched.map_or("nothing".to_string(), |m| m.id);
    let by = serde_json::to_value(answer.matched_by).unwrap();
    format!("{id} by {}", by.as_str().unwrap_or("nothing"))
}

#[test]
fn a_spin_application_is_told_from_a_wasm_module_by_its_locked_app_layer() {
    let catalog = catalog();
    let spin = manifest(
        OCI_MANIFEST,
        OCI_CONFIG,
        &[
            WASM_LAYER,
            WASM_LAYER,
            "application/vnd.wasm.content.layer.v1+data",
            SPIN_CONFIG,
        ],
    );
    let module = manifest(OCI_MANIFEST, WASM_CONFIG, &[WASM_LAYER]);
    let unknown_config = manifest(OCI_MANIFEST, "application/vnd.acme.thing", &[WASM_LAYER]);

    assert_eq!(answer(&catalog, &spin), "spin/application by layer");
    assert!(run(&catalog, &spin).conforms);
    assert_eq!(answer(&catalog, &module), "wasm/module by config.mediaType");
    // The shared layer still names the type that marks it identifying when nothing else does.
    assert_eq!(answer(&catalog, &unknown_config), "wasm/module by layer");
}

#[test]
fn an_ollama_model_and_a_crossplane_package_are_told_from_a_docker_image() {
    let catalog = catalog();
    let model = manifest(
        DOCKER_MANIFEST,
        DOCKER_CONFIG,
        &[
            "application/vnd.ollama.image.model",
            "application/vnd.ollama.image.template",
        ],
    );
    let mut package = manifest(DOCKER_MANIFEST, DOCKER_CONFIG, &[DOCKER_LAYER]);
    package["layers"][0]["annotations"] = json!({"io.crossplane.xpkg": "base"});
    let image = manifest(
        DOCKER_MANIFEST,
        DOCKER_CONFIG,
        &[DOCKER_LAYER, DOCKER_LAYER],
    );

    assert_eq!(answer(&catalog, &model), "ollama/model by layer");
    assert!(run(&catalog, &model).conforms);
    assert_eq!(answer(&catalog, &package), "crossplane/package by match");
    assert!(run(&catalog, &package).conforms);
    assert_eq!(answer(&catalog, &image), "docker/image by config.mediaType");
}

#[test]
fn a_layer_only_one_type_declares_outranks_a_config_several_types_share() {
    let catalog = catalog();
    // The Ollama layer here is not marked identifying; no other type declares it.
    let template_only = manifest(
        DOCKER_MANIFEST,
        DOCKER_CONFIG,
        &["application/vnd.ollama.image.template"],
    );

    assert_eq!(answer(&catalog, &template_only), "ollama/model by layer");
}

#[test]
fn trivy_db_and_trivy_java_db_share_an_artifact_type_and_are_told_apart_by_their_layer() {
    let catalog = catalog();
    let db = |layer: &str| {
        let mut document = manifest(OCI_MANIFEST, EMPTY, &[layer]);
        document["artifactType"] = json!(TRIVY);
        document
    };
    // Before oras 1.0, the artifact type was the config media type.
    let legacy = manifest(
        OCI_MANIFEST,
        TRIVY,
        &["application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip"],
    );

    let trivy_db = db("application/vnd.aquasec.trivy.db.layer.v1.tar+gzip");
    let java_db = db("application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip");
    assert_eq!(
        answer(&catalog, &trivy_db),
        "aquasecurity/trivy-db by artifactType"
    );
    assert!(run(&catalog, &trivy_db).conforms);
    assert_eq!(
        answer(&catalog, &java_db),
        "aquasecurity/trivy-java-db by artifactType"
    );
    assert!(run(&catalog, &java_db).conforms);
    assert_eq!(
        answer(&catalog, &legacy),
        "aquasecurity/trivy-java-db by layer"
    );
}

#[test]
fn a_config_one_type_owns_outranks_a_layer_several_types_use() {
    let catalog = catalog();
    let cosign = manifest(OCI_MANIFEST, COSIGN_SBOM, &[SPDX]);
    let mut oras = manifest(OCI_MANIFEST, EMPTY, &[SPDX]);
    oras["artifactType"] = json!(SPDX);
    // Under a generic image config the shared SPDX layer still identifies.
    let legacy = manifest(OCI_MANIFEST, OCI_CONFIG, &[SPDX]);

    assert_eq!(
        answer(&catalog, &cosign),
        "sigstore/cosign-artifact-sbom by config.mediaType"
    );
    // A layer only another type declares does not outrank the config either.
    let cosign_cyclonedx = manifest(OCI_MANIFEST, COSIGN_SBOM, &[CYCLONEDX]);
    assert_eq!(
        answer(&catalog, &cosign_cyclonedx),
        "sigstore/cosign-artifact-sbom by config.mediaType"
    );
    assert_eq!(
        answer(&catalog, &manifest(OCI_MANIFEST, EMPTY, &[CYCLONEDX])),
        "cyclonedx/sbom by layer"
    );
    assert_eq!(answer(&catalog, &oras), "spdx/sbom by artifactType");
    assert_eq!(answer(&catalog, &legacy), "spdx/sbom by layer");
}

#[test]
fn a_buildkit_attestation_manifest_is_recognised_on_its_own() {
    let catalog = catalog();
    let statement = |n| {
        annotated(
            descriptor(IN_TOTO, n),
            json!({"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}),
        )
    };
    // BuildKit's default: an ordinary image config over in-toto statements, OCI or Docker.
    let oci = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, 1), "layers": [statement(2), statement(3)],
    });
    let docker = json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
        "config": descriptor(DOCKER_CONFIG, 1), "layers": [statement(2)],
    });
    // With `oci-artifact=true`: the empty config, `artifactType` and `subject`.
    let artifact = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.docker.attestation.manifest.v1+json",
        "config": descriptor(EMPTY, 1), "layers": [statement(2)],
        "subject": descriptor(OCI_MANIFEST, 4),
    });

    assert_eq!(
        answer(&catalog, &oci),
        "docker/attestation-manifest by layer"
    );
    assert_eq!(
        answer(&catalog, &docker),
        "docker/attestation-manifest by layer"
    );
    assert_eq!(
        answer(&catalog, &artifact),
        "docker/attestation-manifest by artifactType"
    );
    assert!(run(&catalog, &artifact).conforms);
}

fn index(entries: Vec<Value>) -> Value {
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
}

fn entry(n: u32, os: &str, architecture: &str, annotations: Value) -> Value {
    let mut entry = descriptor(OCI_MANIFEST, n);
    entry["platform"] = json!({"os": os, "architecture": architecture});
    annotated(entry, annotations)
}

#[test]
fn a_homebrew_bottle_index_is_recognised_by_what_its_entries_carry() {
    let catalog = catalog();
    let bottle = |n, os, architecture| {
        entry(
            n,
            os,
            architecture,
            json!({"sh.brew.bottle.digest": format!("{n:064x}"), "org.opencontainers.image.ref.name": "1.0.arm64_sonoma"}),
        )
    };
    let bottles = index(vec![
        bottle(1, "darwin", "arm64"),
        bottle(2, "linux", "amd64"),
    ]);
    let child = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, 1), "layers": [descriptor(OCI_LAYER, 2)],
        "annotations": {"sh.brew.bottle.digest": format!("{:064x}", 2)},
    });

    assert_eq!(answer(&catalog, &bottles), "homebrew/bottle by match");
    assert!(run(&catalog, &bottles).conforms);
    assert_eq!(answer(&catalog, &child), "homebrew/bottle by match");
}

#[test]
fn an_index_is_recognised_by_its_entries_artifact_type() {
    let catalog = catalog();
    let plugin = |n, architecture| {
        let mut entry = entry(n, "linux", architecture, json!({}));
        entry["artifactType"] = json!("application/vnd.cncf.falco.plugin.config.v1+json");
        entry
    };
    let plugins = index(vec![plugin(1, "amd64"), plugin(2, "arm64")]);

    assert_eq!(answer(&catalog, &plugins), "falco/plugin by artifactType");
}

#[test]
fn an_index_stays_an_image_index_unless_every_content_entry_agrees() {
    let catalog = catalog();
    let attestation = entry(
        3,
        "unknown",
        "unknown",
        json!({"vnd.docker.reference.type": "attestation-manifest",
               "vnd.docker.reference.digest": format!("sha256:{:064x}", 1)}),
    );
    let bottle = entry(1, "darwin", "arm64", json!({"sh.brew.bottle.digest": "ab"}));
    let image = entry(2, "linux", "amd64", json!({}));
    // An SBOM entry (a referrers listing, say) names a type that does not live in indexes.
    let mut sbom = descriptor(OCI_MANIFEST, 4);
    sbom["artifactType"] = json!(SPDX);

    let images = index(vec![image.clone(), attestation.clone()]);
    let mixed = index(vec![bottle.clone(), image]);
    let bottle_with_attestation = index(vec![bottle, attestation]);
    let referrers = index(vec![sbom]);

    assert_eq!(
        answer(&catalog, &images),
        "opencontainers/image-index by manifestMediaType"
    );
    assert_eq!(
        answer(&catalog, &mixed),
        "opencontainers/image-index by manifestMediaType"
    );
    assert_eq!(
        answer(&catalog, &bottle_with_attestation),
        "homebrew/bottle by match"
    );
    assert_eq!(
        answer(&catalog, &referrers),
        "opencontainers/image-index by manifestMediaType"
    );
}

#[test]
fn an_oci_artifact_manifest_is_classified_by_its_artifact_type_and_its_blobs_are_checked() {
    let catalog = catalog();
    let artifact = |blobs: Vec<Value>| {
        json!({
            "mediaType": ARTIFACT_MANIFEST,
            "artifactType": SPDX,
            "blobs": blobs,
            "subject": descriptor(OCI_MANIFEST, 9),
            "annotations": {"org.opencontainers.artifact.created": "2023-01-01T00:00:00Z"},
        })
    };

    let good = run(&catalog, &artifact(vec![descriptor(SPDX, 1)]));
    let bad = run(
        &catalog,
        &artifact(vec![descriptor(SPDX, 1), descriptor("text/plain", 2)]),
    );
    let without_blobs = json!({"mediaType": ARTIFACT_MANIFEST, "artifactType": TRIVY});

    assert_eq!(
        serde_json::to_value(good.document).unwrap(),
        "ociArtifactManifest"
    );
    assert_eq!(good.matched.unwrap().id, "spdx/sbom");
    assert!(good.conforms, "{:?}", good.problems);
    assert_eq!(
        bad.problems.iter().map(|p| p.code).collect::<Vec<_>>(),
        ["unknown-layer"]
    );
    // Nothing tells the two Trivy types apart: the first by id, stable.
    assert_eq!(
        answer(&catalog, &without_blobs),
        "aquasecurity/trivy-db by artifactType"
    );
}

#[test]
fn an_artifact_manifest_without_artifact_type_or_with_a_config_is_refused() {
    let catalog = catalog();
    let cases = [
        (
            json!({"mediaType": ARTIFACT_MANIFEST, "blobs": []}),
            "artifactType",
        ),
        (
            json!({"mediaType": ARTIFACT_MANIFEST, "artifactType": SPDX,
                   "config": descriptor(EMPTY, 1), "layers": []}),
            "blobs",
        ),
        (
            json!({"manifest": {"mediaType": ARTIFACT_MANIFEST, "artifactType": SPDX}, "config": {}}),
            "no config",
        ),
    ];
    for (document, named) in cases {
        match classify(&catalog, &document, &Reference::default()) {
            Err(ClassifyError::Malformed(message)) => {
                assert!(message.contains(named), "`{message}` should name `{named}`")
            }
            other => panic!("{document} should be refused, got {other:?}"),
        }
    }
}

#[test]
fn types_sharing_an_artifact_type_need_a_layer_of_their_own_or_match() {
    let fixture = Fixture::empty();
    fixture
        .write("catalog.yaml", CATALOG_YAML)
        .write("definition.schema.json", shipped_definition_schema());
    let db = |layer: &str, identifying: bool| {
        definition(
            "db",
            &format!(
                "artifactType: {TRIVY}\nlayers:\n  - mediaType: {layer}\n    title: DB\n    identifying: {identifying}\n"
            ),
        )
    };
    fixture
        .write("a/db/1.0.0.yaml", db("application/vnd.a.layer", true))
        .write("b/db/1.0.0.yaml", db("application/vnd.b.layer", true));
    let errors = |fixture: &Fixture| -> Vec<String> {
        fixture
            .check()
            .into_iter()
            .filter(|d| d.rule == rules::IDENTIFYING_UNIQUE)
            .map(|d| d.file)
            .collect()
    };
    assert_eq!(errors(&fixture), Vec::<String>::new());

    // A layer the other type declares too tells nothing apart.
    fixture.write(
        "b/db/1.0.0.yaml",
        definition(
            "db",
            &format!(
                "artifactType: {TRIVY}\nlayers:\n  - mediaType: application/vnd.a.layer\n    title: DB\n    identifying: true\n"
            ),
        ),
    );
    assert_eq!(
        errors(&fixture).len(),
        2 * 2,
        "both media types, both files"
    );

    // A layer not marked identifying tells nothing apart: a type cannot become the fallback
    // of another type's `artifactType` because that type has a layer of its own.
    fixture.write("b/db/1.0.0.yaml", db("application/vnd.b.layer", false));
    assert_eq!(errors(&fixture), ["a/db/1.0.0.yaml", "b/db/1.0.0.yaml"]);
}
