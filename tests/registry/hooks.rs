//! Push notifications from the real registry: distribution's `notifications.endpoints` posts
//! every push to `typehouse serve` (the binary, with its data directory), which fetches,
//! classifies and records each manifest; `/registries/{name}` lists them typed, also after the
//! service is killed and started again.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{Registry, free_port};
use crate::listings::{SUPERBOWL, push_superbowl};

const TOKEN: &str = "hook-token-for-the-test";

/// `typehouse serve` on `port`, killed when dropped.
struct Served {
    child: Child,
    address: String,
    client: reqwest::Client,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    async fn start(port: u16, data: &std::path::Path, registry_host: &str) -> Self {
        let empty = TempDir::new().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_typehouse"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
            .args(["--registry", &format!("local=http://{registry_host}")])
            .env("TYPEHOUSE_HOOK_TOKEN", TOKEN)
            .env("DOCKER_CONFIG", empty.path())
            .env_remove("TYPEHOUSE_TYPES")
            .env_remove("TYPEHOUSE_REGISTRIES")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("typehouse serve starts");
        let served = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = served
                .client
                .get(format!("{}/healthz", served.address))
                .send()
                .await
                && response.status() == 200
            {
                return served;
            }
            assert!(Instant::now() < deadline, "typehouse serve did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn pushes(&self) -> Value {
        let response = self
            .client
            .get(format!("{}/registries/local", self.address))
            .header("Accept", "application/json")
            .send()
            .await
            .expect("the service answers");
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Waits until the recorded pushes hold everything `done` looks for.
    async fn pushes_when(&self, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let pushes = self.pushes().await;
            if done(&pushes) {
                return pushes;
            }
            assert!(
                Instant::now() < deadline,
                "the pushes were not recorded: {pushes:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The recorded push of `tag`'s type id.
fn type_of_tag(pushes: &Value, tag: &str) -> Option<String> {
    pushes["pushes"]
        .as_array()?
        .iter()
        .find(|p| p["tag"] == json!(tag))
        .and_then(|p| p["type"].as_str().map(String::from))
}

fn type_of_digest(pushes: &Value, digest: &str) -> Option<String> {
    pushes["pushes"]
        .as_array()?
        .iter()
        .find(|p| p["digest"] == json!(digest))
        .and_then(|p| p["type"].as_str().map(String::from))
}

#[actix_web::test]
async fn the_registry_notifies_each_push_and_the_service_records_it_typed_across_a_restart() {
    let registry_host = format!("127.0.0.1:{}", free_port());
    let port = free_port();
    let data = TempDir::new().unwrap();
    let served = Served::start(port, data.path(), &registry_host).await;
    let registry = Registry::start_notifying(
        &registry_host,
        &format!("http://127.0.0.1:{port}/hooks/registries/local"),
        TOKEN,
    )
    .await;

    let pushed = push_superbowl(&registry, SUPERBOWL).await;
    let done = |pushes: &Value| {
        type_of_tag(pushes, "1").as_deref() == Some("opencontainers/image-index")
            && type_of_tag(pushes, "chart-1").as_deref() == Some("cncf/helm-chart")
            && type_of_digest(pushes, &pushed.sbom).as_deref() == Some("spdx/sbom")
            && type_of_digest(pushes, &pushed.signature).as_deref()
                == Some("notaryproject/signature")
    };
    let pushes = served.pushes_when(done).await;
    let index = pushes["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["tag"] == "1")
        .unwrap();
    assert_eq!(index["repository"], SUPERBOWL);
    assert_eq!(index["digest"], json!(pushed.image.digest));
    assert_eq!(index["conforms"], true);
    assert_eq!(index["typeName"], "OCI image index");
    assert!(index["at"].as_str().unwrap().ends_with('Z'), "{index}");
    // Newest first: the chart was pushed after the image.
    let order: Vec<&str> = pushes["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["tag"].as_str())
        .collect();
    let position = |tag: &str| order.iter().position(|t| *t == tag).unwrap();
    assert!(position("chart-1") < position("1"), "{order:?}");

    // The page shows them typed.
    let page = served
        .client
        .get(format!("{}/registries/local", served.address))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Helm chart"), "{page}");
    assert!(page.contains("OCI image index"), "{page}");

    // Refused: a wrong token, a registry that is not configured, a body that is no envelope.
    let post = |path: &str, token: &str, body: &str| {
        served
            .client
            .post(format!("{}{path}", served.address))
            .header("Authorization", format!("Bearer {token}"))
            .header(
                "Content-Type",
                "application/vnd.docker.distribution.events.v1+json",
            )
            .body(body.to_string())
            .send()
    };
    let envelope = json!({"events": []}).to_string();
    assert_eq!(
        post("/hooks/registries/local", "wrong", &envelope)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post("/hooks/registries/elsewhere", TOKEN, &envelope)
            .await
            .unwrap()
            .status(),
        404
    );
    for no_envelope in ["[1, 2]", "[]", r#"{"events": [[]]}"#] {
        assert_eq!(
            post("/hooks/registries/local", TOKEN, no_envelope)
                .await
                .unwrap()
                .status(),
            400,
            "{no_envelope}"
        );
    }
    let accepted = post("/hooks/registries/local", TOKEN, &envelope)
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(
        accepted.json::<Value>().await.unwrap(),
        json!({"queued": 0})
    );

    // Killed and started again on the same data directory: the pushes are still there.
    let before = served.pushes().await;
    drop(served);
    let served = Served::start(port, data.path(), &registry_host).await;
    let after = served.pushes().await;
    assert_eq!(after, before);
    assert!(done(&after));
}

#[actix_web::test]
async fn an_envelope_the_queue_has_no_room_for_is_refused_with_retry_after_not_dropped() {
    // Nothing listens where `local` points: the queued push is logged as not fetched.
    let unreachable = format!("local=http://127.0.0.1:{}", free_port());
    let service = crate::helpers::Service::start_with(
        typehouse::service::CatalogSource::Embedded,
        |config| {
            config.registries = vec![unreachable.parse().unwrap()];
            config.hook_token = Some(TOKEN.into());
            config.hook_queue = 1;
        },
    )
    .await
    .expect("the service starts");
    let event = |tag: &str| {
        json!({"action": "push", "target": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{}", "a".repeat(64)), "size": 100,
            "repository": "team/app", "tag": tag}})
    };
    let post = |events: Value| {
        service
            .client
            .post(format!("{}/hooks/registries/local", service.address))
            .header("Authorization", format!("Bearer {TOKEN}"))
            .header(
                "Content-Type",
                "application/vnd.docker.distribution.events.v1+json",
            )
            .body(json!({ "events": events }).to_string())
            .send()
    };
    // Two pushes do not fit a queue of one: the whole envelope is refused, for the registry to
    // send again.
    let refused = post(json!([event("1"), event("2")])).await.unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    // One does; blob pushes and pulls take no room.
    let blob = json!({"action": "push", "target": {"mediaType": "application/octet-stream",
        "digest": format!("sha256:{}", "b".repeat(64)), "repository": "team/app"}});
    let accepted = post(json!([event("1"), blob])).await.unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(
        accepted.json::<Value>().await.unwrap(),
        json!({"queued": 1})
    );
}
