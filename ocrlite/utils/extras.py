"""Optional parts of ocrlite and the pip extra that brings each one.

``pip install ocrlite`` reads lines and pages with onnxruntime; training, synthesis, export and
the torch engine need ``ocrlite[train]``. A command that reaches for a missing part says, in one
line, which extra to install (exit 2) instead of printing an import traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

#: module -> the extra that installs it.
EXTRA_OF = {"torch": "train", "torchvision": "train", "albumentations": "train", "onnx": "train",
            "onnxscript": "train", "lmdb": "the base install", "matplotlib": "train", "babel": "train",
            "fastapi": "serve", "uvicorn": "serve", "fastapi_offline": "serve", "multipart": "serve", "python_multipart": "serve",
            "starlette": "serve", "tesserocr": "peers", "onnxruntime": "the base install",
            "pypdfium2": "the base install", "pyarrow": "parquet", "pyclipper": "the base install",
            "ray": "ray", "fpdf": "the base install", "ocrmypdf": "ocrmypdf"}


class MissingExtraError(ValueError):
    """A part of ocrlite whose optional dependency is not installed; the message says what to install."""


def require(module: str, what: str) -> ModuleType:
    """Import ``module`` for ``what`` ("the torch engine", "ocrlite train"), or explain which extra to install.

    Raises:
        MissingExtraError: the module is not installed (or fails to import).
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        extra = EXTRA_OF.get(module.split(".")[0], "train")
        how = "pip install ocrlite" if extra == "the base install" else f"pip install 'ocrlite[{extra}]'"
        raise MissingExtraError(f"{what} needs {module.split('.')[0]} ({how}); it is not installed "
                                f"({str(err).splitlines()[0][:120]})") from None


def available(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    return importlib.util.find_spec(module) is not None
