//! End to end against a real OCI registry and real clients: the CNCF distribution registry
//! (Debian's `docker-registry`, started by each test on loopback), skopeo and the ORAS Python
//! library push real artifacts; typehouse classifies what the registry serves back, and
//! publishes, pulls and serves its own catalog through the registry.
//!
//! Needs `docker-registry`, `skopeo` and `python3` with `oras` on the PATH: `scripts/test`
//! installs them.

mod catalog;
mod clients;
mod credential_helpers;
#[path = "../pages/driver.rs"]
#[allow(
    dead_code,
    reason = "the page tests' driver; the registry tests use part of it"
)]
mod driver;
mod helpers;
mod hooks;
mod listings;
mod producers;
