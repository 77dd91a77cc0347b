#!/usr/bin/env python3
"""Ships the public surface at a release: moves every line of each src/*/PublicAPI.Unshipped.txt into the
project's PublicAPI.Shipped.txt (sorted, no duplicates; a `*REMOVED*X` line drops X from Shipped) and leaves
Unshipped with only `#nullable enable`. Idempotent; rerun after merging branches that added API:
    python3 eng/ship-public-api.py
Then `dotnet build Isolated.Net.sln -c Release` must still report 0 warnings.
"""
import glob, os

HEADER = "#nullable enable"
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for unshipped_path in sorted(glob.glob(os.path.join(root, "src", "*", "PublicAPI.Unshipped.txt"))):
    shipped_path = os.path.join(os.path.dirname(unshipped_path), "PublicAPI.Shipped.txt")
    read = lambda p: [l.rstrip("\r") for l in open(p, encoding="utf-8-sig").read().splitlines()] if os.path.exists(p) else []
    unshipped = [l for l in read(unshipped_path) if l.strip() and l != HEADER]
    shipped = {l for l in read(shipped_path) if l.strip() and l != HEADER}
    removed = {l[len("*REMOVED*"):] for l in unshipped if l.startswith("*REMOVED*")}
    shipped = (shipped | {l for l in unshipped if not l.startswith("*REMOVED*")}) - removed
    with open(shipped_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join([HEADER] + sorted(shipped)) + "\n")
    with open(unshipped_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER + "\n")
    print(f"{os.path.relpath(shipped_path, root)}: {len(shipped)} shipped (+{len(unshipped) - len(removed)} -{len(removed)})")
