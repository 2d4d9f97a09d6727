//! The `typehouse` binary: exit codes, output formats and help.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use typehouse::catalog::rules;

use crate::helpers::*;

fn typehouse(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_typehouse"))
        .args(args)
        .current_dir(cwd)
        .env_remove("TYPEHOUSE_TYPES")
        .output()
        .expect("typehouse runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A fixture with one error (the widget's version) and nothing else.
fn with_one_error() -> (Fixture, String) {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "version: 1.0.0", "version: 1.0.1");
    (fixture, text)
}

/// A fixture whose only finding is a warning.
fn with_one_warning() -> Fixture {
    let fixture = Fixture::valid();
    fixture.write("acme/widget/notes.txt", "x");
    fixture
}

#[test]
fn check_exits_0_on_a_clean_catalog() {
    let fixture = Fixture::valid();
    let output = typehouse(&["check", "."], fixture.path());
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stdout(&output).contains("0 error(s), 0 warning(s)"),
        "{}",
        describe(&output)
    );
}

#[test]
fn check_reads_types_in_the_current_directory_by_default() {
    let fixture = Fixture::empty();
    Fixture::valid()
        .files()
        .write_to(&fixture.path().join("types"))
        .unwrap();
    let output = typehouse(&["check"], fixture.path());
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn check_exits_1_and_prints_file_line_column_and_rule_on_an_error() {
    let (fixture, text) = with_one_error();
    let output = typehouse(&["check", "catalog/"], parent_with(&fixture).path());
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let expected = format!(
        "catalog/{WIDGET_PATH}:{}:1: error[{}]:",
        line_of(&text, "version:"),
        rules::VERSION_FILENAME
    );
    assert!(stdout(&output).contains(&expected), "{}", describe(&output));
    assert!(stdout(&output).contains("1 error(s), 0 warning(s)"));
}

#[test]
fn check_exits_0_on_warnings_and_1_with_deny_warnings() {
    let fixture = with_one_warning();
    let dir = fixture.path().to_str().unwrap();
    let allowed = typehouse(&["check", dir], fixture.path());
    assert_eq!(allowed.status.code(), Some(0), "{}", describe(&allowed));
    assert!(stdout(&allowed).contains(&format!("warning[{}]", rules::LAYOUT)));

    let denied = typehouse(&["check", dir, "--deny-warnings"], fixture.path());
    assert_eq!(denied.status.code(), Some(1), "{}", describe(&denied));
}

#[test]
fn check_with_deny_warnings_exits_0_on_a_clean_catalog() {
    let fixture = Fixture::valid();
    let output = typehouse(&["check", ".", "--deny-warnings"], fixture.path());
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn check_exits_2_when_the_directory_does_not_exist() {
    let fixture = Fixture::empty();
    let output = typehouse(&["check", "no-such-dir"], fixture.path());
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no-such-dir"));
}

#[test]
fn check_exits_2_when_the_directory_is_a_file() {
    let fixture = Fixture::valid();
    let output = typehouse(&["check", "catalog.yaml"], fixture.path());
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

#[test]
fn check_exits_2_when_the_base_does_not_exist() {
    let fixture = Fixture::valid();
    let output = typehouse(&["check", ".", "--base", "no-such-base"], fixture.path());
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

#[test]
fn serve_exits_2_on_zero_workers_before_it_binds() {
    let fixture = Fixture::valid();
    for workers in ["--workers=0", "--workers=-1", "--workers=many"] {
        let output = typehouse(
            &["serve", "--types", ".", "--bind", "127.0.0.1:0", workers],
            fixture.path(),
        );
        assert_eq!(
            output.status.code(),
            Some(2),
            "{workers}: {}",
            describe(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--workers"), "{workers}: {stderr}");
        assert!(!stderr.contains("panicked"), "{workers}: {stderr}");
    }
}

#[test]
fn check_exits_2_on_an_unknown_format_or_option() {
    let fixture = Fixture::valid();
    for args in [
        &["check", ".", "--format", "xml"][..],
        &["check", ".", "--no-such-option"][..],
    ] {
        let output = typehouse(args, fixture.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            describe(&output)
        );
    }
}

#[test]
fn check_with_base_exits_1_when_a_published_file_changed() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = head.edit(GADGET_PATH, "name: Gadget", "name: Gadget II");
    let output = typehouse(
        &["check", ".", "--base", base.path().to_str().unwrap()],
        head.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let expected = format!(
        "./{GADGET_PATH}:{}: error[{}]",
        line_of(&text, "name:"),
        rules::PUBLISHED_MODIFIED
    );
    assert!(stdout(&output).contains(&expected), "{}", describe(&output));
}

#[test]
fn check_with_an_unchanged_base_exits_0() {
    let base = Fixture::valid();
    let head = base.copy();
    let output = typehouse(
        &["check", ".", "--base", base.path().to_str().unwrap()],
        head.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn json_output_parses_and_carries_rule_file_line_and_column() {
    let (fixture, text) = with_one_error();
    fixture.write("acme/widget/notes.txt", "x");
    let output = typehouse(
        &["check", "catalog", "--format", "json"],
        parent_with(&fixture).path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("the output is JSON");
    assert_eq!(report["errors"], 1, "{report:#}");
    assert_eq!(report["warnings"], 1, "{report:#}");
    let diagnostics = report["diagnostics"].as_array().expect("a list");
    let error = diagnostics
        .iter()
        .find(|d| d["severity"] == "error")
        .expect("the error");
    assert_eq!(error["rule"], rules::VERSION_FILENAME);
    assert_eq!(error["file"], format!("catalog/{WIDGET_PATH}"));
    assert_eq!(error["line"], line_of(&text, "version:"));
    assert_eq!(error["column"], 1);
    assert_eq!(error["pointer"], "/version");
    assert!(error["message"].as_str().unwrap().contains("1.0.1"));
    let warning = diagnostics
        .iter()
        .find(|d| d["severity"] == "warning")
        .expect("the warning");
    assert_eq!(warning["rule"], rules::LAYOUT);
    assert!(warning.get("line").is_none(), "{warning:#}");
}

#[test]
fn json_output_of_a_clean_catalog_is_an_empty_report() {
    let fixture = Fixture::valid();
    let output = typehouse(&["check", ".", "--format", "json"], fixture.path());
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("the output is JSON");
    assert_eq!(
        report,
        serde_json::json!({"errors": 0, "warnings": 0, "diagnostics": []})
    );
}

#[test]
fn github_output_is_one_annotation_per_problem() {
    let (fixture, text) = with_one_error();
    fixture.edit(
        GADGET_PATH,
        "spec: https://example.com/spec/gadget",
        "spec: http://example.com/spec/gadget",
    );
    fixture.write("acme/widget/notes.txt", "x");
    let output = typehouse(
        &["check", "catalog", "--format", "github"],
        parent_with(&fixture).path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let expected = format!(
        "::error file=catalog/{WIDGET_PATH},line={},col=1,title={}::",
        line_of(&text, "version:"),
        rules::VERSION_FILENAME
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&expected)),
        "{expected}\n{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("::error file=catalog/{GADGET_PATH},line="))),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            "::warning file=catalog/acme/widget/notes.txt,title={}::",
            rules::LAYOUT
        ))),
        "{out}"
    );
    for line in &lines {
        assert!(
            line.starts_with("::error file=") || line.starts_with("::warning file="),
            "{line}"
        );
    }
}

#[test]
fn github_output_escapes_newlines_in_messages() {
    let fixture = Fixture::valid();
    // serde_yaml messages span lines; a GitHub annotation must stay on one.
    fixture.write(GADGET_PATH, "a: [1\n");
    let output = typehouse(&["check", ".", "--format", "github"], fixture.path());
    let out = stdout(&output);
    for line in out.lines() {
        assert!(line.starts_with("::"), "{out}");
    }
}

#[test]
fn the_top_level_help_and_version_exit_0() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for flag in ["--help", "--version"] {
        let output = typehouse(&[flag], here);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{flag}: {}",
            describe(&output)
        );
    }
}

#[test]
fn every_subcommand_has_help() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let top = stdout(&typehouse(&["--help"], here));
    let commands: Vec<String> = top
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(String::from)
        .collect();
    for expected in ["check", "validate", "classify"] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected} missing:\n{top}"
        );
    }
    for command in &commands {
        let output = typehouse(&[command, "--help"], here);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command}: {}",
            describe(&output)
        );
        let help = stdout(&output);
        assert!(help.contains("Usage: typehouse"), "{command}: {help}");
    }
    let check = stdout(&typehouse(&["check", "--help"], here));
    for option in ["--base", "--format", "--deny-warnings", "[DIR]"] {
        assert!(check.contains(option), "{option} missing:\n{check}");
    }
    for format in ["human", "json", "github"] {
        assert!(check.contains(format), "{format} missing:\n{check}");
    }
}

/// A temporary directory holding a copy of the fixture as `catalog/`, to see paths in output.
fn parent_with(fixture: &Fixture) -> tempfile::TempDir {
    let parent = tempfile::tempdir().expect("a temporary directory");
    fixture
        .files()
        .write_to(&parent.path().join("catalog"))
        .expect("the copy is written");
    parent
}

/// Runs `script` in a non-interactive bash, with `$1` set to `arg`.
fn bash(script: &str, arg: &Path) -> Output {
    Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script, "bash"])
        .arg(arg)
        .output()
        .expect("bash runs (scripts/test installs it)")
}

/// The subcommands, from the command definition itself.
fn subcommands() -> Vec<String> {
    use clap::CommandFactory;
    typehouse::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

#[test]
fn the_bash_completion_registers_and_offers_subcommands_and_options() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = typehouse(&["completions", "bash"], here);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("typehouse.bash");
    std::fs::write(&script, &output.stdout).unwrap();
    // Source it as bash-completion would, find the function `complete` registered, and call it
    // the way readline does: words, the index of the word under the cursor, then
    // `command current previous` as arguments.
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let call = format!(
            "source \"$1\" || exit 3\n\
             spec=$(complete -p typehouse) || exit 4\n\
             echo \"spec: $spec\"\n\
             function=$(printf '%s\\n' \"$spec\" | sed -n 's/.*-F \\([^ ]*\\).*/\\1/p')\n\
             COMP_WORDS=({words})\n\
             COMP_CWORD={cword}\n\
             COMP_LINE='{line}'\n\
             COMP_POINT=${{#COMP_LINE}}\n\
             \"$function\" typehouse '{current}' '{previous}'\n\
             printf 'offer: %s\\n' \"${{COMPREPLY[@]}}\"",
            words = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
            current = words[words.len() - 1],
            previous = words[words.len() - 2],
        );
        let output = bash(&call, &script);
        assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
        let text = stdout(&output);
        assert!(
            text.lines()
                .any(|l| l.starts_with("spec: complete ") && l.ends_with(" typehouse")),
            "{text}"
        );
        text.lines()
            .filter_map(|l| l.strip_prefix("offer: "))
            .map(String::from)
            .collect::<Vec<String>>()
    };
    let offered = complete("typehouse ");
    for command in subcommands() {
        assert!(
            offered.contains(&command),
            "{command} not offered: {offered:?}"
        );
    }
    let offered = complete("typehouse check --");
    for option in ["--base", "--format", "--deny-warnings"] {
        assert!(offered.iter().any(|o| o == option), "{option}: {offered:?}");
    }
    let offered = complete("typehouse completions ");
    for shell in ["bash", "zsh", "fish"] {
        assert!(offered.iter().any(|o| o == shell), "{shell}: {offered:?}");
    }
}

#[test]
fn the_zsh_and_fish_completions_name_every_subcommand() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (shell, header) in [
        ("zsh", "#compdef typehouse"),
        ("fish", "complete -c typehouse"),
    ] {
        let output = typehouse(&["completions", shell], here);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            describe(&output)
        );
        let script = stdout(&output);
        assert!(script.contains(header), "{shell}:\n{script}");
        for command in subcommands() {
            assert!(
                script.contains(&format!("'{command}:"))
                    || script.contains(&format!("-a \"{command}\"")),
                "{shell} does not name {command}:\n{script}"
            );
        }
    }
}

#[test]
fn completions_for_an_unknown_shell_is_a_usage_error() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = typehouse(&["completions", "cmd.exe"], here);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("possible values") && stderr.contains("bash"),
        "{stderr}"
    );
}

/// Formats a roff page with man-db's `man -l`, roff warnings on; the text and the warnings.
fn man_l(page: &Path) -> (String, String) {
    let output = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("man runs (Debian package man-db; scripts/test installs it)");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_manual_page_renders_with_man_and_names_every_command() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = typehouse(&["man"], here);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("typehouse.1");
    std::fs::write(&page, &output.stdout).unwrap();
    let (text, warnings) = man_l(&page);
    assert!(warnings.trim().is_empty(), "roff warnings:\n{warnings}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "SUBCOMMANDS", "VERSION"] {
        assert!(
            text.lines().any(|l| l == section),
            "{section} missing:\n{text}"
        );
    }
    for command in subcommands() {
        assert!(
            text.contains(&format!("typehouse-{command}(1)")),
            "{command} missing:\n{text}"
        );
    }
}

#[test]
fn man_with_out_writes_a_page_per_command() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let output = typehouse(&["man", "--out", out.to_str().unwrap()], here);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let (text, warnings) = man_l(&out.join("typehouse-check.1"));
    assert!(warnings.trim().is_empty(), "roff warnings:\n{warnings}");
    for option in ["--base", "--format", "--deny-warnings"] {
        assert!(text.contains(option), "{option} missing:\n{text}");
    }
    for command in subcommands() {
        assert!(
            out.join(format!("typehouse-{command}.1")).is_file(),
            "{command}"
        );
    }
}

#[test]
fn exporting_from_a_data_directory_a_server_holds_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("types");
    std::fs::create_dir_all(&out).unwrap();
    // Held open as a running `serve` holds it.
    let _running = typehouse::store::Store::open(&data).unwrap();
    let output = typehouse(
        &[
            "submissions",
            "export",
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("in use by another typehouse process"),
        "{stderr}"
    );
    assert!(stderr.contains("Stop the server"), "{stderr}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}
