//! The module map in `src/lib.rs` is the rule: every arrow between modules in `src/` (a
//! `crate::`, `super::` or external crate path) must be one the map's tables allow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The rows of the lib.rs table whose header starts with `header`: first cell, and the names
/// in the second, without backticks.
fn table(lib: &str, header: &str) -> Vec<(String, Vec<String>)> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(line) = line.strip_prefix("//!") else {
            continue;
        };
        let line = line.trim();
        if line.starts_with(header) {
            inside = true;
            continue;
        }
        if !inside || line.starts_with("|---") {
            continue;
        }
        if !line.starts_with('|') {
            if !rows.is_empty() {
                break;
            }
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let names = |cell: &str| -> Vec<String> {
            cell.split(',')
                .map(|n| n.trim().trim_matches('`').to_string())
                .filter(|n| !n.is_empty())
                .collect()
        };
        rows.push((
            cells[0].trim_matches('`').to_string(),
            names(cells.get(1).copied().unwrap_or("")),
        ));
    }
    rows
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// `http/handlers/types.rs` -> `["http", "handlers", "types"]`; `mod.rs` names its folder.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The text without comments and string literals, so that only code is searched.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for next in chars.by_ref() {
                    if next == '\n' {
                        out.push('\n');
                    }
                    if escaped {
                        escaped = false;
                    } else if next == '\\' {
                        escaped = true;
                    } else if next == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            // Brace characters would throw off the matching of module bodies.
            '\'' if matches!(chars.peek(), Some('{' | '}')) => {
                chars.next();
                out.push_str("' ");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path a `use` item names, braces expanded: `use a::{b, c::d};` -> `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').expect("a closing brace")];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_string()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// The inline modules of a file (`mod tests { ... }`): name, and the byte range of the body.
fn inline_modules(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices("mod ") {
        let rest = &code[at + 4..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        found.push((name.clone(), open..open + i));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// Every path in `code` with its line: `use` items and paths written inline.
fn paths_in(code: &str) -> Vec<(usize, String)> {
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut uses = Vec::new();
    let mut at = 0;
    while let Some(start) = code[at..].find("use ").map(|i| i + at) {
        at = start + 4;
        let before = code[..start].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = code[start..].find(';').map(|i| i + start) else {
            break;
        };
        for path in expand(&code[start + 4..end]) {
            found.push((line_of(start), path));
        }
        uses.push(start..end);
        at = end;
    }
    for prefix in [
        "crate::",
        "super::",
        "actix_web::",
        "sled::",
        "askama::",
        "utoipa::",
    ] {
        for (index, _) in code.match_indices(prefix) {
            let before = code[..index].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                || uses.iter().any(|u| u.contains(&index))
            {
                continue;
            }
            let path: String = code[index..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            found.push((line_of(index), path.trim_end_matches(':').to_string()));
        }
    }
    found
}

/// A path as seen from `module`, made absolute (`super::x` -> the parent's `x`); `None` for
/// paths that leave the crate (std, external crates) or stay inside one file.
fn resolve(module: &[String], path: &str) -> Option<Vec<String>> {
    let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    let mut base: Vec<String> = match parts.first().copied() {
        Some("crate") => {
            parts.remove(0);
            Vec::new()
        }
        Some("super") => {
            let mut base = module.to_vec();
            while parts.first() == Some(&"super") {
                parts.remove(0);
                base.pop();
            }
            base
        }
        _ => return None,
    };
    base.extend(parts.iter().map(|p| p.to_string()));
    Some(base)
}

/// The arrows that `lib`'s map does not allow among `files` (paths relative to `src/`, and
/// their text), each as `src/FILE:LINE: what`.
fn violations(lib: &str, files: &[(String, String)]) -> Vec<String> {
    let layers = table(lib, "| module | uses |");
    let crates = table(lib, "| crate | only in |");
    assert!(
        layers.len() >= 12 && crates.len() >= 3,
        "the map's tables are not found in lib.rs"
    );
    let allowed: BTreeMap<&str, &Vec<String>> = layers
        .iter()
        .filter(|(m, _)| !m.contains("::"))
        .map(|(m, to)| (m.as_str(), to))
        .collect();
    let siblings: Vec<(&str, &Vec<String>)> = layers
        .iter()
        .filter_map(|(m, to)| m.strip_suffix("::*").map(|group| (group, to)))
        .collect();

    let mut wrong = Vec::new();
    for (shown, text) in files {
        let module = module_of(Path::new(shown));
        let Some(top) = module.first().cloned() else {
            continue;
        };
        if top == "main" {
            continue;
        }
        let code = code_only(text);
        let inline = inline_modules(&code);
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(code.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        for (line, path) in paths_in(&code) {
            // A path inside `mod tests { ... }` is relative to that module.
            let at = line_starts[line - 1];
            let mut module = module.clone();
            if let Some((name, _)) = inline.iter().find(|(_, body)| body.contains(&at)) {
                module.push(name.clone());
            }
            // External crates that only some modules may use.
            let first = path.split("::").next().unwrap_or_default();
            if let Some((_, only)) = crates.iter().find(|(name, _)| name == first) {
                if !only.contains(&top) {
                    wrong.push(format!(
                        "src/{shown}:{line}: `{top}` uses the crate `{first}`"
                    ));
                }
                continue;
            }
            let Some(target) = resolve(&module, &path) else {
                continue;
            };
            let Some(target_top) = target.first() else {
                continue;
            };
            if !allowed.contains_key(target_top.as_str()) {
                continue; // a name inside the crate root's own items, or a local module
            }
            if *target_top != top {
                if !allowed
                    .get(top.as_str())
                    .is_some_and(|to| to.contains(target_top))
                {
                    wrong.push(format!(
                        "src/{shown}:{line}: `{top}` uses `{target_top}` ({path})"
                    ));
                }
                continue;
            }
            for (group, to) in &siblings {
                let group: Vec<&str> = group.split("::").collect();
                let under = |m: &[String]| {
                    m.len() > group.len() && m.iter().zip(&group).all(|(a, b)| a == b)
                };
                if under(&module) && under(&target) && module[group.len()] != target[group.len()] {
                    let sibling = target[..=group.len()].join("::");
                    if !to.contains(&sibling) {
                        wrong.push(format!(
                            "src/{shown}:{line}: `{}` uses its sibling `{sibling}`",
                            module.join("::")
                        ));
                    }
                }
            }
        }
    }
    wrong
}

fn lib_rs() -> String {
    std::fs::read_to_string(Path::new(SRC).join("lib.rs")).expect("lib.rs")
}

#[test]
fn every_arrow_between_modules_is_one_the_map_in_lib_rs_allows() {
    let mut paths = Vec::new();
    rust_files(Path::new(SRC), &mut paths);
    let files: Vec<(String, String)> = paths
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(SRC).expect("under src");
            (
                relative.display().to_string(),
                std::fs::read_to_string(path).expect("readable"),
            )
        })
        .collect();
    assert!(files.len() > 40, "src/ has {} files", files.len());
    let wrong = violations(&lib_rs(), &files);
    assert!(
        wrong.is_empty(),
        "arrows the map in src/lib.rs does not allow:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_cycles_the_layers_replaced_are_refused_with_file_and_line() {
    let files: Vec<(String, String)> = [
        ("site.rs", "use crate::http::state::index_document;\n"),
        (
            "oci/artifact.rs",
            "\nuse crate::http::state::index_document;\n",
        ),
        ("service/reload.rs", "use crate::oci::{self, Remote};\n"),
        (
            "image/mod.rs",
            "fn f() -> actix_web::HttpResponse { todo!() }\n",
        ),
        (
            "http/handlers/pages.rs",
            "use super::{submissions::Submissions, types::TypeQuery};\n",
        ),
        (
            "http/handlers/types.rs",
            "fn f() { super::pages::catalog(); }\n",
        ),
        ("pages/catalog.rs", "use crate::store::Store;\n"),
        ("catalog/mod.rs", "use crate::submission::Submission;\n"),
    ]
    .into_iter()
    .map(|(path, text)| (path.to_string(), text.to_string()))
    .collect();
    let wrong = violations(&lib_rs(), &files);
    for expected in [
        "src/site.rs:1: `site` uses `http`",
        "src/oci/artifact.rs:2: `oci` uses `http`",
        "src/service/reload.rs:1: `service` uses `oci`",
        "src/image/mod.rs:1: `image` uses the crate `actix_web`",
        "src/http/handlers/pages.rs:1: `http::handlers::pages` uses its sibling `http::handlers::submissions`",
        "src/http/handlers/pages.rs:1: `http::handlers::pages` uses its sibling `http::handlers::types`",
        "src/http/handlers/types.rs:1: `http::handlers::types` uses its sibling `http::handlers::pages`",
        "src/pages/catalog.rs:1: `pages` uses `store`",
        "src/catalog/mod.rs:1: `catalog` uses `submission`",
    ] {
        assert!(
            wrong.iter().any(|w| w.starts_with(expected)),
            "missing `{expected}` in:\n{}",
            wrong.join("\n")
        );
    }
    let unexpected: Vec<&String> = wrong
        .iter()
        .filter(|w| {
            !w.contains("uses `")
                && !w.contains("uses its sibling")
                && !w.contains("uses the crate")
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}

#[test]
fn the_arrow_check_sees_braced_relative_and_inline_paths() {
    let code = code_only(
        "use super::{shared::{a, b}, types};\n// use crate::http::x;\nfn f() { crate::oci::pull(\"crate::x\"); }\n",
    );
    let found: Vec<String> = paths_in(&code).into_iter().map(|(_, p)| p).collect();
    assert!(found.contains(&"super::shared::a".to_string()), "{found:?}");
    assert!(found.contains(&"super::types".to_string()), "{found:?}");
    assert!(found.contains(&"crate::oci::pull".to_string()), "{found:?}");
    assert!(
        !found.iter().any(|p| p.contains("http") || p == "crate::x"),
        "{found:?}"
    );
    let module: Vec<String> = ["http", "handlers", "pages"].map(String::from).to_vec();
    assert_eq!(
        resolve(&module, "super::types::list"),
        Some(
            ["http", "handlers", "types", "list"]
                .map(String::from)
                .to_vec()
        )
    );
}
