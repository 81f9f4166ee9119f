#!/usr/bin/env python3
"""gen-schema.py - build tests/k8s/k8s-schema.json, the strict schema the
offline manifest check (validate.py) uses.

Not run by CI (CI has no npm registry): run by hand when the API version
moves, and commit the result.

    mkdir /tmp/k8sm && cd /tmp/k8sm && npm install kubernetes-models@5.1.0
    tests/k8s/gen-schema.py /tmp/k8sm/node_modules > tests/k8s/k8s-schema.json

The npm package kubernetes-models is generated from the Kubernetes OpenAPI
spec; its TypeScript declarations (.d.ts) list every field of every type
with its type and whether it is required. This script reads them for the
kinds pod-spec/ uses and everything they reference, and writes plain JSON:
  {"kinds": {"apps/v1/StatefulSet": "<type id>"},
   "types": {"<type id>": <type>}}
with <type> one of
  {"t": "string"|"number"|"boolean"|"any"}, {"t": "enum", "values": [...]},
  {"t": "union", "of": [<type>...]}, {"t": "array", "of": <type>},
  {"t": "map", "of": <type>}, {"t": "ref", "id": "<type id>"},
  {"t": "object", "props": {name: <type>}, "required": [names]}.
"""
import json
import os
import re
import sys

ROOT = sys.argv[1]
KINDS = {
    "apps/v1/StatefulSet": "kubernetes-models/apps/v1/StatefulSet.d.ts",
    "v1/Service": "kubernetes-models/v1/Service.d.ts",
    "v1/PersistentVolumeClaim": "kubernetes-models/v1/PersistentVolumeClaim.d.ts",
    "v1/Secret": "kubernetes-models/v1/Secret.d.ts",
    "v1/ConfigMap": "kubernetes-models/v1/ConfigMap.d.ts",
    "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount.d.ts",
    "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget.d.ts",
    "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy.d.ts",
}

TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|([A-Za-z_$][\w$]*)|(.))', re.S)


def tokens(text):
    out = []
    for m in TOKEN.finditer(text):
        s, n, i, p = m.groups()
        if s is not None:
            out.append(("str", json.loads(s)))
        elif n is not None:
            out.append(("num", n))
        elif i is not None:
            out.append(("id", i))
        elif p is not None and not p.isspace():
            out.append(("p", p))
    return out


class Parser:
    def __init__(self, toks, resolve):
        self.t, self.i, self.resolve = toks, 0, resolve

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else ("eof", "")

    def take(self, kind=None, val=None):
        tok = self.peek()
        if (kind and tok[0] != kind) or (val is not None and tok[1] != val):
            raise SyntaxError("expected %s %s, got %s" % (kind, val, tok))
        self.i += 1
        return tok

    def type(self):
        alts = [self.postfix()]
        while self.peek() == ("p", "|"):
            self.take()
            alts.append(self.postfix())
        if all(a["t"] == "lit" for a in alts):
            return {"t": "enum", "values": [a["v"] for a in alts]}
        alts = [{"t": "enum", "values": [a["v"]]} if a["t"] == "lit" else a for a in alts]
        return alts[0] if len(alts) == 1 else {"t": "union", "of": alts}

    def postfix(self):
        t = self.primary()
        while self.peek() == ("p", "[") and self.peek(1) == ("p", "]"):
            self.take(), self.take()
            t = {"t": "array", "of": t}
        return t

    def primary(self):
        kind, v = self.take()
        if kind == "str":
            return {"t": "lit", "v": v}
        if kind == "num":
            return {"t": "lit", "v": float(v)}
        if kind == "p" and v == "{":
            return self.members()
        if kind == "p" and v == "(":
            t = self.type()
            self.take("p", ")")
            return t
        if v in ("string", "number", "boolean", "any", "object", "unknown"):
            return {"t": {"object": "any", "unknown": "any"}.get(v, v)}
        if v == "Array":
            self.take("p", "<")
            t = self.type()
            self.take("p", ">")
            return {"t": "array", "of": t}
        if v == "Record":
            self.take("p", "<")
            self.type()
            self.take("p", ",")
            t = self.type()
            self.take("p", ">")
            return {"t": "map", "of": t}
        return {"t": "ref", "id": self.resolve(v)}

    def members(self):
        props, required, mapof = {}, [], None
        while self.peek() != ("p", "}"):
            if self.peek() == ("p", "["):  # [key: string]: T
                self.take(), self.take("id"), self.take("p", ":"), self.take("id"), self.take("p", "]")
                self.take("p", ":")
                mapof = self.type()
            else:
                name = self.take()[1]
                opt = self.peek() == ("p", "?")
                if opt:
                    self.take()
                self.take("p", ":")
                props[name] = self.type()
                if not opt:
                    required.append(name)
            if self.peek() == ("p", ";"):
                self.take()
        self.take("p", "}")
        if mapof is not None and not props:
            return {"t": "map", "of": mapof}
        return {"t": "object", "props": props, "required": required}


types = {}


def load(path):
    """Parse the first interface or type alias of a .d.ts into types[id]."""
    tid = os.path.relpath(path, ROOT)
    if tid in types:
        return tid
    types[tid] = None
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    imports = {}
    for names, src in re.findall(r'import\s*\{([^}]*)\}\s*from\s*"([^"]+)"', text):
        for n in names.split(","):
            n = n.strip()
            if n:
                imports[n] = src

    def resolve(name):
        src = imports.get(name)
        if src is None:
            raise SyntaxError("%s: unknown type %s" % (tid, name))
        if src.startswith("."):
            p = os.path.normpath(os.path.join(os.path.dirname(path), src))
        else:
            p = os.path.join(ROOT, src)
        p = re.sub(r"\.js$", "", p) + ".d.ts"
        return load(p)

    m = re.search(r"export interface \w+(?: extends [\w, ]+)? \{", text)
    a = re.search(r"export type (\w+) = ", text)
    if m and (not a or m.start() < a.start()):
        p = Parser(tokens(text[m.end():]), resolve)
        types[tid] = p.members()
    elif a:
        body = text[a.end():text.index(";", a.end())]
        types[tid] = Parser(tokens(body), resolve).type()
    else:
        raise SyntaxError("%s: no interface or type" % tid)
    return tid


kinds = {k: load(os.path.join(ROOT, v)) for k, v in KINDS.items()}
pkg = json.load(open(os.path.join(ROOT, "kubernetes-models/package.json")))
json.dump({"source": "kubernetes-models %s (npm), type declarations" % pkg["version"],
           "kinds": kinds, "types": types}, sys.stdout, indent=None, sort_keys=True)
sys.stdout.write("\n")
