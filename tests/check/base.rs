//! `typehouse check --base`: immutability, version order and config-schema compatibility.

use serde_json::{Value, json};
use typehouse::catalog::rules;

use crate::helpers::*;

#[test]
fn an_unchanged_catalog_is_clean_against_itself() {
    let base = Fixture::valid();
    assert_clean(&base.copy().check_against(&base));
}

#[test]
fn a_new_type_needs_no_history() {
    let base = Fixture::valid();
    let head = base.copy();
    head.write(
        "acme/doohickey/0.1.0.yaml",
        GADGET
            .replace("1.0.0", "0.1.0")
            .replace("acme.gadget", "acme.doohickey"),
    );
    assert_clean(&head.check_against(&base));
}

// published-modified

#[test]
fn an_edited_published_version_is_reported_on_the_first_changed_line() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = head.edit(
        WIDGET_PATH,
        "summary: A widget bundle, for tests",
        "summary: A better widget bundle, for tests",
    );
    let diagnostics = head.check_against(&base);
    let found = expect_error(
        &diagnostics,
        rules::PUBLISHED_MODIFIED,
        WIDGET_PATH,
        Some(line_of(&text, "summary:")),
    );
    assert!(found.message.contains("immutable"), "{found}");
    assert_only_rule(&diagnostics, rules::PUBLISHED_MODIFIED);
}

#[test]
fn a_whitespace_only_edit_of_a_published_version_is_still_a_change() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = head.edit(WIDGET_PATH, "status: active\n", "status: active  \n");
    let diagnostics = head.check_against(&base);
    expect_error(
        &diagnostics,
        rules::PUBLISHED_MODIFIED,
        WIDGET_PATH,
        Some(line_of(&text, "status:")),
    );
}

#[test]
fn lines_appended_to_a_published_version_are_reported_where_they_start() {
    let base = Fixture::valid();
    let head = base.copy();
    head.write(GADGET_PATH, format!("{GADGET}tags: [tools]\n"));
    let diagnostics = head.check_against(&base);
    expect_error(
        &diagnostics,
        rules::PUBLISHED_MODIFIED,
        GADGET_PATH,
        Some(GADGET.lines().count() + 1),
    );
}

#[test]
fn an_edited_published_schema_file_is_reported() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = head.edit(WIDGET_SCHEMA_PATH, r#""minimum": 0"#, r#""minimum": 1"#);
    let diagnostics = head.check_against(&base);
    expect_error(
        &diagnostics,
        rules::PUBLISHED_MODIFIED,
        WIDGET_SCHEMA_PATH,
        Some(line_of(&text, "minimum")),
    );
    assert_only_rule(&diagnostics, rules::PUBLISHED_MODIFIED);
}

#[test]
fn icons_and_readmes_may_change() {
    let base = Fixture::valid();
    base.write("acme/widget/README.md", "# Widget\n");
    let head = base.copy();
    head.write(
        WIDGET_ICON_PATH,
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"8\"/></svg>\n",
    )
    .write("acme/widget/README.md", "# Widget, documented\n");
    assert_clean(&head.check_against(&base));
}

// published-removed

#[test]
fn a_removed_published_version_is_reported() {
    let base = Fixture::valid();
    base.write("acme/gadget/1.1.0.yaml", GADGET.replace("1.0.0", "1.1.0"));
    let head = base.copy();
    head.remove(GADGET_PATH);
    let diagnostics = head.check_against(&base);
    let found = expect_error(&diagnostics, rules::PUBLISHED_REMOVED, GADGET_PATH, None);
    assert!(found.message.contains("deprecate"), "{found}");
    assert_only_rule(&diagnostics, rules::PUBLISHED_REMOVED);
}

#[test]
fn a_removed_type_reports_each_of_its_published_files() {
    let base = Fixture::valid();
    let head = base.copy();
    head.remove(WIDGET_PATH)
        .remove(WIDGET_SCHEMA_PATH)
        .remove(WIDGET_ICON_PATH);
    let diagnostics = head.check_against(&base);
    expect_error(&diagnostics, rules::PUBLISHED_REMOVED, WIDGET_PATH, None);
    expect_error(
        &diagnostics,
        rules::PUBLISHED_REMOVED,
        WIDGET_SCHEMA_PATH,
        None,
    );
    assert_only_rule(&diagnostics, rules::PUBLISHED_REMOVED);
}

#[test]
fn a_renamed_published_version_is_a_removal() {
    let base = Fixture::valid();
    let head = base.copy();
    head.remove(GADGET_PATH)
        .write("acme/gadget/1.0.1.yaml", GADGET.replace("1.0.0", "1.0.1"));
    let diagnostics = head.check_against(&base);
    expect_error(&diagnostics, rules::PUBLISHED_REMOVED, GADGET_PATH, None);
}

// version-order

#[test]
fn a_new_version_lower_than_the_last_published_is_reported_on_its_version_line() {
    let base = Fixture::valid();
    base.write("acme/gadget/1.1.0.yaml", GADGET.replace("1.0.0", "1.1.0"));
    let head = base.copy();
    let text = GADGET.replace("1.0.0", "1.0.5");
    head.write("acme/gadget/1.0.5.yaml", &text);
    let diagnostics = head.check_against(&base);
    let found = expect_error(
        &diagnostics,
        rules::VERSION_ORDER,
        "acme/gadget/1.0.5.yaml",
        Some(line_of(&text, "version: 1.0.5")),
    );
    assert!(
        found.message.contains("1.0.5") && found.message.contains("1.1.0"),
        "{found}"
    );
    assert_only_rule(&diagnostics, rules::VERSION_ORDER);
}

#[test]
fn a_prerelease_of_a_published_version_is_lower_and_reported() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = GADGET.replace("1.0.0", "1.0.0-rc.1");
    head.write("acme/gadget/1.0.0-rc.1.yaml", &text);
    let diagnostics = head.check_against(&base);
    expect_error(
        &diagnostics,
        rules::VERSION_ORDER,
        "acme/gadget/1.0.0-rc.1.yaml",
        Some(line_of(&text, "version:")),
    );
}

#[test]
fn build_metadata_does_not_make_a_version_higher() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = GADGET.replace("1.0.0", "1.0.0+build.2");
    head.write("acme/gadget/1.0.0+build.2.yaml", &text);
    let diagnostics = head.check_against(&base);
    expect_error(
        &diagnostics,
        rules::VERSION_ORDER,
        "acme/gadget/1.0.0+build.2.yaml",
        Some(line_of(&text, "version:")),
    );
}

#[test]
fn a_higher_patch_version_with_the_same_schema_is_fine() {
    let base = Fixture::valid();
    let head = base.copy();
    head.write(
        "acme/widget/1.0.1.yaml",
        WIDGET
            .replace("version: 1.0.0", "version: 1.0.1")
            .replace("for tests", "for tests, with a better summary"),
    );
    assert_clean(&head.check_against(&base));
}

// breaking-schema-change

#[test]
fn a_required_property_added_in_a_minor_version_is_a_breaking_schema_change() {
    let base = Fixture::valid();
    let head = base.copy();
    let schema = WIDGET_SCHEMA.replace(r#"["name"]"#, r#"["name", "size"]"#);
    head.write("acme/widget/widget-config-1.1.schema.json", schema);
    let text = widget_version("1.1.0", "widget-config-1.1.schema.json");
    head.write("acme/widget/1.1.0.yaml", &text);
    let diagnostics = head.check_against(&base);
    let found = expect_error(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/widget/1.1.0.yaml",
        Some(line_of(&text, "  schema:")),
    );
    assert!(found.message.contains("`size`"), "{found}");
    assert!(found.message.contains("2.0.0"), "{found}");
    assert_only_rule(&diagnostics, rules::BREAKING_SCHEMA_CHANGE);
}

#[test]
fn a_removed_enum_value_in_an_inline_schema_is_a_breaking_schema_change() {
    let base = Fixture::valid();
    let head = base.copy();
    let text = GADGET
        .replace("1.0.0", "1.0.1")
        .replace("[fast, slow]", "[fast]");
    head.write("acme/gadget/1.0.1.yaml", &text);
    let diagnostics = head.check_against(&base);
    let found = expect_error(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/gadget/1.0.1.yaml",
        Some(line_of(&text, "  schema:")),
    );
    assert!(found.message.contains("/properties/mode"), "{found}");
    assert!(found.message.contains("\"slow\""), "{found}");
}

#[test]
fn each_breaking_change_is_reported() {
    let base = Fixture::valid();
    let head = base.copy();
    let schema = r#"{
  "type": "object",
  "required": ["name", "colour"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "maxLength": 10},
    "size": {"type": "integer", "minimum": 1},
    "colour": {"type": "string"}
  }
}"#;
    head.write("acme/widget/widget-config-1.1.schema.json", schema);
    head.write(
        "acme/widget/1.1.0.yaml",
        widget_version("1.1.0", "widget-config-1.1.schema.json"),
    );
    let diagnostics = head.check_against(&base);
    let found = of(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/widget/1.1.0.yaml",
    );
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    for expected in ["`colour` added", "closed", "maxLength", "minimum"] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "`{expected}` missing:\n{}",
            show(&diagnostics)
        );
    }
}

#[test]
fn a_narrowed_type_is_a_breaking_schema_change() {
    let base = Fixture::valid();
    let head = base.copy();
    let schema = WIDGET_SCHEMA.replace(r#""type": "integer""#, r#""type": "string""#);
    head.write("acme/widget/widget-config-1.1.schema.json", schema);
    head.write(
        "acme/widget/1.1.0.yaml",
        widget_version("1.1.0", "widget-config-1.1.schema.json").replace("size: 3", "size: '3'"),
    );
    let diagnostics = head.check_against(&base);
    let found = of(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/widget/1.1.0.yaml",
    );
    assert_eq!(found.len(), 1, "{}", show(&diagnostics));
    assert!(found[0].message.contains("narrowed"), "{}", found[0]);
}

#[test]
fn a_config_schema_added_in_a_minor_version_is_a_breaking_schema_change() {
    let base = Fixture::valid();
    base.write(
        WIDGET_PATH,
        WIDGET.replace(
            "  schema: widget-config.schema.json\n  examples:\n    - {name: demo, size: 3}\n",
            "",
        ),
    );
    assert_clean(&base.check());
    let head = base.copy();
    head.write(
        "acme/widget/1.1.0.yaml",
        widget_version("1.1.0", "widget-config.schema.json"),
    );
    let diagnostics = head.check_against(&base);
    assert_eq!(
        of(
            &diagnostics,
            rules::BREAKING_SCHEMA_CHANGE,
            "acme/widget/1.1.0.yaml"
        )
        .len(),
        1,
        "{}",
        show(&diagnostics)
    );
}

#[test]
fn a_compatible_schema_change_with_a_minor_bump_is_fine() {
    let base = Fixture::valid();
    let head = base.copy();
    // A documented optional property, a wider type, a looser bound, more documentation.
    let schema = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "description": "Widget config, version 1.1",
  "type": "object",
  "required": ["name"],
  "properties": {
    "name": {"type": "string", "description": "The widget's name."},
    "size": {"type": "number", "minimum": -10},
    "colour": {"description": "Any colour name; not checked."}
  }
}"#;
    head.write("acme/widget/widget-config-1.1.schema.json", schema);
    head.write(
        "acme/widget/1.1.0.yaml",
        widget_version("1.1.0", "widget-config-1.1.schema.json").replace(
            "{name: demo, size: 3}",
            "{name: demo, size: 2.5, colour: red}",
        ),
    );
    assert_clean(&head.check_against(&base));
}

#[test]
fn a_compatible_inline_schema_change_with_a_minor_bump_is_fine() {
    let base = Fixture::valid();
    let head = base.copy();
    head.write(
        "acme/gadget/1.1.0.yaml",
        GADGET
            .replace("1.0.0", "1.1.0")
            .replace("[fast, slow]", "[fast, slow, idle]"),
    );
    assert_clean(&head.check_against(&base));
}

#[test]
fn a_breaking_schema_change_with_a_major_bump_is_fine() {
    let base = Fixture::valid();
    let head = base.copy();
    head.write(
        "acme/gadget/2.0.0.yaml",
        GADGET
            .replace("1.0.0", "2.0.0")
            .replace(
                "    type: object\n",
                "    type: object\n    required: [mode]\n",
            )
            .replace("[fast, slow]", "[fast]"),
    );
    assert_clean(&head.check_against(&base));
}

#[test]
fn below_one_a_breaking_change_needs_a_new_minor_version() {
    let base = Fixture::empty();
    let zero = GADGET.replace("1.0.0", "0.1.0");
    base.write("catalog.yaml", CATALOG_YAML)
        .write("definition.schema.json", shipped_definition_schema())
        .write("acme/gadget/0.1.0.yaml", &zero);
    let patch = base.copy();
    patch.write(
        "acme/gadget/0.1.1.yaml",
        zero.replace("0.1.0", "0.1.1")
            .replace("[fast, slow]", "[fast]"),
    );
    let diagnostics = patch.check_against(&base);
    let found = expect_error(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/gadget/0.1.1.yaml",
        Some(line_of(&zero, "  schema:")),
    );
    assert!(found.message.contains("0.2.0"), "{found}");

    let minor = base.copy();
    minor.write(
        "acme/gadget/0.2.0.yaml",
        zero.replace("0.1.0", "0.2.0")
            .replace("[fast, slow]", "[fast]"),
    );
    assert_clean(&minor.check_against(&base));
}

#[test]
fn a_new_version_is_compared_with_the_highest_published_one() {
    let base = Fixture::valid();
    base.write(
        "acme/gadget/1.1.0.yaml",
        GADGET
            .replace("1.0.0", "1.1.0")
            .replace("[fast, slow]", "[fast, slow, idle]"),
    );
    let head = base.copy();
    // Compatible with 1.0.0, but drops `idle` that 1.1.0 accepted.
    let text = GADGET.replace("1.0.0", "1.2.0");
    head.write("acme/gadget/1.2.0.yaml", &text);
    let diagnostics = head.check_against(&base);
    let found = expect_error(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/gadget/1.2.0.yaml",
        Some(line_of(&text, "  schema:")),
    );
    assert!(found.message.contains("\"idle\""), "{found}");
}

// Tightenings the analysis cannot prove compatible, each refused under a minor bump, with the
// rule, the JSON pointer and the keyword.

/// The widget's published config schema, as JSON.
fn widget_schema() -> Value {
    serde_json::from_str(WIDGET_SCHEMA).expect("the fixture schema is JSON")
}

/// `old` published as widget 1.1.0 and `new` proposed as 1.2.0: the diagnostics of the check.
fn minor_bump(old: &Value, new: &Value) -> Vec<typehouse::catalog::Diagnostic> {
    let base = Fixture::valid();
    base.write("acme/widget/widget-config-1.1.schema.json", old.to_string())
        .write(
            "acme/widget/1.1.0.yaml",
            widget_version("1.1.0", "widget-config-1.1.schema.json"),
        );
    assert_clean(&base.check());
    let head = base.copy();
    head.write("acme/widget/widget-config-1.2.schema.json", new.to_string())
        .write(
            "acme/widget/1.2.0.yaml",
            widget_version("1.2.0", "widget-config-1.2.schema.json"),
        );
    head.check_against(&base)
}

/// The change from `old` to `new` is refused, at `pointer` for `keyword`, and nothing else is.
fn assert_refused(old: Value, new: Value, pointer: &str, keyword: &str) {
    let diagnostics = minor_bump(&old, &new);
    let found = of(
        &diagnostics,
        rules::BREAKING_SCHEMA_CHANGE,
        "acme/widget/1.2.0.yaml",
    );
    let place = format!("`{pointer}` (`{keyword}`)");
    assert!(
        found
            .iter()
            .any(|d| d.message.contains(&place) && d.message.contains("2.0.0")),
        "no diagnostic at {place}:\n{}",
        show(&diagnostics)
    );
    assert_only_rule(&diagnostics, rules::BREAKING_SCHEMA_CHANGE);
}

/// The widget schema with `extra` keywords merged in at the root.
fn widget_schema_with(extra: Value) -> Value {
    let mut schema = widget_schema();
    for (keyword, value) in extra.as_object().expect("keywords").clone() {
        schema[keyword] = value;
    }
    schema
}

#[test]
fn wrapping_the_old_schema_in_all_of_with_a_new_required_property_is_refused() {
    let old = widget_schema();
    let new = json!({"allOf": [old, {"required": ["size"]}]});
    assert_refused(old, new, "/allOf/1/required", "required");
}

#[test]
fn an_added_any_of_is_refused() {
    let new = widget_schema_with(
        json!({"anyOf": [{"required": ["size"]}, {"properties": {"name": {"minLength": 3}}}]}),
    );
    assert_refused(widget_schema(), new, "/anyOf", "anyOf");
}

#[test]
fn an_added_one_of_is_refused() {
    let new =
        widget_schema_with(json!({"oneOf": [{"required": ["size"]}, {"required": ["colour"]}]}));
    assert_refused(widget_schema(), new, "/oneOf", "oneOf");
}

#[test]
fn an_added_not_is_refused() {
    let new = widget_schema_with(json!({"not": {"required": ["colour"]}}));
    assert_refused(widget_schema(), new, "/not", "not");
}

#[test]
fn an_added_if_then_is_refused() {
    let new = widget_schema_with(json!({
        "if": {"required": ["size"]},
        "then": {"properties": {"size": {"maximum": 10}}}
    }));
    assert_refused(widget_schema(), new, "/if", "if");
}

#[test]
fn an_added_dependent_required_is_refused() {
    let new = widget_schema_with(json!({"dependentRequired": {"colour": ["size"]}}));
    assert_refused(
        widget_schema(),
        new,
        "/dependentRequired/colour",
        "dependentRequired",
    );
}

#[test]
fn closing_unevaluated_properties_is_refused() {
    let new = widget_schema_with(json!({"unevaluatedProperties": false}));
    assert_refused(
        widget_schema(),
        new,
        "/unevaluatedProperties",
        "unevaluatedProperties",
    );
}

#[test]
fn an_added_unique_items_is_refused() {
    let old = widget_schema_with(json!({"properties": {
        "name": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "tags": {"type": "array"}
    }}));
    let mut new = old.clone();
    new["properties"]["tags"]["uniqueItems"] = json!(true);
    assert_refused(old, new, "/properties/tags/uniqueItems", "uniqueItems");
}

#[test]
fn a_property_moved_behind_a_reference_to_a_stricter_definition_is_refused() {
    let mut new = widget_schema();
    new["properties"]["name"] = json!({"$ref": "#/$defs/name"});
    new["$defs"] = json!({"name": {"type": "string", "maxLength": 10}});
    assert_refused(widget_schema(), new, "/$defs/name/maxLength", "maxLength");
}

#[test]
fn a_property_moved_behind_a_reference_to_the_same_definition_is_fine() {
    let mut new = widget_schema();
    new["properties"]["name"] = json!({"$ref": "#/$defs/name"});
    new["$defs"] = json!({"name": {"type": "string", "description": "The widget's name."}});
    assert_clean(&minor_bump(&widget_schema(), &new));
}

#[test]
fn a_description_change_a_new_optional_property_and_a_dropped_required_entry_are_fine() {
    let old = widget_schema();
    let mut described = old.clone();
    described["description"] = json!("A widget's config, described");
    assert_clean(&minor_bump(&old, &described));

    let mut documented = old.clone();
    documented["properties"]["colour"] = json!({"description": "Any colour name."});
    assert_clean(&minor_bump(&old, &documented));

    // Where additional properties were held to a schema, a new property that accepts at
    // least as much is optional and compatible.
    let strings = widget_schema_with(json!({"additionalProperties": {"type": "string"}}));
    let mut named = strings.clone();
    named["properties"]["colour"] = json!({"type": ["string", "null"]});
    assert_clean(&minor_bump(&strings, &named));

    let mut optional = old.clone();
    optional["required"] = json!([]);
    assert_clean(&minor_bump(&old, &optional));
}

#[test]
fn a_typed_new_property_where_any_value_was_accepted_is_refused() {
    // A document may already use the name with another value.
    let mut new = widget_schema();
    new["properties"]["colour"] = json!({"type": "string"});
    assert_refused(widget_schema(), new, "/properties/colour/type", "type");
}

/// The widget definition at `version`, with its config schema in `schema_file`.
fn widget_version(version: &str, schema_file: &str) -> String {
    WIDGET
        .replace("version: 1.0.0", &format!("version: {version}"))
        .replace("widget-config.schema.json", schema_file)
}
