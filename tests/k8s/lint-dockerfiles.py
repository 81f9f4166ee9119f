#!/usr/bin/env python3
"""lint-dockerfiles.py - offline checks of Dockerfiles (no Docker engine here).

Usage: lint-dockerfiles.py FILE...
Each file must:
  - use only known instructions, with line continuations well formed;
  - pin every base image by a tag that is not "latest" (or by digest);
  - end with a non-root USER in its final stage;
  - keep build tools out of the final stage (no compiler, make or -dev
    package installed after the last FROM; binaries come by COPY --from);
  - install with --no-install-recommends and clean the apt lists in the
    same RUN;
  - hold no secret values (ENV/ARG/LABEL named like password, token,
    secret or key with a value);
  - name the PostgreSQL major only through ARG PG_MAJOR (no literal
    postgresql-17, /usr/lib/postgresql/17), and install TimescaleDB at a
    pinned version (package=version);
  - agree with versions.env beside it: every ARG default it lists is
    the value there (one source for every version).
Base images named by ${ARG} are checked with the ARG's default.
Exit status 0 when every file passes, 1 otherwise.
"""
import os
import re
import sys

KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY",
         "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD",
         "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cmake|pkg-config|[\w.+-]+-dev)\b")
SECRET_NAME = re.compile(r"(password|passwd|token|secret|api_?key|private_?key)", re.I)


def instructions(text):
    """(line number, INSTRUCTION, arguments) with continuations joined."""
    out, buf, start = [], "", 0
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if buf and s.startswith("#"):
            continue
        if not buf:
            start = n
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        word, _, args = buf.partition(" ")
        out.append((start, word.upper(), args.strip()))
        buf = ""
    if buf:
        out.append((start, "<EOF>", buf))
    return out


HARD_MAJOR = re.compile(r"(postgresql-(client-)?\d+|/usr/lib/postgresql/\d+|postgresql-\d+=)")
TSDB = re.compile(r"(timescaledb-2-(loader-)?postgresql-[\w${}]+)(=\S+)?")


def versions_env(path):
    env = {}
    f = os.path.join(os.path.dirname(path), "versions.env")
    if os.path.exists(f):
        for line in open(f):
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


def lint(path):
    errors = []
    ins = instructions(open(path).read())
    versions = versions_env(path)
    arg_defaults = {}
    stages = [i for i, (_, w, _) in enumerate(ins) if w == "FROM"]
    if not stages:
        return ["%s: no FROM" % path]
    final = stages[-1]
    user = None
    for i, (n, word, args) in enumerate(ins):
        where = "%s:%d" % (path, n)
        if word not in KNOWN:
            errors.append("%s: unknown instruction %s" % (where, word))
            continue
        if word == "ARG":
            name, eq, value = args.partition("=")
            if eq:
                args_default = value.strip('"')
                arg_defaults[name] = args_default
                if name in versions and versions[name] != args_default:
                    errors.append("%s: ARG %s=%s but versions.env says %s" % (where, name, args_default, versions[name]))
        if word != "ARG" and HARD_MAJOR.search(args):
            errors.append("%s: PostgreSQL major written out (%s): use ${PG_MAJOR}" % (where, HARD_MAJOR.search(args).group(0)))
        for m in TSDB.finditer(args if word == "RUN" else ""):
            if not m.group(3):
                errors.append("%s: %s installed at no pinned version" % (where, m.group(1)))
        if word == "FROM":
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: arg_defaults.get(m.group(1), m.group(0)), args.split()[0])
            if "@sha256:" not in image:
                tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
                if not tag or tag == "latest":
                    errors.append("%s: base image %s is not pinned by a tag" % (where, image))
        if word == "RUN" and "apt-get install" in args:
            if "--no-install-recommends" not in args:
                errors.append("%s: apt-get install without --no-install-recommends" % where)
            if "rm -rf /var/lib/apt/lists" not in args:
                errors.append("%s: apt lists not removed in the same RUN" % where)
            if i > final:
                for m in re.finditer(r"apt-get install ([^&;|]*)", args):
                    tools = BUILD_TOOLS.findall(m.group(1))
                    if tools:
                        errors.append("%s: build tools in the runtime stage: %s" % (where, ", ".join(tools)))
        if word in ("ENV", "ARG", "LABEL"):
            for name, value in re.findall(r"([\w.-]+)=(\S+)", args):
                if SECRET_NAME.search(name) and value not in ('""', "''"):
                    errors.append("%s: %s %s looks like a secret value" % (where, word, name))
        if word == "USER" and i > final:
            user = args.split(":")[0]
    if user is None:
        errors.append("%s: the final stage has no USER (it would run as root)" % path)
    elif user in ("root", "0"):
        errors.append("%s: the final stage runs as root" % path)
    return errors


def main(files):
    errors = []
    for f in files:
        errors += lint(f)
    for e in errors:
        print(e)
    if not errors:
        print("%d Dockerfile(s) pass" % len(files))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else 2)
