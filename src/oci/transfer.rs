//! The registry side of publish and pull, over the OCI distribution API with `oci-client`.

use std::time::Duration;

use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{DigestError, OciDistributionError};
use oci_client::manifest::OciDescriptor;
use oci_client::{Client, RegistryOperation};

use super::artifact::{
    self, Artifact, CatalogConfig, Descriptor, FILES_MEDIA_TYPE, INDEX_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE, MAX_BLOB_BYTES, Manifest,
};
use super::{OciError, Pulled, Remote};

fn client(remote: &Remote) -> Client {
    Client::new(ClientConfig {
        protocol: if remote.plain_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        connect_timeout: Some(Duration::from_secs(10)),
        read_timeout: Some(Duration::from_secs(60)),
        user_agent: concat!("typehouse/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    })
}

fn registry_error(remote: &Remote, error: OciDistributionError) -> OciError {
    let reference = remote.reference.to_string();
    let status = match &error {
        OciDistributionError::RequestError(e) => e.status().map(|s| s.as_u16()),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        _ => None,
    };
    let message = match error {
        _ if matches!(status, Some(401 | 403)) => unauthorized(remote),
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => unauthorized(remote),
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            format!("digest mismatch: expected {expected}, got {actual}")
        }
        OciDistributionError::ImageManifestNotFoundError(_) => "no such manifest".to_string(),
        other => other.to_string(),
    };
    OciError::Registry { reference, message }
}

fn unauthorized(remote: &Remote) -> String {
    if remote.credentials.is_anonymous() {
        "not authorized: log in with `docker login` or pass --username and --password-stdin"
            .to_string()
    } else {
        "not authorized with the given credentials".to_string()
    }
}

/// Pushes every blob the registry lacks, then the manifest; returns the manifest digest.
pub(super) async fn push(remote: &Remote, artifact: &Artifact) -> Result<String, OciError> {
    let client = client(remote);
    let reference = remote.reference.as_oci();
    let auth = remote.credentials.to_registry_auth();
    client
        .auth(reference, &auth, RegistryOperation::Push)
        .await
        .map_err(|e| registry_error(remote, e))?;
    for (descriptor, bytes) in artifact.blobs() {
        let present = client
            .blob_exists(reference, &descriptor.digest)
            .await
            .map_err(|e| registry_error(remote, e))?;
        if !present {
            client
                .push_blob(reference, bytes.to_vec(), &descriptor.digest)
                .await
                .map_err(|e| registry_error(remote, e))?;
        }
    }
    client
        .push_manifest_raw(
            reference,
            artifact.manifest_bytes.clone(),
            MANIFEST_MEDIA_TYPE
                .parse()
                .expect("a media type is a header value"),
        )
        .await
        .map_err(|e| registry_error(remote, e))?;
    Ok(artifact.digest())
}

/// Pulls the manifest, checks it is a catalog, pulls and verifies every blob, unpacks.
pub(super) async fn pull(remote: &Remote) -> Result<Pulled, OciError> {
    let client = client(remote);
    let reference = remote.reference.as_oci();
    let auth = remote.credentials.to_registry_auth();
    client
        .auth(reference, &auth, RegistryOperation::Pull)
        .await
        .map_err(|e| registry_error(remote, e))?;
    let (manifest_bytes, _) = client
        .pull_manifest_raw(reference, &auth, &[MANIFEST_MEDIA_TYPE])
        .await
        .map_err(|e| registry_error(remote, e))?;
    // The digest is computed here rather than taken from the registry's header.
    let digest = artifact::sha256_digest(&manifest_bytes);
    if let Some(wanted) = reference.digest()
        && wanted != digest
    {
        return Err(OciError::Registry {
            reference: remote.reference.to_string(),
            message: format!("the registry sent manifest {digest} for {wanted}"),
        });
    }
    let manifest = Manifest::parse_catalog(&manifest_bytes)?;
    let config = fetch(&client, remote, &manifest.config).await?;
    let index_layer = manifest.layer(INDEX_MEDIA_TYPE).expect("checked by parse");
    let files_layer = manifest.layer(FILES_MEDIA_TYPE).expect("checked by parse");
    let index = fetch(&client, remote, index_layer).await?;
    let files = fetch(&client, remote, files_layer).await?;
    let config: CatalogConfig = serde_json::from_slice(&config).map_err(|e| {
        OciError::Artifact(artifact::ArtifactError::NotACatalog(format!(
            "its config is not a catalog config: {e}"
        )))
    })?;
    let files = artifact::unpack(&files)?;
    Ok(Pulled {
        digest,
        config,
        files,
        index,
    })
}

/// Downloads one blob, reading at most its declared size plus one byte, and verifies its size
/// and sha256 digest.
async fn fetch(
    client: &Client,
    remote: &Remote,
    descriptor: &Descriptor,
) -> Result<Vec<u8>, OciError> {
    if descriptor.size > MAX_BLOB_BYTES {
        return Err(OciError::BlobTooLarge {
            reference: remote.reference.to_string(),
            media_type: descriptor.media_type.clone(),
            size: descriptor.size,
            limit: MAX_BLOB_BYTES,
        });
    }
    let wanted = OciDescriptor {
        media_type: descriptor.media_type.clone(),
        digest: descriptor.digest.clone(),
        size: descriptor.size as i64,
        ..OciDescriptor::default()
    };
    let mut stream = client
        .pull_blob_stream(remote.reference.as_oci(), &wanted)
        .await
        .map_err(|e| registry_error(remote, e))?;
    let mut bytes = Vec::with_capacity(descriptor.size as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            // oci-client checks the digest at the end of the stream; the check below reports
            // a mismatch with the sizes, for every blob alike.
            Err(e) if e.get_ref().is_some_and(|inner| inner.is::<DigestError>()) => break,
            Err(e) => {
                return Err(OciError::Registry {
                    reference: remote.reference.to_string(),
                    message: format!("reading blob {}: {e}", descriptor.digest),
                });
            }
        };
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > descriptor.size {
            break; // longer than declared: the check below reports it
        }
    }
    artifact::verify(descriptor, &bytes).map_err(|source| OciError::Digest {
        reference: remote.reference.to_string(),
        source,
    })?;
    Ok(bytes)
}
