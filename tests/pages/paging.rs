//! The catalog a page at a time: pages, filters and their links as query parameters without
//! JavaScript, the search index the script searches, the static site's page files, and a
//! page that stays small however large the catalog.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, ETAG, IF_NONE_MATCH};
use serde_json::Value;

use crate::helpers::{FixtureCatalog, TestApp, assert_contains, assert_lacks, card_ids, header};

/// The fixture catalog's 60 types and 130 generated ones: 4 pages of 60, 60, 60 and 10.
const BULK: usize = 130;

fn every_id(app: &TestApp) -> Vec<String> {
    app.catalog
        .load()
        .types()
        .map(|entry| entry.id.to_string())
        .collect()
}

/// The `href` of the pager link `rel`, if the page has one.
fn pager_link(html: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\" href=\"");
    let at = html.find(&marker)? + marker.len();
    let rest = &html[at..];
    let value = &rest[..rest.find('"').expect("a closing quote")];
    Some(value.replace("&amp;", "&").replace("&#38;", "&"))
}

#[tokio::test]
async fn the_catalog_is_paged_on_the_server_with_links_a_count_and_every_type_once() {
    let app = TestApp::spawn_over(FixtureCatalog::with_bulk(BULK));
    let every = every_id(&app);
    assert_eq!(every.len(), 60 + BULK);

    let first = app.page("/", StatusCode::OK).await;
    assert_eq!(card_ids(&first).len(), 60);
    assert_contains(
        &first,
        &["190 types, showing 1–60</p>", "Page 1 of 4</span>"],
    );
    assert_eq!(pager_link(&first, "prev"), None);
    assert_eq!(pager_link(&first, "next").as_deref(), Some("./?page=2"));

    let mut seen = card_ids(&first);
    for page in 2..=4 {
        let html = app.page(&format!("/?page={page}"), StatusCode::OK).await;
        assert_contains(&html, &[&format!("Page {page} of 4</span>")]);
        seen.extend(card_ids(&html));
        let previous = if page == 2 {
            "./".to_string()
        } else {
            format!("./?page={}", page - 1)
        };
        assert_eq!(pager_link(&html, "prev"), Some(previous));
        let next = (page < 4).then(|| format!("./?page={}", page + 1));
        assert_eq!(pager_link(&html, "next"), next);
    }
    assert_eq!(seen, every, "the pages hold every type once, in id order");
    let last = app.page("/?page=4", StatusCode::OK).await;
    assert_contains(&last, &["190 types, showing 181–190</p>"]);

    // `/types` for a browser is the same page, its links relative to `/types`.
    let types = app.page("/types?page=2", StatusCode::OK).await;
    assert_eq!(card_ids(&types), every[60..120]);
    assert_eq!(pager_link(&types, "next").as_deref(), Some("./?page=3"));
}

#[tokio::test]
async fn filters_and_the_page_combine_as_query_parameters_without_javascript() {
    let app = TestApp::spawn_over(FixtureCatalog::with_bulk(BULK));
    let odd: Vec<String> = every_id(&app)
        .into_iter()
        .filter(|id| {
            id.strip_prefix("bulk/type-")
                .and_then(|n| n.parse::<usize>().ok())
                .is_some_and(|n| n % 2 == 1)
        })
        .collect();
    assert_eq!(odd.len(), BULK / 2);

    let first = app.page("/types?q=BULK&tag=odd", StatusCode::OK).await;
    assert_eq!(card_ids(&first), odd[..60]);
    assert_contains(
        &first,
        &[
            "65 of 190 types match, showing 1–60</p>",
            "value=\"BULK\"",
            "<option value=\"odd\" selected>odd</option>",
        ],
    );
    let next = pager_link(&first, "next").expect("a next page");
    assert_eq!(next, "./?q=BULK&tag=odd&page=2");

    // The link goes where the form would: the next page of the same filters.
    let second = app.page(&format!("/{}", &next[2..]), StatusCode::OK).await;
    assert_eq!(card_ids(&second), odd[60..]);
    assert_contains(&second, &["65 of 190 types match, showing 61–65</p>"]);
    assert_eq!(
        pager_link(&second, "prev").as_deref(),
        Some("./?q=BULK&tag=odd")
    );
    assert_eq!(pager_link(&second, "next"), None);

    // A form's "any" choices arrive empty, and filter nothing, in the page as in the API.
    let html = app
        .page("/?q=bulk&vendor=&status=&tag=odd", StatusCode::OK)
        .await;
    assert_eq!(card_ids(&html), odd[..60]);
    let total = |body: Value| body["total"].as_u64().expect("a total");
    let with_empty: Value = app
        .get_api("/types?q=helm&vendor=&status=&tag=")
        .await
        .json()
        .await
        .expect("JSON");
    let without: Value = app
        .get_api("/types?q=helm")
        .await
        .json()
        .await
        .expect("JSON");
    assert!(total(without.clone()) > 0);
    assert_eq!(total(with_empty), total(without));

    // Values that need encoding survive the round trip.
    let html = app.page("/?q=a%26b+c&status=active", StatusCode::OK).await;
    assert_contains(&html, &["value=\"a&#38;b c\"", "0 of 190 types match</p>"]);
    assert_lacks(&html, &["rel=\"next\" href"]);

    // One page of results has no pager.
    let html = app.page("/?vendor=acme", StatusCode::OK).await;
    assert_contains(
        &html,
        &[
            "2 of 190 types match</p>",
            "id=\"pager\" aria-label=\"Pages\" hidden",
        ],
    );
}

#[tokio::test]
async fn a_page_that_is_not_a_whole_number_from_one_or_lies_past_the_last_is_refused() {
    let app = TestApp::spawn_over(FixtureCatalog::with_bulk(BULK));
    for (query, status, says) in [
        (
            "page=0",
            StatusCode::BAD_REQUEST,
            "page must be a whole number from 1",
        ),
        ("page=two", StatusCode::BAD_REQUEST, "not `two`"),
        (
            "page=-1",
            StatusCode::BAD_REQUEST,
            "page must be a whole number from 1",
        ),
        (
            "page=99999999999999999999999",
            StatusCode::BAD_REQUEST,
            "page must be",
        ),
        (
            "page=5",
            StatusCode::NOT_FOUND,
            "page 5 is past the last page of these types, 4",
        ),
        (
            "vendor=acme&page=2",
            StatusCode::NOT_FOUND,
            "past the last page of these types, 1",
        ),
    ] {
        let html = app.page(&format!("/?{query}"), status).await;
        assert_contains(&html, &[says]);
    }
    // An empty `page` is the first, as a form with an empty field sends it.
    let html = app.page("/?page=", StatusCode::OK).await;
    assert_contains(&html, &["Page 1 of 4"]);
}

#[tokio::test]
async fn the_search_index_holds_every_type_as_a_row_with_an_etag_and_gzip() {
    let app = TestApp::spawn_over(FixtureCatalog::with_bulk(BULK));
    let response = app.get_api("/search-index.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = header(response.headers(), ETAG.as_str())
        .expect("an ETag")
        .to_string();
    let bytes = response.bytes().await.expect("a body");
    assert!(!bytes.contains(&b'\n'), "compact: no indentation");
    let index: Value = serde_json::from_slice(&bytes).expect("JSON");
    let fields: Vec<&str> = index["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f.as_str().expect("a name"))
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "name",
            "summary",
            "status",
            "version",
            "identifyingMediaTypes",
            "layerMediaTypes",
            "tags",
            "iconSvg"
        ]
    );
    let rows = index["types"].as_array().expect("rows");
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str().expect("an id")).collect();
    assert_eq!(ids, every_id(&app));
    // Each row says what the index says of that type, and the icon the card shows.
    let full: Value = app.get_api("/index.json").await.json().await.expect("JSON");
    for (row, summary) in rows.iter().zip(full["types"].as_array().expect("types")) {
        for (at, field) in fields.iter().enumerate().take(7) {
            assert_eq!(row[at], summary[field], "{field} of {}", row[0]);
        }
        assert_eq!(
            row[7],
            summary.get("tags").cloned().unwrap_or(Value::Array(vec![]))
        );
    }
    let row_of = |id: &str| &rows[ids.iter().position(|i| *i == id).expect("a row")];
    let icon = &row_of("acme/old-widget")[8];
    assert!(
        icon.as_str().is_some_and(|svg| svg.contains("<svg")),
        "{icon}"
    );
    assert_eq!(row_of("cncf/helm-chart")[8], Value::Null);

    // Cached as every document: 304 for its ETag, a gzip variant with its own.
    let again = app
        .client
        .get(app.url("/search-index.json"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("an answer");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let gzipped = app
        .client
        .get(app.url("/search-index.json"))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("an answer");
    assert_eq!(header(gzipped.headers(), "content-encoding"), Some("gzip"));
    let gzip_etag = header(gzipped.headers(), ETAG.as_str()).expect("an ETag");
    assert_ne!(gzip_etag, etag);
    let compressed = gzipped.bytes().await.expect("a body");
    assert!(
        compressed.len() * 3 < bytes.len(),
        "{} of {}",
        compressed.len(),
        bytes.len()
    );
}

#[tokio::test]
async fn the_catalog_page_stays_small_and_holds_no_card_beyond_its_page_on_a_large_catalog() {
    let small = TestApp::spawn_over(FixtureCatalog::with_bulk(BULK));
    let large = TestApp::spawn_over(FixtureCatalog::with_bulk(3000));
    let small_page = small.page("/", StatusCode::OK).await;
    let large_page = large.page("/", StatusCode::OK).await;
    assert_eq!(card_ids(&large_page).len(), 60);
    assert_contains(
        &large_page,
        &["3060 types, showing 1–60</p>", "Page 1 of 51</span>"],
    );
    assert!(
        large_page.len() < 512 * 1024,
        "the page of 3,060 types is {} bytes",
        large_page.len()
    );
    // The same vendors and tags, so the same size but for the counts: the page does not grow
    // with the catalog.
    let grown = large_page.len().abs_diff(small_page.len());
    assert!(grown < 64, "the page grew by {grown} bytes");
    let last = large.page("/?page=51", StatusCode::OK).await;
    assert_eq!(card_ids(&last).len(), 3060 - 50 * 60);
}

#[test]
fn the_static_site_pages_the_whole_catalog_as_files_with_relative_links() {
    let catalog = FixtureCatalog::with_bulk(BULK);
    let every: Vec<String> = catalog
        .load()
        .types()
        .map(|entry| entry.id.to_string())
        .collect();
    let out = tempfile::TempDir::new().expect("an output directory");
    typehouse::site::build(catalog.load(), out.path()).expect("the site builds");
    let read = |file: &str| {
        std::fs::read_to_string(out.path().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    };

    let mut seen = Vec::new();
    let files = ["index.html", "page/2.html", "page/3.html", "page/4.html"];
    for (at, file) in files.iter().enumerate() {
        let html = read(file);
        let page = at + 1;
        assert_contains(&html, &[&format!("Page {page} of 4</span>")]);
        seen.extend(card_ids(&html));
        let here = std::path::Path::new(file).parent().expect("a folder");
        for (rel, target) in [
            ("prev", (page > 1).then(|| files[at - 1])),
            ("next", files.get(page).copied()),
        ] {
            let link = pager_link(&html, rel);
            match target {
                None => assert_eq!(link, None, "{file} {rel}"),
                Some(target) => {
                    let link = link.unwrap_or_else(|| panic!("{file} has no {rel} link"));
                    let resolved = out.path().join(here).join(&link);
                    assert_eq!(
                        resolved.canonicalize().expect("the link resolves"),
                        out.path()
                            .join(target)
                            .canonicalize()
                            .expect("the page exists"),
                        "{file} {rel}: {link}"
                    );
                }
            }
        }
        // The script finds the search index from any page.
        let index = html
            .split("data-search-index=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the search index's link");
        assert!(
            out.path().join(here).join(index).is_file(),
            "{file}: {index}"
        );
    }
    assert!(!out.path().join("page/5.html").exists());
    assert!(!out.path().join("page/1.html").exists());
    assert_eq!(seen, every);
    let ids: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(ids.len(), every.len());
}
