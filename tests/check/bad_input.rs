//! Hostile and broken input: each gets a clear diagnostic, never a panic, a hang or a download.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use typehouse::catalog::files::MAX_FILE_BYTES;
use typehouse::catalog::rules;

use crate::helpers::*;

// Unreadable files

#[test]
fn a_version_file_that_is_not_utf8_is_a_file_read_error() {
    let fixture = Fixture::valid();
    let mut bytes = GADGET.as_bytes().to_vec();
    bytes.extend_from_slice(b"description: caf\xe9 au lait\n");
    fixture.write(GADGET_PATH, bytes);
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::FILE_READ, GADGET_PATH, None);
    assert!(found.message.contains("UTF-8"), "{found}");
    assert_only_rule(&diagnostics, rules::FILE_READ);
}

#[test]
fn a_symbolic_link_is_a_file_read_error_and_is_not_followed() {
    let fixture = Fixture::valid();
    let outside = Fixture::empty();
    outside.write("secret.yaml", "password: hunter2\n");
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        fixture.path().join("acme/gadget/2.0.0.yaml"),
    )
    .expect("a symbolic link");
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::FILE_READ,
        "acme/gadget/2.0.0.yaml",
        None,
    );
    assert!(found.message.contains("symbolic link"), "{found}");
    assert!(!format!("{diagnostics:?}").contains("hunter2"));
    assert_only_rule(&diagnostics, rules::FILE_READ);
}

#[test]
fn a_schema_file_that_links_outside_the_catalog_is_refused() {
    let fixture = Fixture::valid();
    fixture.remove(WIDGET_SCHEMA_PATH);
    std::os::unix::fs::symlink("/etc/hostname", fixture.path().join(WIDGET_SCHEMA_PATH))
        .expect("a symbolic link");
    let diagnostics = fixture.check();
    expect_error(&diagnostics, rules::FILE_READ, WIDGET_SCHEMA_PATH, None);
    let found = expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(WIDGET, "schema: widget-config")),
    );
    assert!(found.message.contains("could not be read"), "{found}");
}

#[test]
fn a_special_file_is_a_file_read_error_and_is_not_opened() {
    let fixture = Fixture::valid();
    let fifo = fixture.path().join("acme/gadget/2.0.0.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    // No skipping: scripts/test installs mkfifo (coreutils).
    assert!(
        made.as_ref().is_ok_and(|status| status.success()),
        "mkfifo failed: {made:?}"
    );
    // Opening a FIFO for reading would block forever: this returns only if it is never opened.
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::FILE_READ,
        "acme/gadget/2.0.0.yaml",
        None,
    );
    assert!(found.message.contains("regular file"), "{found}");
}

/// Whether this process is root, which reads any file whatever its permissions.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|uids| uids.split_whitespace().nth(1))
            == Some("0")
    })
}

#[test]
fn a_file_without_read_permission_is_a_file_read_error() {
    use std::os::unix::fs::PermissionsExt;
    let fixture = Fixture::valid();
    let path = fixture.path().join(GADGET_PATH);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if !is_root() {
        let diagnostics = fixture.check();
        let found = expect_error(&diagnostics, rules::FILE_READ, GADGET_PATH, None);
        assert!(found.message.contains("cannot be read"), "{found}");
        return;
    }
    // Root reads any file: the check runs as `nobody`, with every privilege dropped, on a
    // fixture whose other files `nobody` may read.
    let mut pending = vec![fixture.path().to_path_buf()];
    while let Some(dir) = pending.pop() {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let entry_path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry_path);
            } else if entry_path != path {
                std::fs::set_permissions(&entry_path, std::fs::Permissions::from_mode(0o644))
                    .unwrap();
            }
        }
    }
    let mut ancestor = fixture.path().parent();
    while let Some(dir) = ancestor {
        // The temporary folder's parents must let `nobody` through.
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        assert!(
            mode & 0o001 != 0,
            "{} does not let other users through",
            dir.display()
        );
        ancestor = dir.parent();
    }
    let output = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_typehouse"))
        .args(["check", ".", "--format", "json"])
        .current_dir(fixture.path())
        .output()
        .expect("setpriv runs (util-linux; scripts/test installs it)");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "check as nobody: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let found = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            // Named as given on the command line: under `.`.
            let file = d["file"].as_str().unwrap_or_default();
            d["rule"] == rules::FILE_READ && file.trim_start_matches("./") == GADGET_PATH
        })
        .unwrap_or_else(|| panic!("no file-read error for {GADGET_PATH}: {report}"));
    assert!(
        found["message"]
            .as_str()
            .unwrap()
            .contains("cannot be read"),
        "{found}"
    );
}

// YAML that parses badly or dangerously

#[test]
fn a_duplicate_key_is_a_yaml_syntax_error_on_the_second_key() {
    let fixture = Fixture::valid();
    let text = fixture.edit(GADGET_PATH, "name: Gadget\n", "name: Gadget\nname: Gizmo\n");
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::YAML_SYNTAX,
        GADGET_PATH,
        Some(line_of(&text, "name: Gizmo")),
    );
    assert!(found.message.contains("duplicate"), "{found}");
    assert_only_rule(&diagnostics, rules::YAML_SYNTAX);
}

#[test]
fn a_duplicate_key_in_a_nested_mapping_is_a_yaml_syntax_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "    title: Gadget payload\n",
        "    title: Gadget payload\n    title: Gadget payload again\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::YAML_SYNTAX,
        GADGET_PATH,
        Some(line_of(&text, "title: Gadget payload again")),
    );
    assert!(found.message.contains("duplicate"), "{found}");
}

#[test]
fn a_duplicate_key_in_catalog_yaml_is_reported() {
    let fixture = Fixture::valid();
    fixture.write("catalog.yaml", format!("{CATALOG_YAML}name: again\n"));
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::CATALOG_FILE,
        "catalog.yaml",
        Some(CATALOG_YAML.lines().count() + 1),
    );
    assert!(found.message.contains("duplicate"), "{found}");
}

/// Nine levels of nine references each: 9^9 (387 million) strings once expanded.
fn billion_laughs() -> String {
    let mut text = String::from("lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..=9 {
        let previous = format!("*lol{}", level - 1);
        let list = [previous.as_str(); 9].join(", ");
        text.push_str(&format!("lol{level}: &lol{level} [{list}]\n"));
    }
    text
}

#[test]
fn a_yaml_alias_bomb_in_a_version_file_is_refused_quickly() {
    let fixture = Fixture::valid();
    fixture.write(
        GADGET_PATH,
        format!("{GADGET}x-laughs:\n{}", indent(&billion_laughs())),
    );
    let started = Instant::now();
    let diagnostics = fixture.check();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let found = of(&diagnostics, rules::YAML_SYNTAX, GADGET_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(found[0].is_error());
    assert!(found[0].message.contains("aliases expand"), "{}", found[0]);
}

#[test]
fn a_yaml_alias_bomb_in_catalog_yaml_is_refused_quickly() {
    let fixture = Fixture::valid();
    fixture.write(
        "catalog.yaml",
        format!("{CATALOG_YAML}laughs:\n{}", indent(&billion_laughs())),
    );
    let started = Instant::now();
    let diagnostics = fixture.check();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let found = of(&diagnostics, rules::CATALOG_FILE, "catalog.yaml");
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(found[0].is_error());
}

#[test]
fn a_small_alias_is_expanded_normally() {
    let fixture = Fixture::valid();
    fixture.edit(GADGET_PATH, "name: Gadget\n", "name: &name Gadget\n");
    fixture.edit(
        GADGET_PATH,
        "links:\n",
        "annotations:\n  - {key: com.acme.name, description: *name}\nlinks:\n",
    );
    assert_clean(&fixture.check());
}

#[test]
fn an_alias_of_a_mapping_where_a_string_belongs_is_a_definition_schema_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "  - mediaType: application/vnd.acme.gadget.layer.v1\n",
        "  - &layer\n    mediaType: application/vnd.acme.gadget.layer.v1\n",
    );
    let text = text.replace(
        "links:\n",
        "annotations:\n  - {key: com.acme.layer, description: *layer}\nlinks:\n",
    );
    fixture.write(GADGET_PATH, &text);
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::DEFINITION_SCHEMA,
        GADGET_PATH,
        Some(line_of(&text, "description: *layer")),
    );
}

#[test]
fn deeply_nested_yaml_is_refused() {
    let fixture = Fixture::valid();
    let depth = 10_000;
    fixture.write(
        GADGET_PATH,
        format!(
            "{GADGET}x-deep: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    );
    let diagnostics = fixture.check();
    let found = of(&diagnostics, rules::YAML_SYNTAX, GADGET_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(
        found[0].message.contains("nested too deeply"),
        "{}",
        found[0]
    );
    assert_eq!(found[0].line, Some(GADGET.lines().count() + 1));
}

#[test]
fn a_yaml_document_that_is_not_a_mapping_is_a_definition_schema_error() {
    let fixture = Fixture::valid();
    fixture.write(GADGET_PATH, "- just\n- a\n- list\n");
    let diagnostics = fixture.check();
    let found = of(&diagnostics, rules::DEFINITION_SCHEMA, GADGET_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert_eq!(found[0].line, Some(1));
}

#[test]
fn an_empty_version_file_is_reported() {
    let fixture = Fixture::valid();
    fixture.write(GADGET_PATH, "");
    let diagnostics = fixture.check();
    assert!(
        diagnostics
            .iter()
            .any(|d| d.file == GADGET_PATH && d.is_error()),
        "{}",
        show(&diagnostics)
    );
}

#[test]
fn several_yaml_documents_in_one_file_are_reported() {
    let fixture = Fixture::valid();
    fixture.write(GADGET_PATH, format!("{GADGET}---\n{GADGET}"));
    let diagnostics = fixture.check();
    assert_eq!(
        of(&diagnostics, rules::YAML_SYNTAX, GADGET_PATH).len(),
        1,
        "{}",
        show(&diagnostics)
    );
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

// Size

#[test]
fn a_version_file_over_one_mebibyte_is_refused_unread() {
    let fixture = Fixture::valid();
    let mut text = GADGET.to_string();
    text.push_str("description: |\n");
    while text.len() <= MAX_FILE_BYTES {
        text.push_str("  all work and no play makes a dull catalog\n");
    }
    fixture.write(GADGET_PATH, &text);
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::FILE_TOO_LARGE, GADGET_PATH, None);
    assert!(found.message.contains(&text.len().to_string()), "{found}");
    assert_only_rule(&diagnostics, rules::FILE_TOO_LARGE);
}

#[test]
fn a_schema_file_over_one_mebibyte_is_refused_unread() {
    let fixture = Fixture::valid();
    let padding = " ".repeat(MAX_FILE_BYTES);
    fixture.write(WIDGET_SCHEMA_PATH, format!("{padding}{WIDGET_SCHEMA}"));
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::FILE_TOO_LARGE,
        WIDGET_SCHEMA_PATH,
        None,
    );
    expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(WIDGET, "schema: widget-config")),
    );
}

#[test]
fn a_large_file_under_the_limit_is_checked_and_located_quickly() {
    let fixture = Fixture::valid();
    let mut text = GADGET.replace("status: active\n", "");
    text.push_str("fileExtensions:\n");
    let mut index = 0;
    while text.len() < MAX_FILE_BYTES - 1000 {
        text.push_str(&format!("  - .ext{index}\n"));
        index += 1;
    }
    text.push_str("status: retired\n");
    fixture.write(GADGET_PATH, &text);
    let started = Instant::now();
    let diagnostics = fixture.check();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let found = of(&diagnostics, rules::DEFINITION_SCHEMA, GADGET_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(found[0].message.contains("/status"), "{}", found[0]);
}

// Remote references are never fetched

/// A listener that would notice any connection `typehouse check` made.
struct Tripwire {
    listener: TcpListener,
}

impl Tripwire {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        listener.set_nonblocking(true).expect("non-blocking");
        Self { listener }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.listener.local_addr().unwrap())
    }

    fn assert_untouched(&self) {
        match self.listener.accept() {
            Err(error) if error.kind() == ErrorKind::WouldBlock => {}
            Err(error) => panic!("the listener failed: {error}"),
            Ok((_, peer)) => panic!("typehouse check connected to a remote $ref (from {peer})"),
        }
    }
}

#[test]
fn a_remote_ref_in_an_inline_schema_is_a_config_schema_error_and_is_never_fetched() {
    let tripwire = Tripwire::new();
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "      mode: {enum: [fast, slow]}\n",
        &format!(
            "      mode: {{$ref: '{}'}}\n",
            tripwire.url("mode.schema.json")
        ),
    );
    let diagnostics = fixture.check();
    tripwire.assert_untouched();
    let found = expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        GADGET_PATH,
        Some(line_of(&text, "  schema:")),
    );
    assert!(found.message.contains("never fetches"), "{found}");
    assert_only_rule(&diagnostics, rules::CONFIG_SCHEMA);
}

#[test]
fn a_remote_ref_in_a_schema_file_is_a_config_schema_error_and_is_never_fetched() {
    let tripwire = Tripwire::new();
    let fixture = Fixture::valid();
    fixture.write(
        WIDGET_SCHEMA_PATH,
        format!(
            r#"{{"type": "object", "properties": {{"name": {{"$ref": "{}"}}}}}}"#,
            tripwire.url("name.json")
        ),
    );
    let diagnostics = fixture.check();
    tripwire.assert_untouched();
    expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        WIDGET_PATH,
        Some(line_of(WIDGET, "  schema:")),
    );
}

#[test]
fn a_remote_base_id_does_not_make_relative_refs_fetchable() {
    let tripwire = Tripwire::new();
    let fixture = Fixture::valid();
    fixture.write(
        WIDGET_SCHEMA_PATH,
        format!(
            r#"{{"$id": "{}", "$ref": "other.schema.json"}}"#,
            tripwire.url("schemas/widget.schema.json")
        ),
    );
    let diagnostics = fixture.check();
    tripwire.assert_untouched();
    expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        WIDGET_PATH,
        Some(line_of(WIDGET, "  schema:")),
    );
}

#[test]
fn a_remote_meta_schema_is_never_fetched() {
    let tripwire = Tripwire::new();
    let fixture = Fixture::valid();
    fixture.write(
        WIDGET_SCHEMA_PATH,
        format!(
            r#"{{"$schema": "{}", "type": "object"}}"#,
            tripwire.url("meta.json")
        ),
    );
    // Config schemas are always read as draft 2020-12: `$schema` names no document to load.
    let diagnostics = fixture.check();
    tripwire.assert_untouched();
    assert!(
        diagnostics.iter().all(|d| d.rule == rules::CONFIG_SCHEMA),
        "{}",
        show(&diagnostics)
    );
}

#[test]
fn a_file_ref_is_a_config_schema_error_and_is_never_read() {
    let fixture = Fixture::valid();
    fixture.write(WIDGET_SCHEMA_PATH, r#"{"$ref": "file:///etc/passwd"}"#);
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        WIDGET_PATH,
        Some(line_of(WIDGET, "  schema:")),
    );
    assert!(!found.message.contains("root:"), "{found}");
}

#[test]
fn a_ref_cycle_between_sibling_schemas_does_not_hang() {
    let fixture = Fixture::valid();
    fixture
        .write(WIDGET_SCHEMA_PATH, r#"{"$ref": "loop.schema.json"}"#)
        .write(
            "acme/widget/loop.schema.json",
            r#"{"$ref": "widget-config.schema.json"}"#,
        );
    let started = Instant::now();
    let diagnostics = fixture.check();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // The validator resolves the cycle lazily: the schema compiles and the example is checked.
    assert_only_rule(&diagnostics, rules::CONFIG_SCHEMA);
}

#[test]
fn a_catastrophic_pattern_in_a_config_schema_runs_in_linear_time() {
    let fixture = Fixture::valid();
    fixture.write(
        WIDGET_SCHEMA_PATH,
        r#"{"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a+)+$"}}}"#,
    );
    let hostile = format!("{}b", "a".repeat(40));
    let text = fixture.edit(
        WIDGET_PATH,
        "{name: demo, size: 3}",
        &format!("{{name: {hostile}}}"),
    );
    let started = Instant::now();
    let diagnostics = fixture.check();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    expect_error(
        &diagnostics,
        rules::CONFIG_EXAMPLE,
        WIDGET_PATH,
        Some(line_of(&text, &hostile)),
    );
}

// Everything at once, through the binary: no panic

#[test]
fn the_binary_reports_a_catalog_of_hostile_files_without_panicking() {
    let tripwire = Tripwire::new();
    let fixture = Fixture::valid();
    fixture
        .write("acme/a/1.0.0.yaml", b"\xff\xfe\x00garbage")
        .write(
            "acme/b/1.0.0.yaml",
            format!("a:\n{}", indent(&billion_laughs())),
        )
        .write("acme/c/1.0.0.yaml", "key: [unclosed\n")
        .write("acme/d/1.0.0.yaml", "a: 1\na: 2\n")
        .write("acme/e/1.0.0.yaml", vec![b'#'; MAX_FILE_BYTES + 1])
        .write(
            WIDGET_SCHEMA_PATH,
            format!(r#"{{"$ref": "{}"}}"#, tripwire.url("x.json")),
        )
        .write(WIDGET_ICON_PATH, "<svg><script>alert(1)</script></svg>");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_typehouse"))
        .arg("check")
        .arg(fixture.path())
        .output()
        .expect("typehouse runs");
    tripwire.assert_untouched();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for rule in [
        rules::FILE_READ,
        rules::YAML_SYNTAX,
        rules::FILE_TOO_LARGE,
        rules::CONFIG_SCHEMA,
        rules::ICON_SVG,
    ] {
        assert!(
            stdout.contains(&format!("[{rule}]")),
            "{rule} missing:\n{stdout}"
        );
    }
}
