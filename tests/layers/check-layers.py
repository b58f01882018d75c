#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""check-layers: no module reaches up the layer order, no two modules form a cycle.

Usage: check-layers.py [--nm NM] [--allow FILE] BUILD_DIR SOURCE_DIR

The layer order is src/CMakeLists.txt: its add_subdirectory() lines, lower modules first.
A module may use the modules above it; a trailing "# uses: a b" on its line narrows that to
the modules named. Uses are read from the object files of the build (compile_commands.json
names them) with nm: an undefined symbol of one file that another file defines.

Invariants checked:
  1. Library code of module X uses only symbols of X or of a module X may use.
  2. Library code never uses program code (the objects of an executable target).
  3. No file-level cycle spans two modules: if a.c of X uses b.c of Y, b.c does not use a.c,
     directly or through other files.
Program code (executables: the CLI, the daemons' main files) may use any module.

Each violation is one line on stdout; the exit status is 1 if any is not in the allow list
(ALLOW: one violation line per line, '#' comments), 2 on a usage or setup error.
Allow-list lines that no longer match a violation are errors too, so the list only shrinks.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections import defaultdict, deque

ORDER_FILE = "src/CMakeLists.txt"
MODULE_LINE = re.compile(r"^\s*add_subdirectory\(\s*([A-Za-z0-9_-]+)\s*\)\s*(?:#\s*uses:\s*(.*))?$")


class SetupError(Exception):
    pass


def read_order(source_dir):
    """Returns ([module, ...] lower first, {module: set of modules it may use})."""
    path = os.path.join(source_dir, ORDER_FILE)
    order, narrowed = [], {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = MODULE_LINE.match(line)
            if not m:
                if "add_subdirectory" in line:
                    raise SetupError(f"{ORDER_FILE}:{number}: cannot read module line: {line.strip()}")
                continue
            module, uses = m.group(1), m.group(2)
            if module in order:
                raise SetupError(f"{ORDER_FILE}:{number}: module {module} listed twice")
            if uses is not None:
                names = uses.split()
                for name in names:
                    if name not in order:
                        raise SetupError(f"{ORDER_FILE}:{number}: {module} uses {name}, "
                                         f"which is not a module above it")
                narrowed[module] = set(names)
            order.append(module)
    if not order:
        raise SetupError(f"{ORDER_FILE}: no add_subdirectory() lines")
    allowed = {}
    for i, module in enumerate(order):
        allowed[module] = narrowed.get(module, set(order[:i]))
    return order, allowed


def read_objects(build_dir, source_dir):
    """Returns [(source relative to SOURCE_DIR, object path, is_library)] for src/ files."""
    path = os.path.join(build_dir, "compile_commands.json")
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as e:
        raise SetupError(f"{path}: {e.strerror} (configure with CMAKE_EXPORT_COMPILE_COMMANDS)")
    src_root = os.path.realpath(os.path.join(source_dir, "src"))
    objects = []
    for entry in entries:
        source = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        if not source.startswith(src_root + os.sep):
            continue
        output = entry.get("output")
        if output is None:
            args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
            if "-o" not in args:
                raise SetupError(f"{path}: no object file named for {entry['file']}")
            output = args[args.index("-o") + 1]
        obj = os.path.normpath(os.path.join(entry["directory"], output))
        if not os.path.exists(obj):
            raise SetupError(f"{obj}: missing; build first")
        # <dir>/CMakeFiles/<target>.dir/...: a library target leaves lib<target>.a in <dir>.
        m = re.search(r"(.*)/CMakeFiles/([^/]+)\.dir/", obj)
        if not m:
            raise SetupError(f"{obj}: not in a CMakeFiles/<target>.dir folder")
        target_dir, target = m.group(1), m.group(2)
        is_library = any(os.path.exists(os.path.join(target_dir, f"lib{target}{ext}"))
                         for ext in (".a", ".so"))
        objects.append((os.path.relpath(source, os.path.realpath(source_dir)), obj, is_library))
    if not objects:
        raise SetupError(f"{path}: no object files of src/")
    return objects


def read_symbols(nm, objects):
    """Returns ({object: set of defined globals}, {object: set of undefined symbols})."""
    defined, undefined = defaultdict(set), defaultdict(set)
    paths = [obj for _, obj, _ in objects]
    result = subprocess.run([nm, "-A", "-P"] + paths, capture_output=True, text=True)
    if result.returncode != 0:
        raise SetupError(f"{nm}: {result.stderr.strip()}")
    for line in result.stdout.splitlines():
        # "file.o: name type [value size]"
        head, _, rest = line.partition(": ")
        fields = rest.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind in ("U", "w", "v"):
            undefined[head].add(name)
        elif kind.isupper():
            defined[head].add(name)
    return defined, undefined


def module_of(source):
    parts = source.split(os.sep)
    return parts[1] if len(parts) > 2 else None


def find_path(graph, start, goal):
    """Shortest path of files from start to goal in graph, or None."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for nxt in sorted(graph[node]):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def check(build_dir, source_dir, nm):
    order, allowed = read_order(source_dir)
    objects = read_objects(build_dir, source_dir)
    defined, undefined = read_symbols(nm, objects)

    source_of = {obj: src for src, obj, _ in objects}
    library = {src: is_lib for src, _, is_lib in objects}
    violations = []
    for src, obj, _ in objects:
        module = module_of(src)
        if module not in allowed:
            violations.append(f"{src}: module {module} is not in the module order in {ORDER_FILE}")
        if "main" in defined[obj]:
            library[src] = False

    definers = defaultdict(list)
    for obj, names in defined.items():
        for name in names:
            definers[name].append(source_of[obj])

    # uses[a][b]: the symbols file a takes from file b (b != a).
    uses = defaultdict(lambda: defaultdict(set))
    for obj, names in undefined.items():
        user = source_of[obj]
        for name in names:
            found = [d for d in definers.get(name, []) if d != user]
            # A program defining the same name as a library does not capture library uses.
            if library[user] and any(library[d] for d in found):
                found = [d for d in found if library[d]]
            for d in found:
                uses[user][d].add(name)

    graph = {src: set(uses[src]) for src in library}
    for user in sorted(uses):
        if not library[user]:
            continue
        user_module = module_of(user)
        for used in sorted(uses[user]):
            used_module = module_of(used)
            names = ", ".join(sorted(uses[user][used]))
            if not library[used]:
                violations.append(f"{user} uses {names} from {used}: "
                                  f"{user_module} may not use program code")
            elif user_module in allowed and used_module != user_module \
                    and used_module not in allowed[user_module]:
                violations.append(f"{user} uses {names} from {used}: "
                                  f"{user_module} may not use {used_module}")

    for user in sorted(uses):
        for used in sorted(uses[user]):
            if module_of(user) == module_of(used):
                continue
            back = find_path(graph, used, user)
            if back is None:
                continue
            names = ", ".join(sorted(uses[user][used]))
            violations.append(f"{user} uses {names} from {used}, which uses it back "
                              f"({' -> '.join(back)}): cycle between "
                              f"{module_of(user)} and {module_of(used)}")
    modules = {module_of(src) for src in library}
    print(f"check-layers: {len(library)} files of {len(modules)} modules, "
          f"{sum(len(used) for used in uses.values())} file-to-file uses, "
          f"{len(violations)} violations", file=sys.stderr)
    return violations


def read_allow(path):
    if path is None:
        return []
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    return [line for line in lines if line and not line.startswith("#")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nm", default=os.environ.get("NM", "nm"))
    parser.add_argument("--allow", help="file of violations known today, one per line")
    parser.add_argument("build_dir")
    parser.add_argument("source_dir")
    args = parser.parse_args()
    try:
        violations = check(args.build_dir, args.source_dir, args.nm)
        allow = read_allow(args.allow)
    except (SetupError, OSError) as e:
        print(f"check-layers: {e}", file=sys.stderr)
        return 2

    failed = False
    for line in violations:
        if line in allow:
            print(f"allowed: {line}")
        else:
            print(line)
            failed = True
    for line in allow:
        if line not in violations:
            print(f"{args.allow}: no longer happens, remove it: {line}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
