//! Manifest pushes that registries reported (`POST /hooks/registries/{name}`), each as
//! typehouse classified it: newest first per registry, one entry per repository, tag and
//! digest (a push the registry delivers again moves to the front instead of repeating).

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::{Store, StoreError};
use crate::submission::Timestamp;

/// Pushes kept per registry; older ones are dropped as new ones arrive.
pub const MAX_PUSHES_PER_REGISTRY: usize = 10_000;

/// One recorded push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Push {
    pub repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    pub digest: String,
    pub media_type: String,
    /// The matched type's id and name; none when no type matched.
    #[serde(rename = "type")]
    pub type_id: Option<String>,
    pub type_name: Option<String>,
    pub conforms: bool,
    pub at: Timestamp,
}

/// `registry \0`: every key of a registry's pushes starts with it.
fn prefix(registry: &str) -> Vec<u8> {
    let mut key = registry.as_bytes().to_vec();
    key.push(0);
    key
}

/// What a push is, whenever it is delivered: registry, repository, tag and digest.
fn identity(registry: &str, push: &Push) -> Vec<u8> {
    let mut key = prefix(registry);
    for part in [
        push.repository.as_str(),
        push.tag.as_deref().unwrap_or_default(),
        push.digest.as_str(),
    ] {
        key.extend_from_slice(part.as_bytes());
        key.push(0);
    }
    key
}

impl Store {
    /// Records `push` for `registry` as the newest, replacing the same push recorded before,
    /// and flushes before it answers.
    pub fn record_push(&self, registry: &str, push: &Push) -> Result<(), StoreError> {
        let sequence = self.db.generate_id().map_err(|e| self.engine_error(e))?;
        let mut key = prefix(registry);
        key.extend_from_slice(&sequence.to_be_bytes());
        let identity = identity(registry, push);
        let value = serde_json::to_vec(push).expect("a push serializes");
        (&self.pushes, &self.push_identities)
            .transaction(|(pushes, identities)| {
                if let Some(earlier) = identities.insert(identity.as_slice(), key.as_slice())? {
                    pushes.remove(earlier)?;
                }
                pushes.insert(key.as_slice(), value.as_slice())?;
                Ok::<(), ConflictableTransactionError<StoreError>>(())
            })
            .map_err(|e| self.transaction_error(e))?;
        self.prune(registry)?;
        self.flush()
    }

    /// The newest `limit` pushes of `registry`, newest first.
    pub fn recent_pushes(&self, registry: &str, limit: usize) -> Result<Vec<Push>, StoreError> {
        let mut pushes = Vec::new();
        for entry in self.pushes.scan_prefix(prefix(registry)).rev().take(limit) {
            let (_, value) = entry.map_err(|e| self.engine_error(e))?;
            let push = serde_json::from_slice(&value)
                .map_err(|e| StoreError::Engine(format!("a recorded push does not parse: {e}")))?;
            pushes.push(push);
        }
        Ok(pushes)
    }

    /// Drops `registry`'s oldest pushes past [`MAX_PUSHES_PER_REGISTRY`].
    fn prune(&self, registry: &str) -> Result<(), StoreError> {
        let excess: Vec<sled::IVec> = self
            .pushes
            .scan_prefix(prefix(registry))
            .rev()
            .skip(MAX_PUSHES_PER_REGISTRY)
            .filter_map(Result::ok)
            .map(|(key, _)| key)
            .collect();
        for key in excess {
            if let Some(value) = self.pushes.remove(&key).map_err(|e| self.engine_error(e))? {
                if let Ok(push) = serde_json::from_slice::<Push>(&value) {
                    let identity = identity(registry, &push);
                    // Only if it still points here: a later delivery moved it.
                    let _ = self.push_identities.compare_and_swap(
                        identity,
                        Some(key.as_ref()),
                        None as Option<&[u8]>,
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(tag: &str, digest: &str) -> Push {
        Push {
            repository: "team/app".into(),
            tag: Some(tag.into()),
            digest: digest.into(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            type_id: Some("opencontainers/image".into()),
            type_name: Some("OCI container image".into()),
            conforms: true,
            at: Timestamp::from_unix_seconds(1_700_000_000),
        }
    }

    #[test]
    fn pushes_are_newest_first_per_registry_and_survive_a_reopen() {
        let dir = tempfile::TempDir::new().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.record_push("hub", &push("1", "sha256:a")).unwrap();
            store.record_push("hub", &push("2", "sha256:b")).unwrap();
            store.record_push("other", &push("9", "sha256:c")).unwrap();
            // Delivered again: moves to the front, not repeated.
            store.record_push("hub", &push("1", "sha256:a")).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let tags: Vec<String> = store
            .recent_pushes("hub", 10)
            .unwrap()
            .into_iter()
            .filter_map(|p| p.tag)
            .collect();
        assert_eq!(tags, ["1", "2"]);
        assert_eq!(store.recent_pushes("other", 10).unwrap().len(), 1);
        assert_eq!(store.recent_pushes("hub", 1).unwrap().len(), 1);
        assert!(store.recent_pushes("none", 10).unwrap().is_empty());
    }
}
