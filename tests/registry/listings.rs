//! Registry listings against the real registry: the "superbowl" scenario (a two-platform image
//! index pushed by skopeo, a Helm chart in the same repository, an SPDX SBOM and a Notation
//! signature that refer to the image by `subject`), listed by `typehouse inspect` as a tree and
//! as JSON.
//!
//! distribution 2.8 has no referrers API, so the SBOM and the signature are found through the
//! referrers tag schema: the `sha256-<hex>` tag holding an image index of the referrers, which
//! the client that pushes a referrer maintains
//! (<https://github.com/opencontainers/distribution-spec/blob/967efdc079b91785ad18c77cc4f8991a47feefbf/spec.md#referrers-tag-schema>).
//! The test pushes that index as oras and notation do on such a registry.

use fantoccini::Locator;
use serde_json::{Value, json};
use tempfile::TempDir;
use typehouse::oci::inspect::{Connection, Quiet, Target};
use typehouse::oci::registries::RegistryConfig;
use typehouse::oci::{self, Credentials};
use typehouse::service::CatalogSource;

use crate::clients::push_chart_as;
use crate::driver::{Driver, save_screenshot};
use crate::helpers::{
    EMPTY_CONFIG, Fetched, Registry, Service, assert_success, catalog, oci_index_layout,
    skopeo_copy_all, typehouse,
};

pub const SUPERBOWL: &str = "marketing/campaigns/shoes/superbowl";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const SPDX: &str = "application/spdx+json";
const NOTATION: &str = "application/vnd.cncf.notary.signature";

/// What the superbowl scenario pushed.
pub struct Superbowl {
    pub image: Fetched,
    pub sbom: String,
    pub signature: String,
}

/// Pushes the scenario into `repository`: tag `1` a linux/amd64 + linux/arm64 image index
/// (skopeo copy --all), tag `chart-1` a Helm chart (oras), an SPDX SBOM and a Notation
/// signature with the index as `subject`, and the referrers tag listing both.
pub async fn push_superbowl(registry: &Registry, repository: &str) -> Superbowl {
    let layout = TempDir::new().unwrap();
    oci_index_layout(
        layout.path(),
        "1",
        &[("linux", "amd64"), ("linux", "arm64")],
    );
    skopeo_copy_all(
        layout.path(),
        "1",
        &format!("{}/{repository}:1", registry.host),
    );
    let image = registry.manifest(repository, "1").await;
    assert_eq!(image.content_type, OCI_INDEX, "skopeo kept the index");

    let files = TempDir::new().unwrap();
    push_chart_as(registry, &files, repository, "chart-1");

    let sbom_document = serde_json::to_vec(&json!({
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": "superbowl-1", "documentNamespace": "https://example.com/spdx/superbowl-1",
        "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: typehouse-test"]},
        "packages": []
    }))
    .unwrap();
    // `oras attach --artifact-type application/spdx+json`: the empty config, the document as
    // the one layer, the subject; pushed by digest, with no tag.
    let sbom = referrer(
        registry,
        repository,
        &image,
        SPDX,
        (SPDX, &sbom_document),
        json!({"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}),
    )
    .await;
    // `notation sign`: the JWS envelope layer and the signing chain's thumbprint annotation.
    let signature = referrer(
        registry,
        repository,
        &image,
        NOTATION,
        ("application/jose+json", br#"{"payload":"eyJ0YXJnZXRBcnRpZmFjdCI6e319","protected":"eyJhbGciOiJQUzI1NiJ9","header":{"x5c":[]},"signature":"c2lnbmF0dXJl"}"#),
        json!({
            "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
            "io.cncf.notary.x509chain.thumbprint#S256": format!("[\"{}\"]", "ab".repeat(32))
        }),
    )
    .await;
    referrers_tag(
        registry,
        repository,
        &image.digest,
        &[sbom.clone(), signature.clone()],
    )
    .await;
    Superbowl {
        image,
        sbom: sbom["digest"].as_str().unwrap().to_string(),
        signature: signature["digest"].as_str().unwrap().to_string(),
    }
}

/// Pushes a referrer of `subject` by digest; answers its descriptor as the referrers list
/// carries it (with `artifactType` and annotations).
async fn referrer(
    registry: &Registry,
    repository: &str,
    subject: &Fetched,
    artifact_type: &str,
    (layer_type, layer): (&str, &[u8]),
    annotations: Value,
) -> Value {
    let config = registry.put_blob(repository, EMPTY_CONFIG, b"{}").await;
    let layer = registry.put_blob(repository, layer_type, layer).await;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config,
        "layers": [layer],
        "subject": {"mediaType": subject.content_type, "digest": subject.digest, "size": subject.size()},
        "annotations": annotations,
    });
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = crate::helpers::sha256_digest(&bytes);
    let response = registry.put_manifest(repository, &digest, &manifest).await;
    assert_eq!(response.status(), 201, "PUT referrer {digest}");
    json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": bytes.len(),
        "artifactType": artifact_type, "annotations": annotations})
}

/// The referrers tag schema's index of `subject`'s referrers, under `sha256-<hex>`.
async fn referrers_tag(registry: &Registry, repository: &str, subject: &str, referrers: &[Value]) {
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": referrers});
    let tag = subject.replace(':', "-");
    let response = registry.put_manifest(repository, &tag, &index).await;
    assert_eq!(response.status(), 201, "PUT the referrers tag");
}

fn inspect(args: &[&str]) -> (std::process::Output, String) {
    let output = typehouse(args, None, None);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output, stdout)
}

/// The artifact whose tags hold `tag`.
fn tagged<'a>(listing: &'a Value, tag: &str) -> &'a Value {
    listing["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!(tag)))
        })
        .unwrap_or_else(|| panic!("no artifact tagged {tag}: {listing:#}"))
}

fn commands(artifact: &Value) -> Vec<String> {
    artifact["classification"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["command"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn inspect_lists_the_superbowl_repository_typed_with_platforms_referrers_and_actions() {
    let registry = Registry::start().await;
    let pushed = push_superbowl(&registry, SUPERBOWL).await;
    let location = format!("{}/{SUPERBOWL}", registry.host);
    let digest = &pushed.image.digest;

    let (output, json) = inspect(&["inspect", &location, "--plain-http", "--format", "json"]);
    assert_success("typehouse inspect --format json", &output);
    let listing: Value = serde_json::from_str(&json).expect("inspect prints JSON");
    assert_eq!(listing["registry"], json!(registry.host));
    assert_eq!(listing["repository"], json!(SUPERBOWL));
    // Two artifacts: the referrers tag is not one, it is how the referrers were found.
    assert_eq!(
        listing["artifacts"].as_array().unwrap().len(),
        2,
        "{listing:#}"
    );

    let image = tagged(&listing, "1");
    assert_eq!(image["digest"], json!(digest));
    assert_eq!(
        image["classification"]["type"]["id"],
        "opencontainers/image-index"
    );
    assert_eq!(image["classification"]["conforms"], true);
    let platforms: Vec<&str> = image["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    for child in image["children"].as_array().unwrap() {
        assert_eq!(
            child["classification"]["type"]["id"],
            "opencontainers/image"
        );
        assert_eq!(child["classification"]["conforms"], true, "{child:#}");
        // A child is pulled by its own digest.
        let child_digest = child["digest"].as_str().unwrap();
        assert_eq!(
            commands(child),
            [format!("docker pull {location}@{child_digest}")]
        );
    }
    // `{reference}` is the digest when there is one: the command pulls what was listed.
    assert_eq!(
        commands(image),
        [format!("docker pull {location}@{digest}")]
    );

    // The SBOM and the signature, under the image they refer to.
    let referrers = image["referrers"].as_array().unwrap();
    let by_type = |id: &str| {
        referrers
            .iter()
            .find(|r| r["classification"]["type"]["id"] == json!(id))
            .unwrap_or_else(|| panic!("no {id} referrer: {image:#}"))
    };
    let sbom = by_type("spdx/sbom");
    assert_eq!(sbom["digest"], json!(pushed.sbom));
    assert_eq!(sbom["artifactType"], SPDX);
    assert_eq!(sbom["classification"]["conforms"], true);
    // An SBOM's action fetches the SBOM itself.
    assert_eq!(
        commands(sbom),
        [format!("oras pull {location}@{}", pushed.sbom)]
    );
    let signature = by_type("notaryproject/signature");
    assert_eq!(signature["digest"], json!(pushed.signature));
    assert_eq!(signature["classification"]["conforms"], true);
    // A signature's actions act on what it signs: the image index.
    let signature_commands = commands(signature);
    assert!(
        signature_commands.contains(&format!("notation verify {location}@{digest}")),
        "{signature_commands:?}"
    );
    assert_eq!(referrers.len(), 2, "{image:#}");

    let chart = tagged(&listing, "chart-1");
    assert_eq!(chart["classification"]["type"]["id"], "cncf/helm-chart");
    assert_eq!(chart["classification"]["conforms"], true);
    assert!(
        commands(chart).contains(&format!(
            "helm install superbowl oci://{location} --version chart-1"
        )),
        "{:?}",
        commands(chart)
    );

    // The tree: the same facts for a terminal.
    let (output, tree) = inspect(&["inspect", &location, "--plain-http"]);
    assert_success("typehouse inspect", &output);
    let expected_lines = [
        location.clone(),
        format!(
            "1  {}  OCI image index (opencontainers/image-index",
            &digest[..19]
        ),
        format!("$ docker pull {location}@{digest}"),
        "linux/amd64  sha256:".to_string(),
        "linux/arm64  sha256:".to_string(),
        "referrer  sha256:".to_string(),
        format!("$ oras pull {location}@{}", pushed.sbom),
        "referrer  sha256:".to_string(),
        format!("$ notation verify {location}@{digest}"),
        "chart-1  sha256:".to_string(),
    ];
    let mut rest = tree.as_str();
    for line in &expected_lines {
        let at = rest
            .find(line.as_str())
            .unwrap_or_else(|| panic!("`{line}` in order in the tree:\n{tree}"));
        rest = &rest[at + line.len()..];
    }
    assert!(tree.contains("Helm chart"), "{tree}");
    assert!(!tree.contains("does not conform"), "{tree}");
    // Kept for review beside the screenshots, as docs/registries.md shows it.
    let saved = crate::driver::screenshot_dir();
    std::fs::write(saved.join("superbowl-inspect.txt"), &tree).expect("the tree is saved");
    std::fs::write(saved.join("superbowl-inspect.json"), &json).expect("the JSON is saved");

    // One tag and one digest: the same artifact alone.
    let (output, json) = inspect(&[
        "inspect",
        &format!("{location}:1"),
        "--plain-http",
        "--format",
        "json",
    ]);
    assert_success("typehouse inspect :1", &output);
    let one: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(one["artifacts"].as_array().unwrap().len(), 1);
    assert_eq!(one["artifacts"][0], *image);
    let (output, json) = inspect(&[
        "inspect",
        &format!("{location}@{}", pushed.sbom),
        "--plain-http",
        "--format",
        "json",
    ]);
    assert_success("typehouse inspect @digest", &output);
    let by_digest: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        by_digest["artifacts"][0]["classification"]["type"]["id"],
        "spdx/sbom"
    );

    // The tag list read a page of one tag at a time reaches every tag just the same.
    let target: Target = location.parse().unwrap();
    let mut connection = Connection::new(&registry.host, true, Credentials::Anonymous);
    connection.page_size = 1;
    let paged = oci::inspect(&catalog(), &target, connection, &Quiet).expect("inspect pages");
    assert_eq!(serde_json::to_value(&paged).unwrap(), listing);
}

#[actix_web::test]
async fn inspect_exits_1_for_an_artifact_that_does_not_conform_and_2_on_errors() {
    let registry = Registry::start().await;
    let pushed = push_superbowl(&registry, SUPERBOWL).await;
    let location = format!("{}/{SUPERBOWL}", registry.host);
    // A Notation signature without its signing chain's thumbprint: recognised, not conforming.
    let broken = referrer(
        &registry,
        SUPERBOWL,
        &pushed.image,
        NOTATION,
        (
            "application/jose+json",
            br#"{"payload":"e30","protected":"e30","header":{},"signature":"c2ln"}"#,
        ),
        json!({"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}),
    )
    .await;
    let signature = json!({"mediaType": OCI_MANIFEST, "digest": pushed.signature});
    let sbom = json!({"mediaType": OCI_MANIFEST, "digest": pushed.sbom});
    let mut entries = Vec::new();
    for (entry, artifact_type) in [(sbom, SPDX), (signature, NOTATION)] {
        let fetched = registry
            .manifest(SUPERBOWL, entry["digest"].as_str().unwrap())
            .await;
        entries.push(json!({"mediaType": OCI_MANIFEST, "digest": fetched.digest,
            "size": fetched.size(), "artifactType": artifact_type}));
    }
    entries.push(broken.clone());
    referrers_tag(&registry, SUPERBOWL, &pushed.image.digest, &entries).await;
    // `cosign sign` in its tag mode: the simple-signing payload under `sha256-<hex>.sig`, with
    // the image config and no `subject`; found through the tag, its actions verify the image.
    let cosign_config = registry
        .put_blob(
            SUPERBOWL,
            "application/vnd.oci.image.config.v1+json",
            br#"{"architecture":"","created":"0001-01-01T00:00:00Z","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#,
        )
        .await;
    let mut payload = registry
        .put_blob(
            SUPERBOWL,
            "application/vnd.dev.cosign.simplesigning.v1+json",
            br#"{"critical":{"identity":{"docker-reference":"superbowl"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}"#,
        )
        .await;
    payload["annotations"] = json!({"dev.cosignproject.cosign/signature": "MEUCIQ=="});
    let cosign = json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": cosign_config, "layers": [payload]});
    let cosign_tag = format!("{}.sig", pushed.image.digest.replace(':', "-"));
    let response = registry.put_manifest(SUPERBOWL, &cosign_tag, &cosign).await;
    assert_eq!(response.status(), 201, "PUT the cosign signature");

    let (output, json) = inspect(&["inspect", &location, "--plain-http", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{json}");
    let listing: Value = serde_json::from_str(&json).unwrap();
    let image = tagged(&listing, "1");
    let bad = image["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["digest"] == broken["digest"])
        .expect("the broken signature is listed");
    assert_eq!(bad["classification"]["conforms"], false);
    assert!(
        bad["classification"]["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "missing-annotation"),
        "{bad:#}"
    );
    let cosign = image["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["classification"]["type"]["id"] == "sigstore/cosign-signature")
        .unwrap_or_else(|| panic!("the cosign signature is a referrer: {image:#}"));
    assert_eq!(cosign["tags"], json!([cosign_tag]));
    assert_eq!(cosign["classification"]["conforms"], true, "{cosign:#}");
    assert!(
        commands(cosign)[0]
            .starts_with(&format!("cosign verify {location}@{}", pushed.image.digest)),
        "{:?}",
        commands(cosign)
    );
    assert_eq!(
        listing["artifacts"].as_array().unwrap().len(),
        2,
        "the .sig tag is no artifact of its own: {listing:#}"
    );
    let (output, tree) = inspect(&["inspect", &location, "--plain-http"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(tree.contains("does not conform"), "{tree}");
    assert!(tree.contains("! missing-annotation"), "{tree}");

    // Errors: a repository that is not there, a registry that does not answer, a bad reference.
    let (output, _) = inspect(&[
        "inspect",
        &format!("{}/no/such/repository", registry.host),
        "--plain-http",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not found"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let closed = format!("127.0.0.1:{}", crate::helpers::free_port());
    let (output, _) = inspect(&["inspect", &format!("{closed}/a/b"), "--plain-http"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot be reached"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for bad in [
        "superbowl",
        &format!("{location}:bad tag"),
        &format!("{location}@sha256:1"),
    ] {
        let (output, _) = inspect(&["inspect", bad, "--plain-http"]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
    }
}

/// The service with the test registry configured as `local`, and a registry nobody answers
/// for as `gone`.
async fn service_for(registry: &Registry) -> Service {
    let local: RegistryConfig = format!("local=http://{}", registry.host).parse().unwrap();
    let gone: RegistryConfig = format!("gone=http://127.0.0.1:{}", crate::helpers::free_port())
        .parse()
        .unwrap();
    Service::start_with(CatalogSource::Embedded, |config| {
        config.registries = vec![local, gone];
    })
    .await
    .expect("the service starts")
}

async fn get(service: &Service, path: &str, accept: &str) -> reqwest::Response {
    service
        .client
        .get(format!("{}{path}", service.address))
        .header("Accept", accept)
        .send()
        .await
        .expect("the service answers")
}

#[actix_web::test]
async fn the_service_lists_a_configured_registry_as_json_the_same_as_inspect() {
    let registry = Registry::start().await;
    let pushed = push_superbowl(&registry, SUPERBOWL).await;
    let service = service_for(&registry).await;
    let location = format!("{}/{SUPERBOWL}", registry.host);

    let configured: Value = get(&service, "/registries", "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        configured["registries"][0],
        json!({"name": "local", "url": format!("http://{}", registry.host)})
    );

    let response = get(
        &service,
        &format!("/registries/local/{SUPERBOWL}"),
        "application/json",
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let served: Value = response.json().await.unwrap();
    let (output, json) = inspect(&["inspect", &location, "--plain-http", "--format", "json"]);
    assert_success("typehouse inspect", &output);
    let inspected: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(served, inspected, "the service and inspect answer alike");
    let image = tagged(&served, "1");
    assert_eq!(image["children"].as_array().unwrap().len(), 2);
    assert_eq!(image["referrers"].as_array().unwrap().len(), 2);

    // A tag, and a digest, as in an image reference.
    let one: Value = get(
        &service,
        &format!("/registries/local/{SUPERBOWL}:chart-1"),
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        one["artifacts"][0]["classification"]["type"]["id"],
        "cncf/helm-chart"
    );
    let signature: Value = get(
        &service,
        &format!("/registries/local/{SUPERBOWL}@{}", pushed.signature),
        "application/json",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        signature["artifacts"][0]["classification"]["type"]["id"],
        "notaryproject/signature"
    );

    // Clear problems, never a 500: what the registry lacks is 404, a registry that does not
    // answer 502, an unconfigured name 404, a bad reference 400.
    for (path, status, says) in [
        (format!("/registries/local/{SUPERBOWL}:2"), 404, "not found"),
        (
            "/registries/local/no/such/repository".into(),
            404,
            "not found",
        ),
        ("/registries/gone/team/app".into(), 502, "cannot be reached"),
        (
            "/registries/elsewhere/team/app".into(),
            404,
            "no registry named `elsewhere`",
        ),
        (
            format!("/registries/local/{SUPERBOWL}:bad%20tag"),
            400,
            "tag",
        ),
        ("/registries/local/UPPER/case".into(), 400, "repository"),
    ] {
        let response = get(&service, &path, "application/json").await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{path}"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{path}: {problem}"
        );
    }
    // A URL never names a host the service contacts: a host in the path is a repository.
    let response = get(
        &service,
        "/registries/local/evil.example.com/team/app",
        "application/json",
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[actix_web::test]
async fn in_chromium_the_listing_page_shows_each_artifact_typed_with_referrers_under_their_subject()
{
    let registry = Registry::start().await;
    let pushed = push_superbowl(&registry, SUPERBOWL).await;
    let service = service_for(&registry).await;
    let location = format!("{}/{SUPERBOWL}", registry.host);
    let driver = Driver::start();
    let browser = driver.browser(1280, 1000).await;

    // From the classify page, "inspect a reference" leads to the registries page and its form.
    browser
        .goto(&format!("{}/classify", service.address))
        .await
        .expect("the classify page loads");
    browser
        .find(Locator::LinkText("inspect a reference"))
        .await
        .expect("the classify page links the registries")
        .click()
        .await
        .unwrap();
    wait_for_path(&browser, "/registries").await;
    browser
        .find(Locator::Css("#reference"))
        .await
        .unwrap()
        .send_keys(SUPERBOWL)
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[data-inspect-form] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A click starts the navigation; the address changes when the next page has loaded.
    wait_for_path(&browser, &format!("/registries/local/{SUPERBOWL}")).await;

    // A row per artifact, in tree order: the index, its platforms, its referrers, the chart.
    let rows: Value = browser
        .execute(
            "return Array.from(document.querySelectorAll('tr[data-artifact]')).map(r => ({\
               kind: r.dataset.kind, type: r.dataset.type || null, digest: r.dataset.digest,\
               label: r.querySelector('.row-label').textContent.trim(),\
               typeName: r.querySelector('.row-type a').textContent.trim(),\
               icon: !!r.querySelector('img.type-icon'),\
               slot: !!r.querySelector('.type-icon'),\
               conforms: r.querySelector('.badge').textContent.trim(),\
               commands: Array.from(r.querySelectorAll('.command code')).map(c => c.textContent)}))",
            Vec::new(),
        )
        .await
        .unwrap();
    let rows = rows.as_array().unwrap();
    let summary: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["label"].as_str().unwrap().to_string(),
                r["type"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expect = |kind: &str, label: &str, id: &str| (kind.into(), label.into(), id.into());
    assert_eq!(
        summary,
        [
            expect("tag", "1", "opencontainers/image-index"),
            expect("platform", "linux/amd64", "opencontainers/image"),
            expect("platform", "linux/arm64", "opencontainers/image"),
            expect("referrer", "referrer", "spdx/sbom"),
            expect("referrer", "referrer", "notaryproject/signature"),
            expect("tag", "chart-1", "cncf/helm-chart"),
        ]
    );
    let catalog = catalog();
    for row in rows {
        assert_eq!(row["conforms"], "yes", "{row}");
        // The type's icon where it has one, its initial otherwise.
        let entry = catalog.get_str(row["type"].as_str().unwrap()).unwrap();
        let has_icon = catalog
            .published(entry.latest())
            .unwrap()
            .icon_svg
            .is_some();
        assert_eq!(row["icon"], has_icon, "{row}");
        assert_eq!(row["slot"], true, "{row}");
    }
    assert_eq!(rows[0]["typeName"], "OCI image index");
    assert_eq!(rows[5]["typeName"], "Helm chart");
    assert_eq!(rows[3]["digest"], json!(pushed.sbom));
    assert!(
        rows[4]["commands"]
            .as_array()
            .unwrap()
            .contains(&json!(format!(
                "notation verify {location}@{}",
                pushed.image.digest
            ))),
        "{}",
        rows[4]
    );
    // The actions are copyable: the script shows the copy buttons.
    let copy_buttons: Value = browser
        .execute(
            "return Array.from(document.querySelectorAll('tr[data-artifact] button.copy'))\
               .filter(b => !b.hidden).length",
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(copy_buttons.as_u64().unwrap() >= 6, "{copy_buttons}");
    // A page like every other: the layout, one h1.
    let shape: Value = browser
        .execute(
            "return [document.doctype && document.doctype.name, document.documentElement.lang,\
               document.querySelectorAll('h1').length, !!document.querySelector('main#main')]",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(shape, json!(["html", "en", 1, true]));
    // The navigation marks the registries.
    let current_nav: Value = browser
        .execute(
            "return document.querySelector('.site-nav a[aria-current=page]').textContent",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(current_nav, "Registries");
    save_screenshot(&browser, "registry-listing.png").await;
    driver
        .assert_no_console_errors(&browser, "the listing page")
        .await;
    browser.close().await.expect("the browser closes");
}

#[actix_web::test]
async fn inspect_takes_credentials_as_publish_does() {
    use crate::helpers::{TEST_PASSWORD, TEST_USER};
    let registry = Registry::start_with_auth().await;
    let reference = format!("{}/typehouse/catalog:1", registry.host);
    let password = format!("{TEST_PASSWORD}\n");
    let login = ["--plain-http", "--username", TEST_USER, "--password-stdin"];
    let mut publish = vec!["publish", reference.as_str()];
    publish.extend(login);
    assert_success(
        "typehouse publish",
        &typehouse(&publish, None, Some(&password)),
    );

    // Anonymous: refused by the registry, a clear error, exit 2.
    let (output, _) = inspect(&["inspect", &reference, "--plain-http"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not authorized"), "{stderr}");

    // --username with the password on standard input.
    let mut with_password = vec!["inspect", reference.as_str(), "--format", "json"];
    with_password.extend(login);
    let output = typehouse(&with_password, None, Some(&password));
    assert_success("typehouse inspect --password-stdin", &output);
    let listing: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        listing["artifacts"][0]["classification"]["type"]["id"],
        "typehouse/catalog"
    );

    // The Docker config file, as `docker login` writes it.
    let docker_config = TempDir::new().unwrap();
    let auth = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{TEST_USER}:{TEST_PASSWORD}"))
    };
    std::fs::write(
        docker_config.path().join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
            registry.host
        ),
    )
    .unwrap();
    let output = typehouse(
        &["inspect", &reference, "--plain-http", "--format", "json"],
        Some(docker_config.path()),
        None,
    );
    assert_success("typehouse inspect with the Docker config", &output);
    let again: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(again, listing);
}

/// Waits (at most 10 s) until the browser's address ends with `path`.
async fn wait_for_path(browser: &fantoccini::Client, path: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let current = browser.current_url().await.expect("a URL");
        if current.path().ends_with(path) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {path}, at {current}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
