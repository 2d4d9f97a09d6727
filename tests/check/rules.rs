//! One fixture per rule of `typehouse check` that breaks it, asserting the rule, file and line.

use typehouse::catalog::diagnostic::Diagnostic;
use typehouse::catalog::rules;

use crate::helpers::*;

#[test]
fn every_rule_has_a_test_that_breaks_it() {
    let rule_names = include_str!("../../src/catalog/rules.rs")
        .lines()
        .filter_map(|line| line.strip_prefix("pub const "))
        .filter_map(|line| line.split(':').next());
    let tests = [
        include_str!("rules.rs"),
        include_str!("bad_input.rs"),
        include_str!("base.rs"),
    ]
    .concat();
    let untested: Vec<&str> = rule_names
        .filter(|name| !tests.contains(&format!("rules::{name},")))
        .collect();
    assert!(untested.is_empty(), "rules without a test: {untested:?}");
}

#[test]
fn the_fixture_catalog_is_clean() {
    assert_clean(&Fixture::valid().check());
}

// catalog-file

#[test]
fn a_catalog_without_catalog_yaml_is_reported() {
    let fixture = Fixture::valid();
    fixture.remove("catalog.yaml");
    let diagnostics = fixture.check();
    expect_error(&diagnostics, rules::CATALOG_FILE, "catalog.yaml", None);
    assert_only_rule(&diagnostics, rules::CATALOG_FILE);
}

#[test]
fn an_unknown_field_in_catalog_yaml_is_reported_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit("catalog.yaml", "homepage:", "homepgae:");
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::CATALOG_FILE,
        "catalog.yaml",
        Some(line_of(&text, "homepgae")),
    );
    assert!(found.message.contains("homepgae"), "{found}");
}

#[test]
fn a_catalog_version_that_is_not_semver_is_reported() {
    let fixture = Fixture::valid();
    fixture.edit("catalog.yaml", "version: 1.0.0", "version: one");
    let diagnostics = fixture.check();
    let found = of(&diagnostics, rules::CATALOG_FILE, "catalog.yaml");
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(found[0].is_error());
}

#[test]
fn a_catalog_yaml_that_is_not_utf8_is_reported() {
    let fixture = Fixture::valid();
    fixture.write("catalog.yaml", b"name: caf\xe9\nversion: 1.0.0\n");
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::CATALOG_FILE, "catalog.yaml", None);
    assert!(found.message.contains("UTF-8"), "{found}");
}

#[test]
fn a_catalog_without_definition_schema_json_is_reported() {
    let fixture = Fixture::valid();
    fixture.remove("definition.schema.json");
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::CATALOG_FILE,
        "definition.schema.json",
        None,
    );
    assert_only_rule(&diagnostics, rules::CATALOG_FILE);
}

#[test]
fn a_definition_schema_that_differs_from_the_built_in_one_is_a_warning() {
    let fixture = Fixture::valid();
    fixture.write("definition.schema.json", r#"{"type": "object"}"#);
    let diagnostics = fixture.check();
    expect_warning(
        &diagnostics,
        rules::CATALOG_FILE,
        "definition.schema.json",
        None,
    );
    assert_no_errors(&diagnostics);
}

// layout

#[test]
fn a_stray_file_at_the_catalog_root_is_a_layout_error() {
    let fixture = Fixture::valid();
    fixture.write("widget.yaml", WIDGET);
    let diagnostics = fixture.check();
    expect_error(&diagnostics, rules::LAYOUT, "widget.yaml", None);
    assert_only_rule(&diagnostics, rules::LAYOUT);
}

#[test]
fn a_version_file_nested_too_deep_is_a_layout_error() {
    let fixture = Fixture::valid();
    fixture.write("acme/widget/old/1.0.0.yaml", WIDGET);
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::LAYOUT,
        "acme/widget/old/1.0.0.yaml",
        None,
    );
    assert_only_rule(&diagnostics, rules::LAYOUT);
}

#[test]
fn an_unexpected_file_in_a_type_folder_is_a_layout_warning() {
    let fixture = Fixture::valid();
    fixture.write("acme/widget/notes.txt", "remember the milk\n");
    let diagnostics = fixture.check();
    expect_warning(&diagnostics, rules::LAYOUT, "acme/widget/notes.txt", None);
    assert_no_errors(&diagnostics);
}

#[test]
fn markdown_files_and_hidden_files_are_not_layout_problems() {
    let fixture = Fixture::valid();
    fixture
        .write("README.md", "# The catalog\n")
        .write("acme/widget/README.md", "# Widget\n")
        .write("acme/widget/.1.0.0.yaml.swp", b"\0\0binary")
        .write(".DS_Store", b"\0\x01");
    assert_clean(&fixture.check());
}

// file-read and file-too-large: see bad_input.rs

// yaml-syntax

#[test]
fn a_yaml_syntax_error_is_reported_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "    title: Widget archive",
        "    title: [Widget archive",
    );
    let diagnostics = fixture.check();
    let found = of(&diagnostics, rules::YAML_SYNTAX, WIDGET_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    // The parser notices the missing `]` where the flow sequence runs into the next key.
    let line = found[0].line.expect("a syntax error carries a line");
    assert!(
        (line_of(&text, "[Widget archive")..=line_of(&text, "required: true")).contains(&line),
        "{}",
        found[0]
    );
    assert!(found[0].column.is_some(), "{}", found[0]);
    assert_only_rule(&diagnostics, rules::YAML_SYNTAX);
}

#[test]
fn a_tab_indented_line_is_a_yaml_syntax_error_on_that_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "    required: true", "\trequired: true");
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::YAML_SYNTAX,
        WIDGET_PATH,
        Some(line_of(&text, "\trequired")),
    );
}

// definition-schema

#[test]
fn a_summary_over_120_characters_is_reported_on_the_summary_line() {
    let fixture = Fixture::valid();
    let long = "x".repeat(121);
    let text = fixture.edit(
        WIDGET_PATH,
        "summary: A widget bundle, for tests",
        &format!("summary: {long}"),
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::DEFINITION_SCHEMA,
        WIDGET_PATH,
        Some(line_of(&text, "summary:")),
    );
    assert_eq!(found.pointer.as_deref(), Some("/summary"));
    assert_eq!(found.column, Some(1));
}

#[test]
fn an_unknown_field_is_reported_as_a_definition_schema_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "status: active\n",
        "status: active\ncolour: blue\n",
    );
    let diagnostics = fixture.check();
    // The schema reports an unknown property at the document itself, which starts at its first key.
    let found = expect_error(
        &diagnostics,
        rules::DEFINITION_SCHEMA,
        WIDGET_PATH,
        Some(line_of(&text, "version:")),
    );
    assert!(found.message.contains("colour"), "{found}");
}

#[test]
fn a_missing_required_field_is_reported_as_a_definition_schema_error() {
    let fixture = Fixture::valid();
    fixture.edit(
        GADGET_PATH,
        "owners:\n  - name: Acme gadgets\n    email: gadgets@example.com\n",
        "",
    );
    let diagnostics = fixture.check();
    let found = of(&diagnostics, rules::DEFINITION_SCHEMA, GADGET_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(found[0].message.contains("owners"), "{}", found[0]);
    assert!(found[0].line.is_some(), "{}", found[0]);
    assert_only_rule(&diagnostics, rules::DEFINITION_SCHEMA);
}

#[test]
fn an_unknown_status_is_reported_on_the_status_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(GADGET_PATH, "status: active", "status: retired");
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::DEFINITION_SCHEMA,
        GADGET_PATH,
        Some(line_of(&text, "status: retired")),
    );
}

// version-filename

#[test]
fn a_version_file_whose_name_differs_from_its_version_is_reported_on_the_version_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "version: 1.0.0", "version: 1.0.1");
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::VERSION_FILENAME,
        WIDGET_PATH,
        Some(line_of(&text, "version: 1.0.1")),
    );
    assert_eq!(found.column, Some(1));
    assert!(found.message.contains("1.0.1.yaml"), "{found}");
    assert_only_rule(&diagnostics, rules::VERSION_FILENAME);
}

#[test]
fn a_version_file_not_named_after_a_version_is_reported() {
    let fixture = Fixture::valid();
    fixture
        .remove(GADGET_PATH)
        .write("acme/gadget/latest.yaml", GADGET);
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::VERSION_FILENAME,
        "acme/gadget/latest.yaml",
        Some(line_of(GADGET, "version:")),
    );
}

// type-id

#[test]
fn a_type_folder_with_uppercase_letters_is_a_type_id_error() {
    let fixture = Fixture::valid();
    fixture.write("Acme/doohickey/1.0.0.yaml", doohickey());
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::TYPE_ID,
        "Acme/doohickey/1.0.0.yaml",
        None,
    );
    assert!(found.message.contains("Acme"), "{found}");
    assert_only_rule(&diagnostics, rules::TYPE_ID);
}

#[test]
fn a_type_folder_with_a_double_dash_is_a_type_id_error() {
    let fixture = Fixture::valid();
    fixture.write("acme/doo--hickey/1.0.0.yaml", doohickey());
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::TYPE_ID,
        "acme/doo--hickey/1.0.0.yaml",
        None,
    );
}

#[test]
fn a_vendor_named_like_a_top_level_media_type_is_a_type_id_error() {
    let fixture = Fixture::valid();
    fixture.write("application/doohickey/1.0.0.yaml", doohickey());
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::TYPE_ID,
        "application/doohickey/1.0.0.yaml",
        None,
    );
    assert!(found.message.contains("top-level"), "{found}");
}

/// A third valid type, for folders named badly.
fn doohickey() -> String {
    GADGET
        .replace("acme.gadget", "acme.doohickey")
        .replace("Gadget", "Doohickey")
}

// media-type

#[test]
fn a_media_type_with_a_space_is_an_error_on_its_line_and_column() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1",
        "artifactType: application/vnd.acme gadget.v1",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::MEDIA_TYPE,
        GADGET_PATH,
        Some(line_of(&text, "artifactType:")),
    );
    assert_eq!(found.pointer.as_deref(), Some("/artifactType"));
    assert_only_rule(&diagnostics, rules::MEDIA_TYPE);
}

#[test]
fn a_layer_media_type_with_parameters_is_an_error_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "  - mediaType: application/vnd.acme.gadget.layer.v1\n",
        "  - mediaType: application/vnd.acme.gadget.layer.v1;version=2\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::MEDIA_TYPE,
        GADGET_PATH,
        Some(line_of(&text, ";version=2")),
    );
    assert_eq!(
        found.column,
        Some(column_of(
            &text,
            "mediaType: application/vnd.acme.gadget.layer"
        ))
    );
    assert!(found.message.contains("parameters"), "{found}");
}

#[test]
fn an_unregistered_suffix_is_a_media_type_warning_not_an_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "application/vnd.acme.gadget.layer.v1\n",
        "application/vnd.acme.gadget.layer.v1+rego\n",
    );
    let diagnostics = fixture.check();
    let found = expect_warning(
        &diagnostics,
        rules::MEDIA_TYPE,
        GADGET_PATH,
        Some(line_of(&text, "+rego")),
    );
    assert!(found.message.contains("+rego"), "{found}");
    assert_no_errors(&diagnostics);
}

#[test]
fn an_uppercase_media_type_is_a_warning() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1",
        "artifactType: application/vnd.Acme.gadget.v1",
    );
    let diagnostics = fixture.check();
    expect_warning(
        &diagnostics,
        rules::MEDIA_TYPE,
        GADGET_PATH,
        Some(line_of(&text, "artifactType:")),
    );
    assert_no_errors(&diagnostics);
}

// identifying-unique

#[test]
fn two_types_claiming_one_artifact_type_are_both_reported() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1",
        "artifactType: application/vnd.acme.widget.v1+json",
    );
    let diagnostics = fixture.check();
    let gadget = expect_error(
        &diagnostics,
        rules::IDENTIFYING_UNIQUE,
        GADGET_PATH,
        Some(line_of(&text, "artifactType:")),
    );
    expect_error(
        &diagnostics,
        rules::IDENTIFYING_UNIQUE,
        WIDGET_PATH,
        Some(line_of(WIDGET, "artifactType:")),
    );
    assert!(
        gadget.message.contains("acme/gadget") && gadget.message.contains("acme/widget"),
        "{gadget}"
    );
    assert_only_rule(&diagnostics, rules::IDENTIFYING_UNIQUE);
}

#[test]
fn an_identifying_media_type_is_compared_without_case() {
    let fixture = Fixture::valid();
    fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1",
        "aliases: [application/vnd.acme.widget.v1+JSON]\nartifactType: application/vnd.acme.gadget.v1",
    );
    let diagnostics = fixture.check();
    assert_eq!(
        of(&diagnostics, rules::IDENTIFYING_UNIQUE, GADGET_PATH).len(),
        1,
        "{}",
        show(&diagnostics)
    );
}

#[test]
fn types_sharing_a_media_type_but_told_apart_by_match_are_fine() {
    let fixture = Fixture::valid();
    fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1",
        "artifactType: application/vnd.acme.widget.v1+json\nmatch:\n  - annotation: com.acme.kind\n    equals: gadget",
    );
    assert_no_errors(&fixture.check());
}

/// Widget and gadget share widget's `artifactType`, widget has an identifying layer of its own,
/// and gadget has two versions; only `gadget_own_layer_in` has an identifying layer of its own.
fn widget_and_two_gadgets(gadget_own_layer_in: &str) -> (Fixture, Vec<Diagnostic>) {
    const GADGET_1_1_PATH: &str = "acme/gadget/1.1.0.yaml";
    let fixture = Fixture::valid();
    fixture.edit(
        WIDGET_PATH,
        "    maxCount: 1\n",
        "    maxCount: 1\n    identifying: true\n",
    );
    fixture.write(
        GADGET_1_1_PATH,
        GADGET.replace("version: 1.0.0", "version: 1.1.0"),
    );
    for path in [GADGET_PATH, GADGET_1_1_PATH] {
        fixture.edit(
            path,
            "artifactType: application/vnd.acme.gadget.v1",
            "artifactType: application/vnd.acme.widget.v1+json",
        );
    }
    fixture.edit(
        &format!("acme/gadget/{gadget_own_layer_in}.yaml"),
        "    title: Gadget payload\n",
        "    title: Gadget payload\n    identifying: true\n",
    );
    let diagnostics = fixture.check();
    (fixture, diagnostics)
}

#[test]
fn types_sharing_a_media_type_are_told_apart_by_the_layers_of_their_latest_versions() {
    let (_fixture, diagnostics) = widget_and_two_gadgets("1.1.0");
    assert_no_errors(&diagnostics);

    // The older version's own layer does not count once the latest has none.
    let (_fixture, diagnostics) = widget_and_two_gadgets("1.0.0");
    let line = Some(line_of(WIDGET, "artifactType:"));
    expect_error(&diagnostics, rules::IDENTIFYING_UNIQUE, WIDGET_PATH, line);
    // Reported where the type first claims the media type.
    let line = Some(line_of(GADGET, "artifactType:"));
    let gadget = expect_error(&diagnostics, rules::IDENTIFYING_UNIQUE, GADGET_PATH, line);
    assert!(
        gadget.message.contains("acme/gadget, acme/widget"),
        "{gadget}"
    );
    assert_only_rule(&diagnostics, rules::IDENTIFYING_UNIQUE);
}

#[test]
fn an_identifying_layer_of_the_empty_descriptor_is_reported() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "    title: Gadget payload\n",
        "    title: Gadget payload\n  - mediaType: application/vnd.oci.empty.v1+json\n    title: Nothing\n    identifying: true\n",
    );
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::IDENTIFYING_UNIQUE,
        GADGET_PATH,
        Some(line_of(&text, "identifying: true")),
    );
}

// artifact-type

#[test]
fn a_type_with_nothing_that_identifies_it_is_an_artifact_type_error() {
    let fixture = Fixture::valid();
    fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1\n",
        "",
    );
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::ARTIFACT_TYPE, GADGET_PATH, None);
    assert!(found.message.contains("artifactType"), "{found}");
    assert_only_rule(&diagnostics, rules::ARTIFACT_TYPE);
}

#[test]
fn a_type_without_artifact_type_but_with_match_conditions_is_fine() {
    let fixture = Fixture::valid();
    fixture.edit(
        GADGET_PATH,
        "artifactType: application/vnd.acme.gadget.v1\n",
        "match:\n  - annotation: com.acme.gadget\n",
    );
    assert_clean(&fixture.check());
}

// config-schema

#[test]
fn a_schema_file_that_is_not_json_is_reported_on_its_line() {
    let fixture = Fixture::valid();
    let broken = WIDGET_SCHEMA.replace("\"type\": \"object\",", "\"type\": \"object\"");
    fixture.write(WIDGET_SCHEMA_PATH, &broken);
    let diagnostics = fixture.check();
    let found = of(&diagnostics, rules::CONFIG_SCHEMA, WIDGET_SCHEMA_PATH);
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert_eq!(
        found[0].line,
        Some(line_of(&broken, "\"required\"")),
        "{}",
        found[0]
    );
    assert!(found[0].column.is_some());
}

#[test]
fn an_inline_schema_that_does_not_compile_is_reported_on_the_schema_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(GADGET_PATH, "    type: object\n", "    type: 5\n");
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        GADGET_PATH,
        Some(line_of(&text, "  schema:")),
    );
    assert_only_rule(&diagnostics, rules::CONFIG_SCHEMA);
}

#[test]
fn a_schema_with_a_remote_ref_is_a_config_schema_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "      mode: {enum: [fast, slow]}\n",
        "      mode: {$ref: 'https://schemas.example.com/mode.json'}\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        GADGET_PATH,
        Some(line_of(&text, "  schema:")),
    );
    assert!(found.message.contains("never fetches"), "{found}");
}

// config-example

#[test]
fn an_example_that_does_not_validate_is_reported_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "    - {name: demo, size: 3}\n",
        "    - {name: demo, size: 3}\n    - {name: broken, size: -1}\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::CONFIG_EXAMPLE,
        WIDGET_PATH,
        Some(line_of(&text, "size: -1")),
    );
    assert_eq!(found.pointer.as_deref(), Some("/config/examples/1/size"));
    assert_eq!(found.column, Some(column_of(&text, "size: -1")));
    assert!(found.message.contains("example 1"), "{found}");
    assert_only_rule(&diagnostics, rules::CONFIG_EXAMPLE);
}

#[test]
fn an_example_missing_a_required_property_is_reported() {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "{name: demo, size: 3}", "{size: 3}");
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::CONFIG_EXAMPLE,
        WIDGET_PATH,
        Some(line_of(&text, "{size: 3}")),
    );
}

#[test]
fn examples_without_a_schema_are_a_warning() {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "  schema: widget-config.schema.json\n", "");
    let diagnostics = fixture.check();
    expect_warning(
        &diagnostics,
        rules::CONFIG_EXAMPLE,
        WIDGET_PATH,
        Some(line_of(&text, "examples:")),
    );
    assert_no_errors(&diagnostics);
}

// action-placeholder

#[test]
fn an_unknown_action_placeholder_is_reported_on_the_command_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "{reference}",
        "{reference} --version {version}",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::ACTION_PLACEHOLDER,
        WIDGET_PATH,
        Some(line_of(&text, "command:")),
    );
    assert!(found.message.contains("{version}"), "{found}");
    assert_only_rule(&diagnostics, rules::ACTION_PLACEHOLDER);
}

#[test]
fn an_unbalanced_brace_in_an_action_is_reported() {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "{reference}", "{reference");
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::ACTION_PLACEHOLDER,
        WIDGET_PATH,
        Some(line_of(&text, "command:")),
    );
    assert!(found.message.contains("unbalanced"), "{found}");
}

// action-shell

#[test]
fn a_shell_operator_in_an_action_is_an_action_shell_error_on_the_command_line() {
    for operator in [";", "|", "&", "&&", "||", "<", ">", "`id`", "$(id)"] {
        let fixture = Fixture::valid();
        let text = fixture.edit(
            WIDGET_PATH,
            "{reference}",
            &format!("{{reference}} {operator} touch x"),
        );
        let diagnostics = fixture.check();
        let found = expect_error(
            &diagnostics,
            rules::ACTION_SHELL,
            WIDGET_PATH,
            Some(line_of(&text, "command:")),
        );
        assert!(found.message.contains("not a plain command"), "{found}");
        assert_only_rule(&diagnostics, rules::ACTION_SHELL);
    }
}

#[test]
fn a_placeholder_as_the_program_is_an_action_shell_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "command: widget pull {registry}/{repository}{reference}",
        "command: \"{name} pull {registry}/{repository}{reference}\"",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::ACTION_SHELL,
        WIDGET_PATH,
        Some(line_of(&text, "command:")),
    );
    assert!(found.message.contains("program"), "{found}");
}

#[test]
fn a_newline_in_an_action_is_an_action_shell_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "command: widget pull {registry}/{repository}{reference}",
        "command: \"widget pull {registry}/{repository}{reference}\\ntouch x\"",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::ACTION_SHELL,
        WIDGET_PATH,
        Some(line_of(&text, "command:")),
    );
    assert!(found.message.contains("newline"), "{found}");
}

#[test]
fn quoted_operator_characters_are_text_and_pass() {
    let fixture = Fixture::valid();
    fixture.edit(
        WIDGET_PATH,
        "{reference}",
        "{reference} --filter 'a|b' \"x && y\"",
    );
    assert_clean(&fixture.check());
}

#[test]
fn a_superseded_version_with_an_operator_is_a_warning_its_successor_must_pass() {
    let fixture = Fixture::valid();
    let old = fixture.edit(WIDGET_PATH, "{reference}", "{reference} --key <key>");
    let newer = old
        .replace("version: 1.0.0", "version: 1.0.1")
        .replace(" --key <key>", " --key KEY");
    fixture.write("acme/widget/1.0.1.yaml", &newer);
    let diagnostics = fixture.check();
    let found = expect_warning(
        &diagnostics,
        rules::ACTION_SHELL,
        WIDGET_PATH,
        Some(line_of(&old, "command:")),
    );
    assert!(found.message.contains("superseded by 1.0.1"), "{found}");
    assert_no_errors(&diagnostics);
    fixture.write("acme/widget/1.0.1.yaml", newer.replace("KEY", "<key>"));
    expect_error(
        &fixture.check(),
        rules::ACTION_SHELL,
        "acme/widget/1.0.1.yaml",
        Some(line_of(&newer, "command:")),
    );
}

// relative-path

#[test]
fn a_config_schema_path_leaving_the_type_folder_is_a_relative_path_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "schema: widget-config.schema.json",
        "schema: ../gadget/widget-config.schema.json",
    );
    fixture.write("acme/gadget/widget-config.schema.json", WIDGET_SCHEMA);
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(&text, "schema: ../")),
    );
    assert!(found.message.contains("leaves"), "{found}");
    assert_only_rule(&diagnostics, rules::RELATIVE_PATH);
}

#[test]
fn an_icon_path_leaving_the_type_folder_is_a_relative_path_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(WIDGET_PATH, "icon: icon.svg", "icon: ../../icon.svg");
    fixture.write("icon.svg", WIDGET_ICON);
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(&text, "icon:")),
    );
}

#[test]
fn an_absolute_schema_path_is_a_relative_path_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "schema: widget-config.schema.json",
        "schema: /etc/passwd.schema.json",
    );
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(&text, "schema: /etc")),
    );
}

#[test]
fn a_ref_leaving_the_type_folder_is_refused() {
    let fixture = Fixture::valid();
    fixture.write(
        WIDGET_SCHEMA_PATH,
        r#"{"$ref": "../gadget/shared.schema.json"}"#,
    );
    fixture.write("acme/gadget/shared.schema.json", r#"{"type": "object"}"#);
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::CONFIG_SCHEMA,
        WIDGET_PATH,
        Some(line_of(WIDGET, "  schema:")),
    );
    assert!(found.message.contains("outside"), "{found}");
}

#[test]
fn a_ref_to_a_sibling_schema_file_is_resolved() {
    let fixture = Fixture::valid();
    fixture
        .write(
            WIDGET_SCHEMA_PATH,
            r#"{"$ref": "widget-parts.schema.json"}"#,
        )
        .write("acme/widget/widget-parts.schema.json", WIDGET_SCHEMA);
    assert_clean(&fixture.check());
}

#[test]
fn a_config_schema_file_that_does_not_exist_is_a_relative_path_error() {
    let fixture = Fixture::valid();
    fixture.remove(WIDGET_SCHEMA_PATH);
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(WIDGET, "schema: widget-config")),
    );
    assert!(found.message.contains("does not exist"), "{found}");
}

#[test]
fn an_icon_that_does_not_exist_is_a_relative_path_error() {
    let fixture = Fixture::valid();
    fixture.remove(WIDGET_ICON_PATH);
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::RELATIVE_PATH,
        WIDGET_PATH,
        Some(line_of(WIDGET, "icon:")),
    );
    assert!(found.message.contains("icon.svg"), "{found}");
}

// icon-svg

#[test]
fn an_icon_with_a_script_is_reported_on_the_script_line() {
    let fixture = Fixture::valid();
    let icon = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <rect width=\"1\" height=\"1\"/>\n  <script>alert(1)</script>\n</svg>\n";
    fixture.write(WIDGET_ICON_PATH, icon);
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::ICON_SVG, WIDGET_ICON_PATH, Some(3));
    assert!(found.message.contains("<script"), "{found}");
    assert_only_rule(&diagnostics, rules::ICON_SVG);
}

#[test]
fn an_icon_with_an_event_handler_is_reported() {
    let fixture = Fixture::valid();
    let icon = "<svg xmlns=\"http://www.w3.org/2000/svg\"\n     onload=\"alert(1)\">\n</svg>\n";
    fixture.write(WIDGET_ICON_PATH, icon);
    let diagnostics = fixture.check();
    expect_error(&diagnostics, rules::ICON_SVG, WIDGET_ICON_PATH, Some(2));
}

#[test]
fn an_icon_with_a_javascript_link_is_reported() {
    let fixture = Fixture::valid();
    let icon = "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"javascript:alert(1)\"><rect/></a></svg>";
    fixture.write(WIDGET_ICON_PATH, icon);
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::ICON_SVG, WIDGET_ICON_PATH, Some(1));
    assert!(found.message.contains("javascript:"), "{found}");
}

#[test]
fn an_icon_that_is_not_svg_is_reported() {
    let fixture = Fixture::valid();
    fixture.write(WIDGET_ICON_PATH, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let diagnostics = fixture.check();
    expect_error(&diagnostics, rules::ICON_SVG, WIDGET_ICON_PATH, None);
}

#[test]
fn an_icon_without_an_svg_element_is_reported() {
    let fixture = Fixture::valid();
    fixture.write(WIDGET_ICON_PATH, "<html><body>not an icon</body></html>\n");
    let diagnostics = fixture.check();
    let found = expect_error(&diagnostics, rules::ICON_SVG, WIDGET_ICON_PATH, None);
    assert!(found.message.contains("<svg>"), "{found}");
}

// link-https

#[test]
fn a_plain_http_spec_link_is_reported_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "spec: https://example.com/spec/widget",
        "spec: http://example.com/spec/widget",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::LINK_HTTPS,
        WIDGET_PATH,
        Some(line_of(&text, "spec: http:")),
    );
    assert_eq!(found.column, Some(column_of(&text, "spec: http:")));
    assert_only_rule(&diagnostics, rules::LINK_HTTPS);
}

#[test]
fn a_javascript_owner_url_is_a_link_https_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "    url: https://example.com\n",
        "    url: javascript:alert(1)\n",
    );
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::LINK_HTTPS,
        WIDGET_PATH,
        Some(line_of(&text, "url: javascript")),
    );
}

#[test]
fn an_action_docs_link_without_a_host_is_a_link_https_error() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "docs: https://example.com/docs/pull",
        "docs: https:///docs/pull",
    );
    let diagnostics = fixture.check();
    expect_error(
        &diagnostics,
        rules::LINK_HTTPS,
        WIDGET_PATH,
        Some(line_of(&text, "docs:")),
    );
}

// link-unpinned

#[test]
fn a_github_link_to_a_branch_is_a_link_unpinned_warning_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "spec: https://example.com/spec/widget",
        "spec: https://github.com/acme/widget/blob/main/docs/spec.md",
    );
    let diagnostics = fixture.check();
    let found = expect_warning(
        &diagnostics,
        rules::LINK_UNPINNED,
        WIDGET_PATH,
        Some(line_of(&text, "spec: https://github.com")),
    );
    assert!(found.message.contains("`main`"), "{found}");
    assert_only_rule(&diagnostics, rules::LINK_UNPINNED);
}

#[test]
fn a_github_tree_link_at_a_short_hash_is_a_link_unpinned_warning() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "docs: https://example.com/docs/pull",
        "docs: https://github.com/acme/widget/tree/1ae39734/cmd",
    );
    let diagnostics = fixture.check();
    expect_warning(
        &diagnostics,
        rules::LINK_UNPINNED,
        WIDGET_PATH,
        Some(line_of(&text, "docs: https://github.com")),
    );
}

#[test]
fn github_links_at_a_full_commit_or_to_a_repository_are_not_unpinned() {
    let fixture = Fixture::valid();
    fixture.edit(
        WIDGET_PATH,
        "spec: https://example.com/spec/widget",
        "spec: https://github.com/acme/widget/blob/0123456789abcdef0123456789abcdef01234567/spec.md#layers",
    );
    fixture.edit(
        WIDGET_PATH,
        "docs: https://example.com/docs/pull",
        "docs: https://github.com/acme/widget",
    );
    assert_clean(&fixture.check());
}

// deprecation

#[test]
fn deprecated_by_on_an_active_type_is_reported_on_its_line() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "status: active\n",
        "status: active\ndeprecatedBy: acme/widget\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::DEPRECATION,
        GADGET_PATH,
        Some(line_of(&text, "deprecatedBy:")),
    );
    assert!(found.message.contains("deprecated"), "{found}");
    assert_only_rule(&diagnostics, rules::DEPRECATION);
}

#[test]
fn deprecated_by_a_type_that_is_not_in_the_catalog_is_reported() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "status: active\n",
        "status: deprecated\ndeprecatedBy: acme/thingamajig\nsunset: 2030-01-31\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::DEPRECATION,
        GADGET_PATH,
        Some(line_of(&text, "deprecatedBy:")),
    );
    assert!(found.message.contains("acme/thingamajig"), "{found}");
}

#[test]
fn a_deprecated_type_with_a_successor_and_a_sunset_is_fine() {
    let fixture = Fixture::valid();
    fixture.edit(
        GADGET_PATH,
        "status: active\n",
        "status: deprecated\ndeprecatedBy: acme/widget\nsunset: 2028-02-29\n",
    );
    assert_clean(&fixture.check());
}

#[test]
fn a_sunset_that_is_not_a_calendar_date_is_reported() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "status: active\n",
        "status: deprecated\nsunset: 2027-02-29\n",
    );
    let diagnostics = fixture.check();
    // The definition schema's `format: date` catches it first.
    let found = expect_error(
        &diagnostics,
        rules::DEFINITION_SCHEMA,
        GADGET_PATH,
        Some(line_of(&text, "sunset:")),
    );
    assert!(found.message.contains("date"), "{found}");
}

// duplicate

#[test]
fn an_action_id_used_twice_is_reported_on_the_second_one() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        WIDGET_PATH,
        "links:\n",
        "  - id: pull\n    label: Pull again\n    command: widget pull {registry}/{repository}:{tag}\nlinks:\n",
    );
    let diagnostics = fixture.check();
    let found = expect_error(
        &diagnostics,
        rules::DUPLICATE,
        WIDGET_PATH,
        Some(line_of(&text, "  - id: pull\n    label: Pull again")),
    );
    assert_eq!(found.pointer.as_deref(), Some("/actions/1/id"));
    assert_only_rule(&diagnostics, rules::DUPLICATE);
}

#[test]
fn a_layer_media_type_listed_twice_is_reported_on_the_second_layer() {
    let fixture = Fixture::valid();
    let text = fixture.edit(
        GADGET_PATH,
        "    title: Gadget payload\n",
        "    title: Gadget payload\n  - mediaTypes: [application/vnd.acme.gadget.layer.v2, application/VND.acme.gadget.layer.v1]\n    title: Again\n",
    );
    let diagnostics = fixture.check();
    let duplicates = of(&diagnostics, rules::DUPLICATE, GADGET_PATH);
    assert_eq!(duplicates.len(), 1, "{}", show(&diagnostics));
    assert_eq!(duplicates[0].line, Some(line_of(&text, "  - mediaTypes:")));
    assert_no_errors(
        &diagnostics
            .iter()
            .filter(|d| d.rule != rules::DUPLICATE)
            .cloned()
            .collect::<Vec<_>>(),
    );
}

// Every problem, not just the first

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let fixture = Fixture::valid();
    fixture.edit(WIDGET_PATH, "version: 1.0.0", "version: 1.0.1");
    fixture.edit(
        GADGET_PATH,
        "spec: https://example.com/spec/gadget",
        "spec: http://example.com/spec/gadget",
    );
    fixture.write("acme/widget/notes.txt", "x");
    let diagnostics = fixture.check();
    let rules_seen: Vec<&str> = diagnostics.iter().map(|d| d.rule).collect();
    for rule in [rules::VERSION_FILENAME, rules::LINK_HTTPS, rules::LAYOUT] {
        assert!(
            rules_seen.contains(&rule),
            "{rule} missing:\n{}",
            show(&diagnostics)
        );
    }
}

#[test]
fn diagnostics_are_sorted_by_file_and_line() {
    let fixture = Fixture::valid();
    fixture.edit(WIDGET_PATH, "{reference}", "{ref}");
    fixture.edit(WIDGET_PATH, "version: 1.0.0", "version: 1.0.1");
    fixture.edit(
        GADGET_PATH,
        "spec: https://example.com/spec/gadget",
        "spec: http://example.com/spec/gadget",
    );
    let diagnostics = fixture.check();
    let keys: Vec<_> = diagnostics.iter().map(|d| (&d.file, d.line)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "{}", show(&diagnostics));
    assert!(diagnostics.len() >= 3, "{}", show(&diagnostics));
}
