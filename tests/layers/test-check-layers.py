#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Self-test of check-layers.py: it fails on a reach-up and on a cross-module cycle.

Usage: test-check-layers.py CHECKER CC AR NM

Each case compiles a few tiny C files into a fake build tree laid out as CMake lays one out
(<dir>/CMakeFiles/<target>.dir/<file>.c.o, lib<target>.a beside it for a library,
compile_commands.json at the top), with its own src/CMakeLists.txt order, runs the checker
and compares its exit status and output line by line.
"""

import json
import os
import subprocess
import sys
import tempfile

CHECKER, CC, AR, NM = sys.argv[1:5]

ORDER = """\
# Modules in dependency order: each may use only those above it.
add_subdirectory(base)
add_subdirectory(mid)
add_subdirectory(peer)       # uses: base
add_subdirectory(app)
"""

# Module app is a program (a target without a library); the others are libraries.
CLEAN = {
    "base/a.c": "int base_f(void); int base_f(void) { return 1; }",
    "mid/m.c": "int base_f(void); int mid_f(void); int mid_f(void) { return base_f(); }",
    "peer/p.c": "int base_f(void); int peer_f(void); int peer_f(void) { return base_f(); }",
    "app/main.c": "int mid_f(void); int peer_f(void); int main(void) { return mid_f() + peer_f(); }",
}

BROKEN = {
    "base/a.c": "int base_f(void); int base_f(void) { return 1; }",
    # Reaches up to mid, and mid uses it back: a cycle between base and mid.
    "base/b.c": "int mid_g(void); int base_h(void); int base_h(void) { return mid_g(); }",
    "mid/m.c": "int base_f(void); int base_h(void); int mid_g(void);\n"
               "int mid_g(void) { return base_f(); }\n"
               "int mid_f(void); int mid_f(void) { return base_h(); }",
    # peer may use base only, not mid, although mid is above it.
    "peer/p.c": "int mid_f(void); int peer_f(void); int peer_f(void) { return mid_f(); }",
    # Library code using a program's code.
    "peer/q.c": "int app_helper(void); int peer_q(void); int peer_q(void) { return app_helper(); }",
    "app/main.c": "int peer_f(void); int app_helper(void); int app_helper(void) { return 2; }\n"
                  "int main(void) { return peer_f(); }",
}

BROKEN_REPORT = [
    "src/base/b.c uses mid_g from src/mid/m.c: base may not use mid",
    "src/peer/p.c uses mid_f from src/mid/m.c: peer may not use mid",
    "src/peer/q.c uses app_helper from src/app/main.c: peer may not use program code",
    "src/base/b.c uses mid_g from src/mid/m.c, which uses it back "
    "(src/mid/m.c -> src/base/b.c): cycle between base and mid",
    "src/mid/m.c uses base_h from src/base/b.c, which uses it back "
    "(src/base/b.c -> src/mid/m.c): cycle between mid and base",
]


def build_tree(top, files, order=ORDER):
    """Writes SOURCE and BUILD under top; returns (build_dir, source_dir)."""
    source_dir, build_dir = os.path.join(top, "source"), os.path.join(top, "build")
    os.makedirs(os.path.join(source_dir, "src"))
    with open(os.path.join(source_dir, "src", "CMakeLists.txt"), "w") as f:
        f.write(order)
    commands, members = [], {}
    for path, code in files.items():
        module, name = path.split("/")
        source = os.path.join(source_dir, "src", path)
        os.makedirs(os.path.dirname(source), exist_ok=True)
        with open(source, "w") as f:
            f.write(code + "\n")
        target = module if module == "app" else f"kos-{module}"
        directory = os.path.join(build_dir, "src", module)
        obj = f"CMakeFiles/{target}.dir/{name}.o"
        os.makedirs(os.path.join(directory, os.path.dirname(obj)), exist_ok=True)
        command = [CC, "-c", "-o", obj, source]
        subprocess.run(command, cwd=directory, check=True)
        commands.append({"directory": directory, "command": " ".join(command), "file": source})
        if module != "app":
            members.setdefault((directory, target), []).append(obj)
    for (directory, target), objs in members.items():
        subprocess.run([AR, "qc", f"lib{target}.a"] + objs, cwd=directory, check=True)
    with open(os.path.join(build_dir, "compile_commands.json"), "w") as f:
        json.dump(commands, f)
    return build_dir, source_dir


def run_checker(build_dir, source_dir, *extra):
    result = subprocess.run([sys.executable, CHECKER, "--nm", NM, *extra, build_dir, source_dir],
                            capture_output=True, text=True)
    return result.returncode, result.stdout.splitlines(), result.stderr


failures = 0


def expect(case, got_status, got_lines, status, lines, stderr=""):
    global failures
    if got_status != status or sorted(got_lines) != sorted(lines):
        failures += 1
        print(f"FAIL {case}: exit {got_status}, want {status}")
        for line in got_lines:
            print(f"  got:  {line}")
        for line in lines:
            print(f"  want: {line}")
        if stderr:
            print(f"  stderr: {stderr.strip()}")
    else:
        print(f"ok {case}")


with tempfile.TemporaryDirectory() as top:
    build, source = build_tree(os.path.join(top, "clean"), CLEAN)
    status, lines, err = run_checker(build, source)
    expect("clean tree passes", status, lines, 0, [], err)

    build, source = build_tree(os.path.join(top, "broken"), BROKEN)
    status, lines, err = run_checker(build, source)
    expect("reach-up, narrowed module, program code and cycle are reported",
           status, lines, 1, BROKEN_REPORT, err)

    allow = os.path.join(top, "allow.txt")
    with open(allow, "w") as f:
        f.write("# known today\n" + "\n".join(BROKEN_REPORT) + "\n")
    status, lines, err = run_checker(build, source, "--allow", allow)
    expect("allowed violations pass", status, lines, 0,
           [f"allowed: {line}" for line in BROKEN_REPORT], err)

    stale = "src/base/a.c uses nothing from src/mid/m.c: base may not use mid"
    with open(allow, "w") as f:
        f.write(stale + "\n")
    build, source = build_tree(os.path.join(top, "stale"), CLEAN)
    status, lines, err = run_checker(build, source, "--allow", allow)
    expect("an allow-list line that no longer happens fails", status, lines, 1,
           [f"{allow}: no longer happens, remove it: {stale}"], err)

    build, source = build_tree(os.path.join(top, "undeclared"), CLEAN,
                               order=ORDER.replace("add_subdirectory(peer)", "#"))
    status, lines, err = run_checker(build, source)
    expect("a module missing from the order fails", status, lines, 1,
           ["src/peer/p.c: module peer is not in the module order in src/CMakeLists.txt"], err)

sys.exit(1 if failures else 0)
