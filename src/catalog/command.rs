//! Action templates as shell words. A template is split into words once, when the catalog
//! loads; a filled action is an argv first (each placeholder substituted inside its word),
//! and its command line is that argv with POSIX single quotes on every word that needs them,
//! so pasting it runs the program with exactly those words and nothing else.
//!
//! static/app.js does the same on the type page; tests/fixtures/action-vectors.json holds the
//! cases both must agree on.

use super::definition::PLACEHOLDERS;
use super::reference::Reference;

/// A piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    /// `{registry}`, `{tag}`, ...
    Placeholder(String),
}

/// One shell word of a template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word(pub Vec<Segment>);

/// What makes a template something other than a plain command with arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellProblem(pub String);

/// A template split into words, with what the split found wrong. A template with problems
/// still has words (an operator character kept as text), and filling them still quotes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandTemplate {
    pub words: Vec<Word>,
    pub problems: Vec<ShellProblem>,
}

/// A filled action: `argv` when every placeholder had a value, and the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub argv: Option<Vec<String>>,
    pub command: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// Splits `template` as a POSIX shell reads a simple command's words: blanks separate words,
/// single quotes keep everything, double quotes keep all but `$`, `` ` `` and `\`, and a
/// backslash keeps the next character. Operators, expansions and newlines are problems.
pub fn split(template: &str) -> CommandTemplate {
    let mut words = Vec::new();
    let mut problems = Vec::new();
    let mut problem = |message: String| {
        let problem = ShellProblem(message);
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    };
    let mut word: Option<Word> = None;
    let mut quote = Quote::None;
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == '\n' || c == '\r' {
            problem("a newline: a template is one command on one line".into());
            if quote == Quote::None {
                words.extend(word.take());
                continue;
            }
        }
        if c == '{' {
            if let Some(name) = placeholder_at(&chars[i..]) {
                i += name.len() + 1;
                word.get_or_insert_default()
                    .0
                    .push(Segment::Placeholder(name));
                continue;
            }
        }
        match quote {
            Quote::None => match c {
                ' ' | '\t' | '\n' | '\r' => {
                    words.extend(word.take());
                    continue;
                }
                '\'' => {
                    quote = Quote::Single;
                    word.get_or_insert_default();
                    continue;
                }
                '"' => {
                    quote = Quote::Double;
                    word.get_or_insert_default();
                    continue;
                }
                '\\' => {
                    match chars.get(i) {
                        Some(&next) if next != '\n' => {
                            push_char(&mut word, next);
                            i += 1;
                        }
                        _ => problem("a `\\` at the end of a line".into()),
                    }
                    continue;
                }
                ';' | '|' | '&' | '<' | '>' | '(' | ')' => {
                    let operator = operator_at(&chars[i - 1..]);
                    problem(format!(
                        "the shell operator `{operator}`: a template is one command, quote the character if it is text"
                    ));
                }
                '`' => problem("a backtick: command substitution".into()),
                '$' => problem(expansion(chars.get(i).copied())),
                _ => {}
            },
            Quote::Single => {
                if c == '\'' {
                    quote = Quote::None;
                    continue;
                }
            }
            Quote::Double => match c {
                '"' => {
                    quote = Quote::None;
                    continue;
                }
                '\\' if matches!(chars.get(i), Some('$' | '`' | '"' | '\\')) => {
                    push_char(&mut word, chars[i]);
                    i += 1;
                    continue;
                }
                '`' => problem("a backtick: command substitution".into()),
                '$' => problem(expansion(chars.get(i).copied())),
                _ => {}
            },
        }
        push_char(&mut word, c);
    }
    if quote != Quote::None {
        problem("an unclosed quote".into());
    }
    words.extend(word);
    if let Some(first) = words.first() {
        if first.0.iter().any(|s| matches!(s, Segment::Placeholder(_))) {
            problem(
                "a placeholder in the program (the first word): the program is the catalog's, never a value's"
                    .into(),
            );
        }
    }
    CommandTemplate { words, problems }
}

fn push_char(word: &mut Option<Word>, c: char) {
    let word = word.get_or_insert_default();
    match word.0.last_mut() {
        Some(Segment::Text(text)) => text.push(c),
        _ => word.0.push(Segment::Text(c.to_string())),
    }
}

/// The placeholder name after a `{`, when a known one closes with `}`.
fn placeholder_at(rest: &[char]) -> Option<String> {
    let close = rest.iter().position(|c| *c == '}')?;
    let name: String = rest[..close].iter().collect();
    PLACEHOLDERS.contains(&name.as_str()).then_some(name)
}

fn operator_at(at: &[char]) -> String {
    let two: String = at.iter().take(2).collect();
    match two.as_str() {
        "&&" | "||" | ";;" | ">>" | "<<" | "$(" => two,
        _ => at[0].to_string(),
    }
}

fn expansion(next: Option<char>) -> String {
    match next {
        Some('(') => "`$(`: command substitution".into(),
        _ => "a `$`: an expansion; a filled template is literal words".into(),
    }
}

impl CommandTemplate {
    /// Fills the placeholders `reference` has; the others stay visible as `{name}`, and then
    /// there is no argv.
    pub fn fill(&self, reference: &Reference) -> Filled {
        let mut argv = Vec::with_capacity(self.words.len());
        let mut shown = Vec::with_capacity(self.words.len());
        let mut complete = true;
        for word in &self.words {
            let mut text = String::new();
            // Only what stands for itself counts; an unfilled `{tag}` is a hint to the reader.
            let mut needs_quotes = false;
            for segment in &word.0 {
                match segment {
                    Segment::Text(t) => {
                        needs_quotes |= !is_plain(t);
                        text.push_str(t);
                    }
                    Segment::Placeholder(name) => match reference.placeholder(name) {
                        Some(value) => {
                            needs_quotes |= !is_plain(&value);
                            text.push_str(&value);
                        }
                        None => {
                            complete = false;
                            text.push('{');
                            text.push_str(name);
                            text.push('}');
                        }
                    },
                }
            }
            shown.push(if needs_quotes || text.is_empty() {
                quote(&text)
            } else {
                text.clone()
            });
            argv.push(text);
        }
        Filled {
            argv: complete.then_some(argv),
            command: shown.join(" "),
        }
    }
}

/// Characters no POSIX shell gives a meaning to anywhere in a word.
fn is_plain(text: &str) -> bool {
    text.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'@' | b'%' | b'+' | b'=' | b':' | b',' | b'.' | b'/' | b'_' | b'-'
            )
    })
}

/// `text` in single quotes, a quote inside written `'\''`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `argv` as a command line: each word quoted when it needs it.
pub fn join(argv: &[String]) -> String {
    argv.iter()
        .map(|w| {
            if w.is_empty() || !is_plain(w) {
                quote(w)
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::reference::ReferenceInput;

    fn texts(template: &str) -> Vec<String> {
        split(template)
            .fill(&Reference::default())
            .command
            .split(' ')
            .map(String::from)
            .collect()
    }

    #[test]
    fn quotes_are_removed_and_words_kept() {
        let t = split(r#"docker model run {registry}/{repository}{reference} "Hello world" 'a b'"#);
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        assert_eq!(t.words.len(), 6);
        let reference = Reference::parse(&ReferenceInput {
            registry: Some("r.example".into()),
            repository: Some("m".into()),
            tag: Some("1".into()),
            digest: None,
        })
        .unwrap();
        let filled = t.fill(&reference);
        assert_eq!(
            filled.argv.unwrap(),
            [
                "docker",
                "model",
                "run",
                "r.example/m:1",
                "Hello world",
                "a b"
            ]
        );
        assert_eq!(
            filled.command,
            "docker model run r.example/m:1 'Hello world' 'a b'"
        );
    }

    #[test]
    fn unfilled_placeholders_stay_visible_and_leave_no_argv() {
        let filled = split("helm pull oci://{registry}/{repository} --version {tag}")
            .fill(&Reference::default());
        assert_eq!(filled.argv, None);
        assert_eq!(
            filled.command,
            "helm pull oci://{registry}/{repository} --version {tag}"
        );
        assert_eq!(texts("a {unknown}"), ["a", "'{unknown}'"]);
    }

    #[test]
    fn operators_expansions_and_placeholder_programs_are_problems() {
        for template in [
            "a; b",
            "a | b",
            "a && b",
            "a || b",
            "a & b",
            "a < b",
            "a > b",
            "a `id`",
            "a $(id)",
            "a \"$(id)\"",
            "a $HOME",
            "a\nb",
            "a 'b",
            "{name} install",
            "x{registry} y",
            "cosign verify --type <predicate> x",
        ] {
            assert!(!split(template).problems.is_empty(), "{template:?}");
        }
        for template in [
            "a 'x;y|z' \"<a>\" b\\;c",
            "helm install {name} oci://{registry}",
        ] {
            assert!(split(template).problems.is_empty(), "{template:?}");
        }
    }

    #[test]
    fn quote_breaks_are_escaped() {
        assert_eq!(
            join(&["it's".into(), String::new(), "a".into()]),
            r"'it'\''s' '' a"
        );
    }
}
