//! The common shape of a catalog file, read line by line without the event parser: block
//! mappings and sequences, one-line plain and quoted scalars, literal block scalars, one-line
//! flow collections of plain scalars, and comments. saphyr's scanner goes character by
//! character through a lookahead buffer; on a large catalog it was a third of `check`'s time,
//! and this reads the same files several times faster.
//!
//! It reads only what it is sure of. At anything else (anchors, tags, folded or multi-line
//! scalars, tabs, document markers, a repeated key, a number too large, ...) it gives up, and
//! [`super::parse`] reads the text with the event parser, which also makes every error
//! message. What it does read, it reads as the event parser does: the tests compare the two.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::resolve_plain;

/// Deeper than this, the event parser reads the text (and enforces its own limit).
const MAX_DEPTH: usize = 64;

/// An implicit key longer than 1024 characters is an error for the event parser.
const MAX_KEY_BYTES: usize = 1000;

/// The value of `text`, or `None` when the text is not in the shape this reads.
pub(super) fn parse(text: &str) -> Option<Value> {
    if !text.ends_with('\n') || !plain_characters(text) {
        return None;
    }
    let mut lines = Vec::with_capacity(text.len() / 24);
    for raw in text[..text.len() - 1].split('\n') {
        let marker = match raw.as_bytes().first() {
            Some(b'-') => raw.starts_with("---"),
            Some(b'.') => raw.starts_with("..."),
            Some(b'%') => true,
            _ => false,
        };
        if marker {
            return None;
        }
        let content = raw.trim_start_matches(' ');
        lines.push(Line {
            indent: raw.len() - content.len(),
            content,
        });
    }
    let mut reader = Reader {
        lines,
        at: 0,
        depth: 0,
    };
    match reader.peek() {
        Some((0, _)) => {}
        _ => return None,
    }
    let document = reader.mapping(0, None)?;
    reader.peek().is_none().then_some(document)
}

/// No tab, carriage return or other control character, byte order mark, or character that
/// YAML 1.1 read as a line break: the text is made of spaces, line feeds and printable text.
fn plain_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Most files are printable ASCII, which this checks a vector at a time.
    if bytes
        .iter()
        .all(|&byte| (0x20..0x7f).contains(&byte) || byte == b'\n')
    {
        return true;
    }
    for (at, &byte) in bytes.iter().enumerate() {
        let next = |offset: usize| bytes.get(at + offset).copied().unwrap_or(0);
        let refused = match byte {
            b'\n' => false,
            0..0x20 | 0x7f => true,
            // U+0080 to U+009F, among them NEL.
            0xc2 => (0x80..=0x9f).contains(&next(1)),
            // U+2028 and U+2029, the line and paragraph separators.
            0xe2 => next(1) == 0x80 && matches!(next(2), 0xa8 | 0xa9),
            // U+FEFF (byte order mark), U+FFFE and U+FFFF.
            0xef => (next(1) == 0xbb && next(2) == 0xbf) || (next(1) == 0xbf && next(2) >= 0xbe),
            _ => false,
        };
        if refused {
            return false;
        }
    }
    true
}

struct Line<'a> {
    /// Leading spaces.
    indent: usize,
    /// The rest of the line, without its line feed.
    content: &'a str,
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    /// The next line to read.
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// The next line with content (not blank, not a comment), not consumed.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        while let Some(line) = self.lines.get(self.at) {
            if line.content.is_empty() || line.content.starts_with('#') {
                self.at += 1;
                continue;
            }
            return Some((line.indent, line.content));
        }
        None
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping whose keys stand at column `column`. `first` is its first entry when
    /// that entry follows a sequence's `- ` on a line already read.
    fn mapping(&mut self, column: usize, mut first: Option<&'a str>) -> Option<Value> {
        self.deeper()?;
        // Collected first, so that the map is made at its size, not grown entry by entry.
        let mut entries = Vec::new();
        loop {
            let content = match first.take() {
                Some(content) => content,
                None => match self.peek() {
                    Some((indent, content)) if indent == column => {
                        self.at += 1;
                        content
                    }
                    Some((indent, _)) if indent > column => return None,
                    _ => break,
                },
            };
            let (key, rest) = split_key(content)?;
            let value = self.value(column, rest)?;
            entries.push((key, value));
        }
        self.depth -= 1;
        let count = entries.len();
        let entries: Map<String, Value> = entries.into_iter().collect();
        // A repeated key: the event parser reports it, with its position.
        (entries.len() == count).then_some(Value::Object(entries))
    }

    /// The value after a mapping key's colon (`rest`), in a mapping at `column`.
    fn value(&mut self, column: usize, rest: &'a str) -> Option<Value> {
        let rest = rest.trim_start_matches(' ');
        if rest.is_empty() || rest.starts_with('#') {
            // The value is a block below, or empty.
            return match self.peek() {
                Some((indent, content)) if indent > column => {
                    if is_entry(content) {
                        self.sequence(indent)
                    } else {
                        self.mapping(indent, None)
                    }
                }
                Some((indent, content)) if indent == column && is_entry(content) => {
                    self.sequence(column)
                }
                _ => Some(Value::Null),
            };
        }
        let value = match rest.strip_prefix('|') {
            Some(header) => Value::String(self.literal(column, header)?),
            None => self.depth_checked_scalar(rest)?,
        };
        // A more indented line would continue the scalar (or be an error).
        match self.peek() {
            Some((indent, _)) if indent > column => None,
            _ => Some(value),
        }
    }

    /// A block sequence whose `-` stand at column `column`.
    fn sequence(&mut self, column: usize) -> Option<Value> {
        self.deeper()?;
        let mut items = Vec::new();
        loop {
            match self.peek() {
                Some((indent, content)) if indent == column && is_entry(content) => {
                    self.at += 1;
                    let after = &content[1..];
                    let item = after.trim_start_matches(' ');
                    if item.is_empty() || item.starts_with('#') || is_entry(item) {
                        return None;
                    }
                    let item_column = column + 1 + (after.len() - item.len());
                    let value = match split_key(item) {
                        Some(_) => self.mapping(item_column, Some(item))?,
                        None => {
                            let value = self.depth_checked_scalar(item)?;
                            match self.peek() {
                                Some((indent, _)) if indent > column => return None,
                                _ => value,
                            }
                        }
                    };
                    items.push(value);
                }
                Some((indent, _)) if indent > column => return None,
                _ => break,
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    fn depth_checked_scalar(&mut self, text: &str) -> Option<Value> {
        let depth = self.depth;
        scalar(text, depth)
    }

    /// A literal block scalar (`|` or `|-`, `header` is what follows the `|`) of a mapping
    /// value at `column`.
    fn literal(&mut self, column: usize, header: &str) -> Option<String> {
        let (strip, after) = match header.strip_prefix('-') {
            Some(after) => (true, after),
            None => (false, header),
        };
        if !is_end_of_line(after) {
            return None;
        }
        // Its indentation is the first line's; a blank line first, or an empty scalar, is
        // left to the event parser.
        let first = self.lines.get(self.at)?;
        if first.content.is_empty() || first.indent <= column {
            return None;
        }
        let indent = first.indent;
        let mut text = String::new();
        let mut blank = 0;
        while let Some(line) = self.lines.get(self.at) {
            if line.content.is_empty() {
                if line.indent > indent {
                    return None;
                }
                blank += 1;
            } else if line.indent < indent {
                if line.indent > column {
                    return None;
                }
                break;
            } else {
                for _ in 0..blank {
                    text.push('\n');
                }
                blank = 0;
                for _ in indent..line.indent {
                    text.push(' ');
                }
                text.push_str(line.content);
                text.push('\n');
            }
            self.at += 1;
        }
        if strip {
            text.pop();
        }
        text.shrink_to_fit();
        Some(text)
    }
}

/// `- ` or a lone `-`: a block sequence entry.
fn is_entry(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// Nothing left on the line but spaces and a comment.
fn is_end_of_line(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < rest.len())
}

/// Characters that give the first character of a plain scalar another meaning.
fn is_indicator(byte: u8) -> bool {
    matches!(
        byte,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// A block mapping entry's key and what follows its colon, if `content` is one.
fn split_key(content: &str) -> Option<(String, &str)> {
    let bytes = content.as_bytes();
    let (key, rest) = if matches!(bytes.first(), Some(b'"' | b'\'')) {
        let (key, after) = quoted(content)?;
        (key, after.strip_prefix(':')?)
    } else {
        if is_indicator(*bytes.first()?) {
            return None;
        }
        let colon = (0..bytes.len())
            .find(|&at| bytes[at] == b':' && matches!(bytes.get(at + 1), None | Some(b' ')))?;
        let key = &content[..colon];
        if key.ends_with(' ') || find_pair(key, b' ', b'#').is_some() {
            return None;
        }
        (key.to_string(), &content[colon + 1..])
    };
    if key.len() > MAX_KEY_BYTES || !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest))
}

/// A scalar or flow collection that fills the rest of its line (`text`, not empty).
fn scalar(text: &str, depth: usize) -> Option<Value> {
    let bytes = text.as_bytes();
    match bytes[0] {
        b'"' | b'\'' => {
            let (value, after) = quoted(text)?;
            is_end_of_line(after).then_some(Value::String(value))
        }
        b'[' | b'{' => {
            let mut flow = Flow { text, at: 0, depth };
            let value = flow.collection()?;
            is_end_of_line(&text[flow.at..]).then_some(value)
        }
        b'-' if bytes.get(1).is_some_and(|&next| next != b' ') => plain(text),
        first if is_indicator(first) => None,
        _ => plain(text),
    }
}

/// A plain scalar up to the end of the line or a comment.
fn plain(text: &str) -> Option<Value> {
    let text = match find_pair(text, b' ', b'#') {
        Some(comment) => &text[..comment],
        None => text,
    };
    let text = text.trim_end_matches(' ');
    if find_pair(text, b':', b' ').is_some() || text.ends_with(':') {
        return None;
    }
    resolve_plain(Cow::Borrowed(text)).ok()
}

/// Where `first` is directly followed by `second` in `text`: a pattern searcher costs more to
/// set up than these short texts take to scan.
fn find_pair(text: &str, first: u8, second: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(second, bytes)
        .find(|&at| at > 0 && bytes[at - 1] == first)
        .map(|at| at - 1)
}

/// A quoted scalar that closes on its line, and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let quote = text.as_bytes()[0];
    let body = &text[1..];
    let mut value = String::new();
    let mut rest = body;
    loop {
        let stop = rest.find([quote as char, '\\'])?;
        value.push_str(&rest[..stop]);
        let after = &rest[stop + 1..];
        match (quote, rest.as_bytes()[stop]) {
            (b'\'', b'\'') if after.starts_with('\'') => {
                value.push('\'');
                rest = &after[1..];
            }
            (b'\'', b'\\') => {
                value.push('\\');
                rest = after;
            }
            (b'"', b'\\') => {
                let escaped = match after.as_bytes().first()? {
                    b'\\' => '\\',
                    b'"' => '"',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    _ => return None,
                };
                value.push(escaped);
                rest = &after[1..];
            }
            _ => return Some((value, after)),
        }
    }
}

/// A flow collection on one line, of plain scalars and flow collections.
struct Flow<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl<'a> Flow<'a> {
    fn skip_spaces(&mut self) {
        while self.text.as_bytes().get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn next_is(&mut self, byte: u8) -> bool {
        let found = self.text.as_bytes().get(self.at) == Some(&byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn collection(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let is_mapping = self.text.as_bytes()[self.at] == b'{';
        let close = if is_mapping { b'}' } else { b']' };
        self.at += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        let mut entries = Map::new();
        if !self.next_is(close) {
            loop {
                if is_mapping {
                    let key = self.plain_text()?.to_string();
                    if !self.next_is(b':') || !self.next_is(b' ') {
                        return None;
                    }
                    self.skip_spaces();
                    let value = self.node()?;
                    if entries.insert(key, value).is_some() {
                        return None;
                    }
                } else {
                    items.push(self.node()?);
                }
                self.skip_spaces();
                if self.next_is(close) {
                    break;
                }
                if !self.next_is(b',') {
                    return None;
                }
                self.skip_spaces();
                // A trailing comma, or an empty entry, is left to the event parser.
                if matches!(self.text.as_bytes().get(self.at), Some(b',' | b']' | b'}')) {
                    return None;
                }
            }
        }
        self.depth -= 1;
        Some(if is_mapping {
            Value::Object(entries)
        } else {
            Value::Array(items)
        })
    }

    fn node(&mut self) -> Option<Value> {
        match self.text.as_bytes().get(self.at)? {
            b'[' | b'{' => self.collection(),
            _ => {
                let text = self.plain_text()?;
                resolve_plain(Cow::Borrowed(text)).ok()
            }
        }
    }

    /// A plain scalar in a flow collection, of characters that cannot mean anything else
    /// there: no flow indicator, colon, quote or comment sign.
    fn plain_text(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let first = *bytes.get(start)?;
        if is_indicator(first)
            && !(first == b'-' && bytes.get(start + 1).is_some_and(u8::is_ascii_alphanumeric))
        {
            return None;
        }
        let mut end = start;
        while let Some(&byte) = bytes.get(end) {
            if matches!(
                byte,
                b',' | b'[' | b']' | b'{' | b'}' | b':' | b'#' | b'"' | b'\''
            ) {
                break;
            }
            end += 1;
        }
        self.at = end;
        let text = self.text[start..end].trim_end_matches(' ');
        // The event parser refuses ` -` before a flow indicator inside a flow scalar.
        if find_pair(text, b' ', b'-').is_some() {
            return None;
        }
        (!text.is_empty()).then_some(text)
    }
}
