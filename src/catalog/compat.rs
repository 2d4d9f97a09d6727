//! Config-schema compatibility between consecutive versions of a type.
//!
//! A change is breaking when the new schema can reject a document the old one accepted.
//! Recognised (recursively through `properties`, `items`, `prefixItems`, and object-valued
//! `additionalProperties`): a required property added; a property removed while additional
//! properties are closed; additional properties closed; a type narrowed; an enum value removed
//! or an enum or const added; a lower bound raised or an upper bound lowered (`minimum`,
//! `exclusiveMinimum`, `minLength`, `minItems`, `minProperties`, `maximum`, `exclusiveMaximum`,
//! `maxLength`, `maxItems`, `maxProperties`), or a bound added; a `pattern` or `format` added or
//! changed. A new optional property is not breaking where additional properties were open.
//! `$ref` targets are not followed: compare the schemas they point at directly.

use serde_json::{Map, Value};

/// One change that can reject a document the old schema accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakingChange {
    /// Where in the schema, as a JSON pointer.
    pub at: String,
    pub what: String,
}

pub fn breaking_changes(old: &Value, new: &Value) -> Vec<BreakingChange> {
    let mut changes = Vec::new();
    compare(old, new, "", &mut changes, 0);
    changes
}

const MAX_DEPTH: usize = 64;

fn compare(old: &Value, new: &Value, at: &str, changes: &mut Vec<BreakingChange>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let mut push = |what: String| {
        changes.push(BreakingChange {
            at: if at.is_empty() { "/".into() } else { at.into() },
            what,
        })
    };
    let (old, new) = match (old, new) {
        // The old schema accepted nothing, or the new one accepts everything.
        (Value::Bool(false), _) | (_, Value::Bool(true)) => return,
        (_, Value::Bool(false)) => {
            push("the schema now rejects everything".into());
            return;
        }
        (Value::Object(old), Value::Object(new)) => (old, new),
        (Value::Bool(true), Value::Object(new)) => {
            if !new.keys().all(|k| is_annotation(k)) {
                push("constraints added where everything was accepted".into());
            }
            return;
        }
        _ => return,
    };

    compare_types(old, new, &mut push);
    compare_enums(old, new, &mut push);
    for key in [
        "minimum",
        "exclusiveMinimum",
        "minLength",
        "minItems",
        "minProperties",
    ] {
        compare_bound(old, new, key, true, &mut push);
    }
    for key in [
        "maximum",
        "exclusiveMaximum",
        "maxLength",
        "maxItems",
        "maxProperties",
    ] {
        compare_bound(old, new, key, false, &mut push);
    }
    for key in ["pattern", "format"] {
        if let Some(value) = new.get(key) {
            if old.get(key) != Some(value) {
                push(format!("`{key}` added or changed to {value}"));
            }
        }
    }

    let old_required = string_set(old.get("required"));
    for name in string_set(new.get("required")) {
        if !old_required.contains(&name) {
            push(format!("required property `{name}` added"));
        }
    }

    let closed = |schema: &Map<String, Value>| {
        schema.get("additionalProperties") == Some(&Value::Bool(false))
    };
    if closed(new) && !closed(old) {
        push("additional properties closed (`additionalProperties: false`)".into());
    }
    let empty = Map::new();
    let old_props = old
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new_props = new
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (name, old_schema) in old_props {
        match new_props.get(name) {
            Some(new_schema) => compare(
                old_schema,
                new_schema,
                &format!("{at}/properties/{name}"),
                changes,
                depth + 1,
            ),
            None if closed(new) => changes.push(BreakingChange {
                at: format!("{at}/properties/{name}"),
                what: format!("property `{name}` removed while additional properties are closed"),
            }),
            None => {}
        }
    }
    // A new property that the old schema constrained through an object-valued
    // `additionalProperties` may now be constrained further. Where additional properties were
    // open, a new (optional) property is an addition, not a break.
    if let Some(old_additional @ Value::Object(_)) = old.get("additionalProperties") {
        for (name, new_schema) in new_props {
            if !old_props.contains_key(name) {
                compare(
                    old_additional,
                    new_schema,
                    &format!("{at}/properties/{name}"),
                    changes,
                    depth + 1,
                );
            }
        }
    }
    for key in ["items", "additionalProperties", "contains", "propertyNames"] {
        if let (Some(old_sub), Some(new_sub)) = (old.get(key), new.get(key)) {
            if new_sub.is_object() {
                compare(old_sub, new_sub, &format!("{at}/{key}"), changes, depth + 1);
            }
        } else if let (None, Some(new_sub @ Value::Object(_))) = (old.get(key), new.get(key)) {
            compare(
                &Value::Bool(true),
                new_sub,
                &format!("{at}/{key}"),
                changes,
                depth + 1,
            );
        }
    }
    if let (Some(Value::Array(old_items)), Some(Value::Array(new_items))) =
        (old.get("prefixItems"), new.get("prefixItems"))
    {
        for (index, (o, n)) in old_items.iter().zip(new_items).enumerate() {
            compare(
                o,
                n,
                &format!("{at}/prefixItems/{index}"),
                changes,
                depth + 1,
            );
        }
    }
}

fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "$schema"
            | "$id"
            | "$comment"
            | "title"
            | "description"
            | "examples"
            | "default"
            | "deprecated"
            | "readOnly"
            | "writeOnly"
            | "$defs"
            | "definitions"
    )
}

fn compare_types(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    push: &mut impl FnMut(String),
) {
    let Some(new_types) = type_set(new) else {
        return;
    };
    let old_types = type_set(old).unwrap_or_else(|| {
        ["null", "boolean", "object", "array", "number", "string"]
            .map(String::from)
            .to_vec()
    });
    for old_type in &old_types {
        let covered = new_types.contains(old_type)
            || (old_type == "integer" && new_types.iter().any(|t| t == "number"));
        if !covered {
            push(format!(
                "type narrowed: `{old_type}` no longer accepted (now {})",
                new_types.join(", ")
            ));
        }
    }
}

fn type_set(schema: &Map<String, Value>) -> Option<Vec<String>> {
    match schema.get("type")? {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(many) => Some(
            many.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
        ),
        _ => None,
    }
}

fn compare_enums(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    push: &mut impl FnMut(String),
) {
    let allowed = |schema: &Map<String, Value>| -> Option<Vec<Value>> {
        if let Some(constant) = schema.get("const") {
            return Some(vec![constant.clone()]);
        }
        schema.get("enum").and_then(Value::as_array).cloned()
    };
    match (allowed(old), allowed(new)) {
        (Some(old_values), Some(new_values)) => {
            for value in old_values.iter().filter(|v| !new_values.contains(v)) {
                push(format!("enum value {value} removed"));
            }
        }
        (None, Some(_)) => push("`enum` or `const` added".into()),
        _ => {}
    }
}

fn compare_bound(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    key: &str,
    lower: bool,
    push: &mut impl FnMut(String),
) {
    let Some(new_bound) = new.get(key).and_then(Value::as_f64) else {
        return;
    };
    match old.get(key).and_then(Value::as_f64) {
        None => push(format!("`{key}` added ({new_bound})")),
        Some(old_bound)
            if (lower && new_bound > old_bound) || (!lower && new_bound < old_bound) =>
        {
            push(format!("`{key}` tightened from {old_bound} to {new_bound}"));
        }
        Some(_) => {}
    }
}

fn string_set(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn whats(old: Value, new: Value) -> Vec<String> {
        breaking_changes(&old, &new)
            .into_iter()
            .map(|c| c.what)
            .collect()
    }

    #[test]
    fn compatible_changes_are_not_breaking() {
        let old = json!({"type": "object", "required": ["a"], "properties": {"a": {"type": "string", "enum": ["x"]}, "n": {"type": "integer", "maximum": 5}}});
        let new = json!({"type": "object", "required": ["a"], "description": "more docs", "properties": {
            "a": {"type": "string", "enum": ["x", "y"]}, "n": {"type": "number", "maximum": 10}, "extra": {"type": "string"}}});
        assert!(whats(old, new).is_empty());
    }

    #[test]
    fn required_property_added_is_breaking() {
        assert_eq!(
            whats(
                json!({"type": "object"}),
                json!({"type": "object", "required": ["b"]})
            ),
            ["required property `b` added"]
        );
    }

    #[test]
    fn removed_property_breaks_only_when_closed() {
        let old = json!({"properties": {"a": {}}, "additionalProperties": false});
        assert!(
            whats(
                old.clone(),
                json!({"properties": {}, "additionalProperties": false})
            )[0]
            .contains("removed")
        );
        assert!(whats(json!({"properties": {"a": {}}}), json!({"properties": {}})).is_empty());
        assert!(whats(json!({}), json!({"additionalProperties": false}))[0].contains("closed"));
    }

    #[test]
    fn narrowing_types_enums_and_bounds_is_breaking() {
        assert!(
            whats(
                json!({"type": ["string", "null"]}),
                json!({"type": "string"})
            )[0]
            .contains("narrowed")
        );
        assert!(whats(json!({"enum": ["a", "b"]}), json!({"enum": ["a"]}))[0].contains("removed"));
        assert!(whats(json!({"maxLength": 10}), json!({"maxLength": 5}))[0].contains("tightened"));
        assert!(whats(json!({"minimum": 1}), json!({"minimum": 2}))[0].contains("tightened"));
        assert!(whats(json!({}), json!({"pattern": "^a"}))[0].contains("pattern"));
    }

    #[test]
    fn a_schema_that_rejected_everything_cannot_break() {
        assert!(whats(json!(false), json!(false)).is_empty());
        assert!(whats(json!(false), json!({"type": "string"})).is_empty());
        assert_eq!(
            whats(
                json!({"properties": {"a": false}}),
                json!({"properties": {"a": false}})
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            whats(json!(true), json!(false)),
            ["the schema now rejects everything"]
        );
    }

    #[test]
    fn nested_changes_are_found_with_their_location() {
        let old = json!({"properties": {"deps": {"type": "array", "items": {"type": "object", "properties": {"v": {"type": "string"}}}}}});
        let new = json!({"properties": {"deps": {"type": "array", "items": {"type": "object", "properties": {"v": {"type": "integer"}}}}}});
        let changes = breaking_changes(&old, &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].at, "/properties/deps/items/properties/v");
    }
}
