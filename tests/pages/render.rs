//! Every page, rendered by the running service for a browser: key content, safe rendering,
//! links relative to the page, and the JSON API unchanged for the same URLs.

use std::collections::BTreeSet;
use std::path::Path;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};

use crate::helpers::{
    BROWSER_ACCEPT, TestApp, assert_contains, assert_html, assert_lacks, card, card_ids, header,
};

/// Each template with a route that renders it (`base.html` is in all of them).
const PAGES: &[(&str, &str, StatusCode)] = &[
    ("catalog.html", "/", StatusCode::OK),
    ("type.html", "/types/acme/widget", StatusCode::OK),
    (
        "media_type.html",
        "/media-types/application/vnd.acme.widget.provenance.v1",
        StatusCode::OK,
    ),
    ("classify.html", "/classify", StatusCode::OK),
    ("api.html", "/api", StatusCode::OK),
    ("submit.html", "/submit", StatusCode::OK),
    (
        "submission.html",
        "/submissions/s-000000000001",
        StatusCode::OK,
    ),
    ("error.html", "/no/such/page", StatusCode::NOT_FOUND),
    ("registries.html", "/registries", StatusCode::OK),
    // A configured registry's page asks nothing of the registry.
    ("registry.html", "/registries/local", StatusCode::OK),
];

/// Templates whose page needs a registry that answers: tests/registry renders them against
/// the real one (and checks them in Chromium).
const WITH_A_REGISTRY: &[&str] = &["listing.html"];

#[tokio::test]
async fn every_template_file_is_a_page_the_service_renders() {
    let app = TestApp::spawn();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let files: BTreeSet<String> = std::fs::read_dir(&templates)
        .expect("templates/ is readable")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    // Partials: what other templates extend or import.
    let mut partials = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(templates.join(file)).expect("a template");
        for keyword in ["{% extends \"", "{% import \""] {
            for (at, _) in text.match_indices(keyword) {
                let rest = &text[at + keyword.len()..];
                partials.insert(rest[..rest.find('"').expect("a closing quote")].to_string());
            }
        }
    }
    let pages: BTreeSet<String> = PAGES
        .iter()
        .map(|(t, ..)| *t)
        .chain(WITH_A_REGISTRY.iter().copied())
        .map(String::from)
        .collect();
    assert_eq!(
        files,
        &pages | &partials,
        "every template is a page in PAGES or a partial another template uses"
    );

    // Each page template is what some page struct in src/pages names, and vice versa.
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
    let mut named = BTreeSet::new();
    for entry in std::fs::read_dir(sources).expect("src/pages is readable") {
        let source = std::fs::read_to_string(entry.expect("an entry").path()).unwrap_or_default();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("#[template(path = \"") {
            rest = &rest[at + "#[template(path = \"".len()..];
            let end = rest.find('"').expect("a closing quote");
            named.insert(rest[..end].to_string());
        }
    }
    assert_eq!(
        pages, named,
        "every page template has a struct, every struct a template"
    );

    // The status page needs a submission to show.
    crate::submit::store(&app, "acme/bundle", crate::submit::NEW_TYPE).await;
    for (template, path, status) in PAGES {
        let html = app.page(path, *status).await;
        assert_contains(
            &html,
            &[
                "<!doctype html>",
                "<html lang=\"en\">",
                "<main id=\"main\"",
                "</html>",
            ],
        );
        assert!(
            html.matches("<h1").count() == 1,
            "{template}: one h1 per page"
        );
    }
}

#[tokio::test]
async fn the_catalog_lists_every_type_with_its_facts_and_a_search_form() {
    let app = TestApp::spawn();
    for path in ["/", "/types"] {
        let html = app.page(path, StatusCode::OK).await;
        assert_contains(
            &html,
            &[
                "<h1>OCI artifact types</h1>",
                "<label for=\"q\">Search</label>",
                "<label for=\"vendor\">Vendor</label>",
                "<label for=\"status\">Status</label>",
                "<label for=\"tag\">Tag</label>",
                "<option value=\"acme\">acme</option>",
                "<option value=\"widgets\">widgets</option>",
                "href=\"./types/cncf/helm-chart\">Helm chart</a>",
                "<code>application/vnd.cncf.helm.config.v1+json</code>",
                "<span class=\"badge badge-active\">active</span>",
                "<span class=\"badge badge-deprecated\">deprecated</span>",
                "alt=\"Old Acme widget icon\"",
                "src=\"data:image/svg+xml,",
            ],
        );
        let widget = card(&html, "acme/widget");
        assert_contains(widget, &["Acme widget", "v2.0.0"]);
        let total = app.catalog.load().len();
        assert_eq!(html.matches("<li class=\"card\"").count(), total);
        assert_contains(&html, &[&format!("{total} types</p>")]);
    }
}

#[tokio::test]
async fn catalog_filters_work_as_query_parameters_without_javascript() {
    let app = TestApp::spawn();
    let html = app.page("/?q=HELM", StatusCode::OK).await;
    let shown = card_ids(&html);
    assert!(shown.iter().any(|id| id == "cncf/helm-chart"), "{shown:?}");
    assert!(!shown.iter().any(|id| id == "acme/widget"), "{shown:?}");
    assert_contains(&html, &["value=\"HELM\"", "types match</p>"]);

    let html = app
        .page("/types?vendor=acme&status=deprecated", StatusCode::OK)
        .await;
    assert_eq!(card_ids(&html), ["acme/old-widget"]);
    assert_contains(
        &html,
        &[
            "1 of ",
            "<option value=\"acme\" selected>acme</option>",
            "<option value=\"deprecated\" selected>deprecated</option>",
        ],
    );

    let html = app.page("/?tag=widgets", StatusCode::OK).await;
    assert_eq!(card_ids(&html), ["acme/widget"]);

    let html = app.page("/?q=no-such-thing-anywhere", StatusCode::OK).await;
    assert_contains(&html, &["0 of ", "<p class=\"empty\" id=\"no-results\">"]);
}

#[tokio::test]
async fn the_type_page_shows_every_part_of_the_definition() {
    let app = TestApp::spawn();
    let html = app.page("/types/acme/widget", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "<title>Acme widget · typehouse</title>",
            "<h1>Acme widget</h1>",
            "<code>acme/widget</code>",
            "version 2.0.0",
            "A widget packaged for the page tests, with an owner in its config",
            // Identifying media types, with copy buttons and their pages.
            "<code id=\"media-type-0\">application/vnd.acme.widget.v1+json</code>",
            "data-copy=\"media-type-0\"",
            "href=\"../../media-types/application/vnd.acme.widget.v1%2Bjson\"",
            // Manifest, config, layers, annotations.
            "OCI image manifest (the default)",
            "<code>application/vnd.acme.widget.config.v1+json</code>",
            "Schema: Widget config",
            "<code>owner.email</code>",
            "<code>parts[].count</code>",
            "<code>labels.*</code>",
            "<tr class=\"depth-1\">",
            "<code>&#34;medium&#34;</code>",
            "<code>format: &#34;email&#34;</code>",
            "<span class=\"required\">required</span>",
            "Schema as JSON",
            "&#34;$defs&#34;",
            "href=\"../../types/acme/widget/schema\"",
            "&#34;sprocket&#34;",
            "Widget archive <span class=\"badge badge-identifying\">identifying</span>",
            "Signed <code>provenance</code> statement.",
            "<code>com.acme.widget.color</code>",
            // Actions with their form.
            "<label for=\"registry\">Registry</label>",
            "<label for=\"repository\">Repository</label>",
            "<label for=\"tag\">Tag</label>",
            "data-template=\"widget install {name} --from oci://{registry}/{repository} --version {tag}\"",
            ">widget install {name} --from oci://{registry}/{repository} --version {tag}</code>",
            "data-copy=\"action-install\"",
            "action=\"../../types/acme/widget#actions\"",
            "href=\"https://acme.example/docs/pull\" rel=\"noopener noreferrer\"",
            // Tools, links, owners.
            "<a href=\"https://acme.example/cli\" rel=\"noopener noreferrer\">widget CLI</a>",
            "Specification: <a href=\"https://acme.example/spec\" rel=\"noopener noreferrer\">",
            "<a href=\"mailto:wile@acme.example\">wile@acme.example</a>",
            // JSON of the same definition.
            "href=\"../../types/acme/widget/index.json\"",
        ],
    );
}

#[tokio::test]
async fn descriptions_render_markdown_with_raw_html_escaped_and_unsafe_links_dropped() {
    let app = TestApp::spawn();
    let html = app.page("/types/acme/widget", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "<h3>Widgets</h3>",
            "<strong>packaged</strong>",
            "<a href=\"https://acme.example/spec\" rel=\"noopener noreferrer\">the spec</a>",
            "&lt;script&gt;alert(\"pwned\")&lt;/script&gt;",
            "&lt;img src=x onerror=alert(1)&gt;",
            "&lt;div class=&quot;raw&quot;&gt;block HTML&lt;/div&gt;",
            "A bad link loses its target.",
        ],
    );
    assert_lacks(
        &html,
        &[
            "<script>alert",
            "<img src=x",
            "javascript:",
            "<div class=\"raw\">",
        ],
    );
    // The only scripts are our own, loaded from a file.
    assert_eq!(html.matches("<script").count(), 1);
}

#[tokio::test]
async fn every_version_lists_what_changed_since_the_one_before() {
    let app = TestApp::spawn();
    let html = app.page("/types/acme/widget", StatusCode::OK).await;
    let versions = html
        .split_once("id=\"versions\"")
        .expect("a versions section")
        .1;
    assert_contains(
        versions,
        &[
            ">2.0.0</a>",
            ">1.1.0</a>",
            ">1.0.0</a>",
            "First published version.",
            // 1.0.0 -> 1.1.0
            "<span class=\"change change-changed\">changed</span> <code>status</code>: draft → active",
            "<span class=\"change change-added\">added</span> layer <code>application/vnd.acme.widget.provenance.v1</code>",
            "<span class=\"change change-added\">added</span> annotation <code>com.acme.widget.color</code>",
            "<span class=\"change change-added\">added</span> action <code>pull</code>",
            // 1.1.0 -> 2.0.0
            "<span class=\"change change-added\">added</span> <code>description</code>",
            "<span class=\"change change-changed\">changed</span> layer <code>application/vnd.acme.widget.layer.v1.tar+gzip</code>: identifying",
            "<span class=\"change change-changed\">changed</span> annotation <code>com.acme.widget.color</code>: required",
            "<span class=\"change change-added\">added</span> tag <code>widgets</code>",
            "<span class=\"change change-added\">added</span> schema property <code>owner</code>: required",
            "<span class=\"change change-added\">added</span> schema property <code>owner.email</code>",
            "<span class=\"change change-removed\">removed</span> schema property <code>legacy</code>",
            "<span class=\"change change-changed\">changed</span> schema property <code>size</code>: values",
            "<span class=\"change change-breaking\">breaking</span>",
            "href=\"../../types/acme/widget/1.0.0.json\"",
            "href=\"../../types/acme/widget?version=1.1.0\"",
        ],
    );
}

#[tokio::test]
async fn an_older_version_says_which_is_latest_and_keeps_its_version_in_the_form() {
    let app = TestApp::spawn();
    let html = app
        .page("/types/acme/widget?version=1.1.0", StatusCode::OK)
        .await;
    assert_contains(
        &html,
        &[
            "You are reading version 1.1.0. The latest version is <a href=\"../../types/acme/widget\">2.0.0</a>.",
            "<input type=\"hidden\" name=\"version\" value=\"1.1.0\">",
            "<a href=\"../../types/acme/widget?version=1.1.0\" aria-current=\"page\">1.1.0</a>",
            "href=\"../../types/acme/widget/1.1.0.json\">JSON</a>",
        ],
    );
    assert_lacks(&html, &["Install the widget"]);
}

#[tokio::test]
async fn the_action_form_fills_commands_on_the_server_too() {
    let app = TestApp::spawn();
    let html = app
        .page(
            "/types/acme/widget?registry=registry.example.com&repository=team/widgets&tag=2.1.0",
            StatusCode::OK,
        )
        .await;
    assert_contains(
        &html,
        &[
            ">widget install widgets --from oci://registry.example.com/team/widgets --version 2.1.0</code>",
            ">widget pull registry.example.com/team/widgets:2.1.0</code>",
            "value=\"registry.example.com\"",
        ],
    );
}

#[tokio::test]
async fn a_deprecated_type_shows_its_successor_sunset_and_icon() {
    let app = TestApp::spawn();
    let html = app.page("/types/acme/old-widget", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "<aside class=\"notice notice-deprecated\" aria-label=\"Deprecated\">",
            "should not be produced after 2027-06-30.",
            "Use <a href=\"../../types/acme/widget\">Acme widget</a> instead.",
            "<img class=\"type-icon type-icon-large\" src=\"data:image/svg+xml,%3Csvg",
            "alt=\"Old Acme widget icon\"",
        ],
    );
}

#[tokio::test]
async fn a_type_found_by_media_type_links_relative_to_its_own_address() {
    let app = TestApp::spawn();
    // Two levels deep as written, one when the slash is percent-encoded.
    let html = app
        .page("/types/application/vnd.acme.widget.v1+json", StatusCode::OK)
        .await;
    assert_contains(
        &html,
        &[
            "<h1>Acme widget</h1>",
            "href=\"../../types/acme/widget/index.json\"",
        ],
    );
    let html = app
        .page(
            "/types/application%2Fvnd.acme.widget.v1%2Bjson",
            StatusCode::OK,
        )
        .await;
    assert_contains(
        &html,
        &[
            "<h1>Acme widget</h1>",
            "href=\"../types/acme/widget/index.json\"",
        ],
    );
}

#[tokio::test]
async fn the_media_type_page_lists_the_types_that_use_it_and_their_roles() {
    let app = TestApp::spawn();
    let html = app
        .page(
            "/media-types/application/vnd.acme.widget.provenance.v1",
            StatusCode::OK,
        )
        .await;
    assert_contains(
        &html,
        &[
            "<code id=\"media-type\">application/vnd.acme.widget.provenance.v1</code>",
            "<a href=\"../../types/acme/widget\">Acme widget</a>",
            "<td>layer</td>",
        ],
    );
    let html = app
        .page(
            "/media-types/application/vnd.cncf.helm.config.v1+json",
            StatusCode::OK,
        )
        .await;
    assert_contains(
        &html,
        &["<td>artifact type</td>", "<td>config media type</td>"],
    );

    let html = app
        .page(
            "/media-types/application/vnd.nobody.v1",
            StatusCode::NOT_FOUND,
        )
        .await;
    assert_contains(&html, &["no type in the catalog uses"]);
}

#[tokio::test]
async fn the_classify_form_classifies_a_pasted_manifest() {
    let app = TestApp::spawn();
    let html = app.page("/classify", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "<h1>Classify a manifest</h1>",
            "<form class=\"classify-form\" method=\"post\" action=\"./classify\">",
            "<label for=\"manifest\">Manifest (JSON)</label>",
            "<label for=\"registry\">Registry</label>",
            "aria-current=\"page\">Classify</a>",
        ],
    );

    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:aa", "size": 1},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "sha256:bb", "size": 2}]
    });
    let response = app
        .client
        .post(app.url("/classify"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[
            ("manifest", manifest.to_string()),
            ("registry", "registry.example.com".into()),
            ("repository", "charts/webapp".into()),
            ("tag", "1.4.2".into()),
            ("digest", String::new()),
        ])
        .send()
        .await
        .expect("the form is answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert_html(response.headers(), "POST /classify");
    let html = response.text().await.expect("a page");
    assert_contains(
        &html,
        &[
            "It is a <a href=\"./types/cncf/helm-chart\">Helm chart</a>",
            "<dt>Matched by</dt><dd><code>layer</code></dd>",
            "<span class=\"badge badge-active\">yes</span>",
            ">helm install webapp oci://registry.example.com/charts/webapp --version 1.4.2</code>",
            "value=\"charts/webapp\"",
        ],
    );

    let response = app
        .client
        .post(app.url("/classify"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .form(&[("manifest", "{not json")])
        .send()
        .await
        .expect("the form is answered");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.expect("a page");
    assert_contains(
        &html,
        &[
            "role=\"alert\"",
            "It is not valid JSON",
            "{not json</textarea>",
        ],
    );

    // The JSON API of the same route is unchanged.
    let response = app
        .client
        .post(app.url("/classify"))
        .json(&manifest)
        .send()
        .await
        .expect("the API is answered");
    assert_eq!(response.status(), StatusCode::OK);
    let answer: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(answer["type"]["id"], "cncf/helm-chart");
    let response = app.get_api("/classify").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        header(response.headers(), CONTENT_TYPE.as_str()),
        Some("application/problem+json")
    );
}

#[tokio::test]
async fn the_api_page_links_the_machine_readable_documents_with_curl_examples() {
    let app = TestApp::spawn();
    let html = app.page("/api", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "<a href=\"./openapi.json\">OpenAPI 3.1 document</a>",
            "<a href=\"./index.json\">index.json</a>",
            // Never the Host it was asked for (the page is cached): a placeholder the page's
            // script replaces with the address the browser sees, unless --public-url is set.
            "<code data-origin>TYPEHOUSE=https://typehouse.example</code>",
            "curl -s \"$TYPEHOUSE/types/application/vnd.cncf.helm.config.v1+json\"",
            "POST \"$TYPEHOUSE/classify?registry=ghcr.io&amp;repository=team/app&amp;tag=1.0.0\"",
        ],
    );
}

#[tokio::test]
async fn errors_are_pages_for_browsers_and_problem_documents_for_programs() {
    let app = TestApp::spawn();
    let html = app.page("/no/such/page", StatusCode::NOT_FOUND).await;
    assert_contains(
        &html,
        &[
            "<p class=\"error-status\">404</p>",
            "<h1>Not Found</h1>",
            "nothing at /no/such/page",
            "<a class=\"button\" href=\"../../\">Back to the catalog</a>",
            "href=\"../../static/app.",
        ],
    );
    let html = app.page("/types/acme/nothing", StatusCode::NOT_FOUND).await;
    assert_contains(&html, &["no type `acme/nothing`"]);
    let html = app
        .page("/types/acme/widget?version=9", StatusCode::NOT_FOUND)
        .await;
    assert_contains(&html, &["has no version matching `9`"]);

    let response = app
        .client
        .delete(app.url("/types"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_html(response.headers(), "DELETE /types");
    assert_contains(
        &response.text().await.unwrap(),
        &["<h1>Method Not Allowed</h1>"],
    );

    for path in ["/no/such/page", "/types/acme/nothing"] {
        let response = app.get_api(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            header(response.headers(), CONTENT_TYPE.as_str()),
            Some("application/problem+json")
        );
    }
}

#[tokio::test]
async fn pages_carry_validators_a_security_policy_and_vary_on_accept() {
    let app = TestApp::spawn();
    let response = app.get_page("/types/acme/widget").await;
    let headers = response.headers().clone();
    let etag = header(&headers, "etag").expect("an ETag").to_string();
    assert!(
        etag.starts_with('"'),
        "pages are compressed by the service itself, one strong ETag per coding: {etag}"
    );
    assert!(
        header(&headers, "vary")
            .unwrap_or_default()
            .contains("Accept")
    );
    let policy = header(&headers, "content-security-policy").expect("a CSP");
    assert!(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"));
    let again = app
        .client
        .get(app.url("/types/acme/widget"))
        .header(ACCEPT, BROWSER_ACCEPT)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answered");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // The same URL still answers JSON to programs.
    let response = app.get_api("/types/acme/widget").await;
    assert_eq!(response.status(), StatusCode::OK);
    let definition: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(definition["id"], "acme/widget");
}

#[tokio::test]
async fn assets_are_served_at_content_hashed_names_for_a_year() {
    let app = TestApp::spawn();
    let html = app.page("/", StatusCode::OK).await;
    let assets: BTreeSet<&str> = html
        .match_indices("\"./static/")
        .map(|(at, _)| {
            let rest = &html[at + 3..];
            &rest[..rest.find('"').expect("a closing quote")]
        })
        .collect();
    assert_eq!(
        assets.len(),
        3,
        "the stylesheet, the script and the icon: {assets:?}"
    );
    for asset in assets {
        let path = format!("/{asset}");
        let content_type = match asset.rsplit('.').next() {
            Some("css") => "text/css",
            Some("js") => "text/javascript",
            _ => "image/svg+xml",
        };
        let response = app.get_page(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(response.headers(), CONTENT_TYPE.as_str())
                .unwrap_or_default()
                .starts_with(content_type),
            "{path}"
        );
        assert_eq!(
            header(response.headers(), CACHE_CONTROL.as_str()),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
    }
    let response = app.get_api("/static/app.0000000000.css").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
