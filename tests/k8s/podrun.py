#!/usr/bin/env python3
"""podrun.py - run a container of a rendered pod spec on this machine.

Usage: podrun.py RENDERED.yaml ROOT CONTAINER [probe]

Lays out ROOT/<volume> for every volume the container mounts, fills
ConfigMap volumes from the rendered ConfigMaps (and Secret volumes from
ROOT/secrets/<secretName>/ when it exists), and prints bash assignments:
  ENVS=( 'NAME=value' ... )   the container's env (plain values only)
  ARGV=( ... )                command + args, or the probe's exec command
with every mount path rewritten to its directory under ROOT, in env values,
argv and the ConfigMap files alike. Binaries are left as named: the caller
puts the build and PostgreSQL's bindir first on PATH. What the container
does is then what this machine does with the same argv, env and files.
"""
import json
import os
import re
import shlex
import sys

import yaml


# our images' ENTRYPOINT and CMD, read from their Dockerfiles: Kubernetes
# runs command (else ENTRYPOINT) followed by args (else CMD)
DOCKERFILES = {"pgwarden/pgwarden-db": "db.Dockerfile",
               "pgwarden/pgwarden-sidecars": "sidecars.Dockerfile"}


def image_defaults(image):
    name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image.split("@")[0]
    f = DOCKERFILES.get(name)
    entry, cmd = [], []
    if f:
        here = os.path.dirname(os.path.abspath(__file__))
        for line in open(os.path.join(here, "..", "..", "Dockerfiles", f)):
            if line.startswith("ENTRYPOINT "):
                entry = json.loads(line.split(" ", 1)[1])
            elif line.startswith("CMD "):
                cmd = json.loads(line.split(" ", 1)[1])
    return entry, cmd


def main():
    rendered, root, name = sys.argv[1:4]
    probe = sys.argv[4] if len(sys.argv) > 4 else None
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    sts = next(d for d in docs if d["kind"] == "StatefulSet")
    pod = sts["spec"]["template"]["spec"]
    cms = {d["metadata"]["name"]: d.get("data", {}) for d in docs
           if d["kind"] == "ConfigMap"}
    c = next(x for x in pod["containers"] if x["name"] == name)
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for t in sts["spec"].get("volumeClaimTemplates", []):
        vols[t["metadata"]["name"]] = {"name": t["metadata"]["name"]}
    mounts = sorted(c.get("volumeMounts", []), key=lambda m: -len(m["mountPath"]))

    def where(m):
        return os.path.join(root, m["name"])

    # one pass, whole path components only: /tmp must not match inside a
    # path already rewritten, nor /backups inside /backupsX
    by_path = {m["mountPath"]: where(m) for m in mounts}
    pattern = re.compile(r"(?<![\w/.-])(%s)(?=/|$|[\s'\";,])" % "|".join(
        re.escape(p) for p in sorted(by_path, key=len, reverse=True)), re.M)

    def rewrite(text):
        return pattern.sub(lambda m: by_path[m.group(1)], text) if by_path else text

    for m in mounts:
        if m["name"] not in vols:
            sys.exit("mount %r names no volume" % m["name"])
        v, d = vols[m["name"]], where(m)
        os.makedirs(d, exist_ok=True)
        if "configMap" in v:
            for k, text in cms.get(v["configMap"]["name"], {}).items():
                with open(os.path.join(d, k), "w") as f:
                    f.write(rewrite(text))
        if "secret" in v:
            src = os.path.join(root, "secrets", v["secret"]["secretName"])
            for k in os.listdir(src) if os.path.isdir(src) else []:
                with open(os.path.join(src, k)) as s, open(os.path.join(d, k), "w") as f:
                    f.write(s.read())
    envs = ["%s=%s" % (e["name"], rewrite(e["value"])) for e in c.get("env", [])
            if "value" in e]
    if probe:
        argv = c[probe]["exec"]["command"]
    else:
        entry, cmd = image_defaults(c["image"])
        argv = c.get("command", entry) + c.get("args", [] if "command" in c else cmd)
    print("ENVS=(%s)" % " ".join(shlex.quote(e) for e in envs))
    print("ARGV=(%s)" % " ".join(shlex.quote(rewrite(a)) for a in argv))


main()
