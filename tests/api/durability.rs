//! Acknowledged submissions survive a crash; a broken data directory stops the start-up.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{Served, client, wait_until_serving};

const DEFINITION: &str = r#"version: 1.0.0
name: Crash test NUMBER
summary: A definition submitted while the server is killed
status: draft
artifactType: application/vnd.acme.crash-NUMBER.v1+json
links:
  spec: https://example.com/spec
owners:
  - name: Acme
    url: https://example.com
"#;

#[actix_web::test]
async fn every_acknowledged_submission_survives_a_sigkill_mid_stream() {
    let data = TempDir::new().unwrap();
    let log = data.path().join("../crash-test.log");
    let served = Served::start_with(&["--submissions-per-minute", "0"], data.path(), &log);
    let http = client();
    wait_until_serving(&served, &http).await;

    // Four writers submit concurrently; the server is killed once some are acknowledged.
    let (sender, mut acknowledged) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let sender = sender.clone();
        let http = http.clone();
        let address = served.address.clone();
        writers.push(actix_web::rt::spawn(async move {
            for n in 0..200 {
                let number = format!("{writer}-{n}");
                let type_id = format!("acme/crash-{number}");
                let response = http
                    .post(format!("{address}/submissions?id={type_id}"))
                    .header("Content-Type", "application/yaml")
                    .body(DEFINITION.replace("NUMBER", &number))
                    .send()
                    .await;
                let Ok(response) = response else { return };
                if response.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(body) = response.json::<Value>().await else {
                    return;
                };
                let id = body["id"].as_str().unwrap_or_default().to_string();
                if sender.send((id, type_id)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(sender);
    let mut acked = Vec::new();
    while let Some(ack) = acknowledged.recv().await {
        acked.push(ack);
        if acked.len() == 40 {
            served.signal("KILL");
            break;
        }
    }
    for writer in writers {
        let _ = writer.await;
    }
    // Acknowledgements that arrived in flight, before the connection died, count too.
    while let Ok(ack) = acknowledged.try_recv() {
        acked.push(ack);
    }
    assert!(
        acked.len() >= 40,
        "only {} submissions were acknowledged",
        acked.len()
    );
    drop(served);

    let restarted = Served::start_with(&["--submissions-per-minute", "0"], data.path(), &log);
    wait_until_serving(&restarted, &http).await;
    for (id, type_id) in &acked {
        let response = http
            .get(format!("{}/submissions/{id}", restarted.address))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged submission {id} was lost"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["typeId"], type_id.as_str());
        assert_eq!(body["status"], "pending");
    }
}

#[test]
fn a_corrupt_or_foreign_data_directory_is_a_clear_start_up_error() {
    let data = TempDir::new().unwrap();
    std::fs::write(data.path().join("db"), b"this is not a sled database").unwrap();
    std::fs::write(data.path().join("notes.txt"), b"somebody else's files").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_typehouse"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env_remove("TYPEHOUSE_REVIEW_TOKEN")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("data directory"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        std::fs::read(data.path().join("notes.txt")).unwrap(),
        b"somebody else's files",
        "nothing was reset"
    );
}
