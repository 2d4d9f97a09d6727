//! The registries the service lists (`serve --registry NAME=URL`): each with its inspector, all
//! inspected on a runtime of their own, so that the answers every worker shares (manifests by
//! digest, tag lists) and the connections behind them live on one runtime.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::Credentials;
use super::inspect::{Connection, InspectError, Inspector, Listing, Quiet, Target};
use crate::catalog::reference::{Field, is_valid};
use crate::service::Snapshot;

/// An inspection that takes longer than this is abandoned (each request has its own timeout
/// too; this bounds a listing of many tags).
pub const LISTING_TIMEOUT: Duration = Duration::from_secs(60);
/// Each request to a registry: connecting, and reading the answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// `NAME=URL`: the name the service's URLs use, and where the registry is
/// (`https://registry.example.com`, or `http://` for plain HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    pub name: String,
    /// `host[:port]`.
    pub host: String,
    pub plain_http: bool,
}

impl RegistryConfig {
    pub fn url(&self) -> String {
        let scheme = if self.plain_http { "http" } else { "https" };
        format!("{scheme}://{}", self.host)
    }
}

impl fmt::Display for RegistryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.url())
    }
}

impl FromStr for RegistryConfig {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "`{text}` is not NAME=URL: a name of lowercase letters, digits and `-`, then the registry's https:// (or http://) URL, as in hub=https://registry.example.com"
            )
        };
        let (name, url) = text.trim().split_once('=').ok_or_else(usage)?;
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let (plain_http, rest) = match url.strip_prefix("https://") {
            Some(rest) => (false, rest),
            None => (true, url.strip_prefix("http://").ok_or_else(usage)?),
        };
        let host = rest.trim_end_matches('/');
        if !name_ok || !is_valid(Field::Registry, host) {
            return Err(usage());
        }
        Ok(Self {
            name: name.to_string(),
            host: host.to_string(),
            plain_http,
        })
    }
}

/// A configured registry and its inspector.
pub struct Configured {
    pub config: RegistryConfig,
    inspector: Arc<Inspector>,
}

/// Every configured registry. Nothing else is ever contacted: a request names a registry by
/// its configured name only.
pub struct Registries {
    configured: Vec<Configured>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Registries {
    /// No registries: the listings answer that none is configured.
    pub fn none() -> Self {
        Self {
            configured: Vec::new(),
            runtime: None,
        }
    }

    /// The registries of `configs`, each with the credentials `credentials` finds for its host.
    pub fn new(
        configs: &[RegistryConfig],
        credentials: impl Fn(&str) -> Result<Credentials, String>,
    ) -> Result<Self, String> {
        if configs.is_empty() {
            return Ok(Self::none());
        }
        let mut configured: Vec<Configured> = Vec::new();
        for config in configs {
            if configured.iter().any(|c| c.config.name == config.name) {
                return Err(format!(
                    "the registry name `{}` is given twice",
                    config.name
                ));
            }
            let mut connection =
                Connection::new(&config.host, config.plain_http, credentials(&config.host)?);
            connection.timeout = REQUEST_TIMEOUT;
            configured.push(Configured {
                config: config.clone(),
                inspector: Arc::new(Inspector::new(connection)),
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("typehouse-registries")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the registry runtime: {e}"))?;
        Ok(Self {
            configured,
            runtime: Some(runtime),
        })
    }

    /// Runs `task` on the registries' runtime (the push notifications' worker); `false` when
    /// no registry is configured, so there is no runtime.
    pub fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) -> bool {
        match &self.runtime {
            Some(runtime) => {
                runtime.spawn(task);
                true
            }
            None => false,
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &RegistryConfig> {
        self.configured.iter().map(|c| &c.config)
    }

    pub fn get(&self, name: &str) -> Option<&RegistryConfig> {
        self.find(name).map(|c| &c.config)
    }

    fn find(&self, name: &str) -> Option<&Configured> {
        self.configured.iter().find(|c| c.config.name == name)
    }

    /// Inspects `path` (`REPOSITORY`, `REPOSITORY:TAG` or `REPOSITORY@DIGEST`) in the
    /// registry `name`, classified with `snapshot`'s catalog. `None` when no registry has
    /// that name.
    pub async fn inspect(
        &self,
        name: &str,
        target: Target,
        snapshot: Arc<Snapshot>,
    ) -> Option<Result<Listing, InspectError>> {
        let configured = self.find(name)?;
        let runtime = self.runtime.as_ref()?;
        let inspector = Arc::clone(&configured.inspector);
        let shown = target.to_string();
        let task = runtime.spawn(async move {
            let listing = inspector.inspect(&snapshot.catalog, &target, &Quiet);
            match tokio::time::timeout(LISTING_TIMEOUT, listing).await {
                Ok(answer) => answer,
                Err(_) => Err(InspectError::Unreachable {
                    reference: target.to_string(),
                    message: format!("no answer within {} s", LISTING_TIMEOUT.as_secs()),
                }),
            }
        });
        Some(match task.await {
            Ok(answer) => answer,
            Err(error) => Err(InspectError::Runtime(format!("{shown}: {error}"))),
        })
    }
}

impl Drop for Registries {
    fn drop(&mut self) {
        // Dropped from within the server's runtime: a blocking shutdown would panic there.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_name_equals_url() {
        let hub: RegistryConfig = "hub=https://registry.example.com/".parse().unwrap();
        assert_eq!(hub.host, "registry.example.com");
        assert!(!hub.plain_http);
        let local: RegistryConfig = "local=http://127.0.0.1:5000".parse().unwrap();
        assert!(local.plain_http);
        assert_eq!(local.to_string(), "local=http://127.0.0.1:5000");
        for bad in [
            "hub",
            "=https://a.example",
            "Hub=https://a.example",
            "hub=ftp://a.example",
            "hub=https://a.example/path",
            "hub=https://",
            "hub=registry.example.com",
        ] {
            assert!(bad.parse::<RegistryConfig>().is_err(), "{bad}");
        }
    }
}
