//! Config schemas, changes to them and documents, decoded from a byte string: the inputs of the
//! soundness test of the compatibility analysis (`soundness.rs`) and of its fuzz target
//! (`fuzz/fuzz_targets/compat_soundness.rs`, which includes this file), so both explore the
//! same space. Every byte is a choice; once the bytes run out every choice is the first, which
//! ends the recursion.

use serde_json::{Map, Value, json};

/// An old schema, a changed copy of it, and documents to validate against both.
#[derive(Debug)]
pub struct Case {
    pub old: Value,
    pub new: Value,
    pub documents: Vec<Value>,
}

pub fn case(bytes: &[u8]) -> Case {
    let mut choices = Choices { bytes, at: 0 };
    let old = root_schema(&mut choices);
    let mut new = old.clone();
    for _ in 0..1 + choices.below(3) {
        mutate(&mut new, &mut choices);
    }
    let documents = (0..24).map(|_| document(&mut choices, 0)).collect();
    Case {
        old,
        new,
        documents,
    }
}

struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Choices<'_> {
    /// A number below `n`; 0 once the bytes run out.
    fn below(&mut self, n: usize) -> usize {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n <= 1 { 0 } else { byte as usize % n }
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

const NAMES: &[&str] = &["a", "b", "c", "ab"];
const DEFINITIONS: &[&str] = &["d0", "d1"];

fn small_value(choices: &mut Choices) -> Value {
    choices.pick(&[
        json!(null),
        json!("a"),
        json!(1),
        json!(true),
        json!(""),
        json!("ab"),
        json!(0),
        json!(-1),
        json!(2),
        json!(1.5),
        json!("b"),
        json!(false),
        json!([]),
        json!({}),
    ])
}

fn root_schema(choices: &mut Choices) -> Value {
    let mut root = schema(choices, 0, true);
    let mut definitions = Map::new();
    for (index, name) in DEFINITIONS.iter().enumerate() {
        // A definition refers only to those before it, so references never loop in place.
        definitions.insert(name.to_string(), schema_with_refs(choices, 1, index));
    }
    if let Value::Object(map) = &mut root {
        map.insert("$defs".into(), Value::Object(definitions));
    } else {
        root = json!({"allOf": [root], "$defs": definitions});
    }
    root
}

fn schema(choices: &mut Choices, depth: usize, refs: bool) -> Value {
    schema_with_refs(choices, depth, if refs { DEFINITIONS.len() } else { 0 })
}

/// A schema whose `$ref`s may point at the first `refs` definitions.
fn schema_with_refs(choices: &mut Choices, depth: usize, refs: usize) -> Value {
    match choices.below(12) {
        0 => json!({}),
        10 => json!(true),
        11 if depth > 0 => json!(false),
        _ => {
            let mut map = Map::new();
            for _ in 0..1 + choices.below(3) {
                let (keyword, value) = keyword(choices, depth, refs);
                map.insert(keyword, value);
            }
            Value::Object(map)
        }
    }
}

fn subschema(choices: &mut Choices, depth: usize, refs: usize) -> Value {
    if depth >= 3 {
        return choices.pick(&[
            json!({}),
            json!({"type": "string"}),
            json!(false),
            json!({"minimum": 1}),
        ]);
    }
    schema_with_refs(choices, depth + 1, refs)
}

fn names(choices: &mut Choices) -> Value {
    let mut names: Vec<&str> = (0..1 + choices.below(2))
        .map(|_| choices.pick(NAMES))
        .collect();
    names.dedup();
    json!(names)
}

/// One keyword with a value, from every family the analysis has a rule for.
fn keyword(choices: &mut Choices, depth: usize, refs: usize) -> (String, Value) {
    let types = [
        "string", "integer", "number", "object", "array", "null", "boolean",
    ];
    let (keyword, value): (&str, Value) = match choices.below(40) {
        0 => ("type", json!(choices.pick(&types))),
        1 => ("type", json!([choices.pick(&types), choices.pick(&types)])),
        2 => (
            "enum",
            json!(
                (0..1 + choices.below(3))
                    .map(|_| small_value(choices))
                    .collect::<Vec<_>>()
            ),
        ),
        3 => ("const", small_value(choices)),
        4 => ("minimum", json!(choices.below(4) as i64 - 1)),
        5 => ("maximum", json!(choices.below(4) as i64 - 1)),
        6 => ("exclusiveMinimum", json!(choices.below(4) as i64 - 1)),
        7 => ("exclusiveMaximum", json!(choices.below(4) as i64 - 1)),
        8 => ("multipleOf", json!(1 + choices.below(3))),
        9 => ("minLength", json!(choices.below(3))),
        10 => ("maxLength", json!(choices.below(3))),
        11 => ("pattern", json!(choices.pick(&["^a", "b", "^[ab]*$"]))),
        12 => ("minItems", json!(choices.below(3))),
        13 => ("maxItems", json!(choices.below(3))),
        14 => ("uniqueItems", json!(choices.below(2) == 1)),
        15 => ("items", subschema(choices, depth, refs)),
        16 => (
            "prefixItems",
            json!(
                (0..1 + choices.below(2))
                    .map(|_| subschema(choices, depth, refs))
                    .collect::<Vec<_>>()
            ),
        ),
        17 => ("contains", subschema(choices, depth, refs)),
        18 => ("minContains", json!(choices.below(3))),
        19 => ("maxContains", json!(choices.below(3))),
        20 | 21 => {
            let mut properties = Map::new();
            for _ in 0..1 + choices.below(2) {
                properties.insert(
                    choices.pick(NAMES).to_string(),
                    subschema(choices, depth, refs),
                );
            }
            ("properties", Value::Object(properties))
        }
        22 => ("required", names(choices)),
        23 => (
            "additionalProperties",
            if choices.below(2) == 0 {
                json!(false)
            } else {
                subschema(choices, depth, refs)
            },
        ),
        24 => (
            "patternProperties",
            json!({choices.pick(&["^a", "b$"]): subschema(choices, depth, refs)}),
        ),
        25 => (
            "propertyNames",
            choices.pick(&[
                json!({"maxLength": 1}),
                json!({"pattern": "^a"}),
                json!({"enum": ["a", "b"]}),
            ]),
        ),
        26 => ("minProperties", json!(choices.below(3))),
        27 => ("maxProperties", json!(choices.below(3))),
        28 => (
            "dependentRequired",
            json!({choices.pick(NAMES): names(choices)}),
        ),
        29 => (
            "dependentSchemas",
            json!({choices.pick(NAMES): subschema(choices, depth, refs)}),
        ),
        30 => ("allOf", members(choices, depth, refs)),
        31 => ("anyOf", members(choices, depth, refs)),
        32 => ("oneOf", members(choices, depth, refs)),
        33 => ("not", subschema(choices, depth, refs)),
        34 => {
            return ("if".into(), subschema(choices, depth, refs));
        }
        35 => (
            choices.pick(&["then", "else"]),
            subschema(choices, depth, refs),
        ),
        36 if refs > 0 => (
            "$ref",
            json!(format!("#/$defs/{}", DEFINITIONS[choices.below(refs)])),
        ),
        37 => (
            choices.pick(&["unevaluatedProperties", "unevaluatedItems"]),
            choices.pick(&[json!(false), json!({"type": "string"})]),
        ),
        38 => (
            choices.pick(&["title", "description", "$comment"]),
            json!("documentation"),
        ),
        _ => ("format", json!("email")),
    };
    (keyword.to_string(), value)
}

fn members(choices: &mut Choices, depth: usize, refs: usize) -> Value {
    json!(
        (0..1 + choices.below(3))
            .map(|_| subschema(choices, depth, refs))
            .collect::<Vec<_>>()
    )
}

/// The JSON pointers of every subschema, the root first.
fn subschemas(value: &Value, pointer: String, found: &mut Vec<String>) {
    let Value::Object(map) = value else {
        found.push(pointer);
        return;
    };
    found.push(pointer.clone());
    for (keyword, value) in map {
        let here = format!("{pointer}/{keyword}");
        match keyword.as_str() {
            "items"
            | "additionalProperties"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "unevaluatedProperties"
            | "unevaluatedItems"
            | "propertyNames" => subschemas(value, here, found),
            "properties" | "patternProperties" | "dependentSchemas" | "$defs" => {
                for (name, value) in value.as_object().into_iter().flatten() {
                    subschemas(
                        value,
                        format!("{here}/{}", name.replace('~', "~0").replace('/', "~1")),
                        found,
                    );
                }
            }
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                for (index, value) in value.as_array().into_iter().flatten().enumerate() {
                    subschemas(value, format!("{here}/{index}"), found);
                }
            }
            _ => {}
        }
    }
}

/// One change somewhere in the schema: a keyword added, removed or altered, the schema wrapped
/// in `allOf` or `anyOf`, replaced, or moved behind a reference.
fn mutate(root: &mut Value, choices: &mut Choices) {
    let mut pointers = Vec::new();
    subschemas(root, String::new(), &mut pointers);
    let pointer = choices.pick(&pointers);
    let in_definitions = pointer.starts_with("/$defs");
    let refs = if in_definitions { 0 } else { DEFINITIONS.len() };
    let Some(target) = root.pointer_mut(&pointer) else {
        return;
    };
    match choices.below(11) {
        0 | 1 => {
            let (keyword, value) = keyword(choices, 2, refs);
            if let Value::Object(map) = target {
                map.insert(keyword, value);
            } else {
                *target = json!({ keyword: value });
            }
        }
        2 | 3 => {
            if let Value::Object(map) = target {
                if !map.is_empty() {
                    let keys: Vec<String> = map.keys().filter(|k| *k != "$defs").cloned().collect();
                    if !keys.is_empty() {
                        let key = choices.pick(&keys);
                        map.remove(&key);
                    }
                }
            }
        }
        4 | 5 => tweak(target, choices),
        6 => {
            let extra = subschema(choices, 2, refs);
            let old = std::mem::take(target);
            let keyword = if choices.below(2) == 0 {
                "allOf"
            } else {
                "anyOf"
            };
            *target = wrap(old, keyword, extra);
        }
        7 => *target = choices.pick(&[json!(true), json!(false), json!({})]),
        8 if !in_definitions && !pointer.is_empty() => {
            let name = choices.pick(DEFINITIONS);
            *target = json!({"$ref": format!("#/$defs/{name}")});
        }
        9 => {
            if let Value::Object(map) = target {
                map.insert("description".into(), json!("changed documentation"));
            }
        }
        _ => {
            // Members of a combinator added or removed.
            if let Value::Object(map) = target {
                for keyword in ["allOf", "anyOf", "oneOf"] {
                    if let Some(Value::Array(members)) = map.get_mut(keyword) {
                        if choices.below(2) == 0 && members.len() > 1 {
                            let index = choices.below(members.len());
                            members.remove(index);
                        } else {
                            members.push(subschema(choices, 2, refs));
                        }
                        break;
                    }
                }
            }
        }
    }
}

/// Keeps `$defs` at the root where the schema is wrapped, so references still resolve.
fn wrap(old: Value, keyword: &str, extra: Value) -> Value {
    let mut old = old;
    let definitions = old.as_object_mut().and_then(|map| map.remove("$defs"));
    let mut wrapped = json!({ keyword: [old, extra] });
    if let Some(definitions) = definitions {
        wrapped["$defs"] = definitions;
    }
    wrapped
}

/// A keyword's value nudged: a bound moved, a value or name added or dropped, a flag flipped.
fn tweak(target: &mut Value, choices: &mut Choices) {
    let Value::Object(map) = target else {
        return;
    };
    let keys: Vec<String> = map.keys().filter(|k| *k != "$defs").cloned().collect();
    if keys.is_empty() {
        return;
    }
    let key = choices.pick(&keys);
    let Some(value) = map.get_mut(&key) else {
        return;
    };
    match value {
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(1);
            let step = if choices.below(2) == 0 { -1 } else { 1 };
            let is_count =
                (key.starts_with("min") || key.starts_with("max")) && !key.ends_with("imum");
            let next = match key.as_str() {
                "multipleOf" => (n + step).max(1),
                _ if is_count => (n + step).max(0),
                _ => n + step,
            };
            *value = json!(next);
        }
        Value::Bool(flag) => *flag = !*flag,
        Value::String(text) if key == "type" => {
            *text = choices
                .pick(&["string", "integer", "number", "object"])
                .to_string()
        }
        Value::Array(items) if key == "type" || key == "required" || key == "enum" => {
            if choices.below(2) == 0 && !items.is_empty() {
                let index = choices.below(items.len());
                items.remove(index);
            } else if key == "type" {
                items.push(json!(
                    choices.pick(&["string", "integer", "number", "object", "null"])
                ));
            } else if key == "required" {
                items.push(json!(choices.pick(NAMES)));
            } else {
                items.push(small_value(choices));
            }
            // `type` and `required` must not repeat an entry.
            let mut seen = Vec::new();
            items.retain(|item| {
                let fresh = !seen.contains(item);
                seen.push(item.clone());
                fresh
            });
        }
        other => *other = small_value(choices),
    }
}

/// A document from a small alphabet, so that schemas often accept and often reject it.
fn document(choices: &mut Choices, depth: usize) -> Value {
    match choices.below(if depth >= 2 { 4 } else { 6 }) {
        0..=3 => small_value(choices),
        4 => json!(
            (0..choices.below(4))
                .map(|_| document(choices, depth + 1))
                .collect::<Vec<_>>()
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..choices.below(4) {
                map.insert(
                    choices.pick(&NAMES[..3]).to_string(),
                    document(choices, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}
