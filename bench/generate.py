#!/usr/bin/env python3
"""Writes a synthetic but valid typehouse catalog of N types, for benchmarks.

Each type gets 1-4 versions whose config schemas grow (minor versions add typed optional
properties, a major version makes one more property required; `check --base` would call the
typed additions breaking, but the benchmarks never compare versions), layers, annotations,
actions, tags, tools and owners. Config schemas vary in size (a few properties to well over a
hundred) and sit inline or in a `*.schema.json` file next to the version files. Every
identifying media type is unique. The output is deterministic for a given --seed.

With --fixtures DIR it also writes the request inputs the benchmark drives:
  types.tsv     id, lookup media type, latest version (one line per type)
  classify.tsv  request path and one-line JSON manifest body (one per type, some with config)
  validate.tsv  request path and one-line JSON config document (types with a config schema)

Python 3 standard library only.
"""

import argparse
import json
import os
import random
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFINITION_SCHEMA = os.path.join(HERE, "..", "types", "definition.schema.json")

VENDOR_WORDS = [
    "acme", "contoso", "initech", "globex", "umbrella", "hooli", "vandelay", "stark",
    "wayne", "tyrell", "cyberdyne", "aperture", "soylent", "massive", "oscorp", "wonka",
    "nakatomi", "gringotts", "monarch", "dunder", "pied", "prestige", "sirius", "virtucon",
    "zorg", "duff", "krusty", "buynlarge", "rekall", "weyland", "blackmesa", "octan",
]
NAME_WORDS = [
    "model", "bundle", "policy", "chart", "module", "plugin", "rules", "sbom", "report",
    "signature", "attestation", "dataset", "config", "profile", "template", "package",
    "catalog", "index", "manifest", "firmware", "kernel", "notebook", "pipeline", "workflow",
    "schema", "graph", "snapshot", "image", "layer", "filter", "provider", "extension",
]
TAGS = [
    "kubernetes", "package", "signature", "sbom", "ml", "ai", "policy", "security", "wasm",
    "supply-chain", "iac", "terraform", "data", "config", "provenance", "attestation",
    "runtime", "build", "cache", "documentation", "firmware", "edge", "database", "network",
]
TOOLS = [
    ("oras", "https://oras.land"),
    ("crane", "https://github.com/google/go-containerregistry"),
    ("skopeo", "https://github.com/containers/skopeo"),
    ("regctl", "https://regclient.org"),
    ("Harbor", "https://goharbor.io"),
    ("Flux", "https://fluxcd.io"),
]
SHARED_LAYERS = [
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/octet-stream",
    "application/json",
    "text/plain",
]
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"
WORDS = (
    "artifact registry content layer digest manifest blob descriptor reference client push "
    "pull tag signed verified compressed archive metadata runtime cluster deploy release "
    "version schema document field value index source target build cache store format"
).split()

PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 ._/+(),<>{}:@-]*$")
RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


# ---------------------------------------------------------------------------------------------
# A small YAML writer: block style, strings plain where that is unambiguous, else JSON-quoted
# (a JSON string is a valid YAML double-quoted scalar).


def scalar(value):
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if (
        PLAIN.match(text)
        and text.lower() not in RESERVED
        and not text.endswith((" ", ":"))
        and ": " not in text
        and " #" not in text
    ):
        return text
    return json.dumps(text)


def emit(value, indent=0):
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for key, item in value.items():
            key_text = scalar(key)
            if isinstance(item, str) and "\n" in item:
                lines.append(f"{pad}{key_text}: |")
                lines.extend(pad + "  " + line if line else "" for line in item.rstrip("\n").split("\n"))
            elif isinstance(item, dict) and item:
                lines.append(f"{pad}{key_text}:")
                lines.extend(emit(item, indent + 2))
            elif isinstance(item, list) and item:
                lines.append(f"{pad}{key_text}:")
                lines.extend(emit(item, indent))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key_text}: {json.dumps(item)}")
            else:
                lines.append(f"{pad}{key_text}: {scalar(item)}")
        return lines
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = emit(item, indent + 2)
                inner[0] = pad + "- " + inner[0][indent + 2:]
                lines.extend(inner)
            elif isinstance(item, list) and item:
                lines.append(f"{pad}- {json.dumps(item)}")
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}- {json.dumps(item)}")
            else:
                lines.append(f"{pad}- {scalar(item)}")
        return lines
    return [pad + scalar(value)]


def to_yaml(document):
    return "\n".join(emit(document)) + "\n"


# ---------------------------------------------------------------------------------------------
# Config schemas and documents that validate against them.


def sentence(rng, low=4, high=12):
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return (" ".join(words)).capitalize() + "."


def property_schema(rng, depth):
    """A property's schema and a value that validates against it."""
    kind = rng.choices(
        ["string", "enum", "pattern", "integer", "number", "boolean", "array", "object", "map"],
        weights=[24, 10, 8, 12, 4, 10, 12, 8 if depth < 1 else 0, 5],
    )[0]
    description = sentence(rng, 3, 8)
    if kind == "string":
        schema = {"type": "string", "minLength": 1, "maxLength": rng.choice([64, 256, 1024])}
        value = rng.choice(WORDS) + "-" + str(rng.randint(1, 999))
    elif kind == "enum":
        options = rng.sample(WORDS, rng.randint(2, 6))
        schema = {"type": "string", "enum": options}
        value = rng.choice(options)
    elif kind == "pattern":
        schema = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
        value = f"{rng.choice(WORDS)}-{rng.randint(1, 99)}"
    elif kind == "integer":
        low = rng.choice([0, 1])
        high = rng.choice([100, 65535, 1 << 31])
        schema = {"type": "integer", "minimum": low, "maximum": high}
        value = rng.randint(low, min(high, 1000))
    elif kind == "number":
        schema = {"type": "number", "minimum": 0}
        value = round(rng.random() * 100, 3)
    elif kind == "boolean":
        schema = {"type": "boolean"}
        value = rng.random() < 0.5
    elif kind == "array":
        schema = {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "maxItems": rng.choice([16, 64, 256]),
        }
        value = [rng.choice(WORDS) for _ in range(rng.randint(0, 4))]
    elif kind == "map":
        schema = {"type": "object", "additionalProperties": {"type": "string"}}
        value = {f"{rng.choice(WORDS)}.{i}": rng.choice(WORDS) for i in range(rng.randint(0, 3))}
    else:
        schema, value = object_schema(rng, rng.randint(2, 6), depth + 1, closed=rng.random() < 0.3)
    schema["description"] = description
    return schema, value


def object_schema(rng, count, depth, closed):
    properties = {}
    example = {}
    required = []
    names = set()
    while len(names) < count:
        names.add(rng.choice(WORDS) + rng.choice(["", "Name", "Id", "Count", "Ref", "Spec", "Url", "Mode"]) + (str(len(names)) if rng.random() < 0.3 else ""))
    for name in sorted(names, key=lambda _: rng.random()):
        schema, value = property_schema(rng, depth)
        properties[name] = schema
        if rng.random() < 0.3:
            required.append(name)
            example[name] = value
        elif rng.random() < 0.6:
            example[name] = value
    schema = {"type": "object"}
    if required:
        schema["required"] = required
    schema["properties"] = properties
    if closed:
        schema["additionalProperties"] = False
    return schema, example


def config_schema(rng):
    size = rng.choices(
        [(2, 8), (8, 25), (25, 80)], weights=[60, 32, 8]
    )[0]
    schema, example = object_schema(rng, rng.randint(*size), 0, closed=rng.random() < 0.25)
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "",
        "type": "object",
    }
    document.update(schema)
    return document, example


def evolve(schema, example, step, major, rng):
    """The next version's schema: a minor step adds an optional property; a major step also
    makes one property the example carries required."""
    schema = json.loads(json.dumps(schema))
    example = json.loads(json.dumps(example))
    name = f"addedIn{step}"
    schema["properties"][name] = {"type": "string", "description": f"Added in step {step}."}
    if rng.random() < 0.5:
        example[name] = f"value-{step}"
    if major:
        optional = [k for k in example if k not in schema.get("required", [])]
        if optional:
            schema.setdefault("required", []).append(rng.choice(sorted(optional)))
    return schema, example


def invalid_document(schema, example, rng):
    """A document the schema rejects: a required property missing or a property of the wrong
    type, as clients send by mistake."""
    document = json.loads(json.dumps(example))
    required = schema.get("required", [])
    if required and rng.random() < 0.5:
        document.pop(rng.choice(required), None)
    else:
        properties = schema["properties"]
        key = rng.choice(sorted(properties))
        kind = properties[key].get("type")
        document[key] = 12345 if kind != "integer" and kind != "number" else "not a number"
    return document


# ---------------------------------------------------------------------------------------------
# Types.


def names(rng, count):
    vendors_needed = max(1, count // 8)
    vendors = []
    for i in range(vendors_needed):
        word = VENDOR_WORDS[i % len(VENDOR_WORDS)]
        vendors.append(word if i < len(VENDOR_WORDS) else f"{word}{i // len(VENDOR_WORDS)}")
    ids = []
    seen = set()
    index = 0
    while len(ids) < count:
        vendor = vendors[index % len(vendors)]
        first, second = rng.sample(NAME_WORDS, 2)
        name = f"{first}-{second}" if rng.random() < 0.6 else first
        candidate = f"{vendor}/{name}"
        serial = 2
        while candidate in seen:
            candidate = f"{vendor}/{name}{serial}"
            serial += 1
        seen.add(candidate)
        ids.append(candidate)
        index += 1
    return ids


def version_numbers(rng):
    count = rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]
    sequence = ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] if rng.random() < 0.8 else ["0.1.0", "0.1.1", "0.2.0", "1.0.0"]
    return sequence[:count]


def is_major_step(old, new):
    o = [int(x) for x in old.split(".")]
    n = [int(x) for x in new.split(".")]
    return o[0] != n[0] or (o[0] == 0 and o[1] != n[1])


def type_plan(rng, type_id, position, all_ids):
    vendor, name = type_id.split("/")
    stem = f"vnd.{vendor}.{name.replace('-', '.')}"
    style = rng.choices(["config", "empty", "both", "layer"], weights=[55, 25, 15, 5])[0]
    plan = {
        "id": type_id,
        "vendor": vendor,
        "name": name,
        "style": style,
        "title": " ".join(w.capitalize() for w in name.split("-")) + f" ({vendor.capitalize()})",
        "artifact_type": None,
        "config_media_type": None,
        "identifying_layer": None,
    }
    if style == "config":
        plan["artifact_type"] = f"application/{stem}.config.v1+json"
        plan["config_media_type"] = plan["artifact_type"]
    elif style == "empty":
        plan["artifact_type"] = f"application/{stem}.v1"
        plan["config_media_type"] = EMPTY_CONFIG
    elif style == "both":
        plan["artifact_type"] = f"application/{stem}.v1"
        plan["config_media_type"] = f"application/{stem}.config.v1+json"
    else:
        # Recognised by an identifying layer under the generic OCI image config.
        plan["config_media_type"] = "application/vnd.oci.image.config.v1+json"
        plan["identifying_layer"] = f"application/{stem}.content.v1.tar+gzip"
    plan["has_schema"] = plan["config_media_type"] not in (EMPTY_CONFIG, "application/vnd.oci.image.config.v1+json")
    plan["schema_as_file"] = rng.random() < 0.5
    plan["aliases"] = [f"application/{stem}.legacy.v0+json"] if style != "layer" and rng.random() < 0.1 else []
    layers = []
    if plan["identifying_layer"]:
        layers.append({"mediaType": plan["identifying_layer"], "title": "Content archive", "required": True, "maxCount": 1, "identifying": True})
    else:
        layers.append({
            "mediaTypes": [f"application/{stem}.content.v1.tar+gzip", f"application/{stem}.content.v1.tar+zstd"],
            "title": "Content archive",
            "required": True,
            "maxCount": 1,
        })
    for extra in range(rng.randint(0, 3)):
        layer = {"mediaType": f"application/{stem}.part{extra}.v1+json", "title": f"Part {extra}"}
        if rng.random() < 0.5:
            layer["description"] = sentence(rng)
        if rng.random() < 0.3:
            layer["maxCount"] = rng.randint(1, 8)
        layers.append(layer)
    if rng.random() < 0.3:
        layers.append({"mediaType": rng.choice(SHARED_LAYERS), "title": "Attachment", "description": "Any extra file, stored as is."})
    plan["layers"] = layers
    plan["annotations"] = [
        {"key": f"dev.{vendor}.{name}.{rng.choice(WORDS)}{i}", "description": sentence(rng, 3, 9), "required": i == 0 and rng.random() < 0.3}
        for i in range(rng.randint(0, 3))
    ]
    for annotation in plan["annotations"]:
        if not annotation["required"]:
            del annotation["required"]
    plan["versions"] = version_numbers(rng)
    plan["deprecated_by"] = all_ids[rng.randrange(position)] if position > 0 and rng.random() < 0.03 else None
    plan["draft"] = rng.random() < 0.08
    plan["tags"] = sorted(rng.sample(TAGS, rng.randint(1, 4)))
    return plan


def definition(plan, version, schema_source, example, rng, latest):
    vendor, name = plan["vendor"], plan["name"]
    document = {
        "version": version,
        "name": plan["title"],
        "summary": f"{plan['title']} artifacts: {sentence(rng, 4, 10)}"[:120],
    }
    if rng.random() < 0.8:
        paragraphs = [sentence(rng, 10, 30) + " " + sentence(rng, 8, 20) for _ in range(rng.randint(1, 3))]
        document["description"] = "\n\n".join(paragraphs) + f"\n\n- **Config:** `{plan['config_media_type']}`\n- **Tool:** `{name}-cli push`\n"
    if plan["deprecated_by"] and latest:
        document["status"] = "deprecated"
        document["deprecatedBy"] = plan["deprecated_by"]
        document["sunset"] = "2027-06-30"
    else:
        document["status"] = "draft" if plan["draft"] and latest else "active"
    if plan["artifact_type"]:
        document["artifactType"] = plan["artifact_type"]
    config = {"mediaType": plan["config_media_type"]}
    if plan["style"] == "layer":
        config["identifying"] = False
    if schema_source is not None:
        config["schema"] = schema_source
        config["examples"] = [example]
    document["config"] = config
    document["layers"] = plan["layers"]
    if plan["annotations"]:
        document["annotations"] = plan["annotations"]
    if plan["aliases"]:
        document["aliases"] = plan["aliases"]
    document["fileExtensions"] = [f".{name.split('-')[0]}.tgz"]
    document["tags"] = plan["tags"]
    document["tools"] = [{"name": f"{name}-cli", "url": f"https://{vendor}.example.com/{name}"}] + [
        {"name": tool, "url": url} for tool, url in rng.sample(TOOLS, rng.randint(0, 2))
    ]
    actions = [
        {
            "id": "pull",
            "label": "Pull with ORAS",
            "command": "oras pull {registry}/{repository}{reference}",
            "docs": "https://oras.land/docs/commands/oras_pull",
        }
    ]
    if rng.random() < 0.7:
        actions.append({
            "id": "install",
            "label": f"Install with {name}-cli",
            "command": f"{name}-cli install {{name}} oci://{{registry}}/{{repository}} --version {{tag}}",
            "docs": f"https://{vendor}.example.com/{name}/docs/install",
        })
    if rng.random() < 0.3:
        actions.append({
            "id": "verify",
            "label": "Verify the signature",
            "command": "cosign verify {registry}/{repository}@{digest}",
        })
    document["actions"] = actions
    document["links"] = {
        "spec": f"https://{vendor}.example.com/{name}/spec/v{version.split('.')[0]}",
        "homepage": f"https://{vendor}.example.com",
        "source": f"https://github.com/{vendor}/{name}/blob/{'0' * 40}/pkg/mediatype.go",
    }
    owners = [{"name": f"{vendor.capitalize()} maintainers", "url": f"https://github.com/{vendor}"}]
    if rng.random() < 0.3:
        owners.append({"name": "Release team", "email": f"release@{vendor}.example.com"})
    document["owners"] = owners
    return document


def manifest_for(plan, rng, example):
    """An OCI image manifest of the type, as a registry would hold it; sometimes with its
    config blob, so that classification also validates the config."""
    digest = lambda: "sha256:" + "".join(rng.choice("0123456789abcdef") for _ in range(64))
    layers = []
    for layer in plan["layers"]:
        if not layer.get("required") and rng.random() < 0.5:
            continue
        media_type = layer.get("mediaType") or layer["mediaTypes"][0]
        layers.append({
            "mediaType": media_type,
            "digest": digest(),
            "size": rng.randint(100, 50_000_000),
            "annotations": {"org.opencontainers.image.title": f"{plan['name']}-{rng.randint(1, 9)}.bin"},
        })
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
    }
    if plan["artifact_type"]:
        manifest["artifactType"] = plan["artifact_type"]
    manifest["config"] = {
        "mediaType": plan["config_media_type"],
        "digest": digest(),
        "size": 233 if plan["config_media_type"] != EMPTY_CONFIG else 2,
    }
    manifest["layers"] = layers
    annotations = {"org.opencontainers.image.created": "2025-05-01T12:00:00Z"}
    for annotation in plan["annotations"]:
        annotations[annotation["key"]] = rng.choice(WORDS)
    manifest["annotations"] = annotations
    if example is not None and rng.random() < 0.3:
        return {"manifest": manifest, "config": example}
    return manifest


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def generate(out, count, seed, fixtures):
    rng = random.Random(seed)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    write(os.path.join(out, "catalog.yaml"), to_yaml({
        "name": "typehouse-bench",
        "version": "1.0.0",
        "description": f"A synthetic catalog of {count} types for benchmarks (seed {seed}).",
        "homepage": "https://github.com/typehouse/typehouse",
    }))
    shutil.copyfile(DEFINITION_SCHEMA, os.path.join(out, "definition.schema.json"))
    ids = names(rng, count)
    type_lines, classify_lines, validate_lines = [], [], []
    files = 0
    for position, type_id in enumerate(ids):
        plan = type_plan(rng, type_id, position, ids)
        folder = os.path.join(out, type_id)
        schema = example = None
        if plan["has_schema"]:
            schema, example = config_schema(rng)
            schema["title"] = f"{plan['title']} config"
        previous = None
        for step, version in enumerate(plan["versions"]):
            if schema is not None and previous is not None:
                schema, example = evolve(schema, example, step, is_major_step(previous, version), rng)
            source = None
            if schema is not None:
                if plan["schema_as_file"]:
                    source = f"config-{version}.schema.json"
                    write(os.path.join(folder, source), json.dumps(schema, indent=2) + "\n")
                    files += 1
                else:
                    source = schema
            latest = step == len(plan["versions"]) - 1
            document = definition(plan, version, source, example, rng, latest)
            header = "# yaml-language-server: $schema=../../definition.schema.json\n"
            write(os.path.join(folder, f"{version}.yaml"), header + to_yaml(document))
            files += 1
            previous = version
        lookup = plan["artifact_type"] or plan["identifying_layer"]
        latest_version = plan["versions"][-1]
        type_lines.append(f"{type_id}\t{lookup}\t{latest_version}")
        query = f"/classify?registry=registry.example.com&repository={plan['vendor']}/{plan['name']}&tag=v{latest_version}"
        classify_lines.append(query + "\t" + json.dumps(manifest_for(plan, rng, example), separators=(",", ":")))
        if schema is not None:
            body = example if rng.random() < 0.8 else invalid_document(schema, example, rng)
            validate_lines.append(f"/types/{type_id}/validate\t" + json.dumps(body, separators=(",", ":")))
    if fixtures:
        os.makedirs(fixtures, exist_ok=True)
        for name, lines in [("types.tsv", type_lines), ("classify.tsv", classify_lines), ("validate.tsv", validate_lines)]:
            write(os.path.join(fixtures, name), "\n".join(lines) + "\n")
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="catalog directory to write (replaced)")
    parser.add_argument("--types", type=int, default=10_000, help="number of types (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--fixtures", help="directory for the benchmark's request inputs")
    args = parser.parse_args()
    if args.types < 1:
        parser.error("--types must be at least 1")
    files = generate(args.out, args.types, args.seed, args.fixtures)
    print(f"wrote {args.types} types ({files} files) to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
