"""Old import paths (``ocrlite.predict``, ``ocrlite.page``, …) of the flat 0.2 layout, kept working.

Each old module name maps to the module(s) that now hold its names. One target: the old name *is*
the new module (``ocrlite.charset is ocrlite.recognition.charset``). Several: a module whose names
are copied from the targets in order (later ones win). Nothing is imported until an old name is
imported, so ``import ocrlite`` stays cheap. New code imports the new paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

#: old module → the new module(s) holding its names.
LEGACY_MODULES: dict[str, tuple[str, ...]] = {
    "ocrlite.outputs": ("ocrlite.utils.outputs",),
    "ocrlite.locks": ("ocrlite.utils.locks",),
    "ocrlite.limits": ("ocrlite.utils.limits",),
    "ocrlite.progress": ("ocrlite.utils.progress",),
    "ocrlite.extras": ("ocrlite.utils.extras",),
    "ocrlite.resources": ("ocrlite.utils.resources",),
    "ocrlite.registry": ("ocrlite.utils.registry",),
    "ocrlite.images": ("ocrlite.inputs.images",),
    "ocrlite.charset": ("ocrlite.recognition.charset",),
    "ocrlite.decode": ("ocrlite.recognition.decode",),
    "ocrlite.preprocess": ("ocrlite.recognition.preprocess",),
    "ocrlite.text_band": ("ocrlite.recognition.text_band",),
    "ocrlite.asciify": ("ocrlite.recognition.asciify",),
    "ocrlite.metrics": ("ocrlite.recognition.metrics",),
    "ocrlite.engine": ("ocrlite.recognition.reader",),
    "ocrlite.onnx_engine": ("ocrlite.recognition.onnx_engine", "ocrlite.api.onnx_recognizer"),
    "ocrlite.weights": ("ocrlite.recognition.zoo", "ocrlite.api"),
    "ocrlite.model": ("ocrlite.nn.crnn",),
    "ocrlite.width_mask": ("ocrlite.nn.width_mask",),
    "ocrlite.checkpoint": ("ocrlite.nn.checkpoint",),
    "ocrlite.export": ("ocrlite.nn.export",),
    "ocrlite.predict": ("ocrlite.recognition.reader", "ocrlite.recognition.zoo", "ocrlite.nn.torch_engine",
                        "ocrlite.api.torch_recognizer"),
    "ocrlite.page": ("ocrlite.pages.reader",),
    "ocrlite.layout": ("ocrlite.pages.finder",),
    "ocrlite.layout.finder": ("ocrlite.pages.finder",),
    "ocrlite.layout.scoring": ("ocrlite.pages.scoring",),
    "ocrlite.layout.synthetic": ("ocrlite.synth.pages",),
    "ocrlite.data": ("ocrlite.datasets.line_sets",),
    "ocrlite.evaluate": ("ocrlite.evaluation.evaluate",),
    "ocrlite.bench": ("ocrlite.evaluation.bench", "ocrlite.evaluation.peers"),
    "ocrlite.batches": ("ocrlite.training.batches",),
    "ocrlite.train": ("ocrlite.training.config", "ocrlite.training.schedule", "ocrlite.training.run_dir",
                      "ocrlite.training.trainer"),
}
_BACKBONES_OLD, _BACKBONES_NEW = "ocrlite.backbones", "ocrlite.nn.backbones"


def targets(fullname: str) -> tuple[str, ...] | None:
    """The new module(s) behind an old name, or None for a name that is not an old one."""
    if fullname == _BACKBONES_OLD or fullname.startswith(_BACKBONES_OLD + "."):
        return (_BACKBONES_NEW + fullname[len(_BACKBONES_OLD):],)
    return LEGACY_MODULES.get(fullname)


class _LegacyLoader(importlib.abc.Loader):
    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        modules = [importlib.import_module(name) for name in self.names]
        if len(modules) == 1:
            self.spec = modules[0].__spec__  # importlib sets __spec__ on what we return: put it back after
            return modules[0]
        combined = types.ModuleType(spec.name, f"Old path: names of {', '.join(self.names)}.")
        for module in modules:
            combined.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
        return combined

    def exec_module(self, module: types.ModuleType) -> None:
        if getattr(self, "spec", None) is not None:
            module.__spec__ = self.spec


class _LegacyFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
        names = targets(fullname)
        if names is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _LegacyLoader(names), is_package=fullname == "ocrlite.layout")


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _LegacyFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _LegacyFinder())
