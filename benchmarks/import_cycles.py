"""List import cycles between cryptotrace's modules (walks the ``import`` statements with ast).

Two graphs: the imports that run when a module is imported (module level, outside ``if
TYPE_CHECKING``), and all imports including those inside functions (deferred). A cycle in the
first breaks or slows imports; a cycle in the second means two modules depend on each other.
Also imports every module alone in a fresh interpreter (``--each``) to show each one imports.

Run:  python benchmarks/import_cycles.py [--each]
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src"
PKG = "cryptotrace"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(mod: str, is_pkg: bool, node: ast.ImportFrom | ast.Import, modules: set[str]) -> list[str]:
    out = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = mod if is_pkg else mod.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        head = (base + "." + node.module if node.module else base) if node.level else (node.module or "")
        names = [head] + [f"{head}.{a.name}" for a in node.names]
    for n in names:
        while n and n not in modules:
            n = n.rpartition(".")[0]
        if n and n.startswith(PKG):
            out.append(n)
    return out


def graphs() -> tuple[dict, dict]:
    files = {module_name(p): p for p in ROOT.joinpath(PKG).rglob("*.py")}
    modules = set(files)
    eager: dict[str, set] = {m: set() for m in modules}
    every: dict[str, set] = {m: set() for m in modules}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_pkg = path.name == "__init__.py"

        def walk(node, deferred):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for t in resolve(mod, is_pkg, child, modules):
                        if t != mod and not mod.startswith(t + "."):  # a package's own parents run first anyway
                            every[mod].add(t)
                            if not deferred:
                                eager[mod].add(t)
                elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    walk(child, True)
                elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                else:
                    walk(child, deferred)

        walk(tree, False)
    return eager, every


def cycles(graph: dict) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--each", action="store_true", help="also import every module alone in a fresh interpreter")
    args = ap.parse_args()
    eager, every = graphs()
    bad = 0
    for name, g in (("import-time", eager), ("all (with imports inside functions)", every)):
        cs = cycles(g)
        print(f"{name} cycles: {len(cs)}")
        for c in cs:
            print("   ", " <-> ".join(c))
        bad += len(cs) if name == "import-time" else 0
    if args.each:
        for m in sorted(eager):
            if m.endswith("__main__"):  # running it is the CLI
                continue
            r = subprocess.run([sys.executable, "-c", f"import {m}"], capture_output=True, text=True)
            if r.returncode:
                bad += 1
                print(f"import {m} alone FAILED (exit {r.returncode}): {(r.stderr.strip() or '?').splitlines()[-1]}")
        print(f"imported {len(eager)} modules one by one")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
