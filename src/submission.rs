//! Submissions: a proposed definition, checked with the rules of `typehouse check` against the
//! live catalog, then reviewed; and the file and patch that publish an approved one.
//!
//! This is domain code: it knows the catalog, not HTTP or storage. [`evaluate`] turns a request
//! body into an [`Evaluated`] submission; the store gives it an id and keeps its history.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use semver::Version;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::catalog::files::MAX_FILE_BYTES;
use crate::catalog::load::identifying_media_types;
use crate::catalog::load::parse_yaml;
use crate::catalog::type_id::TypeIdError;
use crate::catalog::{
    Catalog, CatalogFiles, Definition, Diagnostic, Severity, TypeId, check, definition_of_bytes,
    rules,
};

/// Request bodies over this size are refused, as catalog files are.
pub const MAX_SUBMISSION_BYTES: usize = MAX_FILE_BYTES;

/// The first line of every version file, so editors validate it against the format.
pub const SCHEMA_LINE: &str = "# yaml-language-server: $schema=../../definition.schema.json";

/// Where the catalog sits in the typehouse repository; patch paths start here.
pub const CATALOG_DIR_IN_REPO: &str = "types";

/// Longest review reason kept.
pub const MAX_REASON_CHARS: usize = 2000;

/// Why a request body cannot become a submission at all (as opposed to an invalid one,
/// which is stored with its diagnostics). `TooLarge` is a 413; the others are 400 or 422.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error("the definition is {size} bytes; at most {limit} are accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("the body is empty: send a definition as YAML or JSON")]
    Empty,
    #[error("the definition is not UTF-8 text")]
    NotUtf8,
    #[error(transparent)]
    TypeId(#[from] TypeIdError),
    #[error("the definition cannot be written as YAML: {0}")]
    Unrepresentable(String),
    /// The live catalog's files could not be read back: the service's fault.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::DefinitionReadError),
}

/// How the submitted text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    /// The format a `Content-Type` names: YAML (`application/yaml`, `text/yaml`, their `x-`
    /// forms, `+yaml`) or JSON (`application/json`, `+json`); parameters are ignored.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => {
                Some(Self::Yaml)
            }
            "application/json" | "text/json" => Some(Self::Json),
            other if other.ends_with("+yaml") => Some(Self::Yaml),
            other if other.ends_with("+json") => Some(Self::Json),
            _ => None,
        }
    }
}

/// Where a submission is in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    /// Passed every check; waits for a reviewer.
    Pending,
    /// Failed a check; kept with its diagnostics, never approved.
    Invalid,
    Approved,
    Rejected,
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] = [
        ReviewState::Pending,
        ReviewState::Invalid,
        ReviewState::Approved,
        ReviewState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Invalid => "invalid",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status `{0}`: use pending, invalid, approved or rejected")]
pub struct UnknownStatus(String);

impl FromStr for ReviewState {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownStatus(text.chars().take(40).collect()))
    }
}

/// The public id of a submission, `s-000000000042`: sortable, and in submission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubmissionId(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a submission id (they look like s-000000000042)")]
pub struct BadSubmissionId(String);

impl SubmissionId {
    pub fn new(sequence: u64) -> Self {
        Self(sequence)
    }

    /// The position in submission order, starting at 1.
    pub fn sequence(self) -> u64 {
        self.0
    }

    /// Parses the exact form [`Display`](fmt::Display) writes, so one submission has one URL.
    pub fn parse(text: &str) -> Result<Self, BadSubmissionId> {
        let bad = || BadSubmissionId(text.chars().take(40).collect());
        let digits = text.strip_prefix("s-").ok_or_else(bad)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let id = Self(digits.parse().map_err(|_| bad())?);
        if id.to_string() != text {
            return Err(bad());
        }
        Ok(id)
    }
}

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s-{:012}", self.0)
    }
}

impl Serialize for SubmissionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SubmissionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A moment, to the second, written as RFC 3339 in UTC (`2026-01-31T12:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self(i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX))
    }

    /// Seconds since 1970-01-01T00:00:00Z, clamped to the years 0000 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        const MIN: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
        const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
        Self(seconds.clamp(MIN, MAX))
    }

    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Parses exactly the form this type writes: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(text: &str) -> Option<Self> {
        let parsed: jiff::Timestamp = text.parse().ok()?;
        // RFC 3339 has other spellings of the same moment (offsets, fractions, lowercase):
        // only the one this type writes round-trips.
        (parsed.to_string() == text).then(|| Self::from_unix_seconds(parsed.as_second()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always in range: every constructor clamps to the years 0000 to 9999.
        let moment = jiff::Timestamp::from_second(self.0).map_err(|_| fmt::Error)?;
        write!(f, "{moment}")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not an RFC 3339 UTC time"))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticSeverity {
    Error,
    Warning,
}

/// A [`Diagnostic`] as kept with a submission: the same fields and JSON shape as
/// `typehouse check --format json`, and it can be read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDiagnostic {
    pub severity: DiagnosticSeverity,
    pub rule: String,
    /// Path relative to the catalog root, e.g. `cncf/helm-chart/1.1.0.yaml`.
    pub file: String,
    /// Lines and columns refer to the file as it would be committed ([`render_file`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    pub message: String,
}

impl StoredDiagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == DiagnosticSeverity::Error
    }
}

impl From<&Diagnostic> for StoredDiagnostic {
    fn from(diagnostic: &Diagnostic) -> Self {
        Self {
            severity: match diagnostic.severity {
                Severity::Error => DiagnosticSeverity::Error,
                Severity::Warning => DiagnosticSeverity::Warning,
            },
            rule: diagnostic.rule.to_string(),
            file: diagnostic.file.clone(),
            line: diagnostic.line,
            column: diagnostic.column,
            pointer: diagnostic.pointer.clone(),
            message: diagnostic.message.clone(),
        }
    }
}

/// What happened to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Submitted,
    Approved,
    Rejected,
}

/// One entry of a submission's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub action: Action,
    /// The reviewer's token label; absent for the submission itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A checked submission before the store gives it an id.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    pub type_id: TypeId,
    /// The definition's `version`, when it is a semver string.
    pub version: Option<Version>,
    /// [`Status::Pending`] or [`Status::Invalid`].
    pub status: ReviewState,
    /// Where the file goes, relative to the catalog root (`cncf/helm-chart/1.1.0.yaml`); absent
    /// when the definition has no usable version.
    pub path: Option<String>,
    pub diagnostics: Vec<StoredDiagnostic>,
    pub format: Format,
    /// The text as submitted.
    pub content: String,
    /// The document as parsed; absent when it is not valid YAML or JSON.
    pub definition: Option<Value>,
    /// `sha256:<hex>` of the type id and the canonical file (or the text, when unreadable):
    /// the same definition sent twice, as YAML or JSON, has one digest.
    pub digest: String,
}

impl Evaluated {
    pub fn into_submission(self, id: SubmissionId, at: Timestamp) -> Submission {
        Submission {
            id,
            type_id: self.type_id,
            version: self.version,
            status: self.status,
            path: self.path,
            diagnostics: self.diagnostics,
            format: self.format,
            content: self.content,
            definition: self.definition,
            digest: self.digest,
            created_at: at,
            history: vec![Event {
                at,
                action: Action::Submitted,
                who: None,
                reason: None,
            }],
        }
    }
}

/// A stored submission: its check results and its review history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub id: SubmissionId,
    pub type_id: TypeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    pub status: ReviewState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub diagnostics: Vec<StoredDiagnostic>,
    pub format: Format,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<Value>,
    pub digest: String,
    pub created_at: Timestamp,
    pub history: Vec<Event>,
}

/// Why a review cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("a rejection needs a reason")]
    ReasonRequired,
    #[error("the reason is longer than {max} characters")]
    ReasonTooLong { max: usize },
    #[error("submission {id} is {status}; only pending submissions can be reviewed")]
    NotPending {
        id: SubmissionId,
        status: ReviewState,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// A reviewer's decision, checked at the edge: a rejection always says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    decision: Decision,
    who: String,
    reason: Option<String>,
    at: Timestamp,
}

impl Review {
    /// `who` is the label of the reviewer's token, never the token itself.
    pub fn approve(
        who: impl Into<String>,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<Self, ReviewError> {
        Ok(Self {
            decision: Decision::Approve,
            who: who.into(),
            reason: reason.map(check_reason).transpose()?.flatten(),
            at,
        })
    }

    pub fn reject(
        who: impl Into<String>,
        reason: &str,
        at: Timestamp,
    ) -> Result<Self, ReviewError> {
        Ok(Self {
            decision: Decision::Reject,
            who: who.into(),
            reason: Some(check_reason(reason)?.ok_or(ReviewError::ReasonRequired)?),
            at,
        })
    }

    pub fn decision(&self) -> Decision {
        self.decision
    }
}

fn check_reason(reason: &str) -> Result<Option<String>, ReviewError> {
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ReviewError::ReasonTooLong {
            max: MAX_REASON_CHARS,
        });
    }
    Ok((!reason.is_empty()).then(|| reason.to_string()))
}

impl Submission {
    /// Records a review: only a pending submission changes, and the history says who, when
    /// and why.
    pub fn apply(&mut self, review: &Review) -> Result<(), ReviewError> {
        if self.status != ReviewState::Pending {
            return Err(ReviewError::NotPending {
                id: self.id,
                status: self.status,
            });
        }
        let (status, action) = match review.decision {
            Decision::Approve => (ReviewState::Approved, Action::Approved),
            Decision::Reject => (ReviewState::Rejected, Action::Rejected),
        };
        self.status = status;
        self.history.push(Event {
            at: review.at,
            action,
            who: Some(review.who.clone()),
            reason: review.reason.clone(),
        });
        Ok(())
    }
}

/// Checks a submitted definition for `type_id` against the live catalog, with exactly the
/// rules of `typehouse check --base`: the catalog plus the new file must pass, and the
/// catalog as loaded is the base (immutability, version order, schema compatibility).
///
/// Problems with the definition make an [`Status::Invalid`] submission; only a body that
/// cannot be a definition at all (too large, not text, bad type id) is an error.
pub fn evaluate(
    catalog: &Catalog,
    type_id: &str,
    body: &[u8],
    format: Format,
) -> Result<Evaluated, SubmissionError> {
    evaluate_over(catalog, &[], type_id, body, format)
}

/// [`evaluate`] against the catalog with `approved` laid over it: the approved submissions not
/// exported yet, which an export writes together with this one.
pub fn evaluate_over(
    catalog: &Catalog,
    approved: &[&Submission],
    type_id: &str,
    body: &[u8],
    format: Format,
) -> Result<Evaluated, SubmissionError> {
    if body.len() > MAX_SUBMISSION_BYTES {
        return Err(SubmissionError::TooLarge {
            size: body.len(),
            limit: MAX_SUBMISSION_BYTES,
        });
    }
    let text = std::str::from_utf8(body).map_err(|_| SubmissionError::NotUtf8)?;
    if text.trim().is_empty() {
        return Err(SubmissionError::Empty);
    }
    let type_id = TypeId::parse(type_id)?;
    let document = match parse(text, format) {
        Ok(document) => document,
        Err((message, line, column)) => {
            let mut diagnostic =
                Diagnostic::error(rules::YAML_SYNTAX, unversioned_path(&type_id), message);
            if let Some(line) = line {
                diagnostic = diagnostic.at_line(line, column);
            }
            return Ok(Evaluated {
                digest: digest(&type_id, text),
                type_id,
                version: None,
                status: ReviewState::Invalid,
                path: None,
                diagnostics: vec![StoredDiagnostic::from(&diagnostic)],
                format,
                content: text.to_string(),
                definition: None,
            });
        }
    };

    let file = render_document(&document)
        .map_err(|error| SubmissionError::Unrepresentable(error.to_string()))?;
    let version = document
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| Version::parse(v).ok());
    let path = version
        .as_ref()
        .map(|version| format!("{type_id}/{version}.yaml"));
    let checked_path = path.clone().unwrap_or_else(|| unversioned_path(&type_id));
    let base = reachable_files(catalog, &type_id, &document, approved)?;
    let diagnostics = check_against(&type_id, &checked_path, &file, &document, &base);
    let status = if diagnostics.iter().any(StoredDiagnostic::is_error) {
        ReviewState::Invalid
    } else {
        ReviewState::Pending
    };
    Ok(Evaluated {
        digest: digest(&type_id, &file),
        type_id,
        version,
        status,
        path,
        diagnostics,
        format,
        content: text.to_string(),
        definition: Some(document),
    })
}

/// Definitions nested deeper than this are refused. No real definition comes near it, and a
/// stored submission wraps the definition in a few more levels that every JSON reader must
/// still take: serde_json stops at 128, and a deeper record could never be read back.
pub const MAX_NESTING: usize = 64;

/// A reason the text cannot be read, with the line and column where known.
pub type ParseError = (String, Option<usize>, Option<usize>);

/// Reads a submitted definition: YAML (bounded by [`parse_yaml`]) or JSON, with no key twice in
/// one mapping and at most [`MAX_NESTING`] levels deep.
pub fn parse(text: &str, format: Format) -> Result<Value, ParseError> {
    let document = match format {
        Format::Yaml => parse_yaml(text)?,
        Format::Json => {
            let document = serde_json::from_str::<Value>(text).map_err(|error| {
                (
                    format!("not valid JSON: {error}"),
                    Some(error.line()),
                    Some(error.column()),
                )
            })?;
            // serde_json keeps the last of two equal keys, so the text could say two things
            // at once, as YAML could (and `parse_yaml` refuses).
            if let Some(duplicate) = first_duplicate_json_key(text) {
                return Err(duplicate);
            }
            document
        }
    };
    let depth = nesting(&document);
    if depth > MAX_NESTING {
        return Err((
            format!(
                "the definition is nested {depth} levels deep; at most {MAX_NESTING} are accepted"
            ),
            None,
            None,
        ));
    }
    Ok(document)
}

/// Levels of arrays and objects in `value`. The parsers bound the depth, so recursing is safe.
fn nesting(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Object(fields) => 1 + fields.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// The first key an object of `text` (JSON that parses) repeats, with its position.
fn first_duplicate_json_key(text: &str) -> Option<ParseError> {
    use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
    use std::collections::HashSet;

    /// Walks any JSON value and fails at the first repeated key.
    struct Unique;

    impl<'de> DeserializeSeed<'de> for Unique {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Unique {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
            while items.next_element_seed(Unique)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
            let mut keys = HashSet::new();
            while let Some(key) = fields.next_key::<String>()? {
                if !keys.insert(key.clone()) {
                    return Err(A::Error::custom(format!(
                        "duplicate key `{}`: each key may appear once in an object",
                        key.chars().take(80).collect::<String>()
                    )));
                }
                fields.next_value_seed(Unique)?;
            }
            Ok(())
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(text);
    let error = Unique.deserialize(&mut deserializer).err()?;
    // The message without serde_json's " at line L column C", which the fields carry.
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(message, _)| message)
        .to_string();
    Some((message, Some(error.line()), Some(error.column())))
}

/// The file a definition without a usable version is checked as; the schema rule reports the
/// version, so no other rule trips over the name.
fn unversioned_path(type_id: &TypeId) -> String {
    format!("{type_id}/submission.yaml")
}

fn digest(type_id: &TypeId, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(type_id.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical.as_bytes());
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

/// The part of the catalog a check of `document` as `type_id` can reach, with the `approved`
/// submissions' files laid over it: the catalog's root files; the folders of the changed types
/// (this one and the approved ones); every type that claims an identifying media type any
/// version of a changed type claims (found in the catalog's index, not by reading every file);
/// and, following `deprecatedBy`, the types those name. The catalog passed its check, so any
/// rule the rest of it could break already held and still holds: `check --base` over these
/// files says what it says over the whole catalog, at the cost of a few folders.
fn reachable_files(
    catalog: &Catalog,
    type_id: &TypeId,
    document: &Value,
    approved: &[&Submission],
) -> Result<CatalogFiles, crate::catalog::DefinitionReadError> {
    let claims = catalog.identifying_claims();
    let mut laid_over = CatalogFiles::default();
    let mut changed: BTreeSet<String> = BTreeSet::from([type_id.to_string()]);
    for submission in approved {
        if let (Some(path), Some(file)) = (&submission.path, render_file(submission)) {
            laid_over.insert(path.clone(), file.into_bytes());
            changed.insert(submission.type_id.to_string());
        }
    }
    let mut files = CatalogFiles::default();
    let mut included: BTreeSet<String> = BTreeSet::new();
    let mut next: BTreeSet<String> = changed.clone();
    let mut expanded_changed = false;
    while !next.is_empty() {
        let folders = next.clone();
        included.extend(folders.iter().cloned());
        // The root files come with the first walk over the catalog's files.
        let with_root = !expanded_changed;
        let root = with_root.then_some("");
        let fetched =
            catalog.files_in(root.into_iter().chain(folders.iter().map(String::as_str)))?;
        for (path, content) in fetched.iter() {
            if let crate::catalog::files::FileContent::Bytes(bytes) = content {
                files.insert(path, bytes.clone());
            }
        }
        let mut definitions: Vec<Definition> = Vec::new();
        for (path, content) in files.iter() {
            let in_fetched = path
                .rsplit_once('/')
                .is_some_and(|(folder, _)| folders.contains(folder));
            if let (true, true, crate::catalog::files::FileContent::Bytes(bytes)) =
                (in_fetched, path.ends_with(".yaml"), content)
            {
                definitions.extend(definition_of_bytes(bytes));
            }
        }
        let mut found: BTreeSet<String> = BTreeSet::new();
        if !expanded_changed {
            // The changed types' own definitions: what they claim may now clash.
            expanded_changed = true;
            definitions.extend(serde_json::from_value::<Definition>(document.clone()).ok());
            definitions.extend(laid_over.iter().filter_map(|(_, content)| match content {
                crate::catalog::files::FileContent::Bytes(bytes) => definition_of_bytes(bytes),
                _ => None,
            }));
            for definition in &definitions {
                for (media_type, _) in identifying_media_types(definition) {
                    for user in claims.get(media_type.normalized()).into_iter().flatten() {
                        found.insert(user.to_string());
                    }
                }
            }
        }
        for definition in &definitions {
            if let Some(successor) = &definition.deprecated_by {
                found.insert(successor.to_string());
            }
        }
        next = found.difference(&included).cloned().collect();
    }
    for (path, content) in laid_over.iter() {
        if let crate::catalog::files::FileContent::Bytes(bytes) = content {
            files.insert(path, bytes.clone());
        }
    }
    Ok(files)
}

/// Runs `typehouse check` on the catalog plus the new file, with the catalog as base, and
/// keeps what the submission brought: every diagnostic on its file, and errors elsewhere (the
/// catalog loaded without errors, so any error on another file is the submission's doing).
fn check_against(
    type_id: &TypeId,
    path: &str,
    file: &str,
    document: &Value,
    base: &CatalogFiles,
) -> Vec<StoredDiagnostic> {
    let mut candidate = CatalogFiles::clone(base);
    candidate.insert(path, file.as_bytes().to_vec());
    let mut own = Vec::new();
    let already_published = base.get(path).is_some();
    if already_published {
        own.push(
            Diagnostic::error(
                rules::VERSION_ORDER,
                path,
                format!(
                    "{type_id} {} is already published and published versions never change: submit a higher version",
                    document.get("version").and_then(Value::as_str).unwrap_or_default()
                ),
            )
            .at("/version"),
        );
    }
    // A submission is one file: files it names must already be in the type's folder.
    let mut missing = Vec::new();
    for (pointer, advice) in [
        (
            "/config/schema",
            "a submission cannot add schema files: put the JSON Schema inline under `config.schema`",
        ),
        (
            "/icon",
            "a submission cannot add icon files: leave `icon` out and add the icon by pull request",
        ),
    ] {
        let Some(name) = document.pointer(pointer).and_then(Value::as_str) else {
            continue;
        };
        if base.get(&format!("{type_id}/{name}")).is_none() {
            missing.push(pointer);
            own.push(
                Diagnostic::error(
                    rules::RELATIVE_PATH,
                    path,
                    format!("`{name}` is not in the catalog, and {advice}"),
                )
                .at(pointer),
            );
        }
    }

    let mut kept: Vec<StoredDiagnostic> = check::check(&candidate, Some(base))
        .iter()
        .filter(|d| d.file == path || d.is_error())
        .filter(|d| !(already_published && d.rule == rules::PUBLISHED_MODIFIED))
        .filter(|d| {
            // Replaced by the clearer messages above.
            !(d.rule == rules::RELATIVE_PATH
                && missing.iter().any(|p| d.pointer.as_deref() == Some(*p)))
        })
        .map(StoredDiagnostic::from)
        .collect();
    kept.extend(own.iter().map(StoredDiagnostic::from));
    kept.sort_by(|a, b| (&a.file, a.line, a.severity).cmp(&(&b.file, b.line, b.severity)));
    kept
}

/// The version file for a document: the schema line, then the document as YAML, in the order
/// the submitter wrote its keys. The same document always gives the same bytes.
pub fn render_document(document: &Value) -> Result<String, serde_yaml::Error> {
    let yaml = serde_yaml::to_string(document)?;
    Ok(format!("{SCHEMA_LINE}\n{yaml}"))
}

/// The file to commit at `types/<path>`; `None` when the definition could not be read.
/// Callers decide whether to show it before approval.
pub fn render_file(submission: &Submission) -> Option<String> {
    render_document(submission.definition.as_ref()?).ok()
}

/// A unified diff, relative to the repository root, that adds the file: `git apply` takes it
/// on a checkout of the catalog. `None` when the file cannot be rendered or has no path.
pub fn render_patch(submission: &Submission) -> Option<String> {
    let path = submission.path.as_ref()?;
    let file = render_file(submission)?;
    Some(new_file_patch(
        &format!("{CATALOG_DIR_IN_REPO}/{path}"),
        &file,
    ))
}

/// The git diff that creates `path` with `text`.
pub fn new_file_patch(path: &str, text: &str) -> String {
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    let mut patch = format!("diff --git a/{path} b/{path}\nnew file mode 100644\n");
    if lines.is_empty() {
        return patch; // git writes an empty new file without a hunk
    }
    patch.push_str(&format!("--- /dev/null\n+++ b/{path}\n"));
    match lines.len() {
        1 => patch.push_str("@@ -0,0 +1 @@\n"),
        count => patch.push_str(&format!("@@ -0,0 +1,{count} @@\n")),
    }
    for line in &lines {
        patch.push('+');
        patch.push_str(line);
        patch.push('\n');
    }
    if !text.ends_with('\n') {
        patch.push_str("\\ No newline at end of file\n");
    }
    patch
}

/// What `export` did with one approved submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exported {
    Written(String),
    /// The catalog already holds the very same file.
    Unchanged(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} is not a directory: export writes into a copy of the catalog (types/)")]
    NotADirectory(String),
    #[error(
        "the catalog already holds different files at {}: published versions never change, so nothing was written",
        .0.join(", ")
    )]
    Conflicts(Vec<String>),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Writes each approved submission's file below `out` (a catalog directory). Nothing is
/// written when any target already holds a different file.
pub fn export<'a>(
    approved: impl IntoIterator<Item = &'a Submission>,
    out: &Path,
) -> Result<Vec<Exported>, ExportError> {
    if !out.is_dir() {
        return Err(ExportError::NotADirectory(out.display().to_string()));
    }
    let mut planned: Vec<(String, String)> = Vec::new();
    let mut conflicts = Vec::new();
    for submission in approved {
        if submission.status != ReviewState::Approved {
            continue;
        }
        let (Some(path), Some(file)) = (&submission.path, render_file(submission)) else {
            continue;
        };
        let differs_from_planned = planned.iter().any(|(p, f)| p == path && *f != file);
        let differs_on_disk = std::fs::read(out.join(path)).is_ok_and(|b| b != file.as_bytes());
        if differs_from_planned || differs_on_disk {
            conflicts.push(path.clone());
        } else if !planned.iter().any(|(p, _)| p == path) {
            planned.push((path.clone(), file));
        }
    }
    if !conflicts.is_empty() {
        return Err(ExportError::Conflicts(conflicts));
    }
    let mut done = Vec::new();
    for (path, file) in planned {
        let target = out.join(&path);
        if std::fs::read(&target).is_ok_and(|b| b == file.as_bytes()) {
            done.push(Exported::Unchanged(path));
            continue;
        }
        let write = |target: &Path| -> std::io::Result<()> {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(target, file.as_bytes())
        };
        write(&target).map_err(|source| ExportError::Write {
            path: path.clone(),
            source,
        })?;
        done.push(Exported::Written(path));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;

    /// A new type that passes every rule.
    pub(crate) const WIDGET: &str = "\
version: 1.0.0
name: Acme widget
summary: A widget, as typehouse's tests submit it
status: active
artifactType: application/vnd.acme.widget.v1+json
config:
  mediaType: application/vnd.acme.widget.config.v1+json
  schema:
    type: object
    properties:
      name: {type: string}
    required: [name]
  examples:
    - {name: gadget}
layers:
  - mediaType: application/vnd.acme.widget.layer.v1.tar+gzip
    title: Widget archive
    required: true
links:
  spec: https://acme.example.com/widget
owners:
  - name: Acme maintainers
    url: https://acme.example.com
";

    fn catalog() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            Catalog::load(CatalogFiles::embedded())
                .expect("the shipped catalog loads")
                .0
        })
    }

    fn yaml(type_id: &str, text: &str) -> Evaluated {
        evaluate(catalog(), type_id, text.as_bytes(), Format::Yaml).unwrap()
    }

    fn errors(evaluated: &Evaluated) -> Vec<(&str, &str)> {
        evaluated
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.rule.as_str(), d.message.as_str()))
            .collect()
    }

    /// helm-chart 1.0.0 as published, with another version.
    fn helm_chart(version: &str) -> String {
        let files = catalog().files().unwrap();
        let published = files
            .bytes("cncf/helm-chart/1.0.0.yaml")
            .expect("helm-chart 1.0.0 is shipped");
        String::from_utf8(published.to_vec())
            .unwrap()
            .replace("version: 1.0.0\n", &format!("version: {version}\n"))
    }

    /// The published file of `path` in the shipped catalog.
    fn shipped(path: &str) -> String {
        let files = catalog().files().unwrap();
        String::from_utf8(files.bytes(path).expect("shipped").to_vec()).unwrap()
    }

    /// A submission that breaks each rule a version file can break, and some that break
    /// none, each checked both ways: the submission path (the candidate's type and the types
    /// the index says it can clash with) and `check --base` over the whole catalog.
    #[test]
    fn the_submission_check_says_what_check_base_says_over_the_whole_catalog() {
        let widget = |from: &str, to: &str| WIDGET.replace(from, to);
        let trivy_db = shipped("aquasecurity/trivy-db/1.0.0.yaml");
        let java_db = shipped("aquasecurity/trivy-java-db/1.0.0.yaml");
        let bicep_sources = shipped("microsoft/bicep-module-sources/1.1.0.yaml");
        let cases: Vec<(&str, &str, String)> = vec![
            ("valid new type", "acme/widget", WIDGET.to_string()),
            ("valid new version", "cncf/helm-chart", helm_chart("1.1.0")),
            (
                "yaml-syntax",
                "acme/widget",
                widget("name: Acme widget", "name: [Acme"),
            ),
            (
                "definition-schema",
                "acme/widget",
                widget("status: active", "status: sideways"),
            ),
            (
                "version-filename",
                "acme/widget",
                widget("version: 1.0.0", "version: 01.0.0"),
            ),
            (
                "media-type",
                "acme/widget",
                widget(
                    "application/vnd.acme.widget.v1+json",
                    "application/Vnd Acme",
                ),
            ),
            (
                "identifying-unique with a shipped type",
                "acme/widget",
                widget(
                    "application/vnd.acme.widget.v1+json",
                    "application/vnd.cncf.helm.config.v1+json",
                ),
            ),
            (
                "valid as the one fallback beside two types told apart by match",
                "acme/widget",
                widget(
                    "application/vnd.acme.widget.v1+json",
                    "application/vnd.aquasec.trivy.config.v1+json",
                ),
            ),
            (
                "identifying-unique: a new version drops what told it apart",
                "aquasecurity/trivy-java-db",
                java_db
                    .replace("version: 1.0.0", "version: 1.1.0")
                    .replace("    identifying: true\n", "    identifying: false\n")
                    .replace("    equals: javadb.tar.gz", "    equals: db.tar.gz"),
            ),
            (
                "a new version of a sharing type",
                "aquasecurity/trivy-db",
                trivy_db.replace("version: 1.0.0", "version: 1.0.1"),
            ),
            (
                "config-schema",
                "acme/widget",
                widget("    type: object\n", "    type: objekt\n"),
            ),
            (
                "config-example",
                "acme/widget",
                widget("{name: gadget}", "{name: 7}"),
            ),
            (
                "relative-path (schema file)",
                "acme/widget",
                widget(
                    "  schema:\n    type: object\n    properties:\n      name: {type: string}\n    required: [name]\n",
                    "  schema: other.schema.json\n",
                ),
            ),
            (
                "relative-path (icon)",
                "acme/widget",
                format!("{WIDGET}icon: widget.svg\n"),
            ),
            (
                "link-https",
                "acme/widget",
                widget(
                    "https://acme.example.com/widget",
                    "http://acme.example.com/widget",
                ),
            ),
            (
                "link-unpinned",
                "acme/widget",
                widget(
                    "https://acme.example.com/widget",
                    "https://github.com/acme/widget/blob/main/SPEC.md",
                ),
            ),
            (
                "deprecation, unknown successor",
                "acme/widget",
                widget(
                    "status: active",
                    "status: deprecated\ndeprecatedBy: acme/nothing",
                ),
            ),
            (
                "deprecation, known successor",
                "acme/widget",
                widget(
                    "status: active",
                    "status: deprecated\ndeprecatedBy: cncf/helm-chart",
                ),
            ),
            (
                "a new version of a deprecated type",
                "microsoft/bicep-module-sources",
                bicep_sources.replace("version: 1.1.0", "version: 1.2.0"),
            ),
            (
                "duplicate",
                "acme/widget",
                widget(
                    "    required: true\n",
                    "    required: true\n  - mediaType: application/vnd.acme.widget.layer.v1.tar+gzip\n    title: Again\n",
                ),
            ),
            (
                "published-modified",
                "cncf/helm-chart",
                helm_chart("1.0.0").replace("name:", "name: Changed"),
            ),
            ("version-order", "cncf/helm-chart", helm_chart("0.9.0")),
            (
                "breaking-schema-change",
                "falco/plugin",
                shipped("falco/plugin/1.0.1.yaml")
                    .replace("version: 1.0.1", "version: 1.0.2")
                    .replace(
                        "schema: artifact-config.schema.json",
                        "schema: {type: string}",
                    ),
            ),
        ];
        let files = catalog().files().unwrap();
        for (rule, type_id, text) in &cases {
            let evaluated = yaml(type_id, text);
            // The reference: the whole catalog as base, as `check --base` runs it.
            let expected = match (TypeId::parse(type_id), parse(text, Format::Yaml)) {
                (Ok(id), Ok(document)) => {
                    let file = render_document(&document).unwrap();
                    let path = evaluated
                        .path
                        .clone()
                        .unwrap_or_else(|| unversioned_path(&id));
                    check_against(&id, &path, &file, &document, &files)
                }
                _ => evaluated.diagnostics.clone(),
            };
            assert_eq!(evaluated.diagnostics, expected, "{rule}");
            if !rule.starts_with("valid")
                && !rule.starts_with("a new version")
                && *rule != "deprecation, known successor"
            {
                assert!(
                    !evaluated.diagnostics.is_empty(),
                    "{rule}: the case breaks nothing, so it tests nothing"
                );
            }
        }
    }

    #[test]
    fn a_valid_new_type_is_pending_with_its_path() {
        let evaluated = yaml("acme/widget", WIDGET);
        assert_eq!(errors(&evaluated), Vec::<(&str, &str)>::new());
        assert_eq!(evaluated.status, ReviewState::Pending);
        assert_eq!(evaluated.path.as_deref(), Some("acme/widget/1.0.0.yaml"));
        assert_eq!(evaluated.version, Some(Version::new(1, 0, 0)));
        assert!(evaluated.digest.starts_with("sha256:"));
    }

    #[test]
    fn the_file_starts_with_the_schema_line_and_is_byte_stable() {
        let first = yaml("acme/widget", WIDGET);
        let submission = first
            .clone()
            .into_submission(SubmissionId::new(1), Timestamp(0));
        let file = render_file(&submission).unwrap();
        assert!(file.starts_with(&format!(
            "{SCHEMA_LINE}\nversion: 1.0.0\nname: Acme widget\n"
        )));
        assert!(file.ends_with('\n'));
        assert_eq!(render_file(&submission), Some(file.clone()));
        let again = yaml("acme/widget", WIDGET);
        assert_eq!(again, first);
        // The file parses back to the submitted document.
        assert_eq!(parse_yaml(&file).ok(), first.definition);
    }

    #[test]
    fn yaml_and_json_of_one_definition_have_one_digest() {
        let from_yaml = yaml("acme/widget", WIDGET);
        let json = serde_json::to_string(from_yaml.definition.as_ref().unwrap()).unwrap();
        let from_json = evaluate(catalog(), "acme/widget", json.as_bytes(), Format::Json).unwrap();
        assert_eq!(from_json.status, ReviewState::Pending);
        assert_eq!(from_json.digest, from_yaml.digest);
        assert_eq!(from_json.format, Format::Json);
        // The type id is part of what makes a submission the same.
        assert_ne!(yaml("acme/gadget", WIDGET).digest, from_yaml.digest);
    }

    #[test]
    fn every_shipped_definition_renders_to_a_file_with_the_same_document() {
        let files = catalog().files().unwrap();
        for (path, _) in files.iter() {
            if path.split('/').count() != 3 || !path.ends_with(".yaml") {
                continue;
            }
            let text = std::str::from_utf8(files.bytes(path).unwrap()).unwrap();
            let document = parse_yaml(text).unwrap();
            let file = render_document(&document).unwrap();
            assert_eq!(parse_yaml(&file).unwrap(), document, "{path}");
            assert_eq!(render_document(&document).unwrap(), file, "{path}");
        }
    }

    /// The cost of a check is its own folder, the root files and the folders it can clash
    /// with, whatever the size of the catalog: the catalog's other types are never read.
    #[test]
    fn a_check_reads_only_the_folders_it_can_reach() {
        let mut files = CatalogFiles::embedded();
        for n in 0..300 {
            files.insert(
                format!("acme/widget-{n}/1.0.0.yaml"),
                WIDGET
                    .replace("acme.widget", &format!("acme.widget-{n}"))
                    .into_bytes(),
            );
        }
        let (large, _) = Catalog::load(files).expect("the catalog loads");
        let folders = |type_id: &str, text: &str| -> BTreeSet<String> {
            let document = parse_yaml(text).unwrap();
            reachable_files(&large, &TypeId::parse(type_id).unwrap(), &document, &[])
                .unwrap()
                .paths()
                .map(|path| crate::catalog::files::folder_of(path).to_string())
                .collect()
        };
        let new_type = WIDGET.replace("acme.widget", "acme.gadget");
        assert_eq!(
            folders("acme/gadget", &new_type),
            BTreeSet::from([String::new()]),
            "a type that clashes with nothing reads the root files only"
        );
        let clashing = WIDGET.replace("acme.widget.v1", "acme.widget-7.v1");
        assert_eq!(
            folders("acme/gadget", &clashing),
            BTreeSet::from([String::new(), "acme/widget-7".to_string()]),
        );
        let new_version = WIDGET
            .replace("acme.widget", "acme.widget-9")
            .replace("version: 1.0.0", "version: 1.1.0");
        assert_eq!(
            folders("acme/widget-9", &new_version),
            BTreeSet::from([String::new(), "acme/widget-9".to_string()]),
        );
    }

    #[test]
    fn a_claimed_identifying_media_type_makes_it_invalid() {
        let text = WIDGET.replace(
            "artifactType: application/vnd.acme.widget.v1+json",
            "artifactType: application/vnd.cncf.helm.config.v1+json",
        );
        let evaluated = yaml("acme/widget", &text);
        assert_eq!(evaluated.status, ReviewState::Invalid);
        let claim = evaluated
            .diagnostics
            .iter()
            .find(|d| d.rule == rules::IDENTIFYING_UNIQUE && d.file == "acme/widget/1.0.0.yaml")
            .expect("the new file is named");
        assert!(
            claim.message.contains("cncf/helm-chart"),
            "{}",
            claim.message
        );
        assert_eq!(claim.pointer.as_deref(), Some("/artifactType"));
        assert!(claim.line.is_some());
    }

    #[test]
    fn a_new_version_of_a_published_type_may_reuse_its_schema_file() {
        let evaluated = yaml("cncf/helm-chart", &helm_chart("1.1.0"));
        assert_eq!(errors(&evaluated), Vec::<(&str, &str)>::new());
        assert_eq!(
            evaluated.path.as_deref(),
            Some("cncf/helm-chart/1.1.0.yaml")
        );
        // Warnings of the published files are not the submission's.
        assert!(
            evaluated
                .diagnostics
                .iter()
                .all(|d| d.file == "cncf/helm-chart/1.1.0.yaml")
        );
    }

    #[test]
    fn a_published_version_cannot_be_submitted_again() {
        let evaluated = yaml("cncf/helm-chart", &helm_chart("1.0.0"));
        assert_eq!(evaluated.status, ReviewState::Invalid);
        let found = errors(&evaluated);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, rules::VERSION_ORDER);
        assert!(found[0].1.contains("already published"));

        let changed = helm_chart("1.0.0").replace("name: Helm chart\n", "name: Helm charts\n");
        let found = yaml("cncf/helm-chart", &changed);
        assert_eq!(errors(&found).len(), 1, "{:?}", errors(&found));
    }

    #[test]
    fn a_lower_version_breaks_the_version_order() {
        let evaluated = yaml("cncf/helm-chart", &helm_chart("0.9.0"));
        assert_eq!(evaluated.status, ReviewState::Invalid);
        assert!(
            errors(&evaluated)
                .iter()
                .any(|(rule, _)| *rule == rules::VERSION_ORDER)
        );
    }

    #[test]
    fn a_breaking_schema_change_needs_a_new_major_version() {
        let text = helm_chart("1.1.0").replace(
            "  schema: chart-metadata.schema.json\n",
            "  schema:\n    type: object\n    required: [apiVersion, name, version, icon]\n",
        );
        let evaluated = yaml("cncf/helm-chart", &text);
        assert_eq!(evaluated.status, ReviewState::Invalid);
        assert!(
            errors(&evaluated)
                .iter()
                .any(|(rule, message)| *rule == rules::BREAKING_SCHEMA_CHANGE
                    && message.contains("2.0.0")),
            "{:?}",
            errors(&evaluated)
        );
    }

    #[test]
    fn a_schema_file_cannot_come_with_a_submission() {
        let text = WIDGET.replace(
            "  schema:\n    type: object\n    properties:\n      name: {type: string}\n    required: [name]\n  examples:\n    - {name: gadget}\n",
            "  schema: widget.schema.json\n",
        );
        let evaluated = yaml("acme/widget", &text);
        let found = errors(&evaluated);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("inline under `config.schema`"));
    }

    #[test]
    fn an_icon_file_cannot_come_with_a_submission() {
        let evaluated = yaml("acme/widget", &format!("{WIDGET}icon: icon.svg\n"));
        let found = errors(&evaluated);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("cannot add icon files"));
    }

    #[test]
    fn schema_problems_are_reported_with_pointers() {
        let text = WIDGET
            .replace("summary: A widget, as typehouse's tests submit it\n", "")
            .replace(
                "https://acme.example.com/widget",
                "http://acme.example.com/widget",
            );
        let evaluated = yaml("acme/widget", &text);
        assert_eq!(evaluated.status, ReviewState::Invalid);
        let rules_found: Vec<&str> = errors(&evaluated).iter().map(|(r, _)| *r).collect();
        assert!(
            rules_found.contains(&rules::DEFINITION_SCHEMA),
            "{rules_found:?}"
        );
        assert!(rules_found.contains(&rules::LINK_HTTPS), "{rules_found:?}");
    }

    #[test]
    fn unreadable_text_is_an_invalid_submission_without_a_path() {
        let evaluated = yaml("acme/widget", "version: 1.0.0\nname: [unclosed\n");
        assert_eq!(evaluated.status, ReviewState::Invalid);
        assert_eq!(evaluated.path, None);
        assert_eq!(evaluated.definition, None);
        assert_eq!(evaluated.diagnostics.len(), 1);
        assert_eq!(evaluated.diagnostics[0].rule, rules::YAML_SYNTAX);
        assert!(evaluated.diagnostics[0].line.is_some());

        let json = evaluate(catalog(), "acme/widget", b"{\"version\": ", Format::Json).unwrap();
        assert_eq!(json.status, ReviewState::Invalid);
        assert!(json.diagnostics[0].message.starts_with("not valid JSON"));
    }

    #[test]
    fn a_definition_without_a_usable_version_has_no_path() {
        let evaluated = yaml(
            "acme/widget",
            &WIDGET.replace("version: 1.0.0", "version: 1.0"),
        );
        assert_eq!(evaluated.status, ReviewState::Invalid);
        assert_eq!(evaluated.path, None);
        assert!(
            errors(&evaluated)
                .iter()
                .any(|(rule, _)| *rule == rules::DEFINITION_SCHEMA)
        );
    }

    #[test]
    fn bodies_that_cannot_be_definitions_are_errors() {
        let too_large = vec![b'a'; MAX_SUBMISSION_BYTES + 1];
        assert!(matches!(
            evaluate(catalog(), "acme/widget", &too_large, Format::Yaml),
            Err(SubmissionError::TooLarge { .. })
        ));
        assert!(matches!(
            evaluate(catalog(), "acme/widget", &[0xff, 0xfe], Format::Yaml),
            Err(SubmissionError::NotUtf8)
        ));
        assert!(matches!(
            evaluate(catalog(), "acme/widget", b" \n", Format::Yaml),
            Err(SubmissionError::Empty)
        ));
        assert!(matches!(
            evaluate(
                catalog(),
                "application/widget",
                WIDGET.as_bytes(),
                Format::Yaml
            ),
            Err(SubmissionError::TypeId(_))
        ));
    }

    #[test]
    fn alias_bombs_are_refused_as_yaml_errors() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        let evaluated = yaml("acme/widget", bomb);
        assert_eq!(evaluated.status, ReviewState::Invalid);
        assert_eq!(evaluated.diagnostics[0].rule, rules::YAML_SYNTAX);
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let evaluated = evaluate(catalog(), "acme/widget", deep.as_bytes(), Format::Json).unwrap();
        assert_eq!(evaluated.status, ReviewState::Invalid);
    }

    #[test]
    fn definitions_nested_too_deeply_are_invalid_and_stored_without_the_document() {
        // Deep enough to parse but too deep to read back once wrapped in a stored submission.
        for depth in [MAX_NESTING, 100, 126, 127, 200] {
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            let json = format!("{{\"version\": \"1.0.0\", \"x\": {nested}}}");
            let yaml_text = format!("{WIDGET}x: {nested}\n");
            for evaluated in [
                evaluate(catalog(), "acme/widget", json.as_bytes(), Format::Json).unwrap(),
                yaml("acme/widget", &yaml_text),
            ] {
                assert_eq!(evaluated.status, ReviewState::Invalid, "{depth}");
                assert_eq!(evaluated.definition, None, "{depth}");
                assert_eq!(evaluated.diagnostics[0].rule, rules::YAML_SYNTAX);
            }
        }
        let fine = format!("{WIDGET}x: {}{}\n", "[".repeat(40), "]".repeat(40));
        assert!(yaml("acme/widget", &fine).definition.is_some());
    }

    #[test]
    fn duplicate_keys_in_json_are_refused_with_their_position() {
        let text =
            "{\"version\": \"1.0.0\",\n \"layers\": [{\"title\": \"a\", \"t\\u0069tle\": \"b\"}]}";
        let (message, line, column) = parse(text, Format::Json).unwrap_err();
        assert_eq!(
            message,
            "duplicate key `title`: each key may appear once in an object"
        );
        assert_eq!((line, column.is_some()), (Some(2), true));
        let evaluated = evaluate(catalog(), "acme/widget", text.as_bytes(), Format::Json).unwrap();
        assert_eq!(evaluated.status, ReviewState::Invalid);
        assert_eq!(evaluated.diagnostics[0].line, Some(2));
        // Equal keys in different objects are fine.
        assert!(
            parse(
                r#"{"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 1}, {"x": 2}]}"#,
                Format::Json
            )
            .is_ok()
        );
    }

    #[test]
    fn reviews_change_only_pending_submissions_and_are_recorded() {
        let mut submission = yaml("acme/widget", WIDGET)
            .into_submission(SubmissionId::new(7), Timestamp::from_unix_seconds(100));
        assert_eq!(
            Review::reject("alice", "  ", Timestamp(200)),
            Err(ReviewError::ReasonRequired)
        );
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            Review::reject("alice", &long, Timestamp(200)),
            Err(ReviewError::ReasonTooLong {
                max: MAX_REASON_CHARS
            })
        );
        let approve = Review::approve("alice", Some(" looks right "), Timestamp(200)).unwrap();
        submission.apply(&approve).unwrap();
        assert_eq!(submission.status, ReviewState::Approved);
        assert_eq!(
            submission.history,
            vec![
                Event {
                    at: Timestamp(100),
                    action: Action::Submitted,
                    who: None,
                    reason: None
                },
                Event {
                    at: Timestamp(200),
                    action: Action::Approved,
                    who: Some("alice".into()),
                    reason: Some("looks right".into())
                },
            ]
        );
        let reject = Review::reject("bob", "duplicate", Timestamp(300)).unwrap();
        assert_eq!(
            submission.apply(&reject),
            Err(ReviewError::NotPending {
                id: SubmissionId::new(7),
                status: ReviewState::Approved
            })
        );
        assert_eq!(submission.history.len(), 2);
    }

    #[test]
    fn a_submission_reads_back_what_it_wrote() {
        let submission = yaml("acme/widget", WIDGET).into_submission(
            SubmissionId::new(42),
            Timestamp::from_unix_seconds(1_700_000_000),
        );
        let json = serde_json::to_value(&submission).unwrap();
        assert_eq!(json["id"], "s-000000000042");
        assert_eq!(json["typeId"], "acme/widget");
        assert_eq!(json["status"], "pending");
        assert_eq!(json["path"], "acme/widget/1.0.0.yaml");
        assert_eq!(json["createdAt"], "2023-11-14T22:13:20Z");
        assert_eq!(json["history"][0]["action"], "submitted");
        let back: Submission = serde_json::from_value(json).unwrap();
        assert_eq!(back, submission);
    }

    #[test]
    fn submission_ids_sort_in_submission_order_and_parse_strictly() {
        assert_eq!(SubmissionId::new(42).to_string(), "s-000000000042");
        assert_eq!(
            SubmissionId::parse("s-000000000042"),
            Ok(SubmissionId::new(42))
        );
        for bad in [
            "s-42",
            "000000000042",
            "s-00000000004x",
            "s--00000000042",
            "",
        ] {
            assert!(SubmissionId::parse(bad).is_err(), "{bad}");
        }
        assert!(SubmissionId::new(9).to_string() < SubmissionId::new(10).to_string());
    }

    #[test]
    fn statuses_and_formats_parse_from_their_names() {
        assert_eq!("pending".parse(), Ok(ReviewState::Pending));
        assert!("Pending".parse::<ReviewState>().is_err());
        assert_eq!(
            Format::from_media_type("application/yaml"),
            Some(Format::Yaml)
        );
        assert_eq!(
            Format::from_media_type("Application/JSON; charset=utf-8"),
            Some(Format::Json)
        );
        assert_eq!(Format::from_media_type("text/x-yaml"), Some(Format::Yaml));
        assert_eq!(Format::from_media_type("text/plain"), None);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(
            Timestamp::parse("2000-02-29T00:00:00Z"),
            Some(Timestamp(951_782_400))
        );
        for bad in [
            "2001-02-29T00:00:00Z",
            "2000-13-01T00:00:00Z",
            "2000-01-01T24:00:00Z",
            "2000-01-01 00:00:00Z",
            "2000-01-01T00:00:00+00:00",
            "+000-01-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn timestamps_read_back(seconds in -62_167_219_200i64..=253_402_300_799) {
            let timestamp = Timestamp::from_unix_seconds(seconds);
            prop_assert_eq!(Timestamp::parse(&timestamp.to_string()), Some(timestamp));
        }
    }

    #[test]
    fn a_patch_for_one_line_has_a_short_hunk_header() {
        assert_eq!(
            new_file_patch("types/a/b/1.0.0.yaml", "x\n"),
            "diff --git a/types/a/b/1.0.0.yaml b/types/a/b/1.0.0.yaml\nnew file mode 100644\n--- /dev/null\n+++ b/types/a/b/1.0.0.yaml\n@@ -0,0 +1 @@\n+x\n"
        );
        assert!(new_file_patch("f", "x").ends_with("+x\n\\ No newline at end of file\n"));
    }

    fn git(dir: &Path, args: &[&str]) -> std::process::Output {
        let output = Command::new("git")
            .args([
                "-c",
                "user.name=typehouse tests",
                "-c",
                "user.email=tests@typehouse.invalid",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn approved(type_id: &str, text: &str, sequence: u64) -> Submission {
        let evaluated = yaml(type_id, text);
        assert_eq!(
            evaluated.status,
            ReviewState::Pending,
            "{:?}",
            evaluated.diagnostics
        );
        let mut submission = evaluated.into_submission(SubmissionId::new(sequence), Timestamp(0));
        submission
            .apply(&Review::approve("alice", None, Timestamp(1)).unwrap())
            .unwrap();
        submission
    }

    #[test]
    fn the_patch_applies_with_git_on_a_checkout_of_the_catalog() {
        let repo = tempfile::tempdir().unwrap();
        catalog()
            .files()
            .unwrap()
            .write_to(&repo.path().join(CATALOG_DIR_IN_REPO))
            .unwrap();
        git(repo.path(), &["init", "--quiet"]);
        git(repo.path(), &["add", "."]);
        git(repo.path(), &["commit", "--quiet", "-m", "the catalog"]);

        for submission in [
            approved("acme/widget", WIDGET, 1),
            approved("cncf/helm-chart", &helm_chart("1.1.0"), 2),
        ] {
            let patch = render_patch(&submission).unwrap();
            let path = submission.path.as_deref().unwrap();
            assert!(patch.starts_with(&format!(
                "diff --git a/types/{path} b/types/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/types/{path}\n@@ -0,0 +1,"
            )));
            let patch_file = repo.path().join("submission.patch");
            std::fs::write(&patch_file, &patch).unwrap();
            git(
                repo.path(),
                &["apply", "--check", "--index", "submission.patch"],
            );
            git(repo.path(), &["apply", "--index", "submission.patch"]);
            std::fs::remove_file(&patch_file).unwrap();
            let written = std::fs::read_to_string(repo.path().join("types").join(path)).unwrap();
            assert_eq!(Some(written), render_file(&submission));
        }
        let status = git(repo.path(), &["status", "--porcelain"]);
        assert_eq!(
            String::from_utf8_lossy(&status.stdout),
            "A  types/acme/widget/1.0.0.yaml\nA  types/cncf/helm-chart/1.1.0.yaml\n"
        );
    }

    #[test]
    fn exported_submissions_pass_the_check_against_the_catalog() {
        let out = tempfile::tempdir().unwrap();
        catalog().files().unwrap().write_to(out.path()).unwrap();
        let submissions = [
            approved("acme/widget", WIDGET, 1),
            approved("cncf/helm-chart", &helm_chart("1.1.0"), 2),
        ];
        let exported = export(&submissions, out.path()).unwrap();
        assert_eq!(
            exported,
            vec![
                Exported::Written("acme/widget/1.0.0.yaml".into()),
                Exported::Written("cncf/helm-chart/1.1.0.yaml".into()),
            ]
        );
        let files = CatalogFiles::read_dir(out.path()).unwrap();
        let problems: Vec<String> = check::check(&files, Some(&catalog().files().unwrap()))
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems, Vec::<String>::new());

        // Again: nothing changes.
        let again = export(&submissions, out.path()).unwrap();
        assert!(again.iter().all(|e| matches!(e, Exported::Unchanged(_))));
    }

    #[test]
    fn export_never_overwrites_a_different_file() {
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("acme/widget/1.0.0.yaml");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, "something else\n").unwrap();
        let submissions = [approved("acme/widget", WIDGET, 1)];
        match export(&submissions, out.path()) {
            Err(ExportError::Conflicts(paths)) => {
                assert_eq!(paths, vec!["acme/widget/1.0.0.yaml".to_string()])
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "something else\n"
        );
        assert!(matches!(
            export(&submissions, &out.path().join("missing")),
            Err(ExportError::NotADirectory(_))
        ));
    }
}
