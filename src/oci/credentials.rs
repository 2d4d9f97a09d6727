//! Registry credentials: `--username` with `--password-stdin`, or the Docker config file
//! (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), as `docker login` and
//! `oras login` write it, including its credential helpers (`credHelpers`, `credsStore`).

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
    /// What a Docker credential helper answered for `server`. Helpers hand out short-lived
    /// tokens (ECR's last 12 hours), so [`Credentials::refreshed`] asks the helper again.
    Helper {
        helper: String,
        server: String,
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
            Self::Helper {
                helper,
                server,
                username,
                ..
            } => f
                .debug_struct("Helper")
                .field("helper", helper)
                .field("server", server)
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
    #[error("the credential helper {program} failed for {server}: {message}")]
    Helper {
        program: String,
        server: String,
        message: String,
    },
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
            Self::Basic { username, password }
            | Self::Helper {
                username, password, ..
            } => oci_client::secrets::RegistryAuth::Basic(username.clone(), password.clone()),
        }
    }

    /// The same credentials for a new pull: a credential helper's asked again, the others as
    /// they are.
    pub fn refreshed(&self) -> Result<Self, CredentialsError> {
        match self {
            Self::Helper { helper, server, .. } => run_helper(helper, server),
            other => Ok(other.clone()),
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
        // As Docker does (cli/config/configfile/file.go, GetCredentialsStore): a helper named
        // for this registry in `credHelpers`, else `credsStore`, answers alone; `auths` is
        // read only when neither is set.
        let key = auth_config_key(registry);
        let helper = config
            .cred_helpers
            .get(key)
            .or(config.creds_store.as_ref())
            .filter(|name| !name.is_empty());
        if let Some(helper) = helper {
            return run_helper(helper, key);
        }
        let entry = config
            .auths
            .iter()
            .find(|(key, _)| same_registry(key, registry))
            .map(|(_, entry)| entry);
        let Some(entry) = entry else {
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
            warn_identity_token(registry);
        }
        Ok(Self::Anonymous)
    }
}

fn warn_identity_token(registry: &str) {
    tracing::warn!(
        registry,
        "the Docker credentials for this registry are an identity token, which typehouse does not use; use --username and --password-stdin"
    );
}

/// Docker Hub's credentials live under its v1 URL; every other registry's under its host.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The key Docker looks a registry's credentials up under (`getAuthConfigKey` in
/// cli/config/configfile/file.go), which is also what a helper is asked about.
fn auth_config_key(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" => DOCKER_HUB_KEY,
        _ => registry,
    }
}

/// What a credential helper prints after `get` (docker-credential-helpers, credentials.go).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// A helper's answer when it holds nothing for the server (docker-credential-helpers,
/// credentials/error.go): the registry is then used anonymously, as Docker does.
const HELPER_NOT_FOUND: &str = "credentials not found in native keychain";
/// The user name with which a helper hands back an identity token instead of a password.
const HELPER_TOKEN_USERNAME: &str = "<token>";

/// Runs `docker-credential-<helper> get` with the server on standard input, as the Docker CLI
/// does (docker-credential-helpers, client/client.go).
fn run_helper(helper: &str, server: &str) -> Result<Credentials, CredentialsError> {
    let program = format!("docker-credential-{helper}");
    let failed = |message: String| CredentialsError::Helper {
        program: program.clone(),
        server: server.to_string(),
        message,
    };
    // The name comes from a config file and becomes a program looked up on PATH; a path
    // would run whatever it points at.
    if helper.contains(['/', '\\']) || helper.chars().any(char::is_control) {
        return Err(failed(
            "a helper is named, not given as a path (`\"credsStore\": \"pass\"` runs docker-credential-pass)".into(),
        ));
    }
    let mut child = std::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => failed(format!(
                "{program} is not on PATH (the Docker config names it)"
            )),
            _ => failed(format!("cannot run it: {error}")),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        // A helper that exits without reading its input is judged by its answer below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|error| failed(format!("cannot run it: {error}")))?;
    let answer = parse_helper_output(&output, server).map_err(failed)?;
    Ok(match answer {
        Some((username, password)) => Credentials::Helper {
            helper: helper.to_string(),
            server: server.to_string(),
            username,
            password,
        },
        None => Credentials::Anonymous,
    })
}

/// The user name and secret a helper answered; `None` where it has none to give.
fn parse_helper_output(
    output: &std::process::Output,
    server: &str,
) -> Result<Option<(String, String)>, String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        if stdout.trim() == HELPER_NOT_FOUND {
            return Ok(None);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = [stdout.trim(), stderr.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(format!("it exited with {}: {said}", output.status));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout).map_err(|error| {
        format!("its answer is not {{\"Username\": ..., \"Secret\": ...}}: {error}")
    })?;
    if answer.username == HELPER_TOKEN_USERNAME {
        warn_identity_token(server);
        return Ok(None);
    }
    Ok(Some((answer.username, answer.secret)))
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

    fn helper_output(code: i32, stdout: &str) -> std::process::Output {
        use std::os::unix::process::ExitStatusExt;
        std::process::Output {
            // A wait status holds the exit code in its second byte.
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: stdout.as_bytes().to_vec(),
            stderr: b"from stderr".to_vec(),
        }
    }

    #[test]
    fn a_helper_answer_is_username_and_secret() {
        let answer = r#"{"ServerURL": "r.example", "Username": "AWS", "Secret": "tok:en"}"#;
        assert_eq!(
            parse_helper_output(&helper_output(0, answer), "r.example").unwrap(),
            Some(("AWS".into(), "tok:en".into()))
        );
    }

    #[test]
    fn a_helper_without_credentials_means_anonymous_and_other_failures_are_errors() {
        let not_found = helper_output(1, "credentials not found in native keychain\n");
        assert_eq!(parse_helper_output(&not_found, "r.example").unwrap(), None);
        let broken = parse_helper_output(&helper_output(1, "keychain locked"), "r").unwrap_err();
        assert!(
            broken.contains("keychain locked") && broken.contains("from stderr"),
            "{broken}"
        );
        let garbled = parse_helper_output(&helper_output(0, "user=a"), "r").unwrap_err();
        assert!(garbled.contains("Username"), "{garbled}");
        let token = r#"{"Username": "<token>", "Secret": "refresh"}"#;
        assert_eq!(
            parse_helper_output(&helper_output(0, token), "r").unwrap(),
            None
        );
    }

    #[test]
    fn docker_hub_is_asked_about_under_its_v1_url() {
        assert_eq!(auth_config_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(auth_config_key("index.docker.io"), DOCKER_HUB_KEY);
        assert_eq!(auth_config_key("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn a_registry_s_helper_comes_before_the_store_and_both_before_auths() {
        // Neither helper exists: the error names the one that was chosen.
        let file = config_file(
            r#"{"auths": {"r.example": {"auth": "YTpi"}},
                "credsStore": "typehouse-test-store",
                "credHelpers": {"r.example": "typehouse-test-absent"}}"#,
        );
        let error = Credentials::from_docker_config_file(file.path(), "r.example").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("docker-credential-typehouse-test-absent is not on PATH"),
            "{error}"
        );
        let error = Credentials::from_docker_config_file(file.path(), "other.example").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("docker-credential-typehouse-test-store"),
            "{error}"
        );
        // An empty credsStore is no store: `auths` answers.
        let file = config_file(r#"{"auths": {"r.example": {"auth": "YTpi"}}, "credsStore": ""}"#);
        assert!(
            !Credentials::from_docker_config_file(file.path(), "r.example")
                .unwrap()
                .is_anonymous()
        );
    }

    #[test]
    fn a_helper_given_as_a_path_is_refused_without_running_it() {
        let file = config_file(r#"{"credsStore": "../../bin/sh"}"#);
        let error = Credentials::from_docker_config_file(file.path(), "r.example").unwrap_err();
        assert!(error.to_string().contains("not given as a path"), "{error}");
    }

    #[test]
    fn debug_output_hides_the_password() {
        let credentials = Credentials::Basic {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("alice") && !shown.contains("hunter2"));
        let credentials = Credentials::Helper {
            helper: "ecr-login".into(),
            server: "r.example".into(),
            username: "AWS".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("ecr-login") && !shown.contains("hunter2"));
    }
}
