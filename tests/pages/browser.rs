//! The pages in real headless Chromium, driven over WebDriver (chromedriver): no console
//! errors, the search box filters as you type, copy buttons and the action form work.
//! Screenshots land in `target/screenshots/` for review.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::driver::{Driver, save_screenshot};
use crate::helpers::{FixtureCatalog, TestApp, card_ids};

/// Evaluates `script` (a function body) and returns its value.
async fn eval(browser: &Client, script: &str) -> Value {
    browser
        .execute(script, Vec::new())
        .await
        .expect("the script runs")
}

/// Elements that stick out of the viewport sideways (outside any scrolling box).
async fn sideways_overflow(browser: &Client) -> Value {
    eval(
        browser,
        "const width = document.documentElement.clientWidth; const found = [];\
         for (const e of document.querySelectorAll('body *')) {\
           const r = e.getBoundingClientRect(); if (r.right <= width + 1 || r.width === 0) continue;\
           let p = e.parentElement, clipped = false;\
           while (p) { if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; } p = p.parentElement; }\
           if (!clipped) found.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ends at ' + Math.round(r.right) + ' of ' + width);\
         } return found.slice(0, 12);",
    )
    .await
}

/// Loads the catalog page and waits for its cards.
async fn open_catalog(browser: &Client, app: &TestApp) {
    browser
        .goto(&app.url("/"))
        .await
        .expect("the catalog loads");
    browser
        .wait()
        .for_element(Locator::Css("[data-card]"))
        .await
        .expect("cards");
}

async fn wait_until(browser: &Client, script: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if eval(browser, script).await == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn in_chromium_the_catalog_filters_as_you_type_and_the_type_page_copies_and_fills() {
    let app = TestApp::spawn();
    let driver = Driver::start();
    let browser = driver.browser(1280, 1000).await;

    // The catalog loads without console errors.
    open_catalog(&browser, &app).await;
    driver.assert_no_console_errors(&browser, "/").await;
    let total = eval(
        &browser,
        "return document.querySelectorAll('[data-card]').length",
    )
    .await;
    assert_eq!(
        total,
        json!(app.catalog.load().len()),
        "one page holds them all"
    );
    save_screenshot(&browser, "catalog.png").await;

    // Typing searches, with no submit.
    let search = browser
        .find(Locator::Id("q"))
        .await
        .expect("the search box");
    search.send_keys("helm").await.expect("typing");
    wait_until(
        &browser,
        "return document.getElementById('result-count').textContent.indexOf('match') !== -1",
        "the list to filter",
    )
    .await;
    let shown: Vec<String> = serde_json::from_value(
        eval(
            &browser,
            "return Array.from(document.querySelectorAll('[data-card] h2')).map(h => h.textContent.trim())",
        )
        .await,
    )
    .expect("names");
    assert!(shown.iter().any(|name| name == "Helm chart"), "{shown:?}");
    assert!(!shown.iter().any(|name| name == "Acme widget"), "{shown:?}");
    let count = browser
        .find(Locator::Id("result-count"))
        .await
        .expect("the count")
        .text()
        .await
        .expect("its text");
    assert!(count.contains(" types match"), "{count}");
    let address = browser.current_url().await.expect("a URL");
    assert_eq!(address.query(), Some("q=helm"));

    // A status filter narrows further; emptying the search widens again.
    let status = browser
        .find(Locator::Id("status"))
        .await
        .expect("the status filter");
    status
        .select_by_value("deprecated")
        .await
        .expect("selecting a status");
    wait_until(
        &browser,
        "return document.getElementById('no-results').hidden === false",
        "no helm type to be deprecated",
    )
    .await;
    status.select_by_value("").await.expect("any status");
    search.clear().await.expect("clearing");
    search.send_keys("acme").await.expect("typing");
    wait_until(
        &browser,
        "return document.querySelectorAll('[data-card]').length === 2",
        "the two acme types",
    )
    .await;
    driver
        .assert_no_console_errors(&browser, "/ after filtering")
        .await;

    // The type page: copy a media type, fill the action form.
    browser
        .goto(&app.url("/types/acme/widget"))
        .await
        .expect("the type page loads");
    let copy = browser
        .wait()
        .for_element(Locator::Css("button[data-copy='media-type-0']"))
        .await
        .expect("a copy button");
    assert!(
        copy.is_displayed().await.expect("visibility"),
        "the script shows copy buttons"
    );
    copy.click().await.expect("clicking copy");
    wait_until(
        &browser,
        "return document.querySelector(\"button[data-copy='media-type-0']\").textContent === 'Copied'",
        "the button to say Copied",
    )
    .await;

    for (field, value) in [
        ("registry", "registry.example.com"),
        ("repository", "team/widgets"),
        ("tag", "2.1.0"),
    ] {
        browser
            .find(Locator::Id(field))
            .await
            .expect("a form field")
            .send_keys(value)
            .await
            .expect("typing");
    }
    let command = browser
        .find(Locator::Id("action-install"))
        .await
        .expect("the install command")
        .text()
        .await
        .expect("its text");
    assert_eq!(
        command,
        "widget install widgets --from oci://registry.example.com/team/widgets --version 2.1.0"
    );
    let pull = browser
        .find(Locator::Id("action-pull"))
        .await
        .expect("the pull command")
        .text()
        .await
        .expect("its text");
    assert_eq!(pull, "widget pull registry.example.com/team/widgets:2.1.0");

    // The action's copy button copies the filled command.
    browser
        .find(Locator::Css("button[data-copy='action-install']"))
        .await
        .expect("a copy button")
        .click()
        .await
        .expect("clicking copy");
    wait_until(
        &browser,
        "return document.querySelector(\"button[data-copy='action-install']\").textContent === 'Copied'",
        "the command's button to say Copied",
    )
    .await;
    driver
        .assert_no_console_errors(&browser, "/types/acme/widget")
        .await;
    browser
        .execute("window.scrollTo(0, 0)", Vec::new())
        .await
        .expect("scrolling");
    save_screenshot(&browser, "type-page.png").await;
    eval(
        &browser,
        "document.getElementById('actions').scrollIntoView(); return true",
    )
    .await;
    save_screenshot(&browser, "type-page-actions.png").await;
    eval(
        &browser,
        "document.getElementById('config').scrollIntoView(); return true",
    )
    .await;
    save_screenshot(&browser, "type-page-config.png").await;
    browser.close().await.expect("the browser closes");

    // A phone-sized window.
    let phone = driver.phone(390, 844).await;
    open_catalog(&phone, &app).await;
    assert_eq!(
        sideways_overflow(&phone).await,
        json!([]),
        "the catalog sticks out sideways on a phone"
    );
    save_screenshot(&phone, "catalog-phone.png").await;
    phone
        .goto(&app.url("/types/acme/widget"))
        .await
        .expect("the type page loads");
    assert_eq!(
        sideways_overflow(&phone).await,
        json!([]),
        "the type page sticks out sideways on a phone"
    );
    save_screenshot(&phone, "type-page-phone.png").await;
    driver.assert_no_console_errors(&phone, "phone pages").await;
    phone.close().await.expect("the browser closes");
}

#[tokio::test]
async fn in_chromium_every_control_is_reachable_by_keyboard_and_shows_focus() {
    let app = TestApp::spawn();
    let driver = Driver::start();
    let browser = driver.browser(1280, 900).await;
    open_catalog(&browser, &app).await;
    // Tab from the top: the skip link comes first and is visible when focused.
    let body = browser.find(Locator::Css("body")).await.expect("a body");
    body.send_keys(&fantoccini::key::Key::Tab)
        .await
        .expect("tab");
    let focused = eval(
        &browser,
        "const e = document.activeElement; const r = e.getBoundingClientRect(); \
         return {text: e.textContent.trim(), top: r.top, outline: getComputedStyle(e).outlineStyle}",
    )
    .await;
    assert_eq!(focused["text"], "Skip to the content");
    assert!(focused["top"].as_f64().unwrap_or(-1.0) >= 0.0, "{focused}");
    // Every form control has a label.
    let unlabelled = eval(
        &browser,
        "return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))\
           .filter(e => !(e.labels && e.labels.length)).map(e => e.id || e.name)",
    )
    .await;
    assert_eq!(unlabelled, json!([]));
    // Tabbing reaches the search box, and focus is drawn.
    let mut reached = false;
    for _ in 0..10 {
        let active = browser.active_element().await.expect("an active element");
        active
            .send_keys(&fantoccini::key::Key::Tab)
            .await
            .expect("tab");
        let state = eval(
            &browser,
            "const e = document.activeElement; return {id: e.id, outline: getComputedStyle(e).outlineStyle}",
        )
        .await;
        if state["id"] == "q" {
            assert_ne!(
                state["outline"], "none",
                "the focused search box shows no outline"
            );
            reached = true;
            break;
        }
    }
    assert!(reached, "tabbing never reached the search box");
    driver.assert_no_console_errors(&browser, "/").await;
    browser.close().await.expect("the browser closes");
}

/// The text of the action command `id` on the page.
async fn command_text(browser: &Client, id: &str) -> String {
    browser
        .find(Locator::Id(id))
        .await
        .expect("the command")
        .text()
        .await
        .expect("its text")
}

async fn set_field(browser: &Client, field: &str, value: &str) {
    // Typed through the page's own input event, as a person pasting would.
    browser
        .execute(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1];\
             e.dispatchEvent(new Event('input', {bubbles: true})); return true",
            vec![json!(field), json!(value)],
        )
        .await
        .expect("the field is set");
}

#[tokio::test]
async fn in_chromium_the_action_form_refuses_hostile_values_and_fills_quoted_argv() {
    let app = TestApp::spawn();
    let driver = Driver::start();
    let browser = driver.browser(1280, 1000).await;
    browser
        .goto(&app.url("/types/acme/widget"))
        .await
        .expect("the type page loads");
    browser
        .wait()
        .for_element(Locator::Css("code[data-template]"))
        .await
        .expect("the actions");

    // The script in the page passes the shared vectors.
    let vectors = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-vectors.json"),
    )
    .expect("the vectors");
    let failures = browser
        .execute(
            "const a = window.typehouseActions; const failed = [];\
             for (const v of JSON.parse(arguments[0])) {\
               const c = a.check(v.values); let got;\
               if (c.refused) got = {refused: c.refused};\
               else { const f = a.fill(a.split(v.template), c.values); got = {argv: f.argv, command: f.command}; }\
               const want = v.refused ? {refused: v.refused} : {argv: v.argv, command: v.command};\
               if (JSON.stringify(got) !== JSON.stringify(want)) failed.push(v.note + ': ' + JSON.stringify(got));\
             } return failed",
            vec![json!(vectors)],
        )
        .await
        .expect("the vectors run");
    assert_eq!(failures, json!([]), "the page's script disagrees");

    let template = "widget install {name} --from oci://{registry}/{repository} --version {tag}";
    let valid = [
        ("registry", "[::1]:5000"),
        ("repository", "team/widgets"),
        ("tag", "2.1.0"),
        ("digest", ""),
    ];
    let hostile = [
        "$(touch MARKER)",
        "`touch MARKER`",
        ";touch MARKER",
        "&&touch MARKER",
        "|touch MARKER",
        ">MARKER",
        "\ntouch MARKER",
        "'$(touch MARKER)'",
        "\"x",
    ];
    for (field, good) in valid {
        for bad in hostile {
            for (other, value) in valid {
                set_field(&browser, other, value).await;
            }
            let value = if field == "digest" {
                format!("sha256:{}{bad}", "a".repeat(64))
            } else {
                format!("{good}{bad}")
            };
            set_field(&browser, field, &value).await;
            // Refused: the templates stay unfilled and the field says why.
            assert_eq!(
                command_text(&browser, "action-install").await,
                template,
                "{field} = {value:?}"
            );
            let refused = eval(
                &browser,
                &format!(
                    "const e = document.getElementById('{field}');\
                     const m = document.querySelector('[data-error-for=\"{field}\"]');\
                     return e.getAttribute('aria-invalid') === 'true' && !m.hidden && m.textContent.includes('{field}')"
                ),
            )
            .await;
            assert_eq!(
                refused,
                json!(true),
                "{field} = {value:?} is not shown refused"
            );
        }
    }

    // Valid values: the command is the quoted argv, and runs as exactly that.
    for (field, value) in valid {
        set_field(&browser, field, value).await;
    }
    let command = command_text(&browser, "action-install").await;
    assert_eq!(
        command,
        "widget install widgets --from 'oci://[::1]:5000/team/widgets' --version 2.1.0"
    );
    let rest = command
        .strip_prefix("widget")
        .expect("the program comes first");
    let dir = tempfile::tempdir().expect("a directory");
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s\\n'{rest}"))
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "install\nwidgets\n--from\noci://[::1]:5000/team/widgets\n--version\n2.1.0\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("listed").count(), 0);
    driver
        .assert_no_console_errors(&browser, "/types/acme/widget with hostile values")
        .await;
    browser.close().await.expect("the browser closes");
}

/// The text of the element `id`.
async fn text_of(browser: &Client, id: &str) -> String {
    browser
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no #{id}"))
        .text()
        .await
        .expect("its text")
}

/// Waits until the address's query is `query`.
async fn wait_for_query(browser: &Client, query: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let address = browser.current_url().await.expect("a URL");
        if address.query() == Some(query) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for ?{query}, at {address}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ids of the cards the browser shows.
async fn shown_ids(browser: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for code in browser
        .find_all(Locator::Css("[data-card] .type-id code"))
        .await
        .expect("the cards' ids")
    {
        ids.push(code.text().await.expect("an id"));
    }
    ids
}

#[tokio::test]
async fn in_chromium_without_script_the_pager_and_the_filters_are_plain_links_and_forms() {
    let app = TestApp::spawn_over(FixtureCatalog::with_bulk(130));
    let driver = Driver::start();
    let browser = driver.without_script(1280, 1000).await;

    // Scripts really are off: the copy buttons keep the `hidden` the script takes away.
    browser
        .goto(&app.url("/types/acme/widget"))
        .await
        .expect("the type page loads");
    let copy = browser
        .find(Locator::Css("button[data-copy]"))
        .await
        .expect("a copy button");
    assert!(copy.attr("hidden").await.expect("an attribute").is_some());
    assert!(
        !copy.is_displayed().await.expect("its display"),
        "a copy button that cannot copy is not shown"
    );

    browser
        .goto(&app.url("/"))
        .await
        .expect("the catalog loads");
    assert_eq!(shown_ids(&browser).await.len(), 60);
    assert_eq!(
        text_of(&browser, "result-count").await,
        "190 types, showing 1–60"
    );
    browser
        .find(Locator::Css("a[rel=next]"))
        .await
        .expect("a next link")
        .click()
        .await
        .expect("following it");
    wait_for_query(&browser, "page=2").await;
    let served = app.page("/?page=2", reqwest::StatusCode::OK).await;
    assert_eq!(shown_ids(&browser).await, card_ids(&served));

    // The form sends the filters; the pager keeps them.
    browser
        .find(Locator::Id("q"))
        .await
        .expect("the search box")
        .send_keys("bulk")
        .await
        .expect("typing");
    browser
        .find(Locator::Id("tag"))
        .await
        .expect("the tag filter")
        .select_by_value("odd")
        .await
        .expect("a tag");
    browser
        .find(Locator::Css("form[data-filter-form] button[type=submit]"))
        .await
        .expect("the filter button")
        .click()
        .await
        .expect("submitting");
    wait_for_query(&browser, "q=bulk&vendor=&status=&tag=odd").await;
    assert_eq!(
        text_of(&browser, "result-count").await,
        "65 of 190 types match, showing 1–60"
    );
    browser
        .find(Locator::Css("a[rel=next]"))
        .await
        .expect("a next link")
        .click()
        .await
        .expect("following it");
    wait_for_query(&browser, "q=bulk&tag=odd&page=2").await;
    assert_eq!(
        text_of(&browser, "result-count").await,
        "65 of 190 types match, showing 61–65"
    );
    assert_eq!(shown_ids(&browser).await.len(), 5);
    browser.close().await.expect("the browser closes");
}

#[tokio::test]
async fn in_chromium_instant_search_reads_the_search_index_and_pages_as_the_server_does() {
    let app = TestApp::spawn_over(FixtureCatalog::with_bulk(130));
    let driver = Driver::start();
    let browser = driver.browser(1280, 1000).await;
    open_catalog(&browser, &app).await;
    driver.assert_no_console_errors(&browser, "/").await;

    let search = browser
        .find(Locator::Id("q"))
        .await
        .expect("the search box");
    // Instant search draws icons from the index too.
    search.send_keys("old acme").await.expect("typing");
    wait_until(
        &browser,
        "return document.querySelectorAll('[data-card] img.type-icon').length === 1 \
         && document.querySelectorAll('[data-card]').length === 1",
        "the old widget and its icon",
    )
    .await;
    search.clear().await.expect("clearing");
    search.send_keys("BULK").await.expect("typing");
    browser
        .find(Locator::Id("tag"))
        .await
        .expect("the tag filter")
        .select_by_value("odd")
        .await
        .expect("a tag");
    wait_until(
        &browser,
        "return document.getElementById('result-count').textContent === '65 of 190 types match, showing 1–60'",
        "the search to run",
    )
    .await;
    wait_for_query(&browser, "q=BULK&tag=odd").await;

    // The cards and links the script drew are the server's for the same query.
    let served = app.page("/?q=BULK&tag=odd", reqwest::StatusCode::OK).await;
    assert_eq!(shown_ids(&browser).await, card_ids(&served));
    let first = browser
        .find(Locator::Css("[data-card]"))
        .await
        .expect("a card")
        .html(false)
        .await
        .expect("its markup");
    let served_first = served
        .split("<li class=\"card\" data-card>")
        .nth(1)
        .and_then(|card| card.split("</li>\n").next())
        .expect("the served first card");
    // The same elements, attributes and text, whitespace and entity spelling aside.
    let words = |html: &str| -> Vec<String> {
        html.replace("&#39;", "'")
            .replace("&#38;", "&")
            .replace("&amp;", "&")
            .replace("=\"\"", "")
            .split(|c: char| c == '<' || c == '>' || c.is_whitespace())
            .filter(|w| !w.is_empty() && *w != "/li")
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        words(&first),
        words(&format!("<li class=\"card\" data-card>{served_first}")),
        "the script draws a card as the server does"
    );
    let next = browser
        .find(Locator::Css("a[rel=next]"))
        .await
        .expect("a next link")
        .attr("href")
        .await
        .expect("an attribute")
        .expect("an href");
    assert_eq!(next, "./?q=BULK&tag=odd&page=2");

    // One fetch of the search index served every keystroke.
    let fetched = eval(
        &browser,
        "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/search-index.json')).length",
    )
    .await;
    assert_eq!(fetched, json!(1));

    // The pager link of a filtered search is the server's next page.
    search.clear().await.expect("clearing");
    search.send_keys("bulk").await.expect("typing");
    wait_until(
        &browser,
        "return document.getElementById('result-count').textContent === '65 of 190 types match, showing 1–60'",
        "the search to run again",
    )
    .await;
    wait_for_query(&browser, "q=bulk&tag=odd").await;
    browser
        .find(Locator::Css("a[rel=next]"))
        .await
        .expect("a next link")
        .click()
        .await
        .expect("following it");
    wait_for_query(&browser, "q=bulk&tag=odd&page=2").await;
    assert_eq!(
        text_of(&browser, "result-count").await,
        "65 of 190 types match, showing 61–65"
    );
    driver
        .assert_no_console_errors(&browser, "the second page")
        .await;
    browser.close().await.expect("the browser closes");
}

/// Serves the files under `root` over HTTP as a static host does (ignoring the query string),
/// on its own thread, for as long as the test runs; answers its address.
fn static_host(root: PathBuf) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            if BufReader::new(&stream).read_line(&mut line).is_err() {
                continue;
            }
            let target = line.split_whitespace().nth(1).unwrap_or("/");
            let path = target.split('?').next().unwrap_or("/");
            let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
            let mut file = root.join(decoded.trim_start_matches('/'));
            if file.is_dir() {
                file = file.join("index.html");
            }
            let (status, body) = match std::fs::read(&file) {
                Ok(body) if !decoded.contains("..") => ("200 OK", body),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let content_type = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("json") => "application/json",
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                Some("svg") => "image/svg+xml",
                _ => "application/octet-stream",
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    address
}

#[tokio::test]
async fn in_chromium_the_static_site_searches_and_pages_over_its_files() {
    let catalog = FixtureCatalog::with_bulk(130);
    let out = tempfile::TempDir::new().expect("an output directory");
    typehouse::site::build(catalog.load(), out.path()).expect("the site builds");
    let host = static_host(out.path().to_path_buf());
    let driver = Driver::start();
    let browser = driver.browser(1280, 1000).await;

    // The pages of the whole catalog are files.
    browser
        .goto(&format!("{host}/page/2.html"))
        .await
        .expect("the second page loads");
    assert_eq!(
        text_of(&browser, "result-count").await,
        "190 types, showing 61–120"
    );
    let served = std::fs::read_to_string(out.path().join("page/2.html")).expect("the page");
    assert_eq!(shown_ids(&browser).await, card_ids(&served));

    // Typing searches the index; the address becomes the catalog page with the query.
    let search = browser
        .find(Locator::Id("q"))
        .await
        .expect("the search box");
    search.send_keys("bulk").await.expect("typing");
    browser
        .find(Locator::Id("tag"))
        .await
        .expect("the tag filter")
        .select_by_value("odd")
        .await
        .expect("a tag");
    wait_until(
        &browser,
        "return document.getElementById('result-count').textContent === '65 of 190 types match, showing 1–60'",
        "the search to run",
    )
    .await;
    wait_for_query(&browser, "q=bulk&tag=odd").await;
    let address = browser.current_url().await.expect("a URL");
    assert_eq!(address.path(), "/index.html");

    // Its next page is the same file with the page in the query, which the script applies.
    browser
        .find(Locator::Css("a[rel=next]"))
        .await
        .expect("a next link")
        .click()
        .await
        .expect("following it");
    wait_until(
        &browser,
        "return document.getElementById('result-count').textContent === '65 of 190 types match, showing 61–65'",
        "the second page of the search",
    )
    .await;
    assert_eq!(shown_ids(&browser).await.len(), 5);
    assert_eq!(
        browser
            .find(Locator::Id("q"))
            .await
            .expect("the search box")
            .prop("value")
            .await
            .expect("a value"),
        Some("bulk".to_string())
    );
    driver
        .assert_no_console_errors(&browser, "the static site")
        .await;
    browser.close().await.expect("the browser closes");
}
