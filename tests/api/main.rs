//! Integration tests of the HTTP API: each test starts the real service on port 0 and talks
//! to it over HTTP. One binary, one file per area.

mod caching;
mod classify;
mod durability;
mod errors;
mod faults;
mod helpers;
mod hostile;
mod images;
mod meta;
mod openapi;
mod reload;
mod scheduling;
mod submissions;
mod trust;
mod types;
