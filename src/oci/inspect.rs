//! What a repository in a registry holds, every manifest classified: `typehouse inspect` and
//! the service's registry listings.
//!
//! Everything on the wire goes through `oci-client`: the tag list (paged with `n` and `last`),
//! manifests by tag or digest (the digest verified against the bytes), config blobs, and
//! referrers through `Client::pull_referrers`, which asks the referrers API and, where the
//! registry has none (a 404), reads the referrers tag schema's `sha256-<hex>` index. Cosign's
//! `sha256-<hex>.sig`, `.att` and `.sbom` tags are found in the tag list.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::OciDescriptor;
use oci_client::{Client, RegistryOperation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Credentials;
use super::artifact::sha256_digest;
use crate::catalog::Catalog;
use crate::catalog::classify::{self, Classification, OCI_ARTIFACT_MANIFEST};
use crate::catalog::definition::SubjectRule;
use crate::catalog::reference::{Reference, ReferenceInput};

/// Manifests larger than this are refused: distribution's own limit for a manifest PUT.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Config blobs larger than this are not fetched to check them against a config schema.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Manifests and config blobs up to this size are kept by digest; larger ones are fetched each
/// time, so that a cache of [`Connection::cache_entries`] entries holds at most that many times
/// this.
pub const MAX_CACHED_BYTES: usize = 64 * 1024;
/// Referrers are looked up for manifests this many levels below a listed one (index children
/// and referrers both count), so a signature on an SBOM on an image is found.
const MAX_REFERRER_DEPTH: usize = 2;
/// cosign's tag suffixes: `sha256-<hex>.sig` holds the signatures of `sha256:<hex>`.
const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// Every manifest media type a listing accepts.
const ACCEPTED_MANIFESTS: [&str; 5] = [
    classify::OCI_MANIFEST,
    classify::OCI_INDEX,
    classify::DOCKER_MANIFEST,
    classify::DOCKER_MANIFEST_LIST,
    OCI_ARTIFACT_MANIFEST,
];

/// What to inspect: every tag of a repository, one tag, or one digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    Every,
    Tag(String),
    Digest(String),
}

/// `REGISTRY/REPOSITORY`, `REGISTRY/REPOSITORY:TAG` or `REGISTRY/REPOSITORY@DIGEST`, every
/// part checked against the distribution grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub registry: String,
    pub repository: String,
    pub selector: Selector,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a registry reference: {reason}")]
pub struct TargetError {
    pub input: String,
    pub reason: String,
}

impl Target {
    /// A repository and selector in a registry named separately (the service's configured
    /// registries); checked as [`Target::from_str`] checks them.
    pub fn new(registry: &str, repository: &str, selector: Selector) -> Result<Self, String> {
        let (tag, digest) = match &selector {
            Selector::Every => (None, None),
            Selector::Tag(tag) => (Some(tag.clone()), None),
            Selector::Digest(digest) => (None, Some(digest.clone())),
        };
        Reference::parse(&ReferenceInput {
            registry: Some(registry.to_string()),
            repository: Some(repository.to_string()),
            tag: tag.clone(),
            digest: digest.clone(),
        })
        .map_err(|invalid| invalid.to_string())?;
        // Empty values pass the grammar as absent: they are refused here.
        if repository.is_empty()
            || tag.as_deref() == Some("")
            || digest.as_deref() == Some("")
            || registry.is_empty()
        {
            return Err("the registry, repository, tag and digest must not be empty".into());
        }
        Ok(Self {
            registry: registry.to_string(),
            repository: repository.to_string(),
            selector,
        })
    }

    /// `REPOSITORY`, `REPOSITORY:TAG` or `REPOSITORY@DIGEST`.
    pub fn parse_path(registry: &str, path: &str) -> Result<Self, String> {
        let (repository, selector) = split_selector(path);
        Self::new(registry, repository, selector)
    }
}

/// Splits `REPOSITORY[:TAG|@DIGEST]`: a tag is after a `:` in the last path segment.
fn split_selector(path: &str) -> (&str, Selector) {
    if let Some((repository, digest)) = path.split_once('@') {
        return (repository, Selector::Digest(digest.to_string()));
    }
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    match path[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (&path[..at], Selector::Tag(path[at + 1..].to_string()))
        }
        None => (path, Selector::Every),
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| TargetError {
            input: input.to_string(),
            reason,
        };
        let Some((registry, path)) = input.split_once('/').filter(|(first, _)| {
            first.contains('.') || first.contains(':') || *first == "localhost"
        }) else {
            return Err(error(
                "name the registry, as in REGISTRY/REPOSITORY, REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@DIGEST (for example 127.0.0.1:5000/team/app:1.0.0)".into(),
            ));
        };
        Self::parse_path(registry, path).map_err(error)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        match &self.selector {
            Selector::Every => Ok(()),
            Selector::Tag(tag) => write!(f, ":{tag}"),
            Selector::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

/// What went wrong talking to the registry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InspectError {
    #[error("{reference}: not found in the registry")]
    NotFound { reference: String },
    #[error("{reference}: {message}")]
    Unauthorized { reference: String, message: String },
    #[error("{reference}: the registry cannot be reached: {message}")]
    Unreachable { reference: String, message: String },
    #[error("{reference}: the registry answered: {message}")]
    Registry { reference: String, message: String },
    #[error("{reference}: the manifest has {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        reference: String,
        size: u64,
        limit: u64,
    },
    #[error("cannot start the network runtime: {0}")]
    Runtime(String),
}

/// One manifest in a listing: where it is, what type it is, its index children and its
/// referrers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// The tags that name this manifest (none for an index child or an untagged referrer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    /// `os/architecture[/variant]`, for an index child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The artifact type its descriptor names (referrers, index entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The answer of `POST /classify` for it, actions filled for this registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Value>,
    /// Why it has no classification: it could not be fetched or is not a manifest
    /// typehouse classifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Artifact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referrers: Vec<Artifact>,
}

impl Artifact {
    /// Whether it was classified as a type and conforms to it.
    pub fn conforms(&self) -> bool {
        self.classification
            .as_ref()
            .is_some_and(|c| c["conforms"] == json!(true))
    }

    /// This artifact, its children and referrers, depth first.
    pub fn walk(&self) -> Vec<&Artifact> {
        let mut all = vec![self];
        for next in self.children.iter().chain(&self.referrers) {
            all.extend(next.walk());
        }
        all
    }

    /// The matched type's id and name, if any.
    pub fn type_id(&self) -> Option<&str> {
        self.classification.as_ref()?["type"]["id"].as_str()
    }

    pub fn type_name(&self) -> Option<&str> {
        self.classification.as_ref()?["type"]["name"].as_str()
    }
}

/// Everything inspected at one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub registry: String,
    pub repository: String,
    pub artifacts: Vec<Artifact>,
}

impl Listing {
    /// Every artifact in the listing, children and referrers included.
    pub fn all(&self) -> impl Iterator<Item = &Artifact> {
        self.artifacts.iter().flat_map(Artifact::walk)
    }

    /// Whether every artifact was fetched and classified.
    pub fn complete(&self) -> bool {
        self.all().all(|a| a.error.is_none())
    }

    /// Whether every artifact conforms to its type.
    pub fn conforms(&self) -> bool {
        self.all().all(Artifact::conforms)
    }
}

/// Told as a listing goes: how many tags there are, then each one done.
pub trait Progress: Send + Sync {
    fn total(&self, _tags: u64) {}
    fn done(&self, _tag: &str) {}
}

/// No progress reports.
pub struct Quiet;

impl Progress for Quiet {}

/// How to reach a registry and how much to keep of its answers.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `host[:port]`, as in a reference.
    pub registry: String,
    pub plain_http: bool,
    pub credentials: Credentials,
    /// Every request's connect and read timeouts.
    pub timeout: Duration,
    /// Tags asked for per page of the tag list.
    pub page_size: usize,
    /// How long a tag list, a tag's digest and a referrers list are kept.
    pub tag_ttl: Duration,
    /// How many entries each cache keeps at most.
    pub cache_entries: usize,
}

impl Connection {
    pub fn new(registry: &str, plain_http: bool, credentials: Credentials) -> Self {
        Self {
            registry: registry.to_string(),
            plain_http,
            credentials,
            timeout: Duration::from_secs(30),
            page_size: 100,
            tag_ttl: Duration::from_secs(30),
            cache_entries: 4096,
        }
    }
}

/// A bounded map: the oldest entry goes first when full, an entry older than `ttl` is gone.
struct Cache<K, V> {
    entries: HashMap<K, (V, Instant)>,
    order: VecDeque<K>,
    capacity: usize,
    ttl: Option<Duration>,
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    fn new(capacity: usize, ttl: Option<Duration>) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            ttl,
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        let (value, at) = self.entries.get(key)?;
        match self.ttl {
            Some(ttl) if at.elapsed() > ttl => None,
            _ => Some(value.clone()),
        }
    }

    fn put(&mut self, key: K, value: V) {
        if self
            .entries
            .insert(key.clone(), (value, Instant::now()))
            .is_none()
        {
            self.order.push_back(key);
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(oldest) => {
                    self.entries.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

/// A manifest as fetched: its bytes, verified against `digest`.
#[derive(Clone)]
struct Fetched {
    digest: String,
    bytes: bytes::Bytes,
}

/// A referrer as its subject's referrers list describes it.
#[derive(Clone)]
struct Found {
    digest: String,
    media_type: String,
    size: Option<u64>,
    artifact_type: Option<String>,
    /// The cosign `.sig`, `.att` or `.sbom` tag it was found through, rather than a
    /// referrers list.
    cosign_tag: Option<String>,
}

/// Inspects one registry, keeping its answers: manifests by digest (they never change), tag
/// lists, tags' digests and referrers lists for `tag_ttl`.
pub struct Inspector {
    connection: Connection,
    client: Client,
    manifests: Mutex<Cache<String, bytes::Bytes>>,
    configs: Mutex<Cache<String, Value>>,
    tag_lists: Mutex<Cache<String, Vec<String>>>,
    tag_digests: Mutex<Cache<(String, String), String>>,
    referrers: Mutex<Cache<(String, String), Vec<Found>>>,
}

impl Inspector {
    pub fn new(connection: Connection) -> Self {
        let client = Client::new(ClientConfig {
            protocol: if connection.plain_http {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            connect_timeout: Some(connection.timeout),
            read_timeout: Some(connection.timeout),
            user_agent: concat!("typehouse/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        });
        let entries = connection.cache_entries;
        let ttl = Some(connection.tag_ttl);
        Self {
            client,
            manifests: Mutex::new(Cache::new(entries, None)),
            configs: Mutex::new(Cache::new(entries, None)),
            tag_lists: Mutex::new(Cache::new(entries, ttl)),
            tag_digests: Mutex::new(Cache::new(entries, ttl)),
            referrers: Mutex::new(Cache::new(entries, ttl)),
            connection,
        }
    }

    pub fn registry(&self) -> &str {
        &self.connection.registry
    }

    /// Lists `target`: its tags grouped by digest (or the one tag or digest), each manifest
    /// classified with `catalog`, index children, referrers under their subject.
    pub async fn inspect(
        &self,
        catalog: &Catalog,
        target: &Target,
        progress: &dyn Progress,
    ) -> Result<Listing, InspectError> {
        let repository = target.repository.as_str();
        let tags = self.tags(repository).await?;
        let tag_set: BTreeSet<&str> = tags.iter().map(String::as_str).collect();
        // Tops: (tags, fetched manifest).
        let mut tops: Vec<(Vec<String>, Fetched)> = Vec::new();
        match &target.selector {
            Selector::Every => {
                let plain: Vec<&String> = tags.iter().filter(|t| !is_referrer_tag(t)).collect();
                progress.total(plain.len() as u64);
                for tag in plain {
                    let fetched = match self.manifest_by_tag(repository, tag).await {
                        Ok(fetched) => fetched,
                        // Deleted between the tag list and now: not there any more.
                        Err(InspectError::NotFound { .. }) => {
                            progress.done(tag);
                            continue;
                        }
                        Err(error) => return Err(error),
                    };
                    match tops.iter_mut().find(|(_, f)| f.digest == fetched.digest) {
                        Some((names, _)) => names.push(tag.clone()),
                        None => tops.push((vec![tag.clone()], fetched)),
                    }
                    progress.done(tag);
                }
            }
            Selector::Tag(tag) => {
                let fetched = self.manifest_by_tag(repository, tag).await?;
                tops.push((vec![tag.clone()], fetched));
            }
            Selector::Digest(digest) => {
                let fetched = self.manifest_by_digest(repository, digest, None).await?;
                tops.push((Vec::new(), fetched));
            }
        }
        let walk = Walk {
            inspector: self,
            catalog,
            repository,
            tags: &tag_set,
        };
        let mut artifacts = Vec::new();
        for (names, fetched) in &tops {
            artifacts.push(walk.node(fetched, names.clone(), None, None, 0).await);
        }
        // A tagged manifest that is also another's referrer is shown once, under its subject.
        let mut referrers = BTreeSet::new();
        for artifact in &artifacts {
            for node in artifact.walk().into_iter().skip(1) {
                referrers.insert(node.digest.clone());
            }
        }
        artifacts.retain(|a| !referrers.contains(&a.digest));
        let by_digest: HashMap<&str, Vec<String>> =
            tops.iter().fold(HashMap::new(), |mut map, (names, f)| {
                map.entry(f.digest.as_str())
                    .or_default()
                    .extend(names.iter().cloned());
                map
            });
        for artifact in &mut artifacts {
            name_referrers(artifact, &by_digest);
        }
        Ok(Listing {
            registry: self.connection.registry.clone(),
            repository: repository.to_string(),
            artifacts,
        })
    }

    /// Every tag of `repository`, page by page: each page starts after the last tag of the one
    /// before (`last`), until a page comes back empty. oci-client does not hand out the
    /// `Link` header; following `last` to an empty page reaches every tag whether the
    /// registry sends full pages or shorter ones with a `Link`.
    async fn tags(&self, repository: &str) -> Result<Vec<String>, InspectError> {
        if let Some(tags) = lock(&self.tag_lists).get(&repository.to_string()) {
            return Ok(tags);
        }
        let reference = self.oci_reference(repository, None);
        let auth = self.connection.credentials.to_registry_auth();
        self.client
            .auth(&reference, &auth, RegistryOperation::Pull)
            .await
            .map_err(|e| self.error(repository, e))?;
        let mut tags: Vec<String> = Vec::new();
        loop {
            let page = self
                .client
                .list_tags(
                    &reference,
                    &auth,
                    Some(self.connection.page_size),
                    tags.last().map(String::as_str),
                )
                .await
                .map_err(|e| self.error(repository, e))?;
            // A registry that ignores `last` sends the same page again: stop there.
            let fresh: Vec<String> = page
                .tags
                .into_iter()
                .filter(|t| tags.last().is_none_or(|last| t.as_str() > last.as_str()))
                .collect();
            if fresh.is_empty() {
                break;
            }
            tags.extend(fresh);
        }
        tags.sort();
        tags.dedup();
        lock(&self.tag_lists).put(repository.to_string(), tags.clone());
        Ok(tags)
    }

    async fn manifest_by_tag(&self, repository: &str, tag: &str) -> Result<Fetched, InspectError> {
        let key = (repository.to_string(), tag.to_string());
        if let Some(digest) = lock(&self.tag_digests).get(&key) {
            if let Some(bytes) = lock(&self.manifests).get(&digest) {
                return Ok(Fetched { digest, bytes });
            }
        }
        let fetched = self.pull(repository, Some(tag), None).await?;
        lock(&self.tag_digests).put(key, fetched.digest.clone());
        Ok(fetched)
    }

    async fn manifest_by_digest(
        &self,
        repository: &str,
        digest: &str,
        size: Option<u64>,
    ) -> Result<Fetched, InspectError> {
        if let Some(bytes) = lock(&self.manifests).get(&digest.to_string()) {
            return Ok(Fetched {
                digest: digest.to_string(),
                bytes,
            });
        }
        if let Some(size) = size.filter(|s| *s > MAX_MANIFEST_BYTES) {
            return Err(InspectError::TooLarge {
                reference: self.location(repository, &format!("@{digest}")),
                size,
                limit: MAX_MANIFEST_BYTES,
            });
        }
        self.pull(repository, None, Some(digest)).await
    }

    async fn pull(
        &self,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<Fetched, InspectError> {
        let reference = match (tag, digest) {
            (_, Some(digest)) => oci_client::Reference::with_digest(
                self.connection.registry.clone(),
                repository.to_string(),
                digest.to_string(),
            ),
            (tag, None) => self.oci_reference(repository, tag),
        };
        let shown = match (tag, digest) {
            (_, Some(digest)) => self.location(repository, &format!("@{digest}")),
            (Some(tag), None) => self.location(repository, &format!(":{tag}")),
            (None, None) => self.location(repository, ""),
        };
        let auth = self.connection.credentials.to_registry_auth();
        let (bytes, _) = self
            .client
            .pull_manifest_raw(&reference, &auth, &ACCEPTED_MANIFESTS)
            .await
            .map_err(|e| self.error_at(&shown, e))?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(InspectError::TooLarge {
                reference: shown,
                size: bytes.len() as u64,
                limit: MAX_MANIFEST_BYTES,
            });
        }
        // The digest is the bytes' own, whatever the registry's header said.
        let computed = sha256_digest(&bytes);
        if let Some(wanted) = digest
            && wanted != computed
        {
            return Err(InspectError::Registry {
                reference: shown,
                message: format!("the registry sent manifest {computed} for {wanted}"),
            });
        }
        if bytes.len() <= MAX_CACHED_BYTES {
            lock(&self.manifests).put(computed.clone(), bytes.clone());
        }
        Ok(Fetched {
            digest: computed,
            bytes,
        })
    }

    /// The referrers of `digest`: the referrers API, else the referrers tag schema
    /// (`pull_referrers` does both), then cosign's tags.
    async fn referrers_of(
        &self,
        repository: &str,
        digest: &str,
        tags: &BTreeSet<&str>,
    ) -> Result<Vec<Found>, InspectError> {
        let key = (repository.to_string(), digest.to_string());
        if let Some(found) = lock(&self.referrers).get(&key) {
            return Ok(found);
        }
        let reference = oci_client::Reference::with_digest(
            self.connection.registry.clone(),
            repository.to_string(),
            digest.to_string(),
        );
        let index = self
            .client
            .pull_referrers(&reference, None)
            .await
            .map_err(|e| self.error_at(&self.location(repository, &format!("@{digest}")), e))?;
        let mut found: Vec<Found> = index
            .manifests
            .into_iter()
            .map(|entry| Found {
                digest: entry.digest,
                media_type: entry.media_type,
                size: u64::try_from(entry.size).ok(),
                artifact_type: entry.artifact_type,
                cosign_tag: None,
            })
            .collect();
        let tag_prefix = digest.replacen(':', "-", 1);
        for suffix in COSIGN_SUFFIXES {
            let tag = format!("{tag_prefix}.{suffix}");
            if !tags.contains(tag.as_str()) {
                continue;
            }
            let fetched = self.manifest_by_tag(repository, &tag).await?;
            if found.iter().any(|f| f.digest == fetched.digest) {
                continue;
            }
            let media_type = serde_json::from_slice::<Value>(&fetched.bytes)
                .ok()
                .and_then(|v| v["mediaType"].as_str().map(String::from))
                .unwrap_or_else(|| classify::OCI_MANIFEST.to_string());
            found.push(Found {
                digest: fetched.digest,
                media_type,
                size: Some(fetched.bytes.len() as u64),
                artifact_type: None,
                cosign_tag: Some(tag),
            });
        }
        lock(&self.referrers).put(key, found.clone());
        Ok(found)
    }

    /// The config blob of a manifest, as JSON, when it is small enough; `None` otherwise.
    async fn config(&self, repository: &str, descriptor: &Value) -> Option<Value> {
        let digest = descriptor["digest"].as_str()?;
        let size = descriptor["size"].as_u64()?;
        if size > MAX_CONFIG_BYTES {
            return None;
        }
        if let Some(config) = lock(&self.configs).get(&digest.to_string()) {
            return Some(config);
        }
        let reference = oci_client::Reference::with_digest(
            self.connection.registry.clone(),
            repository.to_string(),
            digest.to_string(),
        );
        let wanted = OciDescriptor {
            media_type: descriptor["mediaType"].as_str().unwrap_or_default().into(),
            digest: digest.to_string(),
            size: size as i64,
            ..OciDescriptor::default()
        };
        let mut bytes: Vec<u8> = Vec::with_capacity(size as usize);
        if let Err(error) = self.client.pull_blob(&reference, &wanted, &mut bytes).await {
            tracing::debug!(%digest, %error, "config blob not fetched");
            return None;
        }
        if bytes.len() as u64 != size || sha256_digest(&bytes) != digest {
            return None;
        }
        let config: Value = serde_json::from_slice(&bytes).ok()?;
        if bytes.len() <= MAX_CACHED_BYTES {
            lock(&self.configs).put(digest.to_string(), config.clone());
        }
        Some(config)
    }

    fn oci_reference(&self, repository: &str, tag: Option<&str>) -> oci_client::Reference {
        oci_client::Reference::with_tag(
            self.connection.registry.clone(),
            repository.to_string(),
            tag.unwrap_or("latest").to_string(),
        )
    }

    fn location(&self, repository: &str, suffix: &str) -> String {
        format!("{}/{repository}{suffix}", self.connection.registry)
    }

    fn error(&self, repository: &str, error: OciDistributionError) -> InspectError {
        self.error_at(&self.location(repository, ""), error)
    }

    fn error_at(&self, reference: &str, error: OciDistributionError) -> InspectError {
        let reference = reference.to_string();
        let unauthorized = || InspectError::Unauthorized {
            reference: reference.clone(),
            message: if self.connection.credentials.is_anonymous() {
                "not authorized: log in with `docker login` or give credentials".into()
            } else {
                "not authorized with the given credentials".into()
            },
        };
        match error {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => unauthorized(),
            OciDistributionError::ImageManifestNotFoundError(_) => {
                InspectError::NotFound { reference }
            }
            OciDistributionError::RegistryError { envelope, .. } => {
                let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
                if codes.iter().any(|c| {
                    matches!(
                        c,
                        OciErrorCode::NameUnknown
                            | OciErrorCode::ManifestUnknown
                            | OciErrorCode::BlobUnknown
                    )
                }) {
                    InspectError::NotFound { reference }
                } else if codes
                    .iter()
                    .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
                {
                    unauthorized()
                } else {
                    InspectError::Registry {
                        reference,
                        message: envelope.to_string(),
                    }
                }
            }
            OciDistributionError::ServerError { code: 404, .. } => {
                InspectError::NotFound { reference }
            }
            OciDistributionError::ServerError {
                code: 401 | 403, ..
            } => unauthorized(),
            OciDistributionError::ServerError { code, .. } => InspectError::Registry {
                reference,
                message: format!("HTTP {code}"),
            },
            OciDistributionError::RequestError(e) => InspectError::Unreachable {
                reference,
                message: error_chain(&e),
            },
            other => InspectError::Registry {
                reference,
                message: other.to_string(),
            },
        }
    }
}

/// A reqwest error with its causes: "error sending request" alone says too little.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A cache poisoned by a panic elsewhere still holds valid entries.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `sha256-<hex>` (the referrers tag schema) or cosign's `sha256-<hex>.sig|att|sbom`: tags
/// that hold what refers to another manifest, shown under it rather than as artifacts.
pub fn is_referrer_tag(tag: &str) -> bool {
    let (base, suffix) = match tag.split_once('.') {
        Some((base, suffix)) => (base, Some(suffix)),
        None => (tag, None),
    };
    let digest_like = base
        .strip_prefix("sha256-")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    digest_like && suffix.is_none_or(|s| COSIGN_SUFFIXES.contains(&s))
}

/// Gives each referrer the tags that name it (a referrer pushed with a tag of its own).
fn name_referrers(artifact: &mut Artifact, by_digest: &HashMap<&str, Vec<String>>) {
    for referrer in &mut artifact.referrers {
        if let Some(names) = by_digest.get(referrer.digest.as_str()) {
            for name in names {
                if !referrer.tags.contains(name) {
                    referrer.tags.push(name.clone());
                }
            }
        }
        name_referrers(referrer, by_digest);
    }
    for child in &mut artifact.children {
        name_referrers(child, by_digest);
    }
}

/// The subject of a referrer, which its actions may act on.
struct Subject<'a> {
    digest: &'a str,
    /// Found through cosign's tag scheme, whose artifacts carry no `subject` of their own.
    cosign_tag: bool,
}

/// One listing's walk through manifests, children and referrers.
struct Walk<'a> {
    inspector: &'a Inspector,
    catalog: &'a Catalog,
    repository: &'a str,
    tags: &'a BTreeSet<&'a str>,
}

impl Walk<'_> {
    /// The node for a fetched manifest; `subject` is set for a referrer.
    fn node<'b>(
        &'b self,
        fetched: &'b Fetched,
        tags: Vec<String>,
        platform: Option<String>,
        subject: Option<Subject<'b>>,
        depth: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Artifact> + Send + 'b>> {
        Box::pin(async move {
            let document: Value = serde_json::from_slice(&fetched.bytes).unwrap_or(Value::Null);
            let media_type = document["mediaType"]
                .as_str()
                .unwrap_or(classify::OCI_MANIFEST)
                .to_string();
            let mut artifact = Artifact {
                tags,
                digest: fetched.digest.clone(),
                media_type,
                size: fetched.bytes.len() as u64,
                platform,
                artifact_type: document["artifactType"].as_str().map(String::from),
                classification: None,
                error: None,
                children: Vec::new(),
                referrers: Vec::new(),
            };
            match self.classify(&document, &artifact, subject.as_ref()).await {
                Ok(classification) => artifact.classification = Some(classification),
                Err(error) => artifact.error = Some(error),
            }
            // An index's entries: its platforms, or the artifacts it groups.
            if let Some(entries) = document["manifests"].as_array() {
                for entry in entries {
                    artifact.children.push(self.child(entry, depth).await);
                }
            }
            if depth <= MAX_REFERRER_DEPTH {
                match self
                    .inspector
                    .referrers_of(self.repository, &fetched.digest, self.tags)
                    .await
                {
                    Ok(found) => {
                        for referrer in found {
                            artifact
                                .referrers
                                .push(self.referrer(&referrer, &fetched.digest, depth).await);
                        }
                    }
                    Err(error) => artifact.error = Some(error.to_string()),
                }
            }
            artifact
        })
    }

    async fn child(&self, entry: &Value, depth: usize) -> Artifact {
        let digest = entry["digest"].as_str().unwrap_or_default();
        let platform = entry.get("platform").map(|p| {
            let part = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            let mut text = format!("{}/{}", part("os"), part("architecture"));
            if let Some(variant) = p["variant"].as_str() {
                text.push('/');
                text.push_str(variant);
            }
            text
        });
        match self
            .inspector
            .manifest_by_digest(self.repository, digest, entry["size"].as_u64())
            .await
        {
            Ok(fetched) => {
                self.node(&fetched, Vec::new(), platform, None, depth + 1)
                    .await
            }
            Err(error) => self.missing(entry, platform, error),
        }
    }

    async fn referrer(&self, found: &Found, subject: &str, depth: usize) -> Artifact {
        match self
            .inspector
            .manifest_by_digest(self.repository, &found.digest, found.size)
            .await
        {
            Ok(fetched) => {
                let mut artifact = self
                    .node(
                        &fetched,
                        found.cosign_tag.iter().cloned().collect(),
                        None,
                        Some(Subject {
                            digest: subject,
                            cosign_tag: found.cosign_tag.is_some(),
                        }),
                        depth + 1,
                    )
                    .await;
                if artifact.artifact_type.is_none() {
                    artifact.artifact_type = found.artifact_type.clone();
                }
                artifact
            }
            Err(error) => {
                let entry = json!({"digest": found.digest, "mediaType": found.media_type,
                    "size": found.size, "artifactType": found.artifact_type});
                self.missing(&entry, None, error)
            }
        }
    }

    /// A node for a manifest that could not be fetched.
    fn missing(&self, entry: &Value, platform: Option<String>, error: InspectError) -> Artifact {
        Artifact {
            tags: Vec::new(),
            digest: entry["digest"].as_str().unwrap_or_default().to_string(),
            media_type: entry["mediaType"].as_str().unwrap_or_default().to_string(),
            size: entry["size"].as_u64().unwrap_or_default(),
            platform,
            artifact_type: entry["artifactType"].as_str().map(String::from),
            classification: None,
            error: Some(error.to_string()),
            children: Vec::new(),
            referrers: Vec::new(),
        }
    }

    /// Classifies as `POST /classify` does, with the config blob where the matched type has a
    /// config schema, and actions filled for where the artifact is (see below for referrers).
    async fn classify(
        &self,
        document: &Value,
        artifact: &Artifact,
        subject: Option<&Subject<'_>>,
    ) -> Result<Value, String> {
        let reference = self.reference(artifact.tags.first(), &artifact.digest)?;
        let mut answer =
            classify::classify(self.catalog, document, &reference).map_err(|e| e.to_string())?;
        let published = match &answer.matched {
            Some(matched) => match self.catalog.get_str(&matched.id) {
                Some(entry) => Some(self.catalog.published(entry.latest()).map_err(|e| {
                    tracing::error!(error = %e, "a definition could not be read back");
                    "the type's definition could not be read".to_string()
                })?),
                None => None,
            },
            None => None,
        };
        if let Some(published) = &published {
            if published.config_schema.is_some() && document["config"].is_object() {
                if let Some(config) = self
                    .inspector
                    .config(self.repository, &document["config"])
                    .await
                {
                    let body = json!({"manifest": document, "config": config});
                    answer = classify::classify(self.catalog, &body, &reference)
                        .map_err(|e| e.to_string())?;
                }
            }
            // A type that requires a subject (a signature, an attestation) acts on it; so do
            // cosign's tag-scheme types, which state no subject rule: their commands (`cosign
            // verify`, `cosign download sbom`) name the signed image. Others (an SPDX SBOM, whose
            // `oras pull` fetches the SBOM) act on themselves.
            let on_subject = match (subject, published.definition.subject) {
                (Some(_), Some(SubjectRule::Required)) => subject,
                (Some(found), None) if found.cosign_tag => subject,
                _ => None,
            };
            if let Some(subject) = on_subject {
                let on_subject = self.reference(None, subject.digest)?;
                answer.actions = classify::render_actions(published, &on_subject);
            }
        }
        Ok(to_value(&answer))
    }

    fn reference(&self, tag: Option<&String>, digest: &str) -> Result<Reference, String> {
        Reference::parse(&ReferenceInput {
            registry: Some(self.inspector.connection.registry.clone()),
            repository: Some(self.repository.to_string()),
            tag: tag.cloned(),
            digest: Some(digest.to_string()),
        })
        .map_err(|e| e.to_string())
    }
}

fn to_value(answer: &Classification) -> Value {
    serde_json::to_value(answer).expect("a classification serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_repository_a_tag_or_a_digest() {
        let every: Target = "127.0.0.1:5000/marketing/campaigns/shoes/superbowl"
            .parse()
            .unwrap();
        assert_eq!(every.registry, "127.0.0.1:5000");
        assert_eq!(every.repository, "marketing/campaigns/shoes/superbowl");
        assert_eq!(every.selector, Selector::Every);
        let tagged: Target = "registry.example.com/a/b:chart-1".parse().unwrap();
        assert_eq!(tagged.repository, "a/b");
        assert_eq!(tagged.selector, Selector::Tag("chart-1".into()));
        let digest = format!("sha256:{}", "a".repeat(64));
        let pinned: Target = format!("localhost/a@{digest}").parse().unwrap();
        assert_eq!(pinned.selector, Selector::Digest(digest.clone()));
        assert_eq!(pinned.to_string(), format!("localhost/a@{digest}"));
    }

    #[test]
    fn bad_references_are_refused() {
        for input in [
            "team/app",
            "registry.example.com/UPPER",
            "registry.example.com/a:bad tag",
            "registry.example.com/a@sha256:short",
            "registry.example.com/",
            "registry.example.com/a:",
        ] {
            assert!(input.parse::<Target>().is_err(), "{input}");
        }
    }

    #[test]
    fn referrer_tags_are_told_from_others() {
        let hex = "ab".repeat(32);
        assert!(is_referrer_tag(&format!("sha256-{hex}")));
        assert!(is_referrer_tag(&format!("sha256-{hex}.sig")));
        assert!(is_referrer_tag(&format!("sha256-{hex}.att")));
        assert!(!is_referrer_tag(&format!("sha256-{hex}.other")));
        assert!(!is_referrer_tag("sha256-abc"));
        assert!(!is_referrer_tag("1.0.0"));
    }

    #[test]
    fn caches_are_bounded_and_expire() {
        let mut cache = Cache::new(2, None);
        cache.put("a", 1);
        cache.put("b", 2);
        cache.put("c", 3);
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(cache.get(&"c"), Some(3));
        let mut expiring = Cache::new(2, Some(Duration::ZERO));
        expiring.put("a", 1);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(expiring.get(&"a"), None);
    }
}
