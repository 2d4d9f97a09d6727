//! A readable outline of a config schema: its properties flattened into rows (path, types,
//! required, description, allowed values, constraints), for the type page and for listing what
//! changed between two versions. Only `$ref`s inside the same document are followed.

use serde_json::Value;

/// Nested objects deeper than this are not expanded.
const MAX_DEPTH: usize = 8;
/// `$ref` chains longer than this are not followed.
const MAX_REF_HOPS: usize = 16;

/// One property of a schema, at any depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Where it sits: `name`, `dependencies[].name`, `annotations.*` (any key).
    pub path: String,
    /// 0 for top-level properties.
    pub depth: usize,
    /// `string`, `array of string`, `string | null`, `object`, `any`.
    pub types: String,
    pub required: bool,
    pub description: Option<String>,
    /// `enum` or `const` values, as JSON.
    pub values: Vec<String>,
    /// `minLength: 1`, `format: uri`, `default: "v2"`, ...
    pub constraints: Vec<String>,
}

/// The outline of a whole schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub title: Option<String>,
    pub description: Option<String>,
    /// What the document itself must be (`object`, `any`, ...).
    pub types: String,
    pub properties: Vec<Property>,
}

/// Keywords shown as constraints, in this order.
const CONSTRAINTS: &[&str] = &[
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
];

pub fn outline(schema: &Value) -> Outline {
    let mut walker = Walker {
        root: schema,
        refs: Vec::new(),
        properties: Vec::new(),
    };
    let (resolved, _) = walker.resolve(schema);
    let types = walker.types_of(schema);
    walker.children(resolved, "", 0);
    Outline {
        title: text(resolved, "title"),
        description: text(resolved, "description"),
        types,
        properties: walker.properties,
    }
}

struct Walker<'a> {
    root: &'a Value,
    /// The `$ref`s being expanded on the current path, to stop at cycles.
    refs: Vec<String>,
    properties: Vec<Property>,
}

impl<'a> Walker<'a> {
    /// Follows local `$ref`s; returns the schema reached and a reference it could not follow.
    fn resolve(&self, mut schema: &'a Value) -> (&'a Value, Option<&'a str>) {
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                return (schema, None);
            };
            let target = reference.strip_prefix('#').and_then(|pointer| {
                let pointer = percent_encoding::percent_decode_str(pointer).decode_utf8_lossy();
                self.root.pointer(&pointer)
            });
            match target {
                Some(target) => schema = target,
                None => return (schema, Some(reference)),
            }
        }
        (schema, None)
    }

    fn types_of(&self, schema: &'a Value) -> String {
        self.types_at(schema, 0)
    }

    fn types_at(&self, schema: &'a Value, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return "any".into();
        }
        let (schema, unresolved) = self.resolve(schema);
        if let Some(reference) = unresolved {
            return format!("see {reference}");
        }
        let items = |schema: &'a Value| match schema.get("items") {
            Some(items) if items.is_object() => {
                format!("array of {}", self.types_at(items, depth + 1))
            }
            _ => "array".into(),
        };
        match schema.get("type") {
            Some(Value::String(kind)) if kind == "array" => return items(schema),
            Some(Value::String(kind)) => return kind.clone(),
            Some(Value::Array(kinds)) => {
                return kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|kind| {
                        if kind == "array" {
                            items(schema)
                        } else {
                            kind.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" | ");
            }
            _ => {}
        }
        for (keyword, separator) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
            if let Some(Value::Array(alternatives)) = schema.get(keyword) {
                let mut kinds: Vec<String> = Vec::new();
                for alternative in alternatives {
                    let kind = self.types_at(alternative, depth + 1);
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                return kinds.join(separator);
            }
        }
        let values: Vec<&Value> = match (schema.get("const"), schema.get("enum")) {
            (Some(value), _) => vec![value],
            (None, Some(Value::Array(values))) => values.iter().collect(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            let mut kinds: Vec<&str> = Vec::new();
            for kind in values.iter().map(|v| json_type(v)) {
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            return kinds.join(" | ");
        }
        if schema.get("properties").is_some() {
            return "object".into();
        }
        if schema.get("items").is_some() {
            return items(schema);
        }
        "any".into()
    }

    /// Adds the rows below `schema`: its properties, the properties of its array items, and
    /// the schema of its additional properties.
    fn children(&mut self, schema: &'a Value, prefix: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (name, property) in properties {
                let path = format!("{prefix}{name}");
                self.property(property, path, depth, required.contains(&name.as_str()));
            }
        }
        if let Some(additional) = schema.get("additionalProperties").filter(|a| a.is_object()) {
            self.property(additional, format!("{prefix}*"), depth, false);
        }
        if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
            let (items, _) = self.resolve(items);
            if has_structure(items) {
                self.children(items, &format!("{prefix}[]."), depth);
            }
        }
    }

    fn property(&mut self, schema: &'a Value, path: String, depth: usize, required: bool) {
        let reference = schema.get("$ref").and_then(Value::as_str);
        let recursive = reference.is_some_and(|r| self.refs.iter().any(|seen| seen == r));
        let (resolved, _) = self.resolve(schema);
        let mut types = self.types_of(schema);
        if recursive {
            types.push_str(" (recursive)");
        }
        // A description next to a `$ref` describes this use of it; prefer it.
        let description = text(schema, "description").or_else(|| text(resolved, "description"));
        let mut values = allowed_values(resolved);
        if values.is_empty() {
            if let Some(items) = resolved.get("items") {
                values = allowed_values(self.resolve(items).0);
            }
        }
        let constraints = CONSTRAINTS
            .iter()
            .filter_map(|keyword| {
                resolved
                    .get(*keyword)
                    .map(|value| format!("{keyword}: {}", compact(value)))
            })
            .collect();
        self.properties.push(Property {
            path: path.clone(),
            depth,
            types,
            required,
            description,
            values,
            constraints,
        });
        if recursive {
            return;
        }
        if let Some(reference) = reference {
            self.refs.push(reference.to_string());
        }
        if resolved.get("properties").is_some() || resolved.get("additionalProperties").is_some() {
            self.children(resolved, &format!("{path}."), depth + 1);
        } else if let Some(items) = resolved.get("items").filter(|i| i.is_object()) {
            let (items, _) = self.resolve(items);
            if has_structure(items) {
                self.children(items, &format!("{path}[]."), depth + 1);
            }
        }
        if reference.is_some() {
            self.refs.pop();
        }
    }
}

/// Does the schema describe named or additional properties worth their own rows?
fn has_structure(schema: &Value) -> bool {
    schema.get("properties").is_some()
        || schema
            .get("additionalProperties")
            .is_some_and(Value::is_object)
}

fn allowed_values(schema: &Value) -> Vec<String> {
    match (schema.get("const"), schema.get("enum")) {
        (Some(value), _) => vec![compact(value)],
        (None, Some(Value::Array(values))) => values.iter().map(compact).collect(),
        _ => Vec::new(),
    }
}

fn text(schema: &Value, keyword: &str) -> Option<String> {
    schema
        .get(keyword)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(outline: &Outline) -> Vec<&str> {
        outline.properties.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn flattens_nested_objects_arrays_and_maps() {
        let schema = json!({
            "title": "Chart",
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "description": "The name."},
                "kind": {"enum": ["application", "library"]},
                "deps": {"type": "array", "items": {
                    "type": "object", "required": ["id"],
                    "properties": {"id": {"type": "integer"}}
                }},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        });
        let outline = outline(&schema);
        assert_eq!(outline.title.as_deref(), Some("Chart"));
        assert_eq!(
            paths(&outline),
            ["name", "kind", "deps", "deps[].id", "labels", "labels.*"]
        );
        let name = &outline.properties[0];
        assert!(name.required);
        assert_eq!(name.constraints, ["minLength: 1"]);
        assert_eq!(name.description.as_deref(), Some("The name."));
        let kind = &outline.properties[1];
        assert_eq!(kind.types, "string");
        assert_eq!(kind.values, ["\"application\"", "\"library\""]);
        assert_eq!(outline.properties[2].types, "array of object");
        assert!(outline.properties[3].required);
        assert_eq!(outline.properties[3].depth, 1);
        assert_eq!(outline.properties[5].types, "string");
    }

    #[test]
    fn follows_local_refs_and_stops_at_cycles() {
        let schema = json!({
            "type": "object",
            "properties": {
                "node": {"$ref": "#/$defs/node"},
                "other": {"$ref": "other.schema.json"}
            },
            "$defs": {"node": {
                "type": "object",
                "properties": {"next": {"$ref": "#/$defs/node"}, "value": {"type": ["string", "null"]}}
            }}
        });
        let outline = outline(&schema);
        assert_eq!(
            paths(&outline),
            ["node", "node.next", "node.value", "other"]
        );
        assert_eq!(outline.properties[1].types, "object (recursive)");
        assert_eq!(outline.properties[2].types, "string | null");
        assert_eq!(outline.properties[3].types, "see other.schema.json");
    }

    #[test]
    fn a_schema_without_properties_has_no_rows() {
        let outline = outline(&json!({"type": "object", "description": "Anything."}));
        assert!(outline.properties.is_empty());
        assert_eq!(outline.types, "object");
        assert_eq!(outline.description.as_deref(), Some("Anything."));
        assert_eq!(super::outline(&json!(true)).types, "any");
    }
}
