//! One published version of an artifact type, as written in `types/<vendor>/<name>/<version>.yaml`.
//!
//! These types are deserialized only after the document passed `definition.schema.json`, so
//! they mirror it field for field; code past this point trusts their invariants.

use std::sync::Arc;

use semver::Version;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::media_type::MediaType;
use super::type_id::TypeId;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Definition {
    pub version: Version,
    pub name: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated_by: Option<TypeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<MediaType>,
    #[serde(default, rename = "match", skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifest_media_types: Vec<MediaType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Config>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Layer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<MediaType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_extensions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    pub links: Links,
    pub owners: Vec<Owner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Active,
    Deprecated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Active => "active",
            Self::Deprecated => "deprecated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectRule {
    Required,
    Optional,
}

/// One `match` condition: an annotation or config label is present, equals or starts with a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "in")]
    pub scope: Option<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_with: Option<String>,
}

/// Where an annotation condition looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Manifest,
    Index,
    Layer,
}

impl Condition {
    /// Does `value` (the annotation or label value, if present) satisfy the condition?
    pub fn accepts(&self, value: Option<&str>) -> bool {
        match (value, &self.equals, &self.starts_with) {
            (None, _, _) => false,
            (Some(v), Some(expected), _) => v == expected,
            (Some(v), None, Some(prefix)) => v.starts_with(prefix.as_str()),
            (Some(_), None, None) => true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub media_type: MediaType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Value>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub identifying: bool,
}

/// A config schema: inline, or the name of a `*.schema.json` file in the type's folder.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SchemaSource {
    File(String),
    /// Shared with the compiled [`ConfigSchema`](super::schema::ConfigSchema): large schemas
    /// are held once, not twice.
    Inline(Arc<Value>),
}

/// A string names a file and anything else is inline, as `#[serde(untagged)]` would read it,
/// but without buffering the whole schema first to try the variants in turn (which took a
/// twentieth of checking a large catalog).
impl<'de> Deserialize<'de> for SchemaSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(name) => Self::File(name),
            document => Self::Inline(Arc::new(document)),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Layer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<MediaType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_types: Vec<MediaType>,
    pub title: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub identifying: bool,
}

impl Layer {
    /// Every media type of this layer entry (one, or the family).
    pub fn all_media_types(&self) -> impl Iterator<Item = &MediaType> {
        self.media_type.iter().chain(self.media_types.iter())
    }

    pub fn accepts(&self, normalized: &str) -> bool {
        self.all_media_types().any(|m| m.normalized() == normalized)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Annotation {
    pub key: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub id: String,
    pub label: String,
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    pub spec: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The placeholders an action template may use.
pub const PLACEHOLDERS: &[&str] = &[
    "registry",
    "repository",
    "name",
    "tag",
    "digest",
    "reference",
];

/// The `{...}` placeholders of a command template, in order, with their byte offsets.
pub fn placeholders(template: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        found.push((offset + open, &after[..close]));
        let consumed = open + 1 + close + 1;
        offset += consumed;
        rest = &rest[consumed..];
    }
    found
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders() {
        let found: Vec<_> =
            placeholders("helm install {name} oci://{registry}/{repository} --version {tag}")
                .into_iter()
                .map(|(_, p)| p)
                .collect();
        assert_eq!(found, ["name", "registry", "repository", "tag"]);
        assert!(placeholders("no braces").is_empty());
        assert_eq!(placeholders("a {b"), vec![]);
    }

    #[test]
    fn conditions_accept_present_equal_and_prefix() {
        let present = Condition {
            annotation: Some("k".into()),
            label: None,
            scope: None,
            equals: None,
            starts_with: None,
        };
        assert!(present.accepts(Some("")));
        assert!(!present.accepts(None));
        let equal = Condition {
            equals: Some("v".into()),
            ..present.clone()
        };
        assert!(equal.accepts(Some("v")) && !equal.accepts(Some("vv")));
        let prefix = Condition {
            starts_with: Some("v".into()),
            ..present
        };
        assert!(prefix.accepts(Some("vv")) && !prefix.accepts(Some("w")));
    }
}
