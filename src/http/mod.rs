//! The HTTP service (actix-web): the only layer that touches actix. Handlers read an
//! immutable [`state::Snapshot`] of the catalog, whose answers were serialized at load time.

pub mod access;
pub mod body;
pub mod handlers;
pub mod hooks;
pub mod listeners;
pub mod metrics;
pub mod negotiate;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod slice;
pub mod startup;
pub mod state;

pub use access::Cidr;
pub use startup::{Application, ServeConfig};
pub use state::DEFAULT_CHECKS_PER_MINUTE;
