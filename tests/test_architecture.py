"""The house rules of the code (issue "One annotated trace and one taxonomy"), checked on the source.

* no import cycles between modules (function-level imports count: a cycle hidden in a function is
  still two modules that cannot be understood one without the other);
* no private name (``_x``) imported from another module: what one module needs of another is public;
* no module-level caches keyed by ``id(...)`` of an object (they outlive the object and its id).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src" / "cryptotrace"


def _modules() -> dict[str, Path]:
    out = {}
    for f in SRC.rglob("*.py"):
        parts = list(f.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(name: str, path: Path):
    """(target module, imported name, line) for every ``from ... import`` in the module."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "cryptotrace":
                for alias in node.names:
                    yield target, alias.name, node.lineno


def test_no_import_cycles_between_modules():
    mods = _modules()
    graph = nx.DiGraph()
    for name, path in mods.items():
        if path.name == "__init__.py":
            continue  # a package's __init__ re-exports its modules; the modules are the units
        for target, imported, _ in _imports(name, path):
            full = f"{target}.{imported}"
            dest = full if full in mods else target
            if dest in mods and mods[dest].name != "__init__.py" and dest != name:
                graph.add_edge(name, dest)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"modules that import each other: {cycles}"


def test_no_private_names_imported_across_modules():
    mods = _modules()
    found = []
    for name, path in mods.items():
        for target, imported, line in _imports(name, path):
            if imported.startswith("_") and not imported.startswith("__") and f"{target}.{imported}" not in mods:
                found.append(f"{path.relative_to(SRC.parent)}:{line} imports {imported} from {target}")
    assert not found, "private names used across modules (make them public or move them):\n" + "\n".join(found)


def _module_level_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        else:
            targets = [node.target] if isinstance(node, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _is_id_key(expr: ast.AST, id_names: set[str]) -> bool:
    """Whether ``expr`` is, or contains, ``id(...)`` or a name the function set to ``id(...)``."""
    return any(
        (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "id")
        or (isinstance(n, ast.Name) and n.id in id_names)
        for n in ast.walk(expr)
    )


def test_no_module_level_caches_keyed_by_object_id():
    """No module-level mapping looked up or filled with an ``id(...)`` key (directly or through a name).

    Maps local to one call (e.g. which file each parsed answer came from, while all of them are alive)
    are not caches: they die with the call, so an id cannot be reused under them.
    """
    found = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        globals_ = _module_level_names(tree)
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            body = list(ast.walk(fn))
            id_names = {
                t.id
                for n in body
                if isinstance(n, ast.Assign) and _is_id_key(n.value, set())
                for t in n.targets
                if isinstance(t, ast.Name)
            }
            for n in body:
                if (
                    isinstance(n, ast.Subscript)
                    and isinstance(n.value, ast.Name)
                    and n.value.id in globals_
                    and _is_id_key(n.slice, id_names)
                ):
                    found.append(f"{path.relative_to(SRC.parent)}:{n.lineno}: {n.value.id}[...]")
                elif (
                    isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and isinstance(n.func.value, ast.Name)
                    and n.func.value.id in globals_
                    and n.func.attr in ("get", "pop", "setdefault")
                    and n.args
                    and _is_id_key(n.args[0], id_names)
                ):
                    found.append(f"{path.relative_to(SRC.parent)}:{n.lineno}: {n.func.value.id}.{n.func.attr}(...)")
    found = sorted(set(found))
    assert not found, "caches keyed by id(object) (keep the cache on the object instead):\n" + "\n".join(found)


def test_no_test_file_imports_another_test_file():
    """Builders live in ``cryptotrace.testing``, test infrastructure in ``tests/_*.py``; a test file is a leaf."""
    tests = Path(__file__).resolve().parent
    found = []
    for f in sorted(tests.glob("test_*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""] + [a.name for a in node.names]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n.split(".")[-1].startswith("test_") for n in names):
                found.append(f"{f.name}:{node.lineno}")
    assert not found, "test files importing from other test files: " + ", ".join(found)


def test_no_method_attached_to_a_class_after_its_definition():
    """``Class.method = function`` at module level hides a method from the class body (and from readers)."""
    found = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in classes:
                        found.append(f"{path.relative_to(SRC.parent)}:{node.lineno}: {t.value.id}.{t.attr} = ...")
    assert not found, "methods attached after the class (define them in the class body):\n" + "\n".join(found)
