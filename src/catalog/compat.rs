//! Config-schema compatibility between consecutive versions of a type: a proof that every
//! document the old schema accepted is accepted by the new one, or the changes that stand in
//! the way of such a proof.
//!
//! The analysis is sound, not complete. It says "compatible" (no [`BreakingChange`]s) only when
//! its rules prove that the new schema accepts everything the old one did; whatever no rule
//! covers is breaking. Each rule proves that one keyword of the new schema accepts what the old
//! schema at the same place accepted:
//!
//! - documentation (`title`, `description`, `examples`, `default`, `$comment`, `deprecated`,
//!   `readOnly`, `writeOnly`) never matters, and `$defs`/`definitions` only through a `$ref`;
//! - a keyword that applies only to types the old schema cannot accept holds trivially;
//! - a value keyword is proven by the old one at least as strict: a bound (`minimum`,
//!   `maxLength`, `minItems`, ...) kept or widened, `required` and `dependentRequired` entries
//!   dropped, `enum` values added, a type widened, `pattern`, `format` and `uniqueItems`
//!   unchanged or dropped, a `multipleOf` that divides the old one;
//! - a subschema is compared with its old counterpart: `properties` (against the old property,
//!   or the old `additionalProperties` for a new one), `additionalProperties`, `items`,
//!   `prefixItems`, `propertyNames`, `dependentSchemas`, `if`/`then`/`else` under an unchanged
//!   `if`, `contains` with its counts kept or widened;
//! - the old schema is also taken apart: what one of its `allOf` members or its reference
//!   accepts, or all of its `anyOf` members, it accepts no more than;
//! - `allOf`: each new member equals an old one or accepts all the old schema accepted;
//!   `anyOf`: some new member accepts all of the old schema, or each old member is accepted by
//!   some new member; `oneOf`: the same members, or a single member that accepts it all;
//!   `not`: the new negated schema accepts no more than the old one;
//! - `$ref` to `#/...` (as `#/$defs/...` or `#/definitions/...`) is followed on both sides, so a
//!   property moved behind a reference is compared with what it points to; reference cycles are
//!   proven by induction over the document, and a cycle that does not descend into the document
//!   is breaking;
//! - where the new schema uses `unevaluatedProperties` or `unevaluatedItems`, which depend on
//!   what every other keyword there evaluates, only documentation may change;
//! - a schema that uses `$anchor`, `$dynamicRef`, `$dynamicAnchor`, a nested `$id`, or another
//!   draft than 2020-12 (at the root or nested) is compared whole: only documentation may
//!   change.
//!
//! Any other keyword, a `$ref` that leaves the document and a schema too large to analyse are
//! breaking when they differ. `tests/check/soundness.rs` checks the promise with generated
//! schemas, changes and documents, validated by the same validator the catalog uses.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};

/// One change that can reject a document the old schema accepted (or that the analysis cannot
/// prove does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakingChange {
    /// The JSON pointer of the keyword in the new schema; `""` for the whole schema.
    pub at: String,
    /// The keyword responsible, e.g. `required` or `anyOf`.
    pub keyword: String,
    /// Why it can reject a document, in words.
    pub what: String,
}

/// Every change in `new` that can reject a document `old` accepted; empty when the analysis
/// proves that `new` accepts everything `old` did.
///
/// Two identical documents are always compatible, even when they refer to other files: those
/// are resolved in the same type folder, and published schema files never change.
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<BreakingChange> {
    if old == new {
        return Vec::new();
    }
    let mut changes = Analysis::new(old, new).run();
    // Where there was no schema, the details of the new one are one change.
    if old == &Value::Bool(true) && changes.len() > 1 {
        changes = vec![change(
            String::new(),
            "",
            "a config schema where any config was accepted before",
        )];
    }
    changes
}

/// Keywords that never change which documents a schema accepts.
const DOCUMENTATION: &[&str] = &[
    "title",
    "description",
    "examples",
    "default",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords whose value is one subschema, several by name, or a list of them.
const SUBSCHEMA: &[&str] = &[
    "items",
    "additionalProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
];
const SUBSCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "dependentSchemas",
    "$defs",
    "definitions",
];
const SUBSCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// Keywords whose meaning depends on the whole document (dynamic scopes, anchors, embedded
/// resources): where one occurs, the documents are compared whole.
const WHOLE_DOCUMENT: &[&str] = &[
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
];

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Nesting beyond this is reported as breaking rather than analysed.
const MAX_DEPTH: usize = 200;
/// Comparison steps before a pair of schemas is called too complex to analyse.
const MAX_STEPS: usize = 200_000;

const ALL_TYPES: &[&str] = &["null", "boolean", "object", "array", "number", "string"];
const NUMBER_TYPES: &[&str] = &["number", "integer"];
const STRING_TYPES: &[&str] = &["string"];
const ARRAY_TYPES: &[&str] = &["array"];
const OBJECT_TYPES: &[&str] = &["object"];

static TRUE: Value = Value::Bool(true);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Old,
    New,
}

/// A subschema and where it is: which document, and its JSON pointer there.
#[derive(Debug, Clone)]
struct At<'a> {
    value: &'a Value,
    side: Side,
    pointer: String,
}

impl<'a> At<'a> {
    fn child(&self, value: &'a Value, segments: &[&str]) -> At<'a> {
        let mut pointer = self.pointer.clone();
        for segment in segments {
            pointer.push('/');
            pointer.push_str(&escape(segment));
        }
        At {
            value,
            side: self.side,
            pointer,
        }
    }

    /// `keyword` of this (object) schema, or `true` where it is absent.
    fn keyword_or_true(&self, keyword: &str) -> At<'a> {
        let value = self.value.get(keyword).unwrap_or(&TRUE);
        self.child(value, &[keyword])
    }

    /// The schema's keywords; none for a boolean (or malformed) schema.
    fn map(&self) -> &'a Map<String, Value> {
        self.value.as_object().unwrap_or_else(|| empty_map())
    }
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

static EMPTY_LIST: Vec<Value> = Vec::new();

/// RFC 6901: `~` and `/` in a key.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn pointer_to(at: &str, keyword: &str) -> String {
    format!("{at}/{}", escape(keyword))
}

fn change(at: String, keyword: &str, what: impl Into<String>) -> BreakingChange {
    BreakingChange {
        at,
        keyword: keyword.to_string(),
        what: what.into(),
    }
}

/// A pair of schemas under comparison: (old side, pointer, new side, pointer).
type Pair = (Side, String, Side, String);

struct Analysis<'a> {
    old: &'a Value,
    new: &'a Value,
    steps: usize,
    depth: usize,
    /// Comparisons in progress, with the document depth they started at: a pair met again
    /// deeper in the document holds by induction; met again at the same depth, it is a cycle
    /// the validator itself would never leave.
    comparing: HashMap<Pair, usize>,
    /// Equalities in progress, assumed while their references are followed.
    equating: HashSet<Pair>,
}

impl<'a> Analysis<'a> {
    fn new(old: &'a Value, new: &'a Value) -> Self {
        Self {
            old,
            new,
            steps: 0,
            depth: 0,
            comparing: HashMap::new(),
            equating: HashSet::new(),
        }
    }

    fn root(&self, side: Side) -> At<'a> {
        At {
            value: match side {
                Side::Old => self.old,
                Side::New => self.new,
            },
            side,
            pointer: String::new(),
        }
    }

    fn run(mut self) -> Vec<BreakingChange> {
        let whole = whole_document_keyword(self.new).or_else(|| whole_document_keyword(self.old));
        if let Some((at, keyword)) = whole {
            if same_but_documentation(self.old, self.new, true) {
                return Vec::new();
            }
            return vec![change(
                at,
                &keyword,
                format!(
                    "`{keyword}` makes validation depend on the whole schema; only documentation may change in such a schema"
                ),
            )];
        }
        let mut out = Vec::new();
        if let (Value::Object(old), Value::Object(new)) = (self.old, self.new) {
            if old.get("$id") != new.get("$id") {
                out.push(change(
                    "/$id".into(),
                    "$id",
                    "`$id` changed, which changes what references resolve to",
                ));
            }
        }
        let (old, new) = (self.root(Side::Old), self.root(Side::New));
        self.compare(&old, &new, 0, &mut out);
        out
    }

    /// Counts a step; false once the budget is spent or the nesting too deep.
    fn step(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MAX_STEPS && self.depth <= MAX_DEPTH
    }

    /// Does `new` accept every document `old` accepts, at document depth `instance`?
    fn proves(&mut self, old: &At<'a>, new: &At<'a>, instance: usize) -> bool {
        let mut scratch = Vec::new();
        self.compare(old, new, instance, &mut scratch);
        scratch.is_empty()
    }

    fn compare(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        if !self.step() {
            out.push(change(
                new.pointer.clone(),
                "",
                "the schemas are too large or too deeply nested to analyse",
            ));
            return;
        }
        let pair = (old.side, old.pointer.clone(), new.side, new.pointer.clone());
        if let Some(&started) = self.comparing.get(&pair) {
            if started < instance {
                return;
            }
            out.push(change(
                pointer_to(&new.pointer, "$ref"),
                "$ref",
                "a reference cycle that does not descend into the document",
            ));
            return;
        }
        self.comparing.insert(pair.clone(), instance);
        self.depth += 1;
        self.compare_schemas(old, new, instance, out);
        self.depth -= 1;
        self.comparing.remove(&pair);
    }

    fn compare_schemas(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let new_map = match new.value {
            Value::Bool(true) => return,
            Value::Bool(false) => {
                if old.value != &Value::Bool(false) {
                    out.push(change(
                        new.pointer.clone(),
                        "false",
                        "the schema is now `false`, which rejects every document",
                    ));
                }
                return;
            }
            Value::Object(map) => map,
            _ => {
                out.push(change(new.pointer.clone(), "", "not a schema"));
                return;
            }
        };
        // What accepted nothing cannot be broken. (A malformed old schema has no keywords, so
        // it counts as accepting everything: the weakest assumption.)
        if old.value == &Value::Bool(false) {
            return;
        }
        if !has_constraints(new_map) || self.equal(old, new) {
            return;
        }
        // A schema that is only a reference stands for what it points to.
        if let Some(reference) = pure_reference(old.map()) {
            if let Ok(target) = self.resolve(old.side, reference) {
                return self.compare(&target, new, instance, out);
            }
        }
        if let Some(reference) = pure_reference(new_map) {
            match self.resolve(new.side, reference) {
                Ok(target) => return self.compare(old, &target, instance, out),
                Err(why) => {
                    out.push(change(pointer_to(&new.pointer, "$ref"), "$ref", why));
                    return;
                }
            }
        }
        for keyword in ["unevaluatedProperties", "unevaluatedItems"] {
            if new_map.contains_key(keyword) {
                out.push(change(
                    pointer_to(&new.pointer, keyword),
                    keyword,
                    format!(
                        "the schema here changed beyond documentation, and `{keyword}` depends on what every other keyword here evaluates"
                    ),
                ));
                return;
            }
        }
        let mut direct = Vec::new();
        self.keywords(old, new, instance, &mut direct);
        if direct.is_empty() || self.old_parts_prove(old, new, instance) {
            return;
        }
        out.extend(direct);
    }

    /// The old schema is the intersection of its own keywords, its reference and its `allOf`
    /// members, and within the union of its `anyOf` (or `oneOf`) members and of its `then` and
    /// `else`: the new schema accepts it all when it accepts one part of the intersection, or
    /// every part of the union.
    fn old_parts_prove(&mut self, old: &At<'a>, new: &At<'a>, instance: usize) -> bool {
        let map = old.map();
        if let Some(Value::String(reference)) = map.get("$ref") {
            if let Ok(target) = self.resolve(old.side, reference) {
                if self.proves(&target, new, instance) {
                    return true;
                }
            }
        }
        if let Some(Value::Array(members)) = map.get("allOf") {
            for (index, member) in members.iter().enumerate() {
                let member = old.child(member, &["allOf", &index.to_string()]);
                if self.proves(&member, new, instance) {
                    return true;
                }
            }
        }
        for keyword in ["anyOf", "oneOf"] {
            if let Some(Value::Array(members)) = map.get(keyword) {
                let all = members.iter().enumerate().all(|(index, member)| {
                    let member = old.child(member, &[keyword, &index.to_string()]);
                    self.proves(&member, new, instance)
                });
                if all {
                    return true;
                }
            }
        }
        if map.contains_key("if") && map.contains_key("then") && map.contains_key("else") {
            let (then, otherwise) = (old.keyword_or_true("then"), old.keyword_or_true("else"));
            if self.proves(&then, new, instance) && self.proves(&otherwise, new, instance) {
                return true;
            }
        }
        false
    }

    /// Each keyword of the new schema against the old schema's keywords.
    fn keywords(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let old_map = old.map();
        let new_map = new.map();
        let types = old_types(old_map);
        let applies = |family: &[&str]| {
            types
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| family.contains(&t.as_str())))
        };
        let at = |keyword: &str| pointer_to(&new.pointer, keyword);
        let (mut objects_done, mut arrays_done, mut contains_done, mut condition_done) =
            (false, false, false, false);
        for (keyword, value) in new_map {
            let keyword = keyword.as_str();
            match keyword {
                _ if DOCUMENTATION.contains(&keyword) => {}
                "$defs" | "definitions" | "$schema" | "$id" => {}
                "$ref" => match value.as_str().map(|r| self.resolve(new.side, r)) {
                    Some(Ok(target)) => self.compare(old, &target, instance, out),
                    Some(Err(why)) => out.push(change(at(keyword), keyword, why)),
                    None => out.push(change(at(keyword), keyword, "not a string")),
                },
                "type" => compare_types(types.as_deref(), value, at(keyword), out),
                "enum" | "const" => compare_values(old_map, keyword, value, at(keyword), out),
                "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum"
                    if applies(NUMBER_TYPES) =>
                {
                    compare_number_bound(old_map, keyword, value, at(keyword), out)
                }
                "multipleOf" if applies(NUMBER_TYPES) => {
                    compare_multiple_of(old_map, value, at(keyword), out)
                }
                "minLength" | "maxLength" if applies(STRING_TYPES) => {
                    compare_count(old_map, keyword, value, at(keyword), out)
                }
                "minItems" | "maxItems" if applies(ARRAY_TYPES) => {
                    compare_count(old_map, keyword, value, at(keyword), out)
                }
                "minProperties" | "maxProperties" if applies(OBJECT_TYPES) => {
                    compare_count(old_map, keyword, value, at(keyword), out)
                }
                "pattern" if applies(STRING_TYPES) => {
                    compare_unchanged(old_map, keyword, value, at(keyword), out)
                }
                "format" => compare_unchanged(old_map, keyword, value, at(keyword), out),
                "uniqueItems" if applies(ARRAY_TYPES) => match value {
                    Value::Bool(false) => {}
                    Value::Bool(true) if old_map.get(keyword) == Some(&Value::Bool(true)) => {}
                    Value::Bool(true) => out.push(change(
                        at(keyword),
                        keyword,
                        "`uniqueItems` added: arrays with repeated items are now rejected",
                    )),
                    _ => out.push(change(at(keyword), keyword, "not a boolean")),
                },
                "required" if applies(OBJECT_TYPES) => {
                    compare_required(old_map, value, at(keyword), out)
                }
                "dependentRequired" if applies(OBJECT_TYPES) => {
                    compare_dependent_required(old_map, value, at(keyword), out)
                }
                "dependentSchemas" if applies(OBJECT_TYPES) => {
                    self.compare_dependent_schemas(old, new, value, instance, out)
                }
                "propertyNames" if applies(OBJECT_TYPES) => {
                    let old_names = old.keyword_or_true(keyword);
                    self.compare(&old_names, &new.child(value, &[keyword]), instance + 1, out);
                }
                "properties" | "patternProperties" | "additionalProperties" => {
                    if !objects_done && applies(OBJECT_TYPES) {
                        self.compare_properties(old, new, instance, out);
                    }
                    objects_done = true;
                }
                "items" | "prefixItems" => {
                    if !arrays_done && applies(ARRAY_TYPES) {
                        self.compare_items(old, new, instance, out);
                    }
                    arrays_done = true;
                }
                "contains" | "minContains" | "maxContains" => {
                    if !contains_done && applies(ARRAY_TYPES) {
                        self.compare_contains(old, new, instance, out);
                    }
                    contains_done = true;
                }
                "if" | "then" | "else" => {
                    if !condition_done {
                        self.compare_condition(old, new, instance, out);
                    }
                    condition_done = true;
                }
                "allOf" => self.compare_all_of(old, new, value, instance, out),
                "anyOf" => self.compare_any_of(old, new, value, instance, out),
                "oneOf" => self.compare_one_of(old, new, value, instance, out),
                "not" => self.compare_not(old, new, value, instance, out),
                _ if is_known(keyword) => {}
                _ => {
                    if old_map.get(keyword) != Some(value) {
                        out.push(change(
                            at(keyword),
                            keyword,
                            format!(
                                "`{keyword}` added or changed, and the analysis cannot tell what it accepts"
                            ),
                        ));
                    }
                }
            }
        }
        for keyword in old_map.keys() {
            if !is_known(keyword) && !new_map.contains_key(keyword) {
                out.push(change(
                    at(keyword),
                    keyword,
                    format!("`{keyword}` removed, and the analysis cannot tell what it did"),
                ));
            }
        }
    }

    fn compare_properties(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let schemas = |at: &At<'a>, keyword: &str| -> &'a Map<String, Value> {
            at.value
                .get(keyword)
                .and_then(Value::as_object)
                .unwrap_or_else(|| empty_map())
        };
        for keyword in ["properties", "patternProperties"] {
            if new.value.get(keyword).is_some_and(|v| !v.is_object()) {
                out.push(change(
                    pointer_to(&new.pointer, keyword),
                    keyword,
                    "not an object",
                ));
                return;
            }
        }
        let (old_named, new_named) = (schemas(old, "properties"), schemas(new, "properties"));
        let (old_patterns, new_patterns) = (
            schemas(old, "patternProperties"),
            schemas(new, "patternProperties"),
        );
        let patterns_same = old_patterns.len() == new_patterns.len()
            && new_patterns.iter().all(|(pattern, schema)| {
                old_patterns.get(pattern).is_some_and(|old_schema| {
                    let old_schema = old.child(old_schema, &["patternProperties", pattern]);
                    let schema = new.child(schema, &["patternProperties", pattern]);
                    self.equal(&old_schema, &schema)
                })
            });
        if !patterns_same && !new_patterns.is_empty() {
            out.push(change(
                pointer_to(&new.pointer, "patternProperties"),
                "patternProperties",
                "`patternProperties` changed; the analysis does not compare patterns",
            ));
        }
        let old_additional = old.keyword_or_true("additionalProperties");
        let new_additional = new.keyword_or_true("additionalProperties");
        // Named in the new schema: compared with what the old one required of that name.
        for (name, schema) in new_named {
            let schema = new.child(schema, &["properties", name]);
            match old_named.get(name) {
                Some(old_schema) => {
                    let old_schema = old.child(old_schema, &["properties", name]);
                    self.compare(&old_schema, &schema, instance + 1, out);
                }
                None => {
                    // An old pattern may have applied; assume nothing was required of it then.
                    let before = if old_patterns.is_empty() {
                        old_additional.clone()
                    } else {
                        old.child(&TRUE, &["patternProperties"])
                    };
                    let mut found = Vec::new();
                    self.compare(&before, &schema, instance + 1, &mut found);
                    out.extend(found.into_iter().map(|c| BreakingChange {
                        what: format!(
                            "new property `{name}` accepts less than the old schema did under that name: {}",
                            c.what
                        ),
                        ..c
                    }));
                }
            }
        }
        // Named only in the old schema: now an additional property of the new one (where no
        // pattern matches; patterns are the same as before or already reported).
        let closed = |at: &At| at.value.get("additionalProperties") == Some(&Value::Bool(false));
        for (name, old_schema) in old_named {
            if new_named.contains_key(name) || new.value.get("additionalProperties").is_none() {
                continue;
            }
            if closed(new) {
                if old_schema != &Value::Bool(false) {
                    out.push(change(
                        pointer_to(&new.pointer, "additionalProperties"),
                        "additionalProperties",
                        format!("property `{name}` removed while additional properties are closed"),
                    ));
                }
                continue;
            }
            let old_schema = old.child(old_schema, &["properties", name]);
            self.compare(&old_schema, &new_additional, instance + 1, out);
        }
        // Named in neither.
        if new.value.get("additionalProperties").is_some() {
            if closed(new) && !closed(old) {
                out.push(change(
                    new_additional.pointer.clone(),
                    "additionalProperties",
                    "additional properties closed (`additionalProperties: false`)",
                ));
            } else {
                self.compare(&old_additional, &new_additional, instance + 1, out);
            }
            if !patterns_same && new_patterns.is_empty() {
                // Names the old patterns governed are now additional properties.
                for (pattern, old_schema) in old_patterns {
                    let old_schema = old.child(old_schema, &["patternProperties", pattern]);
                    self.compare(&old_schema, &new_additional, instance + 1, out);
                }
            }
        }
    }

    fn compare_items(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let list = |at: &At<'a>| -> Option<&'a Vec<Value>> {
            match at.value.get("prefixItems") {
                None => Some(&EMPTY_LIST),
                Some(Value::Array(items)) => Some(items),
                Some(_) => None,
            }
        };
        let (Some(old_prefix), Some(new_prefix)) = (list(old), list(new)) else {
            if list(new).is_none() {
                out.push(change(
                    pointer_to(&new.pointer, "prefixItems"),
                    "prefixItems",
                    "not an array",
                ));
            }
            return;
        };
        let (old_rest, new_rest) = (old.keyword_or_true("items"), new.keyword_or_true("items"));
        for index in 0..old_prefix.len().max(new_prefix.len()) {
            let position = index.to_string();
            let before = old_prefix.get(index).map_or_else(
                || old_rest.clone(),
                |s| old.child(s, &["prefixItems", &position]),
            );
            let after = new_prefix.get(index).map_or_else(
                || new_rest.clone(),
                |s| new.child(s, &["prefixItems", &position]),
            );
            self.compare(&before, &after, instance + 1, out);
        }
        self.compare(&old_rest, &new_rest, instance + 1, out);
    }

    fn compare_contains(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let Some(new_contains) = new.value.get("contains") else {
            return; // `minContains` and `maxContains` mean nothing without it.
        };
        let new_contains = new.child(new_contains, &["contains"]);
        let Some(old_contains) = old.value.get("contains") else {
            out.push(change(
                new_contains.pointer,
                "contains",
                "`contains` added: arrays without such an item are now rejected",
            ));
            return;
        };
        let old_contains = old.child(old_contains, &["contains"]);
        let count = |at: &At, keyword: &str, default: Option<u64>| match at.value.get(keyword) {
            None => Ok(default),
            Some(value) => as_count(value).map(Some).ok_or(()),
        };
        let (Ok(Some(old_min)), Ok(old_max)) = (
            count(old, "minContains", Some(1)),
            count(old, "maxContains", None),
        ) else {
            out.push(change(
                new_contains.pointer,
                "contains",
                "the old counts could not be read",
            ));
            return;
        };
        let (Ok(Some(new_min)), Ok(new_max)) = (
            count(new, "minContains", Some(1)),
            count(new, "maxContains", None),
        ) else {
            out.push(change(
                new_contains.pointer,
                "contains",
                "`minContains` or `maxContains` is not a count",
            ));
            return;
        };
        // With an upper bound, the new `contains` must match exactly the old items; without
        // one, matching more of them is fine.
        let same = self.equal(&old_contains, &new_contains);
        if !same && (new_max.is_some() || !self.proves(&old_contains, &new_contains, instance + 1))
        {
            out.push(change(
                new_contains.pointer.clone(),
                "contains",
                "`contains` changed: the items it counts may differ from before",
            ));
        }
        if new_min > old_min {
            out.push(change(
                pointer_to(&new.pointer, "minContains"),
                "minContains",
                format!("`minContains` raised from {old_min} to {new_min}"),
            ));
        }
        if let Some(new_max) = new_max {
            if old_max.is_none_or(|old_max| old_max > new_max) {
                out.push(change(
                    pointer_to(&new.pointer, "maxContains"),
                    "maxContains",
                    format!(
                        "`maxContains` {new_max} where the old schema allowed {}",
                        old_max.map_or("any number".to_string(), |m| m.to_string())
                    ),
                ));
            }
        }
    }

    fn compare_condition(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let map = new.map();
        let Some(new_if) = map.get("if") else {
            return; // `then` and `else` mean nothing without `if`.
        };
        if !map.contains_key("then") && !map.contains_key("else") {
            return;
        }
        let new_if = new.child(new_if, &["if"]);
        let (new_then, new_else) = (new.keyword_or_true("then"), new.keyword_or_true("else"));
        if let Some(old_if) = old.value.get("if") {
            let old_if = old.child(old_if, &["if"]);
            if self.equal(&old_if, &new_if) {
                let (old_then, old_else) =
                    (old.keyword_or_true("then"), old.keyword_or_true("else"));
                self.compare(&old_then, &new_then, instance, out);
                self.compare(&old_else, &new_else, instance, out);
                return;
            }
        }
        if !(self.proves(old, &new_then, instance) && self.proves(old, &new_else, instance)) {
            out.push(change(
                new_if.pointer,
                "if",
                "`if`/`then`/`else` added or its condition changed, and a branch rejects documents the old schema accepted",
            ));
        }
    }

    fn compare_dependent_schemas(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        value: &'a Value,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let Value::Object(schemas) = value else {
            out.push(change(
                pointer_to(&new.pointer, "dependentSchemas"),
                "dependentSchemas",
                "not an object",
            ));
            return;
        };
        for (name, schema) in schemas {
            let schema = new.child(schema, &["dependentSchemas", name]);
            let before = old
                .value
                .get("dependentSchemas")
                .and_then(|s| s.get(name))
                .map(|s| old.child(s, &["dependentSchemas", name]));
            // Either the old dependent schema, or the old schema as a whole, must fit it.
            let mut found = Vec::new();
            match before {
                Some(before) => {
                    self.compare(&before, &schema, instance, &mut found);
                    if !found.is_empty() && self.proves(old, &schema, instance) {
                        found.clear();
                    }
                }
                None => self.compare(old, &schema, instance, &mut found),
            }
            out.extend(found);
        }
    }

    fn compare_all_of(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        value: &'a Value,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let Value::Array(members) = value else {
            out.push(change(
                pointer_to(&new.pointer, "allOf"),
                "allOf",
                "not an array",
            ));
            return;
        };
        let old_members = self.members(old, "allOf");
        for (index, member) in members.iter().enumerate() {
            let member = new.child(member, &["allOf", &index.to_string()]);
            if old_members
                .iter()
                .any(|old_member| self.equal(old_member, &member))
            {
                continue;
            }
            self.compare(old, &member, instance, out);
        }
    }

    fn compare_any_of(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        value: &'a Value,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let Value::Array(members) = value else {
            out.push(change(
                pointer_to(&new.pointer, "anyOf"),
                "anyOf",
                "not an array",
            ));
            return;
        };
        let members: Vec<At<'a>> = members
            .iter()
            .enumerate()
            .map(|(index, member)| new.child(member, &["anyOf", &index.to_string()]))
            .collect();
        // The old schema as a whole fits one member, or each old alternative fits one.
        if members
            .iter()
            .any(|member| self.proves(old, member, instance))
        {
            return;
        }
        for keyword in ["anyOf", "oneOf"] {
            let old_members = self.members(old, keyword);
            if !old_members.is_empty()
                && old_members.iter().all(|old_member| {
                    members.iter().any(|member| {
                        self.equal(old_member, member) || self.proves(old_member, member, instance)
                    })
                })
            {
                return;
            }
        }
        out.push(change(
            pointer_to(&new.pointer, "anyOf"),
            "anyOf",
            "`anyOf` added or changed: documents the old schema accepted may match none of its members",
        ));
    }

    fn compare_one_of(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        value: &'a Value,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let Value::Array(members) = value else {
            out.push(change(
                pointer_to(&new.pointer, "oneOf"),
                "oneOf",
                "not an array",
            ));
            return;
        };
        let members: Vec<At<'a>> = members
            .iter()
            .enumerate()
            .map(|(index, member)| new.child(member, &["oneOf", &index.to_string()]))
            .collect();
        if let [only] = members.as_slice() {
            if self.proves(old, only, instance) {
                return;
            }
        }
        // The same members, in any order.
        let old_members = self.members(old, "oneOf");
        if old_members.len() == members.len() && !members.is_empty() {
            let mut unused: Vec<&At<'a>> = old_members.iter().collect();
            let matched = members.iter().all(|member| {
                match unused
                    .iter()
                    .position(|old_member| self.equal(old_member, member))
                {
                    Some(found) => {
                        unused.remove(found);
                        true
                    }
                    None => false,
                }
            });
            if matched {
                return;
            }
        }
        out.push(change(
            pointer_to(&new.pointer, "oneOf"),
            "oneOf",
            "`oneOf` added or changed: documents the old schema accepted may now match none, or more than one, of its members",
        ));
    }

    fn compare_not(
        &mut self,
        old: &At<'a>,
        new: &At<'a>,
        value: &'a Value,
        instance: usize,
        out: &mut Vec<BreakingChange>,
    ) {
        let excluded = new.child(value, &["not"]);
        // The new schema excludes no more than the old one did: what it now excludes, the old
        // one excluded too (the comparison runs the other way round).
        let proven = value == &Value::Bool(false)
            || old.value.get("not").is_some_and(|old_excluded| {
                let old_excluded = old.child(old_excluded, &["not"]);
                self.proves(&excluded, &old_excluded, instance)
            });
        if !proven {
            out.push(change(
                excluded.pointer,
                "not",
                "`not` added or widened: documents the old schema accepted may now be excluded",
            ));
        }
    }

    /// The members of an `allOf`, `anyOf` or `oneOf`, where it is a list.
    fn members(&self, at: &At<'a>, keyword: &str) -> Vec<At<'a>> {
        match at.value.get(keyword) {
            Some(Value::Array(members)) => members
                .iter()
                .enumerate()
                .map(|(index, member)| at.child(member, &[keyword, &index.to_string()]))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The schema a `$ref` points to, where it points into the same document.
    fn resolve(&self, side: Side, reference: &str) -> Result<At<'a>, String> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(format!(
                "`$ref` to `{reference}`, outside this schema: the analysis follows only references within it (`#/$defs/...`)"
            ));
        };
        let pointer = percent_encoding::percent_decode_str(fragment)
            .decode_utf8()
            .map_err(|_| format!("`$ref` to `{reference}` is not UTF-8 once decoded"))?
            .into_owned();
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(format!(
                "`$ref` to the anchor `{reference}`: the analysis follows only JSON pointers"
            ));
        }
        let root = self.root(side);
        match root.value.pointer(&pointer) {
            Some(value) => Ok(At {
                value,
                side,
                pointer,
            }),
            None => Err(format!("`$ref` to `{reference}`, which does not exist")),
        }
    }

    /// Do the two schemas accept the same documents because they are the same, apart from
    /// documentation, with references followed?
    fn equal(&mut self, a: &At<'a>, b: &At<'a>) -> bool {
        if !self.step() {
            return false;
        }
        if a.side == b.side && a.pointer == b.pointer {
            return true;
        }
        let pair = (a.side, a.pointer.clone(), b.side, b.pointer.clone());
        if self.equating.contains(&pair) {
            return true;
        }
        let same = match (a.value, b.value) {
            (Value::Object(x), Value::Object(y)) => {
                self.equating.insert(pair.clone());
                self.depth += 1;
                let same = self.objects_equal(a, x, b, y);
                self.depth -= 1;
                self.equating.remove(&pair);
                same
            }
            (Value::Bool(true), Value::Object(map)) | (Value::Object(map), Value::Bool(true)) => {
                !has_constraints(map)
            }
            (x, y) => x == y,
        };
        if same {
            return true;
        }
        // A schema that is only a reference equals what it points to. No assumption is held
        // while following it, so a cycle of bare references proves nothing.
        let target =
            |at: &At<'a>| pure_reference(at.map()).and_then(|r| self.resolve(at.side, r).ok());
        let (a_target, b_target) = (target(a), target(b));
        self.depth += 1;
        let same = match (a_target, b_target) {
            (Some(a), _) => self.equal(&a, b),
            (None, Some(b)) => self.equal(a, &b),
            (None, None) => false,
        };
        self.depth -= 1;
        same
    }

    fn objects_equal(
        &mut self,
        a: &At<'a>,
        x: &'a Map<String, Value>,
        b: &At<'a>,
        y: &'a Map<String, Value>,
    ) -> bool {
        let compared = |k: &&String| {
            !DOCUMENTATION.contains(&k.as_str()) && !matches!(k.as_str(), "$defs" | "definitions")
        };
        let keys: Vec<&String> = x.keys().filter(compared).collect();
        if keys.len() != y.keys().filter(compared).count() {
            return false;
        }
        for keyword in keys {
            let Some(other) = y.get(keyword) else {
                return false;
            };
            let value = &x[keyword];
            let k = keyword.as_str();
            let same = if SUBSCHEMA.contains(&k) {
                self.equal(&a.child(value, &[k]), &b.child(other, &[k]))
            } else if SUBSCHEMA_MAPS.contains(&k) {
                match (value, other) {
                    (Value::Object(p), Value::Object(q)) => {
                        p.len() == q.len()
                            && p.iter().all(|(name, s)| {
                                q.get(name).is_some_and(|t| {
                                    self.equal(&a.child(s, &[k, name]), &b.child(t, &[k, name]))
                                })
                            })
                    }
                    _ => value == other,
                }
            } else if SUBSCHEMA_LISTS.contains(&k) {
                match (value, other) {
                    (Value::Array(p), Value::Array(q)) => {
                        p.len() == q.len()
                            && p.iter().zip(q).enumerate().all(|(index, (s, t))| {
                                let index = index.to_string();
                                self.equal(&a.child(s, &[k, &index]), &b.child(t, &[k, &index]))
                            })
                    }
                    _ => value == other,
                }
            } else if k == "$ref" {
                match (value.as_str(), other.as_str()) {
                    (Some(r), Some(s)) => {
                        match (self.resolve(a.side, r), self.resolve(b.side, s)) {
                            (Ok(p), Ok(q)) => self.equal(&p, &q),
                            _ => false,
                        }
                    }
                    _ => false,
                }
            } else {
                value == other
            };
            if !same {
                return false;
            }
        }
        true
    }
}

fn is_known(keyword: &str) -> bool {
    DOCUMENTATION.contains(&keyword)
        || SUBSCHEMA.contains(&keyword)
        || SUBSCHEMA_MAPS.contains(&keyword)
        || SUBSCHEMA_LISTS.contains(&keyword)
        || matches!(
            keyword,
            "$schema"
                | "$id"
                | "$ref"
                | "type"
                | "enum"
                | "const"
                | "minimum"
                | "exclusiveMinimum"
                | "maximum"
                | "exclusiveMaximum"
                | "multipleOf"
                | "minLength"
                | "maxLength"
                | "pattern"
                | "format"
                | "minItems"
                | "maxItems"
                | "uniqueItems"
                | "minContains"
                | "maxContains"
                | "minProperties"
                | "maxProperties"
                | "required"
                | "dependentRequired"
        )
}

/// Does the schema constrain anything at all?
fn has_constraints(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| {
        !DOCUMENTATION.contains(&k.as_str())
            && !matches!(k.as_str(), "$defs" | "definitions" | "$schema" | "$id")
    })
}

/// The target of a schema that is a `$ref` and nothing else (but documentation).
fn pure_reference(map: &Map<String, Value>) -> Option<&str> {
    let reference = map.get("$ref")?.as_str()?;
    let only = map.keys().all(|k| {
        k == "$ref"
            || DOCUMENTATION.contains(&k.as_str())
            || matches!(k.as_str(), "$defs" | "definitions" | "$schema" | "$id")
    });
    only.then_some(reference)
}

/// Where a keyword occurs that makes validation depend on the whole document: a dynamic
/// reference or anchor, an embedded resource, or another draft.
fn whole_document_keyword(document: &Value) -> Option<(String, String)> {
    if let Some(schema) = document.get("$schema") {
        let draft = schema.as_str().map(|s| s.trim_end_matches('#'));
        if draft != Some(DRAFT_2020_12) {
            return Some(("/$schema".into(), "$schema".into()));
        }
    }
    fn scan(value: &Value, pointer: &str, root: bool) -> Option<(String, String)> {
        match value {
            Value::Object(map) => map.iter().find_map(|(key, value)| {
                let here = pointer_to(pointer, key);
                // A nested `$schema` that names the same draft changes nothing.
                let other_draft = key == "$schema"
                    && value.as_str().map(|s| s.trim_end_matches('#')) != Some(DRAFT_2020_12);
                let nested_resource = !root && (key == "$id" || other_draft);
                if WHOLE_DOCUMENT.contains(&key.as_str()) || nested_resource {
                    Some((here, key.clone()))
                } else {
                    scan(value, &here, false)
                }
            }),
            Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
                scan(item, &pointer_to(pointer, &index.to_string()), false)
            }),
            _ => None,
        }
    }
    scan(document, "", true)
}

/// Are the two documents the same apart from documentation keywords where a schema is?
fn same_but_documentation(a: &Value, b: &Value, schema: bool) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if schema => {
            let compared = |k: &&String| !DOCUMENTATION.contains(&k.as_str());
            let keys: Vec<&String> = x.keys().filter(compared).collect();
            keys.len() == y.keys().filter(compared).count()
                && keys.iter().all(|k| {
                    let Some(other) = y.get(*k) else {
                        return false;
                    };
                    let value = &x[*k];
                    let k = k.as_str();
                    if SUBSCHEMA.contains(&k) {
                        same_but_documentation(value, other, true)
                    } else if SUBSCHEMA_MAPS.contains(&k) {
                        match (value, other) {
                            (Value::Object(p), Value::Object(q)) => {
                                p.len() == q.len()
                                    && p.iter().all(|(name, s)| {
                                        q.get(name)
                                            .is_some_and(|t| same_but_documentation(s, t, true))
                                    })
                            }
                            _ => value == other,
                        }
                    } else if SUBSCHEMA_LISTS.contains(&k) {
                        match (value, other) {
                            (Value::Array(p), Value::Array(q)) => {
                                p.len() == q.len()
                                    && p.iter()
                                        .zip(q)
                                        .all(|(s, t)| same_but_documentation(s, t, true))
                            }
                            _ => value == other,
                        }
                    } else {
                        value == other
                    }
                })
        }
        _ => a == b,
    }
}

/// The types the old schema can accept, from `type`, `enum` and `const`; `None` for all.
/// `number` includes `integer`.
fn old_types(map: &Map<String, Value>) -> Option<Vec<String>> {
    let declared = map.get("type").and_then(type_names);
    let values: Option<Vec<&Value>> = match (map.get("const"), map.get("enum")) {
        (Some(constant), _) => Some(vec![constant]),
        (None, Some(Value::Array(values))) => Some(values.iter().collect()),
        _ => None,
    };
    let of_values: Option<Vec<String>> = values.map(|values| {
        let mut types: Vec<String> = values.iter().map(|v| type_of(v).to_string()).collect();
        types.sort();
        types.dedup();
        types
    });
    match (declared, of_values) {
        (None, None) => None,
        (Some(types), None) | (None, Some(types)) => Some(types),
        (Some(declared), Some(of_values)) => Some(
            of_values
                .into_iter()
                .filter(|t| type_covered(t, &declared))
                .collect(),
        ),
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n)
            if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
        {
            "integer"
        }
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `type` as a list of names, `None` where it is malformed.
fn type_names(value: &Value) -> Option<Vec<String>> {
    let known = |t: &str| ALL_TYPES.contains(&t) || t == "integer";
    match value {
        Value::String(one) if known(one) => Some(vec![one.clone()]),
        Value::Array(many) => many
            .iter()
            .map(|v| v.as_str().filter(|t| known(t)).map(String::from))
            .collect(),
        _ => None,
    }
}

fn type_covered(old_type: &str, new_types: &[String]) -> bool {
    new_types.iter().any(|t| t == old_type)
        || (old_type == "integer" && new_types.iter().any(|t| t == "number"))
}

fn compare_types(old: Option<&[String]>, new: &Value, at: String, out: &mut Vec<BreakingChange>) {
    let Some(new_types) = type_names(new) else {
        out.push(change(at, "type", "`type` could not be read"));
        return;
    };
    let all: Vec<String> = ALL_TYPES.iter().map(|t| t.to_string()).collect();
    let lost: Vec<String> = old
        .unwrap_or(&all)
        .iter()
        .filter(|t| !type_covered(t, &new_types))
        .map(|t| format!("`{t}`"))
        .collect();
    if !lost.is_empty() {
        out.push(change(
            at,
            "type",
            format!(
                "type narrowed: {} no longer accepted (now {})",
                lost.join(", "),
                new_types.join(", ")
            ),
        ));
    }
}

fn compare_values(
    old: &Map<String, Value>,
    keyword: &str,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    let allowed: &[Value] = match (keyword, new) {
        ("const", value) => std::slice::from_ref(value),
        (_, Value::Array(values)) => values,
        _ => {
            out.push(change(at, keyword, "`enum` is not a list"));
            return;
        }
    };
    let before: &[Value] = match (old.get("const"), old.get("enum")) {
        (Some(constant), _) => std::slice::from_ref(constant),
        (None, Some(Value::Array(values))) => values,
        _ => {
            out.push(change(
                at,
                keyword,
                format!("`{keyword}` added: values outside it were accepted before"),
            ));
            return;
        }
    };
    // Long lists are compared by their JSON text, so the comparison stays linear; values equal
    // but written differently (keys in another order) then count as removed.
    let texts: Option<HashSet<String>> = (before.len().saturating_mul(allowed.len()) > 10_000)
        .then(|| allowed.iter().map(Value::to_string).collect());
    let kept = |value: &Value| match &texts {
        Some(texts) => texts.contains(&value.to_string()),
        None => allowed.contains(value),
    };
    for value in before.iter().filter(|v| !kept(v)) {
        let what = if keyword == "enum" {
            format!("enum value {value} removed")
        } else {
            format!("`const` no longer accepts {value}")
        };
        out.push(change(at.clone(), keyword, what));
    }
}

/// Compares two JSON numbers exactly where both are integers, and as floats only where that
/// loses nothing.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    let integer = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    if let (Some(x), Some(y)) = (integer(a), integer(b)) {
        return Some(x.cmp(&y));
    }
    let exact = |n: &Number| match integer(n) {
        Some(i) if i.unsigned_abs() > 1 << 53 => None,
        _ => n.as_f64(),
    };
    exact(a)?.partial_cmp(&exact(b)?)
}

fn compare_number_bound(
    old: &Map<String, Value>,
    keyword: &str,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    let Value::Number(bound) = new else {
        out.push(change(at, keyword, format!("`{keyword}` is not a number")));
        return;
    };
    let old_number = |k: &str| old.get(k).and_then(Value::as_number);
    let at_least = |k: &str, strict: bool| {
        old_number(k).is_some_and(|o| {
            compare_numbers(o, bound)
                .is_some_and(|c| c == Ordering::Greater || (!strict && c == Ordering::Equal))
        })
    };
    let at_most = |k: &str, strict: bool| {
        old_number(k).is_some_and(|o| {
            compare_numbers(o, bound)
                .is_some_and(|c| c == Ordering::Less || (!strict && c == Ordering::Equal))
        })
    };
    // x >= bound follows from x >= a or x > a with a >= bound; x > bound from x > a with
    // a >= bound or x >= a with a > bound. The same, mirrored, for upper bounds.
    let (proven, family) = match keyword {
        "minimum" => (
            at_least("minimum", false) || at_least("exclusiveMinimum", false),
            ["minimum", "exclusiveMinimum"],
        ),
        "exclusiveMinimum" => (
            at_least("exclusiveMinimum", false) || at_least("minimum", true),
            ["minimum", "exclusiveMinimum"],
        ),
        "maximum" => (
            at_most("maximum", false) || at_most("exclusiveMaximum", false),
            ["maximum", "exclusiveMaximum"],
        ),
        _ => (
            at_most("exclusiveMaximum", false) || at_most("maximum", true),
            ["maximum", "exclusiveMaximum"],
        ),
    };
    if !proven {
        let before: Vec<String> = family
            .iter()
            .filter_map(|k| old.get(*k).map(|v| format!("`{k}` {v}")))
            .collect();
        let what = if before.is_empty() {
            format!("`{keyword}` added ({bound})")
        } else {
            format!(
                "`{keyword}` tightened from {} to {bound}",
                before.join(" and ")
            )
        };
        out.push(change(at, keyword, what));
    }
}

fn compare_multiple_of(
    old: &Map<String, Value>,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    let Value::Number(divisor) = new else {
        out.push(change(at, "multipleOf", "`multipleOf` is not a number"));
        return;
    };
    let proven = old.get("multipleOf").and_then(Value::as_number).is_some_and(|before| {
        compare_numbers(before, divisor) == Some(Ordering::Equal)
            || matches!((before.as_u64(), divisor.as_u64()), (Some(b), Some(d)) if d != 0 && b % d == 0)
    });
    if !proven {
        let what = match old.get("multipleOf") {
            Some(before) => {
                format!("`multipleOf` changed from {before} to {divisor}, which does not divide it")
            }
            None => format!("`multipleOf` added ({divisor})"),
        };
        out.push(change(at, "multipleOf", what));
    }
}

/// A non-negative integer, as 2020-12 allows it to be written (`2` or `2.0`).
fn as_count(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15)
            .map(|f| f as u64)
    })
}

fn compare_count(
    old: &Map<String, Value>,
    keyword: &str,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    let Some(bound) = as_count(new) else {
        out.push(change(at, keyword, format!("`{keyword}` is not a count")));
        return;
    };
    let before = old.get(keyword).and_then(as_count);
    let lower = keyword.starts_with("min");
    let proven = if lower {
        before.unwrap_or(0) >= bound
    } else {
        before.is_some_and(|before| before <= bound)
    };
    if !proven {
        let what = match before {
            Some(before) => format!("`{keyword}` tightened from {before} to {bound}"),
            None => format!("`{keyword}` added ({bound})"),
        };
        out.push(change(at, keyword, what));
    }
}

fn compare_unchanged(
    old: &Map<String, Value>,
    keyword: &str,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    if old.get(keyword) != Some(new) {
        out.push(change(
            at,
            keyword,
            format!("`{keyword}` added or changed to {new}"),
        ));
    }
}

fn names(value: Option<&Value>) -> Option<Vec<&str>> {
    match value {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(Value::as_str).collect(),
        Some(_) => None,
    }
}

fn compare_required(
    old: &Map<String, Value>,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    let Some(required) = names(Some(new)) else {
        out.push(change(at, "required", "`required` is not a list of names"));
        return;
    };
    let before: HashSet<&str> = names(old.get("required"))
        .unwrap_or_default()
        .into_iter()
        .collect();
    for name in required {
        if !before.contains(name) {
            out.push(change(
                at.clone(),
                "required",
                format!("required property `{name}` added"),
            ));
        }
    }
}

fn compare_dependent_required(
    old: &Map<String, Value>,
    new: &Value,
    at: String,
    out: &mut Vec<BreakingChange>,
) {
    let Value::Object(dependencies) = new else {
        out.push(change(
            at,
            "dependentRequired",
            "`dependentRequired` is not an object",
        ));
        return;
    };
    let required = names(old.get("required")).unwrap_or_default();
    for (name, needed) in dependencies {
        let Some(needed) = names(Some(needed)) else {
            out.push(change(
                pointer_to(&at, name),
                "dependentRequired",
                "not a list of names",
            ));
            continue;
        };
        let before =
            names(old.get("dependentRequired").and_then(|d| d.get(name))).unwrap_or_default();
        for other in needed {
            if !before.contains(&other) && !required.contains(&other) {
                out.push(change(
                    pointer_to(&at, name),
                    "dependentRequired",
                    format!("`{other}` now required where `{name}` is present"),
                ));
            }
        }
    }
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

    fn found(old: Value, new: Value) -> Vec<(String, String)> {
        breaking_changes(&old, &new)
            .into_iter()
            .map(|c| (c.at, c.keyword))
            .collect()
    }

    fn compatible(old: Value, new: Value) {
        let changes = breaking_changes(&old, &new);
        assert!(changes.is_empty(), "{old} -> {new}: {changes:?}");
    }

    #[test]
    fn loosening_changes_are_not_breaking() {
        let old = json!({"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string", "enum": ["x"]}, "n": {"type": "integer", "maximum": 5}}});
        let new = json!({"type": "object", "required": ["a"], "description": "more docs", "properties": {
            "a": {"type": "string", "enum": ["x", "y"], "title": "A"}, "n": {"type": "number", "maximum": 10}, "extra": {"description": "free-form"}}});
        compatible(old, new);
    }

    #[test]
    fn a_new_property_must_accept_what_additional_properties_accepted() {
        let old = json!({"properties": {"a": {}}, "additionalProperties": {"type": "string"}});
        compatible(
            old.clone(),
            json!({"properties": {"a": {}, "b": {"type": ["string", "null"]}}, "additionalProperties": {"type": "string"}}),
        );
        // Where any value was accepted under a name, a typed property rejects some.
        let changes = breaking_changes(
            &json!({"type": "object"}),
            &json!({"type": "object", "properties": {"colour": {"type": "string"}}}),
        );
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].at, "/properties/colour/type");
        assert!(
            changes[0].what.contains("new property `colour`"),
            "{changes:?}"
        );
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
        compatible(json!({"properties": {"a": {}}}), json!({"properties": {}}));
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
        compatible(json!({"exclusiveMinimum": 3}), json!({"minimum": 3}));
        compatible(json!({"minimum": 4}), json!({"exclusiveMinimum": 3}));
        assert!(!whats(json!({"minimum": 3}), json!({"exclusiveMinimum": 3})).is_empty());
        compatible(json!({"multipleOf": 4}), json!({"multipleOf": 2}));
        assert!(!whats(json!({"multipleOf": 2}), json!({"multipleOf": 4})).is_empty());
    }

    #[test]
    fn keywords_for_other_types_do_not_matter() {
        compatible(
            json!({"type": "string"}),
            json!({"type": "string", "minItems": 3, "required": ["a"]}),
        );
        compatible(
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["a", "b"], "minimum": 3}),
        );
        assert!(!whats(json!({"type": ["string", "array"]}), json!({"minItems": 3})).is_empty());
    }

    #[test]
    fn a_schema_that_rejected_everything_cannot_break() {
        compatible(json!(false), json!(false));
        compatible(json!(false), json!({"type": "string"}));
        compatible(
            json!({"properties": {"a": false}}),
            json!({"properties": {"a": false}}),
        );
        assert_eq!(
            found(json!(true), json!(false)),
            [("".to_string(), "false".to_string())]
        );
    }

    #[test]
    fn nested_changes_are_found_with_their_location() {
        let old = json!({"properties": {"deps": {"type": "array", "items": {"type": "object", "properties": {"v": {"type": "string"}}}}}});
        let new = json!({"properties": {"deps": {"type": "array", "items": {"type": "object", "properties": {"v": {"type": "integer"}}}}}});
        assert_eq!(
            found(old, new),
            [(
                "/properties/deps/items/properties/v/type".to_string(),
                "type".to_string()
            )]
        );
    }

    #[test]
    fn combinators_loosen_only_in_their_own_direction() {
        let a = json!({"required": ["a"]});
        let b = json!({"required": ["b"]});
        compatible(json!({"allOf": [a, b]}), json!({"allOf": [a]}));
        assert_eq!(
            found(json!({"allOf": [a]}), json!({"allOf": [a, b]})),
            [("/allOf/1/required".into(), "required".into())]
        );
        compatible(json!({"anyOf": [a]}), json!({"anyOf": [a, b]}));
        assert_eq!(
            found(json!({"anyOf": [a, b]}), json!({"anyOf": [a]})),
            [("/anyOf".into(), "anyOf".into())]
        );
        compatible(json!({"oneOf": [a, b]}), json!({"oneOf": [b, a]}));
        assert_eq!(
            found(json!({"oneOf": [a, b]}), json!({"oneOf": [a]})),
            [("/oneOf".into(), "oneOf".into())]
        );
        compatible(
            json!({"not": {"required": ["a", "b"]}}),
            json!({"not": {"required": ["a", "b", "c"]}}),
        );
        assert_eq!(
            found(json!({}), json!({"not": a})),
            [("/not".into(), "not".into())]
        );
        // Wrapping the old schema in `allOf` changes nothing; adding to it does.
        let old = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        compatible(old.clone(), json!({"allOf": [old]}));
        assert_eq!(
            found(old.clone(), json!({"allOf": [old, {"required": ["a"]}]})),
            [("/allOf/1/required".into(), "required".into())]
        );
    }

    #[test]
    fn conditions_compare_branch_by_branch_under_the_same_condition() {
        let old = json!({"if": {"required": ["a"]}, "then": {"required": ["b", "c"]}});
        compatible(
            old.clone(),
            json!({"if": {"required": ["a"]}, "then": {"required": ["b"]}}),
        );
        assert_eq!(
            found(
                old.clone(),
                json!({"if": {"required": ["x"]}, "then": {"required": ["b"]}})
            ),
            [("/if".into(), "if".into())]
        );
        assert_eq!(
            found(
                json!({}),
                json!({"if": {"required": ["a"]}, "then": {"required": ["b"]}})
            ),
            [("/if".into(), "if".into())]
        );
    }

    #[test]
    fn references_are_followed_and_compared_by_what_they_point_to() {
        let old = json!({"properties": {"a": {"type": "string"}}});
        let moved = json!({"properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "string", "description": "A"}}});
        compatible(old.clone(), moved.clone());
        compatible(moved.clone(), old.clone());
        let stricter = json!({"properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "string", "minLength": 2}}});
        assert_eq!(
            found(old, stricter),
            [("/$defs/a/minLength".into(), "minLength".into())]
        );
        let renamed = json!({"properties": {"a": {"$ref": "#/definitions/b"}}, "definitions": {"b": {"type": "string"}}});
        compatible(moved, renamed);
        assert_eq!(
            found(json!({}), json!({"$ref": "other.schema.json"}))[0].1,
            "$ref"
        );
    }

    #[test]
    fn recursive_references_are_proven_by_induction() {
        let tree = |leaf: Value| json!({"$ref": "#/$defs/node", "$defs": {"node": {"type": "object", "properties": {"value": leaf, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}});
        compatible(
            tree(json!({"type": "integer"})),
            tree(json!({"type": "number"})),
        );
        let changes = breaking_changes(
            &tree(json!({"type": "number"})),
            &tree(json!({"type": "integer"})),
        );
        assert_eq!(changes.len(), 1, "{changes:?}");
        // A cycle that never descends proves nothing.
        let looping = json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a", "minimum": 1}}, "$ref": "#/$defs/a"});
        assert!(!breaking_changes(&json!({}), &looping).is_empty());
    }

    #[test]
    fn unevaluated_and_unknown_keywords_allow_only_documentation_changes() {
        let old = json!({"properties": {"a": {}}, "unevaluatedProperties": false});
        compatible(
            old.clone(),
            json!({"properties": {"a": {"description": "A"}}, "unevaluatedProperties": false}),
        );
        assert_eq!(
            found(
                old,
                json!({"properties": {"a": {}, "b": {}}, "unevaluatedProperties": false})
            ),
            [(
                "/unevaluatedProperties".into(),
                "unevaluatedProperties".into()
            )]
        );
        assert_eq!(
            found(json!({}), json!({"x-strict": true})),
            [("/x-strict".into(), "x-strict".into())]
        );
        assert_eq!(
            found(
                json!({"x-strict": true, "type": "object"}),
                json!({"type": "object"})
            ),
            [("/x-strict".into(), "x-strict".into())]
        );
        let dynamic = json!({"$dynamicAnchor": "node", "type": "object"});
        compatible(
            dynamic.clone(),
            json!({"$dynamicAnchor": "node", "type": "object", "title": "T"}),
        );
        assert_eq!(
            found(dynamic, json!({"$dynamicAnchor": "node"})),
            [("/$dynamicAnchor".into(), "$dynamicAnchor".into())]
        );
        assert_eq!(
            found(
                json!({"$schema": "http://json-schema.org/draft-07/schema#"}),
                json!({"$schema": "http://json-schema.org/draft-07/schema#", "title": "x", "type": "object"})
            ),
            [("/$schema".into(), "$schema".into())]
        );
    }

    #[test]
    fn other_keywords_follow_their_own_rules() {
        compatible(json!({"uniqueItems": true}), json!({"uniqueItems": false}));
        assert_eq!(
            found(json!({}), json!({"uniqueItems": true})),
            [("/uniqueItems".into(), "uniqueItems".into())]
        );
        compatible(
            json!({"dependentRequired": {"a": ["b", "c"]}}),
            json!({"dependentRequired": {"a": ["b"]}}),
        );
        assert_eq!(
            found(json!({}), json!({"dependentRequired": {"a": ["b"]}})),
            [("/dependentRequired/a".into(), "dependentRequired".into())]
        );
        compatible(
            json!({"contains": {"type": "string"}, "minContains": 2}),
            json!({"contains": {}, "minContains": 1}),
        );
        assert!(
            !whats(
                json!({"contains": {"type": "string"}}),
                json!({"contains": {"type": "string"}, "maxContains": 3})
            )
            .is_empty()
        );
        compatible(json!({"const": "a"}), json!({"enum": ["a", "b"]}));
        assert!(!whats(json!({"enum": ["a", "b"]}), json!({"const": "a"})).is_empty());
        compatible(
            json!({"prefixItems": [{"type": "string"}], "items": false}),
            json!({"prefixItems": [{}], "items": {"type": "integer"}}),
        );
        assert!(
            !whats(
                json!({"items": {"type": "integer"}}),
                json!({"prefixItems": [{"type": "string"}]})
            )
            .is_empty()
        );
        compatible(
            json!({"propertyNames": {"maxLength": 3}}),
            json!({"propertyNames": {"maxLength": 5}}),
        );
        assert!(
            !whats(
                json!({"patternProperties": {"^a": {}}, "additionalProperties": false}),
                json!({"additionalProperties": false})
            )
            .is_empty()
        );
    }

    #[test]
    fn a_schema_is_compatible_with_itself() {
        for schema in [
            json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}),
            json!({"allOf": [{"$ref": "#"}]}),
            json!({"unevaluatedProperties": false, "anyOf": [{"properties": {"a": {}}}]}),
        ] {
            compatible(schema.clone(), schema.clone());
            let mut documented = schema.clone();
            documented["description"] = json!("docs");
            compatible(schema, documented);
        }
    }
}
