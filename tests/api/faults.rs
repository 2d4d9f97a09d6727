//! Faults around the real binary: a read-only or full data directory refuses writes with 503
//! while reads keep working, a reload under load fails no request, a damaged data directory
//! stops the start-up with a clear message.
//!
//! Root ignores file permissions, so "read-only" is made with `chattr +i` (ext4, tmpfs since
//! Linux 6.0: writes through files already open fail too) and "full" with a small tmpfs
//! mounted for the test. Both need root, and fail without it: a developer without root opts
//! out with `TYPEHOUSE_TESTS_WITHOUT_ROOT=1` (see build.rs), which marks them ignored.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{Served, TestCatalog, client, header, shipped_types, wait_until_serving};

fn definition(number: usize) -> String {
    format!(
        "version: 1.0.0
name: Fault test {number}
summary: A definition submitted while the disk misbehaves
status: draft
artifactType: application/vnd.acme.fault-{number}.v1+json
links:
  spec: https://example.com/spec
owners:
  - name: Acme
    url: https://example.com
"
    )
}

async fn submit(served: &Served, http: &reqwest::Client, number: usize) -> reqwest::Response {
    http.post(format!(
        "{}/submissions?id=acme/fault-{number}",
        served.address
    ))
    .header("Content-Type", "application/yaml")
    .body(definition(number))
    .send()
    .await
    .expect("the submission is answered")
}

/// A 503 problem that says reads keep working and tells nothing of the machine.
async fn assert_unavailable(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        header(response.headers(), "content-type")
            .unwrap_or_default()
            .starts_with("application/problem+json")
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 503, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("reads keep working"), "{problem}");
    for internal in ["Os {", "os error", "/tmp", "code:"] {
        assert!(
            !detail.contains(internal),
            "the detail shows `{internal}`: {problem}"
        );
    }
}

/// Catalog lookups, the submissions stored before the fault, and the list answer, which
/// holds exactly those: a write the disk refused is not shown either.
async fn assert_reads_work(served: &Served, http: &reqwest::Client, stored: &[String]) {
    for path in ["/submissions", "/submissions?status=pending"] {
        let (list, ids) = listed_ids(served, http, path).await;
        assert_eq!(ids, stored, "GET {path}: {list}");
        assert_eq!(list["total"], stored.len(), "GET {path}: {list}");
    }
    let next = format!("s-{:012}", stored.len() + 1);
    let response = http
        .get(format!("{}/submissions/{next}", served.address))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "a refused write is shown"
    );
    for path in [
        "/healthz",
        "/types/cncf/helm-chart",
        "/index.json",
        "/submissions",
    ] {
        let response = http
            .get(format!("{}{path}", served.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    }
    for id in stored {
        let response = http
            .get(format!("{}/submissions/{id}", served.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET /submissions/{id}");
    }
    let response = http
        .post(format!("{}/classify", served.address))
        .json(&helm_manifest())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "POST /classify");
}

fn helm_manifest() -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:0", "size": 1},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "sha256:1", "size": 1}],
    })
}

/// The answer of a submissions list at `path`, and the ids it lists in order.
async fn listed_ids(served: &Served, http: &reqwest::Client, path: &str) -> (Value, Vec<String>) {
    let list = served.get_json(http, path).await;
    let ids = list["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    (list, ids)
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_string()
}

fn files_below(root: &Path) -> Vec<PathBuf> {
    let mut found = vec![root.to_path_buf()];
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_below(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// Files made immutable with `chattr +i`; made writable again when dropped, even on a panic.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    /// `None` when `chattr` is missing or refused (not root, or a file system without it).
    fn set(paths: Vec<PathBuf>) -> Option<Self> {
        let mut guard = Self(Vec::new());
        for path in paths {
            let done = Command::new("chattr")
                .arg("+i")
                .arg(&path)
                .output()
                .is_ok_and(|output| output.status.success());
            if !done {
                return None; // the guard undoes what was done
            }
            guard.0.push(path);
        }
        Some(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(path).status();
        }
    }
}

#[actix_web::test]
#[cfg_attr(
    tests_without_root,
    ignore = "needs root; TYPEHOUSE_TESTS_WITHOUT_ROOT=1 was set at build time"
)]
async fn a_read_only_data_directory_answers_503_on_writes_while_reads_keep_working() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("typehouse.log");
    let args = ["--submissions-per-minute", "0"];
    let served = Served::start_with(&args, &data, &log);
    let http = client();
    wait_until_serving(&served, &http).await;
    let response = submit(&served, &http, 1).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let stored = vec![id_of(&response.json().await.unwrap())];

    let immutable = Immutable::set(files_below(&data)).expect(
        "`chattr +i` failed: this test needs root and ext4 or tmpfs \
         (TYPEHOUSE_TESTS_WITHOUT_ROOT=1 opts out; docs/security.md)",
    );
    for number in 2..5 {
        assert_unavailable(submit(&served, &http, number).await).await;
        assert_reads_work(&served, &http, &stored).await;
    }
    drop(immutable);

    // Nothing that was refused comes back after a restart; what was acknowledged does.
    served.signal("TERM");
    drop(served);
    let served = Served::start_with(&args, &data, &log);
    wait_until_serving(&served, &http).await;
    let (list, ids) = listed_ids(&served, &http, "/submissions").await;
    assert_eq!(ids, stored, "{list}");
    assert_eq!(
        submit(&served, &http, 5).await.status(),
        StatusCode::CREATED
    );
    drop(served);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}

/// A small tmpfs mounted for one test; unmounted when dropped.
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    /// `None` when mounting is not allowed (not root, or no CAP_SYS_ADMIN in a container).
    fn mount(size: &str) -> Option<Self> {
        let dir = TempDir::new().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|output| output.status.success());
        mounted.then_some(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes zeros into `name` until the file system is full.
    fn fill(&self, name: &str) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.path().join(name)).unwrap();
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[actix_web::test]
#[cfg_attr(
    tests_without_root,
    ignore = "needs root; TYPEHOUSE_TESTS_WITHOUT_ROOT=1 was set at build time"
)]
async fn a_full_disk_answers_503_on_writes_and_loses_no_acknowledged_submission() {
    let disk = SmallDisk::mount("4m").expect(
        "mounting a tmpfs failed: this test needs root \
         (TYPEHOUSE_TESTS_WITHOUT_ROOT=1 opts out; docs/security.md)",
    );
    let data = disk.path().join("data");
    let logs = TempDir::new().unwrap();
    let log = logs.path().join("typehouse.log");
    let args = ["--submissions-per-minute", "0"];
    let served = Served::start_with(&args, &data, &log);
    let http = client();
    wait_until_serving(&served, &http).await;
    let response = submit(&served, &http, 1).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut acknowledged = vec![id_of(&response.json().await.unwrap())];

    disk.fill("filler");
    // Writes may still fit in space the store has already; sooner or later one does not.
    let mut refused = false;
    for number in 2..500 {
        let response = submit(&served, &http, number).await;
        if response.status() == StatusCode::CREATED {
            acknowledged.push(id_of(&response.json().await.unwrap()));
            continue;
        }
        assert_unavailable(response).await;
        refused = true;
        break;
    }
    assert!(refused, "a full disk took 500 submissions");
    assert_reads_work(&served, &http, &acknowledged).await;
    let health = served.get_json(&http, "/healthz").await;
    assert_eq!(health["status"], "degraded", "{health}");
    assert!(
        health["reasons"]
            .to_string()
            .contains("file system is full"),
        "{health}"
    );
    assert_unavailable(submit(&served, &http, 1000).await).await;

    // With room again, a restart finds every acknowledged submission.
    std::fs::remove_file(disk.path().join("filler")).unwrap();
    served.signal("KILL");
    drop(served);
    let served = Served::start_with(&args, &data, &log);
    wait_until_serving(&served, &http).await;
    for id in &acknowledged {
        let response = http
            .get(format!("{}/submissions/{id}", served.address))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged {id} was lost"
        );
    }
    assert_eq!(
        submit(&served, &http, 2000).await.status(),
        StatusCode::CREATED
    );
    drop(served);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}

#[actix_web::test]
async fn a_reload_during_load_fails_no_request() {
    let catalog = TestCatalog::copy_of_shipped();
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("typehouse.log");
    let served = Served::start_with(
        &["--types", catalog.path().to_str().unwrap()],
        &dir.path().join("data"),
        &log,
    );
    let http = client();
    wait_until_serving(&served, &http).await;

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut loops = Vec::new();
    for worker in 0..8 {
        let (stop, answered, failures) = (stop.clone(), answered.clone(), failures.clone());
        let (http, address) = (http.clone(), served.address.clone());
        loops.push(actix_web::rt::spawn(async move {
            let mut n = worker;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let request = match n % 5 {
                    0 => http
                        .post(format!("{address}/classify"))
                        .json(&helm_manifest()),
                    1 => http.get(format!("{address}/types/cncf/helm-chart")),
                    2 => http.get(format!("{address}/index.json")),
                    3 => http.get(format!(
                        "{address}/media-types/application/vnd.cncf.helm.config.v1+json"
                    )),
                    _ => http.get(format!("{address}/types?q=sig")),
                };
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        // Read the whole body: a reload must not cut an answer short either.
                        match response.bytes().await {
                            Ok(_) => answered.fetch_add(1, Ordering::Relaxed),
                            Err(error) => {
                                failures.lock().unwrap().push(format!("body: {error}"));
                                0
                            }
                        };
                    }
                    Ok(response) => failures
                        .lock()
                        .unwrap()
                        .push(format!("status {}", response.status())),
                    Err(error) => failures.lock().unwrap().push(format!("error: {error}")),
                }
            }
        }));
    }

    // Reload many times while the catalog changes between two valid states.
    let extra = shipped_types().join("cncf/helm-chart/1.0.0.yaml");
    let extra =
        std::fs::read_to_string(extra)
            .unwrap()
            .replacen("version: 1.0.0", "version: 1.1.0", 1);
    let started = Instant::now();
    let mut hangups = 0;
    while started.elapsed() < Duration::from_secs(6) {
        if hangups % 2 == 0 {
            catalog.write("cncf/helm-chart/1.1.0.yaml", &extra);
        } else {
            catalog.remove("cncf/helm-chart/1.1.0.yaml");
        }
        served.signal("HUP");
        hangups += 1;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for handle in loops {
        handle.await.unwrap();
    }
    let health = served.get_json(&http, "/healthz").await;
    let failures = failures.lock().unwrap().clone();
    let answered = answered.load(Ordering::Relaxed);
    assert!(
        failures.is_empty(),
        "{} of {} requests failed during {hangups} reloads: {:?}",
        failures.len(),
        answered + failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(answered > 200, "only {answered} requests in 6 s");
    let reloads = health["reload"]["reloads"].as_u64().unwrap_or(0);
    assert!(reloads >= 5, "only {reloads} reloads took effect: {health}");
    drop(served);
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!log.contains("panicked"), "{log}");
}

#[actix_web::test]
async fn a_data_directory_damaged_after_use_is_a_clear_start_up_error() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("typehouse.log");
    let served = Served::start_with(&["--submissions-per-minute", "0"], &data, &log);
    let http = client();
    wait_until_serving(&served, &http).await;
    for number in 1..4 {
        assert_eq!(
            submit(&served, &http, number).await.status(),
            StatusCode::CREATED
        );
    }
    served.signal("TERM");
    drop(served);

    type Damage = fn(&Path);
    let damages: [(&str, Damage); 3] = [
        ("a truncated database", |db| {
            let bytes = std::fs::read(db).unwrap();
            std::fs::write(db, &bytes[..bytes.len() / 3]).unwrap();
        }),
        ("a database of other bytes", |db| {
            let length = std::fs::metadata(db).unwrap().len() as usize;
            let noise: Vec<u8> = (0..length).map(|n| (n * 7919 % 251) as u8).collect();
            std::fs::write(db, noise).unwrap();
        }),
        ("a missing database", |db| std::fs::remove_file(db).unwrap()),
    ];
    for (what, damage) in damages {
        // Each case damages a copy of the good store.
        let copy = TempDir::new().unwrap();
        let target = copy.path().join("data");
        copy_dir(&data, &target);
        damage(&target.join("db"));
        for snapshot in std::fs::read_dir(&target).unwrap() {
            let path = snapshot.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("snap.")
            {
                std::fs::remove_file(path).unwrap();
            }
        }

        let mut child = Command::new(env!("CARGO_BIN_EXE_typehouse"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data"])
            .arg(&target)
            .env_remove("TYPEHOUSE_REVIEW_TOKEN")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // A store that opens is served until stopped: that is the failure looked for here.
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let started = child.try_wait().unwrap().is_none();
        if started {
            child.kill().unwrap();
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !started,
            "{what}: the binary served the damaged store\n{stderr}"
        );
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("data directory"), "{what}: {stderr}");
        assert!(stderr.contains("corrupt"), "{what}: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
