//! Registry push notifications: the distribution registry's event envelope, the bounded queue
//! the manifest pushes wait in, and the worker that fetches, classifies and records each one.
//!
//! The envelope is distribution's `notifications.Envelope`: `{"events": [...]}`, each event
//! with `action` and a `target` descriptor that adds `repository` and `tag`
//! (<https://github.com/distribution/distribution/blob/7c354a4b40feeea21d7eeae4de91c8ff7951e672/notifications/event.go>,
//! v2.8.2; `main` has the same fields under the media type `...events.v2+json`). The registry
//! posts it with `Content-Type: application/vnd.docker.distribution.events.v1+json` and treats
//! any answer but 2xx and 3xx as a failure it retries after a backoff
//! (<https://github.com/distribution/distribution/blob/7c354a4b40feeea21d7eeae4de91c8ff7951e672/notifications/http.go>),
//! so a full queue answers 503 and loses nothing.

use std::sync::{Arc, Weak};

use arc_swap::Guard;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::catalog::classify;
use crate::oci::inspect::{Selector, Target};
use crate::oci::registries::Registries;
use crate::service::Service;
use crate::store::Store;
use crate::store::pushes::Push;
use crate::submission::Timestamp;

/// Manifest pushes waiting to be classified, when not configured.
pub const DEFAULT_HOOK_QUEUE: usize = 1024;

/// The envelope a registry posts.
#[derive(Debug, Default, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub events: Vec<Event>,
}

impl Envelope {
    /// Reads a posted envelope. serde would take a JSON array for any of these structs, field
    /// by field in order (`[]` would be an envelope without events): every level that is an
    /// object in distribution's format must be one here.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        if !value.is_object() {
            return Err(r#"the envelope must be a JSON object, {"events": [...]}"#.into());
        }
        for event in value
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !event.is_object() {
                return Err("each event must be a JSON object".into());
            }
            if event
                .get("target")
                .is_some_and(|target| !target.is_object())
            {
                return Err("an event's `target` must be a JSON object".into());
            }
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Event {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: EventTarget,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTarget {
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub tag: Option<String>,
}

/// One manifest push to classify and record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: String,
}

/// The manifest pushes in `envelope` for `registry`: blob pushes, pulls and deletes are not
/// artifacts, and an event whose names break the distribution grammar is skipped (logged).
pub fn jobs(registry: &str, host: &str, envelope: &Envelope) -> Vec<Job> {
    let manifest_types = [
        classify::OCI_MANIFEST,
        classify::OCI_INDEX,
        classify::DOCKER_MANIFEST,
        classify::DOCKER_MANIFEST_LIST,
        classify::OCI_ARTIFACT_MANIFEST,
    ];
    envelope
        .events
        .iter()
        .filter(|e| e.action == "push" && manifest_types.contains(&e.target.media_type.as_str()))
        .filter_map(|event| {
            let target = &event.target;
            let tag = target.tag.clone().filter(|t| !t.is_empty());
            let checked = Target::new(
                host,
                &target.repository,
                Selector::Digest(target.digest.clone()),
            )
            .and_then(|_| match &tag {
                Some(tag) => Target::new(host, &target.repository, Selector::Tag(tag.clone())),
                None => Ok(Target::new(host, &target.repository, Selector::Every)?),
            });
            match checked {
                Ok(_) => Some(Job {
                    registry: registry.to_string(),
                    repository: target.repository.clone(),
                    tag,
                    digest: target.digest.clone(),
                }),
                Err(reason) => {
                    tracing::warn!(%registry, %reason, "a push event that names no manifest was skipped");
                    None
                }
            }
        })
        .collect()
}

/// The bearer token registries post with (`TYPEHOUSE_HOOK_TOKEN`); only its digest is kept.
pub struct HookToken([u8; 32]);

impl HookToken {
    pub fn new(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Compared in constant time: digests have one length whatever the token's.
    pub fn accepts(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.0
            .iter()
            .zip(presented.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The queue's sending side, with the token that may fill it.
pub struct HookQueue {
    pub token: HookToken,
    sender: mpsc::Sender<Job>,
}

/// The queue had no room: the registry is to send the envelope again later.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

impl HookQueue {
    pub fn new(token: HookToken, capacity: usize) -> (Self, mpsc::Receiver<Job>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        (Self { token, sender }, receiver)
    }

    /// Queues every job or, where there is no room for all, none is refused silently: what
    /// was queued is classified, and the registry's retry of the envelope records the same
    /// pushes again, which replace the ones recorded.
    pub fn offer(&self, jobs: Vec<Job>) -> Result<usize, Full> {
        if self.sender.capacity() < jobs.len() {
            return Err(Full);
        }
        let count = jobs.len();
        for job in jobs {
            self.sender.try_send(job).map_err(|_| Full)?;
        }
        Ok(count)
    }
}

/// Classifies and records each queued push, one at a time, until the queue or the registries
/// are gone. It runs on the registries' runtime, so it holds them weakly: the service's state
/// owns them, and stopping the service stops the worker.
pub async fn work(
    mut receiver: mpsc::Receiver<Job>,
    registries: Weak<Registries>,
    service: Arc<Service>,
    store: Store,
) {
    while let Some(job) = receiver.recv().await {
        let Some(registries) = registries.upgrade() else {
            break;
        };
        let Some(host) = registries.get(&job.registry).map(|c| c.host.clone()) else {
            continue;
        };
        let target = match Target::new(&host, &job.repository, Selector::Digest(job.digest.clone()))
        {
            Ok(target) => target,
            Err(_) => continue, // checked as it was queued
        };
        let listing = match registries
            .inspect(&job.registry, target, Guard::into_inner(service.current()))
            .await
        {
            Some(Ok(listing)) => listing,
            Some(Err(error)) => {
                tracing::warn!(registry = %job.registry, repository = %job.repository, digest = %job.digest, %error, "a pushed manifest could not be fetched; not recorded");
                continue;
            }
            None => continue,
        };
        let Some(artifact) = listing.artifacts.first() else {
            continue;
        };
        let push = Push {
            repository: job.repository.clone(),
            tag: job.tag.clone(),
            digest: job.digest.clone(),
            media_type: artifact.media_type.clone(),
            type_id: artifact.type_id().map(String::from),
            type_name: artifact.type_name().map(String::from),
            conforms: artifact.conforms(),
            at: Timestamp::now(),
        };
        let store = store.clone();
        let registry = job.registry.clone();
        let recorded =
            tokio::task::spawn_blocking(move || store.record_push(&registry, &push)).await;
        match recorded {
            Ok(Ok(())) => {
                tracing::info!(registry = %job.registry, repository = %job.repository, digest = %job.digest, "push recorded")
            }
            Ok(Err(error)) => {
                tracing::error!(registry = %job.registry, %error, "a push could not be recorded")
            }
            Err(error) => tracing::error!(%error, "recording a push failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_is_an_object_of_objects_at_every_level() {
        let push =
            r#"{"action": "push", "target": {"mediaType": "m", "digest": "d", "repository": "r"}}"#;
        let parsed = Envelope::parse(format!(r#"{{"events": [{push}]}}"#).as_bytes()).unwrap();
        assert_eq!(parsed.events.len(), 1);
        assert_eq!(parsed.events[0].target.repository, "r");
        assert!(Envelope::parse(b"{}").unwrap().events.is_empty());
        for refused in [
            "[]",
            "[[]]",
            "null",
            r#""events""#,
            r#"{"events": [[]]}"#,
            r#"{"events": [["push", {}]]}"#,
            r#"{"events": [{"action": "push", "target": []}]}"#,
            r#"{"events": [{"action": "push", "target": ["m", "d", "r"]}]}"#,
            r#"{"events": {}}"#,
            r#"{"events": 5}"#,
            "{",
        ] {
            assert!(Envelope::parse(refused.as_bytes()).is_err(), "{refused}");
        }
    }

    fn envelope(events: serde_json::Value) -> Envelope {
        serde_json::from_value(serde_json::json!({ "events": events })).unwrap()
    }

    #[test]
    fn only_manifest_pushes_become_jobs() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let events = envelope(serde_json::json!([
            {"action": "push", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "repository": "team/app", "tag": "1"}},
            {"action": "push", "target": {"mediaType": "application/octet-stream", "digest": digest, "repository": "team/app"}},
            {"action": "pull", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "repository": "team/app", "tag": "1"}},
            {"action": "push", "target": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "repository": "team/app"}},
            {"action": "push", "target": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:bad", "repository": "team/app"}},
            {"action": "push", "target": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "repository": "Team/App"}},
        ]));
        let jobs = jobs("hub", "registry.example.com", &events);
        assert_eq!(
            jobs,
            [
                Job {
                    registry: "hub".into(),
                    repository: "team/app".into(),
                    tag: Some("1".into()),
                    digest: digest.clone()
                },
                Job {
                    registry: "hub".into(),
                    repository: "team/app".into(),
                    tag: None,
                    digest
                },
            ]
        );
    }

    #[test]
    fn a_full_queue_refuses_the_whole_envelope() {
        let (queue, mut receiver) = HookQueue::new(HookToken::new("t"), 2);
        let job = Job {
            registry: "hub".into(),
            repository: "a".into(),
            tag: None,
            digest: "sha256:0".into(),
        };
        assert_eq!(queue.offer(vec![job.clone(), job.clone()]), Ok(2));
        assert_eq!(queue.offer(vec![job.clone()]), Err(Full));
        assert_eq!(receiver.try_recv().unwrap(), job);
        assert_eq!(queue.offer(vec![job.clone()]), Ok(1));
    }

    #[test]
    fn tokens_are_compared_by_digest() {
        let token = HookToken::new("secret");
        assert!(token.accepts("secret"));
        assert!(!token.accepts("secret "));
        assert!(!token.accepts(""));
    }
}
