//! The names of the rules `typehouse check` applies; stable, as CI annotations and tools key on them.

/// `catalog.yaml` or `definition.schema.json` missing or malformed.
pub const CATALOG_FILE: &str = "catalog-file";
/// A file that does not fit the `<vendor>/<name>/<version>.yaml` layout.
pub const LAYOUT: &str = "layout";
pub const FILE_READ: &str = "file-read";
pub const FILE_TOO_LARGE: &str = "file-too-large";
pub const YAML_SYNTAX: &str = "yaml-syntax";
/// The document does not match `definition.schema.json`.
pub const DEFINITION_SCHEMA: &str = "definition-schema";
pub const VERSION_FILENAME: &str = "version-filename";
pub const TYPE_ID: &str = "type-id";
pub const MEDIA_TYPE: &str = "media-type";
pub const IDENTIFYING_UNIQUE: &str = "identifying-unique";
pub const ARTIFACT_TYPE: &str = "artifact-type";
pub const CONFIG_SCHEMA: &str = "config-schema";
pub const CONFIG_EXAMPLE: &str = "config-example";
pub const ACTION_PLACEHOLDER: &str = "action-placeholder";
/// An action template that is not one plain command: shell operators (`;`, `|`, `&`, `&&`,
/// `||`, `<`, `>`), backticks, `$(` and other expansions, newlines, an unclosed quote, or a
/// placeholder as the program.
pub const ACTION_SHELL: &str = "action-shell";
pub const RELATIVE_PATH: &str = "relative-path";
pub const ICON_SVG: &str = "icon-svg";
pub const LINK_HTTPS: &str = "link-https";
/// A warning: a GitHub `blob` or `tree` link names a branch, tag or short hash, not a full commit.
pub const LINK_UNPINNED: &str = "link-unpinned";
pub const DEPRECATION: &str = "deprecation";
pub const DUPLICATE: &str = "duplicate";
/// With `--base`: a published file changed.
pub const PUBLISHED_MODIFIED: &str = "published-modified";
/// With `--base`: a published file was removed.
pub const PUBLISHED_REMOVED: &str = "published-removed";
/// With `--base`: a new version is not higher than the last published one.
pub const VERSION_ORDER: &str = "version-order";
/// With `--base`: the config schema rejects documents the previous version accepted.
pub const BREAKING_SCHEMA_CHANGE: &str = "breaking-schema-change";
