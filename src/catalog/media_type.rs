//! Media types: parsed at the edge on two levels (OCI errors, RFC 6838 warnings) and compared
//! case-insensitively without parameters, while keeping the catalog's spelling for display.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest type or subtype the OCI descriptor schema accepts.
const MAX_PART: usize = 127;
/// RFC 6838 §4.2: names "SHOULD be limited to 64 characters".
const RECOMMENDED_PART: usize = 64;

/// Top-level types registered with IANA (RFC 6838 §4.1.1 and RFC 9694's registry).
pub const REGISTERED_TOP_LEVEL: &[&str] = &[
    "application",
    "audio",
    "example",
    "font",
    "haptics",
    "image",
    "message",
    "model",
    "multipart",
    "text",
    "video",
];

/// Structured syntax suffixes registered with IANA (RFC 6839, RFC 7303, RFC 8878 and later).
const REGISTERED_SUFFIXES: &[&str] = &[
    "json",
    "xml",
    "ber",
    "cbor",
    "der",
    "fastinfoset",
    "wbxml",
    "zip",
    "zstd",
    "gzip",
    "jwt",
    "cbor-seq",
    "json-seq",
    "sqlite3",
    "yaml",
    "tlv",
];

/// The OCI empty descriptor's media type: it never identifies a type.
pub const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";

/// Why a string is not a media type the OCI descriptor schema accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTypeError {
    #[error("media type is empty")]
    Empty,
    #[error("media type `{0}` has no `/` between type and subtype")]
    MissingSlash(String),
    #[error("media type `{0}` has parameters; OCI media types cannot carry `;name=value`")]
    Parameters(String),
    #[error("the {part} of `{value}` is empty")]
    EmptyPart { part: &'static str, value: String },
    #[error("the {part} of `{value}` is {len} characters long; at most 127 are allowed")]
    TooLong {
        part: &'static str,
        value: String,
        len: usize,
    },
    #[error("the {part} of `{value}` must start with a letter or digit")]
    BadFirst { part: &'static str, value: String },
    #[error("`{value}` contains {found}, which media types cannot contain")]
    BadChar { value: String, found: String },
}

/// An RFC 6838 rule that real tools break; reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaTypeWarning {
    UnregisteredTopLevel(String),
    UnregisteredSuffix(String),
    SeveralSuffixes,
    Uppercase,
    LongPart { part: &'static str, len: usize },
    UnregisteredTree,
}

impl fmt::Display for MediaTypeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnregisteredTopLevel(t) => write!(
                f,
                "top-level type `{t}` is not registered with IANA (RFC 6838 §4.1)"
            ),
            Self::UnregisteredSuffix(s) => write!(
                f,
                "structured syntax suffix `+{s}` is not registered (RFC 6838 §4.2.8)"
            ),
            Self::SeveralSuffixes => {
                write!(f, "more than one `+`: a subtype may carry one suffix only")
            }
            Self::Uppercase => write!(f, "media types should be lowercase"),
            Self::LongPart { part, len } => write!(
                f,
                "the {part} is {len} characters; RFC 6838 recommends at most 64"
            ),
            Self::UnregisteredTree => write!(
                f,
                "the `x.` tree is for private, unregistered types (RFC 6838 §3.4)"
            ),
        }
    }
}

/// A media type as written in the catalog, compared by its normalized form.
#[derive(Clone)]
pub struct MediaType {
    original: Box<str>,
    normalized: Box<str>,
}

impl MediaType {
    /// Parses a media type with the OCI descriptor rules (the error level).
    pub fn parse(value: &str) -> Result<Self, MediaTypeError> {
        if value.is_empty() {
            return Err(MediaTypeError::Empty);
        }
        if value.contains(';') {
            return Err(MediaTypeError::Parameters(shorten(value)));
        }
        let Some((top, sub)) = value.split_once('/') else {
            return Err(MediaTypeError::MissingSlash(shorten(value)));
        };
        check_part("type", top, value)?;
        check_part("subtype", sub, value)?;
        Ok(Self {
            original: value.into(),
            normalized: value.to_ascii_lowercase().into(),
        })
    }

    /// The catalog's spelling.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The lookup form: lowercase, no parameters.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    pub fn top_level(&self) -> &str {
        self.original.split_once('/').map_or("", |(t, _)| t)
    }

    pub fn subtype(&self) -> &str {
        self.original.split_once('/').map_or("", |(_, s)| s)
    }

    pub fn is_empty_config(&self) -> bool {
        &*self.normalized == EMPTY_CONFIG
    }

    /// RFC 6838 conformance problems (the warning level).
    pub fn warnings(&self) -> Vec<MediaTypeWarning> {
        let mut warnings = Vec::new();
        let top = self.top_level();
        let sub = self.subtype();
        if !REGISTERED_TOP_LEVEL.contains(&top.to_ascii_lowercase().as_str()) {
            warnings.push(MediaTypeWarning::UnregisteredTopLevel(top.to_string()));
        }
        let pluses = sub.matches('+').count();
        if pluses > 1 {
            warnings.push(MediaTypeWarning::SeveralSuffixes);
        }
        if let Some((_, suffix)) = sub.rsplit_once('+') {
            let suffix = suffix.to_ascii_lowercase();
            if !REGISTERED_SUFFIXES.contains(&suffix.as_str()) {
                warnings.push(MediaTypeWarning::UnregisteredSuffix(suffix));
            }
        }
        if self.original.bytes().any(|b| b.is_ascii_uppercase()) {
            warnings.push(MediaTypeWarning::Uppercase);
        }
        for (part, text) in [("type", top), ("subtype", sub)] {
            if text.len() > RECOMMENDED_PART {
                warnings.push(MediaTypeWarning::LongPart {
                    part,
                    len: text.len(),
                });
            }
        }
        if sub.to_ascii_lowercase().starts_with("x.") {
            warnings.push(MediaTypeWarning::UnregisteredTree);
        }
        warnings
    }
}

/// The lookup form of any string a client sends: parameters dropped, trimmed, lowercase.
/// It need not be a valid media type; lookups of invalid ones simply find nothing.
pub fn normalize(value: &str) -> String {
    normalize_borrowed(value).into_owned()
}

/// [`normalize`], borrowing `value` when it is already in lookup form, as nearly every key a
/// client sends is: lookups then allocate nothing.
pub fn normalize_borrowed(value: &str) -> std::borrow::Cow<'_, str> {
    let without_params = value.split(';').next().unwrap_or_default().trim();
    if without_params.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(without_params.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(without_params)
    }
}

fn check_part(part: &'static str, text: &str, value: &str) -> Result<(), MediaTypeError> {
    let Some(first) = text.chars().next() else {
        return Err(MediaTypeError::EmptyPart {
            part,
            value: shorten(value),
        });
    };
    if text.len() > MAX_PART {
        return Err(MediaTypeError::TooLong {
            part,
            value: shorten(value),
            len: text.len(),
        });
    }
    if !first.is_ascii_alphanumeric() {
        return Err(MediaTypeError::BadFirst {
            part,
            value: shorten(value),
        });
    }
    if let Some(bad) = text.chars().find(|c| !is_restricted_name_char(*c)) {
        return Err(MediaTypeError::BadChar {
            value: shorten(value),
            found: describe_char(bad),
        });
    }
    Ok(())
}

fn is_restricted_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c)
}

fn describe_char(c: char) -> String {
    if c.is_whitespace() {
        "whitespace".to_string()
    } else if c.is_control() {
        format!("the control character U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    }
}

/// Keeps error messages readable when the input is huge.
fn shorten(value: &str) -> String {
    const LIMIT: usize = 80;
    if value.chars().count() <= LIMIT {
        value.escape_debug().to_string()
    } else {
        let head: String = value.chars().take(LIMIT).collect();
        format!("{}…", head.escape_debug())
    }
}

impl PartialEq for MediaType {
    fn eq(&self, other: &Self) -> bool {
        self.normalized == other.normalized
    }
}

impl Eq for MediaType {}

impl Hash for MediaType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized.hash(state);
    }
}

impl PartialOrd for MediaType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MediaType {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.normalized.cmp(&other.normalized)
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl fmt::Debug for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaType({})", self.original)
    }
}

impl Serialize for MediaType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.original)
    }
}

impl<'de> Deserialize<'de> for MediaType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lookup_keys_in_lookup_form_are_borrowed() {
        use std::borrow::Cow;
        let plain = "application/vnd.cncf.helm.config.v1+json";
        assert!(matches!(normalize_borrowed(plain), Cow::Borrowed(k) if k == plain));
        assert!(matches!(
            normalize_borrowed(" application/json ; charset=utf-8"),
            Cow::Borrowed("application/json")
        ));
        assert_eq!(
            normalize_borrowed("Application/JSON; q=1"),
            "application/json"
        );
        assert_eq!(normalize("Application/JSON; q=1"), "application/json");
    }

    #[test]
    fn accepts_real_media_types() {
        for value in [
            "application/vnd.cncf.helm.config.v1+json",
            "archive/zip",
            "application/vnd.wasm.content.layer.v1+wasm",
            "appliciation/vnd.sylabs.sif.layer.tar",
        ] {
            assert!(MediaType::parse(value).is_ok(), "{value}");
        }
    }

    #[test]
    fn rejects_what_the_oci_schema_rejects() {
        assert_eq!(MediaType::parse(""), Err(MediaTypeError::Empty));
        assert!(matches!(
            MediaType::parse("application/json; charset=utf-8"),
            Err(MediaTypeError::Parameters(_))
        ));
        assert!(matches!(
            MediaType::parse("sbom"),
            Err(MediaTypeError::MissingSlash(_))
        ));
        assert!(matches!(
            MediaType::parse("application/"),
            Err(MediaTypeError::EmptyPart { .. })
        ));
        assert!(matches!(
            MediaType::parse("-x/y"),
            Err(MediaTypeError::BadFirst { .. })
        ));
        assert!(matches!(
            MediaType::parse("a/b c"),
            Err(MediaTypeError::BadChar { .. })
        ));
        assert!(matches!(
            MediaType::parse("a/b/c"),
            Err(MediaTypeError::BadChar { .. })
        ));
        let long = format!("a/{}", "b".repeat(128));
        assert!(matches!(
            MediaType::parse(&long),
            Err(MediaTypeError::TooLong { len: 128, .. })
        ));
    }

    #[test]
    fn warns_about_rfc6838_violations_that_tools_write() {
        let warnings = |v: &str| MediaType::parse(v).unwrap().warnings();
        assert_eq!(
            warnings("archive/zip"),
            vec![MediaTypeWarning::UnregisteredTopLevel("archive".into())]
        );
        assert_eq!(
            warnings("application/vnd.wasm.content.layer.v1+wasm"),
            vec![MediaTypeWarning::UnregisteredSuffix("wasm".into())]
        );
        assert_eq!(
            warnings("application/vnd.cncf.falco.rulesfile.layer.v1+tar.gz"),
            vec![MediaTypeWarning::UnregisteredSuffix("tar.gz".into())]
        );
        assert!(
            warnings("application/vnd.x.v1+tar+gzip").contains(&MediaTypeWarning::SeveralSuffixes)
        );
        assert!(warnings("Application/JSON").contains(&MediaTypeWarning::Uppercase));
        assert!(
            warnings("application/x.vnd.cyclonedx+protobuf")
                .contains(&MediaTypeWarning::UnregisteredTree)
        );
        assert!(warnings("application/vnd.cncf.helm.config.v1+json").is_empty());
    }

    #[test]
    fn compares_case_insensitively_and_keeps_spelling() {
        let a = MediaType::parse("Application/Vnd.Example+JSON").unwrap();
        let b = MediaType::parse("application/vnd.example+json").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Application/Vnd.Example+JSON");
        assert_eq!(
            normalize("Application/Vnd.Example+JSON; version=1"),
            b.normalized()
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(value in "\\PC{0,300}") {
            let _ = MediaType::parse(&value);
        }

        #[test]
        fn every_string_the_oci_pattern_accepts_parses(
            value in "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
        ) {
            let parsed = MediaType::parse(&value).unwrap();
            prop_assert_eq!(parsed.as_str(), value.as_str());
            prop_assert_eq!(parsed.normalized(), normalize(&value));
        }

        #[test]
        fn parsed_media_types_match_the_oci_pattern(value in "[ -~]{0,60}") {
            let pattern = regex::Regex::new(
                "^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$",
            ).unwrap();
            prop_assert_eq!(MediaType::parse(&value).is_ok(), pattern.is_match(&value));
        }

        #[test]
        fn normalizing_is_idempotent(value in "\\PC{0,100}") {
            let once = normalize(&value);
            prop_assert_eq!(normalize(&once), once.clone());
        }
    }
}
