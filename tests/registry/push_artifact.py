#!/usr/bin/env python3
"""Pushes one artifact to a registry with the ORAS Python library (PyPI `oras`), as the
end-to-end tests in tests/registry need it.

The `oras` package on PyPI is the library, not the Go command line: this script is the small
command line the tests drive. It uses the library's own push (blob uploads, config, layer
title annotations, manifest annotations, subject). The library has no parameter for the
manifest's `artifactType` (image-spec 1.1), so `--artifact-type` sets that one field on the
manifest the library built, just before the library uploads it: the result is what
`oras push --artifact-type` or `oras attach` of the Go CLI writes.

Prints one JSON line: {"digest": "<manifest digest from the registry>"}.
"""

import argparse
import json
import sys

import oras.client
import oras.oci


class Client(oras.client.OrasClient):
    """The library's client, plus the manifest `artifactType` it cannot set itself."""

    artifact_type = None

    def upload_manifest(self, manifest, container):
        if self.artifact_type:
            manifest["artifactType"] = self.artifact_type
        return super().upload_manifest(manifest, container)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", required=True, help="host:port, plain HTTP")
    parser.add_argument("--target", required=True, help="repository:tag")
    parser.add_argument("--artifact-type", help="the manifest's artifactType")
    parser.add_argument(
        "--config",
        help="PATH:MEDIATYPE of the config blob; ':MEDIATYPE' writes the empty config {}; "
        "without it the library writes {} as application/vnd.unknown.config.v1+json",
    )
    parser.add_argument(
        "--file", action="append", default=[], help="PATH[:MEDIATYPE] of a layer"
    )
    parser.add_argument(
        "--annotation", action="append", default=[], help="KEY=VALUE on the manifest"
    )
    parser.add_argument("--subject-digest")
    parser.add_argument("--subject-size", type=int)
    parser.add_argument(
        "--subject-media-type", default="application/vnd.oci.image.manifest.v1+json"
    )
    args = parser.parse_args()

    client = Client(hostname=args.registry, insecure=True)
    client.artifact_type = args.artifact_type
    annotations = dict(a.split("=", 1) for a in args.annotation)
    subject = None
    if args.subject_digest:
        subject = oras.oci.Subject(
            mediaType=args.subject_media_type,
            digest=args.subject_digest,
            size=args.subject_size,
        )
    response = client.push(
        target=f"{args.registry}/{args.target}",
        files=args.file,
        manifest_config=args.config,
        manifest_annotations=annotations or None,
        subject=subject,
        disable_path_validation=True,
        quiet=True,
    )
    if response.status_code not in (200, 201):
        print(f"push failed: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    print(json.dumps({"digest": response.headers.get("Docker-Content-Digest")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
