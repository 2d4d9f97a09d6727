//! Registry credentials: `--username` with `--password-stdin`, or the Docker config file
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), as `docker login` and
//! `oras login` write it.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

/// How to authenticate to a registry. The password never shows in `Debug` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Credentials {
    #[default]
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// Why the Docker config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a Docker config file: {message}")]
    Malformed { path: PathBuf, message: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, DockerAuth>,
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerAuth {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

impl Credentials {
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Self::Anonymous)
    }

    pub(crate) fn to_registry_auth(&self) -> oci_client::secrets::RegistryAuth {
        match self {
            Self::Anonymous => oci_client::secrets::RegistryAuth::Anonymous,
            Self::Basic { username, password } => {
                oci_client::secrets::RegistryAuth::Basic(username.clone(), password.clone())
            }
        }
    }

    /// The Docker config file this process would read: `$DOCKER_CONFIG/config.json`, else
    /// `$HOME/.docker/config.json`.
    pub fn docker_config_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
    }

    /// The credentials the Docker config file holds for `registry` (`host[:port]`); anonymous
    /// where there is no file or no entry.
    pub fn from_docker_config(registry: &str) -> Result<Self, CredentialsError> {
        match Self::docker_config_path() {
            Some(path) => Self::from_docker_config_file(&path, registry),
            None => Ok(Self::Anonymous),
        }
    }

    pub fn from_docker_config_file(path: &Path, registry: &str) -> Result<Self, CredentialsError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::Anonymous);
            }
            Err(source) => {
                return Err(CredentialsError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let malformed = |message: String| CredentialsError::Malformed {
            path: path.to_path_buf(),
            message,
        };
        let config: DockerConfig =
            serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        let entry = config
            .auths
            .iter()
            .find(|(key, _)| same_registry(key, registry))
            .map(|(_, entry)| entry);
        let Some(entry) = entry else {
            if config.creds_store.is_some()
                || config
                    .cred_helpers
                    .keys()
                    .any(|k| same_registry(k, registry))
            {
                tracing::warn!(
                    registry,
                    "the Docker config names a credential helper, which typehouse does not run; use --username and --password-stdin"
                );
            }
            return Ok(Self::Anonymous);
        };
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|e| malformed(format!("the `auth` of {registry} is not base64: {e}")))?;
            let decoded = String::from_utf8(decoded)
                .map_err(|_| malformed(format!("the `auth` of {registry} is not UTF-8")))?;
            let (username, password) = decoded.split_once(':').ok_or_else(|| {
                malformed(format!("the `auth` of {registry} is not `user:password`"))
            })?;
            return Ok(Self::Basic {
                username: username.to_string(),
                password: password.to_string(),
            });
        }
        if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
            return Ok(Self::Basic {
                username: username.clone(),
                password: password.clone(),
            });
        }
        if entry.identitytoken.is_some() {
            tracing::warn!(
                registry,
                "the Docker config holds an identity token, which typehouse does not use; use --username and --password-stdin"
            );
        }
        Ok(Self::Anonymous)
    }
}

/// Does a Docker config key (`host`, `https://host/v1/`, ...) name `registry`?
fn same_registry(key: &str, registry: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    let docker_hub = |name: &str| {
        matches!(
            name,
            "docker.io" | "index.docker.io" | "registry-1.docker.io"
        )
    };
    host.eq_ignore_ascii_case(registry) || (docker_hub(host) && docker_hub(registry))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_file(content: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), content).unwrap();
        file
    }

    #[test]
    fn the_auth_field_is_base64_user_and_password() {
        // "alice:s3cr:et" in base64: a password may itself contain a colon.
        let file = config_file(
            r#"{"auths": {"registry.example.com:5000": {"auth": "YWxpY2U6czNjcjpldA=="}}}"#,
        );
        let credentials =
            Credentials::from_docker_config_file(file.path(), "registry.example.com:5000").unwrap();
        assert_eq!(
            credentials,
            Credentials::Basic {
                username: "alice".into(),
                password: "s3cr:et".into()
            }
        );
    }

    #[test]
    fn keys_with_a_scheme_and_path_match_the_host() {
        let file = config_file(
            r#"{"auths": {"https://index.docker.io/v1/": {"username": "bob", "password": "pw"}}}"#,
        );
        let credentials = Credentials::from_docker_config_file(file.path(), "docker.io").unwrap();
        assert!(
            matches!(credentials, Credentials::Basic { ref username, .. } if username == "bob")
        );
    }

    #[test]
    fn another_registry_or_no_file_is_anonymous() {
        let file = config_file(r#"{"auths": {"other.example": {"auth": "YTpi"}}}"#);
        assert!(
            Credentials::from_docker_config_file(file.path(), "registry.example.com")
                .unwrap()
                .is_anonymous()
        );
        assert!(
            Credentials::from_docker_config_file(Path::new("/nonexistent/config.json"), "x")
                .unwrap()
                .is_anonymous()
        );
    }

    #[test]
    fn a_broken_file_is_an_error_that_names_it() {
        let file = config_file("{not json");
        let error = Credentials::from_docker_config_file(file.path(), "x").unwrap_err();
        assert!(error.to_string().contains("not a Docker config file"));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let credentials = Credentials::Basic {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("alice") && !shown.contains("hunter2"));
    }
}
