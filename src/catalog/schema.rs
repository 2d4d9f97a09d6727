//! Config schemas compiled safely: no `$ref` leaves the type's folder, nothing is fetched,
//! and `pattern`s run in a linear-time regex engine.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use jsonschema::{PatternOptions, Retrieve, Uri, Validator};
use serde::Serialize;
use serde_json::Value;

/// Base of the URIs under which a type's schema files are known to the resolver.
const BASE: &str = "typehouse:///types/";

/// A compiled config schema, with its source document for display.
#[derive(Clone)]
pub struct ConfigSchema {
    pub document: Arc<Value>,
    validator: Arc<Validator>,
}

impl fmt::Debug for ConfigSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigSchema").finish_non_exhaustive()
    }
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
    pub fn compile(
        document: Value,
        folder: &str,
        file_name: &str,
        siblings: &HashMap<String, Value>,
    ) -> Result<Self, String> {
        let base = format!("{BASE}{folder}/");
        let known = siblings
            .iter()
            .map(|(name, value)| (format!("{base}{name}"), value.clone()))
            .collect();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_base_uri(format!("{base}{file_name}"))
            .with_retriever(FolderOnly { known })
            .with_pattern_options(PatternOptions::regex().size_limit(1 << 20))
            .build(&document)
            .map_err(|error| error.to_string())?;
        Ok(Self {
            document: Arc::new(document),
            validator: Arc::new(validator),
        })
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    pub fn validate(&self, instance: &Value) -> Vec<ValidationProblem> {
        self.validator
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
    known: HashMap<String, Value>,
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
            known: HashMap::new(),
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
