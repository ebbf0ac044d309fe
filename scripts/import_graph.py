#!/usr/bin/env python3
"""Prints the crate's module graph (which top-level module of src/ uses which), as Markdown
for ARCHITECTURE.md: `python3 scripts/import_graph.py`. The rule it illustrates (no arrow up)
is enforced by the unit test in src/layers.rs, which reads the same `crate::NAME` references."""
import collections, os, re, sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
MACROS = {"out": "render", "outln": "render"}


def references(text):
    code = text.split("#[cfg(test)]")[0]
    for match in re.finditer(r"crate::(\{[^}]*\}|\w+)", code):
        token = match.group(1)
        if token.startswith("{"):
            for item in token[1:-1].split(","):
                name = re.match(r"\s*(\w+)", item)
                if name:
                    yield name.group(1)
        else:
            yield token


edges = collections.Counter()
for folder, _, files in os.walk(SRC):
    for name in files:
        if not name.endswith(".rs"):
            continue
        path = os.path.join(folder, name)
        module = os.path.relpath(path, SRC).split(os.sep)[0].removesuffix(".rs")
        if module in ("main", "lib", "layers"):
            continue
        with open(path, encoding="utf-8") as f:
            for target in references(f.read()):
                target = MACROS.get(target, target)
                if target != module:
                    edges[(module, target)] += 1

print("```mermaid")
print("graph TD")
for (source, target), count in sorted(edges.items()):
    print(f"    {source} -->|{count}| {target}")
print("```")
sys.exit(0)
