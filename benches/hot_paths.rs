//! Micro-benchmarks of the request hot paths, on the built-in catalog: media-type parsing and
//! normalizing, key resolution, classification and config validation. Building (loading the
//! catalog, compiling a schema) is measured apart from running, as the jsonschema crate does:
//! one happens once per catalog load, the other once per request.
//!
//! `cargo bench --bench hot_paths`; the service as a whole is measured by `bench/run`.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use typehouse::catalog::classify::classify;
use typehouse::catalog::media_type::normalize;
use typehouse::catalog::reference::{Reference, ReferenceInput};
use typehouse::catalog::schema::ConfigSchema;
use typehouse::catalog::{Catalog, CatalogFiles, MediaType, Resolution};
use typehouse::service::Snapshot;

const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
const HELM_SCHEMA: &str = include_str!("../types/cncf/helm-chart/chart-metadata.schema.json");

fn catalog() -> Catalog {
    Catalog::load(CatalogFiles::embedded())
        .expect("the built-in catalog loads")
        .0
}

fn descriptor(media_type: &str, n: u32) -> Value {
    json!({"mediaType": media_type, "digest": format!("sha256:{n:064x}"), "size": 1000 + n})
}

/// One manifest per step of the classification order that the built-in catalog exercises.
fn manifests() -> Vec<(&'static str, Value)> {
    vec![
        (
            "artifact_type",
            json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.cncf.notary.signature",
                "config": descriptor("application/vnd.oci.empty.v1+json", 1),
                "layers": [descriptor("application/jose+json", 2)],
                "subject": descriptor("application/vnd.oci.image.manifest.v1+json", 3),
                "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[\"b3e7\"]"},
            }),
        ),
        (
            "config_with_blob",
            json!({
                "manifest": {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": descriptor(HELM_CONFIG, 1),
                    "layers": [descriptor("application/vnd.cncf.helm.chart.content.v1.tar+gzip", 2)],
                    "annotations": {"org.opencontainers.image.title": "webapp"},
                },
                "config": helm_metadata(),
            }),
        ),
        (
            "layer",
            json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": descriptor("application/vnd.oci.image.config.v1+json", 1),
                "layers": [descriptor("application/vnd.dev.cosign.simplesigning.v1+json", 2)],
            }),
        ),
        (
            "match",
            json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": descriptor("application/vnd.docker.container.image.v1+json", 1),
                "layers": [{
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "digest": format!("sha256:{:064x}", 2),
                    "size": 2048,
                    "annotations": {
                        "dev.tekton.image.name": "build",
                        "dev.tekton.image.kind": "task",
                        "dev.tekton.image.apiVersion": "v1",
                    },
                }],
            }),
        ),
        (
            "unknown",
            json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.example.unknown.v1",
                "config": descriptor("application/vnd.oci.empty.v1+json", 1),
                "layers": [descriptor("application/octet-stream", 2)],
            }),
        ),
    ]
}

fn helm_metadata() -> Value {
    json!({
        "apiVersion": "v2",
        "name": "webapp",
        "version": "1.4.2",
        "appVersion": "2.0",
        "type": "application",
        "description": "A web application",
        "keywords": ["web"],
        "maintainers": [{"name": "Jane Doe", "email": "jane@example.com"}],
        "dependencies": [{"name": "redis", "version": "17.x.x", "repository": "oci://registry.example.com/charts"}],
    })
}

fn media_types(c: &mut Criterion) {
    let mut group = c.benchmark_group("media_type");
    group.bench_function("parse", |b| {
        b.iter(|| {
            MediaType::parse(black_box(
                "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
            ))
        })
    });
    group.bench_function("parse_and_warn", |b| {
        b.iter(|| {
            MediaType::parse(black_box(
                "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
            ))
            .map(|m| m.warnings())
        })
    });
    group.bench_function("normalize", |b| {
        b.iter(|| {
            normalize(black_box(
                "Application/VND.CNCF.Helm.Config.v1+JSON; charset=utf-8",
            ))
        })
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let catalog = catalog();
    let mut group = c.benchmark_group("resolve");
    for (name, key) in [
        ("type_id", "cncf/helm-chart"),
        ("media_type", HELM_CONFIG),
        (
            "media_type_uppercase",
            "Application/VND.CNCF.Helm.Config.v1+JSON",
        ),
        (
            "identifying_layer",
            "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        ),
        ("alias", "application/vnd.docker.ai.model.config.v0.1+json"),
        ("unknown", "application/vnd.example.unknown.v1+json"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| matches!(catalog.resolve(black_box(key)), Resolution::Type(_)))
        });
    }
    group.finish();
}

fn classification(c: &mut Criterion) {
    let catalog = catalog();
    let reference = Reference::parse(&ReferenceInput {
        registry: Some("registry.example.com".into()),
        repository: Some("team/webapp".into()),
        tag: Some("1.4.2".into()),
        digest: None,
    })
    .expect("the reference follows the grammar");
    let mut group = c.benchmark_group("classify");
    for (name, manifest) in manifests() {
        group.bench_function(name, |b| {
            b.iter(|| classify(&catalog, black_box(&manifest), &reference))
        });
    }
    // What POST /classify does per request: parse the body, then classify.
    let body = serde_json::to_vec(&manifests()[1].1).expect("serializes");
    group.bench_function("parse_body_and_classify", |b| {
        b.iter(|| {
            let document: Value = serde_json::from_slice(black_box(&body)).expect("JSON");
            classify(&catalog, &document, &reference)
        })
    });
    group.finish();
}

fn validation(c: &mut Criterion) {
    let document: Value = serde_json::from_str(HELM_SCHEMA).expect("the helm schema is JSON");
    let siblings = HashMap::new();
    let mut build = c.benchmark_group("config_schema_build");
    build.bench_function("helm_chart", |b| {
        b.iter_batched(
            || document.clone(),
            |document| {
                ConfigSchema::compile(
                    document,
                    "cncf/helm-chart",
                    "chart-metadata.schema.json",
                    &siblings,
                )
            },
            BatchSize::SmallInput,
        )
    });
    build.finish();

    let schema = ConfigSchema::compile(
        document,
        "cncf/helm-chart",
        "chart-metadata.schema.json",
        &siblings,
    )
    .expect("the helm schema compiles");
    let valid = helm_metadata();
    let mut invalid = helm_metadata();
    invalid["apiVersion"] = json!("v3");
    invalid.as_object_mut().expect("object").remove("name");
    let mut run = c.benchmark_group("config_schema_validate");
    run.bench_function("is_valid", |b| {
        b.iter(|| schema.is_valid(black_box(&valid)))
    });
    run.bench_function("valid", |b| b.iter(|| schema.validate(black_box(&valid))));
    run.bench_function("invalid", |b| {
        b.iter(|| schema.validate(black_box(&invalid)))
    });
    run.finish();
}

fn catalog_build(c: &mut Criterion) {
    let files = CatalogFiles::embedded();
    let mut group = c.benchmark_group("catalog_build");
    group.sample_size(20);
    group.bench_function("load_builtin", |b| {
        b.iter_batched(|| files.clone(), Catalog::load, BatchSize::LargeInput)
    });
    group.bench_function("snapshot_builtin", |b| {
        b.iter_batched(catalog, Snapshot::build, BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(
    benches,
    media_types,
    lookups,
    classification,
    validation,
    catalog_build
);
criterion_main!(benches);
