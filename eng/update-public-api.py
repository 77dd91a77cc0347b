#!/usr/bin/env python3
"""Pins the public surface: builds the solution, then adds every symbol RS0016 reports to the project's
PublicAPI.Unshipped.txt and drops every line RS0017 reports as gone. Run after changing public API:
    python3 eng/update-public-api.py
"""
import collections, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
add = collections.defaultdict(set)
remove = collections.defaultdict(set)
for _ in range(3):
    out = subprocess.run(["dotnet", "build", os.path.join(root, "Isolated.Net.sln"), "-c", "Release", "--no-incremental"],
                         capture_output=True, text=True).stdout
    add.clear(); remove.clear()
    for m in re.finditer(r"error (RS0016|RS0017): Symbol '(.*?)' is (?:not part of the declared public API|part of the declared API, but is either not public or could not be found).*?\[(.*?\.csproj)\]", out):
        (add if m.group(1) == "RS0016" else remove)[os.path.dirname(m.group(3))].add(m.group(2))
    if not add and not remove:
        break
    for project in set(add) | set(remove):
        path = os.path.join(project, "PublicAPI.Unshipped.txt")
        lines = open(path).read().splitlines() if os.path.exists(path) else ["#nullable enable"]
        body = sorted((set(lines[1:]) | add[project]) - remove[project])
        open(path, "w").write("\n".join(["#nullable enable"] + [l for l in body if l]) + "\n")
        print(f"{os.path.relpath(path, root)}: +{len(add[project])} -{len(remove[project])}")
errors = [l for l in out.splitlines() if ": error " in l]
print("\n".join(sorted(set(errors))[:40]) if errors else "build clean")
