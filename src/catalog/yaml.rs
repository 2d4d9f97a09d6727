//! YAML text to a JSON value in one walk over the parser's events, refusing what would make a
//! definition ambiguous or keep a server busy: repeated keys, deep nesting, runaway aliases.
//!
//! Scalars resolve as serde_yaml 0.9 resolved them into a `serde_json::Value`, which is what
//! read catalogs before: `~` is null, `0x1f` an integer, `.inf` a float (so null in JSON),
//! quoted and block scalars are strings, and keys are their text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::num::ParseIntError;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

use super::files::MAX_FILE_BYTES;

mod common;

/// A message, and the line and column (both 1-based) it is about when known.
pub type YamlError = (String, Option<usize>, Option<usize>);

/// Collections may nest this deep; serde_yaml's limit, kept so that files read the same.
pub const MAX_YAML_NESTING: usize = 128;

/// Aliases may repeat at most this much, counted as nodes plus bytes of text: what the largest
/// file can say on its own. A "billion laughs" stops here, early and cheaply. The copy kept of
/// each anchored collection counts too, or anchors nested around one long list would each keep
/// a copy of it.
pub const MAX_ALIAS_EXPANSION: usize = MAX_FILE_BYTES;

pub const TOO_DEEP: &str = "recursion limit exceeded: the document is nested too deeply";
pub const TOO_MUCH_REPEATED: &str =
    "repetition limit exceeded: its anchors and aliases expand to too much data";
const MORE_THAN_ONE_DOCUMENT: &str =
    "deserializing from YAML containing more than one document is not supported";

pub fn duplicate_key_message(key: &str) -> String {
    format!(
        "duplicate key `{}`: each key may appear once in a mapping",
        key.chars().take(80).collect::<String>()
    )
}

/// Parses one YAML document into a JSON value.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    // Most files are in the common shape, read without the event parser (see `common`).
    if let Some(value) = common::parse(text) {
        return Ok(value);
    }
    parse_events(text)
}

/// Whether the two readers behind [`parse`] agree on `text`: where the common-shape reader
/// reads it, the event parser must read the same value (keys in the same order, numbers of the
/// same kind). `Ok(true)` when the common reader read it, `Ok(false)` when it left the text to
/// the event parser, `Err` with both readings when they differ. For the tests and the
/// `yaml_line_reader` fuzz target.
pub fn readers_agree(text: &str) -> Result<bool, String> {
    let Some(ours) = common::parse(text) else {
        return Ok(false);
    };
    // `Value`'s equality ignores the order of keys; the text does not.
    let same =
        |theirs: &Value| serde_json::to_string(&ours).ok() == serde_json::to_string(theirs).ok();
    match parse_events(text) {
        Ok(theirs) if ours == theirs && same(&theirs) => Ok(true),
        theirs => Err(format!(
            "{text:?}: the common reader read {ours}, the event parser {theirs:?}"
        )),
    }
}

/// [`parse`] with the event parser, for any text.
fn parse_events(text: &str) -> Result<Value, YamlError> {
    let mut builder = Builder::default();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|error| syntax_error(text, &error))?;
        builder
            .take(event, span)
            .map_err(|message| (message, Some(span.start.line()), Some(span.start.col() + 1)))?;
    }
    builder.finish()
}

fn syntax_error(text: &str, error: &ScanError) -> YamlError {
    let at = error.marker();
    if error.info().starts_with("recursion limit") {
        return (TOO_DEEP.to_string(), Some(at.line()), Some(at.col() + 1));
    }
    let (line, column) = if error.info() == "while scanning a plain scalar, found a tab" {
        indenting_tab(text, at.index(), at.line()).unwrap_or((at.line(), at.col() + 1))
    } else {
        (at.line(), at.col() + 1)
    };
    (error.info().to_string(), Some(line), Some(column))
}

/// The first tab that indents a line after the one holding character `from` (on line
/// `from_line`). The parser reports such a tab where the plain scalar it interrupts starts;
/// the tab is what to fix.
fn indenting_tab(text: &str, from: usize, from_line: usize) -> Option<(usize, usize)> {
    let start = text
        .char_indices()
        .nth(from)
        .map_or(text.len(), |(at, _)| at);
    text[start..]
        .split('\n')
        .enumerate()
        .skip(1)
        .find_map(|(offset, line)| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let tab = line[..indent].find('\t')?;
            Some((from_line + offset, tab + 1))
        })
}

#[derive(Default)]
struct Builder {
    open: Vec<Open>,
    /// Finished anchored nodes by the parser's anchor id; an open one is not here yet.
    anchors: HashMap<usize, Anchored>,
    /// Nodes plus bytes that aliases and anchored copies have repeated so far.
    repeated: usize,
    documents: usize,
    document: Option<Value>,
    /// The first key that repeats an earlier key of its mapping, with its line and column.
    /// Reported once the walk is done, so that any other error in the text comes first.
    duplicate: Option<(String, usize, usize)>,
}

/// A collection being filled, with its size so far in nodes plus bytes of text.
struct Open {
    collection: Collection,
    anchor: usize,
    size: usize,
}

enum Collection {
    Sequence(Vec<Value>),
    Mapping {
        entries: Map<String, Value>,
        key: Option<String>,
    },
}

enum Anchored {
    /// Kept as written: an alias replays it, as a key (its text) or as a value (resolved).
    Scalar {
        text: String,
        style: ScalarStyle,
        tag: Option<Tag>,
    },
    Collection {
        value: Value,
        size: usize,
    },
}

impl Anchored {
    fn size(&self) -> usize {
        match self {
            Anchored::Scalar { text, .. } => scalar_size(text),
            Anchored::Collection { size, .. } => *size,
        }
    }
}

/// Counts `size` more repeated nodes and bytes, refusing past [`MAX_ALIAS_EXPANSION`].
fn charge(repeated: &mut usize, size: usize) -> Result<(), String> {
    *repeated = repeated.saturating_add(size);
    if *repeated > MAX_ALIAS_EXPANSION {
        return Err(TOO_MUCH_REPEATED.to_string());
    }
    Ok(())
}

fn scalar_size(text: &str) -> usize {
    1 + text.len()
}

impl Builder {
    fn take(&mut self, event: Event<'_>, span: Span) -> Result<(), String> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(MORE_THAN_ONE_DOCUMENT.to_string());
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 {
                    let anchored = Anchored::Scalar {
                        text: text.to_string(),
                        style,
                        tag: tag.as_deref().cloned(),
                    };
                    self.anchors.insert(anchor, anchored);
                }
                if self.expects_key() {
                    // serde_yaml read keys as their text, whatever their tag or look.
                    self.set_key(exact_string(text), span);
                } else {
                    let size = scalar_size(&text);
                    let value = resolve(text, style, tag.as_deref())?;
                    self.push(value, size);
                }
            }
            Event::Alias(anchor) => {
                let Some(anchored) = self.anchors.get(&anchor) else {
                    return Err("an alias refers to the node that contains it".to_string());
                };
                let size = anchored.size();
                charge(&mut self.repeated, size)?;
                if self.expects_key() {
                    let Anchored::Scalar { text, .. } = anchored else {
                        return Err(not_a_key("the alias of a collection"));
                    };
                    let key = text.clone();
                    self.set_key(key, span);
                } else {
                    let value = match anchored {
                        Anchored::Scalar { text, style, tag } => {
                            resolve(Cow::Borrowed(text), *style, tag.as_ref())?
                        }
                        Anchored::Collection { value, .. } => value.clone(),
                    };
                    self.push(value, size);
                }
            }
            Event::SequenceStart(anchor, tag) => {
                self.open(Collection::Sequence(Vec::new()), anchor, tag.as_deref())?;
            }
            Event::MappingStart(anchor, tag) => {
                let mapping = Collection::Mapping {
                    entries: Map::new(),
                    key: None,
                };
                self.open(mapping, anchor, tag.as_deref())?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let open = self
                    .open
                    .pop()
                    .expect("the parser closes only what it opened");
                let value = match open.collection {
                    Collection::Sequence(items) => Value::Array(items),
                    Collection::Mapping { entries, .. } => Value::Object(entries),
                };
                let size = open.size + 1;
                if open.anchor != 0 {
                    charge(&mut self.repeated, size)?;
                    let anchored = Anchored::Collection {
                        value: value.clone(),
                        size,
                    };
                    self.anchors.insert(open.anchor, anchored);
                }
                self.push(value, size);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn open(
        &mut self,
        collection: Collection,
        anchor: usize,
        tag: Option<&Tag>,
    ) -> Result<(), String> {
        if self.expects_key() {
            return Err(match collection {
                Collection::Sequence(_) => not_a_key("sequence"),
                Collection::Mapping { .. } => not_a_key("map"),
            });
        }
        // serde_yaml ignored core-schema tags on collections (`!!map`) and refused others.
        if let Some(tag) = tag.filter(|tag| !tag.is_yaml_core_schema()) {
            return Err(unsupported_tag(tag));
        }
        if self.open.len() >= MAX_YAML_NESTING {
            return Err(TOO_DEEP.to_string());
        }
        self.open.push(Open {
            collection,
            anchor,
            size: 0,
        });
        Ok(())
    }

    fn expects_key(&self) -> bool {
        matches!(
            self.open.last(),
            Some(Open {
                collection: Collection::Mapping { key: None, .. },
                ..
            })
        )
    }

    fn set_key(&mut self, key: String, span: Span) {
        let Some(Open {
            collection: Collection::Mapping { entries, key: slot },
            size,
            ..
        }) = self.open.last_mut()
        else {
            unreachable!("a key is set only where a mapping expects one");
        };
        *size += scalar_size(&key);
        if self.duplicate.is_none() && entries.contains_key(&key) {
            let (line, column) = (span.start.line(), span.start.col() + 1);
            self.duplicate = Some((key.clone(), line, column));
        }
        *slot = Some(key);
    }

    /// Puts a finished node where the open collection expects it, or makes it the document.
    fn push(&mut self, value: Value, size: usize) {
        let Some(open) = self.open.last_mut() else {
            self.document = Some(value);
            return;
        };
        open.size += size;
        match &mut open.collection {
            Collection::Sequence(items) => items.push(value),
            Collection::Mapping { entries, key } => {
                let key = key.take().expect("a mapping's value follows its key");
                entries.insert(key, value);
            }
        }
    }

    fn finish(self) -> Result<Value, YamlError> {
        if let Some((key, line, column)) = self.duplicate {
            return Err((duplicate_key_message(&key), Some(line), Some(column)));
        }
        // No document at all (empty text, or only comments) is null, as with serde_yaml.
        Ok(self.document.unwrap_or(Value::Null))
    }
}

/// The parser builds scalars in buffers of 32 bytes or more; a catalog keeps its strings, so
/// they are trimmed to their length.
fn exact_string(text: Cow<'_, str>) -> String {
    let mut text = text.into_owned();
    text.shrink_to_fit();
    text
}

fn not_a_key(what: &str) -> String {
    format!("invalid type: {what}, expected a string key")
}

fn unsupported_tag(tag: &Tag) -> String {
    let written = if tag.handle == "!" {
        format!("!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    format!("the tag `{written}` is not supported: only YAML's own (`!!str`, `!!int`, ...) are")
}

fn invalid_value(text: &str, expected: &str) -> String {
    format!("invalid value: string {text:?}, expected {expected}")
}

/// The value of a scalar that is not a key.
fn resolve(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let Some(tag) = tag else {
        return match style {
            ScalarStyle::Plain => resolve_plain(text),
            _ => Ok(Value::String(exact_string(text))),
        };
    };
    if !tag.is_yaml_core_schema() {
        return Err(unsupported_tag(tag));
    }
    let text = text.as_ref();
    match tag.suffix.as_str() {
        "null" => match parse_null(text) {
            Some(()) => Ok(Value::Null),
            None => Err(invalid_value(text, "null")),
        },
        "bool" => match parse_bool(text) {
            Some(boolean) => Ok(Value::Bool(boolean)),
            None => Err(invalid_value(text, "a boolean")),
        },
        "int" => match parse_integer(text) {
            Some(number) => number.map(Value::Number),
            None => Err(invalid_value(text, "an integer")),
        },
        "float" => match parse_f64(text) {
            Some(float) => Ok(float_value(float)),
            None => Err(invalid_value(text, "a float")),
        },
        _ => Ok(Value::String(text.to_string())),
    }
}

/// serde_yaml's `visit_untagged_scalar`: null, boolean, integer, float, or else a string.
fn resolve_plain(text: Cow<'_, str>) -> Result<Value, String> {
    // All but strings start with one of these; most text in a catalog does not.
    let may_be_other = text.is_empty()
        || text.starts_with(|first: char| first.is_ascii_digit() || "~nNtTfF+-.".contains(first));
    if may_be_other {
        if text.is_empty() || parse_null(&text).is_some() {
            return Ok(Value::Null);
        }
        if let Some(boolean) = parse_bool(&text) {
            return Ok(Value::Bool(boolean));
        }
        if let Some(number) = parse_integer(&text) {
            return number.map(Value::Number);
        }
        if !digits_but_not_number(&text) {
            if let Some(float) = parse_f64(&text) {
                return Ok(float_value(float));
            }
        }
    }
    Ok(Value::String(exact_string(text)))
}

/// JSON has no infinity or NaN: serde_json makes them null.
fn float_value(float: f64) -> Value {
    Number::from_f64(float).map_or(Value::Null, Value::Number)
}

fn parse_null(text: &str) -> Option<()> {
    matches!(text, "null" | "Null" | "NULL" | "~").then_some(())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// serde_yaml's `visit_int`: an integer if the text is one, and an error when it is one too
/// large for JSON (serde_json refuses what fits 128 bits but not 64).
fn parse_integer(text: &str) -> Option<Result<Number, String>> {
    if let Some(int) = parse_unsigned_int(text, u64::from_str_radix) {
        return Some(Ok(int.into()));
    }
    if let Some(int) = parse_negative_int(text, i64::from_str_radix) {
        return Some(Ok(int.into()));
    }
    if parse_unsigned_int(text, u128::from_str_radix).is_some()
        || parse_negative_int(text, i128::from_str_radix).is_some()
    {
        return Some(Err("JSON number out of range".to_string()));
    }
    None
}

// The next four follow serde_yaml 0.9's `de.rs` line by line; `from_str_radix` accepts a
// leading sign, hence the checks before each call.

fn parse_unsigned_int<T>(
    text: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    let unpositive = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = from_str_radix(rest, radix) {
                return Some(int);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) {
        return None;
    }
    if digits_but_not_number(text) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(
    text: &str,
    from_str_radix: fn(&str, u32) -> Result<T, ParseIntError>,
) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = text.strip_prefix(prefix) {
            if let Ok(int) = from_str_radix(&format!("-{rest}"), radix) {
                return Some(int);
            }
        }
    }
    if digits_but_not_number(text) {
        return None;
    }
    from_str_radix(text, 10).ok()
}

fn parse_f64(text: &str) -> Option<f64> {
    let unpositive = match text.strip_prefix('+') {
        Some(unpositive) if unpositive.starts_with(['+', '-']) => return None,
        Some(unpositive) => unpositive,
        None => text,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = text {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = text {
        return Some(f64::NAN);
    }
    unpositive
        .parse::<f64>()
        .ok()
        .filter(|float| float.is_finite())
}

/// Leading zeros followed by digits make a string in YAML 1.2 (`0123`).
fn digits_but_not_number(text: &str) -> bool {
    let text = text.strip_prefix(['-', '+']).unwrap_or(text);
    text.len() > 1 && text.starts_with('0') && text[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    /// Asserts that `text` reads as serde_yaml read it: the same value, keys in the same order,
    /// numbers of the same kind; or an error from both.
    fn assert_reads_like_serde_yaml(text: &str) {
        let ours = parse(text);
        match serde_yaml::from_str::<Value>(text) {
            Ok(theirs) => {
                let ours = ours.unwrap_or_else(|error| panic!("{text:?}: {error:?}"));
                assert_eq!(ours, theirs, "{text:?}");
                assert_eq!(ours.to_string(), theirs.to_string(), "{text:?}");
            }
            Err(error) => assert!(ours.is_err(), "{text:?}: serde_yaml says {error}"),
        }
    }

    fn yaml_files(folder: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                yaml_files(&path, found);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "yaml" || extension == "yml")
            {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_shipped_and_fixture_file_reads_as_serde_yaml_read_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        yaml_files(&root.join("types"), &mut files);
        yaml_files(&root.join("tests"), &mut files);
        assert!(files.len() > 40, "{files:?}");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let theirs: Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(parse(&text).as_ref(), Ok(&theirs), "{}", path.display());
            assert_eq!(
                parse(&text).unwrap().to_string(),
                theirs.to_string(),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn documents_read_as_serde_yaml_read_them() {
        for text in [
            "a: 1\nb: [x, 'y', \"z\\t\", ~, null, '', ]\nc: {d: e, f: }\n",
            "z: 1\ny: 2\nx: 3\na: 4\n",
            "1: one\n~: tilde\ntrue: yes\n0x1f: hex\n'q': quoted\n? k\n: v\n",
            "- |\n  literal\n   keep\n\n- >-\n  folded\n  text\n- |+\n  kept\n\n",
            "s: 'it''s'\nd: \"\\u00e9\\n\\x41\"\nm: a multi\n  line plain\n",
            "---\na: 1\n...\n",
            "---\n",
            "# only a comment\n---\nx\n",
            "[1, -2, +3, 0o17, -0o17, 0b101, -0x1F, 0x_1, 012, -012, 0.5, -.5, 1e3, 1.5E-3]",
            "[.inf, -.Inf, +.INF, .nan, .NaN, 1_000, 0x, 0o8, 0b2, +-1, --1, 1.0, 1., .1e1]",
            "[18446744073709551615, -9223372036854775808, 1e400, 0x7fffffffffffffff]",
            "[yes, no, on, off, y, n, True, FALSE, Null, NULL, nUll, tRue]",
            "a: &x {b: 1, c: [2, 3]}\nd: *x\ne: &s 12\nf: *s\n*s : key from alias\n",
            "a: &k !!int 5\nb: *k\nc: !!str 7\nd: !!float 2\ne: !!null ''\nf: !!bool true\n",
            "a: !!map {b: 1}\nc: !!seq [d]\ne: !!str\n",
            "<<: {a: 1}\nb: {<<: [{c: 2}]}\n",
            "a: \"multi\n  line\n\n  quoted\"\n",
            "key with spaces: value with: colon\nurl: http://example.com/a#b\n",
            "é: ü\n\"\\u263A\": smile\n",
            "a:\n- 1\n- - 2\n  - 3\n-",
            "",
            "a: 1\n---\nb: 2\n",
            "a: [1\n",
            "a: !thing 1\n",
            "a: !!int x\n",
            "? [k]\n: v\n",
            "[18446744073709551616]",
            "[-9223372036854775809]",
        ] {
            assert_reads_like_serde_yaml(text);
        }
    }

    /// Text that is a plain scalar wherever it stands as a mapping value.
    fn plain_scalar() -> impl Strategy<Value = String> + Clone {
        prop_oneof![
            "[-+]?(0[xob])?[0-9a-fA-F_]{0,24}",
            "[-+]?[0-9]{0,8}(\\.[0-9]{0,8})?([eE][-+]?[0-9]{1,4})?",
            "[-+]{0,2}\\.(inf|Inf|INF|nan|NaN|NAN|iNf)",
            "(~|null|Null|NULL|nULL|true|True|TRUE|tRUE|false|False|FALSE|yes|no)",
            "[a-zA-Z0-9_.~+][a-zA-Z0-9_.~+-]{0,12}",
        ]
        // A lone dash is a sequence entry, not a scalar.
        .prop_filter("a scalar", |scalar| scalar != "-")
    }

    proptest! {
        #[test]
        fn plain_scalars_resolve_as_serde_yaml_resolved_them(scalar in plain_scalar()) {
            assert_reads_like_serde_yaml(&format!("v: {scalar}\n"));
            assert_reads_like_serde_yaml(&format!("- {scalar}\n- [{scalar}]\n"));
        }
    }

    #[test]
    fn a_repeated_key_is_refused_with_its_position() {
        let (message, line, column) = parse("a: 1\nb:\n  c: 1\n  \"c\": 2\n").unwrap_err();
        assert_eq!(message, duplicate_key_message("c"));
        assert_eq!((line, column), (Some(4), Some(3)));
        // Equal keys in different mappings, and values equal to keys, are fine.
        assert!(parse("a: a\nl:\n  - {a: 1}\n  - {a: 2}\n").is_ok());
        // The first repeat in the text, even where an inner mapping repeats one later.
        let (message, line, _) = parse("a: 1\na: {x: 1, x: 2}\n").unwrap_err();
        assert_eq!((message, line), (duplicate_key_message("a"), Some(2)));
        // A key made by an alias counts too.
        let (message, ..) = parse("a: &k b\nb: 1\n*k : 2\n").unwrap_err();
        assert_eq!(message, duplicate_key_message("b"));
    }

    #[test]
    fn another_error_in_the_text_comes_before_a_repeated_key() {
        let (message, line, _) = parse("a: 1\na: 2\nb: [1\n").unwrap_err();
        assert_ne!(message, duplicate_key_message("a"));
        assert!(line.is_some());
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_where_it_starts() {
        let deep = format!("x: {}{}", "[".repeat(200), "]".repeat(200));
        let (message, line, column) = parse(&deep).unwrap_err();
        assert_eq!(message, TOO_DEEP);
        assert_eq!((line, column), (Some(1), Some(4 + MAX_YAML_NESTING - 1)));
        let limit = MAX_YAML_NESTING - 1;
        let fine = format!("x: {}{}", "[".repeat(limit), "]".repeat(limit));
        assert!(parse(&fine).is_ok());
        let started = Instant::now();
        for text in [
            format!("x: {}{}", "[".repeat(500_000), "]".repeat(500_000)),
            format!("x: {}", "{a: ".repeat(200_000)),
        ] {
            assert_eq!(parse(&text).unwrap_err().0, TOO_DEEP);
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// "Billion laughs": each level repeats the previous one nine times.
    fn alias_bomb(levels: usize) -> String {
        let mut text = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..levels {
            let list = vec![format!("*l{}", level - 1); 9].join(", ");
            text.push_str(&format!("l{level}: &l{level} [{list}]\n"));
        }
        text
    }

    #[test]
    fn aliases_that_expand_to_too_much_are_refused_before_they_are_expanded() {
        // Ten levels would be 3^10 copies of every string: a reader that expanded them before
        // counting would not finish (no wall-clock bound here: the machines are shared).
        let (message, line, _) = parse(&alias_bomb(10)).unwrap_err();
        assert_eq!(message, TOO_MUCH_REPEATED);
        assert!(line.is_some());
        // A long string repeated often is too much as well, though few nodes.
        let long = format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(100_000),
            ["*a"; 20].join(", ")
        );
        assert_eq!(parse(&long).unwrap_err().0, TOO_MUCH_REPEATED);
        // Four levels (6561 strings) are fine, and expand as written.
        // So are anchors nested around one long list, each keeping a copy of it.
        let nested = format!(
            "a: {}[{}]{}\n",
            "&n [".repeat(100),
            "x, ".repeat(100_000),
            "]".repeat(100)
        );
        assert_eq!(parse(&nested).unwrap_err().0, TOO_MUCH_REPEATED);
        let value = parse(&alias_bomb(4)).unwrap();
        assert_eq!(value["l3"][8][8][8][8], "lol");
        assert_eq!(
            value,
            serde_yaml::from_str::<Value>(&alias_bomb(4)).unwrap()
        );
    }

    #[test]
    fn an_alias_inside_its_own_anchor_is_refused() {
        assert!(parse("a: &a [*a]\n").is_err());
        assert!(parse("a: &a {b: *a}\n").is_err());
    }

    #[test]
    fn more_than_one_document_is_refused() {
        let (message, line, _) = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(message, MORE_THAN_ONE_DOCUMENT);
        assert_eq!(line, Some(2));
    }

    #[test]
    fn tags_other_than_yaml_own_are_refused() {
        for text in ["a: !thing 1\n", "a: !thing [1]\n", "a: ! x\n"] {
            let (message, ..) = parse(text).unwrap_err();
            assert!(message.contains("tag"), "{text:?}: {message}");
        }
        let (message, ..) = parse("a: !!int x\n").unwrap_err();
        assert_eq!(message, "invalid value: string \"x\", expected an integer");
    }

    #[test]
    fn syntax_errors_carry_the_position_the_parser_stopped_at() {
        let (_, line, column) = parse("a:\n  b: c\n\td: e\n").unwrap_err();
        assert_eq!((line, column), (Some(3), Some(1)));
        let (_, line, column) = parse("a:\n  b: c\td\n \t e: f\n").unwrap_err();
        assert_eq!((line, column), (Some(3), Some(2)));
        let (_, line, column) = parse("a: [1\nb: 2\n").unwrap_err();
        assert_eq!((line, column), (Some(2), Some(2)));
    }

    /// Asserts that the two readers agree on `text`; returns whether the common one read it.
    fn common_reads_as_events_read(text: &str) -> bool {
        readers_agree(text).unwrap_or_else(|difference| panic!("{difference}"))
    }

    #[test]
    fn the_common_reader_reads_shipped_files_as_the_event_parser_does() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        yaml_files(&root.join("types"), &mut files);
        yaml_files(&root.join("tests"), &mut files);
        let mut read = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            read += usize::from(common_reads_as_events_read(&text));
        }
        // Most shipped definitions are in the common shape; were none, the fast path is lost.
        assert!(read * 2 > files.len(), "{read} of {}", files.len());
    }

    #[test]
    fn the_common_shape_reads_as_the_event_parser_reads_it() {
        for text in [
            "a: 1\nb: two\nc:\n  d: [x, 'y']\n  e: {f: 1, g: [2, 3]}\n",
            "# comment\nk: v # trailing\n\n  # indented comment\nl:\n- 1\n- -2\n- -0x1f\nm: ~\n",
            "s:\n  - a: 1\n    b: 2\n  -   c: 3\n      d:\n        - x\n  - plain text\n",
            "d: |\n  line one\n\n    indented\n  # not a comment\n\n\ne: |-\n  stripped\n  text\n",
            "q: \"a \\\"b\\\" \\\\ c\\n\\t/\\/\"\nr: 'it''s \\ here'\n\"k y\": 1\n'k''z': 2\n",
            "u: https://example.com/a#b?c=d:e\nv: a#b\nw: 0.1.0\nx: 1e3\ny: 012\nz: .inf\n",
            "e: []\nf: {}\ng: [ ]\nh: - x\n",
            "a:\n  b:\n    c:\n      d: deep\n  e: back\nf:\n",
            "list:\n  - {}\n  - []\n  - {a: b c, d: [-1, .tar.gz]}\n",
            "a: yes\nb: No\nc: TRUE\nd: null\ne: Null\nf: 0o17\ng: +1\nh: -.5\n",
            "é: ü\nkey with spaces: value with spaces\n",
            "a:\n- 1\nb: 2\n",
            "- a\n",
            "a: 1",
            "a: 1\n---\nb: 2\n",
            "a: 1\na: 2\n",
            "a:\tb\n",
            "a: b\n  c\n",
            "a: b: c\n",
            "a: [b, ]\n",
            "a: [b -]\n",
            "a: {b: c -}\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: >\n  folded\n",
            "a: |\n\n  leading blank\n",
            "a: |\n    x\n  y\n",
            "a: \"unclosed\n  b\"\n",
            "a: 18446744073709551616\n",
            "? a\n: b\n",
            "a:\n  - b\n c: d\n",
        ] {
            common_reads_as_events_read(text);
        }
        // The common shape itself is read without the event parser.
        for text in [
            "a: 1\nb: two\nc:\n  d: [x, y]\n",
            "s:\n  - a: 1\n    b: 2\n  - plain text\n",
            "d: |\n  line one\n\n    indented\n",
            "a:\n- 1\nb: 2\n",
        ] {
            assert!(common::parse(text).is_some(), "{text:?}");
        }
        // A repeated key, and what only the event parser reads, are left to it.
        for text in [
            "a: 1\na: 2\n",
            "a: &x 1\nb: *x\n",
            "a:\tb\n",
            "a: b\n  c\n",
            "- a\n",
        ] {
            assert!(common::parse(text).is_none(), "{text:?}");
        }
    }

    /// Keys that repeat, or are quoted, or hold or start with indicators.
    fn near_common_key() -> impl Strategy<Value = String> + Clone {
        prop_oneof![
            "[abc]",
            "\"[ab]\"",
            "'[ab]'",
            "[a-c][ #:-]?[a-c]",
            "[-?&*!|>%@`\\[{]a",
        ]
    }

    /// Values that look like numbers, indicators, quotes, comments, flow collections and block
    /// scalar headers.
    fn near_common_value() -> impl Strategy<Value = String> + Clone {
        prop_oneof![
            plain_scalar(),
            "[a-c ]{0,3}",
            "[-?:,#&*!|>%@`'\"\\[\\]{}\\\\ ]{1,2}[a-c]?",
            "\\|[-+]?( #c)?",
            ">",
            "'[a-c' ]{0,4}'?",
            "\"[a-c\\\\\"nt/x ]{0,4}\"?",
            "\\[([a-c0-9 ,:\\-\\[\\]{}]{0,8})\\]",
            "\\{([a-c0-9 ,:\\-\\[\\]{}]{0,8})\\}",
            "[a-c]+ #[a-c:]*",
            "[a-c]:[a-c ]{0,2}",
        ]
    }

    /// A line of a document in or near the common shape.
    fn near_common_line() -> impl Strategy<Value = String> {
        let key = near_common_key();
        let value = near_common_value();
        let indent = "( {0,4})";
        prop_oneof![
            (indent, key.clone(), value.clone()).prop_map(|(i, k, v)| format!("{i}{k}: {v}")),
            (indent, key.clone()).prop_map(|(i, k)| format!("{i}{k}:")),
            (indent, value.clone()).prop_map(|(i, v)| format!("{i}- {v}")),
            (indent, key, value.clone()).prop_map(|(i, k, v)| format!("{i}- {k}: {v}")),
            (indent, value).prop_map(|(i, v)| format!("{i}{v}")),
            "( {0,4})(#[a-c]*)?",
            Just("-".to_string()),
            Just("---".to_string()),
        ]
    }

    /// Documents in the common shape, for [`mutated_common_document`] to change.
    const COMMON_DOCUMENTS: [&str; 3] = [
        "# comment\nversion: 1.0.0\nname: Thing # trailing\ndescription: |\n  First line.\n\n    indented\n  # kept\nstatus: active\nconfig:\n  mediaType: application/x+json\n  schema:\n    \"$schema\": https://json-schema.org/draft/2020-12/schema\n    type: object\n    required:\n    - a\n    properties:\n      a:\n        type: string\n        pattern: \"^[a-z]+$\"\n        minimum: -1\n  examples:\n    - {a: b, c: [1, -2.5]}\n    - a: c\n      b: ~\nlayers:\n  - mediaType: x/y\n    title: 'It''s'\n    identifying: true\n  -   mediaType: z\ntags: [a, b]\n",
        "a:\n  b:\n    - 1\n    - two\n    - - nested\n  c: {}\nd: []\ne: |-\n  x\n  y\n\nf: \"q\\tr\"\ng:\n- x: 1\n  y:\n  - z\nh: 0x1f\n",
        "k: v\nl:\n  m: |\n    text\n      more\n\n  n: 'quoted'\no: yes\np: 012\n",
    ];

    /// A document in the common shape with a few lines changed: a value or key replaced, a
    /// line moved left or right, a line added or taken out.
    fn mutated_common_document() -> impl Strategy<Value = String> {
        let change = (
            any::<prop::sample::Index>(),
            0..5u8,
            near_common_key(),
            near_common_value(),
            near_common_line(),
            -2..=2i32,
        );
        (
            any::<prop::sample::Index>(),
            proptest::collection::vec(change, 1..4),
        )
            .prop_map(|(document, changes)| {
                let mut lines: Vec<String> = document
                    .get(&COMMON_DOCUMENTS)
                    .lines()
                    .map(str::to_string)
                    .collect();
                for (at, kind, key, value, line, shift) in changes {
                    let at = at.index(lines.len());
                    let text = lines[at].clone();
                    let indent = text.len() - text.trim_start().len();
                    lines[at] = match (kind, text.split_once(": ")) {
                        (0, Some((before, _))) => format!("{before}: {value}"),
                        (1, Some((_, after))) => format!("{}{key}: {after}", &text[..indent]),
                        (2, _) => {
                            let indent = (indent as i32 + shift).max(0) as usize;
                            format!("{}{}", " ".repeat(indent), text.trim_start())
                        }
                        (3, _) => format!("{line}\n{text}"),
                        _ => String::new(),
                    };
                }
                lines.join("\n") + "\n"
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn the_common_reader_reads_changed_documents_as_the_event_parser_does(
            text in mutated_common_document()
        ) {
            common_reads_as_events_read(&text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_common_reader_reads_nothing_differently(
            lines in proptest::collection::vec(near_common_line(), 1..12)
        ) {
            common_reads_as_events_read(&(lines.join("\n") + "\n"));
        }
    }
}
