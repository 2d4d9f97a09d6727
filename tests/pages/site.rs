//! The static site (`typehouse build`): the service's JSON byte for byte, a page per type and
//! media type, and no broken or absolute link anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use tempfile::TempDir;

use crate::helpers::{FixtureCatalog, TestApp, assert_contains};

fn build_site(catalog: &FixtureCatalog) -> TempDir {
    let out = TempDir::new().expect("a temporary output directory");
    typehouse::site::build(catalog.load(), out.path()).expect("the site builds");
    out
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every `href`, `src` and `action` value in `html`, entities decoded.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in [" href=\"", " src=\"", " action=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let value = &rest[..rest.find('"').expect("a closing quote")];
            found.push(value.replace("&amp;", "&").replace("&#38;", "&"));
        }
    }
    found
}

/// Every `id="..."` in `html`.
fn ids(html: &str) -> BTreeSet<String> {
    html.match_indices(" id=\"")
        .map(|(at, _)| {
            let rest = &html[at + 5..];
            rest[..rest.find('"').expect("a closing quote")].to_string()
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_static_site_resolves() {
    let catalog = FixtureCatalog::new();
    let out = build_site(&catalog);
    let root = out.path().canonicalize().expect("the site exists");
    let mut pages: BTreeMap<PathBuf, String> = BTreeMap::new();
    for file in files_under(&root) {
        if file.extension().is_some_and(|e| e == "html") {
            let html = std::fs::read_to_string(&file).expect("a page");
            pages.insert(file, html);
        }
    }
    assert!(pages.len() > 50, "only {} pages", pages.len());

    let mut checked = 0;
    let mut broken = Vec::new();
    for (page, html) in &pages {
        for link in links(html) {
            if link.starts_with("https://")
                || link.starts_with("http://")
                || link.starts_with("mailto:")
                || link.starts_with("data:")
            {
                continue;
            }
            assert!(
                !link.starts_with('/'),
                "{}: `{link}` is absolute: it breaks under a path prefix",
                page.display()
            );
            let (target, fragment) = match link.split_once('#') {
                Some((target, fragment)) => (target, Some(fragment)),
                None => (link.as_str(), None),
            };
            let target = target.split('?').next().unwrap_or_default();
            let decoded = percent_encoding::percent_decode_str(target)
                .decode_utf8()
                .expect("UTF-8 links");
            let mut resolved = if decoded.is_empty() {
                page.clone()
            } else {
                page.parent().expect("a directory").join(decoded.as_ref())
            };
            if decoded.ends_with('/') || resolved.is_dir() {
                resolved = resolved.join("index.html");
            }
            checked += 1;
            let Ok(resolved) = resolved.canonicalize() else {
                broken.push(format!("{}: {link}", page.display()));
                continue;
            };
            if !resolved.starts_with(&root) {
                broken.push(format!("{}: {link} leaves the site", page.display()));
                continue;
            }
            if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                let target_ids = pages
                    .get(&resolved)
                    .map(|html| ids(html))
                    .unwrap_or_default();
                if !target_ids.contains(fragment) {
                    broken.push(format!("{}: {link} has no #{fragment}", page.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 1000, "only {checked} links checked");
}

#[tokio::test]
async fn the_static_json_is_byte_for_byte_what_the_service_answers() {
    let app = TestApp::spawn();
    let out = build_site(&app.catalog);
    for path in [
        "/index.json",
        "/definition.schema.json",
        "/search-index.json",
        "/types/acme/widget/index.json",
        "/types/acme/widget/1.0.0.json",
        "/types/acme/widget/2.0.0.json",
        "/types/cncf/helm-chart/index.json",
    ] {
        let response = app.get_api(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let served = response.bytes().await.expect("a body");
        let written = std::fs::read(out.path().join(&path[1..])).expect("the file exists");
        assert!(
            served == written,
            "{path} differs from the service's answer"
        );
    }
    let served = app
        .get_api("/types/acme/widget/schema")
        .await
        .bytes()
        .await
        .expect("a body");
    let written =
        std::fs::read(out.path().join("types/acme/widget/schema.json")).expect("a schema");
    assert!(served == written, "the schema differs");
}

#[test]
fn the_site_has_a_page_per_type_and_media_type_and_no_classify_form() {
    let catalog = FixtureCatalog::new();
    let out = build_site(&catalog);
    let loaded = catalog.load();
    for entry in loaded.types() {
        let id = entry.id.as_str();
        assert!(
            out.path().join(format!("types/{id}/index.html")).is_file(),
            "{id}"
        );
        for version in &entry.versions {
            assert!(
                out.path()
                    .join(format!("types/{id}/{}.json", version.version()))
                    .is_file(),
                "{id} {}",
                version.version()
            );
        }
    }
    for media_type in loaded.media_types() {
        assert!(
            out.path()
                .join(format!("media-types/{media_type}/index.html"))
                .is_file(),
            "{media_type}"
        );
    }
    let home = std::fs::read_to_string(out.path().join("index.html")).expect("index.html");
    assert_contains(
        &home,
        &[
            "href=\"./types/acme/widget/index.html\">Acme widget</a>",
            "href=\"./api/index.html\"",
            "<form class=\"filters\" method=\"get\" action=\"./index.html\"",
        ],
    );
    assert!(
        !home.contains(">Classify</a>"),
        "a static host cannot answer the classify form"
    );
    let type_page = std::fs::read_to_string(out.path().join("types/acme/widget/index.html"))
        .expect("a type page");
    assert_contains(
        &type_page,
        &[
            "href=\"../../../static/app.",
            "href=\"../../../types/acme/widget/1.1.0.json\">1.1.0</a>",
            "href=\"../../../types/acme/widget/schema.json\"",
            "href=\"../../../media-types/application/vnd.acme.widget.v1%2Bjson/index.html\"",
        ],
    );
    let not_found = std::fs::read_to_string(out.path().join("404.html")).expect("404.html");
    assert_contains(&not_found, &["<style>", "<h1>Not Found</h1>"]);
    assert!(!not_found.contains("<link rel=\"stylesheet\""));
}

#[test]
fn typehouse_build_writes_the_site_and_builds_the_same_bytes_twice() {
    let catalog = FixtureCatalog::new();
    let first = TempDir::new().expect("a directory");
    let second = TempDir::new().expect("a directory");
    for out in [&first, &second] {
        let output = Command::new(env!("CARGO_BIN_EXE_typehouse"))
            .arg("build")
            .arg("--types")
            .arg(catalog.path())
            .arg("--out")
            .arg(out.path().join("site"))
            .output()
            .expect("typehouse runs");
        assert!(
            output.status.success(),
            "typehouse build failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).starts_with("wrote "));
    }
    let first_files = files_under(&first.path().join("site"));
    let second_files = files_under(&second.path().join("site"));
    assert_eq!(first_files.len(), second_files.len());
    for (a, b) in first_files.iter().zip(&second_files) {
        assert_eq!(
            std::fs::read(a).expect("a file"),
            std::fs::read(b).expect("a file"),
            "{} differs between builds",
            a.display()
        );
    }

    let output = Command::new(env!("CARGO_BIN_EXE_typehouse"))
        .args(["build", "--types", "/no/such/catalog", "--out"])
        .arg(first.path().join("other"))
        .output()
        .expect("typehouse runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "a missing catalog is a usage error"
    );
}
