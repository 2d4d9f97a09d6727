//! typehouse: a clearing house for well-known OCI artifact types.
//!
//! The map of the code, by layer:
//! - [`catalog`]: the domain. Definitions, media types, versions, loading and checking a
//!   catalog directory, schema compatibility, classification. Knows nothing of HTTP or storage.
//! - [`submission`]: submissions: checking a proposed definition against the live catalog,
//!   review decisions and history, the file and patch that publish it. Domain code.
//! - [`store`]: the submissions store over sled; the only module that imports sled.
//! - [`oci`]: the catalog as an OCI artifact: pack and unpack it, push it to and pull it from
//!   a registry (`publish`, `pull`, `serve --from`). Uses `catalog` and the index document of
//!   `http::state`, so that the published index is byte for byte the served one.
//! - [`http`]: the actix-web service: routes, handlers, caching, problem documents, and the
//!   compiled catalog image it answers from (`http::image`). The catalog reaches stored
//!   definitions through `catalog::DefinitionStore`, which the image implements.
//! - [`pages`]: the HTML documentation (askama templates): one struct per page, filled with
//!   computed values. Uses only `catalog`; `http` renders it for browsers, `site` to files.
//! - [`site`]: the static export (`typehouse build`): the same pages and JSON as files.
//! - [`cli`]: the command line; the only module that knows every other one.
//!
//! Dependency rule: outer layers use `catalog`; `catalog` uses none of them. `submission` uses
//! only `catalog`; `store` uses `submission` and `catalog`.

pub mod catalog;
pub mod cli;
pub mod documents;
pub mod http;
pub mod image;
pub mod oci;
pub mod pages;
pub mod service;
pub mod site;
pub mod store;
pub mod submission;
