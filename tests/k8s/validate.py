#!/usr/bin/env python3
"""validate.py - offline, strict validation of Kubernetes manifests.

Usage: validate.py [--partial] FILE...   (or a kustomization.yaml)

Every YAML document must be a kind listed in k8s-schema.json (generated
from the Kubernetes API types, see gen-schema.py) and match it exactly:
unknown fields, wrong types, values outside an enum and missing required
fields are errors, as `kubectl apply --validate=strict` would report them.
--partial checks patches: the same, but required fields may be missing.
A kustomization.yaml is checked for known keys, then every resource and
patch it names is validated (patches as partial objects).
Exit status 0 when everything is valid, 1 otherwise.
"""
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = json.load(open(os.path.join(HERE, "k8s-schema.json")))
TYPES = SCHEMA["types"]
KUSTOMIZE_KEYS = {"apiVersion", "kind", "namespace", "resources", "labels",
                  "commonLabels", "commonAnnotations", "configMapGenerator",
                  "secretGenerator", "generatorOptions", "patches", "images",
                  "namePrefix", "nameSuffix", "replicas", "components"}


def check(value, t, path, errors, partial):
    kind = t["t"]
    if kind == "ref":
        return check(value, TYPES[t["id"]], path, errors, partial)
    if kind == "any":
        return
    if kind == "string":
        if not isinstance(value, str):
            errors.append("%s: expected a string, got %r" % (path, value))
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append("%s: expected a number, got %r" % (path, value))
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append("%s: expected true or false, got %r" % (path, value))
    elif kind == "enum":
        if value not in t["values"]:
            errors.append("%s: %r is not one of %s" % (path, value, t["values"]))
    elif kind == "union":
        for alt in t["of"]:
            sub = []
            check(value, alt, path, sub, partial)
            if not sub:
                return
        errors.append("%s: %r matches none of the allowed types" % (path, value))
    elif kind == "array":
        if not isinstance(value, list):
            errors.append("%s: expected a list" % path)
            return
        for i, v in enumerate(value):
            check(v, t["of"], "%s[%d]" % (path, i), errors, partial)
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append("%s: expected a map" % path)
            return
        for k, v in value.items():
            check(v, t["of"], "%s.%s" % (path, k), errors, partial)
    elif kind == "object":
        if not isinstance(value, dict):
            errors.append("%s: expected an object" % path)
            return
        for k, v in value.items():
            if k not in t["props"]:
                errors.append("%s: unknown field %r" % (path, k))
            else:
                check(v, t["props"][k], "%s.%s" % (path, k), errors, partial)
        if not partial:
            for k in t["required"]:
                if k not in value:
                    errors.append("%s: missing required field %r" % (path, k))


def validate_doc(doc, where, partial):
    if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
        return ["%s: not a Kubernetes object (apiVersion and kind needed)" % where]
    key = "%s/%s" % (doc["apiVersion"], doc["kind"])
    if key not in SCHEMA["kinds"]:
        return ["%s: unsupported kind %s" % (where, key)]
    name = (doc.get("metadata") or {}).get("name", "?")
    errors = []
    check(doc, {"t": "ref", "id": SCHEMA["kinds"][key]}, doc["kind"] + "/" + name,
          errors, partial)
    return ["%s: %s" % (where, e) for e in errors]


def validate_file(path, partial):
    try:
        docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    except (OSError, yaml.YAMLError) as e:
        return ["%s: %s" % (path, e)]
    if not docs:
        return ["%s: no YAML document" % path]
    if os.path.basename(path) in ("kustomization.yaml", "kustomization.yml"):
        return validate_kustomization(path, docs[0])
    errors = []
    for i, doc in enumerate(docs):
        errors += validate_doc(doc, "%s#%d" % (path, i + 1), partial)
    return errors


def validate_kustomization(path, k):
    base = os.path.dirname(path)
    errors = ["%s: unknown kustomization field %r" % (path, key)
              for key in k if key not in KUSTOMIZE_KEYS]
    for r in k.get("resources", []):
        p = os.path.join(base, r)
        if os.path.isdir(p):
            p = os.path.join(p, "kustomization.yaml")
        errors += validate_file(p, False) if os.path.exists(p) else \
            ["%s: resource %s does not exist" % (path, r)]
    for patch in k.get("patches", []):
        if "path" in patch:
            p = os.path.join(base, patch["path"])
            errors += validate_file(p, True) if os.path.exists(p) else \
                ["%s: patch %s does not exist" % (path, patch["path"])]
    for gen in k.get("configMapGenerator", []) + k.get("secretGenerator", []):
        for f in gen.get("files", []):
            src = f.split("=", 1)[-1]
            if not os.path.exists(os.path.join(base, src)):
                errors.append("%s: generator file %s does not exist" % (path, src))
    return errors


def main(argv):
    partial = "--partial" in argv
    files = [a for a in argv if a != "--partial"]
    if not files:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    errors = []
    for f in files:
        errors += validate_file(f, partial)
    for e in errors:
        print(e)
    if not errors:
        print("%d file(s) valid" % len(files))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
