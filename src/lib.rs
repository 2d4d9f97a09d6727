//! typehouse: a clearing house for well-known OCI artifact types.
//!
//! The map of the code, by layer, from the bottom up:
//! - [`catalog`]: the domain. Definitions, media types, versions, loading and checking a
//!   catalog directory, schema compatibility, classification. Stored definitions are reached
//!   through [`catalog::DefinitionStore`], which the image implements.
//! - [`documents`]: the JSON answers about a catalog, as values and serialized bytes with their
//!   ETag and gzip variant: what the service sends, the site writes, the image stores and a
//!   published catalog carries.
//! - [`image`]: the compiled catalog on disk that `serve` answers from: format, writer,
//!   reader, the cache of definitions read back, and the fingerprint an image is named after.
//! - [`service`]: the served catalog over time: snapshots, loading through the image, reloads
//!   and the directory watcher.
//! - [`submission`]: submissions as a domain: checking a proposed definition against the
//!   catalog, review decisions and history, the file and patch that publish it.
//! - [`store`]: the submissions store over sled.
//! - [`pages`]: the HTML documentation (askama templates): one struct per page, filled with
//!   view models from `catalog` and `submission`.
//! - [`oci`]: the catalog as an OCI artifact: pack, push, pull (`publish`, `pull`,
//!   `serve --from`, for which it implements [`service::RemoteCatalog`]); and what a
//!   registry holds, every manifest classified (`inspect`, the registry listings).
//! - [`http`]: the actix-web service: the URL table, handlers, caching, problem documents;
//!   the registry listings ask [`oci`] for what the configured registries hold.
//! - [`site`]: the static export (`typehouse build`): the same pages and documents as files.
//! - [`cli`]: the command line; the only module that knows every other one.
//!
//! The rule between them: a module uses only the modules its row names. `tests/check`
//! reads this table and every `crate::`, `super::` and external crate path in `src/`, and
//! fails on any other arrow.
//!
//! | module | uses |
//! |---|---|
//! | `catalog` | |
//! | `documents` | `catalog` |
//! | `image` | `catalog`, `documents` |
//! | `service` | `catalog`, `documents`, `image` |
//! | `submission` | `catalog` |
//! | `store` | `catalog`, `submission` |
//! | `pages` | `catalog`, `submission` |
//! | `oci` | `catalog`, `documents`, `service` |
//! | `http` | `catalog`, `documents`, `image`, `service`, `submission`, `store`, `pages`, `oci` |
//! | `site` | `catalog`, `documents`, `pages` |
//! | `cli` | `catalog`, `documents`, `image`, `service`, `submission`, `store`, `pages`, `oci`, `http`, `site` |
//! | `http::handlers::*` | `http::handlers::shared` |
//!
//! The last row is about siblings: a handler module uses no other handler module but the one
//! that holds what several share.
//!
//! | crate | only in |
//! |---|---|
//! | `actix_web` | `http`, `cli` |
//! | `sled` | `store` |
//! | `askama` | `pages` |
//! | `utoipa` | `http` |
//! | `indicatif` | `cli` |

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
