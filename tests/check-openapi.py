#!/usr/bin/env python3
"""Checks that docs/openapi.yaml covers exactly the routes of src/api/routes.c.

Usage: check-openapi.py SOURCE_ROOT

Standard library only: the YAML is read by its disciplined layout (paths at two spaces under
`paths:`, methods at four, `operationId:` at six), not by a YAML parser. Path parameters are
compared as `{}` whatever their names. Fails (exit 1, naming each mismatch) when a route has no
path+method in the YAML, the YAML has a path+method under /api/v1 that routes.c lacks, or an
operationId differs from the route's name. Prints "N passed, M failed" last.
"""
import os
import re
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Served by src/http/server.c itself, not by the route table.
SERVER_PATHS = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")]

ROUTE_RE = re.compile(
    r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(true|false)\s*,\s*(true|false)\s*,'
    r'\s*"([^"]+)"\s*,?\s*\}'
)


def normalise(path):
    return re.sub(r"\{[^}/]*\}", "{}", path)


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def read_routes(path, problems):
    """Returns [(METHOD, pattern, name)] of the api_routes[] table."""
    with open(path, encoding="utf-8") as f:
        text = strip_c_comments(f.read())
    m = re.search(r"api_routes\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\}\s*;", text, flags=re.S)
    if not m:
        problems.append("%s: no `api_routes[] = { ... };` table found" % path)
        return []
    body = m.group(1)
    routes = [(g[0], g[1], g[5]) for g in ROUTE_RE.findall(body)]
    entries = len(re.findall(r'\{\s*"', body))
    if entries != len(routes):
        problems.append("%s: %d table entries but only %d could be read (layout changed?)"
                        % (path, entries, len(routes)))
    if not routes:
        problems.append("%s: the route table is empty" % path)
    return routes


def read_openapi(path, problems):
    """Returns [(METHOD, path, operationId or None, line number)] under `paths:`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    ops = []
    in_paths = False
    seen_paths = False
    cur_path = None
    cur_op = None
    for no, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):  # a top-level key
            in_paths = line.rstrip() == "paths:"
            seen_paths = seen_paths or in_paths
            cur_path = cur_op = None
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (\S.*?):\s*$", line)
        if m:
            key = m.group(1).strip("'\"")
            if not key.startswith("/"):
                problems.append("%s:%d: `%s` under paths: is not a path" % (path, no, key))
                cur_path = None
            else:
                cur_path = key
            cur_op = None
            continue
        m = re.match(r"^    (\S+):", line)
        if m:
            cur_op = None
            key = m.group(1)
            if key in METHODS and cur_path is not None:
                cur_op = [key.upper(), cur_path, None, no]
                ops.append(cur_op)
            elif key.lower() in METHODS and key not in METHODS:
                problems.append("%s:%d: method `%s` must be lower case" % (path, no, key))
            continue
        m = re.match(r"^      operationId:\s*['\"]?([^'\"\s]+)['\"]?\s*$", line)
        if m and cur_op is not None:
            cur_op[2] = m.group(1)
    if not seen_paths:
        problems.append("%s: no top-level `paths:`" % path)
    return [tuple(op) for op in ops]


def main(argv):
    if len(argv) != 2:
        print("usage: %s SOURCE_ROOT" % argv[0], file=sys.stderr)
        return 2
    root = argv[1]
    routes_c = os.path.join(root, "src", "api", "routes.c")
    yaml_path = os.path.join(root, "docs", "openapi.yaml")
    passed = 0
    failed = []

    def check(ok, message):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failed.append(message)

    problems = []
    routes = read_routes(routes_c, problems)
    ops = read_openapi(yaml_path, problems)
    check(not problems, "; ".join(problems))

    doc = {}
    for method, p, op_id, no in ops:
        key = (method, normalise(p))
        check(key not in doc, "docs/openapi.yaml:%d: %s %s is given twice" % (no, method, p))
        doc.setdefault(key, (p, op_id, no))
    table = {}
    for method, pattern, name in routes:
        key = (method, normalise(pattern))
        check(key not in table, "routes.c: %s %s is in the table twice" % (method, pattern))
        table.setdefault(key, name)

    # every route is documented, under its name
    for (method, pattern), name in table.items():
        entry = doc.get((method, pattern))
        check(entry is not None,
              "route %s %s (%s) of routes.c has no path+method in docs/openapi.yaml"
              % (method, pattern, name))
        if entry is not None:
            p, op_id, no = entry
            check(op_id == name,
                  "docs/openapi.yaml:%d: %s %s has operationId %s, routes.c names it %s"
                  % (no, method, p, op_id if op_id else "(none)", name))

    # nothing under /api/v1 is documented that the server does not route
    for (method, npath), (p, op_id, no) in doc.items():
        if npath == "/api/v1" or npath.startswith("/api/v1/"):
            check((method, npath) in table,
                  "docs/openapi.yaml:%d: %s %s is not a route of routes.c" % (no, method, p))

    # the endpoints the HTTP server answers itself
    for method, p in SERVER_PATHS:
        check((method, p) in doc, "docs/openapi.yaml: %s %s is missing" % (method, p))

    for message in failed:
        print("FAIL: " + message)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
