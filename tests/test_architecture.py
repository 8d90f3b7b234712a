"""The package's layers (docs/architecture.md): a module imports only its own subpackage and lower
layers, never a sibling of its own rank, and no import circle exists — lazy imports inside functions
count too. The checker is tested on a planted violation and a planted circle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ocrlite"

#: Subpackage → rank. A module may import modules of its own subpackage and of lower ranks only.
LAYERS = {
    "utils": 0,
    "inputs": 1,
    "recognition": 2, "detection": 2,
    "datasets": 3, "synth": 3,
    "nn": 4, "pages": 4,
    "api": 5, "formats": 5,
    "evaluation": 6,
    "training": 7,
    "serve": 8, "bulk": 8, "plugins": 8,
    "cli": 9,
    "": 10,  # ocrlite/__init__.py, __main__.py, _legacy.py: the public API on top
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else ""


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Every ocrlite module that ``source`` imports, anywhere in the file (lazy imports included)."""
    found: set[str] = set()
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "ocrlite")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ocrlite":
                continue
            subs = {f"{target}.{a.name}" for a in node.names} & known
            found.update(subs or {target})
    return found - {module}


def import_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """``{module: (source, is_package)}`` → ``{module: imported ocrlite modules}``."""
    known = set(sources)
    return {m: imports_of(src, m, pkg, known) for m, (src, pkg) in sources.items()}


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in sorted(graph.items()):
        mine = layer_of(module)
        for target in sorted(targets):
            theirs = layer_of(target)
            if theirs != mine and LAYERS[theirs] >= LAYERS[mine]:
                bad.append(f"{module} ({mine or 'top'}, rank {LAYERS[mine]}) imports {target} "
                           f"({theirs or 'top'}, rank {LAYERS[theirs]})")
    return bad


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import graph's strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def package_sources(root: Path = PACKAGE) -> dict[str, tuple[str, bool]]:
    return {module_name(p, root): (p.read_text(encoding="utf-8"), p.name == "__init__.py")
            for p in sorted(root.rglob("*.py"))}


def test_every_subpackage_has_a_layer():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages <= set(LAYERS), f"a subpackage without a layer: {sorted(subpackages - set(LAYERS))}"


def test_lower_layers_never_import_higher_ones():
    assert layer_violations(import_graph(package_sources())) == []


def test_no_import_circles():
    assert circles(import_graph(package_sources())) == []


def test_the_checks_catch_a_planted_upward_import_and_a_planted_circle():
    sources = package_sources()
    planted = dict(sources)
    text, is_pkg = planted["ocrlite.recognition.reader"]
    planted["ocrlite.recognition.reader"] = (text + "\n\ndef _later():\n    from ocrlite.pages.reader import read_page\n",
                                             is_pkg)
    graph = import_graph(planted)
    assert any("ocrlite.recognition.reader" in v and "ocrlite.pages.reader" in v for v in layer_violations(graph))
    assert any({"ocrlite.recognition.reader", "ocrlite.pages.reader"} <= set(c) for c in circles(graph))
    # a circle inside one layer breaks no layer rule, and is still found
    text, is_pkg = planted["ocrlite.utils.outputs"]
    planted["ocrlite.utils.outputs"] = (text + "\nimport ocrlite.utils.locks\n", is_pkg)
    text, is_pkg = planted["ocrlite.utils.locks"]
    planted["ocrlite.utils.locks"] = (text + "\nimport ocrlite.utils.outputs\n", is_pkg)
    assert any({"ocrlite.utils.outputs", "ocrlite.utils.locks"} <= set(c) for c in circles(import_graph(planted)))


def test_importing_ocrlite_and_its_inference_layers_imports_no_torch():
    code = ("import sys, ocrlite, ocrlite.api, ocrlite.recognition.onnx_engine, ocrlite.pages.reader, "
            "ocrlite.datasets.line_sets, ocrlite.evaluation.evaluate, ocrlite.evaluation.peers, ocrlite.cli; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("old, name", [
    ("ocrlite.predict", "Recognizer"), ("ocrlite.onnx_engine", "OnnxRecognizer"), ("ocrlite.page", "read_page"),
    ("ocrlite.weights", "load_recognizer"), ("ocrlite.layout", "find_lines"), ("ocrlite.charset", "Charset"),
    ("ocrlite.train", "Trainer"), ("ocrlite.backbones.mobilenet", "__name__"), ("ocrlite.data", "read_label_set"),
])
def test_old_import_paths_keep_working(old, name):
    code = f"import importlib; m = importlib.import_module({old!r}); getattr(m, {name!r})"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_old_and_new_paths_are_the_same_objects():
    import ocrlite.charset
    import ocrlite.predict
    from ocrlite.api.torch_recognizer import Recognizer
    from ocrlite.recognition import charset

    assert ocrlite.charset is charset and charset.__spec__.name == "ocrlite.recognition.charset"
    assert ocrlite.predict.Recognizer is Recognizer
    assert hasattr(Recognizer, "read_page")
