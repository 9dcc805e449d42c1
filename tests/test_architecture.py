"""The package's folders are its layers, and imports only point down.

    ui -> figures, texts -> experiment -> training -> io -> model -> core

Read from the source with `ast` (nothing is imported), so an import inside a function counts as
much as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each layer may import from its own rank and below; texts holds only words and imports nothing.
RANKS = {
    "core": 0,
    "model": 1,
    "io": 2,
    "training": 3,
    "experiment": 4,
    "figures": 5,
    "texts": 5,
    "ui": 6,
}
# The entry points scripts and notebooks know, kept at the top level: each re-exports one module.
KEPT_NAMES = {
    "ops": "core",
    "optim": "core",
    "models": "model",
    "receptive": "model",
    "images": "io",
}
# The package itself, and `python -m cnnexplain.bench`, which hands over to tools/ at run time.
OUTSIDE_LAYERS = ("cnnexplain", "cnnexplain.bench")
TOOLING = ("tools", "tests", "pytest", "playwright", "hypothesis")
# A module or a function longer than this has more than one job: split it.
MAX_MODULE_LINES = 750
MAX_FUNCTION_LINES = 80


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> set[str]:
    """Every module `path` imports, absolute (`from a import b` counts both a and a.b)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: one level is the package itself
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def read_package(root: Path) -> dict[str, set[str]]:
    """{module: every module of the package it imports} for cnnexplain/ below `root`."""
    paths = {module_name(p, root): p for p in sorted((root / "cnnexplain").rglob("*.py"))}
    return {name: imported_modules(path, root) for name, path in paths.items()}


def layer(module: str) -> str | None:
    """The layer folder a module of the package sits in (None outside the layers)."""
    parts = module.split(".")
    if module in OUTSIDE_LAYERS or len(parts) < 2:
        return None
    found = KEPT_NAMES.get(parts[1], parts[1]) if len(parts) == 2 else parts[1]
    return found if found in RANKS else None


def upward_imports(imports: dict[str, set[str]]) -> list[str]:
    """Each import from a module to one in a higher layer, or from texts to anything else."""
    wrong = []
    for importer, targets in imports.items():
        if importer in OUTSIDE_LAYERS:
            continue
        for target in sorted(t for t in targets if t in imports and t != "cnnexplain"):
            if target.startswith(importer + "."):
                continue  # a package's __init__ naming its own modules
            if layer(importer) == "texts" and layer(target) != "texts":
                wrong.append(f"{importer} -> {target} (texts import nothing)")
            elif RANKS[layer(target)] > RANKS[layer(importer)]:
                wrong.append(f"{importer} -> {target}")
    return wrong


def find_cycle(imports: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the modules, as a path back to its start; None when there is none."""
    done: set[str] = set()
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        path.append(module)
        for target in sorted(t for t in imports[module] if t in imports and t != module):
            if target in path:
                return path[path.index(target) :] + [target]
            if target not in done and (cycle := visit(target)):
                return cycle
        path.pop()
        done.add(module)
        return None

    for module in imports:
        if module not in done and (cycle := visit(module)):
            return cycle
    return None


PACKAGE_IMPORTS = read_package(ROOT)


def test_every_module_sits_in_a_layer():
    loose = [m for m in PACKAGE_IMPORTS if layer(m) is None and m not in OUTSIDE_LAYERS]
    assert not loose, f"modules outside the layer folders: {loose}"


def test_imports_point_down_only():
    wrong = upward_imports(PACKAGE_IMPORTS)
    assert not wrong, "imports that point up a layer:\n" + "\n".join(wrong)


def test_no_import_cycles():
    cycle = find_cycle(PACKAGE_IMPORTS)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_streamlit_only_in_the_ui():
    outside = [
        name
        for name, found in PACKAGE_IMPORTS.items()
        if layer(name) != "ui" and any(m.split(".")[0] == "streamlit" for m in found)
    ]
    assert not outside, f"streamlit imported outside cnnexplain/ui: {outside}"


def test_the_library_imports_no_tooling():
    tooling = [
        f"{name} -> {m}"
        for name, found in PACKAGE_IMPORTS.items()
        for m in found
        if m.split(".")[0] in TOOLING
    ]
    assert not tooling, f"the library imports tooling or tests: {tooling}"


def too_long(path: Path) -> list[str]:
    """The module itself, and each function in it, that passes its length limit."""
    source = path.read_text()
    found = []
    lines = source.count("\n")
    if lines > MAX_MODULE_LINES:
        found.append(f"{path.name}: {lines} lines")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path.name}: {node.name} is {length} lines")
    return found


def test_modules_and_functions_stay_small():
    sources = [
        *(ROOT / "cnnexplain").rglob("*.py"),
        *(ROOT / "pages").glob("*.py"),
        ROOT / "app.py",
    ]
    found = [problem for path in sorted(sources) for problem in too_long(path)]
    assert not found, "too long:\n" + "\n".join(found)


def test_the_length_check_counts_lines(tmp_path):
    body = "\n".join(f"    x = {i}" for i in range(MAX_FUNCTION_LINES))
    source = tmp_path / "long.py"
    source.write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}\n")
    assert too_long(source) == [f"long.py: long is {MAX_FUNCTION_LINES + 1} lines"]


def test_the_readers_find_what_they_look_for(tmp_path):
    files = {
        "cnnexplain/__init__.py": "",
        "cnnexplain/core/__init__.py": "",
        "cnnexplain/core/ops.py": "def f():\n    from cnnexplain.model import trace\n",
        "cnnexplain/model/__init__.py": "",
        "cnnexplain/model/trace.py": "from ..core import ops\nfrom . import spec\n",
        "cnnexplain/model/spec.py": "from cnnexplain.model.trace import Trace\n",
        "cnnexplain/texts/__init__.py": "",
        "cnnexplain/texts/home.py": "from cnnexplain.core.ops import f\n",
    }
    for name, source in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    imports = read_package(tmp_path)
    assert {"cnnexplain.core.ops", "cnnexplain.model.spec"} <= imports["cnnexplain.model.trace"]
    wrong = upward_imports(imports)
    assert "cnnexplain.core.ops -> cnnexplain.model.trace" in wrong
    assert "cnnexplain.texts.home -> cnnexplain.core.ops (texts import nothing)" in wrong
    assert not any(w.startswith("cnnexplain.model.trace") for w in wrong)
    cycle = find_cycle(imports)
    assert cycle is not None and cycle[0] == cycle[-1] and len(cycle) >= 3
