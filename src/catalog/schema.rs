//! Config schemas compiled safely: no `$ref` leaves the type's folder, nothing is fetched,
//! and `pattern`s run in a linear-time regex engine.
//!
//! A compiled validator takes some 30 times the memory of its schema's JSON, so a loaded
//! catalog keeps only the documents: the loader compiles each schema to check it, then
//! [`ConfigSchema::unload`]s it, and the validator is compiled again on first use.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use jsonschema::{PatternCache, PatternOptions, Retrieve, Uri, Validator};
use serde::Serialize;
use serde_json::Value;

/// Base of the URIs under which a type's schema files are known to the resolver.
const BASE: &str = "typehouse:///types/";

/// A config schema known to compile, with its source document for display.
#[derive(Clone)]
pub struct ConfigSchema {
    pub document: Arc<Value>,
    /// The compiled form; built on first use after an [`unload`](Self::unload).
    validator: OnceLock<Arc<Validator>>,
    /// The URI the document is known by, against which its `$ref`s resolve.
    base_uri: Arc<str>,
    /// The sibling files a `$ref` may reach; empty when the document refers to none.
    known: Arc<HashMap<String, Value>>,
}

impl fmt::Debug for ConfigSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSchema").finish_non_exhaustive()
    }
}

/// A compiled schema's source: its document, the URI it resolves against and the sibling files
/// its `$ref`s reach.
#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaParts {
    pub document: Arc<Value>,
    pub base_uri: String,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub known: HashMap<String, Value>,
}

/// One reason a config document does not validate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationProblem {
    pub instance_path: String,
    pub schema_path: String,
    pub message: String,
}

/// At most this many problems are reported for one document.
const MAX_PROBLEMS: usize = 100;

impl ConfigSchema {
    /// Compiles `document`, which lives at `<folder>/<file_name>` of the catalog; `siblings`
    /// are the `*.schema.json` files of that same folder, the only ones a `$ref` may reach.
    /// An inline schema is passed as the definition's own `Arc`, so the two share one copy.
    pub fn compile(
        document: impl Into<Arc<Value>>,
        folder: &str,
        file_name: &str,
        siblings: &HashMap<String, Value>,
    ) -> Result<Self, String> {
        Self::compile_sharing(document, folder, file_name, siblings, &PatternCache::new())
    }

    /// [`compile`](Self::compile), reusing the regular expressions `patterns` holds and adding
    /// the new ones: the schemas of a catalog repeat a few patterns thousands of times, and
    /// building a regex took a third of compiling a schema. A cache lives as long as one load,
    /// so patterns from a submission never stay behind.
    pub fn compile_sharing(
        document: impl Into<Arc<Value>>,
        folder: &str,
        file_name: &str,
        siblings: &HashMap<String, impl Borrow<Value>>,
        patterns: &PatternCache,
    ) -> Result<Self, String> {
        let schema = Self::uncompiled(document, folder, file_name, siblings);
        let validator = build(
            &schema.document,
            &schema.base_uri,
            &schema.known,
            Some(patterns),
        )?;
        let _ = schema.validator.set(Arc::new(validator));
        Ok(schema)
    }

    /// A schema as [`compile`](Self::compile) makes it, not compiled yet: for a document
    /// known to compile (checked by the same load), which compiles on first use.
    pub fn uncompiled(
        document: impl Into<Arc<Value>>,
        folder: &str,
        file_name: &str,
        siblings: &HashMap<String, impl Borrow<Value>>,
    ) -> Self {
        let document = document.into();
        let base = format!("{BASE}{folder}/");
        let known: HashMap<String, Value> = if refers_outside(&document) {
            siblings
                .iter()
                .map(|(name, value)| (format!("{base}{name}"), value.borrow().clone()))
                .collect()
        } else {
            HashMap::new()
        };
        Self {
            document,
            validator: OnceLock::new(),
            base_uri: format!("{base}{file_name}").into(),
            known: Arc::new(known),
        }
    }

    /// What the schema is rebuilt from, to keep it outside the process.
    pub fn parts(&self) -> SchemaParts {
        SchemaParts {
            document: Arc::clone(&self.document),
            base_uri: self.base_uri.to_string(),
            known: (*self.known).clone(),
        }
    }

    /// A schema from the [`parts`](Self::parts) of one that compiled: it compiles again on
    /// first use. `parts` must come from a schema that compiled with this same build, as a
    /// compiled catalog image's do (the image is checksummed and keyed by the binary).
    pub fn from_parts(parts: SchemaParts) -> Self {
        Self {
            document: parts.document,
            validator: OnceLock::new(),
            base_uri: parts.base_uri.into(),
            known: Arc::new(parts.known),
        }
    }

    /// Frees the compiled validator; the next validation compiles it again.
    pub fn unload(&mut self) {
        self.validator.take();
    }

    fn validator(&self) -> &Validator {
        self.validator.get_or_init(|| {
            // `compile` succeeded on this very document, so building it again does too.
            Arc::new(
                build(&self.document, &self.base_uri, &self.known, None)
                    .expect("a schema that compiled once compiles again"),
            )
        })
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator().is_valid(instance)
    }

    pub fn validate(&self, instance: &Value) -> Vec<ValidationProblem> {
        self.validator()
            .iter_errors(instance)
            .take(MAX_PROBLEMS)
            .map(|error| ValidationProblem {
                instance_path: error.instance_path().as_str().to_string(),
                schema_path: error.schema_path().as_str().to_string(),
                message: truncate(&error.masked().to_string()),
            })
            .collect()
    }
}

fn build(
    document: &Value,
    base_uri: &str,
    known: &Arc<HashMap<String, Value>>,
    patterns: Option<&PatternCache>,
) -> Result<Validator, String> {
    let mut options = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_base_uri(base_uri.to_string())
        .with_retriever(FolderOnly {
            known: Arc::clone(known),
        })
        .with_pattern_options(PatternOptions::regex().size_limit(1 << 20));
    if let Some(patterns) = patterns {
        options = options.with_pattern_cache(patterns.clone());
    }
    options.build(document).map_err(|error| error.to_string())
}

/// Does the document hold a `$ref` (or `$dynamicRef`) to anything but itself? Only then does
/// it need the sibling files kept for a later compile.
fn refers_outside(document: &Value) -> bool {
    match document {
        Value::Object(fields) => fields.iter().any(|(key, value)| {
            let is_ref = key == "$ref" || key == "$dynamicRef";
            (is_ref && value.as_str().is_none_or(|target| !target.starts_with('#')))
                || refers_outside(value)
        }),
        Value::Array(items) => items.iter().any(refers_outside),
        _ => false,
    }
}

/// Messages quote the instance; keep them short when it is huge.
fn truncate(message: &str) -> String {
    const LIMIT: usize = 500;
    if message.len() <= LIMIT {
        return message.to_string();
    }
    let mut end = LIMIT;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

/// Resolves `$ref`s to the schema files of one type folder and refuses everything else.
struct FolderOnly {
    known: Arc<HashMap<String, Value>>,
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is outside the type's folder; typehouse never fetches a `$ref`")]
struct OutsideFolder(String);

impl Retrieve for FolderOnly {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let uri = uri.as_str();
        self.known.get(uri).cloned().ok_or_else(|| {
            Box::new(OutsideFolder(
                uri.strip_prefix(BASE).unwrap_or(uri).to_string(),
            )) as _
        })
    }
}

/// The validator of `definition.schema.json`, with formats asserted.
pub fn definition_validator(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_retriever(FolderOnly {
            known: Arc::default(),
        })
        .with_pattern_options(PatternOptions::regex())
        .build(schema)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compile(document: Value) -> Result<ConfigSchema, String> {
        let siblings = HashMap::from([(
            "part.schema.json".to_string(),
            json!({"type": "object", "required": ["name"]}),
        )]);
        ConfigSchema::compile(document, "acme/thing", "main.schema.json", &siblings)
    }

    #[test]
    fn validates_and_reports_paths() {
        let schema =
            compile(json!({"type": "object", "properties": {"n": {"type": "integer"}}})).unwrap();
        assert!(schema.is_valid(&json!({"n": 1})));
        let problems = schema.validate(&json!({"n": "x"}));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].instance_path, "/n");
        assert_eq!(problems[0].schema_path, "/properties/n/type");
    }

    #[test]
    fn resolves_sibling_files_only() {
        let schema = compile(json!({"$ref": "part.schema.json"})).unwrap();
        assert!(!schema.is_valid(&json!({})));
        assert!(schema.is_valid(&json!({"name": "x"})));
        let outside = compile(json!({"$ref": "../other/part.schema.json"})).unwrap_err();
        assert!(outside.contains("outside"), "{outside}");
    }

    #[test]
    fn validates_again_after_unloading() {
        let mut schema = compile(json!({"$ref": "part.schema.json"})).unwrap();
        schema.unload();
        assert!(!schema.is_valid(&json!({})));
        assert!(schema.is_valid(&json!({"name": "x"})));
        let mut inline = compile(json!({"type": "object", "required": ["n"]})).unwrap();
        inline.unload();
        assert_eq!(inline.validate(&json!({})).len(), 1);
    }

    #[test]
    fn refuses_remote_references() {
        let error = compile(json!({"$ref": "https://example.com/schema.json"})).unwrap_err();
        assert!(error.contains("never fetches"), "{error}");
    }

    #[test]
    fn runs_patterns_in_linear_time() {
        let schema = compile(json!({"type": "string", "pattern": "^(a+)+$"})).unwrap();
        let hostile = format!("{}b", "a".repeat(50_000));
        assert!(!schema.is_valid(&json!(hostile)));
    }
}
