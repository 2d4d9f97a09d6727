//! Positions in YAML and JSON text: where a JSON pointer lands, and where a mapping repeats a
//! key, so that diagnostics carry a line.
//!
//! Values are read without positions; this walks the same text again with the event parser,
//! keeping spans. It runs only for files that have something to report.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser};

use super::yaml::MAX_YAML_NESTING;

/// Line (1-based) and column (1-based) of every node, by JSON pointer.
pub struct Locations {
    positions: HashMap<String, (usize, usize)>,
}

enum Frame {
    Mapping {
        path: String,
        pending_key: Option<String>,
    },
    Sequence {
        path: String,
        next_index: usize,
    },
}

/// Stop indexing huge or hostile documents; a diagnostic without a line is still useful.
const MAX_EVENTS: usize = 200_000;

impl Locations {
    pub fn index(text: &str) -> Self {
        let mut positions = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        for (count, item) in Parser::new_from_str(text).enumerate() {
            let Ok((event, span)) = item else { break };
            if count > MAX_EVENTS {
                break;
            }
            let here = (span.start.line(), span.start.col() + 1);
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Mapping { pending_key, path }) = stack.last_mut() {
                        if pending_key.is_none() {
                            // A key: its position stands for the value that follows.
                            let child = format!("{path}/{}", escape(&value));
                            positions.entry(child).or_insert(here);
                            *pending_key = Some(value.into_owned());
                            continue;
                        }
                    }
                    let path = value_path(&mut stack);
                    positions.entry(path).or_insert(here);
                }
                Event::Alias(_) => {
                    let path = value_path(&mut stack);
                    positions.entry(path).or_insert(here);
                }
                Event::MappingStart(..) => {
                    let path = value_path(&mut stack);
                    positions.entry(path.clone()).or_insert(here);
                    stack.push(Frame::Mapping {
                        path,
                        pending_key: None,
                    });
                }
                Event::SequenceStart(..) => {
                    let path = value_path(&mut stack);
                    positions.entry(path.clone()).or_insert(here);
                    stack.push(Frame::Sequence {
                        path,
                        next_index: 0,
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                }
                _ => {}
            }
        }
        Self { positions }
    }

    /// The position of `pointer`, or of its nearest ancestor that has one.
    pub fn find(&self, pointer: &str) -> Option<(usize, usize)> {
        let mut current = pointer;
        loop {
            if let Some(found) = self.positions.get(current) {
                return Some(*found);
            }
            let (parent, _) = current.rsplit_once('/')?;
            current = parent;
        }
    }
}

/// The first key that repeats an earlier key of the same mapping: the key, line and column.
///
/// serde_yaml keeps the last of two equal keys when it fills a JSON value, so a definition
/// could say two things at once; this walk finds the repeat with its position.
pub fn first_duplicate_key(text: &str) -> Option<(String, usize, usize)> {
    scan(text).duplicate
}

/// Where `text` nests collections deeper than [`MAX_YAML_NESTING`], as (line, column).
pub fn too_deeply_nested(text: &str) -> Option<(usize, usize)> {
    scan(text).too_deep
}

/// What one walk over YAML text finds, before serde_yaml reads it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Where collections nest deeper than [`MAX_YAML_NESTING`], as (line, column).
    ///
    /// libyaml, under serde_yaml, does work proportional to the open flow collections (`[`,
    /// `{`) for every token it scans, so deep flow nesting takes quadratic time: a 1 MiB body
    /// of `[`s kept a thread busy for many minutes. This walk is linear and stops at the limit.
    /// Past a syntax error it cannot tell how deep the rest goes, and libyaml may read on:
    /// there, more than the limit of opening brackets counts as too deep, which bounds
    /// libyaml's work.
    pub too_deep: Option<(usize, usize)>,
    /// The first key that repeats an earlier key of the same mapping, with its line and
    /// column; looked for in the first [`MAX_EVENTS`] events, up to a syntax error.
    pub duplicate: Option<(String, usize, usize)>,
}

/// Walks `text` once for [`Scan`].
pub fn scan(text: &str) -> Scan {
    enum Node {
        Mapping {
            keys: HashSet<String>,
            expecting_key: bool,
        },
        Sequence,
    }
    /// A node starts in the parent: in a mapping, keys and values alternate.
    fn advance(stack: &mut [Node]) {
        if let Some(Node::Mapping { expecting_key, .. }) = stack.last_mut() {
            *expecting_key = !*expecting_key;
        }
    }
    let mut found = Scan::default();
    // Mappings and sequences open; for duplicates, only while they are looked for.
    let mut depth = 0usize;
    let mut stack: Vec<Node> = Vec::new();
    let mut looking = true;
    for (count, item) in Parser::new_from_str(text).enumerate() {
        let (event, span) = match item {
            Ok(item) => item,
            Err(error) => {
                let at = error.marker();
                let position = Some((at.line(), at.col() + 1));
                let openers = text
                    .chars()
                    .skip(at.index())
                    .filter(|c| matches!(c, '[' | '{'))
                    .take(MAX_YAML_NESTING + 1)
                    .count();
                if error.info().starts_with("recursion limit") || openers > MAX_YAML_NESTING {
                    found.too_deep = position;
                }
                return found;
            }
        };
        if count > MAX_EVENTS {
            looking = false;
        }
        let here = (span.start.line(), span.start.col() + 1);
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                depth += 1;
                if depth > MAX_YAML_NESTING {
                    found.too_deep = Some(here);
                    return found;
                }
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !looking {
            continue;
        }
        match event {
            Event::Scalar(value, ..) => {
                if let Some(Node::Mapping {
                    keys,
                    expecting_key: true,
                }) = stack.last_mut()
                {
                    if !keys.insert(value.to_string()) {
                        found.duplicate = Some((value.into_owned(), here.0, here.1));
                        looking = false;
                        continue;
                    }
                }
                advance(&mut stack);
            }
            Event::Alias(_) => advance(&mut stack),
            Event::MappingStart(..) => {
                advance(&mut stack);
                stack.push(Node::Mapping {
                    keys: HashSet::new(),
                    expecting_key: true,
                });
            }
            Event::SequenceStart(..) => {
                advance(&mut stack);
                stack.push(Node::Sequence);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            _ => {}
        }
    }
    found
}

/// The pointer of the value about to be read, advancing the parent's cursor.
fn value_path(stack: &mut [Frame]) -> String {
    match stack.last_mut() {
        None => String::new(),
        Some(Frame::Mapping { path, pending_key }) => {
            let key = pending_key.take().unwrap_or_default();
            format!("{path}/{}", escape(&key))
        }
        Some(Frame::Sequence { path, next_index }) => {
            let child = format!("{path}/{next_index}");
            *next_index += 1;
            child
        }
    }
}

/// RFC 6901 escaping of one pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "version: 1.0.0\nname: x\nlayers:\n  - mediaType: a/b\n    title: t\n  - mediaType: c/d\n    title: u\nconfig: {mediaType: e/f}\n";

    #[test]
    fn finds_keys_and_items() {
        let locations = Locations::index(DOC);
        assert_eq!(locations.find("/version"), Some((1, 1)));
        assert_eq!(locations.find("/layers/1/mediaType"), Some((6, 5)));
        assert_eq!(locations.find("/layers/1/title"), Some((7, 5)));
        assert_eq!(locations.find("/config/mediaType"), Some((8, 10)));
    }

    #[test]
    fn finds_the_first_repeated_key_of_a_mapping() {
        assert_eq!(first_duplicate_key(DOC), None);
        assert_eq!(
            first_duplicate_key("a: 1\nb:\n  c: 1\n  \"c\": 2\n"),
            Some(("c".into(), 4, 3))
        );
        // Equal keys in different mappings, and values equal to keys, are fine.
        assert_eq!(
            first_duplicate_key("a: a\nl:\n  - {a: 1}\n  - {a: 2}\n"),
            None
        );
        assert_eq!(
            first_duplicate_key("? [k]\n: v\nk: 1\nk: 2\n"),
            Some(("k".into(), 4, 1))
        );
    }

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        let locations = Locations::index(DOC);
        assert_eq!(locations.find("/layers/1/missing"), Some((6, 5)));
        assert_eq!(locations.find("/nothing/here"), Some((1, 1)));
    }

    #[test]
    fn deep_flow_nesting_is_found_in_linear_time() {
        let started = std::time::Instant::now();
        for text in [
            format!("x: {}{}", "[".repeat(500_000), "]".repeat(500_000)),
            format!("x: {}", "{a: ".repeat(200_000)),
            // A syntax error first, then brackets libyaml would read on into.
            format!("x: \"a\" b\ny: {}", "[".repeat(300_000)),
        ] {
            assert!(too_deeply_nested(&text).is_some(), "{}", &text[..20]);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let deep = format!("x: {}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            too_deeply_nested(&deep),
            Some((1, 4 + MAX_YAML_NESTING - 1))
        );
        let fine = format!(
            "x: {}{}\ny: [[[a], {{b: [c]}}]]\n",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(too_deeply_nested(&fine), None);
        assert_eq!(too_deeply_nested(DOC), None);
        assert_eq!(too_deeply_nested("a: [unclosed\nb: c\n"), None);
    }

    #[test]
    fn one_walk_finds_depth_and_duplicates() {
        let both = format!("a: 1\na: 2\nb: {}{}\n", "[".repeat(200), "]".repeat(200));
        let found = scan(&both);
        assert_eq!(found.duplicate, Some(("a".to_string(), 2, 1)));
        assert_eq!(found.too_deep.map(|(line, _)| line), Some(3));
        // Duplicates past the events looked at are not reported; depth is still measured.
        let many = format!(
            "l: [{}]\nk: 1\nk: 2\nd: {}",
            "x,".repeat(MAX_EVENTS),
            "[".repeat(200)
        );
        let found = scan(&many);
        assert_eq!(found.duplicate, None);
        assert!(found.too_deep.is_some());
        assert_eq!(scan(DOC), Scan::default());
    }
}
