//! The catalog as an OCI artifact in a registry: `typehouse publish`, `typehouse pull` and
//! `typehouse serve --from`; and what a registry holds, classified: `typehouse inspect`.
//!
//! [`artifact`] packs and unpacks without the network; [`transfer`] talks to the registry
//! through the `oci-client` crate; [`credentials`] finds what to log in with; [`inspect`]
//! lists and classifies a registry's manifests. The functions
//! here are blocking: each runs its transfer on a runtime of its own, on a thread of its own,
//! so they work from plain code, from a blocking task and from inside an async runtime alike.

pub mod artifact;
pub mod credentials;
pub mod inspect;
pub mod registries;
mod transfer;

use std::fmt;
use std::str::FromStr;

pub use artifact::{ArtifactError, CatalogConfig, DigestMismatch};
pub use credentials::{Credentials, CredentialsError};

use crate::catalog::{Catalog, CatalogFiles, Diagnostic};
use crate::service::RemoteCatalog;

/// `REGISTRY/REPOSITORY[:TAG|@DIGEST]` with the registry named explicitly (no Docker Hub
/// default: a catalog is never pushed somewhere by accident). Without a tag, `latest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogReference(oci_client::Reference);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a registry reference: {reason}")]
pub struct ReferenceError {
    pub input: String,
    pub reason: String,
}

impl FromStr for CatalogReference {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason: &str| ReferenceError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let explicit_registry = input.split_once('/').is_some_and(|(first, _)| {
            first.contains('.') || first.contains(':') || first == "localhost"
        });
        if !explicit_registry {
            return Err(error(
                "name the registry, as in REGISTRY/REPOSITORY:TAG (for example 127.0.0.1:5000/typehouse/catalog:1.0.0)",
            ));
        }
        let reference =
            oci_client::Reference::try_from(input).map_err(|e| error(&e.to_string()))?;
        Ok(Self(reference))
    }
}

impl fmt::Display for CatalogReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl CatalogReference {
    pub fn registry(&self) -> &str {
        self.0.registry()
    }

    pub fn repository(&self) -> &str {
        self.0.repository()
    }

    pub fn tag(&self) -> Option<&str> {
        self.0.tag()
    }

    pub fn digest(&self) -> Option<&str> {
        self.0.digest()
    }

    pub(crate) fn as_oci(&self) -> &oci_client::Reference {
        &self.0
    }
}

/// A registry location and how to reach it.
#[derive(Debug, Clone)]
pub struct Remote {
    pub reference: CatalogReference,
    /// Plain HTTP instead of TLS, as `oras --plain-http` (for a registry on loopback).
    pub plain_http: bool,
    pub credentials: Credentials,
}

/// What went wrong publishing or pulling.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("the catalog has {} error(s); run `typehouse check` on it", .0.len())]
    InvalidCatalog(Vec<Diagnostic>),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("{reference}: {source}")]
    Digest {
        reference: String,
        source: DigestMismatch,
    },
    #[error("{reference}: the `{media_type}` blob has {size} bytes, over the {limit}-byte limit")]
    BlobTooLarge {
        reference: String,
        media_type: String,
        size: u64,
        limit: u64,
    },
    #[error("{reference}: {message}")]
    Registry { reference: String, message: String },
    #[error("cannot start the network runtime: {0}")]
    Runtime(std::io::Error),
}

impl OciError {
    /// Whether the registry delivered content other than what the manifest names.
    pub fn is_digest_mismatch(&self) -> bool {
        matches!(self, Self::Digest { .. })
    }
}

/// What `publish` pushed.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The manifest digest: `REGISTRY/REPOSITORY@DIGEST` names exactly this catalog.
    pub digest: String,
    pub config: CatalogConfig,
}

/// What `pull` fetched and verified.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub digest: String,
    pub config: CatalogConfig,
    pub files: CatalogFiles,
    /// The index layer: the bytes `GET /index.json` serves for this catalog.
    pub index: Vec<u8>,
}

/// Loads `files` (an invalid catalog is refused), packs it and pushes it to `remote`.
pub fn publish(files: &CatalogFiles, remote: &Remote) -> Result<Pushed, OciError> {
    let catalog = Catalog::load(files.clone())
        .map(|(catalog, _warnings)| catalog)
        .map_err(|diagnostics| {
            OciError::InvalidCatalog(diagnostics.into_iter().filter(|d| d.is_error()).collect())
        })?;
    let artifact = artifact::pack(files, &catalog)?;
    let config = serde_json::from_slice(&artifact.config).expect("packed configs parse");
    let digest = run(transfer::push(remote, &artifact), OciError::Runtime)?;
    Ok(Pushed { digest, config })
}

/// Pulls the catalog at `remote`, verifying the digest and size of every blob, and unpacks
/// its files. The catalog is not loaded here: callers load (and so check) it.
pub fn pull(remote: &Remote) -> Result<Pulled, OciError> {
    run(transfer::pull(remote), OciError::Runtime)
}

/// Inspects `target` (`typehouse inspect`): every manifest there classified with `catalog`.
pub fn inspect(
    catalog: &Catalog,
    target: &inspect::Target,
    connection: inspect::Connection,
    progress: &dyn inspect::Progress,
) -> Result<inspect::Listing, inspect::InspectError> {
    run(
        async {
            inspect::Inspector::new(connection)
                .inspect(catalog, target, progress)
                .await
        },
        |e| inspect::InspectError::Runtime(e.to_string()),
    )
}

/// `serve --from`: the catalog is pulled anew on every load.
impl RemoteCatalog for Remote {
    fn read(&self) -> std::io::Result<CatalogFiles> {
        // A credential helper hands out short-lived tokens: ask it again on every read.
        let remote = Remote {
            credentials: self
                .credentials
                .refreshed()
                .map_err(std::io::Error::other)?,
            ..self.clone()
        };
        let pulled = pull(&remote).map_err(std::io::Error::other)?;
        tracing::info!(reference = %self.reference, digest = %pulled.digest, version = %pulled.config.version, "catalog pulled");
        Ok(pulled.files)
    }
}

/// Runs `future` to completion on a current-thread runtime on a scoped thread of its own, so
/// that callers inside another runtime do not block it from within.
fn run<T: Send, E: Send>(
    future: impl std::future::Future<Output = Result<T, E>> + Send,
    runtime_error: impl FnOnce(std::io::Error) -> E + Send,
) -> Result<T, E> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(runtime_error)?;
                runtime.block_on(future)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_their_registry() {
        let reference: CatalogReference = "127.0.0.1:5000/typehouse/catalog:1.0.0".parse().unwrap();
        assert_eq!(reference.registry(), "127.0.0.1:5000");
        assert_eq!(reference.repository(), "typehouse/catalog");
        assert_eq!(reference.tag(), Some("1.0.0"));
        assert_eq!(
            reference.to_string(),
            "127.0.0.1:5000/typehouse/catalog:1.0.0"
        );
        let by_digest: CatalogReference = format!("localhost/c@sha256:{}", "a".repeat(64))
            .parse()
            .unwrap();
        assert_eq!(by_digest.digest().map(str::len), Some(71));
    }

    #[test]
    fn a_reference_without_a_registry_is_refused() {
        for input in ["typehouse/catalog:1", "catalog", "Registry.Example/UPPER:x"] {
            assert!(input.parse::<CatalogReference>().is_err(), "{input}");
        }
    }
}
