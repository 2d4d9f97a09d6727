//! Headless Chromium over WebDriver: a chromedriver on a free port, browser sessions, console
//! logs and screenshots (`target/screenshots/`). The page tests use it, and the registry tests
//! include it for the listing page.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

pub const INSTALL: &str = "apt-get install -y chromium chromium-driver";

/// Does chromedriver on `port` answer its `/status` as ready?
fn driver_ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.replace(' ', "").contains("\"ready\":true")
}

/// A chromedriver on a free port, stopped (with its browsers) when dropped.
pub struct Driver {
    process: Child,
    url: String,
    _profile: tempfile::TempDir,
    profile: PathBuf,
}

impl Driver {
    pub fn start() -> Self {
        for program in ["chromium", "chromedriver"] {
            let found = Command::new(program)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            assert!(
                found,
                "the browser tests need `{program}` on PATH: install Chromium and its driver \
                 with `{INSTALL}` (scripts/test does this on a fresh machine)"
            );
        }
        // The port is free when chosen but may be taken before chromedriver binds it (by a
        // test server of a concurrent test): then chromedriver exits, and another port is
        // tried. Readiness is chromedriver's own `/status`, not just an open port, which could
        // belong to someone else.
        let mut attempts = 0;
        let (process, url) = loop {
            attempts += 1;
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port")
                .port();
            let mut process = Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| panic!("chromedriver does not start ({error}); {INSTALL}"));
            let deadline = Instant::now() + Duration::from_secs(30);
            let ready = loop {
                if driver_ready(port) {
                    break true;
                }
                if process.try_wait().is_ok_and(|status| status.is_some())
                    || Instant::now() > deadline
                {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            if ready {
                break (process, format!("http://127.0.0.1:{port}"));
            }
            let _ = process.kill();
            let _ = process.wait();
            assert!(attempts < 3, "chromedriver did not become ready on {port}");
        };
        let profile = tempfile::TempDir::new().expect("a profile directory");
        Self {
            process,
            url,
            profile: profile.path().to_path_buf(),
            _profile: profile,
        }
    }

    /// A desktop browser window of `width` × `height`.
    pub async fn browser(&self, width: u32, height: u32) -> Client {
        self.session(width, height, None).await
    }

    /// A phone: Chrome's mobile emulation of a `width` pixels wide screen (windows cannot be
    /// made that narrow).
    pub async fn phone(&self, width: u32, height: u32) -> Client {
        let metrics = json!({"width": width, "height": height, "pixelRatio": 2.0, "mobile": true, "touch": true});
        self.session(width, height, Some(json!({ "deviceMetrics": metrics })))
            .await
    }

    /// A desktop browser that runs no page script, as a reader who turned JavaScript off
    /// (in a profile of its own, where the setting is kept).
    pub async fn without_script(&self, width: u32, height: u32) -> Client {
        let prefs = json!({
            "webkit.webprefs.javascript_enabled": false,
            "profile.default_content_setting_values.javascript": 2,
        });
        self.session_with(width, height, None, Some(prefs)).await
    }

    async fn session(&self, width: u32, height: u32, emulation: Option<Value>) -> Client {
        self.session_with(width, height, emulation, None).await
    }

    async fn session_with(
        &self,
        width: u32,
        height: u32,
        emulation: Option<Value>,
        prefs: Option<Value>,
    ) -> Client {
        let profile = if prefs.is_some() {
            format!("{width}x{height}-no-script")
        } else {
            format!("{width}x{height}")
        };
        let mut capabilities = serde_json::Map::new();
        let mut options = json!({
                "binary": chromium_binary(),
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", self.profile.join(&profile).display()),
                ],
        });
        if let Some(emulation) = emulation {
            options["mobileEmulation"] = emulation;
        }
        if let Some(prefs) = prefs {
            options["prefs"] = prefs;
        }
        capabilities.insert("goog:chromeOptions".into(), options);
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        // A browser that fails to come up (a busy machine) gets two more tries.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&self.url)
                .await
            {
                Ok(client) => return client,
                Err(error) if attempt >= 3 => {
                    panic!("no browser session ({error}); is Chromium installed? {INSTALL}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// Console messages since the last call: chromedriver's browser log.
    pub async fn console(&self, browser: &Client) -> Vec<Value> {
        let session = browser
            .session_id()
            .await
            .expect("a session id")
            .expect("a session");
        let response = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.url))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .expect("chromedriver answers");
        let body: Value = response.json().await.expect("a JSON log");
        body["value"].as_array().cloned().unwrap_or_default()
    }

    pub async fn assert_no_console_errors(&self, browser: &Client, page: &str) {
        let errors: Vec<Value> = self
            .console(browser)
            .await
            .into_iter()
            .filter(|entry| entry["level"] == "SEVERE" || entry["level"] == "WARNING")
            .collect();
        assert!(errors.is_empty(), "console errors on {page}: {errors:#?}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn chromium_binary() -> String {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if std::path::Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    "chromium".into()
}

pub fn screenshot_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("a target directory")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot directory");
    dir
}

pub async fn save_screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("a screenshot");
    std::fs::write(screenshot_dir().join(name), png).expect("the screenshot is saved");
}
