//! Filled actions cannot inject: the shared vectors hold for the Rust implementation, every
//! command filled from valid values (the vectors', and every template in `types/`) runs in
//! bash as exactly its argv and nothing else, and the `classify` command refuses hostile
//! values in each field.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use typehouse::catalog::command::split;
use typehouse::catalog::reference::{Field, Reference, ReferenceInput};
use typehouse::catalog::{Catalog, CatalogFiles};

/// The cases static/app.js passes too (tests/pages/action_vectors.js).
pub fn vectors() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/action-vectors.json");
    let text = std::fs::read_to_string(&path).expect("the vectors are readable");
    serde_json::from_str::<Vec<Value>>(&text).expect("the vectors are a JSON array")
}

fn input(values: &Value) -> ReferenceInput {
    let field = |name: &str| values.get(name).and_then(Value::as_str).map(String::from);
    ReferenceInput {
        registry: field("registry"),
        repository: field("repository"),
        tag: field("tag"),
        digest: field("digest"),
    }
}

/// Every metacharacter class, as a suffix that would create `MARKER` if a shell ran it.
pub const HOSTILE: [&str; 10] = [
    "$(touch MARKER)",
    "`touch MARKER`",
    ";touch MARKER",
    "&&touch MARKER",
    "|touch MARKER",
    ">MARKER",
    "\ntouch MARKER",
    "'$(touch MARKER)'",
    "\"$(touch MARKER)\"",
    " touch MARKER",
];

const SHA256: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

/// Valid values for every field, as the flags or query would carry them.
pub fn valid(field: Field) -> &'static str {
    match field {
        Field::Registry => "r.example:5000",
        Field::Repository => "team/app",
        Field::Tag => "1.0.0",
        Field::Digest => SHA256,
    }
}

/// Runs `command` in bash with its program replaced by `printf '%s\n'`, in an empty
/// directory, and asserts the words printed are exactly `argv` after the program and that
/// nothing was created.
pub fn assert_runs_as_argv(command: &str, argv: &[String]) {
    let program = typehouse::catalog::command::join(&argv[..1]);
    let rest = command
        .strip_prefix(&program)
        .unwrap_or_else(|| panic!("`{command}` starts with its program `{program}`"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s\\n'{rest}"))
        .current_dir(dir.path())
        .output()
        .expect("bash runs (scripts/test installs it with the base system)");
    assert!(output.status.success(), "`{command}`: {output:?}");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    let expected: String = argv[1..].iter().map(|w| format!("{w}\n")).collect();
    assert_eq!(printed, expected, "`{command}` printed other words");
    let created: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("the directory is readable")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert!(created.is_empty(), "`{command}` created {created:?}");
}

#[test]
fn the_shared_vectors_hold_for_the_rust_implementation() {
    let vectors = vectors();
    assert!(vectors.len() > 40, "the vectors are all there");
    for vector in &vectors {
        let note = vector["note"].as_str().unwrap_or_default();
        let parsed = Reference::parse(&input(&vector["values"]));
        if let Some(refused) = vector.get("refused") {
            let error = parsed.expect_err(note);
            let fields: Vec<&str> = error.fields().map(Field::as_str).collect();
            let expected: Vec<&str> = refused
                .as_array()
                .expect("refused is a list")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert_eq!(fields, expected, "{note}");
            for field in error.fields() {
                assert!(
                    error.to_string().contains(&format!("`{field}`")),
                    "{note}: the refusal names `{field}`"
                );
            }
            continue;
        }
        let reference = parsed.unwrap_or_else(|e| panic!("{note}: {e}"));
        let template = vector["template"].as_str().expect("a template");
        let filled = split(template).fill(&reference);
        let argv: Option<Vec<String>> =
            serde_json::from_value(vector["argv"].clone()).expect("argv is a list or null");
        assert_eq!(filled.argv, argv, "{note}");
        assert_eq!(
            filled.command,
            vector["command"].as_str().unwrap(),
            "{note}"
        );
        if let Some(argv) = &filled.argv {
            assert_runs_as_argv(&filled.command, argv);
        }
    }
}

#[test]
fn every_template_in_types_filled_with_valid_values_runs_as_its_argv() {
    let catalog = Catalog::load(CatalogFiles::embedded())
        .map(|(catalog, _)| catalog)
        .expect("the shipped catalog loads");
    let registries = ["r.example:5000", "127.0.0.1", "[::1]:5000"];
    let mut ran = 0;
    for entry in catalog.types() {
        for version in &entry.versions {
            let published = catalog.published(version).expect("readable");
            for registry in registries {
                for digest in [None, Some(SHA256)] {
                    let reference = Reference::parse(&ReferenceInput {
                        registry: Some(registry.into()),
                        repository: Some("team/app_1".into()),
                        tag: Some("v1.0-rc_1".into()),
                        digest: digest.map(String::from),
                    })
                    .expect("valid");
                    for template in &published.commands {
                        let filled = template.fill(&reference);
                        let Some(argv) = filled.argv else {
                            // Only a digest can be missing, and only without one.
                            assert!(
                                digest.is_none() && filled.command.contains("{digest}"),
                                "{}: `{}` has a placeholder without a value",
                                published.path,
                                filled.command
                            );
                            continue;
                        };
                        assert_runs_as_argv(&filled.command, &argv);
                        ran += 1;
                    }
                }
            }
        }
    }
    assert!(ran > 100, "ran {ran} commands");
}

fn typehouse_classify(args: &[&str]) -> std::process::Output {
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests/helm/chart.json");
    Command::new(env!("CARGO_BIN_EXE_typehouse"))
        .arg("classify")
        .arg(manifest)
        .args(args)
        .env_remove("TYPEHOUSE_TYPES")
        .output()
        .expect("typehouse runs")
}

#[test]
fn the_classify_command_refuses_hostile_values_in_every_field() {
    for field in Field::ALL {
        for hostile in HOSTILE {
            let value = format!("{}{hostile}", valid(field));
            let flag = format!("--{field}");
            let output = typehouse_classify(&[flag.as_str(), value.as_str()]);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{field} {hostile:?}: {stderr}"
            );
            assert!(output.stdout.is_empty(), "nothing is printed: {output:?}");
            assert!(
                stderr.contains(&format!("`{field}`")) && stderr.contains("grammar"),
                "{field}: {stderr}"
            );
        }
    }
}

#[test]
fn the_classify_commands_actions_carry_argv_and_run_as_it() {
    let mut args = Vec::new();
    for field in Field::ALL {
        args.push(format!("--{field}"));
        args.push(valid(field).to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = typehouse_classify(&args);
    assert!(output.status.success(), "{output:?}");
    let answer: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let actions = answer["actions"].as_array().expect("actions");
    assert!(!actions.is_empty());
    for action in actions {
        let argv: Vec<String> = serde_json::from_value(action["argv"].clone()).expect("argv");
        let command = action["command"].as_str().expect("command");
        assert!(command.contains("r.example:5000/team/app"), "{command}");
        assert_runs_as_argv(command, &argv);
    }
}
