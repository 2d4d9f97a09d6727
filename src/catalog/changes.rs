//! What changed between two versions of a type: fields, list entries (layers, annotations,
//! actions, ...) and config schema properties added, removed or changed, plus the schema
//! changes that can reject documents the older version accepted.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Published;
use super::compat::{BreakingChange, breaking_changes};
use super::outline::{Property, outline};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Changed => "changed",
        }
    }
}

/// One difference, e.g. added `layer application/vnd.x.layer.v1+tar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// What changed: `summary`, `layer application/...`, `schema property deps[].name`.
    pub what: String,
    /// For changes: old and new value where short, or what about it changed.
    pub detail: Option<String>,
}

/// Every difference between `old` and `new`, in definition field order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionChanges {
    pub changes: Vec<Change>,
    /// Config schema changes that can reject a document the old version accepted.
    pub breaking: Vec<BreakingChange>,
}

/// List fields whose entries are compared one by one, with the key that names an entry.
const KEYED_LISTS: &[(&str, &str, Key)] = &[
    ("layers", "layer", Key::MediaTypes),
    ("annotations", "annotation", Key::Field("key")),
    ("actions", "action", Key::Field("id")),
    ("tools", "tool", Key::Field("name")),
    ("owners", "owner", Key::Field("name")),
    ("aliases", "alias", Key::Itself),
    ("manifestMediaTypes", "manifest media type", Key::Itself),
    ("fileExtensions", "file extension", Key::Itself),
    ("tags", "tag", Key::Itself),
    ("match", "match condition", Key::Json),
];

#[derive(Debug, Clone, Copy)]
enum Key {
    Field(&'static str),
    MediaTypes,
    Itself,
    Json,
}

/// Values longer than this are reported as changed without showing them.
const SHOW_VALUES_UP_TO: usize = 80;

pub fn between(old: &Published, new: &Published) -> VersionChanges {
    let old_document = fields(old);
    let new_document = fields(new);
    let mut changes = Vec::new();
    let mut names: Vec<&String> = new_document.keys().collect();
    names.extend(
        old_document
            .keys()
            .filter(|k| !new_document.contains_key(*k)),
    );
    for name in names {
        let (before, after) = (old_document.get(name), new_document.get(name));
        if before == after {
            continue;
        }
        if let Some((_, singular, key)) = KEYED_LISTS.iter().find(|(field, ..)| field == name) {
            compare_list(singular, *key, before, after, &mut changes);
        } else if name == "config" {
            compare_config(before, after, &mut changes);
        } else {
            changes.push(field_change(&format!("`{name}`"), before, after));
        }
    }
    let old_schema = old.config_schema.as_ref().map(|s| &*s.document);
    let new_schema = new.config_schema.as_ref().map(|s| &*s.document);
    let mut breaking = Vec::new();
    match (old_schema, new_schema) {
        (Some(before), Some(after)) if before != after => {
            compare_schemas(before, after, &mut changes);
            breaking = breaking_changes(before, after);
        }
        (None, Some(_)) => changes.push(Change {
            kind: ChangeKind::Added,
            what: "config schema".into(),
            detail: None,
        }),
        (Some(_), None) => changes.push(Change {
            kind: ChangeKind::Removed,
            what: "config schema".into(),
            detail: None,
        }),
        _ => {}
    }
    VersionChanges { changes, breaking }
}

/// The definition as JSON, without the version (which always changes).
fn fields(published: &Published) -> Map<String, Value> {
    match serde_json::to_value(&published.definition) {
        Ok(Value::Object(mut fields)) => {
            fields.remove("version");
            fields
        }
        _ => Map::new(),
    }
}

fn field_change(what: &str, before: Option<&Value>, after: Option<&Value>) -> Change {
    let (kind, detail) = match (before, after) {
        (None, Some(value)) => (ChangeKind::Added, short(value)),
        (Some(value), None) => (ChangeKind::Removed, short(value)),
        (Some(before), Some(after)) => (
            ChangeKind::Changed,
            short(before)
                .zip(short(after))
                .map(|(before, after)| format!("{before} → {after}")),
        ),
        (None, None) => (ChangeKind::Changed, None),
    };
    Change {
        kind,
        what: what.to_string(),
        detail,
    }
}

/// A value small enough to show inline.
fn short(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string(other).ok()?,
    };
    (text.chars().count() <= SHOW_VALUES_UP_TO && !text.contains('\n')).then_some(text)
}

fn compare_list(
    singular: &str,
    key: Key,
    before: Option<&Value>,
    after: Option<&Value>,
    changes: &mut Vec<Change>,
) {
    let entries = |list: Option<&Value>| -> Vec<(String, Value)> {
        list.and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| (key_of(item, key), item.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (before, after) = (entries(before), entries(after));
    let old: BTreeMap<&str, &Value> = before.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let new: BTreeMap<&str, &Value> = after.iter().map(|(k, v)| (k.as_str(), v)).collect();
    for (name, value) in &after {
        match old.get(name.as_str()) {
            None => changes.push(Change {
                kind: ChangeKind::Added,
                what: format!("{singular} `{name}`"),
                detail: None,
            }),
            Some(previous) if *previous != value => changes.push(Change {
                kind: ChangeKind::Changed,
                what: format!("{singular} `{name}`"),
                detail: changed_keys(previous, value),
            }),
            Some(_) => {}
        }
    }
    for (name, _) in &before {
        if !new.contains_key(name.as_str()) {
            changes.push(Change {
                kind: ChangeKind::Removed,
                what: format!("{singular} `{name}`"),
                detail: None,
            });
        }
    }
}

fn key_of(item: &Value, key: Key) -> String {
    match key {
        Key::Field(field) => item
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        Key::MediaTypes => {
            let mut media_types: Vec<&str> = item
                .get("mediaType")
                .into_iter()
                .chain(
                    item.get("mediaTypes")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .filter_map(Value::as_str)
                .collect();
            media_types.dedup();
            media_types.join(", ")
        }
        Key::Itself => short(item).unwrap_or_default(),
        Key::Json => serde_json::to_string(item).unwrap_or_default(),
    }
}

/// `title, maxCount` for two objects that differ in those fields.
fn changed_keys(before: &Value, after: &Value) -> Option<String> {
    let (Value::Object(before), Value::Object(after)) = (before, after) else {
        return None;
    };
    let mut keys: Vec<&str> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .collect();
    keys.extend(
        before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .map(String::as_str),
    );
    (!keys.is_empty()).then(|| keys.join(", "))
}

/// `config` fields other than the schema, which is compared by content instead of by name.
fn compare_config(before: Option<&Value>, after: Option<&Value>, changes: &mut Vec<Change>) {
    let without_schema = |config: Option<&Value>| -> Option<Map<String, Value>> {
        let mut fields = config?.as_object()?.clone();
        fields.remove("schema");
        Some(fields)
    };
    match (without_schema(before), without_schema(after)) {
        (None, Some(_)) => changes.push(Change {
            kind: ChangeKind::Added,
            what: "`config`".into(),
            detail: None,
        }),
        (Some(_), None) => changes.push(Change {
            kind: ChangeKind::Removed,
            what: "`config`".into(),
            detail: None,
        }),
        (Some(before), Some(after)) => {
            for (name, value) in &after {
                if before.get(name) != Some(value) {
                    if name == "examples" {
                        let count =
                            |v: Option<&Value>| v.and_then(Value::as_array).map_or(0, Vec::len);
                        changes.push(Change {
                            kind: ChangeKind::Changed,
                            what: "config examples".into(),
                            detail: Some(format!(
                                "{} → {}",
                                count(before.get(name)),
                                count(Some(value))
                            )),
                        });
                    } else {
                        changes.push(field_change(
                            &format!("`config.{name}`"),
                            before.get(name),
                            Some(value),
                        ));
                    }
                }
            }
            for (name, value) in &before {
                if !after.contains_key(name) {
                    changes.push(field_change(&format!("`config.{name}`"), Some(value), None));
                }
            }
        }
        (None, None) => {}
    }
}

fn compare_schemas(before: &Value, after: &Value, changes: &mut Vec<Change>) {
    let old = outline(before);
    let new = outline(after);
    let old_by_path: BTreeMap<&str, &Property> = old
        .properties
        .iter()
        .map(|p| (p.path.as_str(), p))
        .collect();
    let new_by_path: BTreeMap<&str, &Property> = new
        .properties
        .iter()
        .map(|p| (p.path.as_str(), p))
        .collect();
    if old.types != new.types {
        changes.push(Change {
            kind: ChangeKind::Changed,
            what: "config schema type".into(),
            detail: Some(format!("{} → {}", old.types, new.types)),
        });
    }
    for property in &new.properties {
        let what = format!("schema property `{}`", property.path);
        match old_by_path.get(property.path.as_str()) {
            None => changes.push(Change {
                kind: ChangeKind::Added,
                what,
                detail: property.required.then(|| "required".into()),
            }),
            Some(previous) if *previous != property => changes.push(Change {
                kind: ChangeKind::Changed,
                what,
                detail: Some(describe_property_change(previous, property)),
            }),
            Some(_) => {}
        }
    }
    for property in &old.properties {
        if !new_by_path.contains_key(property.path.as_str()) {
            changes.push(Change {
                kind: ChangeKind::Removed,
                what: format!("schema property `{}`", property.path),
                detail: None,
            });
        }
    }
    if old.properties == new.properties && old.types == new.types {
        changes.push(Change {
            kind: ChangeKind::Changed,
            what: "config schema".into(),
            detail: None,
        });
    }
}

fn describe_property_change(old: &Property, new: &Property) -> String {
    let mut parts = Vec::new();
    if old.types != new.types {
        parts.push(format!("type {} → {}", old.types, new.types));
    }
    match (old.required, new.required) {
        (false, true) => parts.push("now required".into()),
        (true, false) => parts.push("now optional".into()),
        _ => {}
    }
    if old.values != new.values {
        let listed = |values: &[String]| {
            if values.is_empty() {
                "any".to_string()
            } else {
                values.join(", ")
            }
        };
        parts.push(format!(
            "values {} → {}",
            listed(&old.values),
            listed(&new.values)
        ));
    }
    if old.constraints != new.constraints {
        parts.push("constraints".into());
    }
    if old.description != new.description {
        parts.push("description".into());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes_between(old: Value, new: Value) -> Vec<Change> {
        let mut changes = Vec::new();
        compare_schemas(&old, &new, &mut changes);
        changes
    }

    #[test]
    fn lists_schema_properties_added_removed_and_changed() {
        let changes = changes_between(
            json!({"type": "object", "properties": {
                "a": {"type": "string"}, "b": {"type": "string"}
            }}),
            json!({"type": "object", "required": ["a"], "properties": {
                "a": {"type": "integer"}, "c": {"type": "string"}
            }}),
        );
        let summary: Vec<(ChangeKind, &str, Option<&str>)> = changes
            .iter()
            .map(|c| (c.kind, c.what.as_str(), c.detail.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    ChangeKind::Changed,
                    "schema property `a`",
                    Some("type string → integer; now required")
                ),
                (ChangeKind::Added, "schema property `c`", None),
                (ChangeKind::Removed, "schema property `b`", None),
            ]
        );
    }

    #[test]
    fn names_list_entries_by_their_key() {
        let mut changes = Vec::new();
        compare_list(
            "layer",
            Key::MediaTypes,
            Some(&json!([{"mediaType": "a/x", "title": "X"}, {"mediaType": "a/y", "title": "Y"}])),
            Some(&json!([{"mediaType": "a/x", "title": "X2"}, {"mediaType": "a/z", "title": "Z"}])),
            &mut changes,
        );
        let whats: Vec<(ChangeKind, &str)> =
            changes.iter().map(|c| (c.kind, c.what.as_str())).collect();
        assert_eq!(
            whats,
            [
                (ChangeKind::Changed, "layer `a/x`"),
                (ChangeKind::Added, "layer `a/z`"),
                (ChangeKind::Removed, "layer `a/y`"),
            ]
        );
        assert_eq!(changes[0].detail.as_deref(), Some("title"));
    }

    #[test]
    fn shows_short_values_only() {
        let change = field_change("`summary`", Some(&json!("old")), Some(&json!("new")));
        assert_eq!(change.detail.as_deref(), Some("old → new"));
        let long = "x".repeat(200);
        let change = field_change("`description`", Some(&json!("a")), Some(&json!(long)));
        assert_eq!(change.detail, None);
    }
}
